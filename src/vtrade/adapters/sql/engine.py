"""The SQLAlchemy engine of `SqlStore`: URL normalisation and each database's settings."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.pool import StaticPool

from vtrade.adapters.sql.checkpoint import BACKSTOP_PAGES

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
PG_CONNECT_TIMEOUT_S = 10  # unless the URL sets connect_timeout
SQLITE_BUSY_MS = 10_000  # how long a statement waits for another connection's write lock


def normalize_url(url: str | URL) -> URL:
    """Parse `url`; plain `postgresql://` (or `postgres://`) URLs get the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def open_engine(url: URL, sqlite_synchronous: str, echo: bool) -> Engine:
    """Return an engine for a normalised SQLite or PostgreSQL `url`; refuse any other."""
    dialect = url.get_backend_name()
    if dialect == "sqlite":
        return _sqlite_engine(url, sqlite_synchronous, echo)
    if dialect == "postgresql":
        if "connect_timeout" not in url.query:  # libpq waits for ever on a silent host
            url = url.update_query_dict({"connect_timeout": str(PG_CONNECT_TIMEOUT_S)})
        # pre-ping: a connection the server dropped (a restart) is replaced, not handed out
        return create_engine(url, echo=echo, pool_size=5, max_overflow=10, pool_pre_ping=True)
    raise ValueError(f"unsupported database URL scheme {dialect!r}: use sqlite or postgresql")


def in_memory(url: URL) -> bool:
    """Whether `url` is an in-memory SQLite database: it lasts as long as its engine."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def checkpoints_beside(url: URL) -> bool:
    """Whether the store checkpoints the WAL beside its commits (`checkpoint`): for plain
    database files; in-memory databases have no WAL, URI forms keep SQLite's checkpoints."""
    return not in_memory(url) and not url.query


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL. The switch needs the database to itself, and SQLite gives it up
    at once, without the busy wait, while another connection is opening the same new file
    (two starts migrating a new database: "database is locked"): try again as long as a
    statement would wait. A file already in WAL is left alone: asking again takes that lock
    too, which a migrating start holds far longer."""
    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_engine(url: URL, synchronous: str, echo: bool) -> Engine:
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False},
        poolclass=StaticPool if in_memory(url) else None,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that a
        # read-only transaction (load) is a consistent snapshot too.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            _use_wal(cursor)
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            if checkpoints_beside(url):
                cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # "IMMEDIATE" takes the write lock at once (migrations): see `migrate._migrating`
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}" if mode else "BEGIN")

    return engine
