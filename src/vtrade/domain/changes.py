"""What a command changed, and what the engine needs to resume: plain values between layers."""

from __future__ import annotations

from dataclasses import dataclass, field

from vtrade.core.messages import Event
from vtrade.domain.accounts import Account, LedgerEntry, Position
from vtrade.domain.orders import Fill, Order


@dataclass(slots=True)
class Changes:
    """Everything one command changed; committed atomically, before it is acknowledged."""

    accounts: list[Account] = field(default_factory=list)  # upserts
    orders: list[Order] = field(default_factory=list)  # upserts
    fills: list[Fill] = field(default_factory=list)  # inserts
    positions: list[Position] = field(default_factory=list)  # upserts (qty 0 rows are kept)
    ledger: list[LedgerEntry] = field(default_factory=list)  # inserts
    events: list[Event] = field(default_factory=list)  # outbox inserts

    def __bool__(self) -> bool:
        return any(
            (self.accounts, self.orders, self.fills, self.positions, self.ledger, self.events)
        )

    def merge(self, other: Changes) -> None:
        self.accounts += other.accounts
        self.orders += other.orders
        self.fills += other.fills
        self.positions += other.positions
        self.ledger += other.ledger
        self.events += other.events


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the engine needs to resume after a restart."""

    accounts: list[Account]
    positions: list[Position]
    open_orders: list[Order]  # and the legs held for their entries (`held`)
    recent_fills: list[Fill]  # fills of the last 31 days (fee tiers by trading volume)
    # Per account, the `account_seq` of its last fill, reset or financing charge (0: none
    # yet). Each took the next number, so it equals the account's fills plus its resets (its
    # `epoch`) plus its nights charged.
    account_seqs: dict[str, int] = field(default_factory=dict)
    # Per account, the instant of its last reset (absent: never reset). Its fills before it
    # belong to an earlier life: they count in no fee tier.
    reset_ns: dict[str, int] = field(default_factory=dict)
    # Fills made at the instant of their account's last reset but before it (a clock standing
    # still): they belong to the earlier life too.
    before_reset: frozenset[str] = frozenset()
    # The engine's instant at the last commit (0: unknown): the stored state is as of then.
    worked_ns: int = 0
