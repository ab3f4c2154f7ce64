"""Bracket, oto and oco orders as one, for the order listings of both APIs (`nested`): an
entry with its legs as they stand now, and a page of entries, each with its legs, read from
the store's pages of orders.

A group is an entry and the legs it holds, every version of them (a replaced leg and its
replacement), all with the group's id (`Order.group_id`); an entry replaced is listed on its
own, its legs are its replacement's. A nested listing lists a group where
a flat one lists the first of its orders the filters keep (status, symbols, time), in the
listing's direction: an entry filled while its legs work is among the open orders, at its
legs' place. `side` keeps the entries of that side (a bracket's legs are on the other). A page
token names the row a group was listed at, so that the next page starts after it and lists
every other group once.

The work a request does is bounded by its page, not by the account's history: of the
versions of a replaced leg only the one the listing meets first is read, `side` is chosen in
the store, a group's orders as they stand are one read however often they were replaced, and
a page that meets groups an earlier page listed stops after `MAX_READS` reads of rows (its
token goes on from the last row read)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from vtrade.app.ports import Store
from vtrade.bootstrap import Container
from vtrade.domain.orders import Order, OrderType

Find = Callable[[str], Order | None]  # an order by id, or None
Cursor = tuple[int, str]  # (created_ns, id): where a page of orders ends
Entry = tuple[Order, list[Order]]  # an entry with its legs

MAX_READS = 8  # reads of rows a nested page makes at most


def working(container: Container) -> Find:
    """An order the engine works or holds (an open order, a held leg), never behind the
    store; None for any other."""
    engine = container.engine
    return lambda i: engine.held.get(i) or engine.orders.get(i)


def live(container: Container) -> Find:
    """Find an order as it stands now: the engine's (`working`), else the stored one."""
    engine, store = working(container), container.store
    return lambda i: engine(i) or store.get_order(i)


def legs_of(entry: Order, store: Store, engine: Find = lambda i: None) -> list[Order]:
    """The legs `entry` holds now (a bracket's take-profit, then its stop-loss), each as it
    stands: a replaced one as its replacement, the engine's version where it has one (the
    engine commits what it changes before any request reads the store, so the store's
    replacements are the engine's); none for a simple order, a leg, or an entry replaced
    (its legs are its replacement's). One read of the store, however often the legs were
    replaced."""
    if entry.group_id is None or entry.replaced_by or not entry.leg_ids:
        return []
    found = _entries(store.current_of_groups([entry.group_id]))
    if entry.group_id not in found:
        return []
    return [engine(leg.id) or leg for leg in found[entry.group_id][1]]


@dataclass(frozen=True, slots=True)
class Listing:
    """An order listing's query of the store: an account's orders by status (open, closed,
    all), symbols and exclusive time bounds, oldest first if `ascending`."""

    account_id: str
    status: str
    symbols: list[str] | None
    after_ns: int | None
    until_ns: int | None
    ascending: bool

    def read(
        self, store: Store, cursor: Cursor | None, limit: int, side: str | None
    ) -> list[Order]:
        """The next `limit` orders after `cursor` (of `side`, unless None)."""
        return store.page_orders(**self._filters(), side=side, cursor=cursor, limit=limit)

    def read_placing(
        self, store: Store, cursor: Cursor | None, limit: int, side: str | None
    ) -> list[Order]:
        """The next `limit` orders after `cursor` that may place a group (of the versions of
        a leg, those the listing meets first), `side` being a group's entry's."""
        return store.page_orders(
            **self._filters(), side=side, cursor=cursor, limit=limit, placing=True
        )

    def listed_through(self, store: Store, groups: Collection[str], cursor: Cursor) -> set[str]:
        """Those of `groups` with an order the listing holds at `cursor` or before it."""
        if not groups:
            return set()
        return store.groups_listed_through(group_ids=groups, **self._filters(), cursor=cursor)

    def _filters(self) -> dict[str, Any]:
        return asdict(self)  # its fields are the store's keywords


def nested_page(
    store: Store, listing: Listing, cursor: Cursor | None, limit: int, side: str | None
) -> tuple[list[Entry], Order | None]:
    """A page of `limit` entries after `cursor`, each with its legs, and the row the page
    ends at when more may follow (for the next page's token): the row the last entry was
    listed at, or the last row read when `MAX_READS` reads found fewer entries (groups an
    earlier page listed, met again).

    Rows are read three to an entry and its two legs (`Listing.read_placing`: a few rows a
    group however often its legs were replaced, of the side asked for), and the groups a
    read meets are read as they stand together (`Store.current_of_groups`)."""
    page: list[Entry] = []
    at: list[Order] = []  # the row each entry is listed at
    met: set[str] = set()  # groups listed here or on an earlier page
    start, batch = cursor, 3 * (limit + 1)
    for _ in range(MAX_READS):
        rows = listing.read_placing(store, cursor, batch, side)
        new = {r.group_id for r in rows if r.group_id is not None} - met
        if start is not None:
            met |= listing.listed_through(store, new, start)
            new -= met
        entries = _entries(store.current_of_groups(new)) if new else {}
        for row in rows:
            group = row.group_id
            if group is None:
                entry: Entry = (row, [])
            elif group in met or group not in entries:
                continue
            else:
                met.add(group)
                entry = entries[group]
            page.append(entry)
            at.append(row)
            if len(page) > limit:
                return page[:limit], at[limit - 1]
        if len(rows) < batch:
            return page, None
        cursor = _key(rows[-1])
    return page, rows[-1]


def _entries(orders: Iterable[Order]) -> dict[str, Entry]:
    """Each group's entry with its legs, from the orders of groups as they stand: the entry
    holds the legs' ids, a take-profit comes before a stop-loss (a bracket's order)."""
    entries: dict[str, Order] = {}
    legs: dict[str, list[Order]] = {}
    for order in orders:
        if order.group_id is None:
            continue
        if order.leg_ids:
            entries[order.group_id] = order
        else:
            legs.setdefault(order.group_id, []).append(order)
    return {
        group: (entry, sorted(legs.get(group, []), key=lambda o: o.type is not OrderType.LIMIT))
        for group, entry in entries.items()
    }


def _key(order: Order) -> Cursor:
    return order.created_ns, order.id
