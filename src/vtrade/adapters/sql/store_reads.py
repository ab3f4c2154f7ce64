"""The read side of `SqlStore`: the snapshot for a start, and the queries of orders, fills,
the cash ledger and the outbox."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
)

from vtrade.adapters.sql import rows
from vtrade.adapters.sql.outbox import OutboxReader
from vtrade.adapters.sql.store_writes import WORKED_KEY
from vtrade.adapters.sql.tables import (
    GROUP_AS_IT_STANDS,
    HOLDS_CLIENT_ID,
    OPEN_PREDICATE,
    OPEN_STATUS_VALUES,
    accounts,
    fills,
    ledger_entries,
    meta,
    orders,
    positions,
)
from vtrade.app.ports import OutboxItem, Snapshot
from vtrade.domain.accounts import FINANCING_KINDS, EntryKind, LedgerEntry
from vtrade.domain.orders import Fill, Order

# The order holding a client_order_id, else the newest of the rejected ones that used it.
_IDS_A_READ = 500  # ids bound in one `IN (...)`: within SQLite's and PostgreSQL's limits
_HOLDER_FIRST: tuple[ColumnElement[Any], ...] = (
    literal_column(HOLDS_CLIENT_ID).desc(),  # (the partial unique index's own predicate)
    orders.c.created_ns.desc(),
    orders.c.seq.desc(),
)

# (account_id, instant of its last reset), once grouped by account
_LAST_RESETS = select(ledger_entries.c.account_id, func.max(ledger_entries.c.ts_ns)).where(
    ledger_entries.c.kind == EntryKind.RESET.value
)

# A reset leaves its account flat: the fills after it are its current life's. Fills at the
# reset's own instant (a clock standing still) are told apart by the ledger's order: each
# fill's trade entry was written before the reset's entry or after it.
_LAST_RESET_SEQS = (
    select(ledger_entries.c.account_id, func.max(ledger_entries.c.seq).label("seq"))
    .where(ledger_entries.c.kind == EntryKind.RESET.value)
    .group_by(ledger_entries.c.account_id)
    .subquery()
)
_RESET_ENTRY = ledger_entries.alias("reset_entry")
# (account_id, fill id) of the fills made at the instant of their account's last reset, before it
_BEFORE_LAST_RESETS = (
    select(ledger_entries.c.account_id, ledger_entries.c.ref)
    .join(_LAST_RESET_SEQS, _LAST_RESET_SEQS.c.account_id == ledger_entries.c.account_id)
    .join(_RESET_ENTRY, _RESET_ENTRY.c.seq == _LAST_RESET_SEQS.c.seq)
    .where(
        ledger_entries.c.kind == EntryKind.TRADE.value,
        ledger_entries.c.ts_ns == _RESET_ENTRY.c.ts_ns,
        ledger_entries.c.seq < _RESET_ENTRY.c.seq,
    )
)

# Each financing charge (a midnight's or a rollover's: one to three entries at one instant)
# took a number too.
_CHARGES = (
    select(ledger_entries.c.account_id, func.count(ledger_entries.c.ts_ns.distinct()))
    .where(ledger_entries.c.kind.in_([k.value for k in FINANCING_KINDS]))
    .group_by(ledger_entries.c.account_id)
)


class StoreReads:
    """`SqlStore`'s reads (mixed into it, which sets these attributes)."""

    _engine: Engine
    _outbox: OutboxReader

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read transaction that sees one consistent state of the database."""
        with self._engine.connect() as conn:
            if self._engine.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def worked_ns(self) -> int:
        """The instant the engine last worked, as stored with the last commit (0: never)."""
        with self._engine.connect() as conn:
            worked = conn.execute(select(meta.c.value).where(meta.c.key == WORKED_KEY)).scalar()
        return int(worked or 0)

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
            last_resets = _LAST_RESETS.group_by(ledger_entries.c.account_id)
            resets: dict[str, int] = {a_id: ts for a_id, ts in conn.execute(last_resets)}
            charges: dict[str, int] = {a_id: n for a_id, n in conn.execute(_CHARGES)}
            earlier = frozenset(ref for _, ref in conn.execute(_BEFORE_LAST_RESETS))
            worked = conn.execute(select(meta.c.value).where(meta.c.key == WORKED_KEY)).scalar()
        return Snapshot(
            accounts=account_list,
            positions=position_list,
            open_orders=open_orders,
            recent_fills=recent,
            # Every fill, reset and financing charge took its account's next number.
            account_seqs={
                a.id: fill_counts.get(a.id, 0) + a.epoch + charges.get(a.id, 0)
                for a in account_list
            },
            reset_ns=resets,
            before_reset=earlier,
            worked_ns=int(worked or 0),
        )

    def get_order(self, order_id: str) -> Order | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.id == order_id)).first()
        return rows.order_from(row) if row is not None else None

    def get_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        found: dict[str, Order] = {}
        wanted = list(dict.fromkeys(order_ids))
        with self._engine.connect() as conn:
            for i in range(0, len(wanted), _IDS_A_READ):
                query = select(orders).where(orders.c.id.in_(wanted[i : i + _IDS_A_READ]))
                found.update((o.id, o) for o in map(rows.order_from, conn.execute(query)))
        return found

    def get_order_by_client_id(self, account_id: str, client_order_id: str) -> Order | None:
        query = (
            select(orders)
            .where(orders.c.account_id == account_id, orders.c.client_order_id == client_order_id)
            .order_by(*_HOLDER_FIRST)
            .limit(1)
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
        since_ns: int | None = None,
        this_life: bool = False,
    ) -> list[Fill]:
        """Return the account's fills at or after `since_ns` and before `before_ns`, newest
        first; with `this_life`, only those made since its last reset."""
        query = select(fills).where(fills.c.account_id == account_id)
        if this_life:
            reset = self.last_reset_ns(account_id)
            if reset is not None:
                earlier = _BEFORE_LAST_RESETS.where(ledger_entries.c.account_id == account_id)
                query = query.where(
                    fills.c.ts_ns >= reset,
                    fills.c.id.not_in(select(earlier.subquery().c.ref)),
                )
        if order_id is not None:
            query = query.where(fills.c.order_id == order_id)
        if before_ns is not None:
            query = query.where(fills.c.ts_ns < before_ns)
        if since_ns is not None:
            query = query.where(fills.c.ts_ns >= since_ns)
        query = query.order_by(fills.c.ts_ns.desc(), fills.c.seq.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [rows.fill_from(r) for r in conn.execute(query)]

    def life_start_ns(self, account_id: str) -> int | None:
        opened = select(accounts.c.created_ns).where(accounts.c.id == account_id)
        with self._engine.connect() as conn:
            created = conn.execute(opened).scalar()
        reset = self.last_reset_ns(account_id)
        return None if created is None else max(int(created), reset or 0)

    def account_ids_of(self, owner: str) -> list[str]:
        query = select(accounts.c.id).where(accounts.c.owner == owner)
        with self._engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def last_reset_ns(self, account_id: str) -> int | None:
        """The instant of the account's last reset (its ledger's last reset entry), or None."""
        query = _LAST_RESETS.where(ledger_entries.c.account_id == account_id).group_by(
            ledger_entries.c.account_id
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else int(row[1])

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
        """Return one page of the account's orders in (created_ns, id) order, newest first
        unless `ascending`. `status` is open, closed or all; the time bounds are exclusive;
        `cursor` is the (created_ns, id) of the previous page's last order (orders may share
        an instant: a clock that did not move).

        `placing`: the orders that may place a group in a nested listing: of the versions of
        a leg, which follow one another in time, those the listing meets first (not one whose
        replacement, newest first, or whose predecessor, oldest first, the filters keep too),
        so that a group is a few rows however often its legs were replaced; `side` is that of
        a group's entry (a bracket's legs are on the other)."""
        query = _kept(select(orders), account_id, status, symbols, after_ns, until_ns)
        if side is not None and placing:
            first_entry = orders.alias("first_entry")  # a group's id is its first entry's
            entry_side = select(first_entry.c.side).where(first_entry.c.id == orders.c.group_id)
            query = query.where(
                or_(
                    and_(orders.c.group_id.is_(None), orders.c.side == side),
                    and_(orders.c.group_id.is_not(None), entry_side.scalar_subquery() == side),
                )
            )
        elif side is not None:
            query = query.where(orders.c.side == side)
        if placing:
            query = query.where(_placing(status, after_ns, until_ns, ascending))
        keys = (orders.c.created_ns, orders.c.id)
        query = query.where(*_beyond(*keys, cursor, ascending))
        query = query.order_by(*(k if ascending else k.desc() for k in keys))
        with self._engine.connect() as conn:
            return [rows.order_from(r) for r in conn.execute(query.limit(limit))]

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
        """Return those of `group_ids` with an order that may place them (as
        `page_orders(placing=True)` reads them) at `cursor` or before it, in the listing's order:
        the groups an earlier page listed."""
        keys = (orders.c.created_ns, orders.c.id)
        found: set[str] = set()
        wanted = sorted(group_ids)
        with self._engine.connect() as conn:
            for i in range(0, len(wanted), _IDS_A_READ):
                query = _kept(
                    select(orders.c.group_id).distinct(),
                    account_id,
                    status,
                    symbols,
                    after_ns,
                    until_ns,
                ).where(
                    orders.c.group_id.in_(wanted[i : i + _IDS_A_READ]),
                    not_(and_(*_beyond(*keys, cursor, ascending))),
                    _placing(status, after_ns, until_ns, ascending),
                )
                found.update(conn.execute(query).scalars())
        return found

    def current_of_groups(self, group_ids: Collection[str]) -> list[Order]:
        """Return the orders of these groups that were not replaced: each group's entry and
        legs as they stand (oldest first)."""
        found: list[Order] = []
        wanted = sorted(group_ids)
        with self._engine.connect() as conn:
            for i in range(0, len(wanted), _IDS_A_READ):
                query = select(orders).where(
                    orders.c.group_id.in_(wanted[i : i + _IDS_A_READ]),
                    text(GROUP_AS_IT_STANDS),  # verbatim: the partial index's
                )
                found.extend(map(rows.order_from, conn.execute(query)))
        return sorted(found, key=lambda o: (o.created_ns, o.id))

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


def _kept(
    query: Select[Any],
    account_id: str,
    status: str,
    symbols: Sequence[str] | None,
    after_ns: int | None,
    until_ns: int | None,
) -> Select[Any]:
    """`query` of the account's orders of that status (open, closed, all), those symbols and
    within those exclusive time bounds."""
    query = query.where(orders.c.account_id == account_id)
    if status == "open":
        query = query.where(text(OPEN_PREDICATE))
    elif status == "closed":
        query = query.where(text(f"NOT ({OPEN_PREDICATE})"))
    if symbols:
        query = query.where(orders.c.symbol.in_(list(symbols)))
    return query.where(*_within(orders, after_ns, until_ns))


def _placing(
    status: str, after_ns: int | None, until_ns: int | None, ascending: bool
) -> ColumnElement[bool]:
    """The orders that may place a group in a nested listing (`page_orders(placing=True)`): all but
    a version of a leg whose neighbour in the group, the one the listing meets just before
    (its replacement newest first, the one it replaced oldest first), the filters keep too."""
    before = orders.alias("before")
    met_first = orders.c.replaces if ascending else orders.c.replaced_by
    kept_before = select(before.c.id).where(
        before.c.id == met_first,
        before.c.group_id == orders.c.group_id,
        *_kept_by(before, status, after_ns, until_ns),
    )
    grouped = orders.c.group_id.is_not(None)
    return not_(and_(grouped, met_first.is_not(None), kept_before.exists()))


def _kept_by(
    table: Any, status: str, after_ns: int | None, until_ns: int | None
) -> list[ColumnElement[bool]]:
    """The conditions of `_kept` on status and time, on another name of the orders table
    (of the same account and symbol)."""
    kept = _within(table, after_ns, until_ns)
    if status != "all":
        is_open = table.c.status.in_(OPEN_STATUS_VALUES)
        kept.append(is_open if status == "open" else not_(is_open))
    return kept


def _within(table: Any, after_ns: int | None, until_ns: int | None) -> list[ColumnElement[bool]]:
    """Created within the exclusive time bounds (none: no bound)."""
    bounds: list[ColumnElement[bool]] = []
    if after_ns is not None:
        bounds.append(table.c.created_ns > after_ns)
    if until_ns is not None:
        bounds.append(table.c.created_ns < until_ns)
    return bounds


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
