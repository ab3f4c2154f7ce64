"""`vtrade bench market`: quote updates per second, 1-minute and daily history generation.

Naive baselines in the same run: an L2 book built eagerly on every quote update; daily bars
made by generating every day's minutes and aggregating them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from benchmarks.runner import Row
from vtrade import bootstrap
from vtrade.core.clock import to_ns
from vtrade.domain.market_data import Interval
from vtrade.market.synthetic import MINUTES_PER_CHUNK

DAY = datetime(2025, 3, 12, tzinfo=UTC)  # a Wednesday: every market trades
YEAR_START, YEAR_END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)


def run(size: str) -> list[Row]:
    smoke = size == "smoke"
    t0 = time.perf_counter()
    c = bootstrap.build()
    m = c.market
    symbols = list(m.symbols())[: 12 if smoke else None]
    for s in symbols:  # sessions and the factor grid are built once at start-up
        m.calendar(s)
    m.grid()
    startup = time.perf_counter() - t0

    start, end = to_ns(YEAR_START), to_ns(YEAR_END)
    t = time.perf_counter()
    daily_bars = sum(len(m.bars(s, Interval.D1, start, end)) for s in symbols)
    daily_s = time.perf_counter() - t

    naive_symbols = symbols[:3]
    t = time.perf_counter()
    naive_days = 0
    for s in naive_symbols:
        days = m.daily_path(s).days
        span = days.between(start, end)
        for d in range(span.start, span.stop if not smoke else span.start + 20):
            m.minute_bars(s, d)
            naive_days += 1
    naive_per_day = (time.perf_counter() - t) / max(naive_days, 1)
    naive_daily_s = naive_per_day * daily_bars

    hours = 1 if smoke else 4
    quotes, quote_s = _quote_updates(m, symbols, hours)
    eager_n = 300 if smoke else 3000
    eager_rate = _eager_books(m, symbols, eager_n)

    minute_rows = []
    for s in ("AAPL", "BTC-USD"):
        fresh = bootstrap.build().market
        fresh.grid()
        fresh.calendar(s)
        end_1m = start + (7 if smoke else 365) * 86_400 * 10**9
        t = time.perf_counter()
        n = len(fresh.bars(s, Interval.M1, start, end_1m))
        minute_rows.append(
            Row(
                f"1m bars of one {'week' if smoke else 'year'}, {s} ({n:,} bars)",
                time.perf_counter() - t,
                "s",
                target="fast",
                ok=None,
            )
        )
    return [
        Row("start-up: sessions + factor grid", startup, "s"),
        Row(
            f"quote updates, {len(symbols)} instruments x {hours}h, lazy books",
            quotes / quote_s,
            "quotes/s",
            naive=eager_rate,
            target=">= 1,000,000",
            ok=quotes / quote_s >= 1e6,
        ),
        Row(
            f"daily bars of 2025, all {len(symbols)} instruments ({daily_bars:,} bars)",
            daily_s,
            "s",
            naive=naive_daily_s,
            target="< 1 s",
            ok=daily_s < 1.0,
        ),
        *minute_rows,
    ]


def _quote_updates(m, symbols: list[str], hours: int) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Generate `hours` of ticks (each a quote update) for every instrument on DAY, cold."""
    day_ns = to_ns(DAY)
    for s in symbols:  # minute paths belong to the day layer; ticks are what we time
        d = max(m.calendar(s).days.index_on_or_before(day_ns + 15 * 3600 * 10**9), 0)
        m.day_minutes(s, d)
    count = 0
    t = time.perf_counter()
    for s in symbols:
        d = max(m.calendar(s).days.index_on_or_before(day_ns + 15 * 3600 * 10**9), 0)
        chunks = -(-m.day_minutes(s, d).ts.shape[0] // MINUTES_PER_CHUNK)
        for chunk in range(min(hours, chunks)):
            count += m.tick_chunk(s, d, chunk).ts.shape[0]
    return count, time.perf_counter() - t


def _eager_books(m, symbols: list[str], n: int) -> float:  # type: ignore[no-untyped-def]
    """Naive: rebuild a 10-level L2 book on every quote update; return updates per second."""
    t_ns = to_ns(DAY) + 15 * 3600 * 10**9
    t = time.perf_counter()
    for i in range(n):
        m.book(symbols[i % len(symbols)], t_ns + i * 10**9, 10)
    return n / (time.perf_counter() - t)
