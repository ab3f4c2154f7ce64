"""`SqlEquityStore`: the `EquityStore` port on SQLite or PostgreSQL (SQLAlchemy Core).

Snapshots live in `equity_snapshots`, keyed by (account_id, kind, ts_ns): a curve over a time
range is one index range scan, and downsampling happens in SQL (window functions over that
scan), so only the points kept cross the wire.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Insert,
    String,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from vtrade.adapters.sql.tables import equity_snapshots
from vtrade.core.errors import ValidationError
from vtrade.domain.portfolio import EquityPoint, SnapshotKind

__all__ = ["SqlEquityStore"]

MAX_NS = 2**63 - 1  # the largest BIGINT: instants are in [0, MAX_NS]
_KINDS = tuple(sorted(k.value for k in SnapshotKind))
_ALLOWED_KINDS = ", ".join(_KINDS)

_t = equity_snapshots
_COLUMNS = (_t.c.account_id, _t.c.ts_ns, _t.c.kind, _t.c.nav, _t.c.cash)


def _kind(kind: object) -> SnapshotKind:
    if isinstance(kind, str) and kind in _KINDS:
        return SnapshotKind(kind)
    raise ValidationError(f"unknown snapshot kind {kind!r}; allowed: {_ALLOWED_KINDS}", kind=kind)


def _instant(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_NS:
        raise ValidationError(
            f"{name} must be an integer of nanoseconds since the epoch in [0, 2**63 - 1], "
            f"got {value!r}",
            **{name: value},
        )
    return value


def _amount(name: str, point: EquityPoint) -> Decimal:
    value = getattr(point, name)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError(
            f"{name} of an equity point must be a finite Decimal, got {value!r} "
            f"(account {point.account_id!r}, ts_ns {point.ts_ns!r})",
            **{name: str(value)},
        )
    return value


def _row(point: EquityPoint) -> dict[str, Any]:
    if not isinstance(point.account_id, str) or not point.account_id:
        raise ValidationError(
            f"account_id of an equity point must be a non-empty string, got {point.account_id!r}"
        )
    return {
        "account_id": point.account_id,
        "kind": _kind(point.kind).value,
        "ts_ns": _instant("ts_ns", point.ts_ns),
        "nav": _amount("nav", point),
        "cash": _amount("cash", point),
    }


def _point(row: Any) -> EquityPoint:
    return EquityPoint(
        account_id=row.account_id,
        ts_ns=int(row.ts_ns),
        nav=row.nav,
        cash=row.cash,
        kind=SnapshotKind(row.kind),
    )


def _upsert(dialect: str) -> Insert:
    """`INSERT ... ON CONFLICT (account_id, kind, ts_ns) DO UPDATE SET nav, cash`."""
    keys = [c.name for c in _t.primary_key.columns]
    if dialect == "postgresql":
        pg = postgresql.insert(_t)
        return pg.on_conflict_do_update(
            index_elements=keys, set_={"nav": pg.excluded.nav, "cash": pg.excluded.cash}
        )
    if dialect == "sqlite":
        lite = sqlite.insert(_t)
        return lite.on_conflict_do_update(
            index_elements=keys, set_={"nav": lite.excluded.nav, "cash": lite.excluded.cash}
        )
    raise ValueError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


class SqlEquityStore:
    """The `EquityStore` port on the engine of a migrated database (e.g. `SqlStore.engine`).

    The store does not own the engine: closing it is the business of whoever created it.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._upsert = _upsert(self._dialect)

    def __repr__(self) -> str:
        return f"SqlEquityStore({self._engine.url.render_as_string(hide_password=True)!r})"

    # -- writes ---------------------------------------------------------------------------

    def save_points(self, points: Sequence[EquityPoint]) -> None:
        """Upsert `points` in one transaction; within the batch, the last of a key wins."""
        rows: dict[tuple[str, str, int], dict[str, Any]] = {}
        for p in points:
            row = _row(p)
            rows[(row["account_id"], row["kind"], row["ts_ns"])] = row
        if not rows:
            return
        # Key order: concurrent writers of overlapping keys lock rows in the same order.
        ordered = [rows[key] for key in sorted(rows)]
        with self._engine.begin() as conn:
            conn.execute(self._upsert, ordered)

    def delete_account(self, account_id: str, since_ns: int = 0) -> None:
        """Delete the account's points (of every kind) at or after `since_ns`."""
        since = _instant("since_ns", since_ns)
        with self._engine.begin() as conn:
            conn.execute(delete(_t).where(_t.c.account_id == account_id, _t.c.ts_ns >= since))

    # -- reads ----------------------------------------------------------------------------

    def points(
        self,
        account_id: str,
        start_ns: int,
        end_ns: int,
        *,
        max_points: int | None = None,
        kind: str | None = None,
    ) -> list[EquityPoint]:
        """Return the points with start_ns <= ts < end_ns, oldest first (see the port).

        `kind=None` returns every kind. With `max_points`, the range is cut into
        `max_points - 1` equal time buckets; each bucket's last point and the range's first
        point are kept, so at most `max_points` points come back, the last one the newest.
        """
        start = _instant("start_ns", start_ns)
        end = _instant("end_ns", end_ns)
        if start >= end:
            raise ValidationError(
                f"start_ns must be before end_ns (the range is start_ns <= ts < end_ns), "
                f"got start_ns={start_ns}, end_ns={end_ns}",
                start_ns=start_ns,
                end_ns=end_ns,
            )
        of_kind = self._of_kind(kind)
        selected = [_t.c.account_id == account_id, of_kind, _t.c.ts_ns >= start, _t.c.ts_ns < end]
        if max_points is None:
            query = select(*_COLUMNS).where(*selected).order_by(_t.c.ts_ns, _t.c.kind)
            with self._engine.connect() as conn:
                return [_point(r) for r in conn.execute(query)]
        if not isinstance(max_points, int) or isinstance(max_points, bool) or max_points < 2:
            raise ValidationError(
                f"max_points must be an integer >= 2 (room for the first and the last point), "
                f"or None for every point; got {max_points!r}",
                max_points=max_points,
            )
        # Integer arithmetic only: 0 <= ts - start < 2**63 and the width is at least 1 ns, so
        # nothing overflows a BIGINT (as (ts - start) * max_points could).
        width = -(-(end - start) // (max_points - 1))  # ceil: at most max_points - 1 buckets
        bucket = (_t.c.ts_ns - start) // width
        # One pass over the range, no join back (whose plan PostgreSQL gets badly wrong before
        # the table is analyzed). At one instant the first kind in sort order stands for it.
        newest = func.row_number().over(
            partition_by=bucket, order_by=(_t.c.ts_ns.desc(), _t.c.kind)
        )
        oldest = func.row_number().over(order_by=(_t.c.ts_ns, _t.c.kind))
        ranked = (
            select(*_COLUMNS, newest.label("newest"), oldest.label("oldest"))
            .where(*selected)
            .subquery("ranked")
        )
        query = (
            select(*(ranked.c[c.name] for c in _COLUMNS))
            .where(or_(ranked.c.newest == 1, ranked.c.oldest == 1))
            .order_by(ranked.c.ts_ns, ranked.c.kind)
        )
        with self._engine.connect() as conn:
            return [_point(r) for r in conn.execute(query)]

    @staticmethod
    def _of_kind(kind: str | None) -> ColumnElement[bool]:
        if kind is None:
            # IN over every kind rather than no condition: still index range scans.
            return _t.c.kind.in_(_KINDS)
        return _t.c.kind == _kind(kind).value

    def latest(
        self, account_ids: Sequence[str], before_ns: int, kind: str
    ) -> dict[str, EquityPoint]:
        """Return each account's newest point of `kind` strictly before `before_ns`.

        One query whatever the number of accounts; each account costs one index seek, however
        long its history.
        """
        if isinstance(account_ids, str):
            raise ValidationError(
                f"account_ids must be a sequence of account ids, not one string {account_ids!r}"
            )
        wanted = _kind(kind).value
        before = _instant("before_ns", before_ns)
        ids = list(dict.fromkeys(account_ids))
        if not ids:
            return {}
        if self._dialect == "postgresql":
            param = bindparam("ids", ids, type_=postgresql.ARRAY(String()))
            driver = func.unnest(param).table_valued("id").render_derived(name="ids")
        else:  # sqlite: the ids as one JSON array, so no bound-parameter limit applies
            driver = func.json_each(bindparam("ids", json.dumps(ids))).table_valued(
                "value", name="ids"
            )
        account = driver.c[0]
        older = _t.alias("older")
        newest = (
            select(older.c.ts_ns)
            .where(older.c.account_id == account, older.c.kind == wanted, older.c.ts_ns < before)
            .order_by(older.c.ts_ns.desc())
            .limit(1)
            .correlate(driver)
            .scalar_subquery()
        )
        query = (
            select(*_COLUMNS)
            .select_from(driver)
            .join(_t, and_(_t.c.account_id == account, _t.c.kind == wanted, _t.c.ts_ns == newest))
        )
        with self._engine.connect() as conn:
            return {r.account_id: _point(r) for r in conn.execute(query)}
