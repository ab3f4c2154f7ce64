"""The `orders` channel: each order event with the order as it stood just after it (and, for
fills, the fill with its receipt); a replacement's events wait for the old order's `replaced`
(alpaca-compat.md §9)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vtrade.bootstrap import Container
from vtrade.domain import events as ev
from vtrade.domain.orders import Fill, Order, OrderStatus

log = logging.getLogger("vtrade.api.ws")

_HOLD_LIMIT = 10_000


class OrderUpdate:
    """An order event, the order as it stood just after it, and (for fills) the fill."""

    def __init__(self, event: ev.OrderEvent, order: Order, container: Container) -> None:
        self.event = event
        self.order = order
        self.container = container
        self._fills: list[Fill] | None = None

    @property
    def kind(self) -> str:
        """accepted, routed, fill, partial_fill, canceled, expired, rejected or replaced."""
        e = self.event
        if isinstance(e, ev.OrderFilled):
            return "partial_fill" if e.partial else "fill"
        if isinstance(e, ev.OrderRouted):
            return "routed"
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
                e.account_id, order_id=e.order_id, limit=_HOLD_LIMIT
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
    patch: dict[str, Any] = {"updated_ns": event.ts_event}
    update = OrderUpdate(event, order, container)
    if isinstance(event, ev.OrderAccepted | ev.OrderRouted):  # nothing filled before either
        status = event.status if isinstance(event, ev.OrderAccepted) else OrderStatus.ACCEPTED
        patch.update(
            status=OrderStatus(status),
            filled_qty=Decimal(0),
            filled_notional=Decimal(0),
            replaced_by=None,
        )
    elif isinstance(event, ev.OrderFilled):
        patch["status"] = OrderStatus.PARTIALLY_FILLED if event.partial else OrderStatus.FILLED
        patch["filled_qty"] = event.filled_qty
        if order.filled_qty != event.filled_qty:  # filled further since: add up to here
            fills = update.order_fills()
            mine = next((k for k, f in enumerate(fills) if f.id == event.fill_id), 0)
            patch["filled_notional"] = sum((f.qty * f.price for f in fills[mine:]), Decimal(0))
    elif type(event) in _CLOSING:
        patch["status"] = _CLOSING[type(event)]
    update.order = dataclasses.replace(order, **patch)
    return update


@dataclass(slots=True)
class _Held:
    replaced: str  # the order whose `replaced` event releases these
    updates: list[OrderUpdate] = field(default_factory=list)


class OrderFeed:
    """Turns the bus's order events into `OrderUpdate`s and publishes them per account,
    holding a replacement's back until the old order's `replaced` has gone out."""

    def __init__(self, container: Container, publish: Callable[[str, OrderUpdate], None]) -> None:
        self.container = container
        self.publish = publish  # (account id, update)
        self._held: dict[str, _Held] = {}

    def on_order(self, event: object) -> None:
        """Bus handler of an account's orders topic."""
        if not isinstance(event, ev.OrderEvent):
            return
        account = event.account_id
        update = order_update(self.container, event)
        held = self._held.get(account)
        if held is not None:
            if isinstance(event, ev.OrderReplaced) and event.order_id == held.replaced:
                del self._held[account]
                if update is not None:
                    self.publish(account, update)
                for each in held.updates:
                    self.publish(account, each)
                return
            ours = event.order_id == held.updates[0].event.order_id
            if ours and len(held.updates) < _HOLD_LIMIT:
                if update is not None:
                    held.updates.append(update)
                return
            del self._held[account]  # its `replaced` never came (a redelivery): let it go
            for each in held.updates:
                self.publish(account, each)
        if update is None:
            return
        if isinstance(event, ev.OrderAccepted) and update.order.replaces:
            self._held[account] = _Held(update.order.replaces, [update])
            return
        self.publish(account, update)
