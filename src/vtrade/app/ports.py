"""Ports: the protocols every I/O boundary implements (a real adapter, and a fake for tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from vtrade.core.messages import Event
from vtrade.domain.accounts import LedgerEntry
from vtrade.domain.changes import Changes, Snapshot
from vtrade.domain.orders import Fill, Order

__all__ = ["Changes", "OutboxItem", "Snapshot", "Store"]


@dataclass(frozen=True, slots=True)
class OutboxItem:
    seq: int
    event: Event


class Store(Protocol):
    """Durable ledger: orders, fills, positions, cash entries and the event outbox."""

    def migrate(self) -> None:
        """Create or upgrade the schema to the current version."""
        ...

    def next_boot(self) -> int:
        """Count one more application start (persisted) and return the count."""
        ...

    def commit(self, batch: Sequence[Changes]) -> None:
        """Write every change in `batch` in ONE transaction (group commit), or none of them."""
        ...

    def load(self, since_ns: int) -> Snapshot:
        """Read accounts, all positions, open orders, and fills at or after `since_ns`."""
        ...

    def get_order(self, order_id: str) -> Order | None: ...

    def get_order_by_client_id(self, account_id: str, client_order_id: str) -> Order | None: ...

    def list_orders(
        self,
        account_id: str,
        *,
        open_only: bool = False,
        limit: int = 100,
        before_ns: int | None = None,
    ) -> list[Order]:
        """Newest first."""
        ...

    def list_fills(
        self,
        account_id: str,
        *,
        order_id: str | None = None,
        limit: int = 100,
        before_ns: int | None = None,
    ) -> list[Fill]:
        """Newest first."""
        ...

    def ledger(self, account_id: str) -> list[LedgerEntry]:
        """Oldest first."""
        ...

    def pending_events(self, limit: int = 1000) -> list[OutboxItem]:
        """Outbox rows not yet published, oldest first."""
        ...

    def mark_published(self, seqs: Sequence[int]) -> None: ...

    def close(self) -> None: ...
