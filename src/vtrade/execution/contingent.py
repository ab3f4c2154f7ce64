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
from typing import TYPE_CHECKING

from vtrade.core.errors import ValidationError
from vtrade.domain import events as ev
from vtrade.domain.changes import Changes
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import (
    LEGS,
    OCO_WITH,
    ORDER_CLASS,
    PARENT,
    Order,
    OrderClass,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from vtrade.execution import routing
from vtrade.execution.validation import RuleViolation

if TYPE_CHECKING:
    from vtrade.execution.booking import Bookkeeper
    from vtrade.execution.engine import ExecutionEngine

S = OrderStatus
ENTRY_TYPES = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT)
TIFS = (TimeInForce.DAY, TimeInForce.GTC)


def check_request(cmd: SubmitOrder, base: Decimal) -> None:
    """Refuse a contingent order that is malformed (a `ValidationError` saying what is
    allowed): its class's legs, its type and time in force, and exits on the right side of
    `base`, the entry's price (its limit or stop, else the mid) or, for an oco, each other."""
    cls = cmd.order_class
    tp, sl = cmd.take_profit_limit_price, cmd.stop_loss_stop_price
    if cmd.stop_loss_limit_price is not None and sl is None:
        raise ValidationError(
            "stop_loss limit_price needs a stop_loss stop_price", field="stop_loss"
        )
    if cls is OrderClass.OTO:
        if (tp is None) == (sl is None):
            raise ValidationError("an oto order takes one exit: take_profit or stop_loss")
    elif tp is None or sl is None:
        raise ValidationError(f"a {cls.value} order needs both take_profit and stop_loss")
    if cmd.tif not in TIFS:
        raise ValidationError(
            f"a {cls.value} order's time_in_force must be day or gtc, not {cmd.tif.value}",
            field="time_in_force",
        )
    if cmd.extended_hours:
        raise ValidationError(f"a {cls.value} order cannot trade in extended hours")
    if cmd.qty is None:
        raise ValidationError(f"a {cls.value} order is sized by qty, not notional", field="qty")
    if cls is OrderClass.OCO:
        _check_oco(cmd, tp, sl)
        return
    if cmd.type not in ENTRY_TYPES:
        raise ValidationError(
            f"a {cls.value} order's entry is a market, limit, stop or stop_limit order, not "
            f"{cmd.type.value}",
            field="type",
        )
    above = cmd.side is Side.BUY  # a long's take-profit sells above the entry, its stop below
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


def _check_oco(cmd: SubmitOrder, tp: Decimal | None, sl: Decimal | None) -> None:
    assert tp is not None and sl is not None
    if cmd.type is not OrderType.LIMIT:
        raise ValidationError(
            f"an oco order is a limit order (its take-profit), not {cmd.type.value}", field="type"
        )
    if cmd.limit_price is not None and cmd.limit_price != tp:
        raise ValidationError(
            f"an oco order's limit_price {cmd.limit_price} must be its take_profit limit_price "
            f"{tp}",
            field="limit_price",
        )
    if (tp > sl) != (cmd.side is Side.SELL):  # a sell takes profit above its stop
        where = "above" if cmd.side is Side.SELL else "below"
        raise ValidationError(
            f"an oco {cmd.side.value}'s take_profit limit_price {tp} must be {where} its "
            f"stop_loss stop_price {sl}",
            field="take_profit",
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


def hold(
    engine: ExecutionEngine, entry: Order, legs: list[Order], order_class: OrderClass, t_ns: int
) -> Changes:
    """Tie `legs` to `entry`, not yet opened: a bracket's or oto's legs are held for it (an
    oco's stop-loss opens with `open_oco_leg` once the entry is open)."""
    cls = entry.extra[ORDER_CLASS] = order_class.value
    entry.extra[LEGS] = ",".join(leg.id for leg in legs)
    for leg in legs:
        leg.extra[ORDER_CLASS], leg.extra[PARENT] = cls, entry.id
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
    held = [engine.held[i] for i in _leg_ids(order) if i in engine.held]
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


def cancel_held(engine: Bookkeeper, leg: Order, t_ns: int, reason: str) -> Changes:
    """Cancel a held leg (and the held leg it is one-cancels-other with)."""
    changes = Changes()
    for one in (leg, engine.held.get(leg.extra.get(OCO_WITH, ""))):
        if one is not None and engine.held.pop(one.id, None) is not None:
            one.move_to(S.CANCELED, t_ns)
            meta = engine.order_meta(one, t_ns)
            changes.orders.append(one)
            changes.events.append(ev.OrderCanceled(**meta, reason=reason))
    return changes


def _release(engine: Bookkeeper, entry: Order, t_ns: int) -> Changes:
    """Let the entry's held legs work for what it filled, routed as orders placed now."""
    changes = Changes()
    for leg_id in _leg_ids(entry):
        leg = engine.held.pop(leg_id, None)
        if leg is None:
            continue
        leg.qty = entry.filled_qty
        leg.arrival_mid = engine.marks(t_ns).mid(leg.symbol)
        leg.created_ns = t_ns  # it reaches the market now: what printed before is not its
        inst = engine.catalog.get(leg.symbol)
        calendar = engine.sessions.for_instrument(inst)
        try:
            routing.route(leg, inst, calendar, t_ns)
        except RuleViolation as exc:
            leg.move_to(S.CANCELED, t_ns)
            meta = engine.order_meta(leg, t_ns)
            changes.orders.append(leg)
            changes.events.append(ev.OrderCanceled(**meta, reason=exc.message))
            continue
        waits = routing.waits_for_market(leg, calendar, t_ns)
        leg.move_to(S.PENDING_OPEN if waits else S.ACCEPTED, t_ns)
        engine.orders[leg.id] = leg
        changes.orders.append(leg)
        status = leg.status.value
        changes.events.append(ev.OrderAccepted(**engine.order_meta(leg, t_ns), status=status))
    return changes


def _leg_ids(order: Order) -> list[str]:
    legs = order.extra.get(LEGS)
    return legs.split(",") if legs else []


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
    """Point the orders tied to `old`, just replaced by `new`, at `new`; return them."""
    moved = []
    for leg_id in _leg_ids(old):
        leg = engine.held.get(leg_id) or engine.orders.get(leg_id)
        if leg is not None and leg.extra.get(PARENT) == old.id:
            leg.extra[PARENT] = new.id
            moved.append(leg)
    other = engine.orders.get(old.extra.get(OCO_WITH, "")) or engine.held.get(
        old.extra.get(OCO_WITH, "")
    )
    if other is not None:
        other.extra[OCO_WITH] = new.id
        moved.append(other)
    return moved  # (an entry keeps listing a replaced leg: its `replaced_by` leads on)


def check_replaceable(order: Order, qty: Decimal | None) -> None:
    """Refuse a replacement that would untie a contingent order: an entry that has filled
    part (its legs are sized by its fills), or a new quantity for a leg (it follows the
    entry's fills, or the other leg of its pair)."""
    if ORDER_CLASS not in order.extra:
        return
    if LEGS in order.extra and order.filled_qty and PARENT not in order.extra:
        raise ValidationError(
            f"order {order.id} has filled part of a {order.extra[ORDER_CLASS]} entry whose legs "
            "are sized by its fills: cancel it (its legs then work for what it filled)"
        )
    if qty is not None and (PARENT in order.extra or OCO_WITH in order.extra):
        raise ValidationError(
            f"order {order.id} is part of a {order.extra[ORDER_CLASS]} order: its quantity "
            "follows the others'; replace its prices or time in force only",
            field="qty",
        )
