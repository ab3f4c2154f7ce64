"""The ledger write of `SqlStore.commit`: a batch of `Changes` as rows, and the statements.

On SQLite the statements are compiled once and run through the driver's `executemany`:
SQLAlchemy Core would build every row's parameters again through each column's type, which
costs more than SQLite's own work. The one conversion those columns need there, exact decimals
as text, is done here with the same function `ExactDecimal` uses, so the stored bytes are the
same. PostgreSQL keeps the Core statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

from vtrade.adapters.sql import rows
from vtrade.adapters.sql.codec import EventCodec
from vtrade.adapters.sql.coltypes import ExactDecimal, exact_text
from vtrade.app.ports import Changes
from vtrade.domain.accounts import Account, LedgerEntry, Position
from vtrade.domain.orders import Fill, Order

Values = list[dict[str, Any]]
_NAMED = sqlite.dialect(paramstyle="named")  # rows are dicts: bind them by name


class Write(Protocol):
    def run(self, conn: Connection, values: Values) -> None: ...


class CoreWrite:
    """Run a Core statement with executemany (PostgreSQL)."""

    def __init__(self, statement: Insert) -> None:
        self._statement = statement

    def run(self, conn: Connection, values: Values) -> None:
        conn.execute(self._statement, values)


class DriverWrite:
    """Run a statement compiled once for SQLite through the driver's executemany."""

    def __init__(self, statement: Insert, table: Table) -> None:
        self._statement = statement
        self._decimals = {c.name for c in table.c if isinstance(c.type, ExactDecimal)}
        self._compiled: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}

    def run(self, conn: Connection, values: Values) -> None:
        sql, decimals = self._compile(tuple(values[0]))
        try:
            for row in values:  # the rows are the batch's own: convert in place
                for key in decimals:
                    value = row[key]
                    if value is not None:
                        row[key] = exact_text(value)
        except TypeError as e:  # raised as Core raises a type's refusal of a value
            raise StatementError(str(e), sql, None, e) from e
        conn.exec_driver_sql(sql, values)

    def _compile(self, keys: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        """SQL for rows with `keys` (as Core would: the first row's keys name the columns)."""
        found = self._compiled.get(keys)
        if found is None:
            sql = str(self._statement.compile(dialect=_NAMED, column_keys=list(keys)))
            found = self._compiled[keys] = (sql, tuple(k for k in keys if k in self._decimals))
        return found


def batch_rows(batch: Sequence[Changes], codec: EventCodec, now_ns: int) -> tuple[Values, ...]:
    """Rows of (accounts, orders, fills, positions, ledger entries, outbox) for `batch`.

    Accounts, orders and positions are upserted, so only the last state of each is kept.
    """
    acc: dict[str, Account] = {}
    ords: dict[str, Order] = {}
    pos: dict[tuple[str, str], Position] = {}
    fill_list: list[Fill] = []
    entries: list[LedgerEntry] = []
    events = []
    for changes in batch:
        for a in changes.accounts:
            acc[a.id] = a
        for o in changes.orders:
            ords[o.id] = o
        for p in changes.positions:
            pos[(p.account_id, p.symbol)] = p
        fill_list += changes.fills
        entries += changes.ledger
        events += changes.events
    outbox_rows = []
    for e in events:
        kind, payload = codec.encode(e)
        outbox_rows.append(
            {
                "event_id": e.id,
                "type": kind,
                "payload": payload,
                "created_ns": now_ns,
                "published": False,
                "published_ns": None,
            }
        )
    return (
        [rows.account_row(a) for a in acc.values()],
        [rows.order_row(o) for o in ords.values()],
        [rows.fill_row(f) for f in fill_list],
        [rows.position_row(p) for p in pos.values()],
        [rows.ledger_row(e) for e in entries],
        outbox_rows,
    )
