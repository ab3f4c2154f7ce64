"""Orders know their group (`Order.group_id`): a bracket's, oto's or oco's entry as it stands
and every version of its legs; an entry replaced leaves it to its replacement. A database made
before migration 0013 gets the same groups from the links its orders carry. The nested
listings read groups by it, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from order_desk import Desk
from sqlalchemy import event
from test_sql_store import make_account, make_order

from vtrade.adapters.sql.migrate import alembic_config
from vtrade.adapters.sql.rows import account_row, order_row
from vtrade.adapters.sql.store import SqlStore
from vtrade.adapters.sql.tables import accounts, orders
from vtrade.api import nested
from vtrade.api.nested import Listing, nested_page
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderClass, OrderStatus, OrderType, TimeInForce

D = Decimal


def a_day_of_groups(desk: Desk) -> dict[str, list[Order]]:
    """A bracket whose take-profit was replaced, one whose entry was, an oco whose orders were
    in turn, an oto, and a simple order replaced: each order of each, by name."""
    aapl, msft, nvda = desk.mid("AAPL"), desk.mid("MSFT"), desk.mid("NVDA")
    exits = {"take_profit_limit_price": round(aapl * D("1.2"), 2)}
    exits["stop_loss_stop_price"] = round(aapl * D("0.8"), 2)
    bracket = desk.submit("AAPL", Side.BUY, 10, order_class=OrderClass.BRACKET, **exits)
    take_id, stop_id = bracket.leg_ids
    takes = [desk.find(take_id)]
    for step in range(1, 4):
        takes.append(desk.replace(takes[-1], limit_price=exits["take_profit_limit_price"] + step))

    resting = desk.submit(
        "MSFT",
        Side.BUY,
        5,
        type=OrderType.LIMIT,
        limit_price=round(msft * D("0.9"), 2),
        tif=TimeInForce.GTC,
        order_class=OrderClass.BRACKET,
        take_profit_limit_price=round(msft * D("1.2"), 2),
        stop_loss_stop_price=round(msft * D("0.8"), 2),
    )
    entries = [resting]
    for step in (1, 2):
        entries.append(desk.replace(entries[-1], limit_price=round(msft * D("0.9"), 2) - step))

    desk.submit("NVDA", Side.BUY, 10)
    oco = desk.submit(
        "NVDA",
        Side.SELL,
        10,
        type=OrderType.LIMIT,
        tif=TimeInForce.GTC,
        order_class=OrderClass.OCO,
        take_profit_limit_price=round(nvda * D("1.2"), 2),
        stop_loss_stop_price=round(nvda * D("0.8"), 2),
    )
    oco_take, oco_stops = [oco], [desk.find(oco.leg_ids[0])]
    oco_stops.append(desk.replace(oco_stops[-1], stop_price=round(nvda * D("0.8"), 2) - 1))
    oco_take.append(desk.replace(oco_take[-1], limit_price=round(nvda * D("1.2"), 2) + 1))
    oco_stops.append(desk.replace(oco_stops[-1], stop_price=round(nvda * D("0.8"), 2) - 2))

    oto = desk.submit(
        "MSFT", Side.BUY, 3, order_class=OrderClass.OTO, stop_loss_stop_price=round(msft * D("0.8"))
    )
    simple = [desk.submit("AAPL", Side.BUY, 1, type=OrderType.LIMIT, limit_price=aapl - 5)]
    simple.append(desk.replace(simple[-1], limit_price=aapl - 6))
    return {
        "bracket": [bracket, desk.find(stop_id), *takes],
        "entries": entries,
        "legs of the entries": [desk.find(i) for i in entries[-1].leg_ids],
        "oco take-profits": oco_take,
        "oco stop-losses": oco_stops,
        "oto": [oto, desk.find(oto.leg_ids[0])],
        "simple": simple,
    }


def test_a_group_is_its_entry_as_it_stands_and_every_version_of_its_legs(
    desk: Desk,
) -> None:
    app = desk.app
    made = a_day_of_groups(desk)
    stored = desk.orders()

    def groups(name: str) -> list[str | None]:
        return [stored[o.id].group_id for o in made[name]]

    bracket = made["bracket"][0].id
    assert groups("bracket") == [bracket] * 6
    old, older, newest = made["entries"]
    assert groups("entries") == [None, None, old.id]  # replaced entries are listed apart
    assert groups("legs of the entries") == [old.id, old.id]
    assert groups("oco take-profits") == [None, made["oco take-profits"][0].id]
    assert groups("oco stop-losses") == [made["oco take-profits"][0].id] * 3
    assert groups("oto") == [made["oto"][0].id] * 2
    assert groups("simple") == [None, None]
    current = app.store.current_of_groups([bracket, old.id])
    assert sorted(o.id for o in current) == sorted(
        [bracket, made["bracket"][1].id, made["bracket"][-1].id, newest.id, *newest.leg_ids]
    )
    assert all(o.status is not OrderStatus.REPLACED for o in current)


def test_upgrading_to_0013_gives_existing_orders_the_groups_a_new_vtrade_gives_them(
    desk: Desk,
) -> None:
    app = desk.app
    a_day_of_groups(desk)
    given = {i: o.group_id for i, o in desk.orders().items()}
    assert sum(g is not None for g in given.values()) >= 10

    with app.store.engine.begin() as conn:
        command.downgrade(alembic_config(connection=conn), "0012")
    app.store.migrate()

    assert {i: o.group_id for i, o in desk.orders().items()} == given


@pytest.mark.parametrize("status", ["all", "open", "closed"])
def test_nested_pages_list_every_entry_once_however_few_rows_a_page_reads(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    app = desk.app
    a_day_of_groups(desk)
    store = app.store
    for side in (None, "buy", "sell"):
        for ascending in (False, True):
            listing = Listing(desk.account.id, status, None, None, None, ascending)
            whole, end = nested_page(store, listing, None, 500, side)
            assert end is None and whole
            ids = [(entry.id, [leg.id for leg in legs]) for entry, legs in whole]
            assert len({i for i, _ in ids}) == len(ids)
            assert all(side in (None, entry.side.value) for entry, _ in whole)
            with monkeypatch.context() as patch:
                patch.setattr(nested, "MAX_READS", 1)
                for limit in (1, 2, 3):
                    paged: list[tuple[str, list[str]]] = []
                    cursor = None
                    for _ in range(100):
                        page, end = nested_page(store, listing, cursor, limit, side)
                        paged += [(entry.id, [leg.id for leg in legs]) for entry, legs in page]
                        if end is None:
                            break
                        cursor = end.created_ns, end.id
                    assert paged == ids, (side, ascending, limit)


SQLITE_999 = 999  # SQLITE_MAX_VARIABLE_NUMBER of SQLite before 3.32 (RHEL 8 ships 3.26)


@pytest.fixture
def store_999(tmp_path: Path) -> Iterator[SqlStore]:
    """A SQLite store whose connections bind at most 999 variables a statement, as SQLite
    before 3.32 does (`_IDS_A_READ` = 500 keeps the store's reads of ids within it)."""
    store = SqlStore(f"sqlite:///{tmp_path / 'vtrade.db'}")
    store.migrate()

    @event.listens_for(store.engine, "connect")
    def limit(dbapi_connection: sqlite3.Connection, _: object) -> None:
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_999)

    store.engine.dispose()  # new connections get the limit
    yield store
    store.close()


def buy_brackets(store: SqlStore, count: int) -> None:
    """`count` buy brackets (an entry, two held sell legs each), newest last."""
    rows = [order_row(make_order("s-0", side=Side.SELL, created_ns=0))]
    for i in range(count):
        g, t = f"g{i:05d}", 3 * i + 1
        entry = make_order(g, extra={"legs": f"{g}a,{g}b"}, group_id=g, created_ns=t)
        rows.append(order_row(entry))
        for leg in "ab":
            leg_row = make_order(
                g + leg,
                side=Side.SELL,
                extra={"parent_id": g},
                group_id=g,
                created_ns=t + 1,
                status=OrderStatus.HELD,
            )
            rows.append(order_row(leg_row))
    with store.engine.begin() as conn:
        conn.execute(accounts.insert().values(**account_row(make_account())))
        conn.execute(orders.insert(), rows)


def test_nested_pages_bind_no_more_ids_a_statement_than_old_sqlite_builds_allow(
    store_999: SqlStore,
) -> None:
    """The reads of a nested page bind 500 ids a statement at most (`_IDS_A_READ`): pages of
    500 brackets, an entry of the other side behind 1,100 of them."""
    buy_brackets(store_999, 1100)
    ids = [f"g{i:05d}" for i in range(1100)]
    assert len(store_999.get_orders(ids)) == 1100  # 500 ids a statement: within the limit
    assert len(store_999.current_of_groups(ids)) == 3300

    listing = Listing("acc-1", "all", None, None, None, ascending=False)
    page, _ = nested_page(store_999, listing, None, 500, "sell")

    assert [e.id for e, _ in page] == ["s-0"]
    first, end = nested_page(store_999, listing, None, 500, None)
    assert end is not None
    second, _ = nested_page(store_999, listing, (end.created_ns, end.id), 500, None)
    assert [e.id for e, _ in first + second] == ids[::-1][:1000]
