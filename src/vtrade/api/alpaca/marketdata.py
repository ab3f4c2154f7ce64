"""Alpaca Market Data bars under `/v2/stocks/...` (reference/alpaca-compat.md §10).

What `StockHistoricalDataClient(url_override=...)` and alpaca-trade-api call for bars:
historical bars (paged with `next_page_token`) and the latest minute bar, for any of our
symbols. Only completed bars are served (an aggregate such as 5Min too: its whole span has
passed), except today's day bar (and week's and month's), which grows through the session as
on Alpaca, from what has printed so far; no bar is stamped later than now. A US stock's day
bars are stamped at midnight in New York of their date, every other market's (crypto's, as
Alpaca has since 2025) at midnight UTC. Quotes, trades and snapshots are in
`marketdata_ticks`, crypto's paths in `marketdata_crypto`.
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
from vtrade.core.clock import NS_PER_DAY, iso, to_ns
from vtrade.core.errors import ValidationError
from vtrade.core.money import decimals_of
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Interval
from vtrade.market.bars import BarSeries
from vtrade.market.sessions_build import EXTENDED_HOURS_CALENDARS
from vtrade.market.sessions_table import DayTable

router = APIRouter(tags=["alpaca: market data"])

MAX_SYMBOLS = 100
MAX_LIMIT = 10_000
MAX_INTRADAY_DAYS = 62
_FRAME = re.compile(r"^(\d+)\s*(Min|T|Hour|H|Day|D|Week|W|Month|M)$")
_UNITS = {"T": "Min", "H": "Hour", "D": "Day", "W": "Week", "M": "Month"}

Grouper = Callable[[np.ndarray], np.ndarray]
Stamp = Callable[[int], Any]  # an instant (ns) as a message writes it


@dataclasses.dataclass(frozen=True, slots=True)
class _Frame:
    """An Alpaca timeframe: the market's bars it is built from, and how they group (None: as
    they are). `span` is the longest one of its bars runs, in ns (an intraday bar's length)."""

    base: Interval
    group: Grouper | None
    span: int


def _frame(text: str) -> _Frame:
    """Parse an Alpaca timeframe."""
    match = _FRAME.match(text.strip())
    allowed = "{1-59}Min, {1-23}Hour, 1Day, 1Week, {1,2,3,6,12}Month"
    if match is None:
        raise ValidationError(f"invalid timeframe {text!r}; allowed: {allowed}")
    n, unit = int(match.group(1)), _UNITS.get(match.group(2), match.group(2))
    if unit in ("Min", "Hour") and 1 <= n <= (59 if unit == "Min" else 23):
        # hours too are grouped from the minutes as served, so that an hour's volume is the
        # sum of its 1Min bars' (each rounded as served), not the rounded sum of raw volumes
        span = n * (Interval.M1 if unit == "Min" else Interval.H1).ns
        whole = unit == "Min" and n == 1
        return _Frame(Interval.M1, None if whole else (lambda ts: ts - ts % span), span)  # 00:00Z
    if unit == "Day" and n == 1:
        return _Frame(Interval.D1, None, NS_PER_DAY)
    if unit == "Week" and n == 1:
        return _Frame(
            Interval.D1, lambda ts: ts - ((ts // NS_PER_DAY + 3) % 7) * NS_PER_DAY, 7 * NS_PER_DAY
        )
    if unit == "Month" and n in (1, 2, 3, 6, 12):
        return _Frame(
            Interval.D1,
            lambda ts: np.array([_month_start(int(t), n) for t in ts]),
            n * 31 * NS_PER_DAY,
        )
    raise ValidationError(f"invalid timeframe {text!r}; allowed: {allowed}")


def _month_start(ts: int, months: int) -> int:
    moment = datetime.fromtimestamp(ts // 1_000_000_000, tz=UTC)
    month = (moment.month - 1) // months * months + 1
    return int(datetime(moment.year, month, 1, tzinfo=UTC).timestamp()) * 1_000_000_000


def _group(series: BarSeries, keys: np.ndarray, inst: Instrument) -> BarSeries:
    """One bar per run of equal `keys`, stamped with it; its volume is the sum of its parts'
    as they are served (rounded as `trade_size` rounds them)."""
    if not len(series):
        return series
    volume = np.round(series.volume, 0 if _whole(inst) else _COIN_PLACES)
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
        np.add.reduceat(volume, starts),
    )


def stamped_as_alpaca(series: BarSeries, inst: Instrument, now: int) -> BarSeries:
    """Day-based bars (labelled midnight UTC of their date) stamped as Alpaca stamps them: a
    US stock's at midnight in New York of its date (`2024-01-02T05:00:00Z`), any other's at
    midnight UTC (crypto's, as Alpaca has since 2025: relabelled, a coin's day, which runs
    from midnight UTC, would have been stamped hours after its first prints). A bar stamped
    after now (an FX day opens at 17:00 New York the evening before its date) is left out."""
    if len(series) and inst.calendar in EXTENDED_HOURS_CALENDARS:  # the US exchanges
        dates = (datetime.fromtimestamp(int(t) // 1_000_000_000, tz=UTC).date() for t in series.ts)
        ts = [to_ns(datetime.combine(d, time.min, NEW_YORK)) for d in dates]
        series = dataclasses.replace(series, ts=np.array(ts, dtype=np.int64))
    return series.window(0, now + 1)


def completed(c: Ctx, symbol: str, base: Interval, start: int, end: int) -> BarSeries:
    """Bars of `base` starting in [start, end) as they stand at the current instant: intraday
    bars once complete; day bars too, and today's as far as its session has gone, as Alpaca
    serves the day's bar while it forms (never a price from later in the day)."""
    now = c.now_ns()
    market = c.container.market
    series = market.bars(symbol, base, start, min(end, now))
    if base is Interval.D1:
        inst = c.catalog.get(symbol)
        days = c.container.engine.sessions.for_instrument(inst).days

        def minutes(d: int) -> BarSeries:
            return market.bars(symbol, Interval.M1, int(days.open[d]), now)

        return today_so_far(series, inst, days, now, minutes)
    done = int(np.searchsorted(series.ts, now - base.ns, side="right"))
    return series.window(start, int(series.ts[done - 1]) + 1) if done else series.window(0, 0)


def today_so_far(
    days_series: BarSeries,
    inst: Instrument,
    days: DayTable,
    now: int,
    minutes: Callable[[int], BarSeries],
) -> BarSeries:
    """`days_series` (`inst`'s day bars up to now, from the market) with the bar of the
    session in progress (if any) rebuilt from the minutes completed so far, or dropped before
    its session opens (at 03:00 on a trading day, or on a weekend, the day's bar is still in
    the future). `minutes(d)`: trading day `d`'s minute bars from its open up to now."""
    if not len(days_series):
        return days_series
    last = int(days_series.ts[-1])
    d = int(np.searchsorted(days.day, last))
    if d == len(days.day) or int(days.day[d]) != last or now >= int(days.close[d]):
        return days_series  # the last bar's session is over (or not ours): complete
    earlier = days_series.window(0, last)
    done = minutes(d).window(0, now - Interval.M1.ns + 1)  # complete minutes only
    if not len(done):
        return earlier  # before the open: no bar yet
    today = _group(done, np.full(len(done), last, dtype=np.int64), inst)
    return BarSeries.concat([earlier, today], inst.symbol, Interval.D1)


_WHOLE = (AssetClass.EQUITY, AssetClass.ETF)  # shares trade whole on the tape
_COIN_PLACES = 8


def _whole(inst: Instrument) -> bool:
    return inst.lot_size >= 1 or inst.asset_class in _WHOLE


def trade_size(inst: Instrument, size: float) -> float | int:
    """A traded quantity as Alpaca gives it: whole shares for stocks, else the amount (no
    binary noise from summing float sizes)."""
    return round(size) if _whole(inst) else round(size, _COIN_PLACES)


def bar_json(
    series: BarSeries, i: int, places: int, inst: Instrument, stamp: Stamp = iso
) -> dict[str, Any]:
    """Bar `i` of `series` as Alpaca's, its start written by `stamp` (RFC 3339 by default)."""
    volume = trade_size(inst, float(series.volume[i]))
    return {
        "t": stamp(int(series.ts[i])),
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
    of the next page (None on the last page): those stamped from `start` to `end`, both
    included (see `_bar_span`), complete by now (today's day-based bars as far as they have
    gone)."""
    frame = _frame(timeframe)
    daily = frame.base is Interval.D1
    begin, stop = _bar_span(start, end, c.now_ns(), daily)
    if not daily and stop - begin > MAX_INTRADAY_DAYS * NS_PER_DAY:
        raise ValidationError(
            f"at most {MAX_INTRADAY_DAYS} days of intraday bars per request; "
            "narrow start/end or use 1Day"
        )
    resume_symbol, resume_at = page_resume(page_token, [name for name, _ in symbols])
    out: dict[str, list[dict[str, Any]]] = {}  # a symbol without bars is left out, as on Alpaca
    left = limit
    skipping = bool(resume_symbol)
    for name, inst in symbols:
        if skipping and name != resume_symbol:
            continue
        series = _framed(c, inst, frame, begin, stop)
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


def _bar_span(start: str | None, end: str | None, now: int, daily: bool) -> tuple[int, int]:
    """The first and last instant (both included) of the stamps a bars request asks for:
    `end` no later than now, by default now; `start` by default the start of that day (UTC),
    as on Alpaca. A date means its whole day: in New York, as for quotes and trades, but for
    day-based bars the UTC day, which holds the bar of that date whichever midnight stamps
    it. 422 when `start` is after that."""
    stop = min(_bar_edge(end, "end", daily) or now, now)
    begin = _bar_edge(start, "start", daily)
    if begin is None:
        begin = stop - stop % NS_PER_DAY
    if begin > stop:
        raise ValidationError("start must not be after end (or now)", parameter="start")
    return begin, stop


def _bar_edge(text: str | None, what: str, daily: bool) -> int | None:
    return instant(text, what, end_of_day=what == "end", zone=UTC if daily else NEW_YORK)


def _framed(c: Ctx, inst: Instrument, frame: _Frame, begin: int, stop: int) -> BarSeries:
    """`inst`'s bars of `frame` stamped in [begin, stop], complete by now. An aggregate is
    built from its whole span (one `begin` or `stop` cuts into is read whole, as its stamp
    decides whether it is asked for): an intraday one is served once that span has passed,
    a week or month as far as it has gone, as the day bar is."""
    now = c.now_ns()
    if frame.base is Interval.D1:
        # a US day bar's stamp is its label's plus 4-5 hours: the day before `begin` may belong;
        # a week or month stamped by `stop` runs up to `frame.span` past it
        series = completed(c, inst.symbol, frame.base, begin - NS_PER_DAY, stop + frame.span)
        if frame.group is not None:
            series = _group(series, frame.group(series.ts), inst)
        return stamped_as_alpaca(series, inst, now).window(begin, stop + 1)
    first, last = (begin - begin % frame.span, stop - stop % frame.span)
    series = completed(c, inst.symbol, frame.base, first, last + frame.span)
    if frame.group is not None:
        series = _group(series, frame.group(series.ts), inst)
    return series.window(begin, min(stop, now - frame.span) + 1)


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
