"""Alpaca Market Data bars under `/v2/stocks/...` (reference/alpaca-compat.md §10).

What `StockHistoricalDataClient(url_override=...)` and alpaca-trade-api call for bars:
historical bars (paged with `next_page_token`) and the latest minute bar, for any of our
symbols. Only completed bars are served (a bar still forming would reveal prices from the
future of the simulated clock), except today's day bar, which grows through the session as on
Alpaca; day bars are stamped at midnight in New York of their date. Quotes, trades and
snapshots are in `marketdata_ticks`, crypto's paths in `marketdata_crypto`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query

from vtrade.api.alpaca.common import NEW_YORK, Ctx, CtxDep, csv_list, find_instrument, instant
from vtrade.api.alpaca.schemas import alpaca_symbol
from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE, iso, to_ns
from vtrade.core.errors import ValidationError
from vtrade.core.money import decimals_of
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Interval
from vtrade.market.bars import BarSeries

router = APIRouter(tags=["alpaca: market data"])

MAX_SYMBOLS = 100
MAX_LIMIT = 10_000
MAX_INTRADAY_DAYS = 62
_FRAME = re.compile(r"^(\d+)\s*(Min|T|Hour|H|Day|D|Week|W|Month|M)$")
_UNITS = {"T": "Min", "H": "Hour", "D": "Day", "W": "Week", "M": "Month"}

Grouper = Callable[[np.ndarray], np.ndarray]


def _frame(text: str) -> tuple[Interval, Grouper | None]:
    """Parse an Alpaca timeframe into the base interval and a grouping of its bar starts."""
    match = _FRAME.match(text.strip())
    allowed = "{1-59}Min, {1-23}Hour, 1Day, 1Week, {1,2,3,6,12}Month"
    if match is None:
        raise ValidationError(f"invalid timeframe {text!r}; allowed: {allowed}")
    n, unit = int(match.group(1)), _UNITS.get(match.group(2), match.group(2))
    if unit == "Min" and 1 <= n <= 59:
        return Interval.M1, None if n == 1 else (lambda ts: ts - ts % (n * NS_PER_MINUTE))
    if unit == "Hour" and 1 <= n <= 23:
        span = n * 60 * NS_PER_MINUTE
        return Interval.H1, None if n == 1 else (lambda ts: ts - ts % span)
    if unit == "Day" and n == 1:
        return Interval.D1, None
    if unit == "Week" and n == 1:
        return Interval.D1, lambda ts: ts - ((ts // NS_PER_DAY + 3) % 7) * NS_PER_DAY
    if unit == "Month" and n in (1, 2, 3, 6, 12):
        return Interval.D1, lambda ts: np.array([_month_start(int(t), n) for t in ts])
    raise ValidationError(f"invalid timeframe {text!r}; allowed: {allowed}")


def _month_start(ts: int, months: int) -> int:
    moment = datetime.fromtimestamp(ts // 1_000_000_000, tz=UTC)
    month = (moment.month - 1) // months * months + 1
    return int(datetime(moment.year, month, 1, tzinfo=UTC).timestamp()) * 1_000_000_000


def _group(series: BarSeries, keys: np.ndarray) -> BarSeries:
    if not len(series):
        return series
    starts = np.concatenate(([0], np.flatnonzero(np.diff(keys)) + 1))
    ends = np.concatenate((starts[1:], [len(series)])) - 1
    return BarSeries(
        series.symbol,
        series.interval,
        keys[starts].astype(np.int64),
        series.open[starts],
        np.maximum.reduceat(series.high, starts),
        np.minimum.reduceat(series.low, starts),
        series.close[ends],
        np.add.reduceat(series.volume, starts),
    )


def at_new_york_midnight(series: BarSeries) -> BarSeries:
    """Day-based bars relabelled as Alpaca stamps them: midnight in New York of the date the
    bar is for (`2024-01-02T05:00:00Z`), not midnight UTC."""
    if not len(series):
        return series
    dates = (datetime.fromtimestamp(int(ts) // 1_000_000_000, tz=UTC).date() for ts in series.ts)
    ts = [to_ns(datetime.combine(d, time.min, NEW_YORK)) for d in dates]
    return dataclasses.replace(series, ts=np.array(ts, dtype=np.int64))


def completed(c: Ctx, symbol: str, base: Interval, start: int, end: int) -> BarSeries:
    """Bars of `base` starting in [start, end) as they stand at the current instant: intraday
    bars once complete; day bars too, and today's as far as its session has gone, as Alpaca
    serves the day's bar while it forms (never a price from later in the day)."""
    now = c.now_ns()
    series = c.container.market.bars(symbol, base, start, min(end, now))
    if base is Interval.D1:
        return _today_so_far(c, series, now)
    done = int(np.searchsorted(series.ts, now - base.ns, side="right"))
    return series.window(start, int(series.ts[done - 1]) + 1) if done else series.window(0, 0)


def _today_so_far(c: Ctx, days_series: BarSeries, now: int) -> BarSeries:
    """`days_series` with the bar of the session in progress (if any) rebuilt from the
    minutes completed so far, or dropped before its session opens (at 03:00 on a trading
    day, or on a weekend, the day's bar is still in the future)."""
    if not len(days_series):
        return days_series
    inst = c.catalog.get(days_series.symbol)
    days = c.container.engine.sessions.for_instrument(inst).days
    last = int(days_series.ts[-1])
    d = int(np.searchsorted(days.day, last))
    if d == len(days.day) or int(days.day[d]) != last or now >= int(days.close[d]):
        return days_series  # the last bar's session is over (or not ours): complete
    earlier = days_series.window(0, last)
    minutes = c.container.market.bars(inst.symbol, Interval.M1, int(days.open[d]), now)
    minutes = minutes.window(0, now - Interval.M1.ns + 1)  # complete minutes only
    if not len(minutes):
        return earlier  # before the open: no bar yet
    today = _group(minutes, np.full(len(minutes), last, dtype=np.int64))
    return BarSeries.concat([earlier, today], inst.symbol, Interval.D1)


_WHOLE = (AssetClass.EQUITY, AssetClass.ETF)  # shares trade whole on the tape


def trade_size(inst: Instrument, size: float) -> float | int:
    """A traded quantity as Alpaca gives it: whole shares for stocks, else the amount (no
    binary noise from summing float sizes)."""
    return round(size) if inst.lot_size >= 1 or inst.asset_class in _WHOLE else round(size, 8)


def bar_json(series: BarSeries, i: int, places: int, inst: Instrument) -> dict[str, Any]:
    volume = trade_size(inst, float(series.volume[i]))
    return {
        "t": iso(int(series.ts[i])),
        "o": round(float(series.open[i]), places),
        "h": round(float(series.high[i]), places),
        "l": round(float(series.low[i]), places),
        "c": round(float(series.close[i]), places),
        "v": volume,
        "n": None,
        "vw": None,
    }


def instruments(c: Ctx, symbols: list[str]) -> list[tuple[str, Instrument]]:
    if not symbols:
        raise ValidationError("symbols is required, e.g. symbols=AAPL,MSFT")
    if len(symbols) > MAX_SYMBOLS:
        raise ValidationError(f"at most {MAX_SYMBOLS} symbols per request")
    found: dict[str, Instrument] = {}
    for text in symbols:
        inst = find_instrument(c.state, text)
        if inst is None:
            raise ValidationError(f"invalid symbol: {text}")
        found.setdefault(alpaca_symbol(inst), inst)  # keyed as Alpaca spells it, once each
    return list(found.items())


def next_token(symbol: str, ts: int) -> str:
    """A `next_page_token`: the symbol and the instant its next page starts at."""
    return base64.urlsafe_b64encode(f"{symbol}|{ts}".encode()).decode()


def page_resume(token: str | None, names: list[str]) -> tuple[str, int]:
    """The symbol and instant a page token resumes at; 422 unless it is one of ours for one
    of the symbols asked for. ("", 0) without a token."""
    if not token:
        return "", 0
    try:
        symbol, _, ts = base64.urlsafe_b64decode(token.encode()).decode().rpartition("|")
        if symbol not in names:
            raise ValueError(symbol)
        return symbol, int(ts)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError(
            "invalid page_token: pass the next_page_token of the previous page, with the same "
            "symbols",
            parameter="page_token",
        ) from None


def bars(
    c: Ctx,
    symbols: list[tuple[str, Instrument]],
    timeframe: str,
    start: str | None,
    end: str | None,
    limit: int,
    page_token: str | None,
    descending: bool = False,
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """Bars per symbol (symbols in the order given), at most `limit` in all, and the token
    of the next page (None on the last page)."""
    base, grouper = _frame(timeframe)
    now = c.now_ns()
    stop = instant(end, "end") or now
    begin = instant(start, "start")
    if begin is None:
        begin = stop - stop % NS_PER_DAY  # the start of the current day, as Alpaca does
    if base is not Interval.D1 and stop - begin > MAX_INTRADAY_DAYS * NS_PER_DAY:
        raise ValidationError(
            f"at most {MAX_INTRADAY_DAYS} days of intraday bars per request; "
            "narrow start/end or use 1Day"
        )
    # A day bar is stamped at midnight in New York of its session date, so the day before
    # `begin` (in UTC labels) may still belong, and a date `end` includes its day, as on
    # Alpaca. An intraday bar starting at `end` is left out: one cut there would be partial.
    daily = base is Interval.D1
    last = stop + 1 if daily else stop
    first = begin - NS_PER_DAY if daily else begin
    resume_symbol, resume_at = page_resume(page_token, [name for name, _ in symbols])
    out: dict[str, list[dict[str, Any]]] = {}  # a symbol without bars is left out, as on Alpaca
    left = limit
    skipping = bool(resume_symbol)
    for name, inst in symbols:
        if skipping and name != resume_symbol:
            continue
        series = completed(c, inst.symbol, base, first, last)
        if grouper is not None:
            series = _group(series, grouper(series.ts))
        if daily:
            series = at_new_york_midnight(series).window(begin, last)
        order = range(len(series) - 1, -1, -1) if descending else range(len(series))
        places = decimals_of(inst.tick_size)
        for i in order:
            ts = int(series.ts[i])
            if skipping and ((ts > resume_at) if descending else (ts < resume_at)):
                continue
            if left == 0:
                return out, next_token(name, ts)  # the next page starts at this bar
            out.setdefault(name, []).append(bar_json(series, i, places, inst))
            left -= 1
        skipping = False
    return out, None


@router.get("/v2/stocks/bars", summary="Historical bars (alpaca-py)")
async def get_bars(
    c: CtxDep,
    symbols: Annotated[str, Query(description="comma-separated")],
    timeframe: Annotated[str, Query()] = "1Day",
    start: Annotated[str | None, Query()] = None,
    end: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 1000,
    page_token: Annotated[str | None, Query()] = None,
    sort: Annotated[Literal["asc", "desc"], Query()] = "asc",
    feed: Annotated[str | None, Query()] = None,
    adjustment: Annotated[str | None, Query()] = None,
    currency: Annotated[str | None, Query()] = None,
    asof: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    wanted = instruments(c, csv_list(symbols))
    found, token = bars(c, wanted, timeframe, start, end, limit, page_token, sort == "desc")
    return {"bars": found, "next_page_token": token}


def latest_bar(c: Ctx, inst: Instrument) -> dict[str, Any] | None:
    now = c.now_ns()
    series = completed(c, inst.symbol, Interval.M1, now - 4 * NS_PER_DAY, now)
    last = len(series) - 1
    return bar_json(series, last, decimals_of(inst.tick_size), inst) if len(series) else None


@router.get("/v2/stocks/bars/latest", summary="Latest completed minute bar per symbol")
async def latest_bars(c: CtxDep, symbols: Annotated[str, Query()]) -> dict[str, Any]:
    found = {n: latest_bar(c, i) for n, i in instruments(c, csv_list(symbols))}
    return {"bars": {n: b for n, b in found.items() if b is not None}}


# -- single-symbol paths (alpaca-trade-api) -----------------------------------------------


@router.get("/v2/stocks/{symbol}/bars", summary="Historical bars of one symbol")
async def symbol_bars(
    symbol: str,
    c: CtxDep,
    timeframe: Annotated[str, Query()] = "1Day",
    start: Annotated[str | None, Query()] = None,
    end: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 1000,
    page_token: Annotated[str | None, Query()] = None,
    adjustment: Annotated[str | None, Query()] = None,
    feed: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    wanted = instruments(c, [symbol])
    found, token = bars(c, wanted, timeframe, start, end, limit, page_token)
    name = wanted[0][0]
    return {"bars": found.get(name, []), "symbol": name, "next_page_token": token}


@router.get("/v2/stocks/{symbol}/bars/latest", summary="Latest minute bar of one symbol")
async def symbol_latest_bar(symbol: str, c: CtxDep) -> dict[str, Any]:
    name, inst = instruments(c, [symbol])[0]
    return {"symbol": name, "bar": latest_bar(c, inst)}
