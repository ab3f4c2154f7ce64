# The nested listing before orders knew their group (0ac997e), verbatim: it follows the links
# orders carry, one read a version of a leg. `test_nested_listing_as_before` compares the
# listing and the legs of one order with it.
"""Bracket, oto and oco orders as one, for the order listings of both APIs (`nested`): an
entry with its legs as they stand now, and a page of entries, each with its legs, read from
the store's pages of orders.

A group is an entry and the legs it holds, every version of them (a replaced leg and its
replacement). A nested listing lists a group where a flat one lists the first of its orders
the filters keep (status, symbols, time), in the listing's direction: an entry filled while
its legs work is among the open orders, at its legs' place. `side` keeps the entries of that
side (a bracket's legs are on the other). A page token names the row a group was listed at,
so that the next page starts after it and lists every other group once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from vtrade.app.ports import Store
from vtrade.bootstrap import Container
from vtrade.domain.orders import PARENT, UNFINISHED_STATUSES, Order

Find = Callable[[str], Order | None]  # an order by id, or None
Cursor = tuple[int, str]  # (created_ns, id): where a page of orders ends
Entry = tuple[Order, list[Order]]  # an entry with its legs


def live(container: Container) -> Find:
    """Find an order as it stands now: a held leg or open order in the engine (never behind
    the store), else the stored one."""
    engine, store = container.engine, container.store
    return lambda i: engine.held.get(i) or engine.orders.get(i) or store.get_order(i)


def current(find: Find, order_id: str) -> Order | None:
    """The order with this id, or the one that replaced it (and so on), as `find` has it."""
    order = find(order_id)
    while order is not None and order.replaced_by:
        order = find(order.replaced_by)
    return order


def legs_of(entry: Order, find: Find) -> list[Order]:
    """The legs `entry` holds now, in the order they were placed (a bracket's take-profit,
    then its stop-loss), a replaced one as its replacement; none for a simple order, or for
    an entry replaced (its legs are its replacement's)."""
    found = (current(find, leg_id) for leg_id in _leg_ids(entry))
    return [leg for leg in found if leg is not None]


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
        return store.page_orders(
            self.account_id,
            status=self.status,
            symbols=self.symbols,
            side=side,
            after_ns=self.after_ns,
            until_ns=self.until_ns,
            cursor=cursor,
            ascending=self.ascending,
            limit=limit,
        )

    def lists(self, order: Order) -> bool:
        """Whether the store's pages hold `order` (of the listing's symbols, which every order
        of a group shares), as `read` filters them."""
        if self.status != "all" and (order.status in UNFINISHED_STATUSES) != (
            self.status == "open"
        ):
            return False
        after, until = self.after_ns, self.until_ns
        return (after is None or order.created_ns > after) and (
            until is None or order.created_ns < until
        )


def nested_page(
    store: Store, listing: Listing, cursor: Cursor | None, limit: int, side: str | None
) -> tuple[list[Entry], Order | None]:
    """A page of `limit` entries after `cursor`, each with its legs, and the row the last of
    them was listed at when more follow (for the next page's token). Orders are read from the
    store (three rows to an entry and its two legs, more reads when that is not enough); the
    orders of a group they lack are read together, once (`_read_linked`)."""
    known: dict[str, Order | None] = {}

    def find(order_id: str) -> Order | None:
        if order_id not in known:
            known[order_id] = store.get_order(order_id)
        return known[order_id]

    first = min if listing.ascending else max
    page: list[Entry] = []
    at: list[Order] = []  # the row each entry is listed at
    seen: set[str] = set()
    batch = 3 * (limit + 1)
    while len(page) <= limit:
        rows = listing.read(store, cursor, batch, None)  # side: the entries', not the legs'
        known.update((o.id, o) for o in rows)
        _read_linked(store, rows, known)
        for row in rows:
            entry = _entry_of(row, find)
            if entry.id in seen:
                continue
            group = [row, *(o for o in _group(entry, find) if listing.lists(o))]
            if first(group, key=_key).id != row.id:
                continue  # listed at another of its orders
            seen.add(entry.id)
            if side is None or entry.side.value == side:
                page.append((entry, legs_of(entry, find)))
                at.append(row)
                if len(page) > limit:
                    break
        if len(rows) < batch:
            break
        cursor = _key(rows[-1])
    if len(page) > limit:
        return page[:limit], at[limit - 1]
    return page, None


def _read_linked(store: Store, rows: list[Order], known: dict[str, Order | None]) -> None:
    """Add to `known` the orders `rows` link to (parents, legs, replacements) and those they
    link to in turn, a read a level: a page of open legs lacks their filled entries, a page of
    closed entries their working legs, and one read each took 0.1-0.25 s a page of 500."""
    linked = rows
    while wanted := {i for o in linked for i in _links(o) if i not in known}:
        found = store.get_orders(sorted(wanted))
        known.update((i, found.get(i)) for i in wanted)
        linked = list(found.values())


def _links(order: Order) -> list[str]:
    parent = order.extra.get(PARENT)
    ids = [parent, *order.leg_ids] if parent else order.leg_ids
    return [*ids, order.replaced_by] if order.replaced_by else ids


def _key(order: Order) -> Cursor:
    return order.created_ns, order.id


def _entry_of(order: Order, find: Find) -> Order:
    """The entry holding `order` now (its parent, or the parent's replacement), else itself."""
    parent_id = order.extra.get(PARENT)
    return (current(find, parent_id) if parent_id else None) or order


def _group(entry: Order, find: Find) -> Iterator[Order]:
    """The entry and every version of each leg it holds now."""
    yield entry
    for leg_id in _leg_ids(entry):
        leg = find(leg_id)
        while leg is not None:
            yield leg
            leg = find(leg.replaced_by) if leg.replaced_by else None


def _leg_ids(entry: Order) -> list[str]:
    """The ids of the legs `entry` was placed with, unless it was replaced (they are its
    replacement's now)."""
    return [] if entry.replaced_by else entry.leg_ids
