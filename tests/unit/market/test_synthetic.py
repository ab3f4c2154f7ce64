"""Synthetic market: determinism, calendars, spreads and intraday profiles, factor correlation.

Books and shared liquidity are in test_synthetic_book.py, bars and prints in
test_synthetic_bars.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vtrade import bootstrap
from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE, NS_PER_SECOND, parse_instant, to_ns
from vtrade.domain.market_data import Interval
from vtrade.market.synthetic import SyntheticMarket
from vtrade.settings import MarketSettings, Settings


def at(text: str) -> int:
    return to_ns(parse_instant(text))


T0 = at("2024-03-15T15:00:00Z")  # a Friday: US regular hours, LSE open, London/NY overlap
MIXED = ["AAPL", "SPY", "SPX", "VOD.L", "HSI", "EUR/USD", "BTC-USD", "GC"]


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return bootstrap.build().market


def bps(market: SyntheticMarket, symbol: str, t: int) -> float:
    quote = market.quote(symbol, t)
    return float(quote.spread / quote.mid) * 1e4


def weekdays(first: str, last: str, step: int) -> list[str]:
    days = np.arange(np.datetime64(first), np.datetime64(last), step)
    return [str(d) for d in days if np.is_busday(d)]


# -- determinism ---------------------------------------------------------------------------------


def fingerprint(market: SyntheticMarket) -> list[bytes | object]:
    """Everything a client can ask, for a few symbols, intervals and instants."""
    out: list[bytes | object] = []
    for symbol in MIXED:
        for interval in Interval:
            a = at("2024-03-11") if interval is not Interval.D1 else at("2023-01-01")
            bars = market.bars(symbol, interval, a, at("2024-03-16"))
            columns = (bars.ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
            out += [c.tobytes() for c in columns]
        for minutes in (0, 7, 333, 1441):
            t = T0 + minutes * NS_PER_MINUTE + 123
            out += [market.quote(symbol, t), market.book(symbol, t, 20)]
    return out


def test_the_same_seed_gives_byte_identical_bars_quotes_and_books(market: SyntheticMarket) -> None:
    assert fingerprint(bootstrap.build().market) == fingerprint(market)


def test_another_seed_gives_another_market(market: SyntheticMarket) -> None:
    other = bootstrap.build(Settings(market=MarketSettings(seed=7))).market
    for symbol in MIXED:
        day = (at("2024-01-01"), at("2024-03-16"))
        assert not np.array_equal(
            other.bars(symbol, Interval.D1, *day).close,
            market.bars(symbol, Interval.D1, *day).close,
        )
        assert other.quote(symbol, T0) != market.quote(symbol, T0)
    # the anchor still pins the reference price on the anchor date, whatever the seed
    anchor = at("2026-11-20")
    for m in (market, other):
        (close,) = m.bars("AAPL", Interval.D1, anchor, anchor + NS_PER_DAY).close
        assert close == pytest.approx(float(m.instrument("AAPL").market.reference_price))


def test_caches_do_not_change_answers(market: SyntheticMarket) -> None:
    """A market that can hold one day and one tick chunk answers like a warmed-up one."""
    tiny = dataclasses.replace(market.config, cache_days=1, cache_chunks=1)
    cold = SyntheticMarket(market.catalog, market.sessions, tiny)
    queries: list[tuple[str, int]] = [
        (symbol, T0 + k * 97 * NS_PER_MINUTE + 1) for k in range(12) for symbol in MIXED
    ]
    warm = [(market.quote(s, t), market.book(s, t, 20)) for s, t in queries]
    assert [(cold.quote(s, t), cold.book(s, t, 20)) for s, t in reversed(queries)] == warm[::-1]
    a, b = at("2024-03-12"), at("2024-03-15")
    for symbol in MIXED:
        for got, want in zip(
            (cold.bars(symbol, Interval.M5, a, b), cold.bars(symbol, Interval.M1, a, b)),
            (market.bars(symbol, Interval.M5, a, b), market.bars(symbol, Interval.M1, a, b)),
            strict=True,
        ):
            assert got.close.tobytes() == want.close.tobytes()
            assert got.volume.tobytes() == want.volume.tobytes()


# -- quotes everywhere ----------------------------------------------------------------------------


def test_every_instrument_quotes_on_its_tick_grid_with_a_spread_of_at_least_one_tick(
    market: SyntheticMarket,
) -> None:
    for symbol in market.symbols():
        tick = market.instrument(symbol).tick_size
        for t in (T0, T0 + 3 * 3600 * NS_PER_SECOND + 17):
            quote = market.quote(symbol, t)
            assert quote.bid % tick == 0 and quote.ask % tick == 0, symbol
            assert quote.ask - quote.bid >= tick, symbol
            assert quote.bid > 0 and quote.bid_size > 0 and quote.ask_size > 0, symbol
            assert quote.ts_event <= t


# Per asset class: a symbol and the UTC hours of its own mid-session (quiet, not the edges).
MIDDAY = {
    "AAPL": ("16:00", "18:00"),
    "SPY": ("16:00", "18:00"),
    "F": ("16:00", "18:00"),
    "SPX": ("16:00", "18:00"),
    "VOD.L": ("11:00", "13:00"),
    "DAX": ("10:00", "12:00"),
    "N225": ("01:00", "02:00"),
    "EUR/USD": ("09:00", "11:00"),
    "USD/JPY": ("09:00", "11:00"),
    "BTC-USD": ("11:00", "13:00"),
    "SHIB-USD": ("11:00", "13:00"),
    "GC": ("15:00", "17:00"),
    "CL": ("15:00", "17:00"),
}


@pytest.mark.parametrize("symbol", list(MIDDAY))
def test_midday_quoted_spread_is_near_the_catalog_typical_spread(
    market: SyntheticMarket, symbol: str
) -> None:
    lo, hi = MIDDAY[symbol]
    spreads = []
    for day in weekdays("2022-01-03", "2025-12-31", 29):
        start, end = at(f"{day}T{lo}:00Z"), at(f"{day}T{hi}:00Z")
        spreads += [bps(market, symbol, t + 17) for t in range(start, end, 20 * NS_PER_MINUTE)]
    typical = market.instrument(symbol).market.typical_spread_bps
    assert 0.5 * typical <= float(np.median(spreads)) <= 3 * typical


def median_spread(
    market: SyntheticMarket, symbol: str, days: list[str], window: tuple[str, str]
) -> float:
    spreads = []
    for day in days:
        start, end = at(f"{day}T{window[0]}:00Z"), at(f"{day}T{window[1]}:00Z")
        spreads += [bps(market, symbol, t + 7) for t in range(start, end, NS_PER_MINUTE)]
    return float(np.median(spreads))


# US daylight time: the regular session is 13:30-20:00 UTC.
SUMMER_DAYS = ["2024-04-16", "2024-05-22", "2024-06-19", "2024-07-17", "2024-09-18", "2024-10-16"]


@pytest.mark.parametrize("symbol", ["AAPL", "JPM", "SPY"])
def test_us_equity_spread_is_wider_at_the_open_than_near_the_close(
    market: SyntheticMarket, symbol: str
) -> None:
    at_open = median_spread(market, symbol, SUMMER_DAYS, ("13:30", "14:00"))
    near_close = median_spread(market, symbol, SUMMER_DAYS, ("19:30", "20:00"))
    assert at_open > 1.5 * near_close


@pytest.mark.parametrize("symbol", ["EUR/USD", "GBP/USD", "USD/JPY"])
def test_fx_spread_is_wider_at_the_new_york_rollover_than_in_the_london_new_york_overlap(
    market: SyntheticMarket, symbol: str
) -> None:
    rollover = median_spread(market, symbol, SUMMER_DAYS, ("21:00", "22:00"))
    overlap = median_spread(market, symbol, SUMMER_DAYS, ("13:00", "16:00"))
    assert rollover > 2 * overlap


# -- intraday volume -----------------------------------------------------------------------------


def regular_volumes(
    market: SyntheticMarket, symbol: str, first: str, last: str
) -> list[np.ndarray]:
    """Each full regular session's minute volumes as shares of the session's volume."""
    days = market.calendar(symbol).days
    rows = days.between(at(first), at(last))
    out = []
    for d in range(rows.start, rows.stop):
        if not days.early_close[d]:
            bars = market.bars(symbol, Interval.M1, int(days.open[d]), int(days.close[d]))
            out.append(bars.volume / bars.volume.sum())
    assert len(out) >= 15
    return out


@pytest.mark.parametrize("symbol", ["AAPL", "SPY", "SPX"])
def test_us_volume_is_a_reverse_j_with_a_heavy_close(market: SyntheticMarket, symbol: str) -> None:
    for shares in regular_volumes(market, symbol, "2024-03-01", "2024-04-01"):
        n = shares.shape[0]
        first, midday, last = (
            shares[:30].sum(),
            shares[n // 2 - 15 : n // 2 + 15].sum(),
            shares[-30:].sum(),
        )
        assert first > 2 * midday
        assert last > 2 * midday
        assert last > 0.15  # the last half hour, closing print included


@pytest.mark.parametrize("symbol", ["VOD.L", "AZN.L", "UKX"])
def test_lse_volume_rises_into_the_close(market: SyntheticMarket, symbol: str) -> None:
    for shares in regular_volumes(market, symbol, "2024-03-01", "2024-04-01"):
        to_close = shares[::-1]  # hours counted back from the close
        hours = np.add.reduceat(to_close, np.arange(0, to_close.shape[0], 60))[::-1]
        assert hours.argmax() == hours.shape[0] - 1  # the closing hour is the busiest
        assert hours[-1] > 3 * shares[:60].sum()
        assert shares[shares.shape[0] // 2 :].sum() > 0.6


# -- calendars -----------------------------------------------------------------------------------

SATURDAY = at("2024-03-16T12:00:00Z")


@pytest.mark.parametrize("symbol", ["AAPL", "SPX", "VOD.L", "HSI", "EUR/USD", "GC"])
@pytest.mark.parametrize(
    "closed", [SATURDAY, SATURDAY + NS_PER_DAY - 5 * 3600 * NS_PER_SECOND], ids=["sat", "sun"]
)
def test_quote_while_closed_is_the_last_quote_of_the_previous_session(
    market: SyntheticMarket, symbol: str, closed: int
) -> None:
    days = market.calendar(symbol).days
    d = days.index_on_or_before(closed)
    assert int(days.day[d]) == at("2024-03-15")
    end = int(days.end[d])  # the post-market end for US stocks, else the close
    last = market.quote(symbol, end - 1)
    assert market.quote(symbol, closed) == last
    assert end - NS_PER_MINUTE <= last.ts_event < end


def test_quote_in_the_hong_kong_lunch_break_is_the_last_quote_before_it(
    market: SyntheticMarket,
) -> None:
    days = market.calendar("HSI").days
    d = days.index_on_or_before(T0)
    start, end = int(days.break_start[d]), int(days.break_end[d])
    assert start > 0
    before = market.quote("HSI", start - 1)
    assert before.ts_event < start
    assert market.quote("HSI", (start + end) // 2) == before
    assert market.quote("HSI", end + 30 * NS_PER_SECOND).ts_event >= end


def test_crypto_quotes_keep_changing_on_a_sunday(market: SyntheticMarket) -> None:
    sunday = at("2024-03-17T00:00:00Z")
    quotes = [market.quote("BTC-USD", sunday + k * 37 * NS_PER_MINUTE) for k in range(36)]
    assert len({(q.bid, q.ask) for q in quotes}) > 30
    assert all(sunday <= q.ts_event for q in quotes)


@pytest.mark.parametrize(
    ("symbol", "pre_market"),
    [("AAPL", True), ("JPM", True), ("SPY", True), ("SPX", False), ("NDX", False)],
)
def test_us_pre_market_minutes_exist_for_stocks_and_etfs_but_not_for_indices(
    market: SyntheticMarket, symbol: str, pre_market: bool
) -> None:
    # 2024-03-15: pre-market 04:00-09:30 New York = 08:00-13:30 UTC
    minutes = market.bars(
        symbol, Interval.M1, at("2024-03-15T08:00:00Z"), at("2024-03-15T13:30:00Z")
    )
    assert len(minutes) == (330 if pre_market else 0)


@pytest.mark.parametrize("symbol", ["VOD.L", "AZN.L", "UKX", "DAX"])
def test_european_minutes_lie_inside_the_regular_session(
    market: SyntheticMarket, symbol: str
) -> None:
    days = market.calendar(symbol).days
    d = days.index_on_or_before(T0)
    ts = market.minute_bars(symbol, d).ts
    assert ts[0] == days.open[d]
    assert ts[-1] == days.close[d] - NS_PER_MINUTE


# -- correlation through factors -----------------------------------------------------------------


def daily_log_returns(market: SyntheticMarket, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    """Close-to-close log returns of `a` and `b` over the session dates both trade, 2014-2024."""
    series = [market.bars(s, Interval.D1, at("2014-01-01"), at("2025-01-01")) for s in (a, b)]
    common = np.intersect1d(series[0].ts, series[1].ts)
    closes = [np.log(s.close[np.isin(s.ts, common)]) for s in series]
    return np.diff(closes[0]), np.diff(closes[1])


def test_same_sector_equities_correlate_more_than_cross_asset_pairs(
    market: SyntheticMarket,
) -> None:
    def corr(a: str, b: str) -> float:
        return float(np.corrcoef(*daily_log_returns(market, a, b))[0, 1])

    same_sector = [corr("AAPL", "MSFT"), corr("JPM", "BAC"), corr("XOM", "CVX")]
    cross_asset = [corr("AAPL", "EUR/USD"), corr("JPM", "GC"), corr("MSFT", "BTC-USD")]
    assert min(same_sector) > 0.25
    assert max(abs(c) for c in cross_asset) < 0.2
    assert min(same_sector) > max(cross_asset) + 0.15
