"""`SqlWatchlistStore` and `SqlAccountSettings`: watchlists and per-account client settings in
the ledger's database (SQLAlchemy Core; pass `SqlStore.engine`)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, delete, exc, select, update

from vtrade.adapters.sql.tables import account_configurations, watchlist_symbols, watchlists
from vtrade.app.ports import Watchlist
from vtrade.core.errors import ConflictError

__all__ = ["SqlAccountSettings", "SqlWatchlistStore"]


def _taken(name: str) -> ConflictError:
    return ConflictError(f"watchlist name {name!r} is already used; choose another", name=name)


class SqlWatchlistStore:
    """The `WatchlistStore` port on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, watchlist: Watchlist) -> None:
        row = {
            "id": watchlist.id,
            "account_id": watchlist.account_id,
            "name": watchlist.name,
            "created_ns": watchlist.created_ns,
            "updated_ns": watchlist.updated_ns,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(watchlists.insert(), row)
                self._write_symbols(conn, watchlist)
        except exc.IntegrityError:
            raise _taken(watchlist.name) from None

    def get(self, account_id: str, watchlist_id: str) -> Watchlist | None:
        found = self._select(watchlists.c.account_id == account_id, watchlists.c.id == watchlist_id)
        return found[0] if found else None

    def by_name(self, account_id: str, name: str) -> Watchlist | None:
        found = self._select(watchlists.c.account_id == account_id, watchlists.c.name == name)
        return found[0] if found else None

    def of_account(self, account_id: str) -> list[Watchlist]:
        return self._select(watchlists.c.account_id == account_id)

    def save(self, watchlist: Watchlist) -> None:
        query = (
            update(watchlists)
            .where(
                watchlists.c.id == watchlist.id,
                watchlists.c.account_id == watchlist.account_id,
            )
            .values(name=watchlist.name, updated_ns=watchlist.updated_ns)
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(query)
                conn.execute(
                    delete(watchlist_symbols).where(
                        watchlist_symbols.c.watchlist_id == watchlist.id
                    )
                )
                self._write_symbols(conn, watchlist)
        except exc.IntegrityError:
            raise _taken(watchlist.name) from None

    def delete(self, account_id: str, watchlist_id: str) -> bool:
        with self.engine.begin() as conn:
            owned = conn.execute(
                select(watchlists.c.id).where(
                    watchlists.c.id == watchlist_id, watchlists.c.account_id == account_id
                )
            ).first()
            if owned is None:
                return False
            conn.execute(
                delete(watchlist_symbols).where(watchlist_symbols.c.watchlist_id == watchlist_id)
            )
            conn.execute(delete(watchlists).where(watchlists.c.id == watchlist_id))
        return True

    @staticmethod
    def _write_symbols(conn: Any, watchlist: Watchlist) -> None:
        if watchlist.symbols:
            conn.execute(
                watchlist_symbols.insert(),
                [
                    {"watchlist_id": watchlist.id, "symbol": symbol, "position": i}
                    for i, symbol in enumerate(watchlist.symbols)
                ],
            )

    def _select(self, *where: Any) -> list[Watchlist]:
        query = select(watchlists).where(*where).order_by(watchlists.c.created_ns, watchlists.c.id)
        with self.engine.connect() as conn:
            heads = conn.execute(query).all()
            if not heads:
                return []
            members = conn.execute(
                select(watchlist_symbols)
                .where(watchlist_symbols.c.watchlist_id.in_([h.id for h in heads]))
                .order_by(watchlist_symbols.c.watchlist_id, watchlist_symbols.c.position)
            ).all()
        symbols: dict[str, list[str]] = {h.id: [] for h in heads}
        for m in members:
            symbols[m.watchlist_id].append(m.symbol)
        return [
            Watchlist(
                id=h.id,
                account_id=h.account_id,
                name=h.name,
                symbols=tuple(symbols[h.id]),
                created_ns=h.created_ns,
                updated_ns=h.updated_ns,
            )
            for h in heads
        ]


class SqlAccountSettings:
    """The `AccountSettingsStore` port: one JSON object per account."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Read on every order (suspend_trade, no_shorting) and written only through this
        # object, so a copy in memory saves a query per order.
        self._known: dict[str, dict[str, object] | None] = {}

    def get(self, account_id: str) -> dict[str, object] | None:
        if account_id not in self._known:
            self._known[account_id] = self._read(account_id)
        found = self._known[account_id]
        return dict(found) if found is not None else None

    def _read(self, account_id: str) -> dict[str, object] | None:
        query = select(account_configurations.c.body).where(
            account_configurations.c.account_id == account_id
        )
        with self.engine.connect() as conn:
            body = conn.execute(query).scalar()
        if body is None:
            return None
        loaded: dict[str, object] = json.loads(body)
        return loaded

    def put(self, account_id: str, body: dict[str, object], updated_ns: int) -> None:
        self._known.pop(account_id, None)
        text = json.dumps(body, sort_keys=True)
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(account_configurations)
                .where(account_configurations.c.account_id == account_id)
                .values(body=text, updated_ns=updated_ns)
            ).rowcount
            if not changed:
                conn.execute(
                    account_configurations.insert(),
                    {"account_id": account_id, "body": text, "updated_ns": updated_ns},
                )
