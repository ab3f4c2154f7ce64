"""Time-driven execution: auctions, expiries, stop triggers and working fills.

`advance` walks from the engine's last instant to the target in steps no longer than the
step, stopping exactly at every auction and expiry instant, so a long jump (a weekend, the
downtime a restart catches up) treats each session boundary in order.

Working orders meet the market once per step (`ExecutionConfig.step_ns`, or the coarser step
of a catch-up), against everything that printed since they last did, however often `advance`
is called: a caller advancing every millisecond costs no more than one advancing every second,
and fills are the same. Each symbol meets it at its own phase within the step (`phase`), so
the resting orders of a whole catalog are not all worked in one instant: that instant would
hold every command behind it.
"""

from __future__ import annotations

import functools
import hashlib
import math
from decimal import Decimal
from functools import partial
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

import numpy as np

from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE
from vtrade.core.money import CENT, Rounding, round_to_increment
from vtrade.domain import events as ev
from vtrade.domain.changes import Changes
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from vtrade.execution import auctions, fills, financing, liquidation, replacing
from vtrade.execution.auctions import AuctionKey
from vtrade.execution.profiles import arrival_ns, rules_named, rules_of
from vtrade.execution.routing import (
    DAY_EXPIRED,
    auction_due,
    can_work,
    in_flight,
    meets_opening_auction,
)
from vtrade.execution.validation import RuleViolation, pays_cash
from vtrade.market.books import to_price
from vtrade.market.intraday import AUCTION, Prints
from vtrade.market.sessions import Phase

if TYPE_CHECKING:
    from collections.abc import Iterable

    from vtrade.domain.instruments import Instrument
    from vtrade.domain.orders import Fill
    from vtrade.execution.engine import ExecutionEngine
    from vtrade.execution.fills import VenueMarket

S = OrderStatus
_BY_SEQ = attrgetter("seq")  # submission order
_FIRST_TWO = itemgetter(0, 1)  # (instant, symbol)
AUCTION_TIFS = (TimeInForce.OPG, TimeInForce.CLS)
MARGIN_CHECK_NS = 60_000_000_000
CATCH_UP_STEPS = 1_440  # steps a catch-up takes at most, until they reach `CATCH_UP_MAX_STEP_NS`
CATCH_UP_MAX_STEP_NS = 60_000_000_000  # the longest step the settings allow
PARTICIPATION_LOOKBACK_NS = 300_000_000_000


def advance(engine: ExecutionEngine, t_ns: int, step: int) -> Changes:
    changes = Changes()
    now = engine.now_ns or t_ns
    engine.worked_ns = engine.worked_ns or now
    _arrived_while_down(engine, now, changes)
    charges = financing.next_charge(now)
    while now < t_ns:
        if engine.orders:
            step_end = (now // step + 1) * step  # on the step grid
        elif _margin_to_check(engine):  # once a minute (or a coarser step) however far the
            grid = max(step, MARGIN_CHECK_NS)  # clock goes in one call, as with orders open
            step_end = (now // grid + 1) * grid
        else:
            step_end = t_ns
        nxt = min(t_ns, step_end, _next_boundary(engine, now), charges)
        _step(engine, now, nxt, step, changes)
        if nxt == charges:  # New York's midnight, or an FX rollover (17:00 there)
            changes.merge(financing.charge(engine, nxt))
            charges = financing.next_charge(nxt)
        now = nxt
        engine.now_ns = now
    engine.now_ns = max(engine.now_ns, t_ns)
    return changes


def _arrived_while_down(engine: ExecutionEngine, now: int, changes: Changes) -> None:
    """Land, at their own instants, the cancels and replaces sent under a profile's latency
    that arrived while the engine was down (a restart's downtime not worked): before any of
    their orders meets the market again, so nothing fills after its cancel arrived."""
    first = engine.orders.next_instant()
    if first is None or first > now:
        return
    _land_replaces(engine, now, changes)
    _land_cancels(engine, now, changes)


def _land_replaces(engine: ExecutionEngine, t_ns: int, changes: Changes) -> None:
    """Land the replaces sent under a profile's latency that have arrived by `t_ns`, each at
    its own instant (a step ends at each such instant; only a downtime leaves them behind)."""
    landing = [o for o in engine.orders.values() if (o.replace_due_ns or t_ns + 1) <= t_ns]
    for order in sorted(landing, key=_BY_SEQ):
        assert order.replace_due_ns is not None
        changes.merge(replacing.land(engine, order, order.replace_due_ns))


def _land_cancels(engine: ExecutionEngine, t_ns: int, changes: Changes) -> None:
    """Close, each at its own instant, the orders whose cancels sent under a profile's
    latency have arrived by `t_ns`: after what the market gave them until then. One that
    expires first is left to its expiry; one gone with its one-cancels-other is skipped."""
    canceled = [o for o in engine.orders.values() if (o.cancel_due_ns or t_ns + 1) <= t_ns]
    for order in sorted(canceled, key=_BY_SEQ):
        due = order.cancel_due_ns
        if due is None or not order.is_open or _expires_first(order):
            continue
        _cross_before_cancel(engine, order, due, changes)
        if order.is_open:  # (the cross may have filled it)
            changes.merge(engine.close_order(order, S.CANCELED, due, "canceled by the user"))


def _cross_before_cancel(engine: ExecutionEngine, order: Order, due: int, changes: Changes) -> None:
    """Let an order in the book join a closing cross that printed after its symbol last met
    the market and before its cancel arrives at `due`: it was still in the book then, whatever
    its symbol's place in the step."""
    met = engine.worked.get(order.symbol)
    if met is None or not _in_book(order):
        return
    inst = engine.catalog.get(order.symbol)
    printed = _closing_cross(
        engine.market.prints(order.symbol, max(met, arrival_ns(order)), due), inst
    )
    if printed is not None:
        _join_auction(engine, order, inst, "close", due, printed[0], changes, printed[1:])


def _expires_first(order: Order) -> bool:
    """Whether a day order expires before the cancel sent for it arrives (it ends expired)."""
    due = order.cancel_due_ns
    return order.expire_ns is not None and due is not None and order.expire_ns <= due


def _margin_to_check(engine: ExecutionEngine) -> bool:
    """Whether any account holds a position or stands called (`_margin_checks`)."""
    held = any(p.qty for p in engine.positions.values())
    return held or any(a.margin_call for a in engine.accounts.values())


def catch_up_step(downtime_ns: int, step_ns: int) -> int:
    """The step to work `downtime_ns` in: the normal `step_ns` for a short one, coarser for a
    long one (a day in minute steps), so a start after a week away takes seconds, not hours.
    A coarser step meets the same prints; its fills are stamped at, and priced against the
    book of, the end of the step that met them. It is a whole number of normal steps, so each
    symbol's coarse grid lies on its normal one (`phase`) and `realign` only moves forward."""
    coarse = min(downtime_ns // CATCH_UP_STEPS, CATCH_UP_MAX_STEP_NS) // step_ns * step_ns
    return max(step_ns, coarse)


def _next_boundary(engine: ExecutionEngine, now: int) -> int:
    found = engine.orders.next_instant(now)
    return now + 365 * NS_PER_DAY if found is None else found


def _step(engine: ExecutionEngine, t0: int, t1: int, step: int, changes: Changes) -> None:
    """Act on (t0, t1], in time order: symbols whose phase falls before `t1` work their orders,
    then the auctions and expiries at `t1`, then the symbols whose phase is `t1`. A step is
    never longer than `step`, so each symbol meets the market at most once in it."""
    due: list[tuple[int, str, list[Order]]] = []  # (instant, symbol, its open orders)
    by_symbol = engine.orders.by_symbol()
    if len(engine.worked) > len(by_symbol):  # forget the symbols with no order left, as a
        # restart does: a new order's first meet starts from the last step, not days back
        engine.worked = {s: at for s, at in engine.worked.items() if s in by_symbol}
    for symbol, open_orders in by_symbol.items():
        at = last_meet(symbol, step, t1)
        if at > t0:
            due.append((at, symbol, list(open_orders.values())))
    due.sort(key=_FIRST_TWO)
    first = engine.orders.next_instant()
    auctions = first is not None and first <= t1  # most steps find no order due or expiring
    for at, symbol, orders in due:
        if auctions and at == t1:
            _auctions_and_expiries(engine, t1, changes)
            auctions = False
            orders = [o for o in orders if o.is_open]
        _work_symbol(engine, symbol, orders, at, step, changes)
    if auctions:
        _auctions_and_expiries(engine, t1, changes)
    _margin_checks(engine, t0, t1, changes)


def realign(engine: ExecutionEngine, step: int) -> Changes:
    """Bring every symbol whose orders last met the market on a coarser grid (a catch-up's)
    onto `step`'s grid at the engine's instant: it meets what printed since, at its last
    instant on that grid. A restart assumes each symbol met the market last there
    (`ExecutionEngine.restore`), so a catch-up realigns before each commit: a crash during it
    then skips no print and meets none twice."""
    changes = Changes()
    t = engine.now_ns
    due = []
    for symbol, open_orders in engine.orders.by_symbol().items():
        met, at = engine.worked.get(symbol), last_meet(symbol, step, t)
        if met is not None and met < at:
            due.append((at, symbol, list(open_orders.values())))
    for at, symbol, orders in sorted(due, key=_FIRST_TWO):
        _work_symbol(engine, symbol, orders, at, step, changes)
    _margin_checks(engine, t, t, changes)
    return changes


def last_meet(symbol: str, step_ns: int, t_ns: int) -> int:
    """The last instant at or before `t_ns` at which `symbol`'s orders meet the market when
    worked every `step_ns` (its grid: the step's multiples, shifted by its `phase`)."""
    shift = phase(symbol, step_ns)
    return (t_ns - shift) // step_ns * step_ns + shift


@functools.lru_cache(maxsize=4096)
def phase(symbol: str, step_ns: int) -> int:
    """Where in each step `symbol`'s working orders meet the market: a fixed offset in whole
    milliseconds from a hash of the symbol, so symbols spread evenly over the step and keep
    their phase across restarts and catalogs. The phase in a multiple of a step equals the
    phase in that step, modulo the step: a coarse grid is part of the finer one."""
    digest = hashlib.blake2b(symbol.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % max(step_ns // 1_000_000, 1) * 1_000_000


def _work_symbol(
    engine: ExecutionEngine, symbol: str, orders: list[Order], t1: int, step: int, changes: Changes
) -> None:
    """Let the working orders of `symbol` meet what printed since it last met the market."""
    t0 = engine.worked.get(symbol)
    if t0 is None:  # first time: the last step, or since the engine started
        t0 = max(t1 - step, engine.worked_ns)
    engine.worked[symbol] = t1
    inst = engine.catalog.get(symbol)
    calendar = engine.sessions.for_instrument(inst)
    phase_now = calendar.phase(t1)
    # open: an auction, expiry or arrival earlier in this instant may have closed some
    waiting = [o for o in orders if o.is_open and o.due_ns is None]
    taken = {Side.BUY: Decimal(0), Side.SELL: Decimal(0)}
    began = calendar.phase_start(t1)
    if t0 < began:  # the step crossed into this phase: a close, a lunch break, an open
        ended = calendar.phase(began - 1)
        ending = [
            o
            for o in waiting
            if can_work(o, ended) and not can_work(o, phase_now) and arrival_ns(o) < began
        ]  # (the symbol may have last met the market long before: not since these arrived)
        if ending:  # they meet what printed until their phase ended, at its last instant
            _route_waiting(engine, ending, calendar.phase_start(began - 1), changes)
            _meet(engine, inst, ending, t0, began - 1, taken, changes, t1)
    if phase_now is Phase.REGULAR:  # cls orders placed while closed reach the venue now
        queued = [o for o in orders if o.status is S.PENDING_OPEN and o.tif is TimeInForce.CLS]
        _route_waiting(engine, queued, began, changes)
    working = [o for o in waiting if can_work(o, phase_now)]
    if working:
        _route_waiting(engine, working, began, changes)
        _meet(engine, inst, working, t0, t1, taken, changes)
    _expire_met(engine, waiting, t0, t1, changes)


def _route_waiting(
    engine: ExecutionEngine, orders: list[Order], opened_ns: int, changes: Changes
) -> None:
    """Route the orders among `orders` that waited for their market (`pending_open`), which
    opened at `opened_ns`, before they meet it."""
    for order in orders:
        if order.status is S.PENDING_OPEN:
            changes.merge(engine.route_order(order, max(opened_ns, arrival_ns(order))))


def _meet(
    engine: ExecutionEngine,
    inst: Instrument,
    orders: list[Order],
    t0: int,
    t1: int,
    taken: dict[Side, Decimal],
    changes: Changes,
    now: int | None = None,
) -> None:
    """Let `orders`, all able to trade at `t1`, meet what printed in (t0, t1], at `t1` (an
    instant their symbol meets the market at, `now`, or the last of a phase it ended)."""
    now = t1 if now is None else now
    prints = engine.market.prints(inst.symbol, t0, t1)
    symbol_step = _SymbolStep(engine, inst, t1, prints)
    calendar = engine.sessions.for_instrument(inst)
    began = calendar.phase_start(t1)  # a step across the open: what printed before is not ours
    if began > t0 and meets_opening_auction(inst, calendar, began):
        symbol_step.open_ns = began
    met: list[tuple[Order, int]] = []  # (order, since when it met the prints)
    for order in sorted(orders, key=_priority):
        if not order.is_open:  # its one-cancels-other filled earlier in this meet
            continue
        arrived = arrival_ns(order)  # what printed before is not its
        if arrived >= t1:
            continue
        since = max(t0, arrived)
        if not order.extended_hours and began > t0:
            since = max(since, began - 1)  # a print at the open itself counts
        seen = prints if since == t0 else prints.after(since)
        # nor does its participation count the volume of a phase it cannot trade in
        counts_from = 0 if order.extended_hours else began - 1
        # its first meet since the market reopened (an open, the end of a lunch break), in
        # which it rested while the market was closed
        reopened = began > t0 and arrived < began and not can_work(order, calendar.phase(began - 1))
        _work(engine, order, seen, symbol_step, taken, t1, counts_from, reopened, changes)
        met.append((order, since))
    if symbol_step.cross is not None:  # after all met the continuous prints before it
        _meet_the_close(engine, inst, met, symbol_step.cross, now, t1, changes)


def _meet_the_close(
    engine: ExecutionEngine,
    inst: Instrument,
    met: list[tuple[Order, int]],
    cross: tuple[int, Decimal, Decimal],
    now: int,
    t1: int,
    changes: Changes,
) -> None:
    """The closing cross printed among what `met` orders (with the instant each met the
    prints from) just met at `t1` (the meet's instant `now`): those in the book before it
    join it; then the cls orders whose close passed before their symbol met its cross (a
    coarse step: `_crosses_later`) cross there, at their close."""
    for order, since in met:
        if cross[0] > since and order.is_open:
            _join_auction(engine, order, inst, "close", t1, cross[0], changes, cross[1:])
    symbol_orders = engine.orders.by_symbol().get(inst.symbol, {})
    waited = [o for o in symbol_orders.values() if _waits_for(o, cross[0], now)]
    for order in sorted(waited, key=_BY_SEQ):
        assert order.due_ns is not None
        changes.merge(_auction(engine, order, order.due_ns))


def _waits_for(order: Order, cross_ns: int, now: int) -> bool:
    """Whether `order` is a cls order due by `now` at the close whose cross printed at
    `cross_ns`, left by the auctions of its close to cross when its symbol met that cross."""
    due = order.due_ns
    return (
        order.tif is TimeInForce.CLS
        and due is not None
        and due <= now
        and due - NS_PER_MINUTE < cross_ns <= due
        and not in_flight(order)
    )


def _crosses_later(engine: ExecutionEngine, order: Order) -> bool:
    """Whether `order`, a cls order at its close, is left to cross when its symbol's orders
    meet the closing cross: the feed printed it (in the session's last second), and with a
    coarse step (a catch-up's) they have not met it yet: the book's orders are to meet the
    continuous prints before it first, then all clear together."""
    due = order.due_ns
    met = engine.worked.get(order.symbol)
    if order.tif is not TimeInForce.CLS or due is None or met is None or in_flight(order):
        return False
    cross = _printed_close(engine, engine.catalog.get(order.symbol), due)
    return cross is not None and met < cross[0]


def _join_auction(
    engine: ExecutionEngine,
    order: Order,
    inst: Instrument,
    which: str,
    t_ns: int,
    at_ns: int,
    changes: Changes,
    printed: tuple[Decimal, Decimal] | None = None,
) -> None:
    """A limit order in the book at the open or the close (held at `at_ns`) joins that
    auction, as exchanges include the book's limit orders in it (NYSE, Nasdaq, LSE, Xetra):
    one the auction prices through fills at its price (`_cross`), in price-time priority
    among our orders there. The closing cross is the feed's print (`printed`: its price and
    volume)."""
    if not _in_book(order):
        return
    done = _cross(engine, order, inst, which, t_ns, at_ns, printed)
    if done is not None:
        changes.merge(engine.apply(order, inst, done, t_ns))


def _cross(
    engine: ExecutionEngine,
    order: Order,
    inst: Instrument,
    which: str,
    t_ns: int,
    at_ns: int,
    printed: tuple[Decimal, Decimal] | None = None,
) -> fills.Execution | None:
    """Cross `order` in its symbol's auction `which`, held at `at_ns` (the closing cross's
    print, the open), met at `t_ns`: at the feed's `printed` cross (price, volume), else at
    the official price and the auction's usual volume. Our orders on a side clear together
    (`auctions.clear`, once, when the first of them meets the auction): each takes its
    share of the volume in priority order, all at one price (`engine.clearings`)."""
    profile = rules_of(order)
    volume: Decimal | None
    if printed is None:  # the venue's usual share of a day crosses at the official price
        official = engine.market.official_price(inst.symbol, t_ns, which)
        volume = fills.auction_volume(inst, which)
    else:
        official, volume = printed
    if not profile.friction:  # (it takes no liquidity: not counted, not ranked)
        return auctions.frictionless(order, official, which)
    key = auctions.key(order.symbol, order.side, which, t_ns)
    crossed = engine.crossed.setdefault(key, {})
    if order.id in crossed:  # it had its turn in this auction
        return None
    clearing = engine.clearings.get(key)
    if clearing is None or order.id not in clearing.shares:
        offers = _offers(engine, order, inst, key, t_ns, at_ns)
        clearing = auctions.clear(offers, inst, official, volume, sum(crossed.values(), Decimal(0)))
        engine.clearings[key] = clearing
    share = min(clearing.shares[order.id], order.remaining)
    done = auctions.execution(order, share, clearing.price, official, which)
    if done is not None:
        _crossed_more(engine, key, order.id, done.qty)
    return done


def _offers(
    engine: ExecutionEngine, order: Order, inst: Instrument, key: AuctionKey, t_ns: int, at_ns: int
) -> list[tuple[Order, Decimal]]:
    """Our orders on the side of `order` that cross in its auction `key`, held at `at_ns`,
    with what each offers, `order` among them: the opg or cls orders due there (those that
    will cross: not one short of cash, canceled then; one sized by notional for the lots it
    comes to then), and the limits in the book before it (at the open, those that rested
    while the market was closed), but those that had their turn in it."""
    which, done = key[2], engine.crossed.get(key, {})
    calendar = engine.sessions.for_instrument(inst)
    offers = [(order, order.remaining)]
    for o in engine.orders.by_symbol().get(order.symbol, {}).values():
        if o is order or o.side is not order.side or o.id in done or not rules_of(o).friction:
            continue
        if o.due_ns is not None:  # queued for its auction, or on its way to the market
            if in_flight(o) or auctions.key(o.symbol, o.side, which, o.due_ns) != key:
                continue
            if auction_due(o, inst, calendar, o.due_ns) != (which, True):
                continue
            if o.notional is not None and not o.filled_qty:
                offers.append((o, _notional_qty_then(engine, o, inst, t_ns, which)))
            elif _short_of_cash(engine, o, inst, t_ns, which) is None:
                offers.append((o, o.remaining))
        elif _in_book(o) and arrival_ns(o) < at_ns:
            if which == "close" or not can_work(o, calendar.phase(at_ns - 1)):
                offers.append((o, o.remaining))
    return offers


def crossed_in(recent_fills: Iterable[Fill], now_ns: int) -> dict[AuctionKey, dict[str, Decimal]]:
    """What our orders crossed in the auctions of yesterday and today (UTC) until `now_ns`,
    by order, counted from their fills as `_cross` counted them: a restart between two orders
    crossing in one auction must not show the second its whole volume again, nor let the
    first cross there twice."""
    crossed: dict[AuctionKey, dict[str, Decimal]] = {}
    for f in recent_fills:
        which = f.receipt.auction
        if which is None or not rules_named(f.profile).friction:
            continue
        if now_ns // NS_PER_DAY - 1 <= f.ts_ns // NS_PER_DAY:
            by_order = crossed.setdefault(auctions.key(f.symbol, f.side, which, f.ts_ns), {})
            by_order[f.order_id] = by_order.get(f.order_id, Decimal(0)) + f.qty
    return crossed


def _crossed_more(engine: ExecutionEngine, key: AuctionKey, order_id: str, qty: Decimal) -> None:
    """Count `qty` more crossed by an order in the auction `key`; forget the auctions of the
    days before yesterday."""
    by_order = engine.crossed.setdefault(key, {})
    by_order[order_id] = by_order.get(order_id, Decimal(0)) + qty
    day = key[3]
    for old in [k for k in engine.crossed if k[3] < day - 1]:
        del engine.crossed[old]
        engine.clearings.pop(old, None)


def _in_book(order: Order) -> bool:
    """Whether `order` rests in the venue's book as a limit order: a limit, or a stop-limit
    whose stop triggered, for the day or until canceled. (An order sized by notional is
    the broker's, worked within its amount: it sends no quantity to an auction.)"""
    if order.tif not in (TimeInForce.DAY, TimeInForce.GTC) or order.notional is not None:
        return False
    return order.type is OrderType.LIMIT or (order.type is OrderType.STOP_LIMIT and order.triggered)


def _auctions_and_expiries(engine: ExecutionEngine, t1: int, changes: Changes) -> None:
    """Run the auctions of the orders due by `t1`, then close the orders expiring by then."""
    # replaces sent under a profile's latency reach the market first: the replacement takes
    # its order's place before it arrives itself (at the same instant)
    _land_replaces(engine, t1, changes)
    due = [o for o in engine.orders.values() if o.due_ns is not None and o.due_ns <= t1]
    for order in sorted(due, key=_BY_SEQ):
        if in_flight(order):  # reaches the market now
            changes.merge(engine.arrive(order, t1))
            continue
        assert order.due_ns is not None
        if order.due_ns < engine.worked_ns:  # its auction passed while the engine was down
            if order.expire_ns is None or order.expire_ns > t1:  # (if expired, it ends below)
                changes.merge(engine.arrive(order, t1))  # routed again as if it arrived now
            continue
        if _crosses_later(engine, order):
            continue
        changes.merge(_auction(engine, order, t1))
    _land_cancels(engine, t1, changes)  # after an order sent just before them has arrived
    ending = [
        o
        for o in engine.orders.values()
        if o.expire_ns is not None and o.expire_ns <= t1 and not _meets_before_expiring(engine, o)
    ]
    for order in sorted(ending, key=_BY_SEQ):
        if order.tif in AUCTION_TIFS:
            changes.merge(engine.close_order(order, S.CANCELED, t1, "not filled in its auction"))
        else:  # at its expiry, also one that passed in a downtime not worked
            expired = min(t1, order.expire_ns or t1)
            changes.merge(engine.close_order(order, S.EXPIRED, expired, DAY_EXPIRED))


def _meets_before_expiring(engine: ExecutionEngine, order: Order) -> bool:
    """Whether `order`, working in the market, has yet to meet what printed until its
    expiry: its symbol last met the market before then (on its grid, up to a step earlier).
    That meet expires it (`_expire_met`)."""
    if order.tif in AUCTION_TIFS or order.due_ns is not None:
        return _crosses_later(engine, order)
    met = engine.worked.get(order.symbol)
    return met is None or order.expire_ns is None or met < order.expire_ns


def _expire_met(
    engine: ExecutionEngine, orders: list[Order], t0: int, t1: int, changes: Changes
) -> None:
    """Expire, at their expiry, the working orders that met the market until it in (t0, t1].
    (One whose expiry passed before t0, in a downtime not worked, `_auctions_and_expiries`
    expires, stamped at its expiry too.)"""
    for order in sorted(orders, key=_BY_SEQ):
        expiry = order.expire_ns
        if order.is_open and expiry is not None and t0 < expiry <= t1:
            if order.due_ns is None and order.tif not in AUCTION_TIFS:
                changes.merge(engine.close_order(order, S.EXPIRED, expiry, DAY_EXPIRED))


def _auction(engine: ExecutionEngine, order: Order, t_ns: int) -> Changes:
    """Execute an order due at `t_ns` in its venue's auction, or, where the venue has none
    (FX, futures: trading just starts) or the session resumes after its lunch break, against
    the book then, as a market order arriving then would; what the book cannot give works on."""
    inst = engine.catalog.get(order.symbol)
    profile = rules_of(order)
    calendar = engine.sessions.for_instrument(inst)
    which, in_auction = auction_due(order, inst, calendar, t_ns)
    auction = which if in_auction else None
    if order.notional is not None and not order.filled_qty:
        qty = _notional_qty_then(engine, order, inst, t_ns, auction)
        if qty <= 0:
            reason = f"notional {order.notional} comes to less than one lot at the {which}"
            return engine.close_order(order, S.CANCELED, t_ns, reason)
        order.qty = qty
    short_of_cash = _short_of_cash(engine, order, inst, t_ns, auction)
    if short_of_cash is not None:
        return engine.close_order(order, S.CANCELED, t_ns, short_of_cash)
    if in_auction:
        # the order could first trade at the auction's price: what it leaves works on against
        # that benchmark, not the mid it was queued at (the gap was never its to avoid)
        order.arrival_mid = engine.market.official_price(inst.symbol, t_ns, which)
        held = order.due_ns if order.due_ns is not None else t_ns
        cross = _printed_close(engine, inst, held) if which == "close" else None
        if cross is not None:  # the feed's cross: it printed in the session's last second
            held = cross[0]
        done = _cross(engine, order, inst, which, t_ns, held, None if cross is None else cross[1:])
    else:
        order.arrival_mid = fills.mid_of(engine.market.touch(inst.symbol, t_ns), inst)
        done = fills.take(engine.market, order, inst, t_ns, profile)
    engine.orders.clear_due(order)
    changes = Changes(orders=[order])
    if order.status is S.PENDING_OPEN and order.tif is not TimeInForce.OPG:
        changes = engine.route_order(order, t_ns)  # an opg order ends in its auction
    if done is not None:
        changes.merge(engine.apply(order, inst, done, t_ns))
    return changes


def cross_printed(engine: ExecutionEngine, order: Order, inst: Instrument, t_ns: int) -> str | None:
    """Why `order`, a cls order, can no longer change at `t_ns`: the closing cross it is due
    in has printed (the feed prints it in the session's last second, before the close its
    orders cross at; resting limits have joined it, leaving it its volume). None when it
    still can."""
    due = order.due_ns
    if order.tif is not TimeInForce.CLS or due is None or not due - NS_PER_MINUTE < t_ns < due:
        return None
    if _printed_close(engine, inst, due, until_ns=t_ns) is None:
        return None
    return f"the closing cross of {inst.symbol} it is due in has printed; it crosses at the close"


def _printed_close(
    engine: ExecutionEngine, inst: Instrument, close_ns: int, until_ns: int | None = None
) -> tuple[int, Decimal, Decimal] | None:
    """The closing cross the feed printed in the minute up to `close_ns` (by `until_ns`, if
    earlier): its instant, price and volume, the day's cross, which cls orders share with
    the book's limit orders joining it (None: the feed printed none (yet); the venue's usual
    share of a day crosses)."""
    until = close_ns if until_ns is None else min(until_ns, close_ns)
    return _closing_cross(engine.market.prints(inst.symbol, close_ns - NS_PER_MINUTE, until), inst)


def _short_of_cash(
    engine: ExecutionEngine, order: Order, inst: Instrument, t_ns: int, auction: str | None
) -> str | None:
    """Why a buy paid in cash (of what is not marginable, or by a cash-only account) cannot
    trade at the open, or None: the market moved since its check, and what the account's
    earlier orders took at the open left less cash than it now costs. Refused whole, as a
    cash account's broker refuses it, not left to put the account in debit. What covers a
    short needs no cash: no broker refuses a closing buy."""
    account = engine.account(order.account_id)
    if order.side is not Side.BUY or not pays_cash(inst, account.cash_only):
        return None
    opening = order.remaining + min(engine.position(account.id, inst.symbol).qty, Decimal(0))
    if opening <= 0:
        return None
    price = _price_then(engine, order, inst, t_ns, auction, order.remaining)
    marks = engine.marks(t_ns)
    cost = marks.value(inst, opening, price)
    cost += engine.taker_fees_vcr(marks, order, opening, price)
    spendable = engine.view(account.id, t_ns).spendable_cash
    free = spendable - engine.cash_for_orders(account.id, t_ns, excluding=order.id)
    if cost <= free:
        return None
    return (
        f"canceled at the {auction or 'open'}: it needs cash and costs {cost.quantize(CENT)} VCR "
        f"at {price}, {max(free, Decimal(0)).quantize(CENT)} VCR of cash is free"
    )


def _price_then(
    engine: ExecutionEngine,
    order: Order,
    inst: Instrument,
    t_ns: int,
    auction: str | None,
    qty: Decimal,
) -> Decimal:
    """The price a buy (or sell) of `qty` waiting for the open executes at then: the
    auction's official price with the impact its size pays, or the book's touch (for a buy,
    the average its walk of the book pays)."""
    if auction is None and order.side is Side.BUY:
        return fills.market_price(engine.market, order, inst, t_ns, rules_of(order), qty)
    if auction is None:
        return fills.opposite_price(engine.market.touch(inst.symbol, t_ns), order.side, inst)
    price = engine.market.official_price(inst.symbol, t_ns, auction)
    if order.side is Side.BUY and rules_of(order).friction:  # no more impact than that
        impacted = price * Decimal(repr(1 + fills.impact(inst, qty)))
        price = round_to_increment(impacted, inst.tick_size, "up")  # as the fill rounds
    return price


def _notional_qty_then(
    engine: ExecutionEngine, order: Order, inst: Instrument, t_ns: int, auction: str | None
) -> Decimal:
    """The whole lots a notional order waiting for the open comes to at the price it executes
    at then (the auction's official price with the impact its size pays, or the book), not the
    one it was queued at, so it spends (or raises) no more than its notional, a buy's fees
    included. One that closes
    a position never goes past the quantity it was checked for, which may be all of it."""
    assert order.notional is not None
    fee = partial(engine.taker_fee, order, inst, t_ns)  # a buy's: spent out of its notional
    if auction is None:  # the book, as a new order's now
        try:
            qty = engine.notional_qty(inst, order.side, order.notional, t_ns, fee, rules_of(order))
        except RuleViolation:  # under one lot
            qty = Decimal(0)
    else:  # what the official price gives pays the impact
        official = engine.market.official_price(inst.symbol, t_ns, auction)
        most = fills.notional_lots(order.notional, official, inst)
        price = _price_then(engine, order, inst, t_ns, auction, most)
        buy_fee = fee if order.side is Side.BUY else None
        qty, _ = fills.lots_after_fees(order.notional, price, inst, buy_fee)
    held = engine.position(order.account_id, order.symbol).qty
    closes = held != 0 and (held > 0) != (order.side is Side.BUY)
    return min(qty, order.qty) if closes else qty


def _work(
    engine: ExecutionEngine,
    order: Order,
    prints: Prints,
    step: _SymbolStep,
    taken: dict[Side, Decimal],
    t_ns: int,
    counts_from: int,
    reopened: bool,
    changes: Changes,
) -> None:
    """Let one order meet `prints`, the market's prints since it last met it; its
    participation counts the volume printed after `counts_from` only. `reopened`: its first
    meet since the market reopened."""
    inst = step.inst
    profile = rules_of(order)
    market = engine.market
    fresh = False
    if order.type in (OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP):
        if not order.triggered:
            trail = (order.watermark, order.stop_price)
            at = _trigger(order, prints, inst.tick_size)
            if at is None:
                if (order.watermark, order.stop_price) != trail:
                    changes.orders.append(order)  # keep the trailing stop's progress
                return
            order.triggered = fresh = True
            prints = prints.after(int(prints.ts[at]) - 1)  # what printed before was not for it
            _takes_from_now(order, market, inst, t_ns, changes)  # a market (or limit) order
    limit_like = order.type is OrderType.LIMIT or order.type is OrderType.STOP_LIMIT
    opened = step.open_ns
    if reopened and not fresh and opened is not None and arrival_ns(order) < opened:
        _join_auction(engine, order, inst, "open", t_ns, opened, changes)  # if in the book
        if not order.is_open:
            return
    # the market reopened through a limit that rested while it was closed: nobody traded at
    # its price, so it takes the book within its limit at once, as a marketable limit
    # arriving now would
    if (
        limit_like
        and reopened
        and not fresh
        and _crosses(order, step.opposite(order.side))
        and not fills.marketable(order, market, inst, arrival_ns(order))
    ):
        fresh = True
        _takes_from_now(order, market, inst, t_ns, changes)
    if limit_like and profile.friction:
        crossed = _crosses(order, step.opposite(order.side))
        if not (crossed and (fresh or fills.marketable(order, market, inst, arrival_ns(order)))):
            # resting: only the flow printing at or through its price reaches it, at its
            # price, as the maker; the market moving through it fills it there first
            if not step.reaches(order):
                return  # most resting orders, most steps: nothing printed at their price
            mid = fills.mid_of(market.touch(inst.symbol, t_ns), inst)
            done, taken[order.side] = fills.make(
                order, inst, prints, taken[order.side], profile, mid
            )
            if done is not None:
                changes.merge(engine.apply(order, inst, done, t_ns))
            return
    if not profile.friction or fresh:
        # frictionless: all at the mid at once; a stop just triggered walks the book at once
        # (a stop-limit within its limit)
        done = fills.take(market, order, inst, t_ns, profile)
    else:
        # a market remainder, or the rest of a limit that came in through the market: it takes
        # the book within its limit at the market's own prices, at its participation in the
        # volume (never all the displayed depth at once, nor at a price nobody trades at)
        volume = step.lookback.volume_since(max(order.updated_ns, counts_from))
        allowance = order.allowance + volume * profile.participation
        cap = _within_notional(engine, order, inst, t_ns, allowance, changes)
        if cap is None:
            return
        done = fills.take(market, order, inst, t_ns, profile, cap=cap)
        if done is not None:  # what it could not use carries, up to a unit (never a burst)
            order.allowance = min(allowance - done.qty, fills.fill_unit(order, inst))
    if done is not None:
        changes.merge(engine.apply(order, inst, done, t_ns))


def _within_notional(
    engine: ExecutionEngine,
    order: Order,
    inst: Instrument,
    t_ns: int,
    allowance: Decimal,
    changes: Changes,
) -> Decimal | None:
    """What a working remainder may take of its `allowance`: a notional buy never spends
    past its notional. When the market rose, what is left of it buys fewer lots: the order is
    sized down to them, or, when it buys none, closed (None)."""
    if order.notional is None or order.side is not Side.BUY:
        return allowance
    most = min(allowance, order.remaining)
    room = _notional_room(engine, order, inst, t_ns, most)
    if room >= most:
        return allowance
    if room <= 0:
        spent = f"its notional {order.notional} is spent: what is left buys no lot"
        changes.merge(engine.close_order(order, S.CANCELED, t_ns, spent))
        return None
    order.qty = order.filled_qty + room
    changes.orders.append(order)
    return room


def _notional_room(
    engine: ExecutionEngine, order: Order, inst: Instrument, t_ns: int, most: Decimal
) -> Decimal:
    """The whole lots a notional buy's remainder may take now, if fewer than `most`: what
    is left of its notional, after its fills and their fees, buys at the price a take of
    `most` walks the book to, its fees paid."""
    left = engine.notional_left(order, inst, t_ns)
    if left <= 0:
        return Decimal(0)
    unit = fills.fill_unit(order, inst)
    walked = max(most, unit)
    price = fills.walk_price(engine.market, inst, Side.BUY, walked, t_ns, rules_of(order), unit)
    qty, _ = fills.lots_after_fees(left, price, inst, partial(engine.taker_fee, order, inst, t_ns))
    return qty


def _takes_from_now(
    order: Order, market: VenueMarket, inst: Instrument, t_ns: int, changes: Changes
) -> None:
    """`order` comes to take the market now (a stop triggered, a limit the market reopened
    through): its costs count from the mid now."""
    order.arrival_mid = fills.mid_of(market.touch(inst.symbol, t_ns), inst)
    changes.orders.append(order)


def _closing_cross(prints: Prints, inst: Instrument) -> tuple[int, Decimal, Decimal] | None:
    """The closing cross among `prints`, if they hold it: (instant, price, volume)."""
    crosses = np.flatnonzero(prints.side == AUCTION)
    if not crosses.size:
        return None
    at = int(crosses[-1])
    price = to_price(float(prints.price[at]), inst.tick_size)
    return int(prints.ts[at]), price, Decimal(repr(float(prints.size[at])))


class _SymbolStep:
    """What every working order of one symbol meets in a step, worked out once: the feed's
    touch (our own takings do not move it), the reach of the step's prints, the lookback."""

    __slots__ = (
        "inst",
        "lookback",
        "cross",
        "open_ns",
        "_market",
        "_t_ns",
        "_opposite",
        "_lowest_sold",
        "_highest_bought",
    )

    def __init__(
        self, engine: ExecutionEngine, inst: Instrument, t_ns: int, prints: Prints
    ) -> None:
        self.inst, self._market, self._t_ns = inst, engine.market, t_ns
        self.lookback = _Lookback(engine, inst.symbol, t_ns)
        self._opposite: dict[Side, Decimal] = {}
        sold, bought = prints.price[prints.side < 0], prints.price[prints.side > 0]
        self._lowest_sold = float(sold.min()) if sold.size else math.inf
        self._highest_bought = float(bought.max()) if bought.size else -math.inf
        self.cross = _closing_cross(prints, inst)
        self.open_ns: int | None = None  # the day's open with its auction, if the step met it

    def opposite(self, side: Side) -> Decimal:
        """The best price an order of `side` meets at the touch (`fills.opposite_price`)."""
        found = self._opposite.get(side)
        if found is None:
            touch = self._market.touch(self.inst.symbol, self._t_ns)
            found = self._opposite[side] = fills.opposite_price(touch, side, self.inst)
        return found

    def reaches(self, order: Order) -> bool:
        """Whether any print of the step reached a resting limit's price (`fills.reaching`:
        the best price sellers hit for a buy, buyers lifted for a sell)."""
        best = self._lowest_sold if order.side is Side.BUY else self._highest_bought
        return bool(fills.reaching(order, best))


class _Lookback:
    """The market's volume in the last `PARTICIPATION_LOOKBACK_NS` of one symbol up to a step's
    instant, fetched once for all its working orders (when one asks) as running totals.

    A working order may take its participation in the volume since it last filled (or started
    working), at most that far back: its allowance builds up over the steps too small to fill
    a whole unit, as an algo participating in volume catches up, and what a fill leaves of it
    carries (`Order.allowance`). Both depend only on the order's stored fields (`updated_ns`,
    `allowance`), so a restart goes on the same way."""

    __slots__ = ("_engine", "_symbol", "_t_ns", "_ts", "_totals")

    def __init__(self, engine: ExecutionEngine, symbol: str, t_ns: int) -> None:
        self._engine, self._symbol, self._t_ns = engine, symbol, t_ns
        self._ts: np.ndarray | None = None
        self._totals = np.zeros(1)

    def volume_since(self, since_ns: int) -> Decimal:
        if self._ts is None:
            start = self._t_ns - PARTICIPATION_LOOKBACK_NS
            prints = self._engine.market.prints(self._symbol, start, self._t_ns)
            self._ts = prints.ts
            # the closing cross is the cls orders' (`auctions.clear`), not the working orders'
            continuous = np.where(prints.side == AUCTION, 0.0, prints.size)
            self._totals = np.concatenate(([0.0], np.cumsum(continuous)))
        first = int(np.searchsorted(self._ts, since_ns, side="right"))
        return Decimal(repr(float(self._totals[-1] - self._totals[first])))


def _trigger(order: Order, prints: Prints, tick: Decimal) -> int | None:
    """The index of the first of `prints` that triggers a stop, taken in time order, or None.
    Stops trigger on the market's continuous prints (never on our own fills, nor on the
    closing cross: it prints when continuous trading has ended, so nothing is left for a
    triggered stop to trade with; it meets the next session's prints instead); a trailing
    stop moves with each print before that print is tested against it, so a later high never
    raises the stop an earlier low is tested against."""
    continuous = prints.side != AUCTION
    if order.type is not OrderType.TRAILING_STOP:  # a fixed stop: the first print through it
        assert order.stop_price is not None
        # prints lie on the tick grid up to float noise: half a tick decides exactly
        stop, half = float(order.stop_price), float(tick) / 2
        buy = order.side is Side.BUY
        through = prints.price >= stop - half if buy else prints.price <= stop + half
        hits = np.flatnonzero(through & continuous)
        return int(hits[0]) if hits.size else None
    for i in np.flatnonzero(continuous).tolist():
        raw = float(prints.price[i])
        price = to_price(raw, tick)  # drop the float noise (498.65000000000003)
        _trail(order, price, price, tick)
        assert order.stop_price is not None
        if price >= order.stop_price if order.side is Side.BUY else price <= order.stop_price:
            return i
    return None


def start_trailing(order: Order, tick: Decimal) -> None:
    """Set a new trailing stop's stop from its watermark: the one the order it replaces
    reached, else its arrival mid rounded away from the market, on the tick grid."""
    assert order.arrival_mid is not None
    away: Rounding = "down" if order.side is Side.SELL else "up"
    mark = order.watermark or round_to_increment(order.arrival_mid, tick, away)
    _trail(order, mark, mark, tick)


def _trail(order: Order, high: Decimal, low: Decimal, tick: Decimal) -> None:
    """Move a trailing stop with the best price seen, never back. The watermark and the stop
    stay on the tick grid; both round away from the market (down for a sell, up for a buy), so
    the stop is never tighter than its trail."""
    away: Rounding = "down" if order.side is Side.SELL else "up"
    start = order.watermark if order.watermark is not None else order.arrival_mid or high
    mark = round_to_increment(start, tick, away)  # a mid, or an older order's, may be off it
    mark = max(mark, high) if order.side is Side.SELL else min(mark, low)
    order.watermark = mark
    if order.trail_percent is not None:
        gap = mark * order.trail_percent / 100
    else:
        gap = order.trail_price or Decimal(0)
    stop = mark - gap if order.side is Side.SELL else mark + gap
    order.stop_price = round_to_increment(stop, tick, away)


def _crosses(order: Order, price: Decimal) -> bool:
    assert order.limit_price is not None
    return price <= order.limit_price if order.side is Side.BUY else price >= order.limit_price


def _priority(order: Order) -> tuple[Decimal, int, int]:
    """Better prices first, then time: the queue among our own resting orders. Time is when
    the order reached the market (a harsh profile's latency puts it behind an order sent just
    after it), then the order it was received in."""
    price = order.limit_price or Decimal(0)
    return (-price if order.side is Side.BUY else price, arrival_ns(order), order.seq)


def _margin_checks(engine: ExecutionEngine, t0: int, t1: int, changes: Changes) -> None:
    """Call (and liquidate) the accounts under their maintenance: those with a fill since
    their last check, and once a minute every account holding a position or called."""
    periodic = t0 // MARGIN_CHECK_NS != t1 // MARGIN_CHECK_NS
    accounts, engine.filled = engine.filled, set()
    if periodic:
        accounts |= {acc for (acc, _), p in engine.positions.items() if p.qty}
        # and every account called: one that closed its positions since is called no more
        accounts |= {a.id for a in engine.accounts.values() if a.margin_call}
    for account_id in sorted(accounts):
        account = engine.accounts[account_id]
        was_called = account.margin_call
        v = engine.view(account_id, t1)
        engine.headroom[account_id] = v.nav - v.maintenance
        called = v.nav < v.maintenance
        if called and not was_called:  # the call is told before the liquidation it causes
            changes.events.append(
                ev.MarginCalled(
                    **engine.event_meta(t1),
                    account_id=account_id,
                    equity=v.nav,
                    maintenance=v.maintenance,
                )
            )
        if (
            called
            and engine.config.liquidate_margin_calls
            and not liquidation.liquidating(engine, account_id, t1)
        ):
            changes.merge(liquidation.liquidate(engine, account, v, t1))
            after = engine.view(account_id, t1)  # its fills may have cured the account
            called = after.nav < after.maintenance
        if called != was_called:
            account.margin_call = called
            changes.accounts.append(account)
