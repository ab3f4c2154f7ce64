"""The latest orders by (account, client order id): a bounded cache in front of the store.

It answers idempotent resubmissions within a batch that has not committed yet (the store
cannot), and spares a store read for orders that just closed. A server runs for weeks, so it
keeps the newest `capacity` orders only; older ones were committed long ago and are looked up
in the store.
"""

from __future__ import annotations

from vtrade.domain.orders import Order

Key = tuple[str, str]  # (account id, client order id)


class RecentOrders:
    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._orders: dict[Key, Order] = {}

    def __len__(self) -> int:
        return len(self._orders)

    def get(self, key: Key) -> Order | None:
        return self._orders.get(key)

    def __setitem__(self, key: Key, order: Order) -> None:
        self._orders.pop(key, None)  # a key set again counts as new
        self._orders[key] = order
        if len(self._orders) > self.capacity + self.capacity // 4:
            # trimmed in chunks, so each insertion costs O(1) on average
            newest = list(self._orders.items())[-self.capacity :]
            self._orders = dict(newest)
