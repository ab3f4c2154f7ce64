"""Pre-trade estimates: what an order would cost and how it would fill, without trading.

The estimate follows the engine's paths without changing any state: the venue's checks and
routing run on a scratch engine for a fresh account (`ExecutionEngine.preview`); the part
fillable now is a read-only walk (`walk`) of the same book `fills.take` consumes, at the
order's arrival (now plus the profile's latency); costs are split by `receipts.receipt`.

What the book cannot give now:

- A market order works the remainder at the profile's participation cap of the instrument's
  expected volume (`_expected_volume`: the intraday volume profile of `market.profiles`
  scaled to the average daily volume, with the closing auction's share in the last minute,
  times today's pace so far), until it is done or its day ends. The remainder is expected
  to pay the half-spread of the live book (the best opposite price) plus the square-root
  impact of its own size (`fills.impact`), so a buy's expected price never falls under the
  ask, nor a sell's over the bid.
- A limit order's rest (`resting_qty`): one that did not reach the opposite touch rests at
  its limit and fills only when the market trades at or through it (a share of that volume
  reaches it, at the limit, as the maker); a marketable one works on like a market order's
  rest while the book is within its limit. When either happens is not knowable, so there is no
  schedule for it and no price is made up: the expected price covers what fills now, and is
  null when nothing does.
- Outside its session a market order waits for the opening auction and fills there at the
  official open plus square-root impact (the mid now stands in for the open), up to the
  volume the auction usually crosses (about 1% of a US day); the rest works after the open
  (`resting_qty`). A limit order waits for the open and then takes or rests as above.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from vtrade.core.clock import NS_PER_MINUTE, iso
from vtrade.core.ids import IdGenerator
from vtrade.domain.accounts import Profile
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import BookLevel, Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, Slice, TimeInForce
from vtrade.execution import fills, routing
from vtrade.execution.accounting import Marks
from vtrade.execution.engine import ExecutionEngine
from vtrade.execution.fees import FeeContext, FeeQuote, Liquidity
from vtrade.execution.fills import Execution
from vtrade.execution.profiles import PROFILES, RealismProfile, arrival_ns
from vtrade.execution.receipts import receipt
from vtrade.execution.volumes import trade_date
from vtrade.market import profiles as intraday_profiles
from vtrade.market.books import Touch

BPS = Decimal(10_000)
HORIZONS = (1, 5, 15, 30, 60, 120, 240, 390)  # minutes from now shown in a schedule
PACE_AFTER_MINUTES = 15  # of the session, before today's volume says how busy the day is
PACE_BOUND = 4.0  # today runs at most this many times faster (or slower) than an average day
Schedule = tuple[tuple[int, Decimal], ...]  # (minutes from now, cumulative qty)
_NO_FEE = FeeQuote(total=Decimal(0), breakdown=())


@dataclass(frozen=True, slots=True)
class Estimate:
    """What an order would cost and how it would fill; prices in the quote currency."""

    symbol: str
    side: Side
    qty: Decimal
    profile: str
    phase: str
    next_open: int | None
    next_close: int | None
    tick_size: Decimal  # mids and averages show to a hundredth of it (`shown`)
    bid: Decimal
    ask: Decimal
    arrival_mid: Decimal
    fillable_now: Decimal
    avg_price_now: Decimal | None  # of the fillable part
    expected_avg_price: Decimal | None  # of what is expected to fill; None: nothing is
    # of what is expected to fill, against the arrival mid; None: nothing is
    spread_bps: Decimal | None
    impact_bps: Decimal | None
    fees: Decimal  # quote currency, on `fee_qty` at the expected price
    fees_vcr: Decimal
    fee_qty: Decimal  # what is expected to fill; a resting limit's whole qty, filled at it
    currency: str
    fx_rate: Decimal
    schedule: Schedule  # of the remainder worked at the participation cap
    # today's market volume so far over an average day's by this time, which scales the
    # schedule; None when too little of the session has passed to tell (or no schedule)
    volume_pace: Decimal | None
    accepted: bool
    reason: str | None
    resting_qty: Decimal  # rests at the limit (or waits for the open) with no schedule
    note: str | None  # how the part not fillable now would fill

    def shown(self, price: Decimal) -> Decimal:
        """A mid or an average price to a hundredth of a tick: what a person reads."""
        return price.quantize(self.tick_size / 100)


class _Plan(NamedTuple):
    """How the order is expected to fill: `expected` is what is expected to fill (the part
    taken now, then the scheduled remainder or the auction), None when nothing is."""

    now: tuple[Slice, ...]
    expected: Execution | None
    schedule: Schedule = ()
    resting_qty: Decimal = Decimal(0)
    note: str | None = None
    volume_pace: Decimal | None = None


def estimate(
    engine: ExecutionEngine,
    symbol: str,
    side: Side,
    qty: Decimal,
    t_ns: int,
    *,
    order_type: OrderType = OrderType.MARKET,
    limit_price: Decimal | None = None,
    profile: Profile = Profile.REALISTIC,
    account_id: str | None = None,
    tif: TimeInForce = TimeInForce.DAY,
    extended_hours: bool = False,
) -> Estimate:
    """Estimate `qty` of `symbol` bought or sold at `t_ns` under `profile`, as an order with
    `tif` and `extended_hours` would be routed: its fees at the tier `account_id`'s volumes
    give (a fresh account's without it)."""
    inst = engine.catalog.get(symbol)
    rules = PROFILES[profile]
    terms = _Terms(order_type, limit_price, tif, extended_hours)
    order = _preview(engine, inst.symbol, side, qty, terms, profile, t_ns)
    arrival = arrival_ns(order)
    marks = Marks(engine.catalog, engine.market.touch, arrival)
    fx = marks.fx(inst.currency)
    # the costs of the market it arrives at, whose bid and ask it shows: what the market does
    # in a profile's latency is its move (a receipt's drift), not a cost of the order
    order.arrival_mid = marks.mid(inst.symbol)
    book = engine.market.books.book(inst.symbol, arrival, engine.market.books.levels)
    calendar = engine.sessions.for_instrument(inst)
    closed = not routing.can_work(order, calendar.phase(arrival))
    fills_at = t_ns  # the fee tier is the one in force then (volumes restart with the month)
    if order.tif in routing.IMMEDIATE and closed:  # refused: it would neither wait nor fill
        plan = _Plan((), None, note=f"{order.tif.value} orders need an open market")
    elif not routing.executes_now(order, inst, calendar, arrival):
        due = order.due_ns or routing.next_workable(order, calendar, arrival)
        _, auctioned = routing.auction_due(order, inst, calendar, due)
        last = engine.market.touch(inst.symbol, arrival)
        plan = _waiting(order, inst, rules, last, due, t_ns, auctioned)
        fills_at = t_ns if due is None else due
    elif not rules.friction:
        plan = _at_the_mid(order)
    else:
        levels = book.asks if side is Side.BUY else book.bids
        plan = _taking(engine, order, inst, levels, rules, arrival)
    fee_qty, fee = _fees(engine, order, inst, plan, rules, fx, account_id, fills_at)
    spread_bps, impact_bps = _costs_bps(order, inst, plan, fx, profile)
    now_qty = sum((s.qty for s in plan.now), Decimal(0))
    now_notional = sum((s.price * s.qty for s in plan.now), Decimal(0))
    state = calendar.state(t_ns)
    assert order.arrival_mid is not None  # `preview` prices every order
    return Estimate(
        symbol=inst.symbol,
        side=side,
        qty=qty,
        profile=profile.value,
        phase=state.phase.value,
        next_open=state.next_open,
        next_close=state.next_close,
        tick_size=inst.tick_size,
        bid=book.bids[0].price,
        ask=book.asks[0].price,
        arrival_mid=order.arrival_mid,
        fillable_now=now_qty,
        avg_price_now=now_notional / now_qty if now_qty else None,
        expected_avg_price=None
        if plan.expected is None
        else _average(plan.expected.slices).quantize(inst.tick_size / 100),
        spread_bps=spread_bps,
        impact_bps=impact_bps,
        fees=fee.quantize(Decimal("0.01")),
        fees_vcr=(fee * fx).quantize(Decimal("0.01")),
        fee_qty=fee_qty,
        currency=inst.currency,
        fx_rate=fx,
        schedule=plan.schedule,
        volume_pace=plan.volume_pace,
        accepted=order.status is not OrderStatus.REJECTED,
        reason=order.reject_reason if order.status is OrderStatus.REJECTED else None,
        resting_qty=plan.resting_qty,
        note=plan.note,
    )


class _Terms(NamedTuple):
    """What the order is besides its side and size."""

    type: OrderType
    limit_price: Decimal | None
    tif: TimeInForce
    extended_hours: bool


def _preview(
    engine: ExecutionEngine,
    symbol: str,
    side: Side,
    qty: Decimal,
    terms: _Terms,
    profile: Profile,
    t_ns: int,
) -> Order:
    """The order as the venue would check and route it for a fresh account, on a scratch
    engine (nothing is kept or traded)."""
    scratch = ExecutionEngine(
        engine.catalog, engine.sessions, engine.market, engine.fees, IdGenerator(0), engine.config
    )
    account, _ = scratch.open_account(
        OpenAccount(id="est", ts_init=t_ns, owner="estimate", name="fresh", profile=profile.value),
        t_ns,
    )
    return scratch.preview(
        SubmitOrder(
            id="est",
            ts_init=t_ns,
            account_id=account.id,
            symbol=symbol,
            side=side,
            type=terms.type,
            qty=qty,
            limit_price=terms.limit_price,
            tif=terms.tif,
            extended_hours=terms.extended_hours,
        ),
        t_ns,
    )


def _taking(
    engine: ExecutionEngine,
    order: Order,
    inst: Instrument,
    levels: Sequence[BookLevel],
    rules: RealismProfile,
    t_ns: int,
) -> _Plan:
    """Take what the book gives now; work a market order's remainder, rest a limit's."""
    mid = order.arrival_mid
    assert mid is not None
    unit = fills.fill_unit(order, inst)
    wanted = fills.floor_lots(order.qty, inst.lot_size)
    now = fills.walk(
        levels, order.side, wanted, order.limit_price, share=rules.depth_share, unit=unit
    )
    rest = order.qty - sum((s.qty for s in now), Decimal(0))
    if rest > 0 and order.tif is TimeInForce.FOK:
        return _Plan((), None, note=_unfilled_fok(order, rest))
    # the touch its receipt will show (`fills.take`): the quoted one, or the best level left
    quoted = engine.market.touch(inst.symbol, t_ns)
    touch = fills.taker_touch(quoted, order.side, inst, now[0].price if now else levels[0].price)
    taken = Execution(now, touch, mid, Liquidity.TAKER) if now else None
    if rest <= 0:
        return _Plan(now, taken)
    if order.tif is TimeInForce.IOC:
        return _Plan(now, taken, note=f"ioc: the other {rest} is canceled, not worked")
    if order.limit_price is not None:
        taker = fills.marketable(order, engine.market, inst, t_ns)
        return _Plan(now, taken, resting_qty=rest, note=_resting_note(order, rest, rules, taker))
    ends, volume, pace = _expected_volume(engine, inst, t_ns)
    schedule, scheduled, note = _schedule(ends, volume, rest, t_ns, rules.participation, unit)
    if scheduled <= 0:
        return _Plan(now, taken, schedule, note=note, volume_pace=pace)
    sign = 1 if order.side is Side.BUY else -1
    # the minutes' slices at the participation cap, until the scheduled part is done, each
    # with the seconds since the one before (the flow fades over a lunch break too)
    worked = np.minimum(np.cumsum(volume) * float(rules.participation), float(scheduled))
    units = np.diff(worked, prepend=0.0)
    some = units > 0
    waits = np.diff((ends[some] - t_ns) / 1e9, prepend=0.0)
    slices = list(zip(units[some].tolist(), waits.tolist(), strict=True))
    model = engine.market.books.depth_model(inst)
    move = Decimal(repr(model.worked_impact(float(order.qty - rest), slices)))
    later = Slice(price=levels[0].price + sign * mid * move, qty=scheduled)
    expected = Execution((*now, later), touch, mid, Liquidity.TAKER)
    return _Plan(now, expected, schedule, note=note, volume_pace=pace)


def _at_the_mid(order: Order) -> _Plan:
    """Frictionless: everything at the mid at once, if the limit allows; else it rests."""
    mid = order.arrival_mid
    assert mid is not None
    sign = 1 if order.side is Side.BUY else -1
    if order.limit_price is not None and (mid - order.limit_price) * sign > 0:
        if order.tif in routing.IMMEDIATE:
            note = f"{order.tif.value}: the mid is beyond the limit, so the order is canceled"
            return _Plan((), None, note=note)
        note = f"rests at the limit {order.limit_price}; fills at the mid once the mid reaches it"
        return _Plan((), None, resting_qty=order.qty, note=note)
    now = (Slice(price=mid, qty=order.qty),)
    return _Plan(now, Execution(now, mid, mid, Liquidity.TAKER))


def _unfilled_fok(order: Order, rest: Decimal) -> str:
    return (
        f"fok: the book fills only {order.qty - rest} of {order.qty} now"
        + (f" within the limit {order.limit_price}" if order.limit_price is not None else "")
        + ", so the order is canceled unfilled"
    )


def _half_spread_at_open(inst: Instrument, last: Touch, due: int | None) -> Decimal:
    """Half the spread the book is expected to quote at the open `due`: the last one quoted
    (`last`: it carries the market's mood), as the venue's intraday profile widens or narrows
    it from then to the open (FX opens at its rollover, its widest hour). What the feed will
    draw then is not looked at."""
    half_now = (last.ask - last.bid) / (last.ask + last.bid)
    ratio = 1.0
    if due is not None:
        kind = intraday_profiles.kind_of(inst.calendar)
        instants = np.array([last.ts, due], dtype=np.int64)
        then, at_open = intraday_profiles.regular(kind, np.zeros(2), instants).spread
        ratio = float(at_open / then)
    return Decimal(repr(half_now * ratio))


def _waiting(
    order: Order,
    inst: Instrument,
    rules: RealismProfile,
    last: Touch,
    due: int | None,
    t_ns: int,
    auctioned: bool,
) -> _Plan:
    """Outside its session: a market order waits for the opening auction (`auctioned`), or
    for the book at the open (`due`: None when unknown; `last` the market's last quote), a
    limit for the open. An opg or cls order waits for its auction (the close's for cls), and
    ends there."""
    which, which_ing = ("close", "closing") if order.tif is TimeInForce.CLS else ("open", "opening")
    when = f"the next {which}" if due is None else iso(due)
    in_auction = order.tif in (TimeInForce.OPG, TimeInForce.CLS)
    if order.limit_price is not None and in_auction and auctioned:
        note = (
            f"queued for the {which_ing} auction ({when}): fills there at the official "
            f"{which} price if it is within the limit {order.limit_price}"
        )
        return _Plan((), None, resting_qty=order.qty, note=note)
    if order.limit_price is not None:
        note = (
            f"the market is closed to this order until {when}; then it takes the book up to "
            f"its limit {order.limit_price} if the limit is still marketable, else rests there"
        )
        return _Plan((), None, resting_qty=order.qty, note=note)
    mid = order.arrival_mid
    assert mid is not None
    sign = 1 if order.side is Side.BUY else -1
    # an auction crosses about its share of the day; the book at the open takes any size
    crosses = fills.auction_volume(inst, which) if rules.friction and auctioned else None
    unit = fills.fill_unit(order, inst)
    qty = order.qty if crosses is None else min(order.qty, fills.floor_lots(crosses, unit))
    move = Decimal(repr(fills.impact(inst, qty))) if rules.friction else Decimal(0)
    schedule = () if due is None else ((-(-(due - t_ns) // NS_PER_MINUTE), qty),)
    if not auctioned:  # FX, futures, a lunch break's end: the order meets the book
        half = _half_spread_at_open(inst, last, due) if rules.friction else Decimal(0)
        price = mid * (1 + sign * (half + move))
        costs = "paying its spread plus impact" if rules.friction else "at the mid"
        note = (
            f"queued for the {which} ({when}): takes the book then, {costs}, as a market "
            f"order arriving at the {which} would (the mid now stands in)"
        )
        touch = mid * (1 + sign * half)
        taken = (Slice(price=price, qty=order.qty),)
        return _Plan((), Execution(taken, touch, mid, Liquidity.TAKER), schedule, note=note)
    auction = (Slice(price=mid * (1 + sign * move), qty=qty),)
    plus = " plus impact" if rules.friction else ""
    note = (
        f"queued for the {which_ing} auction ({when}): fills there at the official {which} "
        f"price{plus} (the mid now stands in for the {which})"
    )
    if qty < order.qty:
        rest = (
            f"is canceled: an {order.tif.value} order ends in its auction"
            if in_auction
            else f"works after the open at up to {rules.participation:.0%} of the volume"
        )
        note += (
            f"; the auction crosses about {crosses:.0f} on an average day, so the other "
            f"{order.qty - qty} {rest}"
        )
    expected = Execution(auction, mid, mid, Liquidity.AUCTION, which)
    left = Decimal(0) if in_auction else order.qty - qty  # an opg/cls order's is canceled
    return _Plan((), expected, schedule, resting_qty=left, note=note)


def _resting_note(order: Order, qty: Decimal, rules: RealismProfile, taker: bool) -> str:
    if taker:
        return (
            f"{qty} works on at up to {rules.participation:.0%} of the market's volume, taking "
            f"the book at its own prices while they are within the limit {order.limit_price}, "
            "and rests at the limit when they are not"
        )
    return (
        f"{qty} rests at the limit {order.limit_price}; fills only when the market trades at or "
        f"through it ({rules.maker_share:.0%} of that volume reaches it), at the limit"
    )


def _fees(
    engine: ExecutionEngine,
    order: Order,
    inst: Instrument,
    plan: _Plan,
    rules: RealismProfile,
    fx: Decimal,
    account_id: str | None,
    t_ns: int,
) -> tuple[Decimal, Decimal]:
    """The quantity fees are quoted on and the fees, scaled as the profile scales them: on
    what is expected to fill at its expected price (a block the day cannot absorb pays on
    what it fills, not on what expires), or, when nothing is, on a resting limit's whole
    quantity at its limit, as a maker, or as a taker when it came marketable and works on
    taking the book (what it pays if it fills); nothing when nothing fills
    or rests. At the tier `account_id`'s volumes give at `t_ns`, when it is expected to fill
    (`Volumes.context`: an order waiting for next month's first open pays next month's), or a
    fresh account's."""
    if plan.expected is not None:
        qty, price = plan.expected.qty, _average(plan.expected.slices)
        liquidity = plan.expected.liquidity
    elif plan.resting_qty and order.limit_price is not None:
        # a marketable one works on as a taker (`fills.marketable`); one that rests, a maker
        taker = fills.marketable(order, engine.market, inst, arrival_ns(order))
        liquidity = Liquidity.TAKER if taker else Liquidity.MAKER
        qty, price = order.qty, order.limit_price
    else:  # nothing fills and nothing rests: refused, or an ioc or fok the book cannot take
        return Decimal(0), Decimal(0)
    if account_id is None:
        return qty, _fresh_fee(engine, inst, order.side, rules, fx, qty, price, liquidity, t_ns)
    quote = engine.fee_quote(order, inst, qty, price, liquidity, t_ns, fx, account_id)
    return qty, quote.total


def fresh_account_fee(
    engine: ExecutionEngine,
    inst: Instrument,
    side: Side,
    rules: RealismProfile,
    t_ns: int,
    qty: Decimal,
    price: Decimal,
) -> Decimal:
    """The taker fees (quote currency) a fresh account pays for `qty` at `price`."""
    fx = engine.marks(t_ns).fx(inst.currency)
    return _fresh_fee(engine, inst, side, rules, fx, qty, price, Liquidity.TAKER, t_ns)


def _fresh_fee(
    engine: ExecutionEngine,
    inst: Instrument,
    side: Side,
    rules: RealismProfile,
    fx: Decimal,
    qty: Decimal,
    price: Decimal,
    liquidity: Liquidity,
    t_ns: int,
) -> Decimal:
    """The fees a fresh account pays at `t_ns` (no volume yet: the first tiers)."""
    if not rules.friction:
        return Decimal(0)
    ctx = FeeContext(commission_multiplier=rules.fee_multiplier, trade_date=trade_date(t_ns))
    return engine.fees.quote(inst, side, qty, price, liquidity, ctx, fx).total


def _costs_bps(
    order: Order, inst: Instrument, plan: _Plan, fx: Decimal, profile: Profile
) -> tuple[Decimal | None, Decimal | None]:
    """Spread and impact of what is expected to fill, in basis points of its value at the
    arrival mid, split as a receipt splits them (None when nothing is expected to fill)."""
    if plan.expected is None:
        return None, None
    r = receipt(order, inst, plan.expected, _NO_FEE, fx, profile.value)
    base = plan.expected.qty * r.arrival_mid * inst.multiplier / BPS
    cents = Decimal("0.01")
    # `+ 0` drops the sign of a zero (a sell's impact of -0)
    return (r.spread_cost / base).quantize(cents) + 0, (r.impact_cost / base).quantize(cents) + 0


def _schedule(
    ends: np.ndarray,
    volume: np.ndarray,
    remaining: Decimal,
    t_ns: int,
    participation: Decimal,
    unit: Decimal,
) -> tuple[Schedule, Decimal, str | None]:
    """Cumulative quantity at `participation` of the expected `volume` of the minutes ending
    at `ends`, at the `HORIZONS` and when `remaining` is done; the quantity done by the close,
    and what is not."""
    cumulative = np.cumsum(volume) * float(participation)
    done = int(np.searchsorted(cumulative, float(remaining), side="left"))
    last = min(done, cumulative.shape[0] - 1)
    marks: list[tuple[int, Decimal]] = []
    for minutes in HORIZONS:
        k = int(np.searchsorted(ends, t_ns + minutes * NS_PER_MINUTE, side="right")) - 1
        if k >= last:
            break
        if k >= 0 and _floor(cumulative[k], unit) > 0:
            marks.append((minutes, _floor(cumulative[k], unit)))
    total = remaining if done <= last else _floor(cumulative[last], unit)
    if total > 0:
        marks.append((-(-(int(ends[last]) - t_ns) // NS_PER_MINUTE), total))
    note = None
    if total < remaining:
        note = (
            f"{remaining - total} is not expected to fill at the participation cap before its "
            f"trading day ends ({iso(int(ends[-1]))}), when the day order expires"
        )
    return tuple(marks), total, note


def _expected_volume(
    engine: ExecutionEngine, inst: Instrument, t_ns: int
) -> tuple[np.ndarray, np.ndarray, Decimal | None]:
    """The ends of the regular session's minutes still to come at `t_ns`, the volume the
    market is expected to print in each, and today's pace. Expected: the intraday volume
    profile of the instrument's venue scaled to its average daily volume, less the closing
    auction's share (its cross is the cls orders', as `intraday.day_minutes` lays out a day,
    without its noise), times the pace: what printed since the open over what an average day
    prints by now (a slow day stays slow), once `PACE_AFTER_MINUTES` have passed."""
    days = engine.sessions.for_instrument(inst).days
    d = max(days.index_on_or_before(t_ns), 0)  # the session is open: this is its day
    starts = np.arange(int(days.open[d]), int(days.close[d]), NS_PER_MINUTE, dtype=np.int64)
    if days.break_start[d] >= 0:
        starts = starts[(starts < days.break_start[d]) | (starts >= days.break_end[d])]
    kind = intraday_profiles.kind_of(inst.calendar)
    weights = intraday_profiles.of_session(kind, starts).volume
    auction = intraday_profiles.CLOSING_AUCTION.get(kind, 0.0)
    share = weights / weights.sum() * (1.0 - auction)
    i = max(int(np.searchsorted(starts, t_ns, side="right")) - 1, 0)
    ends = starts[i:] + NS_PER_MINUTE
    adv = inst.market.avg_daily_volume
    volume = share[i:] * adv
    left = min(max((int(ends[0]) - t_ns) / NS_PER_MINUTE, 0.0), 1.0)  # of the current minute
    volume[0] *= left
    pace = None
    if i >= PACE_AFTER_MINUTES:
        usual = (float(share[:i].sum()) + float(share[i]) * (1.0 - left)) * adv
        printed = engine.market.prints(inst.symbol, int(starts[0]), t_ns).volume
        ratio = min(max(printed / usual, 1 / PACE_BOUND), PACE_BOUND)
        pace = Decimal(repr(ratio)).quantize(Decimal("0.01"))
        volume = volume * ratio
    return ends, volume, pace


def _floor(value: float, unit: Decimal) -> Decimal:
    return fills.floor_lots(Decimal(repr(float(value))), unit)


def _average(slices: Sequence[Slice]) -> Decimal:
    qty = sum((s.qty for s in slices), Decimal(0))
    return sum((s.price * s.qty for s in slices), Decimal(0)) / qty
