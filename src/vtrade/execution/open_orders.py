"""The engine's open orders, indexed by id and by account (pre-trade checks read one account's)."""

from __future__ import annotations

from operator import attrgetter

from vtrade.domain.orders import Order

_BY_SEQ = attrgetter("seq")


class OpenOrders(dict[str, Order]):
    """Open orders by id, plus each account's open orders, in submission order."""

    def __init__(self, orders: list[Order] | None = None) -> None:
        super().__init__()
        self._by_account: dict[str, dict[str, Order]] = {}
        for order in sorted(orders or [], key=lambda o: o.seq):
            self[order.id] = order

    def __setitem__(self, order_id: str, order: Order) -> None:
        super().__setitem__(order_id, order)
        self._by_account.setdefault(order.account_id, {})[order_id] = order

    def __delitem__(self, order_id: str) -> None:
        order = self[order_id]
        super().__delitem__(order_id)
        self._by_account[order.account_id].pop(order_id, None)

    def pop(self, order_id: str, default: Order | None = None) -> Order | None:  # type: ignore[override]
        if order_id not in self:
            return default
        order = self[order_id]
        del self[order_id]
        return order

    def of(self, account_id: str) -> list[Order]:
        """The account's open orders, oldest first."""
        return sorted(self._by_account.get(account_id, {}).values(), key=_BY_SEQ)
