"""The ledger write of `SqlStore.commit`: a batch of `Changes` as rows, and the statements.

On SQLite the statements are compiled once and run through the driver's `executemany`:
SQLAlchemy Core would build every row's parameters again through each column's type, which
costs more than SQLite's own work. The one conversion those columns need there, exact decimals
as text, is done here with the same function `ExactDecimal` uses, so the stored bytes are the
same. PostgreSQL keeps the Core statements.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError, StatementError

from vtrade.adapters.sql import rows
from vtrade.adapters.sql.codec import EventCodec
from vtrade.adapters.sql.coltypes import ExactDecimal, exact_text
from vtrade.app.ports import Changes
from vtrade.domain.accounts import Account, LedgerEntry, Position
from vtrade.domain.orders import Fill, Order

Values = list[dict[str, Any]]
_POSITIONAL = sqlite.dialect(paramstyle="qmark")


class Write(Protocol):
    def run(self, conn: Connection, values: Values) -> None: ...


class CoreWrite:
    """Run a Core statement with executemany (PostgreSQL)."""

    def __init__(self, statement: Insert) -> None:
        self._statement = statement

    def run(self, conn: Connection, values: Values) -> None:
        conn.execute(self._statement, values)


class DriverWrite:
    """Run a statement compiled once for SQLite through the driver's own cursor.

    Rows are bound by position: the driver binds a dict's values name by name, building a
    string per parameter, and SQLAlchemy's statement execution around the driver call cost as
    much again as the binding. Driver errors are raised as SQLAlchemy raises them.
    """

    def __init__(self, statement: Insert, table: Table) -> None:
        self._statement = statement
        self._decimals = {c.name for c in table.c if isinstance(c.type, ExactDecimal)}
        self._compiled: dict[tuple[str, ...], _Compiled] = {}

    def run(self, conn: Connection, values: Values) -> None:
        compiled = self._compile(tuple(values[0]))
        try:
            params = [_positional(row, compiled) for row in values]
        except TypeError as e:  # raised as Core raises a type's refusal of a value
            raise StatementError(str(e), compiled.sql, None, e) from e
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(compiled.sql, params)
        except sqlite3.Error as e:
            raise DBAPIError.instance(compiled.sql, params, e, sqlite3.Error) from e
        finally:
            cursor.close()

    def _compile(self, keys: tuple[str, ...]) -> _Compiled:
        """SQL for rows with `keys` (as Core would: the first row's keys name the columns)."""
        found = self._compiled.get(keys)
        if found is None:
            compiled = self._statement.compile(dialect=_POSITIONAL, column_keys=list(keys))
            order = tuple(compiled.positiontup or ())
            found = self._compiled[keys] = _Compiled(
                sql=str(compiled),
                values=_getter(order),
                decimals=tuple(i for i, k in enumerate(order) if k in self._decimals),
            )
        return found


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    values: Callable[[dict[str, Any]], tuple[Any, ...]]  # a row's parameters, in SQL order
    decimals: tuple[int, ...]  # positions of the exact-decimal parameters


def _getter(keys: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(keys) == 1:  # itemgetter of one key returns the value, not a tuple
        return lambda row: (row[keys[0]],)
    return operator.itemgetter(*keys)


def _positional(row: dict[str, Any], compiled: _Compiled) -> tuple[Any, ...] | list[Any]:
    params = compiled.values(row)
    if not compiled.decimals:
        return params
    converted = list(params)
    for i in compiled.decimals:
        value = converted[i]
        if value is not None:
            converted[i] = exact_text(value)
    return converted


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
