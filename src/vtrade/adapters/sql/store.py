"""`SqlStore`: the durable ledger on SQLite (default) or PostgreSQL, via SQLAlchemy Core.

The engine's set-up is in `engine`, the writes in `store_writes` and the reads in
`store_reads`; this module assembles them.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import URL, Engine

from vtrade.adapters.sql.checkpoint import Checkpointer
from vtrade.adapters.sql.codec import EventCodec, default_codec
from vtrade.adapters.sql.engine import (
    SYNCHRONOUS_MODES,
    checkpoints_beside,
    normalize_url,
    open_engine,
)
from vtrade.adapters.sql.outbox import OutboxReader
from vtrade.adapters.sql.store_reads import StoreReads
from vtrade.adapters.sql.store_writes import (
    StoreWrites,
    boot_counter,
    ledger_writes,
    worked_upsert,
)
from vtrade.core.clock import Clock, LiveClock

__all__ = ["SqlStore", "normalize_url"]


class SqlStore(StoreWrites, StoreReads):
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
        if sqlite_synchronous.upper() not in SYNCHRONOUS_MODES:
            raise ValueError(
                f"sqlite_synchronous={sqlite_synchronous!r}; allowed: OFF, NORMAL, FULL, EXTRA"
            )
        self.url = normalize_url(url)
        self._engine = open_engine(self.url, sqlite_synchronous.upper(), echo)
        self._checkpointer = None
        if self.dialect == "sqlite" and checkpoints_beside(self.url):
            self._checkpointer = Checkpointer(str(self.url.database))
        self._codec = codec if codec is not None else default_codec()
        self._clock = clock if clock is not None else LiveClock()
        self._outbox = OutboxReader(self._codec)
        self._writes = ledger_writes(self.dialect)
        self._worked = worked_upsert(self.dialect)
        self._next_boot = boot_counter(self.dialect)
        self._owner: int | None = None  # the start that works the market, if this process

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

    def close(self) -> None:
        """Close every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._engine.dispose()
