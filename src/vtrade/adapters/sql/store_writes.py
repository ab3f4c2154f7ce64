"""The write side of `SqlStore`: the schema, the group commit of the ledger, the outbox marks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine, Insert, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from vtrade.adapters.sql import bulk
from vtrade.adapters.sql import migrate as migrations
from vtrade.adapters.sql.checkpoint import Checkpointer
from vtrade.adapters.sql.codec import EventCodec
from vtrade.adapters.sql.outbox import OutboxReader
from vtrade.adapters.sql.tables import (
    accounts,
    fills,
    ledger_entries,
    meta,
    orders,
    outbox,
    positions,
)
from vtrade.app.ports import Changes
from vtrade.core.clock import Clock
from vtrade.core.errors import MarketTakenOver
from vtrade.domain.accounts import EntryKind

# Set only when the engine builds the row (`new_order`, `open_account`), never after. Upserts
# leave them out of their SET lists: SQLite rewrites every index on a listed column, same or not.
IMMUTABLE_ORDER_COLUMNS = frozenset(
    {
        "account_id",
        "client_order_id",
        "symbol",
        "side",
        "type",
        "tif",
        "notional",
        "limit_price",
        "trail_price",
        "trail_percent",
        "extended_hours",
        "profile",
        "created_ns",
        "seq",
    }
)
IMMUTABLE_ACCOUNT_COLUMNS = frozenset({"owner"})
WORKED_KEY = "worked_ns"  # in `meta`: the engine's instant at the last commit
OWNER_KEY = "market_owner"  # in `meta`: the start (`next_boot`) whose process works the market

# touches the claim row if this process still holds it (see `StoreWrites._check_owner`)
_HOLD_MARKET = (
    meta.update()
    .where(meta.c.key == OWNER_KEY, meta.c.value == bindparam("owner"))
    .values(value=bindparam("owner"))
)


def worked_upsert(dialect: str) -> Insert:
    return upsert(dialect, meta, "key")


def boot_counter(dialect: str) -> Insert:
    """`INSERT boots = 1 ON CONFLICT DO UPDATE value + 1 RETURNING value`: one atomic step."""
    insert: postgresql.Insert | sqlite.Insert = (
        postgresql.insert(meta) if dialect == "postgresql" else sqlite.insert(meta)
    )
    counted = insert.values(key="boots", value=1).on_conflict_do_update(
        index_elements=["key"], set_={"value": meta.c.value + 1}
    )
    return counted.returning(meta.c.value)


def ledger_writes(dialect: str) -> tuple[bulk.Write, ...]:
    """The statements of `commit`, one per table, in the order of `bulk.batch_rows`."""
    writes = (  # parents before children (foreign keys)
        (upsert(dialect, accounts, "id", immutable=IMMUTABLE_ACCOUNT_COLUMNS), accounts),
        (upsert(dialect, orders, "id", immutable=IMMUTABLE_ORDER_COLUMNS), orders),
        (fills.insert(), fills),
        (upsert(dialect, positions, "account_id", "symbol"), positions),
        (ledger_entries.insert(), ledger_entries),
        (outbox.insert(), outbox),
    )
    return tuple(
        bulk.DriverWrite(stmt, table) if dialect == "sqlite" else bulk.CoreWrite(stmt)
        for stmt, table in writes
    )


def upsert(
    dialect: str, table: Table, *keys: str, immutable: frozenset[str] = frozenset()
) -> Insert:
    """`INSERT ... ON CONFLICT (keys) DO UPDATE` every other column but the `immutable` ones,
    for executemany."""
    kept = immutable.union(keys)
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        updates = {c.name: pg.excluded[c.name] for c in table.c if c.name not in kept}
        return pg.on_conflict_do_update(index_elements=list(keys), set_=updates)
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        updates = {c.name: lite.excluded[c.name] for c in table.c if c.name not in kept}
        return lite.on_conflict_do_update(index_elements=list(keys), set_=updates)
    raise ValueError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


class StoreWrites:
    """`SqlStore`'s schema and writes (mixed into it, which sets these attributes)."""

    _engine: Engine
    _codec: EventCodec
    _clock: Clock
    _outbox: OutboxReader
    _writes: tuple[bulk.Write, ...]
    _worked: Insert  # upsert of the engine's instant (`WORKED_KEY`) into `meta`
    _next_boot: Insert  # `boot_counter`
    _checkpointer: Checkpointer | None
    _owner: int | None  # the start that works the market, if this process (`claim_market`)

    # -- schema ---------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration (a no-op when current)."""
        migrations.migrate(self._engine)

    def migrate_to(self, revision: str) -> migrations.Moved:
        """Bring the schema to `revision`, up or down, and say how (`vtrade migrate`)."""
        return migrations.migrate(self._engine, revision)

    def pending_migrations(self) -> tuple[migrations.Migration, ...]:
        """The migrations the database lacks, oldest first (`vtrade migrate --check`)."""
        return migrations.pending(self._engine)

    def next_boot(self) -> int:
        """Count one more start of the application and return the count (1 on the first).

        One statement that increments in the database: read, then written back, two servers
        starting together on PostgreSQL both got the same number, so the same ids."""
        with self._engine.begin() as conn:
            return int(conn.execute(self._next_boot).scalar_one())

    def claim_market(self, boot: int) -> None:
        """Make this process, start number `boot`, the one that works the market: from now on
        the commits of a process started before it are refused (`MarketTakenOver`), so a
        second server on this database never trades the orders the first one trades."""
        with self._engine.begin() as conn:
            conn.execute(self._worked, {"key": OWNER_KEY, "value": boot})
        self._owner = boot

    def holds_market(self) -> bool:
        """Whether no later start has taken the market from this process (read only; True
        for a process that never claimed it)."""
        if self._owner is None:
            return True
        with self._engine.connect() as conn:
            owner = conn.execute(select(meta.c.value).where(meta.c.key == OWNER_KEY)).scalar()
        return owner == self._owner

    def _check_owner(self, conn: Connection) -> None:
        """Refuse, inside the commit's transaction, a commit of a process whose claim on the
        market a later start took over. (The update locks the row: a claim waits for it.)"""
        if self._owner is None:
            return
        if conn.execute(_HOLD_MARKET, {"owner": self._owner}).rowcount != 1:
            raise MarketTakenOver(
                f"another vtrade process started on this database and works its market now; "
                f"this one (start {self._owner}) no longer commits anything: stop it, or point "
                "it at another database"
            )

    def schema_revision(self) -> str | None:
        """Return the migration the database is at, or None before `migrate`."""
        return migrations.current_revision(self._engine)

    # -- writes ---------------------------------------------------------------------------

    def commit(self, batch: Sequence[Changes], worked_ns: int | None = None) -> None:
        """Write every change in `batch` in ONE transaction, or none of them.

        Accounts, orders and positions are upserted and the last state in the batch wins;
        fills, ledger entries and events are inserted; `worked_ns`, the engine's instant, is
        kept with them (`Snapshot.worked_ns`), even with an empty batch. Any error rolls the
        whole batch back and propagates.
        """
        # Encode everything before the transaction opens, so it stays as short as possible.
        work = bulk.batch_rows(batch, self._codec, self._clock.now_ns())
        if not any(work) and worked_ns is None:
            return
        with self._engine.begin() as conn:
            self._check_owner(conn)
            for write, values in zip(self._writes, work, strict=True):
                if values:
                    write.run(conn, values)
            if worked_ns is not None:
                conn.execute(self._worked, {"key": WORKED_KEY, "value": worked_ns})
        self._outbox.remember(e for changes in batch for e in changes.events)
        if self._checkpointer is not None:
            self._checkpointer.committed()

    def mark_published(self, seqs: Sequence[int]) -> None:
        """Mark outbox rows as published (rows already marked keep their first time)."""
        if not seqs:
            return
        now = self._clock.now_ns()
        with self._engine.begin() as conn:
            self._outbox.mark(conn, seqs, now)

    def purge_published(self, before_ns: int, limit: int = 10_000) -> int:
        """Delete up to `limit` of the oldest outbox rows published before `before_ns` (never
        a pending one); return how many went."""
        with self._engine.begin() as conn:
            return self._outbox.purge(conn, before_ns, limit)

    def redate_openings(self, account_ids: Sequence[str], t_ns: int) -> None:
        """Move to `t_ns` the opening (the account's instant and its deposit) of accounts
        opened later than it, in one transaction."""
        with self._engine.begin() as conn:
            self._check_owner(conn)
            conn.execute(
                accounts.update()
                .where(accounts.c.id.in_(account_ids), accounts.c.created_ns > t_ns)
                .values(created_ns=t_ns)
            )
            conn.execute(
                ledger_entries.update()
                .where(
                    ledger_entries.c.account_id.in_(account_ids),
                    ledger_entries.c.kind == EntryKind.DEPOSIT.value,
                    ledger_entries.c.ts_ns > t_ns,
                )
                .values(ts_ns=t_ns)
            )
