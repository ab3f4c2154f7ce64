"""The `orders` channel: each order event with the order as it stood just after it (and, for
fills, the fill with its receipt), once, in commit order (the engine commits an order's
`replaced` before its replacement's events, as alpaca-compat.md §9 streams them)."""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from vtrade.bootstrap import Container
from vtrade.domain import events as ev
from vtrade.domain.orders import CANCEL_DUE, REPLACING_WITH, Fill, Order, OrderStatus
from vtrade.execution.profiles import cancel_sent_ns

log = logging.getLogger("vtrade.api.ws")

_FILLS_READ = 10_000  # of one order, for the fill an event reports
# Event ids remembered to publish each once: more than a relay publishes again after a failed
# mark (one chunk) and than a step commits.
_REMEMBERED = 100_000


class OrderUpdate:
    """An order event, the order as it stood just after it, and (for fills) the fill."""

    def __init__(self, event: ev.OrderEvent, order: Order, container: Container) -> None:
        self.event = event
        self.order = order
        self.container = container
        self._fills: list[Fill] | None = None

    @property
    def kind(self) -> str:
        """accepted, routed, fill, partial_fill, pending_cancel, pending_replace, canceled,
        expired, rejected or replaced."""
        e = self.event
        if isinstance(e, ev.OrderFilled):
            return "partial_fill" if e.partial else "fill"
        if isinstance(e, ev.OrderRouted):
            return "routed"
        if isinstance(e, ev.OrderCancelRequested):
            return "pending_cancel"
        if isinstance(e, ev.OrderReplaceRequested):
            return "pending_replace"
        return _CLOSING[type(e)].value if type(e) in _CLOSING else "accepted"

    def fill(self) -> Fill | None:
        """The fill this event reports, with its receipt (read once, from the ledger)."""
        e = self.event
        if not isinstance(e, ev.OrderFilled):
            return None
        return next((f for f in self.order_fills() if f.id == e.fill_id), None)

    def order_fills(self) -> list[Fill]:
        """The order's fills, newest first."""
        if self._fills is None:
            e = self.event
            self._fills = self.container.store.list_fills(
                e.account_id, order_id=e.order_id, limit=_FILLS_READ
            )
        return self._fills


_CLOSING: dict[type, OrderStatus] = {
    ev.OrderCanceled: OrderStatus.CANCELED,
    ev.OrderExpired: OrderStatus.EXPIRED,
    ev.OrderRejected: OrderStatus.REJECTED,
    ev.OrderReplaced: OrderStatus.REPLACED,
}


def order_update(container: Container, event: ev.OrderEvent) -> OrderUpdate | None:
    """The order as it stood just after `event` (it may have moved on since)."""
    engine = container.engine
    order = engine.orders.get(event.order_id) or engine.by_client_id.get(
        (event.account_id, event.client_order_id)
    )
    if order is None or order.id != event.order_id:
        order = container.store.get_order(event.order_id)
    if order is None:
        log.warning("order %s of event %s not found", event.order_id, event.id)
        return None
    # only its last event, `replaced`, finds an order replaced
    patch: dict[str, Any] = {"updated_ns": event.ts_event, "replaced_by": None}
    update = OrderUpdate(event, order, container)
    if isinstance(event, ev.OrderAccepted | ev.OrderRouted):  # nothing filled before either
        status = event.status if isinstance(event, ev.OrderAccepted) else OrderStatus.ACCEPTED
        patch.update(status=OrderStatus(status), filled_qty=Decimal(0), filled_notional=Decimal(0))
        if isinstance(event, ev.OrderAccepted) and event.watermark is not None:
            patch.update(stop_price=event.stop_price, watermark=event.watermark)  # as accepted
    elif isinstance(event, ev.OrderFilled):
        patch["status"] = OrderStatus.PARTIALLY_FILLED if event.partial else OrderStatus.FILLED
        patch["filled_qty"] = event.filled_qty
        if order.filled_qty != event.filled_qty:  # filled further since: add up to here
            fills = update.order_fills()
            mine = next((k for k, f in enumerate(fills) if f.id == event.fill_id), 0)
            patch["filled_notional"] = sum((f.qty * f.price for f in fills[mine:]), Decimal(0))
    elif isinstance(event, ev.OrderCancelRequested | ev.OrderReplaceRequested):
        # still open, a cancel or a replace on its way
        if isinstance(event, ev.OrderCancelRequested):
            patch["extra"] = {**order.extra, CANCEL_DUE: str(event.reaches_ns)}
        else:
            patch["extra"] = {**order.extra, REPLACING_WITH: event.replaced_by}
        # what it had filled then (it may have filled since)
        fills = update.order_fills() if order.filled_qty else []
        fills = [f for f in fills if f.ts_ns <= event.ts_event]
        filled = sum((f.qty for f in fills), Decimal(0))
        unfilled = (
            order.status if order.status is OrderStatus.PENDING_OPEN else OrderStatus.ACCEPTED
        )
        patch["status"] = OrderStatus.PARTIALLY_FILLED if filled else unfilled
        patch["filled_qty"] = filled
        patch["filled_notional"] = sum((f.qty * f.price for f in fills), Decimal(0))
    elif type(event) in _CLOSING:
        patch["status"] = _CLOSING[type(event)]
        if isinstance(event, ev.OrderReplaced):
            patch["replaced_by"] = event.replaced_by
    if "extra" not in patch:
        patch["extra"] = _before_changes_sent(container, order, event.ts_event)
    update.order = dataclasses.replace(order, **patch)
    return update


def _before_changes_sent(container: Container, order: Order, t_ns: int) -> dict[str, str]:
    """`order`'s extra as it stood just after an event at `t_ns`: without the cancel or the
    replace on its way to the market (a profile's latency) if sent then or after (a command
    comes after the events of its instant's market step)."""
    extra = order.extra
    sent = cancel_sent_ns(order)
    if sent is not None and t_ns <= sent:
        extra = {k: v for k, v in extra.items() if k != CANCEL_DUE}
    replacement = container.engine.orders.get(extra.get(REPLACING_WITH, ""))
    if replacement is not None and t_ns <= replacement.created_ns:
        extra = {k: v for k, v in extra.items() if k != REPLACING_WITH}
    return extra


class OrderFeed:
    """Turns the bus's order events into `OrderUpdate`s and publishes them per account, each
    once: the outbox delivers at least once (a chunk whose mark failed is published again),
    and a `new` carries no id a client could tell a repeat by."""

    def __init__(self, container: Container, publish: Callable[[str, OrderUpdate], None]) -> None:
        self.container = container
        self.publish = publish  # (account id, update)
        self._sent: OrderedDict[str, None] = OrderedDict()  # the latest event ids, oldest first

    def on_order(self, event: object) -> None:
        """Bus handler of an account's orders topic."""
        if not isinstance(event, ev.OrderEvent) or event.id in self._sent:
            return
        self._sent[event.id] = None
        if len(self._sent) > _REMEMBERED:
            self._sent.popitem(last=False)
        update = order_update(self.container, event)
        if update is not None:
            self.publish(event.account_id, update)
