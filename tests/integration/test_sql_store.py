"""SqlStore against real SQLite files and a real PostgreSQL server (one schema per test)."""

from __future__ import annotations

import dataclasses
import json
import time
import typing
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import exc, func, inspect, select

from vtrade.adapters.sql import SqlStore, default_codec, normalize_url
from vtrade.adapters.sql.migrate import alembic_config, head_revision, migrate
from vtrade.adapters.sql.rows import account_row, fill_row, order_row, position_row
from vtrade.adapters.sql.store_writes import IMMUTABLE_ORDER_COLUMNS
from vtrade.adapters.sql.tables import (
    account_configurations,
    accounts,
    fills,
    metadata,
    orders,
    outbox,
    positions,
)
from vtrade.app.ports import Changes
from vtrade.core.clock import SimulatedClock
from vtrade.core.messages import Event
from vtrade.domain import events as domain_events
from vtrade.domain.accounts import Account, EntryKind, LedgerEntry, Position, Profile
from vtrade.domain.events import OrderAccepted, OrderFilled
from vtrade.domain.market_data import Side
from vtrade.domain.orders import (
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Receipt,
    Slice,
    TimeInForce,
)

T0 = 1_763_800_000_000_000_000  # an instant in ns
TINY = Decimal("0.00000001")
BIG = Decimal("123456789.123456789")
WIDE = Decimal("99999999999999999999.999999999999999999")  # 38 significant digits


# -- builders -----------------------------------------------------------------------------


def make_account(account_id: str = "acc-1", **kw: Any) -> Account:
    values: dict[str, Any] = {"id": account_id, "owner": "alice", "name": "Main"}
    return Account(**(values | kw))


def make_order(order_id: str, account_id: str = "acc-1", **kw: Any) -> Order:
    values: dict[str, Any] = {
        "id": order_id,
        "account_id": account_id,
        "client_order_id": f"c-{order_id}",
        "symbol": "AAPL",
        "side": Side.BUY,
        "type": OrderType.LIMIT,
        "tif": TimeInForce.DAY,
        "qty": Decimal(10),
        "limit_price": Decimal("190.25"),
        "status": OrderStatus.ACCEPTED,
        "created_ns": T0,
        "updated_ns": T0,
    }
    return Order(**(values | kw))


def make_receipt(**kw: Any) -> Receipt:
    values: dict[str, Any] = {
        "arrival_mid": Decimal("190.005"),
        "touch": Decimal("190.01"),
        "avg_price": Decimal("190.0125"),
        "spread_cost": Decimal("0.05"),
        "impact_cost": BIG,
        "fees": TINY,
        "fee_breakdown": (("commission", Decimal("0.35")), ("sec", TINY)),
        "fx_rate": Decimal("1.0000"),
        "slices": (
            Slice(price=Decimal("190.01"), qty=Decimal("7.5")),
            Slice(price=Decimal("190.02"), qty=Decimal("2.5")),
        ),
        "profile": "realistic",
        "liquidity": "taker",
        "frictionless_cost": Decimal("1900.05"),
        "slippage_bps": Decimal("-0.3947"),
    }
    return Receipt(**(values | kw))


def make_fill(fill_id: str, order_id: str, account_id: str = "acc-1", **kw: Any) -> Fill:
    values: dict[str, Any] = {
        "id": fill_id,
        "order_id": order_id,
        "account_id": account_id,
        "symbol": "AAPL",
        "side": Side.BUY,
        "qty": Decimal(10),
        "price": Decimal("190.0125"),
        "fee": Decimal("0.35"),
        "fx_rate": Decimal(1),
        "ts_ns": T0,
        "profile": "realistic",
        "receipt": make_receipt(),
    }
    return Fill(**(values | kw))


def make_entry(entry_id: str, account_id: str = "acc-1", **kw: Any) -> LedgerEntry:
    values: dict[str, Any] = {
        "id": entry_id,
        "account_id": account_id,
        "kind": EntryKind.TRADE,
        "amount": Decimal("-1900.125"),
        "ts_ns": T0,
        "ref": "f-1",
    }
    return LedgerEntry(**(values | kw))


def make_accepted(event_id: str, order_id: str = "o-1", ts: int = T0) -> OrderAccepted:
    return OrderAccepted(
        id=event_id,
        ts_init=ts,
        ts_event=ts,
        account_id="acc-1",
        order_id=order_id,
        client_order_id=f"c-{order_id}",
        symbol="AAPL",
        status="accepted",
    )


def sample_event(cls: type[Event], n: int) -> Event:
    """Build an instance of any event class with a value of the right type in every field."""
    samples = {str: f"s{n}", Decimal: BIG, bool: True, int: T0 + n, Decimal | None: BIG}
    hints = typing.get_type_hints(cls)
    kwargs = {f.name: samples[hints[f.name]] for f in dataclasses.fields(cls)}
    kwargs["id"] = f"evt-{n}"
    return cls(**kwargs)


def decimal_texts(obj: Any) -> list[str]:
    """Every Decimal inside a dataclass tree, as text: equal text means the same digits."""
    if isinstance(obj, Decimal):
        return [str(obj)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [t for f in dataclasses.fields(obj) for t in decimal_texts(getattr(obj, f.name))]
    if isinstance(obj, tuple | list):
        return [t for item in obj for t in decimal_texts(item)]
    return []


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'vtrade.db'}"
    make_schema: Callable[[], str] = request.getfixturevalue("postgres_schema")
    return make_schema()


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


@pytest.fixture
def store(db_url: str, clock: SimulatedClock) -> Iterator[SqlStore]:
    s = SqlStore(db_url, clock=clock)
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def account(store: SqlStore) -> Account:
    acc = make_account()
    store.commit([Changes(accounts=[acc])])
    return acc


# -- schema -------------------------------------------------------------------------------


def test_migrate_creates_the_schema_once_and_is_idempotent(db_url: str) -> None:
    with SqlStore(db_url) as s:
        assert s.schema_revision() is None
        s.migrate()
        s.migrate()
        assert s.schema_revision() == head_revision() == "0014"
        names = set(inspect(s.engine).get_table_names())
        assert {"accounts", "orders", "fills", "positions", "ledger_entries", "outbox"} <= names


def test_a_start_at_the_newest_migration_runs_no_migration_nor_reference_check(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every start migrates (twice: `Container.start`, then the trading service): on a
    database already there, neither Alembic (50 ms) nor SQLite's check of every row's
    references (a scan of the whole ledger) runs."""
    with SqlStore(db_url) as s:
        s.migrate()

        def refused(*_: Any, **__: Any) -> None:
            raise AssertionError("migrated again")

        monkeypatch.setattr(command, "upgrade", refused)
        monkeypatch.setattr("vtrade.adapters.sql.migrate._check_references", refused)
        moved = migrate(s.engine)
        assert (moved.before, moved.after, moved.steps) == (head_revision(), head_revision(), ())


def test_stores_migrating_one_new_database_at_once_all_succeed(db_url: str) -> None:
    """As two servers started together do: on SQLite a deferred BEGIN failed with "database
    is locked" (or "table alembic_version already exists") in every such race."""
    stores = [SqlStore(db_url) for _ in range(3)]
    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            list(pool.map(SqlStore.migrate, stores))  # raises what a migrate raised
        assert {s.schema_revision() for s in stores} == {head_revision()}
    finally:
        for store in stores:
            store.close()


def test_starts_counted_at_once_each_get_their_own_number(db_url: str) -> None:
    """As replicas started together do: read, then written back, the count gave two starts on
    PostgreSQL the same number (the salt of every id they make and their claim on the
    market), and two first starts on an empty database collided on inserting it."""
    stores = [SqlStore(db_url) for _ in range(8)]
    stores[0].migrate()
    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            boots = list(pool.map(SqlStore.next_boot, stores))
        assert sorted(boots) == list(range(1, len(stores) + 1))
        assert stores[0].next_boot() == len(stores) + 1
    finally:
        for store in stores:
            store.close()


# SQLite cannot reflect expression indexes (users' lower(name)), so there only that one index
# goes uncompared; PostgreSQL compares it too.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrations_produce_exactly_the_tables_module(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_upgrading_carries_alpaca_account_rules_onto_the_accounts(db_url: str) -> None:
    with SqlStore(db_url) as s:
        migrate(s.engine, "0005")
        with s.engine.begin() as conn:  # as 0005 left them: no rule columns yet
            for account_id, body in (("a-1", '{"suspend_trade": true}'), ("a-2", "{}")):
                row = account_row(make_account(account_id))
                del row["trading_suspended"], row["no_shorting"], row["cash_only"]
                conn.execute(accounts.insert().values(**row))
                conn.execute(
                    account_configurations.insert().values(
                        account_id=account_id, body=body, updated_ns=0
                    )
                )
        s.migrate()
        loaded = {a.id: a for a in s.load(0).accounts}
        with s.engine.begin() as conn:  # a rule set since: downgrading must keep it
            conn.execute(accounts.update().where(accounts.c.id == "a-2").values(no_shorting=True))
            command.downgrade(alembic_config(connection=conn), "0005")
            bodies = dict(conn.execute(select(account_configurations.c[:2])).all())
    assert loaded["a-1"].trading_suspended and not loaded["a-1"].no_shorting
    assert not loaded["a-2"].trading_suspended
    assert json.loads(bodies["a-1"]) == {"suspend_trade": True, "no_shorting": False}
    assert json.loads(bodies["a-2"]) == {"suspend_trade": False, "no_shorting": True}


def test_upgrading_makes_accounts_with_a_margin_multiplier_of_one_cash_only(db_url: str) -> None:
    with SqlStore(db_url) as s:
        migrate(s.engine, "0008")
        with s.engine.begin() as conn:  # as 0008 left them: the multiplier only in the settings
            for account_id, body in (
                ("a-1", '{"max_margin_multiplier": "1"}'),
                ("a-2", '{"max_margin_multiplier": "2"}'),
                ("a-3", "{}"),
            ):
                row = account_row(make_account(account_id))
                del row["cash_only"]
                conn.execute(accounts.insert().values(**row))
                conn.execute(
                    account_configurations.insert().values(
                        account_id=account_id, body=body, updated_ns=0
                    )
                )
        s.migrate()
        loaded = {a.id: a.cash_only for a in s.load(0).accounts}
        with s.engine.begin() as conn:  # a rule set since: downgrading must keep it
            conn.execute(accounts.update().where(accounts.c.id == "a-3").values(cash_only=True))
            command.downgrade(alembic_config(connection=conn), "0008")
            bodies = dict(conn.execute(select(account_configurations.c[:2])).all())
    assert loaded == {"a-1": True, "a-2": False, "a-3": False}
    assert json.loads(bodies["a-3"]) == {"max_margin_multiplier": "1"}
    assert json.loads(bodies["a-2"]) == {"max_margin_multiplier": "2"}


def test_upgrading_gives_held_positions_the_rate_of_their_last_fill(db_url: str) -> None:
    with SqlStore(db_url) as s:
        migrate(s.engine, "0007")
        with s.engine.begin() as conn:  # as 0007 left them: no entry rate yet
            account = account_row(make_account())
            del account["cash_only"]
            conn.execute(accounts.insert().values(**account))
            for order_id, ts, rate in (("o-1", 1, "0.0120"), ("o-2", 2, "0.0131")):
                order = order_row(make_order(order_id))
                del order["group_id"], order["fees_vcr"]
                conn.execute(orders.insert().values(**order))
                fill = make_fill(f"f-{order_id}", order_id, symbol="VOD.L", ts_ns=ts)
                fill_values = fill_row(dataclasses.replace(fill, fx_rate=Decimal(rate)))
                conn.execute(fills.insert().values(**fill_values))
            for symbol in ("VOD.L", "AAPL"):
                row = position_row(Position(account_id="acc-1", symbol=symbol, qty=Decimal(5)))
                del row["entry_fx"]
                conn.execute(positions.insert().values(**row))
        s.migrate()
        held = {p.symbol: p.entry_fx for p in s.load(0).positions}
    assert held == {"VOD.L": Decimal("0.0131"), "AAPL": 1}  # AAPL: no fill, its own currency


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    with SqlStore(f"sqlite:///{tmp_path / 'p.db'}") as s, s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_urls_are_normalized_to_the_psycopg_driver() -> None:
    url = normalize_url("postgresql://u:p@h:5/db")
    assert url.drivername == "postgresql+psycopg"
    assert normalize_url("postgres://h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(ValueError, match="unsupported database"):
        SqlStore("mysql://h/db")


def test_a_postgresql_connection_gives_up_after_ten_seconds_unless_the_url_says() -> None:
    waits = SqlStore("postgresql://u@h/db")  # nothing connects until it is used
    told = SqlStore("postgresql://u@h/db?connect_timeout=3")
    try:
        assert waits.engine.url.query["connect_timeout"] == "10"
        assert told.engine.url.query["connect_timeout"] == "3"
    finally:
        waits.close()
        told.close()


# -- round trips --------------------------------------------------------------------------


def test_every_field_round_trips_exactly(store: SqlStore) -> None:
    acc = make_account(
        profile=Profile.HARSH,
        initial_balance=BIG,
        cash=Decimal("-0.00000001"),
        created_ns=T0,
        epoch=3,
        margin_call=True,
    )
    full = make_order(
        "o-full",
        side=Side.SELL,
        type=OrderType.TRAILING_STOP,
        tif=TimeInForce.GTC,
        qty=TINY,
        notional=WIDE,
        limit_price=Decimal("1.10"),
        stop_price=BIG,
        trail_price=Decimal("0.50"),
        trail_percent=Decimal("2.5"),
        extended_hours=True,
        status=OrderStatus.PARTIALLY_FILLED,
        filled_qty=Decimal("0.000000005"),
        filled_notional=Decimal("0.0000009501"),
        triggered=True,
        watermark=Decimal("191.00"),
        arrival_mid=Decimal("190.005"),
        replaces="o-old",
        replaced_by="o-new",
        reject_reason="none, really",
        profile="harsh",
        created_ns=T0 + 1,
        updated_ns=T0 + 2,
        seq=42,
        extra={"source": "alpaca", "note": "ünïcode ✓"},
    )
    bare = make_order("o-bare", type=OrderType.MARKET, limit_price=None)
    fill = make_fill("f-1", "o-full", qty=TINY, price=BIG, fee=WIDE, fx_rate=Decimal("1.2345"))
    position = Position(
        account_id="acc-1",
        symbol="AAPL",
        qty=Decimal("-12.5"),
        avg_price=BIG,
        realized_pnl=TINY,
        updated_ns=T0 + 3,
    )
    entry = make_entry("l-1", kind=EntryKind.FEE, amount=-TINY, ref="f-1", note="commission")
    store.commit(
        [
            Changes(
                accounts=[acc],
                orders=[full, bare],
                fills=[fill],
                positions=[position],
                ledger=[entry],
            )
        ]
    )

    snap = store.load(since_ns=0)
    assert snap.accounts == [acc]
    assert snap.positions == [position]
    assert snap.recent_fills == [fill]
    assert store.get_order("o-full") == full
    assert store.get_order("o-bare") == bare
    assert store.ledger("acc-1") == [entry]
    # Not just equal values: the same digits and scale (1.10 stays 1.10).
    assert decimal_texts(snap.accounts[0]) == decimal_texts(acc)
    assert decimal_texts(store.get_order("o-full")) == decimal_texts(full)
    assert decimal_texts(snap.recent_fills[0]) == decimal_texts(fill)
    assert decimal_texts(snap.positions[0]) == decimal_texts(position)
    loaded = store.get_order("o-full")
    assert loaded is not None
    assert isinstance(loaded.status, OrderStatus) and isinstance(loaded.side, Side)
    assert loaded.extra == {"source": "alpaca", "note": "ünïcode ✓"}


def test_orders_are_read_by_id_in_one_call_of_any_size(store: SqlStore, account: Account) -> None:
    placed = [make_order(f"o-{i}") for i in range(1_201)]  # past a read's 500 ids, twice
    store.commit([Changes(accounts=[account], orders=placed)])
    asked = [o.id for o in reversed(placed)] + ["o-7", "o-none"]

    found = store.get_orders(asked)

    assert found == {o.id: o for o in placed}
    assert store.get_orders([]) == {}


def test_floats_are_refused_and_nothing_is_written(store: SqlStore, account: Account) -> None:
    bad = make_order("o-float", qty=1.5)  # type: ignore[arg-type]
    with pytest.raises(exc.StatementError, match="expected a Decimal"):
        store.commit([Changes(orders=[bad])])
    assert store.get_order("o-float") is None


def test_every_event_class_round_trips_through_the_outbox(store: SqlStore, db_url: str) -> None:
    classes = [c for c in default_codec().names]
    assert {"OrderAccepted", "OrderFilled", "AccountReset", "MarginCalled"} <= set(classes)
    events = [
        sample_event(getattr(domain_events, name), n) for n, name in enumerate(sorted(classes))
    ]
    store.commit([Changes(events=events)])
    assert [item.event for item in store.pending_events()] == events  # the writer's own
    with SqlStore(db_url) as reader:  # another process decodes the payloads
        pending = reader.pending_events()
    assert [item.event for item in pending] == events
    assert [type(item.event) for item in pending] == [type(e) for e in events]
    assert all(
        decimal_texts(a.event) == decimal_texts(b) for a, b in zip(pending, events, strict=True)
    )


# -- group commit -------------------------------------------------------------------------


def test_many_commits_on_a_sqlite_file_survive_the_background_checkpoints(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ckpt.db'}"
    with SqlStore(url) as first:
        first.migrate()
        first.commit([Changes(accounts=[make_account()])])
        for n in range(60):  # a checkpoint starts every few commits, beside the next ones
            first.commit(
                [
                    Changes(
                        orders=[make_order(f"o-{n}")],
                        ledger=[make_entry(f"l-{n}")],
                        events=[make_accepted(f"e-{n}", f"o-{n}")],
                    )
                ]
            )
        expected = first.load(since_ns=0)
    with SqlStore(url) as second:  # closing waited for the last checkpoint
        assert second.load(since_ns=0) == expected
        assert len(second.ledger("acc-1")) == 60
        assert len(second.pending_events()) == 60


def test_group_commit_is_all_or_nothing(store: SqlStore, account: Account) -> None:
    first = Changes(
        accounts=[make_account("acc-2", owner="bob")],
        orders=[make_order("o-1")],
        fills=[make_fill("f-1", "o-1")],
        positions=[Position(account_id="acc-1", symbol="AAPL", qty=Decimal(10))],
        ledger=[make_entry("l-1")],
        events=[make_accepted("e-1")],
    )
    second = Changes(orders=[make_order("o-2")], events=[make_accepted("e-2", "o-2")])
    clash = make_order("o-3", client_order_id="c-o-1")  # same client id as o-1
    third = Changes(orders=[clash], events=[make_accepted("e-3", "o-3")])

    with pytest.raises(exc.IntegrityError):
        store.commit([first, second, third])

    snap = store.load(since_ns=0)
    assert [a.id for a in snap.accounts] == ["acc-1"]
    assert snap.open_orders == [] and snap.positions == [] and snap.recent_fills == []
    assert store.ledger("acc-1") == []
    assert store.pending_events() == []
    # The store is still usable after the rollback.
    store.commit([first, second])
    assert [o.id for o in store.list_orders("acc-1")] == ["o-2", "o-1"]


def test_a_fill_of_an_unknown_order_is_refused(store: SqlStore, account: Account) -> None:
    with pytest.raises(exc.IntegrityError):
        store.commit([Changes(fills=[make_fill("f-x", "o-missing")])])


def test_the_last_state_of_an_upserted_row_wins(store: SqlStore, account: Account) -> None:
    order = make_order("o-1")
    first = dataclasses.replace(order)
    first.filled_qty = Decimal(4)
    first.status = OrderStatus.PARTIALLY_FILLED
    last = dataclasses.replace(order)
    last.filled_qty = Decimal(10)
    last.status = OrderStatus.FILLED
    pos_a = Position(account_id="acc-1", symbol="AAPL", qty=Decimal(4))
    pos_b = Position(account_id="acc-1", symbol="AAPL", qty=Decimal(10), avg_price=BIG)
    rich = make_account(cash=Decimal("999.99"))
    store.commit(
        [
            Changes(orders=[order], positions=[pos_a]),
            Changes(orders=[first], positions=[pos_b], accounts=[rich]),
            Changes(orders=[last]),
        ]
    )
    assert store.get_order("o-1") == last
    snap = store.load(since_ns=0)
    assert snap.positions == [pos_b]
    assert snap.accounts == [rich]

    # Across batches too; a position that went flat is kept with qty 0.
    flat = Position(account_id="acc-1", symbol="AAPL", updated_ns=T0 + 5)
    store.commit([Changes(positions=[flat], accounts=[make_account(epoch=1)])])
    snap = store.load(since_ns=0)
    assert snap.positions == [flat]
    assert snap.accounts[0].epoch == 1


def test_an_upserted_order_updates_its_progress_and_keeps_what_was_fixed_at_creation(
    store: SqlStore, account: Account
) -> None:
    store.commit([Changes(accounts=[make_account("acc-2")])])
    first = make_order(
        "o-1",
        type=OrderType.TRAILING_STOP,
        tif=TimeInForce.GTC,
        limit_price=None,
        stop_price=Decimal("180"),
        trail_price=Decimal("10"),
        seq=7,
    )
    store.commit([Changes(orders=[first])])
    later = dataclasses.replace(
        first,
        # what the engine changes over an order's life
        status=OrderStatus.PARTIALLY_FILLED,
        filled_qty=Decimal(4),
        filled_notional=Decimal("760.5"),
        stop_price=Decimal("185"),
        watermark=Decimal("195"),
        triggered=True,
        arrival_mid=Decimal("190.005"),
        replaces="o-0",
        replaced_by="o-2",
        reject_reason="none",
        updated_ns=T0 + 9,
        due_ns=T0 + 10,
        expire_ns=T0 + 11,
        extra={"source": "alpaca"},
        qty=Decimal(12),
        # what it never changes: a different value here is not written
        account_id="acc-2",
        client_order_id="c-other",
        symbol="MSFT",
        side=Side.SELL,
        type=OrderType.LIMIT,
        tif=TimeInForce.DAY,
        notional=BIG,
        limit_price=Decimal("1.10"),
        trail_price=Decimal("11"),
        trail_percent=Decimal("2.5"),
        extended_hours=True,
        profile="harsh",
        created_ns=T0 + 5,
        seq=8,
    )
    store.commit([Changes(orders=[later])])

    assert {"account_id", "client_order_id", "created_ns"} <= IMMUTABLE_ORDER_COLUMNS
    fixed = {name: getattr(first, name) for name in IMMUTABLE_ORDER_COLUMNS}
    assert store.get_order("o-1") == dataclasses.replace(later, **fixed)
    assert store.get_order_by_client_id("acc-1", "c-o-1") == store.get_order("o-1")
    assert store.list_orders("acc-2") == []


def test_an_upserted_account_keeps_its_first_owner(store: SqlStore, account: Account) -> None:
    store.commit([Changes(accounts=[make_account(owner="mallory", cash=Decimal(5))])])
    assert store.load(since_ns=0).accounts == [make_account(cash=Decimal(5))]


def test_an_empty_batch_writes_nothing(store: SqlStore) -> None:
    store.commit([])
    store.commit([Changes(), Changes()])
    assert store.load(0).accounts == []


# -- reads --------------------------------------------------------------------------------


def test_load_returns_unfinished_orders_and_recent_fills_only(
    store: SqlStore, account: Account
) -> None:
    """Open orders, and the legs held for their entries (`held`)."""
    statuses = list(OrderStatus)
    orders = [
        make_order(f"o-{i}", status=s, created_ns=T0 + i, seq=i) for i, s in enumerate(statuses)
    ]
    fills = [make_fill(f"f-{i}", "o-0", ts_ns=T0 + i * 10) for i in range(5)]
    store.commit([Changes(orders=orders, fills=fills)])

    snap = store.load(since_ns=T0 + 20)
    unfinished = {"new", "held", "accepted", "pending_open", "partially_filled"}
    assert [o.status for o in snap.open_orders] == [s for s in statuses if s.value in unfinished]
    assert all(o.is_open or o.status is OrderStatus.HELD for o in snap.open_orders)
    assert [f.id for f in snap.recent_fills] == ["f-2", "f-3", "f-4"]  # oldest first


def test_list_orders_is_newest_first_with_limit_cursor_and_open_filter(
    store: SqlStore, account: Account
) -> None:
    other = make_account("acc-2")
    orders = [
        make_order(
            f"o-{i}",
            created_ns=T0 + i,
            status=OrderStatus.FILLED if i % 2 else OrderStatus.ACCEPTED,
        )
        for i in range(10)
    ]
    store.commit([Changes(accounts=[other], orders=[*orders, make_order("x-1", "acc-2")])])

    assert [o.id for o in store.list_orders("acc-1")] == [f"o-{i}" for i in range(9, -1, -1)]
    assert [o.id for o in store.list_orders("acc-1", limit=3)] == ["o-9", "o-8", "o-7"]
    page = store.list_orders("acc-1", limit=3, before_ns=T0 + 7)
    assert [o.id for o in page] == ["o-6", "o-5", "o-4"]
    assert [o.id for o in store.list_orders("acc-1", open_only=True)] == [
        "o-8",
        "o-6",
        "o-4",
        "o-2",
        "o-0",
    ]
    assert [o.id for o in store.list_orders("acc-1", open_only=True, before_ns=T0 + 4)] == [
        "o-2",
        "o-0",
    ]
    assert [o.id for o in store.list_orders("acc-2")] == ["x-1"]
    assert store.list_orders("nobody") == []


def test_client_order_ids_are_looked_up_per_account(store: SqlStore, account: Account) -> None:
    store.commit(
        [
            Changes(
                accounts=[make_account("acc-2")],
                orders=[
                    make_order("o-1", client_order_id="mine"),
                    make_order("o-2", "acc-2", client_order_id="mine"),
                ],
            )
        ]
    )
    found = store.get_order_by_client_id("acc-2", "mine")
    assert found is not None and found.id == "o-2"
    assert store.get_order_by_client_id("acc-1", "other") is None
    assert store.get_order("nope") is None


def test_rejected_orders_leave_their_client_order_id_to_one_holder(
    store: SqlStore, account: Account
) -> None:
    def order(order_id: str, ts: int, status: OrderStatus) -> Order:
        return make_order(order_id, client_order_id="bot", status=status, created_ns=ts)

    refused = [order("o-1", T0, OrderStatus.REJECTED), order("o-2", T0 + 1, OrderStatus.REJECTED)]
    store.commit([Changes(orders=refused)])
    newest_refused = store.get_order_by_client_id("acc-1", "bot")
    store.commit([Changes(orders=[order("o-3", T0 + 2, OrderStatus.FILLED)])])
    store.commit([Changes(orders=[order("o-4", T0 + 3, OrderStatus.REJECTED)])])
    holder = store.get_order_by_client_id("acc-1", "bot")

    assert newest_refused is not None and newest_refused.id == "o-2"
    assert holder is not None and holder.id == "o-3"  # before a newer rejected one
    with pytest.raises(exc.IntegrityError):  # a second holder
        store.commit([Changes(orders=[order("o-5", T0 + 4, OrderStatus.ACCEPTED)])])


def test_downgrading_renames_the_rejected_orders_that_share_a_client_order_id(
    db_url: str,
) -> None:
    with SqlStore(db_url) as s:
        s.migrate()
        shared = [
            ("o-1", "bot", OrderStatus.REJECTED),
            ("o-2", "bot", OrderStatus.FILLED),
            ("o-3", "bot", OrderStatus.REJECTED),
            ("o-4", "alone", OrderStatus.REJECTED),
            ("o-5", "alone", OrderStatus.REJECTED),
        ]
        made = [
            make_order(order_id, client_order_id=cid, status=status, created_ns=T0 + k)
            for k, (order_id, cid, status) in enumerate(shared)
        ]
        s.commit([Changes(accounts=[make_account()], orders=made)])
        migrate(s.engine, "0009")
        with s.engine.connect() as conn:
            ids = dict(conn.execute(select(orders.c.id, orders.c.client_order_id)).all())
            with pytest.raises(exc.IntegrityError):  # unique for every order again
                taking = orders.update().where(orders.c.id == "o-5")
                conn.execute(taking.values(client_order_id="bot"))
    assert ids == {
        "o-1": "bot~o-1",
        "o-2": "bot",
        "o-3": "bot~o-3",
        "o-4": "alone~o-4",
        "o-5": "alone",
    }


def test_list_fills_is_newest_first_by_order_with_cursor(store: SqlStore, account: Account) -> None:
    store.commit([Changes(orders=[make_order("o-1"), make_order("o-2")])])
    fills = [make_fill(f"f-{i}", "o-1" if i < 3 else "o-2", ts_ns=T0 + i // 2) for i in range(6)]
    store.commit([Changes(fills=fills)])

    # Same instant: the later write comes first.
    assert [f.id for f in store.list_fills("acc-1")] == ["f-5", "f-4", "f-3", "f-2", "f-1", "f-0"]
    assert [f.id for f in store.list_fills("acc-1", limit=2)] == ["f-5", "f-4"]
    assert [f.id for f in store.list_fills("acc-1", order_id="o-1")] == ["f-2", "f-1", "f-0"]
    assert [f.id for f in store.list_fills("acc-1", before_ns=T0 + 1)] == ["f-1", "f-0"]
    assert store.list_fills("acc-1", order_id="o-2", before_ns=T0 + 2, limit=1)[0].id == "f-3"


def test_ledger_is_oldest_first_in_write_order(store: SqlStore, account: Account) -> None:
    entries = [
        make_entry("l-b", ts_ns=T0 + 1, kind=EntryKind.TRADE),
        make_entry("l-a", ts_ns=T0 + 1, kind=EntryKind.FEE, amount=Decimal("-0.35")),
        make_entry("l-0", ts_ns=T0, kind=EntryKind.DEPOSIT, amount=Decimal(1_000_000)),
    ]
    store.commit([Changes(ledger=entries[:1]), Changes(ledger=entries[1:])])
    assert [e.id for e in store.ledger("acc-1")] == ["l-0", "l-b", "l-a"]
    assert store.ledger("acc-2") == []


# -- outbox -------------------------------------------------------------------------------


def test_outbox_hands_out_pending_events_until_marked_published(
    store: SqlStore, clock: SimulatedClock
) -> None:
    events = [make_accepted(f"e-{i}", ts=T0 + i) for i in range(5)]
    store.commit([Changes(events=events[:2]), Changes(events=events[2:])])

    pending = store.pending_events()
    assert [item.event for item in pending] == events
    seqs = [item.seq for item in pending]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    assert [i.event.id for i in store.pending_events(limit=2)] == ["e-0", "e-1"]

    clock.advance(1_000)
    store.mark_published(seqs[:3])
    store.mark_published([])
    assert [i.event.id for i in store.pending_events()] == ["e-3", "e-4"]
    clock.advance(1_000)
    store.mark_published(seqs[:4])  # marking again keeps the first publication time
    assert [i.event.id for i in store.pending_events()] == ["e-4"]

    with store.engine.connect() as conn:
        rows = conn.execute(select(outbox).order_by(outbox.c.seq)).all()
    assert [r.published_ns for r in rows] == [T0 + 1000] * 3 + [T0 + 2000, None]
    assert all(r.created_ns == T0 for r in rows)
    assert [r.event_id for r in rows] == [e.id for e in events]
    assert {r.type for r in rows} == {"OrderAccepted"}


def test_purging_deletes_only_events_published_before_the_cutoff(
    store: SqlStore, clock: SimulatedClock
) -> None:
    store.commit([Changes(events=[make_accepted(f"e-{i}", ts=T0) for i in range(4)])])
    seqs = [item.seq for item in store.pending_events()]
    clock.advance(1_000)
    store.mark_published(seqs[:2])
    clock.advance(1_000)
    store.mark_published(seqs[2:3])

    assert store.purge_published(T0 + 1_000) == 0  # "before": published at the cutoff stays
    assert store.purge_published(T0 + 1_001, limit=1) == 1  # the oldest first
    assert store.purge_published(T0 + 1_001) == 1
    assert store.purge_published(T0 + 10_000) == 1
    assert [i.event.id for i in store.pending_events()] == ["e-3"]  # pending: never purged
    store.commit([Changes(events=[make_accepted("e-new", ts=T0)])])
    assert [i.seq for i in store.pending_events()][-1] > seqs[-1]  # seqs are never reused


def test_an_unregistered_event_type_is_refused_at_commit(store: SqlStore) -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Stranger(Event):
        pass

    with pytest.raises(KeyError, match="not registered"):
        store.commit([Changes(events=[Stranger(id="e", ts_init=0, ts_event=0)])])
    assert store.pending_events() == []


# -- durability ---------------------------------------------------------------------------


def test_a_reopened_store_sees_everything_committed(db_url: str) -> None:
    with SqlStore(db_url) as first:
        first.migrate()
        first.commit(
            [
                Changes(
                    accounts=[make_account()],
                    orders=[make_order("o-1")],
                    fills=[make_fill("f-1", "o-1")],
                    positions=[Position(account_id="acc-1", symbol="AAPL", qty=Decimal(10))],
                    ledger=[make_entry("l-1")],
                    events=[make_accepted("e-1")],
                )
            ]
        )
        expected = first.load(since_ns=0)

    with SqlStore(db_url) as second:
        second.migrate()
        assert second.load(since_ns=0) == expected
        assert [i.event.id for i in second.pending_events()] == ["e-1"]
        assert [e.id for e in second.ledger("acc-1")] == ["l-1"]


def test_an_in_memory_sqlite_store_works_across_calls() -> None:
    with SqlStore("sqlite://") as s:
        s.migrate()
        s.commit([Changes(accounts=[make_account()], orders=[make_order("o-1")])])
        assert [o.id for o in s.load(since_ns=0).open_orders] == ["o-1"]


# -- throughput (printed, not asserted) ---------------------------------------------------


def _bench_batch(b: int, per_batch: int) -> list[Changes]:
    batch = []
    for i in range(per_batch):
        n = b * per_batch + i
        order = make_order(f"o-{n}", status=OrderStatus.FILLED, created_ns=T0 + n, seq=n)
        fill = make_fill(f"f-{n}", order.id, ts_ns=T0 + n)
        event = OrderFilled(
            id=f"e-{n}-f",
            ts_init=T0 + n,
            ts_event=T0 + n,
            account_id="acc-1",
            order_id=order.id,
            client_order_id=order.client_order_id,
            symbol="AAPL",
            fill_id=fill.id,
            side="buy",
            qty=fill.qty,
            price=fill.price,
            fee=fill.fee,
            partial=False,
            filled_qty=fill.qty,
            remaining=Decimal(0),
            profile="realistic",
        )
        batch.append(
            Changes(
                orders=[order],
                fills=[fill],
                positions=[Position(account_id="acc-1", symbol=f"S{n % 40}", qty=Decimal(n))],
                ledger=[make_entry(f"l-{n}-t"), make_entry(f"l-{n}-f", kind=EntryKind.FEE)],
                events=[make_accepted(f"e-{n}-a", order.id), event],
            )
        )
    return batch


def test_group_commit_throughput_is_reported(
    store: SqlStore, account: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    batches, per_batch = 200, 50
    work = [_bench_batch(b, per_batch) for b in range(batches)]
    rows = batches * per_batch * 7
    start = time.perf_counter()
    for batch in work:
        store.commit(batch)
    elapsed = time.perf_counter() - start
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar() == rows * 2 // 7
    with capsys.disabled():
        print(
            f"\n[{store.dialect}] {batches} batches x {per_batch} changes x 7 rows: "
            f"{elapsed:.2f}s, {rows / elapsed:,.0f} rows/s, "
            f"{batches * per_batch / elapsed:,.0f} changes/s, "
            f"{elapsed / batches * 1000:.1f} ms/batch"
        )
