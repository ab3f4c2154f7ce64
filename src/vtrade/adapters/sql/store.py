"""`SqlStore`: the durable ledger on SQLite (default) or PostgreSQL, via SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import (
    URL,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Insert,
    Table,
    and_,
    create_engine,
    event,
    func,
    make_url,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import StaticPool

from vtrade.adapters.sql import bulk, rows
from vtrade.adapters.sql import migrate as migrations
from vtrade.adapters.sql.checkpoint import BACKSTOP_PAGES, Checkpointer
from vtrade.adapters.sql.codec import EventCodec, default_codec
from vtrade.adapters.sql.outbox import OutboxReader
from vtrade.adapters.sql.tables import (
    OPEN_PREDICATE,
    accounts,
    fills,
    ledger_entries,
    meta,
    orders,
    outbox,
    positions,
)
from vtrade.app.ports import Changes, OutboxItem, Snapshot
from vtrade.core.clock import Clock, LiveClock
from vtrade.domain.accounts import LedgerEntry
from vtrade.domain.orders import Fill, Order


def normalize_url(url: str | URL) -> URL:
    """Parse `url`; plain `postgresql://` (or `postgres://`) URLs get the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_engine(url: URL, synchronous: str, echo: bool) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False},
        poolclass=StaticPool if in_memory else None,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that a
        # read-only transaction (load) is a consistent snapshot too.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            if _checkpoints_beside(url):
                cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _checkpoints_beside(url: URL) -> bool:
    """Whether the store checkpoints the WAL beside its commits (`checkpoint`): for plain
    database files; in-memory databases have no WAL, URI forms keep SQLite's checkpoints."""
    return url.database not in (None, "", ":memory:") and not url.query


def _upsert(dialect: str, table: Table, *keys: str) -> Insert:
    """`INSERT ... ON CONFLICT (keys) DO UPDATE` every other column, for executemany."""
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        updates = {c.name: pg.excluded[c.name] for c in table.c if c.name not in keys}
        return pg.on_conflict_do_update(index_elements=list(keys), set_=updates)
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        updates = {c.name: lite.excluded[c.name] for c in table.c if c.name not in keys}
        return lite.on_conflict_do_update(index_elements=list(keys), set_=updates)
    raise ValueError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


class SqlStore:
    """The `Store` port on a SQL database: `sqlite:///file.db` or `postgresql://...`.

    SQLite runs in WAL mode with `synchronous=NORMAL` (a committed transaction survives a
    crash of the process; pass `sqlite_synchronous="FULL"` to survive power loss as well).
    """

    def __init__(
        self,
        url: str | URL,
        *,
        codec: EventCodec | None = None,
        clock: Clock | None = None,
        sqlite_synchronous: str = "NORMAL",
        echo: bool = False,
    ) -> None:
        if sqlite_synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(
                f"sqlite_synchronous={sqlite_synchronous!r}; allowed: OFF, NORMAL, FULL, EXTRA"
            )
        self.url = normalize_url(url)
        dialect = self.url.get_backend_name()
        if dialect == "sqlite":
            self._engine = _sqlite_engine(self.url, sqlite_synchronous.upper(), echo)
        elif dialect == "postgresql":
            self._engine = create_engine(self.url, echo=echo, pool_size=5, max_overflow=10)
        else:
            raise ValueError(
                f"unsupported database URL scheme {dialect!r}: use sqlite or postgresql"
            )
        self._checkpointer: Checkpointer | None = None
        if dialect == "sqlite" and _checkpoints_beside(self.url):
            self._checkpointer = Checkpointer(str(self.url.database))
        self._codec = codec if codec is not None else default_codec()
        self._clock: Clock = clock if clock is not None else LiveClock()
        self._outbox = OutboxReader(self._codec)
        # parents before children (foreign keys), in the order of `bulk.batch_rows`
        writes = (
            (_upsert(dialect, accounts, "id"), accounts),
            (_upsert(dialect, orders, "id"), orders),
            (fills.insert(), fills),
            (_upsert(dialect, positions, "account_id", "symbol"), positions),
            (ledger_entries.insert(), ledger_entries),
            (outbox.insert(), outbox),
        )
        self._writes: tuple[bulk.Write, ...] = tuple(
            bulk.DriverWrite(stmt, table) if dialect == "sqlite" else bulk.CoreWrite(stmt)
            for stmt, table in writes
        )

    def __repr__(self) -> str:
        return f"SqlStore({self.url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    # -- schema ---------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration (a no-op when current)."""
        migrations.upgrade(self._engine)

    def next_boot(self) -> int:
        """Count one more start of the application and return the count (1 on the first)."""
        with self._engine.begin() as conn:
            current = conn.execute(select(meta.c.value).where(meta.c.key == "boots")).scalar()
            if current is None:
                conn.execute(meta.insert().values(key="boots", value=1))
                return 1
            conn.execute(meta.update().where(meta.c.key == "boots").values(value=current + 1))
            return int(current) + 1

    def schema_revision(self) -> str | None:
        """Return the migration the database is at, or None before `migrate`."""
        return migrations.current_revision(self._engine)

    # -- writes ---------------------------------------------------------------------------

    def commit(self, batch: Sequence[Changes]) -> None:
        """Write every change in `batch` in ONE transaction, or none of them.

        Accounts, orders and positions are upserted and the last state in the batch wins;
        fills, ledger entries and events are inserted. Any error rolls the whole batch back
        and propagates.
        """
        # Encode everything before the transaction opens, so it stays as short as possible.
        work = bulk.batch_rows(batch, self._codec, self._clock.now_ns())
        if not any(work):
            return
        with self._engine.begin() as conn:
            for write, values in zip(self._writes, work, strict=True):
                if values:
                    write.run(conn, values)
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

    # -- reads ----------------------------------------------------------------------------

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read transaction that sees one consistent state of the database."""
        with self._engine.connect() as conn:
            if self.dialect == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def load(self, since_ns: int) -> Snapshot:
        """Read accounts, all positions, open orders, fills at or after `since_ns`, and each
        account's last `account_seq`."""
        with self._snapshot() as conn:
            account_list = [
                rows.account_from(r) for r in conn.execute(select(accounts).order_by(accounts.c.id))
            ]
            position_list = [
                rows.position_from(r)
                for r in conn.execute(
                    select(positions).order_by(positions.c.account_id, positions.c.symbol)
                )
            ]
            open_orders = [
                rows.order_from(r)
                for r in conn.execute(
                    select(orders)
                    .where(text(OPEN_PREDICATE))
                    .order_by(orders.c.created_ns, orders.c.seq, orders.c.id)
                )
            ]
            recent = [
                rows.fill_from(r)
                for r in conn.execute(
                    select(fills)
                    .where(fills.c.ts_ns >= since_ns)
                    .order_by(fills.c.ts_ns, fills.c.seq)
                )
            ]
            counted = select(fills.c.account_id, func.count()).group_by(fills.c.account_id)
            fill_counts: dict[str, int] = {a_id: n for a_id, n in conn.execute(counted)}
        return Snapshot(
            accounts=account_list,
            positions=position_list,
            open_orders=open_orders,
            recent_fills=recent,
            # Every fill and every reset took its account's next number.
            account_seqs={a.id: fill_counts.get(a.id, 0) + a.epoch for a in account_list},
        )

    def get_order(self, order_id: str) -> Order | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.id == order_id)).first()
        return rows.order_from(row) if row is not None else None

    def get_order_by_client_id(self, account_id: str, client_order_id: str) -> Order | None:
        query = select(orders).where(
            orders.c.account_id == account_id, orders.c.client_order_id == client_order_id
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return rows.order_from(row) if row is not None else None

    def list_orders(
        self,
        account_id: str,
        *,
        open_only: bool = False,
        limit: int = 100,
        before_ns: int | None = None,
    ) -> list[Order]:
        """Return the account's orders created before `before_ns`, newest first."""
        query = select(orders).where(orders.c.account_id == account_id)
        if open_only:
            query = query.where(text(OPEN_PREDICATE))
        if before_ns is not None:
            query = query.where(orders.c.created_ns < before_ns)
        query = query.order_by(orders.c.created_ns.desc(), orders.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [rows.order_from(r) for r in conn.execute(query)]

    def list_fills(
        self,
        account_id: str,
        *,
        order_id: str | None = None,
        limit: int = 100,
        before_ns: int | None = None,
    ) -> list[Fill]:
        """Return the account's fills before `before_ns`, newest first."""
        query = select(fills).where(fills.c.account_id == account_id)
        if order_id is not None:
            query = query.where(fills.c.order_id == order_id)
        if before_ns is not None:
            query = query.where(fills.c.ts_ns < before_ns)
        query = query.order_by(fills.c.ts_ns.desc(), fills.c.seq.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [rows.fill_from(r) for r in conn.execute(query)]

    def ledger(self, account_id: str) -> list[LedgerEntry]:
        """Return the account's cash entries, oldest first (in write order within an instant)."""
        query = (
            select(ledger_entries)
            .where(ledger_entries.c.account_id == account_id)
            .order_by(ledger_entries.c.ts_ns, ledger_entries.c.seq)
        )
        with self._engine.connect() as conn:
            return [rows.ledger_from(r) for r in conn.execute(query)]

    def pending_events(self, limit: int = 1000) -> list[OutboxItem]:
        """Return outbox rows not yet published, oldest first."""
        with self._engine.connect() as conn:
            return self._outbox.pending(conn, limit)

    def close(self) -> None:
        """Close every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._engine.dispose()

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
    ) -> list[Order]:
        """Return one page of the account's orders in (created_ns, id) order, newest first
        unless `ascending`. `status` is open, closed or all; the time bounds are exclusive;
        `cursor` is the (created_ns, id) of the previous page's last order (orders created in
        one batch share an instant)."""
        query = select(orders).where(orders.c.account_id == account_id)
        if status == "open":
            query = query.where(text(OPEN_PREDICATE))
        elif status == "closed":
            query = query.where(text(f"NOT ({OPEN_PREDICATE})"))
        if symbols:
            query = query.where(orders.c.symbol.in_(list(symbols)))
        if side is not None:
            query = query.where(orders.c.side == side)
        if after_ns is not None:
            query = query.where(orders.c.created_ns > after_ns)
        if until_ns is not None:
            query = query.where(orders.c.created_ns < until_ns)
        keys = (orders.c.created_ns, orders.c.id)
        query = query.where(*_beyond(*keys, cursor, ascending))
        query = query.order_by(*(k if ascending else k.desc() for k in keys))
        with self._engine.connect() as conn:
            return [rows.order_from(r) for r in conn.execute(query.limit(limit))]

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
        """Return one page of the account's (or one order's) fills in (ts_ns, id) order,
        newest first unless `ascending`; `cursor` is the (ts_ns, id) of the previous page's
        last fill, the time bounds are exclusive."""
        query = select(fills).where(fills.c.account_id == account_id)
        if order_id is not None:
            query = query.where(fills.c.order_id == order_id)
        if after_ns is not None:
            query = query.where(fills.c.ts_ns > after_ns)
        if until_ns is not None:
            query = query.where(fills.c.ts_ns < until_ns)
        keys = (fills.c.ts_ns, fills.c.id)
        query = query.where(*_beyond(*keys, cursor, ascending))
        query = query.order_by(*(k if ascending else k.desc() for k in keys))
        with self._engine.connect() as conn:
            return [rows.fill_from(r) for r in conn.execute(query.limit(limit))]


def _beyond(
    ts: Column[Any], key: Column[Any], cursor: tuple[int, str] | None, ascending: bool
) -> list[ColumnElement[bool]]:
    """The condition 'comes after `cursor`' in (ts, key) order (nothing without a cursor)."""
    if cursor is None:
        return []
    at, last = cursor
    if ascending:
        return [or_(ts > at, and_(ts == at, key > last))]
    return [or_(ts < at, and_(ts == at, key < last))]
