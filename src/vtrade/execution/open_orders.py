"""The engine's open orders, indexed by id, by account (pre-trade checks read one account's),
by symbol (working orders meet the market symbol by symbol) and by the instants they fall due
or expire (every `advance` asks for the next one)."""

from __future__ import annotations

from operator import attrgetter

from vtrade.domain.orders import Order

_BY_SEQ = attrgetter("seq")


class OpenOrders(dict[str, Order]):
    """Open orders by id, plus each account's open orders, in submission order.

    An open order's `due_ns`, `expire_ns`, `cancel_due_ns` and `replace_due_ns` change only
    through `clear_due` or with a `recount`, so that the instants counted for it stay in step.
    """

    def __init__(self, orders: list[Order] | None = None) -> None:
        super().__init__()
        self._by_account: dict[str, dict[str, Order]] = {}
        self._by_symbol: dict[str, dict[str, Order]] = {}
        self._instants: dict[int, int] = {}  # due, expiry, cancel... instants -> how many orders
        self._counted: dict[str, tuple[int, ...]] = {}  # each order's instants, as counted
        for order in sorted(orders or [], key=lambda o: o.seq):
            self[order.id] = order

    def __setitem__(self, order_id: str, order: Order) -> None:
        if order_id in self:
            self._uncount(order_id)
        super().__setitem__(order_id, order)
        self._by_account.setdefault(order.account_id, {})[order_id] = order
        self._by_symbol.setdefault(order.symbol, {})[order_id] = order
        self._count(order)

    def __delitem__(self, order_id: str) -> None:
        order = self[order_id]
        super().__delitem__(order_id)
        self._by_account[order.account_id].pop(order_id, None)
        same_symbol = self._by_symbol[order.symbol]
        del same_symbol[order_id]
        if not same_symbol:
            del self._by_symbol[order.symbol]
        self._uncount(order_id)

    def pop(self, order_id: str, default: Order | None = None) -> Order | None:  # type: ignore[override]
        if order_id not in self:
            return default
        order = self[order_id]
        del self[order_id]
        return order

    def of(self, account_id: str) -> list[Order]:
        """The account's open orders, oldest first."""
        return sorted(self._by_account.get(account_id, {}).values(), key=_BY_SEQ)

    def by_symbol(self) -> dict[str, dict[str, Order]]:
        """Open orders by symbol (symbols without any are left out); read, do not change."""
        return self._by_symbol

    def next_instant(self, after_ns: int | None = None) -> int | None:
        """The earliest instant (after `after_ns`, if given) at which an open order falls due,
        expires, or a cancel or replace sent for it arrives."""
        if after_ns is None:
            return min(self._instants, default=None)
        return min((t for t in self._instants if t > after_ns), default=None)

    def clear_due(self, order: Order) -> None:
        """Mark `order` as no longer due (its auction has run, or it has arrived)."""
        order.due_ns = None
        self.recount(order)

    def recount(self, order: Order) -> None:
        """Index `order`'s due and expiry instants again, after they changed."""
        if self.get(order.id) is order:
            self._uncount(order.id)
            self._count(order)

    def _count(self, order: Order) -> None:
        instants = (order.due_ns, order.expire_ns, order.cancel_due_ns, order.replace_due_ns)
        counted = self._counted[order.id] = tuple(t for t in instants if t is not None)
        for t in counted:
            self._instants[t] = self._instants.get(t, 0) + 1

    def _uncount(self, order_id: str) -> None:
        for t in self._counted.pop(order_id, ()):
            left = self._instants[t] - 1
            if left:
                self._instants[t] = left
            else:
                del self._instants[t]
