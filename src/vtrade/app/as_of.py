"""Accounts as they stood at an earlier instant, from the ledger: the close snapshot that a
start takes for a daily close it was down over (`PortfolioService.rebuild`)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from vtrade.app.ports import Store
from vtrade.domain.accounts import Account, Position
from vtrade.domain.changes import Snapshot
from vtrade.domain.market_data import Side
from vtrade.market.catalog import Catalog

_EVERY_FILL = 2**62  # a replay of an account's fills takes them all


def as_of(
    store: Store, catalog: Catalog, accounts: list[Account], snapshot: Snapshot, t_ns: int
) -> tuple[list[Account], list[Position]]:
    """`accounts` (of `snapshot`, the store's state now) and their positions as they stood
    at `t_ns`: the start's catch-up may have filled orders, and charged a night's financing,
    since. Cash is less what was booked after `t_ns`; a position traded after it is replayed
    from the account's fills up to it. Only accounts that traded since, hold or owe anything
    read their ledger: no other can have been charged."""
    ids = {a.id for a in accounts}
    rows = [p for p in snapshot.positions if p.account_id in ids]
    traded = {(p.account_id, p.symbol) for p in rows if p.updated_ns > t_ns}
    moved = {p.account_id for p in rows if p.qty or p.updated_ns > t_ns}
    moved |= {a.id for a in accounts if a.cash < 0}
    then = [
        replace(a, cash=a.cash - _booked_after(store, a.id, t_ns)) if a.id in moved else a
        for a in accounts
    ]
    symbols: dict[str, set[str]] = {}
    for account_id, symbol in traded:
        symbols.setdefault(account_id, set()).add(symbol)
    replayed = [
        pos
        for account_id, held in symbols.items()
        for pos in _replayed(store, catalog, account_id, held, t_ns)
    ]
    kept = [p for p in rows if (p.account_id, p.symbol) not in traded]
    return then, kept + replayed


def _booked_after(store: Store, account_id: str, t_ns: int) -> Decimal:
    return sum((e.amount for e in store.ledger(account_id) if e.ts_ns > t_ns), Decimal(0))


def _replayed(
    store: Store,
    catalog: Catalog,
    account_id: str,
    symbols: set[str],
    until_ns: int,
) -> list[Position]:
    """The account's positions in `symbols` at `until_ns`: its fills since its last reset
    (which left it flat) applied in order, as the engine applied them."""
    positions = {s: Position(account_id=account_id, symbol=s) for s in symbols}
    fills = store.list_fills(account_id, limit=_EVERY_FILL, before_ns=until_ns + 1, this_life=True)
    for fill in reversed(fills):  # oldest first
        if fill.symbol in positions:
            inst = catalog.get(fill.symbol)
            signed = fill.qty if fill.side is Side.BUY else -fill.qty
            positions[fill.symbol].apply(
                signed, fill.price, inst.multiplier, fill.fx_rate, inst.settles_pnl
            )
    return list(positions.values())
