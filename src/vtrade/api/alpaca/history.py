"""`/v2/account/portfolio/history` and `/v2/account/activities` (§3.1, §6, §7.5).

History comes from the equity snapshots (cold storage) plus the live NAV; activities are the
account's fills (`FILL`) and its non-trade cash movements: deposits and resets (`CSD`/`CSW`),
fees and stock borrow fees (`FEE`) and margin interest (`INT`), so that they add up to the cash.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from vtrade.api.alpaca.common import (
    NEW_YORK,
    Ctx,
    CtxDep,
    after_instant,
    csv_list,
    day_of,
    instant,
)
from vtrade.api.alpaca.schemas import (
    alpaca_symbol,
    avg_price,
    dec,
    known_instrument,
    money,
    order_status,
)
from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE, iso
from vtrade.core.errors import ValidationError
from vtrade.domain.accounts import EntryKind, LedgerEntry
from vtrade.domain.orders import Fill, Order
from vtrade.domain.portfolio import EquityPoint, SnapshotKind
from vtrade.market.sessions import Phase

router = APIRouter(tags=["alpaca: account history"])

_PERIOD = re.compile(r"^(\d+)([DWMA])$")
_PERIOD_DAYS = {"D": 1, "W": 7, "M": 30, "A": 365}
TIMEFRAMES = {
    "1Min": NS_PER_MINUTE,
    "5Min": 5 * NS_PER_MINUTE,
    "15Min": 15 * NS_PER_MINUTE,
    "1H": 60 * NS_PER_MINUTE,
    "1D": NS_PER_DAY,
}
# Which phases of the US equity day intraday history reports, by Alpaca's `intraday_reporting`
# (None: every instant, nights and weekends too)
REPORTING: dict[str, frozenset[Phase] | None] = {
    "market_hours": frozenset({Phase.REGULAR}),
    "extended_hours": frozenset({Phase.PRE, Phase.REGULAR, Phase.POST}),
    "continuous": None,
}
ACTIVITY_TYPES = ("FILL", "CSD", "CSW", "FEE", "INT", "DIV")  # the ones an account here has
# every type Alpaca knows (alpaca-py's ActivityType): asked for, the others list nothing
KNOWN_ACTIVITY_TYPES = (
    *ACTIVITY_TYPES,
    *"ACATC ACATS CFEE CIL DIVCGL DIVCGS DIVNRA DIVROC DIVTXEX DIVWH EXTRD FXTRD".split(),
    *"INTPNL JNLC JNLS MA MEM NC OCT OPASN OPCSH OPEXC OPEXP OPTRD PTC REORG SPIN".split(),
    *"SPLIT SWP VOF WH".split(),
)
PAGE_SIZE = 100  # an activities page's default and most, unless a `date` lists its whole day
MAX_SCAN = 10_000  # fills and ledger entries read per activities request


def _period_ns(period: str) -> int:
    match = _PERIOD.match(period.strip().upper())
    if match is None:
        raise ValidationError(
            f"unknown period {period!r}: use a number and D, W, M or A, e.g. 1D, 1W, 1M, 1A"
        )
    return int(match.group(1)) * _PERIOD_DAYS[match.group(2)] * NS_PER_DAY


def _bucket(ts_ns: int, frame_ns: int) -> int:
    """Start of the timeframe bucket holding `ts_ns` (days start at midnight in New York)."""
    if frame_ns < NS_PER_DAY:
        return ts_ns - ts_ns % frame_ns
    moment = datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC).astimezone(NEW_YORK)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp()) * 1_000_000_000


@router.get("/v2/account/portfolio/history", summary="Get the portfolio history")
async def portfolio_history(
    c: CtxDep,
    period: Annotated[str | None, Query(description="e.g. 1D, 1W, 1M (default), 1A")] = None,
    timeframe: Annotated[Literal["1Min", "5Min", "15Min", "1H", "1D"] | None, Query()] = None,
    start: Annotated[str | None, Query()] = None,
    end: Annotated[str | None, Query()] = None,
    date_start: Annotated[str | None, Query()] = None,
    date_end: Annotated[str | None, Query()] = None,
    extended_hours: Annotated[bool | None, Query()] = None,
    intraday_reporting: Annotated[
        Literal["market_hours", "extended_hours", "continuous"] | None,
        Query(description="intraday points: market_hours (default), extended_hours, continuous"),
    ] = None,
    pnl_reset: Annotated[
        Literal["per_day", "no_reset"] | None,
        Query(description="intraday: P/L from each day's previous close (per_day, default)"),
    ] = None,
    cashflow_types: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """Equity and P&L over time, one point per timeframe bucket, ending at the live NAV
    (intraday: when now is in the hours reported, see `_in_reported_hours`)."""
    now = c.now_ns()
    stop = instant(end, "end") or instant(date_end, "date_end", end_of_day=True) or now
    begin = instant(start, "start") or instant(date_start, "date_start")
    length = _period_ns(period) if period else None
    if begin is None:  # whole days ending on the market date, as Alpaca counts a period: 1D
        # is today once the session opened, else the last session's day (no period: 1M)
        length = length or _period_ns("1M")
        dated = stop if stop != now else _market_date_opened(c, now, bool(extended_hours))
        begin = _next_midnight(dated - length)
    elif length is not None and end is None and date_end is None:
        stop = begin + length
    if stop <= begin:
        raise ValidationError("end must be after start")
    frame = timeframe or _default_timeframe(length or stop - begin)
    frame_ns = TIMEFRAMES[frame]
    equity = c.container.portfolio.equity
    kind = SnapshotKind.CLOSE.value if frame == "1D" else None
    points = list(equity.points(c.account_id, begin, min(stop, now), kind=kind))
    if stop >= now:
        nav = c.container.engine.view(c.account_id, now).nav
        points.append(EquityPoint(account_id=c.account_id, ts_ns=now, nav=nav, cash=nav))
    if frame != "1D":
        points = _in_reported_hours(c, points, extended_hours, intraday_reporting)
    buckets: dict[int, Decimal] = {}
    for p in sorted(points, key=lambda p: p.ts_ns):
        buckets[_bucket(p.ts_ns, frame_ns)] = p.nav
    before = equity.latest([c.account_id], begin, SnapshotKind.CLOSE.value).get(c.account_id)
    # the last close before the window, else what the account opened with (its first point
    # is already after some trading: a base taken there would hide that day's P&L)
    base = before.nav if before is not None else c.account.initial_balance
    stamps = sorted(buckets)
    values = [round(float(buckets[t]), 2) for t in stamps]
    base_f = round(float(base), 2)
    bases = [base_f] * len(stamps)
    if frame != "1D" and (pnl_reset or "per_day") == "per_day":  # Alpaca's intraday default
        closes = equity.points(c.account_id, begin, min(stop, now), kind=SnapshotKind.CLOSE.value)
        bases = _previous_closes(stamps, list(closes), base_f)
    return {
        "timestamp": [t // 1_000_000_000 for t in stamps],
        "equity": values,
        "profit_loss": [round(v - b, 2) for v, b in zip(values, bases, strict=True)],
        "profit_loss_pct": [
            round((v - b) / b, 8) if b else 0.0 for v, b in zip(values, bases, strict=True)
        ],
        "base_value": base_f,
        "base_value_asof": _ny_date(before.ts_ns if before is not None else begin),
        "timeframe": frame,
        "cashflow": {},
    }


def _in_reported_hours(
    c: Ctx, points: list[EquityPoint], extended_hours: bool | None, reporting: str | None
) -> list[EquityPoint]:
    """The intraday points in the hours Alpaca reports: the regular US session by default,
    pre- and post-market too with `extended_hours`, all of them when `continuous`."""
    phases = REPORTING[reporting or ("extended_hours" if extended_hours else "market_hours")]
    if phases is None:
        return points
    us_day = c.container.sessions.calendar("XNYS", extended=True)
    return [p for p in points if us_day.phase(p.ts_ns) in phases]


def _default_timeframe(span_ns: int) -> str:
    """Alpaca's default for a period (or a start-to-end span): 1Min under 7 days, 15Min under
    30, else 1D. A period counts as asked for (1W, 1M), not as its whole days ending today."""
    if span_ns < 7 * NS_PER_DAY:
        return "1Min"
    return "15Min" if span_ns < 30 * NS_PER_DAY else "1D"


def _previous_closes(stamps: list[int], closes: list[EquityPoint], base: float) -> list[float]:
    """Each intraday point's base with `pnl_reset=per_day`: the equity at the last close
    before its New York day began (`base`, the window's, before the first close in it)."""
    ordered = sorted(closes, key=lambda p: p.ts_ns)
    found, k, current = [], 0, base
    for t in stamps:
        day = _bucket(t, NS_PER_DAY)
        while k < len(ordered) and ordered[k].ts_ns < day:
            current = round(float(ordered[k].nav), 2)
            k += 1
        found.append(current)
    return found


def _market_date_opened(c: Ctx, now: int, extended: bool) -> int:
    """When the current market date's session opened: today's once it has (its pre-market
    with `extended`), else the last one's. Alpaca rolls the date over at the open: a 1D
    history before it, or at a weekend, is the last session's, not an empty today."""
    days = c.container.sessions.calendar("XNYS", extended=True).days
    opens = days.start if extended else days.open
    i = max(days.index_on_or_before(now), 0)
    while i > 0 and int(opens[i]) > now:
        i -= 1
    return int(opens[i])


def _next_midnight(ts_ns: int) -> int:
    """The first midnight in New York after `ts_ns` (days of 23 or 25 hours included)."""
    return _bucket(_bucket(ts_ns, NS_PER_DAY) + NS_PER_DAY + 3 * NS_PER_DAY // 24, NS_PER_DAY)


def _ny_date(ns: int) -> str:
    moment = datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC).astimezone(NEW_YORK)
    return moment.date().isoformat()


def _activity_id(ts_ns: int, ref: str) -> str:
    moment = datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC)
    millis = (ts_ns // 1_000_000) % 1000
    return f"{moment:%Y%m%d%H%M%S}{millis:03d}::{ref}"


def _fill_activities(c: Ctx, fills: list[Fill]) -> list[tuple[int, dict[str, Any]]]:
    orders: dict[str, Order | None] = {}
    cumulative: dict[str, list[Fill]] = {}
    out: list[tuple[int, dict[str, Any]]] = []
    for f in fills:
        if f.order_id not in orders:
            orders[f.order_id] = c.container.store.get_order(f.order_id)
            cumulative[f.order_id] = sorted(
                c.container.store.list_fills(c.account_id, order_id=f.order_id, limit=MAX_SCAN),
                key=lambda x: (x.ts_ns, x.id),
            )
        order = orders[f.order_id]
        done = cumulative[f.order_id]
        upto = done[: next((i + 1 for i, x in enumerate(done) if x.id == f.id), len(done))]
        cum = sum((x.qty for x in upto), Decimal(0))
        total = order.qty if order is not None else cum
        leaves = max(total - cum, Decimal(0))
        partial = leaves > 0
        inst = known_instrument(c.catalog, f.symbol)
        out.append(
            (
                f.ts_ns,
                {
                    "id": _activity_id(f.ts_ns, f.id),
                    "account_id": c.account_id,
                    "activity_type": "FILL",
                    "transaction_time": iso(f.ts_ns),
                    "type": "partial_fill" if partial else "fill",
                    "price": avg_price(f.price, inst),
                    "qty": dec(f.qty),
                    "side": f.side.value,
                    "symbol": alpaca_symbol(inst) if inst else f.symbol,
                    "leaves_qty": dec(leaves),
                    "order_id": f.order_id,
                    "cum_qty": dec(cum),
                    "order_status": "partially_filled"
                    if partial
                    else (order_status(order) if order is not None else "filled"),
                },
            )
        )
    return out


def _ledger_activity(c: Ctx, e: LedgerEntry) -> tuple[str, dict[str, Any]] | None:
    if e.kind is EntryKind.TRADE or not e.amount:
        return None
    if e.kind is EntryKind.FEE:
        kind, text = "FEE", e.note or "trading fees"
    elif e.kind in (EntryKind.INTEREST, EntryKind.FINANCING):
        kind, text = "INT", e.note
    elif e.kind is EntryKind.BORROW_FEE:
        kind, text = "FEE", e.note
    elif e.amount > 0:
        kind, text = "CSD", e.note or ("account reset" if e.kind is EntryKind.RESET else "deposit")
    else:
        kind, text = "CSW", e.note or "account reset"
    return kind, {
        "id": _activity_id(e.ts_ns, e.id),
        "account_id": c.account_id,
        "activity_type": kind,
        "date": _ny_date(e.ts_ns),
        "net_amount": money(e.amount),
        "description": text,
        "status": "executed",
    }


def activities(
    c: Ctx,
    types: list[str],
    category: str | None,
    date: str | None,
    until: str | None,
    after: str | None,
    direction: str,
    page_size: int | None,
    page_token: str | None,
) -> list[dict[str, Any]]:
    """The account's activities filtered and paged as Alpaca does (newest first by default;
    `page_token` is the id of the last item of the previous page; a `date` lists all of its
    day unless `page_size` says otherwise, else pages hold at most 100)."""
    unknown = [t for t in types if t not in KNOWN_ACTIVITY_TYPES]
    if unknown:
        raise ValidationError(
            f"unknown activity types {unknown}; allowed: {', '.join(KNOWN_ACTIVITY_TYPES)}"
        )
    if date is None and page_size is not None and page_size > PAGE_SIZE:
        raise ValidationError(
            f"page_size {page_size} is over {PAGE_SIZE}; a date's activities take any size",
            parameter="page_size",
        )
    wanted = set(types) or set(ACTIVITY_TYPES)
    if category == "trade_activity":
        wanted &= {"FILL"}
    elif category == "non_trade_activity":
        wanted -= {"FILL"}
    after_ns, until_ns = after_instant(after), instant(until, "until")
    day = day_of(date, "date")  # alpaca-py sends a date as its midnight: 2026-11-18T00:00:00Z
    if day is not None:
        after_ns = (instant(day.isoformat(), "date") or 0) - 1
        until_ns = instant(day.isoformat(), "date", end_of_day=True)
    items: list[tuple[int, dict[str, Any]]] = []
    if "FILL" in wanted:
        fills = c.container.store.page_fills(
            c.account_id,
            after_ns=after_ns,
            until_ns=until_ns,
            ascending=direction == "asc",
            limit=MAX_SCAN,
        )
        items += _fill_activities(c, fills)
    for e in c.container.store.ledger(c.account_id):
        if (after_ns is not None and e.ts_ns <= after_ns) or (
            until_ns is not None and e.ts_ns >= until_ns
        ):
            continue
        found = _ledger_activity(c, e)
        if found is not None and found[0] in wanted:
            items.append((e.ts_ns, found[1]))
    items.sort(key=lambda item: (item[0], item[1]["id"]), reverse=direction != "asc")
    ordered = [item[1] for item in items]
    if page_token:
        ids = [a["id"] for a in ordered]
        if page_token not in ids:
            raise ValidationError(
                f"invalid page_token {page_token!r}: pass the id of the last activity of the "
                "previous page, with the same filters",
                parameter="page_token",
            )
        ordered = ordered[ids.index(page_token) + 1 :]
    if page_size is None:
        page_size = PAGE_SIZE if day is None else len(ordered)
    return ordered[:page_size]


Direction = Annotated[Literal["asc", "desc"], Query(description="desc (newest first) or asc")]
PageSize = Annotated[
    int | None, Query(ge=1, description="at most 100 (default), any with `date` (default all)")
]


@router.get("/v2/account/activities", summary="List account activities")
async def list_activities(
    c: CtxDep,
    activity_types: Annotated[
        str | None, Query(description="comma-separated, e.g. FILL,CSD")
    ] = None,
    category: Annotated[Literal["trade_activity", "non_trade_activity"] | None, Query()] = None,
    date: Annotated[str | None, Query()] = None,
    until: Annotated[str | None, Query()] = None,
    after: Annotated[str | None, Query()] = None,
    direction: Direction = "desc",
    page_size: PageSize = None,
    page_token: Annotated[str | None, Query()] = None,
) -> list[dict[str, Any]]:
    types = [t.upper() for t in csv_list(activity_types)]
    return activities(c, types, category, date, until, after, direction, page_size, page_token)


@router.get("/v2/account/activities/{activity_type}", summary="List activities of one type")
async def list_activities_of_type(
    activity_type: str,
    c: CtxDep,
    date: Annotated[str | None, Query()] = None,
    until: Annotated[str | None, Query()] = None,
    after: Annotated[str | None, Query()] = None,
    direction: Direction = "desc",
    page_size: PageSize = None,
    page_token: Annotated[str | None, Query()] = None,
) -> list[dict[str, Any]]:
    types = [activity_type.strip().upper()]
    return activities(c, types, None, date, until, after, direction, page_size, page_token)
