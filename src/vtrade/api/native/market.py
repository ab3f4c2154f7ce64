"""Market data for any authenticated caller: instruments, the clock, quotes, books and bars.

Everything is as of the simulated now: no quote, book or bar reveals a later instant.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from vtrade.api.native.common import Who, api, at, read_token, token_for
from vtrade.api.native.schemas_market import (
    BarPublic,
    BarsPublic,
    BookPublic,
    ClockPublic,
    InstrumentList,
    InstrumentPublic,
    LevelPublic,
    QuotePublic,
    SessionPhasePublic,
)
from vtrade.api.native.types import Token, errors
from vtrade.api.paging import instant
from vtrade.bootstrap import Container
from vtrade.core.clock import NS_PER_DAY, iso
from vtrade.core.errors import ValidationError
from vtrade.core.money import decimals_of
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Interval
from vtrade.market.bars import BarSeries, empty

router = APIRouter(tags=["market data"])

Symbol = Annotated[str, Path(description="Symbol, e.g. AAPL, BTC-USD, EUR/USD, VOD.L")]
# The longest range one request may ask for, per interval (days).
MAX_SPAN_DAYS = {"1m": 31, "5m": 93, "15m": 93, "1h": 366, "1d": 366 * 20}


@router.get(
    "/instruments",
    response_model=InstrumentList,
    summary="List instruments",
    description="The tradable universe, filtered by asset class, venue and a search text "
    "(matched against symbol and name, ignoring case).",
    responses=errors(401, 422, 429),
)
async def list_instruments(
    request: Request,
    _who: Who,
    asset_class: Annotated[
        AssetClass | None, Query(description="equity, etf, crypto, fx, commodity or index")
    ] = None,
    venue: Annotated[str | None, Query(max_length=16, description="e.g. XNAS, XLON")] = None,
    search: Annotated[str | None, Query(max_length=64, description="Part of symbol/name")] = None,
) -> InstrumentList:
    catalog = api(request).container.catalog
    found = catalog.filter(asset_class=asset_class, venue=venue)
    if search:
        text = search.strip().lower()
        found = [i for i in found if text in i.symbol.lower() or text in i.name.lower()]
    return InstrumentList(instruments=[instrument_public(i) for i in found])


@router.get(
    "/instruments/{symbol:path}",
    response_model=InstrumentPublic,
    summary="Get an instrument",
    responses=errors(401, 404, 429),
)
async def get_instrument(request: Request, _who: Who, symbol: Symbol) -> InstrumentPublic:
    return instrument_public(api(request).container.catalog.get(symbol))


@router.get(
    "/clock",
    response_model=ClockPublic,
    summary="Simulated clock and session phases",
    description="The simulated now and, per exchange calendar, the session phase (US "
    "calendars include pre- and post-market) and the next regular open and close.",
    responses=errors(401, 429),
)
async def clock(request: Request, _who: Who) -> ClockPublic:
    c = api(request).container
    now = c.clock.now_ns()
    venues: dict[str, set[str]] = {}
    for inst in c.catalog:
        venues.setdefault(inst.calendar, set()).add(inst.venue)
    phases = []
    for name in c.sessions.names:
        calendar = c.sessions.calendar(name, extended=True)
        state = calendar.state(now)
        phases.append(
            SessionPhasePublic(
                calendar=name,
                phase=state.phase.value,
                is_open=state.phase.value == "regular",
                trading_day=(at(state.trading_day) or "")[:10] or None,
                next_open=at(state.next_open),
                next_close=at(state.next_close),
                day_orders_expire=at(calendar.next_boundary("close", now)),
                venues=sorted(venues.get(name, ())),
            )
        )
    return ClockPublic(now=iso(now), sessions=phases)


@router.get(
    "/quotes/{symbol:path}",
    response_model=QuotePublic,
    summary="Latest quote",
    responses=errors(401, 404, 429),
)
async def quote(request: Request, _who: Who, symbol: Symbol) -> QuotePublic:
    c = api(request).container
    inst = c.catalog.get(symbol)
    now = c.clock.now_ns()
    q = c.market.quote(inst.symbol, now)
    mid = q.mid
    return QuotePublic(
        symbol=inst.symbol,
        ts=iso(q.ts_event),
        bid=q.bid,
        ask=q.ask,
        bid_size=q.bid_size,
        ask_size=q.ask_size,
        mid=mid.quantize(inst.tick_size / 2).normalize(),
        spread_bps=round(float((q.ask - q.bid) / mid) * 1e4, 3) if mid else 0.0,
        currency=inst.currency,
        phase=c.sessions.for_instrument(inst).phase(now).value,
    )


@router.get(
    "/books/{symbol:path}",
    response_model=BookPublic,
    summary="Order book (L2)",
    description="Depth per side, best first, after the liquidity our own orders consumed.",
    responses=errors(401, 404, 422, 429),
)
async def book(
    request: Request,
    _who: Who,
    symbol: Symbol,
    depth: Annotated[int, Query(ge=1, le=100, description="Levels per side")] = 10,
) -> BookPublic:
    c = api(request).container
    inst = c.catalog.get(symbol)
    levels = c.market.books.levels
    if depth > levels:
        raise ValidationError(f"depth must be 1..{levels}, got {depth}", parameter="depth")
    snap = c.market.book(inst.symbol, c.clock.now_ns(), depth)
    return BookPublic(
        symbol=inst.symbol,
        ts=iso(snap.ts_event),
        bids=[LevelPublic(price=lv.price, size=lv.size) for lv in snap.bids],
        asks=[LevelPublic(price=lv.price, size=lv.size) for lv in snap.asks],
    )


@router.get(
    "/bars/{symbol:path}",
    response_model=BarsPublic,
    summary="OHLCV bars",
    description=(
        "Completed bars, oldest first. With `start`, the first `limit` bars from it up to "
        "`end` (default: now), and a `next_page_token` while more remain: pass it back as "
        "`page_token`, with the same query, for the next page. Without `start`, the last "
        "`limit` bars before `end`. One page reads at most 31 days of 1m bars (93 of 5m and "
        "15m, 366 of 1h): a longer range comes in more pages. Intraday bars are aligned to UTC "
        "multiples of the interval and include US pre/post-market minutes; 1d bars are "
        "regular sessions labelled by session date."
    ),
    responses=errors(401, 404, 422, 429),
)
async def bars(
    request: Request,
    _who: Who,
    symbol: Symbol,
    interval: Annotated[
        Literal["1m", "5m", "15m", "1h", "1d"], Query(description="1m, 5m, 15m, 1h or 1d")
    ] = "1m",
    start: Annotated[str | None, Query(description="First bar start (ISO 8601)")] = None,
    end: Annotated[str | None, Query(description="Exclusive end (ISO 8601); default now")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Most bars (1-10000)")] = 100,
    page_token: Token = None,
) -> BarsPublic:
    c = api(request).container
    inst = c.catalog.get(symbol)
    step = Interval(interval)
    cap = _completed_before(c, inst, step)
    end_ns = min(instant(end, "end") or cap, cap)
    start_ns = instant(start, "start")
    resume = _resume_at(page_token, inst, interval)
    if resume is not None:
        start_ns = resume if start_ns is None else max(start_ns, resume)
    elif start_ns is not None and start_ns >= end_ns:
        raise ValidationError("start must be before end (and before now)", parameter="start")
    if start_ns is None:
        page, next_ns = _last(c, inst, step, end_ns, limit), None
    else:
        page, next_ns = _page(c, inst, step, start_ns, end_ns, limit)
    token = None if next_ns is None else token_for(next_ns, "bars", _bars_key(inst, interval))
    return BarsPublic(
        symbol=inst.symbol, interval=interval, bars=_public(inst, page), next_page_token=token
    )


# -- internals ------------------------------------------------------------------------------


def instrument_public(i: Instrument) -> InstrumentPublic:
    m = i.market
    return InstrumentPublic(
        symbol=i.symbol,
        name=i.name,
        asset_class=i.asset_class,
        venue=i.venue,
        calendar=i.calendar,
        currency=i.currency,
        sector=i.sector,
        industry=i.industry,
        tick_size=i.tick_size,
        lot_size=i.lot_size,
        multiplier=i.multiplier,
        shortable=i.shortable,
        marginable=i.marginable,
        extended_hours=i.extended_hours,
        reference_price=m.reference_price,
        avg_daily_volume=m.avg_daily_volume,
        typical_spread_bps=m.typical_spread_bps,
        daily_volatility=m.daily_volatility,
    )


def _completed_before(c: Container, inst: Instrument, step: Interval) -> int:
    """The start bound below which every bar of `step` has ended by now."""
    now = c.clock.now_ns()
    if step is not Interval.D1:
        return now - now % step.ns
    days = c.sessions.for_instrument(inst).days
    d = days.index_on_or_before(now)
    if d < 0:
        return now - now % NS_PER_DAY
    label = int(days.day[d])
    return label + 1 if now >= int(days.close[d]) else label


def _bars_key(inst: Instrument, interval: str) -> str:
    """What a bars page token is for: a token of other bars is refused."""
    return f"bars {inst.symbol} {interval}"


def _resume_at(token: str | None, inst: Instrument, interval: str) -> int | None:
    """The start of the page a bars token asks for (None without a token)."""
    found = read_token(token, _bars_key(inst, interval))
    return None if found is None else found[0]


def _page(
    c: Container, inst: Instrument, step: Interval, start_ns: int, end_ns: int, limit: int
) -> tuple[BarSeries, int | None]:
    """The first `limit` bars in [start_ns, end_ns), read at most one span of the interval
    at a time, and where the next page starts (None when this page reaches `end_ns`)."""
    start_ns = max(start_ns, c.sessions.first_ns)  # no empty pages before the market starts
    window_end = min(end_ns, start_ns + MAX_SPAN_DAYS[step.value] * NS_PER_DAY)
    series = _series(c, inst, step, start_ns, window_end)
    if len(series) > limit:
        next_ns = int(series.ts[limit])
        return series.window(start_ns, next_ns), next_ns
    return series, (window_end if window_end < end_ns else None)


def _last(c: Container, inst: Instrument, step: Interval, end_ns: int, limit: int) -> BarSeries:
    """The last `limit` bars before `end_ns`, looking back at most one span of the interval."""
    max_span = MAX_SPAN_DAYS[step.value] * NS_PER_DAY
    span = limit * step.ns * (2 if step is Interval.D1 else 1)
    while True:
        span = min(span, max_span)
        found = _series(c, inst, step, end_ns - span, end_ns)
        if len(found) >= limit or span >= max_span:
            break
        span *= 4
    if len(found) > limit:
        found = found.window(int(found.ts[-limit]), end_ns)
    return found


def _series(
    c: Container, inst: Instrument, step: Interval, start_ns: int, end_ns: int
) -> BarSeries:
    start_ns = max(start_ns, c.sessions.first_ns)  # the synthetic market starts there
    if start_ns >= end_ns:
        return empty(inst.symbol, step)
    return c.market.bars(inst.symbol, step, start_ns, end_ns)


def _public(inst: Instrument, series: BarSeries) -> list[BarPublic]:
    daily = series.interval is Interval.D1
    return [
        BarPublic(
            ts=iso(b.ts_start)[:10] + "T00:00:00Z" if daily else iso(b.ts_start),
            open=b.open,
            high=b.high,
            low=b.low,
            close=b.close,
            volume=b.volume,
        )
        for b in series.bars(decimals_of(inst.tick_size), decimals_of(inst.lot_size))
    ]
