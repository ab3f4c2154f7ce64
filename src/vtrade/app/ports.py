"""Ports: the protocols every I/O boundary implements (a real adapter, and a fake for tests)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from vtrade.core.messages import Event
from vtrade.domain.accounts import LedgerEntry
from vtrade.domain.changes import Changes, Snapshot
from vtrade.domain.orders import Fill, Order
from vtrade.domain.portfolio import EquityPoint

__all__ = [
    "Changes",
    "EquityStore",
    "HotStore",
    "IdentityStore",
    "KeyInfo",
    "OutboxItem",
    "Snapshot",
    "Store",
    "User",
    "WebSession",
]


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

    def claim_market(self, boot: int) -> None:
        """Make this process (start `boot`) the one that works the market: commits of
        processes started earlier are refused from now on (`MarketTakenOver`)."""
        ...

    def commit(self, batch: Sequence[Changes], worked_ns: int | None = None) -> None:
        """Write every change in `batch` in ONE transaction (group commit), or none of them,
        with the engine's instant `worked_ns` (read back as `Snapshot.worked_ns`)."""
        ...

    def load(self, since_ns: int) -> Snapshot:
        """Read accounts, all positions, open orders, and fills at or after `since_ns`."""
        ...

    def holds_market(self) -> bool:
        """Whether no later start has taken the market from this process (`claim_market`)."""
        ...

    def redate_openings(self, account_ids: Sequence[str], t_ns: int) -> None:
        """Move the opening of accounts opened after `t_ns` (their instant and deposit) to it."""
        ...

    def get_order(self, order_id: str) -> Order | None: ...

    def get_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """The orders of those ids that exist, by id (one read, however many)."""
        ...

    def get_order_by_client_id(self, account_id: str, client_order_id: str) -> Order | None:
        """The order holding `client_order_id` (`Order.holds_client_id`), else the newest
        rejected order sent with it."""
        ...

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
        since_ns: int | None = None,
        this_life: bool = False,
    ) -> list[Fill]:
        """Newest first; at or after `since_ns`, before `before_ns`; with `this_life`, only
        those made since the account's last reset (at its instant too, if after it)."""
        ...

    def last_reset_ns(self, account_id: str) -> int | None:
        """The instant of the account's last reset, or None if it was never reset."""
        ...

    def life_start_ns(self, account_id: str) -> int | None:
        """When the account's current life began: its opening, or its last reset."""
        ...

    def account_ids_of(self, owner: str) -> list[str]:
        """The ids of the accounts `owner` holds, whichever process opened them."""
        ...

    def ledger(self, account_id: str) -> list[LedgerEntry]:
        """Oldest first."""
        ...

    def pending_events(self, limit: int = 1000) -> list[OutboxItem]:
        """Outbox rows not yet published, oldest first."""
        ...

    def mark_published(self, seqs: Sequence[int]) -> None: ...

    def purge_published(self, before_ns: int, limit: int = 10_000) -> int:
        """Delete up to `limit` of the oldest outbox rows published before `before_ns`;
        return how many went."""
        ...

    def close(self) -> None: ...

    def page_orders(
        self,
        account_id: str,
        *,
        status: str = "all",
        symbols: Sequence[str] | None = None,
        side: str | None = None,
        after_ns: int | None = None,
        until_ns: int | None = None,
        cursor: tuple[int, str] | None = None,
        ascending: bool = False,
        limit: int = 100,
        placing: bool = False,
    ) -> list[Order]:
        """One page of orders in (created_ns, id) order, filtered by status, symbols, side
        and time; `cursor` is the (created_ns, id) of the previous page's last order.
        `placing`: the orders that may place a group (`Order.group_id`) in a nested listing:
        of a leg's versions, those the listing meets first (a few rows a group however often
        its legs were replaced); `side` is that of a group's entry."""
        ...

    def groups_listed_through(
        self,
        account_id: str,
        group_ids: Collection[str],
        *,
        status: str = "all",
        symbols: Sequence[str] | None = None,
        after_ns: int | None = None,
        until_ns: int | None = None,
        cursor: tuple[int, str],
        ascending: bool = False,
    ) -> set[str]:
        """Those of `group_ids` with an order that may place them (as `page_orders(placing=True)`
        reads them) at `cursor` or before it in the listing's order: the groups an earlier
        page listed."""
        ...

    def current_of_groups(self, group_ids: Collection[str]) -> list[Order]:
        """The orders of these groups no other replaced (each group's entry and its legs as
        they stand), oldest first; one read, however many."""
        ...

    def page_fills(
        self,
        account_id: str,
        *,
        order_id: str | None = None,
        after_ns: int | None = None,
        until_ns: int | None = None,
        cursor: tuple[int, str] | None = None,
        ascending: bool = False,
        limit: int = 100,
    ) -> list[Fill]:
        """One page of the account's (or one order's) fills in (ts_ns, id) order; `cursor`
        is the (ts_ns, id) of the previous page's last fill."""
        ...


class EquityStore(Protocol):
    """Cold storage of equity snapshots, read back as curves over time ranges."""

    def save_points(self, points: Sequence[EquityPoint]) -> None:
        """Insert `points` in one transaction; a point already stored (account, ts, kind) is
        replaced, so a snapshot retried after a crash is not counted twice."""
        ...

    def points(
        self,
        account_id: str,
        start_ns: int,
        end_ns: int,
        *,
        max_points: int | None = None,
        kind: str | None = None,
    ) -> list[EquityPoint]:
        """Points with start_ns <= ts < end_ns, oldest first; with `max_points`, downsampled
        into that many equal time buckets keeping each bucket's last point (and the range's
        first and last point), so a curve keeps its shape and ends at the latest value."""
        ...

    def latest(
        self, account_ids: Sequence[str], before_ns: int, kind: str
    ) -> dict[str, EquityPoint]:
        """The newest point of `kind` strictly before `before_ns` per account (absent: none)."""
        ...

    def delete_account(self, account_id: str, since_ns: int = 0) -> None:
        """Forget an account's points at or after `since_ns` (an account reset)."""
        ...


HotValue = str | int | float


class HotStore(Protocol):
    """Hot state shared by the process (memory) or by many (Redis): per-account hashes,
    rankings (sorted sets) and atomic counters. Hash values come back as strings."""

    def put_hashes(self, items: Mapping[str, Mapping[str, HotValue]]) -> None:
        """Set fields of many hashes at once (one round trip); other fields are kept."""
        ...

    def get_hash(self, key: str) -> dict[str, str]:
        """All fields of one hash (empty when absent)."""
        ...

    def get_hashes(self, keys: Sequence[str]) -> list[dict[str, str]]: ...

    def delete(self, keys: Sequence[str]) -> None: ...

    def rank(self, board: str, scores: Mapping[str, float]) -> None:
        """Set members' scores on a ranking board."""
        ...

    def top(self, board: str, count: int, offset: int = 0) -> list[tuple[str, float]]:
        """Highest scores first; ties in member order."""
        ...

    def rank_of(self, board: str, member: str) -> int | None:
        """0-based position from the top, or None when absent."""
        ...

    def unrank(self, board: str, members: Sequence[str]) -> None: ...

    def incr(self, counter: str, by: int = 1) -> int:
        """Add atomically and return the new value."""
        ...

    def counter(self, counter: str) -> int: ...

    def clear(self) -> None:
        """Remove everything under this store's namespace (never other data)."""
        ...

    def close(self) -> None: ...


# -- identity -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A person (or a team) who owns accounts; `id` is the owner stamped on them."""

    id: str
    name: str
    created_ns: int
    disabled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyInfo:
    """An API key pair without its secret: it acts for `user_id` on `account_id` only."""

    key_id: str
    user_id: str
    account_id: str
    created_ns: int
    revoked_ns: int | None = None
    last_used_ns: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_ns is None


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSession:
    """A signed-in browser: the SHA-256 hex digests of its session and CSRF tokens."""

    token_hash: str
    user_id: str
    csrf_token_hash: str
    created_ns: int
    expires_ns: int


class IdentityStore(Protocol):
    """Users, API keys and web sessions. Secrets arrive already hashed and never leave.

    User names compare case-insensitively: "Alice" and "alice" are one user.
    """

    def add_user(self, user: User, password_hash: str) -> None:
        """Insert a user; raise `ConflictError` if the name is taken in any case."""
        ...

    def get_user(self, user_id: str) -> User | None: ...

    def find_user(self, name: str) -> tuple[User, str] | None:
        """The user called `name` (any case) and its password hash, or None."""
        ...

    def list_users(self) -> list[User]:
        """Oldest first."""
        ...

    def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    def add_key(self, key: KeyInfo, secret_hash: str) -> None:
        """Insert a key; raise `ConflictError` if the key id exists."""
        ...

    def get_key(self, key_id: str) -> tuple[KeyInfo, str] | None:
        """The key and its secret hash, revoked or not, or None."""
        ...

    def list_keys(self, user_id: str) -> list[KeyInfo]:
        """Every key of the user, revoked ones included, oldest first."""
        ...

    def revoke_key(self, key_id: str, revoked_ns: int) -> KeyInfo | None:
        """Mark the key revoked (a revoked key keeps its first revocation time); return it
        as stored afterwards, or None when there is no such key."""
        ...

    def touch_key(self, key_id: str, used_ns: int) -> None:
        """Record that the key was used at `used_ns`."""
        ...

    def add_session(self, session: WebSession) -> None: ...

    def get_session(self, token_hash: str) -> WebSession | None: ...

    def delete_session(self, token_hash: str) -> None:
        """Forget the session (no error when it is already gone)."""
        ...

    def delete_expired_sessions(self, now_ns: int) -> int:
        """Forget every session with expires_ns <= now_ns; return how many."""
        ...


# -- watchlists ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Watchlist:
    """A named, ordered list of symbols that belongs to one account."""

    id: str
    account_id: str
    name: str
    symbols: tuple[str, ...]
    created_ns: int
    updated_ns: int


class WatchlistStore(Protocol):
    """Watchlists by account. Names are unique within an account."""

    def create(self, watchlist: Watchlist) -> None:
        """Insert a watchlist; raise `ConflictError` if the account has one of that name."""
        ...

    def get(self, account_id: str, watchlist_id: str) -> Watchlist | None:
        """The account's watchlist with that id (None for another account's)."""
        ...

    def by_name(self, account_id: str, name: str) -> Watchlist | None: ...

    def of_account(self, account_id: str) -> list[Watchlist]:
        """Oldest first."""
        ...

    def save(self, watchlist: Watchlist) -> None:
        """Replace the name, symbols and update time of an existing watchlist; raise
        `ConflictError` if the new name is taken by another of the account's watchlists."""
        ...

    def delete(self, account_id: str, watchlist_id: str) -> bool:
        """Forget the watchlist; tell whether it existed."""
        ...


class AccountSettingsStore(Protocol):
    """Per-account client settings (e.g. Alpaca account configurations) as JSON objects."""

    def get(self, account_id: str) -> dict[str, object] | None: ...

    def put(self, account_id: str, body: dict[str, object], updated_ns: int) -> None:
        """Insert or replace the account's settings."""
        ...


class LibraryVersionStore(Protocol):
    """The versions of the libraries a database's market and ledger were computed with."""

    def recorded(self) -> dict[str, str]:
        """Library name to version, as last recorded (empty before the first record)."""
        ...

    def record(self, versions: Mapping[str, str]) -> None:
        """Insert or replace the version of each library named."""
        ...
