"""Replacing an open order: a new order takes its place with the changes asked for, and the
old one keeps its fills and ends `replaced` (Alpaca's PATCH /v2/orders/{id})."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from vtrade.core.clock import iso
from vtrade.core.errors import ConflictError, ValidationError, refusing
from vtrade.core.money import CENT
from vtrade.domain import events as ev
from vtrade.domain.changes import Changes
from vtrade.domain.commands import ReplaceOrder, SubmitOrder
from vtrade.domain.orders import (
    LEGS,
    OCO_WITH,
    ORDER_CLASS,
    REPLACE_DUE,
    REPLACE_SENT_FILLED,
    REPLACING_WITH,
    Order,
    OrderStatus,
    OrderType,
)
from vtrade.execution import contingent
from vtrade.execution.profiles import rules_of

if TYPE_CHECKING:
    from vtrade.execution.engine import ExecutionEngine

S = OrderStatus
# How a replacement of an order tied to others joins them: only when it takes that order's
# place (`_tie`); on its way to the market it is on its own, so nothing it does (a cancel,
# an expiry) reaches the orders the other still holds with.
_TIES = (OCO_WITH, LEGS)


def replace(engine: ExecutionEngine, cmd: ReplaceOrder, t_ns: int) -> tuple[Order, Changes]:
    """Replace an open order by a new one; the old one keeps its fills and ends `replaced`.
    A replacement the checks refuse is not kept (Alpaca answers a failed replace with an
    error and no new order): it comes back `rejected` with no changes, and the old order
    stays open as it was. A `client_order_id` another order of the account has (the old
    one included) is refused before anything changes. Under a profile with latency the
    replace travels to the market as an order does: the old order works on until it
    arrives (`land`); one tied to others (a bracket's, oto's or oco's) stays tied till then."""
    with refusing():
        held = engine.held.get(cmd.order_id)
        if held is not None and held.account_id == cmd.account_id:
            raise ValidationError(
                f"order {cmd.order_id} is a leg held until its entry order fills: it can be "
                "replaced once it works (or canceled now)"
            )
        old = engine.own_open_order(cmd.account_id, cmd.order_id)
        engine.check_unlocked(old, t_ns)
        _check_nothing_on_its_way(old)
        _check_replaceable(old, cmd)
        limit, stop = cmd.limit_price or old.limit_price, cmd.stop_price or old.stop_price
        base = engine.entry_price(old.symbol, limit, stop, t_ns)
        contingent.check_replaceable(engine, old, cmd, base)
        engine.check_client_id_free(cmd.account_id, cmd.client_order_id)
    del engine.orders[old.id]  # the new order must not count the old one as open
    try:
        with refusing():  # the old order is back in place before this error leaves
            left = notional_left(engine, old, t_ns) if cmd.qty is None else None
            replacement = _replacement(old, cmd, engine.ids.next("cmd"), t_ns, left)
            new, refused = engine.checked(replacement, t_ns)
        if refused is not None:
            return new, Changes()
        if old.type is OrderType.TRAILING_STOP:
            # the market's best since the old order started still counts (a tighter trail
            # gives a tighter stop), and a triggered one is a market order: it stays live
            new.watermark, new.triggered = old.watermark, old.triggered
        else:  # a triggered stop-limit is a live limit order: a new limit keeps it live
            new.triggered = old.triggered and new.stop_price == old.stop_price
        engine.by_client_id[(new.account_id, new.client_order_id)] = new
    finally:
        engine.orders[old.id] = old
    new.replaces = old.id
    latency = rules_of(old).latency_ns
    if latency:
        return new, _send(engine, old, new, t_ns, t_ns + latency)
    old.replaced_by = new.id
    # `replaced` goes out before the replacement's own events, as Alpaca streams them
    # (alpaca-compat.md §9), and its links are the replacement's before it can fill
    changes = engine.close_order(old, S.REPLACED, t_ns, f"replaced by {new.id}")
    changes.orders += contingent.relink(engine, old, new)
    changes.merge(engine.open_order(new, t_ns))
    return new, changes


def check_not_being_replaced(order: Order) -> None:
    """Refuse to change an order a replace is on its way to (a profile's latency): it ends
    replaced when that arrives, and the replacement is the order to change."""
    if REPLACING_WITH in order.extra:
        raise ConflictError(
            f"order {order.id} can no longer change: its replace by "
            f"{order.extra[REPLACING_WITH]} is on its way (cancel that order instead)"
        )


def _check_nothing_on_its_way(order: Order) -> None:
    """Refuse to replace an order a cancel or a replace is on its way to, or a replacement
    whose replace has not reached the market yet."""
    check_not_being_replaced(order)
    for due, doing in (
        (order.cancel_due_ns, "a cancel is on its way to the market"),
        (order.replace_due_ns, "the replace that placed it has not reached the market"),
    ):
        if due is not None:
            raise ConflictError(
                f"order {order.id} can no longer change: {doing} (it arrives at {iso(due)})"
            )


def _send(engine: ExecutionEngine, old: Order, new: Order, t_ns: int, due: int) -> Changes:
    """Send a replace that reaches the market at `due`: `new` is accepted now and reaches it
    then (as any order under the profile), when `land` ends `old`, which works on till then."""
    new.extra[REPLACE_DUE] = str(due)
    new.extra[REPLACE_SENT_FILLED] = str(old.filled_qty)
    for tie in _TIES:  # it joins the orders `old` is tied to when it lands (`_tie`)
        new.extra.pop(tie, None)
    old.extra[REPLACING_WITH] = new.id
    meta = engine.order_meta(old, t_ns)
    sent = ev.OrderReplaceRequested(**meta, replaced_by=new.id, reaches_ns=due)
    changes = Changes(orders=[old], events=[sent])  # pending_replace, before the new order's
    changes.merge(engine.open_order(new, t_ns))
    return changes


def land(engine: ExecutionEngine, new: Order, t_ns: int) -> Changes:
    """A replace sent under a profile's latency reaches the market: the order it replaces
    ends `replaced` with what it filled meanwhile, and `new` takes its place, less what that
    order filled since the replace was sent (the two never fill more than was asked); if that
    order has ended (filled, expired, canceled) or left `new` nothing, `new` is canceled."""
    sent_filled = Decimal(new.extra.pop(REPLACE_SENT_FILLED, "0"))
    del new.extra[REPLACE_DUE]
    engine.orders.recount(new)
    old = engine.orders.get(new.replaces or "")
    if old is None:
        reason = f"the order it replaces, {new.replaces}, ended before the replace arrived"
        return engine.close_order(new, S.CANCELED, t_ns, reason)
    del old.extra[REPLACING_WITH]
    meanwhile = old.filled_qty - sent_filled
    if meanwhile and _holds_legs(engine, old):
        reason = (
            f"the entry it replaces, {old.id}, filled part before the replace arrived: its "
            "held legs are sized by its fills, so it works on as it was"
        )
        changes = engine.close_order(new, S.CANCELED, t_ns, reason)
        changes.orders.append(old)
        return changes
    left = notional_left(engine, old, t_ns)  # of a notional order's, after its fills since
    if new.notional is not None and left is not None:
        new.notional = min(new.notional, left)
    elif meanwhile:
        new.qty -= meanwhile
    old.replaced_by = new.id
    changes = engine.close_order(old, S.REPLACED, t_ns, f"replaced by {new.id}")
    changes.orders += _tie(engine, old, new)
    if new.qty <= 0 or (new.notional is not None and new.notional <= 0):
        reason = f"the order it replaces, {old.id}, filled what it was to fill meanwhile"
        changes.merge(engine.close_order(new, S.CANCELED, t_ns, reason))
        return changes
    changes.orders.append(new)
    return changes


def _holds_legs(engine: ExecutionEngine, order: Order) -> bool:
    """Whether `order` is an entry whose legs are held for its fills."""
    return any(leg in engine.held for leg in order.leg_ids)


def _tie(engine: ExecutionEngine, old: Order, new: Order) -> list[Order]:
    """Give `new`, landing in the place of `old`, the ties `old` has to other orders (its
    one-cancels-other, its legs), and point those at `new`; return the orders changed."""
    if ORDER_CLASS not in old.extra:
        return []
    for tie in _TIES:
        if tie in old.extra:
            new.extra[tie] = old.extra[tie]
    return contingent.relink(engine, old, new)


# The prices a replacement may change, by the type of the order it replaces (which it keeps).
_REPLACEABLE_PRICES = {
    OrderType.MARKET: (),
    OrderType.LIMIT: ("limit_price",),
    OrderType.STOP: ("stop_price",),
    OrderType.STOP_LIMIT: ("limit_price", "stop_price"),
    OrderType.TRAILING_STOP: ("trail",),
}


def _check_replaceable(old: Order, cmd: ReplaceOrder) -> None:
    """Refuse, as malformed input, a replacement setting a price the order's type has none
    of: it keeps the type, so a limit order given a stop_price could never be it."""
    allowed = _REPLACEABLE_PRICES[old.type]
    for name in ("limit_price", "stop_price", "trail"):
        if getattr(cmd, name) is not None and name not in allowed:
            changes = ", ".join(("qty", "time_in_force", *allowed, "client_order_id"))
            raise ValidationError(
                f"a {old.type.value} order takes no {name}: its replacement keeps its type and "
                f"may change {changes}",
                field=name,
            )


def notional_left(engine: ExecutionEngine, old: Order, t_ns: int) -> Decimal | None:
    """What is left of a notional order's notional, to the cent below (None: sized by
    quantity): what its replacement may still spend or raise."""
    if old.notional is None:
        return None
    left = engine.notional_left(old, engine.catalog.get(old.symbol), t_ns)
    return left.quantize(CENT, rounding=ROUND_FLOOR)


def _replacement(
    old: Order, cmd: ReplaceOrder, cmd_id: str, t_ns: int, notional: Decimal | None
) -> SubmitOrder:
    """The order that replaces `old`: its fields, changed where `cmd` says. A notional order
    not given a quantity stays one, for the `notional` left of it (it buys or sells no more
    than the trader asked for). A trailing stop carries its trail (`cmd.trail` in the old
    one's unit), never the stop the engine computed from it: `replace` gives the new order
    the old one's watermark, and its stop follows from that with the new trail."""
    trail_price, trail_percent = old.trail_price, old.trail_percent
    if cmd.trail is not None and trail_percent is not None:
        trail_percent = cmd.trail
    elif cmd.trail is not None:
        trail_price = cmd.trail
    stop_price = cmd.stop_price
    if stop_price is None and old.type is not OrderType.TRAILING_STOP:
        stop_price = old.stop_price
    return SubmitOrder(
        id=cmd_id,
        ts_init=t_ns,
        account_id=old.account_id,
        symbol=old.symbol,
        side=old.side,
        type=old.type,
        tif=cmd.tif or old.tif,
        qty=cmd.qty if cmd.qty is not None or notional is not None else old.remaining,
        notional=notional,
        limit_price=cmd.limit_price if cmd.limit_price is not None else old.limit_price,
        stop_price=stop_price,
        trail_price=trail_price,
        trail_percent=trail_percent,
        extended_hours=old.extended_hours,
        client_order_id=cmd.client_order_id,
        within_position=cmd.within_position,
        whole_units=cmd.whole_units,
        extra=old.extra,
    )
