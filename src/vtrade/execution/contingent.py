"""Contingent orders: brackets, one-triggers-other (oto) and one-cancels-other (oco).

A bracket or oto order is an entry whose exit legs wait, `held`, until it fills; then they
work as any order does, for what it filled. A bracket has two legs on the other side: a
take-profit limit and a stop-loss stop (or stop-limit), one-cancels-other; an oto has one of
them. An oco order is such a pair with no entry, both working at once: the exit of a position
already held (the take-profit is the order placed, the stop-loss its leg).

One-cancels-other: a fill of one shrinks the other to what the first has left, so the pair
never closes more than one of them would; the first's complete fill, or its cancellation,
cancels the other. (Both have the same time in force: they expire together.) An entry that
ends after a partial fill releases its legs for what it filled; one that filled nothing
cancels them. The links live in `Order.extra`, so they are stored, restored and carried by a
replacement with the order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING

from vtrade.core.errors import ValidationError
from vtrade.domain.changes import Changes
from vtrade.domain.commands import ReplaceOrder, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import (
    LEGS,
    OCO_WITH,
    ORDER_CLASS,
    PARENT,
    RELEASED,
    Order,
    OrderClass,
    OrderStatus,
    OrderType,
)
from vtrade.execution import routing
from vtrade.execution.profiles import rules_of
from vtrade.execution.routing import DAY_EXPIRED
from vtrade.execution.validation import RuleViolation

if TYPE_CHECKING:
    from vtrade.execution.booking import Bookkeeper
    from vtrade.execution.engine import ExecutionEngine

S = OrderStatus
_SEQ = attrgetter("seq")


def check_sides(side: Side, base: Decimal, tp: Decimal | None, sl: Decimal | None) -> None:
    """Refuse a bracket's or oto's exit on the wrong side of `base`, the entry's price (its
    limit or stop, else the mid): a buy takes profit above it and stops out below it. (What
    is malformed whatever the market, `SubmitOrder` refuses itself.)"""
    above = side is Side.BUY
    if tp is not None and (tp > base) != above:
        where = "above" if above else "below"
        raise ValidationError(
            f"take_profit limit_price {tp} must be {where} the entry's price {base}",
            field="take_profit",
        )
    if sl is not None and (sl < base) != above:
        where = "below" if above else "above"
        raise ValidationError(
            f"stop_loss stop_price {sl} must be {where} the entry's price {base}",
            field="stop_loss",
        )


def leg_commands(cmd: SubmitOrder) -> list[tuple[str, SubmitOrder]]:
    """The legs `cmd` asks for, each with its name: on the other side of the entry, for its
    quantity (an oco's stop-loss is on the oco's own side: the oco is its take-profit)."""
    exit_side = cmd.side
    if cmd.order_class is not OrderClass.OCO:
        exit_side = Side.SELL if cmd.side is Side.BUY else Side.BUY
    leg = partial(
        replace,
        cmd,
        order_class=OrderClass.SIMPLE,  # `hold` ties it to the entry
        side=exit_side,
        client_order_id=None,
        trail_price=None,
        trail_percent=None,
        take_profit_limit_price=None,
        stop_loss_stop_price=None,
        stop_loss_limit_price=None,
        within_position=False,
        extra={},
    )
    legs = []
    tp = cmd.take_profit_limit_price
    if tp is not None and cmd.order_class is not OrderClass.OCO:
        legs.append(("take_profit", leg(type=OrderType.LIMIT, limit_price=tp, stop_price=None)))
    sl, sl_limit = cmd.stop_loss_stop_price, cmd.stop_loss_limit_price
    if sl is not None:
        kind = OrderType.STOP if sl_limit is None else OrderType.STOP_LIMIT
        legs.append(("stop_loss", leg(type=kind, stop_price=sl, limit_price=sl_limit)))
    return legs


def checked_legs(engine: ExecutionEngine, cmd: SubmitOrder, t_ns: int) -> list[SubmitOrder]:
    """The legs of a contingent order, checked as its entry will be (`ValidationError`
    naming the leg at fault); none for a simple order."""
    if cmd.order_class is OrderClass.SIMPLE:
        return []
    if cmd.order_class is not OrderClass.OCO:  # (an oco's sides `SubmitOrder` checks)
        base = engine.entry_price(cmd.symbol, cmd.limit_price, cmd.stop_price, t_ns)
        tp, sl = cmd.take_profit_limit_price, cmd.stop_loss_stop_price
        check_sides(cmd.side, base, tp, sl)
    legs = []
    for name, leg in leg_commands(cmd):
        try:
            engine.check_shape_of(leg, t_ns)
        except RuleViolation as exc:
            raise ValidationError(f"{name}: {exc.message}", field=name) from None
        legs.append(leg)
    return legs


def open_with_legs(
    engine: ExecutionEngine,
    entry: Order,
    leg_cmds: list[SubmitOrder],
    order_class: OrderClass,
    t_ns: int,
) -> Changes:
    """Open a contingent order's entry with its legs held for it (an oco's stop-loss
    opens beside it)."""
    account, inst = engine.account(entry.account_id), engine.catalog.get(entry.symbol)
    legs = [engine.new_order(c, inst, account, t_ns) for c in leg_cmds]
    calendar = engine.sessions.for_instrument(inst)
    for leg in legs:
        leg.arrival_mid = entry.arrival_mid
        # a day leg expires with its entry's day, held or working (day or gtc: no refusal)
        routing.route(leg, inst, calendar, t_ns + rules_of(leg).latency_ns)
        engine.by_client_id[(leg.account_id, leg.client_order_id)] = leg
    changes = hold(engine, entry, legs, order_class, t_ns)
    changes.merge(engine.open_order(entry, t_ns))
    if entry.extra[ORDER_CLASS] == OrderClass.OCO.value:
        changes.merge(open_oco_leg(engine, entry, legs[0], t_ns))
    return changes


def hold(
    engine: ExecutionEngine, entry: Order, legs: list[Order], order_class: OrderClass, t_ns: int
) -> Changes:
    """Tie `legs` to `entry`, not yet opened: a bracket's or oto's legs are held for it (an
    oco's stop-loss opens with `open_oco_leg` once the entry is open)."""
    cls = entry.extra[ORDER_CLASS] = order_class.value
    entry.extra[LEGS] = ",".join(leg.id for leg in legs)
    entry.group_id = entry.id
    for leg in legs:
        leg.extra[ORDER_CLASS], leg.extra[PARENT] = cls, entry.id
        leg.group_id = entry.id
    pair = legs if cls != OrderClass.OCO.value else [entry, *legs]
    if len(pair) == 2:
        a, b = pair
        a.extra[OCO_WITH], b.extra[OCO_WITH] = b.id, a.id
    if cls == OrderClass.OCO.value:
        return Changes()
    for leg in legs:
        leg.move_to(S.HELD, t_ns)
        engine.held[leg.id] = leg
    return Changes(orders=list(legs))


def open_oco_leg(engine: ExecutionEngine, entry: Order, leg: Order, t_ns: int) -> Changes:
    """Open an oco's stop-loss beside its take-profit, `entry`, just opened: for what the
    take-profit has left, or canceled if it filled at once."""
    if not entry.is_open:
        return engine.close_order(leg, S.CANCELED, t_ns, _canceled_by(entry))
    leg.qty = entry.remaining
    return engine.open_order(leg, t_ns)


def after_fill(engine: Bookkeeper, order: Order, t_ns: int) -> Changes:
    """Release the legs of an entry that has filled; shrink or cancel its one-cancels-other."""
    changes = Changes()
    if order.status is S.FILLED and LEGS in order.extra:
        changes.merge(_release(engine, order, t_ns))
    other = engine.orders.get(order.extra.get(OCO_WITH, ""))
    if other is not None:
        if order.status is S.FILLED:
            changes.merge(engine.close_order(other, S.CANCELED, t_ns, _canceled_by(order)))
        else:  # what it still closes, as the filled one does
            other.qty = other.filled_qty + order.remaining
            changes.orders.append(other)
    return changes


def after_close(engine: Bookkeeper, order: Order, t_ns: int) -> Changes:
    """An order ended without filling (canceled, expired): release its held legs for what
    it filled, or cancel them; a canceled one cancels its one-cancels-other."""
    changes = Changes()
    held = [engine.held[i] for i in order.leg_ids if i in engine.held]
    if held and order.filled_qty:
        changes.merge(_release(engine, order, t_ns))
    else:
        for leg in held:
            reason = f"its entry order {order.id} was {order.status.value}"
            changes.merge(cancel_held(engine, leg, t_ns, reason))
    other = engine.orders.get(order.extra.get(OCO_WITH, ""))
    if other is not None and order.status is S.CANCELED:
        changes.merge(engine.close_order(other, S.CANCELED, t_ns, _canceled_by(order)))
    return changes


def held_of(engine: Bookkeeper, account_id: str) -> list[Order]:
    """The account's held legs, oldest first."""
    return sorted((o for o in engine.held.values() if o.account_id == account_id), key=_SEQ)


def cancel_held(engine: Bookkeeper, leg: Order, t_ns: int, reason: str) -> Changes:
    """Cancel a held leg (and the held leg it is one-cancels-other with)."""
    changes = Changes()
    for one in (leg, engine.held.get(leg.extra.get(OCO_WITH, ""))):
        if one is not None and engine.held.pop(one.id, None) is not None:
            changes.merge(engine.close_order(one, S.CANCELED, t_ns, reason))
    return changes


def _release(engine: Bookkeeper, entry: Order, t_ns: int) -> Changes:
    """Let the entry's held legs work for what it filled, routed as orders placed now: for
    no more of it than the position still holds beyond what other exits already close (the
    trader may have sold some meanwhile), so that they never turn it around; canceled when
    nothing is left."""
    changes = Changes()
    qty = min(entry.filled_qty, _still_open(engine, entry))
    for leg_id in entry.leg_ids:
        leg = engine.held.get(leg_id)
        if leg is None:
            continue
        if qty <= 0:
            reason = f"nothing left to close: the position its entry {entry.id} opened is closed"
            changes.merge(cancel_held(engine, leg, t_ns, reason))
            continue
        del engine.held[leg_id]
        leg.qty = qty
        leg.arrival_mid = engine.marks(t_ns).mid(leg.symbol)
        leg.extra[RELEASED] = str(t_ns)  # sent to the market now: what printed before is not its
        if leg.expire_ns is not None and leg.expire_ns <= t_ns:  # a day order, its day over
            changes.merge(engine.close_order(leg, S.EXPIRED, t_ns, DAY_EXPIRED))
            continue
        changes.orders.append(leg)
        calendar = engine.sessions.for_instrument(engine.catalog.get(leg.symbol))
        waits = routing.waits_for_market(leg, calendar, t_ns)
        leg.move_to(S.PENDING_OPEN if waits else S.ACCEPTED, t_ns)
        engine.orders[leg.id] = leg
        changes.events.append(engine.accepted(leg, t_ns))
    return changes


def _still_open(engine: Bookkeeper, entry: Order) -> Decimal:
    """What is left of the position on the entry's side that open exits do not yet close."""
    pos = engine.position(entry.account_id, entry.symbol)
    held = pos.qty if entry.side is Side.BUY else -pos.qty
    return held - engine.held_for_orders(pos) if held > 0 else Decimal(0)


def _canceled_by(order: Order) -> str:
    done = "filled" if order.status is S.FILLED else order.status.value
    return f"one-cancels-other: {order.id} {done}"


def counted_once(orders: Iterable[Order]) -> list[Order]:
    """`orders` with the later of each open one-cancels-other pair left out: the pair closes
    what one of them does, so checks that add up open orders count it once."""
    kept, seen = [], set()
    for o in orders:
        other = o.extra.get(OCO_WITH) if o.extra else None
        if other is not None:
            if other in seen:
                continue
            seen.add(o.id)
        kept.append(o)
    return kept


def relink(engine: Bookkeeper, old: Order, new: Order) -> list[Order]:
    """Point the orders tied to `old`, just replaced by `new`, at `new`; return them. `new`
    takes `old`'s place in its group; an entry replaced leaves the group to its replacement
    (it is listed on its own: its legs are the replacement's).

    An oco's stop-loss is found as `old`'s one-cancels-other as well as by its entry's legs,
    which keep the id it was placed with: replaced itself, it is found that way alone."""
    new.group_id = old.group_id
    if old.leg_ids:
        old.group_id = None
    other = _find(engine, old.extra.get(OCO_WITH, ""))
    if other is not None:
        other.extra[OCO_WITH] = new.id
    moved = {} if other is None else {other.id: other}
    for leg in (_find(engine, i) for i in old.leg_ids):
        if leg is not None:
            moved[leg.id] = leg
    for leg in moved.values():
        if leg.extra.get(PARENT) == old.id:
            leg.extra[PARENT] = new.id
    return list(moved.values())  # (an entry keeps listing a replaced leg: `replaced_by` leads on)


def _find(engine: Bookkeeper, order_id: str) -> Order | None:
    """The engine's open order or held leg with this id."""
    return engine.orders.get(order_id) or engine.held.get(order_id)


def check_replaceable(engine: Bookkeeper, order: Order, cmd: ReplaceOrder, base: Decimal) -> None:
    """Refuse a replacement that would untie a contingent order: an entry that has filled
    part (its legs are sized by its fills), one whose new price would put its held exits on
    the wrong side of it (`base`: its new limit or stop, else the mid), a new quantity for a
    leg (it follows the entry's fills, or the other leg of its pair), or a new time in force
    (the group's orders expire together)."""
    if ORDER_CLASS not in order.extra:
        return
    group = f"part of a {order.extra[ORDER_CLASS]} order"
    if cmd.tif is not None and cmd.tif is not order.tif:
        raise ValidationError(
            f"order {order.id} is {group}, whose orders share their time in force: replace "
            "its prices only",
            field="time_in_force",
        )
    if cmd.qty is not None and (PARENT in order.extra or OCO_WITH in order.extra):
        raise ValidationError(
            f"order {order.id} is {group}: its quantity follows the others'; replace its "
            "prices only",
            field="qty",
        )
    held = {leg.type: leg for i in order.leg_ids if (leg := engine.held.get(i)) is not None}
    if held and order.filled_qty:
        raise ValidationError(
            f"order {order.id} has filled part of a {order.extra[ORDER_CLASS]} entry whose legs "
            "are sized by its fills: cancel it (its legs then work for what it filled)"
        )
    if held:
        take = held.get(OrderType.LIMIT)
        stop = held.get(OrderType.STOP) or held.get(OrderType.STOP_LIMIT)
        tp = None if take is None else take.limit_price
        check_sides(order.side, base, tp, None if stop is None else stop.stop_price)
