"""SqlEquityStore against real SQLite files and a real PostgreSQL server (one schema per test)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from vtrade.adapters.sql import SqlStore
from vtrade.adapters.sql.equity import SqlEquityStore
from vtrade.adapters.sql.migrate import alembic_config, head_revision, migrate
from vtrade.adapters.sql.rows import account_row
from vtrade.adapters.sql.tables import accounts
from vtrade.app.ports import Changes, EquityStore
from vtrade.core.errors import ValidationError
from vtrade.domain.accounts import Account, EntryKind, LedgerEntry
from vtrade.domain.portfolio import EquityPoint, SnapshotKind

T0 = 1_763_800_000_000_000_000  # an instant in ns
S = 1_000_000_000  # one second in ns
MINUTE = 60 * S
INTRADAY, CLOSE = SnapshotKind.INTRADAY, SnapshotKind.CLOSE
WIDE = Decimal("99999999999999999999.999999999999999999")  # 38 significant digits


def point(
    ts_ns: int,
    nav: Decimal | str | int = 1000,
    *,
    account_id: str = "acc-1",
    cash: Decimal | str | int = 500,
    kind: SnapshotKind = INTRADAY,
) -> EquityPoint:
    return EquityPoint(
        account_id=account_id, ts_ns=ts_ns, nav=Decimal(nav), cash=Decimal(cash), kind=kind
    )


def instants(points: Sequence[EquityPoint]) -> list[int]:
    return [p.ts_ns for p in points]


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def store(fresh_database: Callable[[], str]) -> Iterator[SqlStore]:
    s = SqlStore(fresh_database())
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def equity(store: SqlStore) -> SqlEquityStore:
    return SqlEquityStore(store.engine)


# -- writes and plain reads ---------------------------------------------------------------


def test_it_implements_the_equity_store_port(equity: SqlEquityStore) -> None:
    port: EquityStore = equity
    assert port is equity
    assert "SqlEquityStore(" in repr(equity)


def test_points_round_trip_with_every_digit_and_scale(equity: SqlEquityStore) -> None:
    saved = [
        point(T0, "1000000.10", cash="-0.00000001"),
        point(T0 + MINUTE, WIDE, cash="123456789.123456789"),
        point(T0 + 2 * MINUTE, "0", cash="0.000", kind=CLOSE),
    ]
    equity.save_points(saved)

    loaded = equity.points("acc-1", T0, T0 + 3 * MINUTE)

    assert loaded == saved
    # Not just equal values: the same digits and scale (1000000.10 stays 1000000.10).
    assert [(str(p.nav), str(p.cash)) for p in loaded] == [(str(p.nav), str(p.cash)) for p in saved]
    assert all(isinstance(p.kind, SnapshotKind) for p in loaded)


def test_saving_the_same_account_instant_and_kind_again_replaces_the_point(
    equity: SqlEquityStore,
) -> None:
    equity.save_points([point(T0, 100), point(T0 + MINUTE, 101)])
    equity.save_points([point(T0, 200, cash=7)])  # a snapshot retried after a crash
    # Within one batch the last point of a key wins; another kind at the instant is another key.
    equity.save_points([point(T0 + MINUTE, 300), point(T0 + MINUTE, 301), point(T0, 9, kind=CLOSE)])

    loaded = equity.points("acc-1", T0, T0 + 2 * MINUTE)

    assert loaded == [
        point(T0, 9, kind=CLOSE),
        point(T0, 200, cash=7),
        point(T0 + MINUTE, 301),
    ]


def test_an_empty_batch_writes_nothing(equity: SqlEquityStore) -> None:
    equity.save_points([])
    assert equity.points("acc-1", 0, 2**63 - 1) == []


def test_a_range_includes_its_start_and_excludes_its_end(equity: SqlEquityStore) -> None:
    equity.save_points([point(T0 + i * MINUTE, i) for i in range(5)])

    loaded = equity.points("acc-1", T0 + MINUTE, T0 + 4 * MINUTE)

    assert instants(loaded) == [T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]
    assert equity.points("acc-1", T0 + MINUTE, T0 + MINUTE + 1) == [point(T0 + MINUTE, 1)]
    assert equity.points("acc-1", T0 + 4 * MINUTE + 1, T0 + 9 * MINUTE) == []
    assert equity.points("acc-1", 0, 2**63 - 1) == [point(T0 + i * MINUTE, i) for i in range(5)]


def test_points_are_per_account_and_filtered_by_kind(equity: SqlEquityStore) -> None:
    equity.save_points(
        [
            point(T0 + 2 * MINUTE, 3),
            point(T0, 1),
            point(T0 + MINUTE, 2, kind=CLOSE),
            point(T0 + 2 * MINUTE, 4, kind=CLOSE),
            point(T0, 99, account_id="acc-2"),
        ]
    )
    end = T0 + 3 * MINUTE

    assert equity.points("acc-1", T0, end, kind="intraday") == [
        point(T0, 1),
        point(T0 + 2 * MINUTE, 3),
    ]
    assert equity.points("acc-1", T0, end, kind=CLOSE) == [
        point(T0 + MINUTE, 2, kind=CLOSE),
        point(T0 + 2 * MINUTE, 4, kind=CLOSE),
    ]
    # Without a kind: every kind, oldest first, and the close first at a shared instant.
    assert equity.points("acc-1", T0, end) == [
        point(T0, 1),
        point(T0 + MINUTE, 2, kind=CLOSE),
        point(T0 + 2 * MINUTE, 4, kind=CLOSE),
        point(T0 + 2 * MINUTE, 3),
    ]
    assert equity.points("acc-2", T0, end) == [point(T0, 99, account_id="acc-2")]
    assert equity.points("nobody", T0, end) == []


# -- downsampling -------------------------------------------------------------------------


def test_downsampling_keeps_the_first_point_and_each_buckets_newest(
    equity: SqlEquityStore,
) -> None:
    equity.save_points([point(T0 + i * S, i) for i in range(100)])

    # 5 points: the first, then the newest of each of 4 buckets of 25 s.
    loaded = equity.points("acc-1", T0, T0 + 100 * S, max_points=5)

    assert loaded == [point(T0 + i * S, i) for i in (0, 24, 49, 74, 99)]


def test_downsampling_buckets_the_requested_range_not_the_data(
    equity: SqlEquityStore,
) -> None:
    # Buckets of 25 s over [T0, T0 + 100 s): points only in the 2nd and 3rd bucket.
    equity.save_points([point(T0 + i * S, i) for i in (30, 31, 40, 55, 60, 70)])

    loaded = equity.points("acc-1", T0, T0 + 100 * S, max_points=5)

    assert instants(loaded) == [T0 + 30 * S, T0 + 40 * S, T0 + 70 * S]


def test_downsampling_leaves_sparse_curves_whole(equity: SqlEquityStore) -> None:
    saved = [point(T0 + i * 5 * MINUTE, i) for i in range(12)]
    equity.save_points(saved)

    assert equity.points("acc-1", T0, T0 + 3600 * S, max_points=390) == saved
    assert equity.points("acc-1", T0, T0 + 3600 * S, max_points=2) == [saved[0], saved[-1]]


def check_downsampled(
    every: list[EquityPoint], got: list[EquityPoint], start: int, end: int, max_points: int
) -> None:
    """Assert the port's promise, whatever the bucketing details."""
    inside = [p for p in every if start <= p.ts_ns < end]
    if not inside:
        assert got == []
        return
    assert len(got) <= max_points
    assert got[0] == inside[0] and got[-1].ts_ns == inside[-1].ts_ns  # first and newest
    assert instants(got) == sorted(set(instants(got)))  # oldest first, one point per instant
    width = -(-(end - start) // (max_points - 1))
    newest: dict[int, EquityPoint] = {}
    for p in inside:  # oldest first, close before intraday at one instant
        b = (p.ts_ns - start) // width
        if b not in newest or p.ts_ns > newest[b].ts_ns:
            newest[b] = p
    # Every non-empty bucket is represented by its newest point, and nothing else but the first.
    assert set(instants(got)) - {inside[0].ts_ns} == {p.ts_ns for p in newest.values()} - {
        inside[0].ts_ns
    }
    assert {p for p in got if p != inside[0]} == set(newest.values()) - {inside[0]}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_downsampling_irregular_curves_keeps_its_promise(equity: SqlEquityStore, seed: int) -> None:
    rng = random.Random(seed)
    stamps = sorted(rng.sample(range(0, 10_000 * S, S), 600))
    saved = [point(T0 + ts, rng.randint(-(10**6), 10**6)) for ts in stamps]
    # Close snapshots, some at the same instants as intraday ones.
    saved += [point(p.ts_ns, p.nav + 1, kind=CLOSE) for p in saved[::37]]
    saved += [point(T0 + ts + 1, 5, kind=CLOSE) for ts in stamps[::53]]
    equity.save_points(saved)
    every = sorted(saved, key=lambda p: (p.ts_ns, p.kind.value))

    for max_points in (2, 3, 7, 50, 390, 1000):
        start = T0 + rng.randrange(0, 2_000 * S)
        end = T0 + rng.randrange(8_000 * S, 12_000 * S)
        got = equity.points("acc-1", start, end, max_points=max_points, kind=INTRADAY)
        check_downsampled([p for p in every if p.kind is INTRADAY], got, start, end, max_points)
        got = equity.points("acc-1", start, end, max_points=max_points)
        check_downsampled(every, got, start, end, max_points)


def test_ten_thousand_points_are_downsampled_to_390_quickly(equity: SqlEquityStore) -> None:
    saved = [point(T0 + i * MINUTE, Decimal(i) / 100) for i in range(10_000)]
    equity.save_points(saved)
    end = T0 + 10_000 * MINUTE

    equity.points("acc-1", T0, end, max_points=390)  # warm up (plan cache, connection)
    began = time.perf_counter()
    loaded = equity.points("acc-1", T0, end, max_points=390, kind=INTRADAY)
    elapsed = time.perf_counter() - began

    assert 380 <= len(loaded) <= 390
    assert loaded[0] == saved[0] and loaded[-1] == saved[-1]
    check_downsampled(saved, loaded, T0, end, 390)
    assert elapsed < 1.0, f"downsampling 10k points took {elapsed:.3f}s"


# -- latest -------------------------------------------------------------------------------


def test_latest_returns_each_accounts_newest_point_of_a_kind_before_an_instant(
    equity: SqlEquityStore,
) -> None:
    equity.save_points(
        [
            point(T0, 1, account_id="a"),
            point(T0 + MINUTE, 2, account_id="a"),
            point(T0 + 2 * MINUTE, 3, account_id="a"),  # at the instant: excluded
            point(T0 + MINUTE, 20, account_id="a", kind=CLOSE),
            point(T0 - 5 * MINUTE, 4, account_id="b"),
            point(T0 + 3 * MINUTE, 5, account_id="c"),  # only after the instant
            point(T0, 6, account_id="d", kind=CLOSE),  # only of another kind
        ]
    )
    before = T0 + 2 * MINUTE

    found = equity.latest(["a", "b", "c", "d", "nobody", "a"], before, "intraday")

    assert found == {
        "a": point(T0 + MINUTE, 2, account_id="a"),
        "b": point(T0 - 5 * MINUTE, 4, account_id="b"),
    }
    assert equity.latest(["a", "d"], before, CLOSE) == {
        "a": point(T0 + MINUTE, 20, account_id="a", kind=CLOSE),
        "d": point(T0, 6, account_id="d", kind=CLOSE),
    }
    assert equity.latest([], before, INTRADAY) == {}


def test_latest_answers_for_thousands_of_accounts_at_once(equity: SqlEquityStore) -> None:
    ids = [f"acc-{n:05d}" for n in range(3000)]
    equity.save_points(
        [
            point(T0 + i * MINUTE, n * 10 + i, account_id=a)
            for n, a in enumerate(ids)
            for i in (0, 1)
        ]
    )

    found = equity.latest([*ids, "nobody"], T0 + 10 * MINUTE, INTRADAY)

    assert len(found) == 3000
    assert found["acc-00042"] == point(T0 + MINUTE, 421, account_id="acc-00042")
    assert {p.ts_ns for p in found.values()} == {T0 + MINUTE}


# -- delete -------------------------------------------------------------------------------


def test_delete_account_forgets_its_points_at_or_after_an_instant(
    equity: SqlEquityStore,
) -> None:
    mine = [point(T0 + i * MINUTE, i, kind=kind) for i in range(4) for kind in (INTRADAY, CLOSE)]
    theirs = [point(T0 + i * MINUTE, i, account_id="acc-2") for i in range(4)]
    equity.save_points(mine + theirs)

    equity.delete_account("acc-1", since_ns=T0 + 2 * MINUTE)

    assert instants(equity.points("acc-1", T0, T0 + 9 * MINUTE)) == [
        T0,
        T0,
        T0 + MINUTE,
        T0 + MINUTE,
    ]
    equity.delete_account("acc-1")
    assert equity.points("acc-1", 0, 2**63 - 1) == []
    assert equity.points("acc-2", 0, 2**63 - 1) == theirs
    equity.delete_account("nobody")  # nothing to forget is fine


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e: e.points("a", T0, T0), r"start_ns must be before end_ns"),
        (lambda e: e.points("a", T0 + 1, T0), r"start_ns <= ts < end_ns"),
        (lambda e: e.points("a", -1, T0), r"start_ns must be an integer .* \[0, 2\*\*63 - 1\]"),
        (lambda e: e.points("a", 0, 2**63), r"end_ns must be an integer"),
        (lambda e: e.points("a", 0, T0, max_points=1), r"max_points must be an integer >= 2"),
        (lambda e: e.points("a", 0, T0, max_points=0), r"or None for every point"),
        (lambda e: e.points("a", 0, T0, max_points=True), r"max_points must be an integer"),
        (lambda e: e.points("a", 0, T0, kind="daily"), r"'daily'; allowed: close, intraday"),
        (lambda e: e.latest(["a"], T0, "Close"), r"unknown snapshot kind 'Close'; allowed"),
        (lambda e: e.latest(["a"], 1.5, "close"), r"before_ns must be an integer"),
        (lambda e: e.latest("acc-1", T0, "close"), r"a sequence of account ids, not one"),
        (lambda e: e.delete_account("a", since_ns=-5), r"since_ns must be an integer"),
    ],
)
def test_bad_arguments_are_refused_with_what_is_allowed(
    equity: SqlEquityStore, call: Callable[[SqlEquityStore], Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        call(equity)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"nav": 1.5}, r"nav of an equity point must be a finite Decimal, got 1\.5"),
        ({"cash": Decimal("NaN")}, r"cash of an equity point must be a finite Decimal"),
        ({"nav": Decimal("Infinity")}, r"nav of an equity point must be a finite Decimal"),
        ({"ts_ns": -1}, r"ts_ns must be an integer of nanoseconds"),
        ({"kind": "weekly"}, r"unknown snapshot kind 'weekly'; allowed: close, intraday"),
        ({"account_id": ""}, r"account_id of an equity point must be a non-empty string"),
    ],
)
def test_bad_points_are_refused_and_nothing_of_the_batch_is_written(
    equity: SqlEquityStore, bad: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {
        "account_id": "acc-1",
        "ts_ns": T0 + MINUTE,
        "nav": Decimal(1),
        "cash": Decimal(1),
    }
    with pytest.raises(ValidationError, match=message):
        equity.save_points([point(T0), EquityPoint(**(values | bad))])
    assert equity.points("acc-1", 0, 2**63 - 1) == []


# -- schema -------------------------------------------------------------------------------


def test_the_table_is_keyed_for_range_scans_per_account_and_kind(store: SqlStore) -> None:
    key = inspect(store.engine).get_pk_constraint("equity_snapshots")
    assert key["constrained_columns"] == ["account_id", "kind", "ts_ns"]
    if store.dialect == "sqlite":
        with store.engine.connect() as conn:
            ddl = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'equity_snapshots'")
            ).scalar_one()
        assert "WITHOUT ROWID" in ddl


def test_upgrading_a_populated_0002_database_keeps_its_data(
    fresh_database: Callable[[], str],
) -> None:
    with SqlStore(fresh_database()) as store:
        migrate(store.engine, "0002")
        assert "equity_snapshots" not in inspect(store.engine).get_table_names()
        account = Account(id="acc-1", owner="alice", name="Main", created_ns=T0)
        entry = LedgerEntry(
            id="l-1", account_id="acc-1", kind=EntryKind.DEPOSIT, amount=WIDE, ts_ns=T0
        )
        with store.engine.begin() as conn:  # as 0002 knew accounts: without later columns
            conn.execute(accounts.insert().values(**_as_in_0002(account)))
        store.commit([Changes(ledger=[entry])])
        boots = store.next_boot()

        store.migrate()

        assert store.schema_revision() == head_revision()
        assert store.load(since_ns=0).accounts == [account]
        assert store.ledger("acc-1") == [entry]
        assert store.next_boot() == boots + 1
        equity = SqlEquityStore(store.engine)
        equity.save_points([point(T0, WIDE)])
        assert equity.points("acc-1", T0, T0 + 1) == [point(T0, WIDE)]


def test_downgrading_to_0002_drops_only_the_equity_snapshots(store: SqlStore) -> None:
    SqlEquityStore(store.engine).save_points([point(T0)])
    account = Account(id="acc-1", owner="alice", name="Main")
    store.commit([Changes(accounts=[account])])

    with store.engine.begin() as conn:
        command.downgrade(alembic_config(connection=conn), "0002")

    assert store.schema_revision() == "0002"
    assert "equity_snapshots" not in inspect(store.engine).get_table_names()
    with store.engine.connect() as conn:
        kept = conn.execute(select(*(accounts.c[k] for k in _as_in_0002(account)))).all()
    assert [tuple(r) for r in kept] == [tuple(_as_in_0002(account).values())]
    store.migrate()
    assert SqlEquityStore(store.engine).points("acc-1", 0, 2**63 - 1) == []


def _as_in_0002(account: Account) -> dict[str, object]:
    """The account's row without the columns later migrations added."""
    row = account_row(account)
    for added in ("trading_suspended", "no_shorting", "cash_only"):  # 0006, 0009
        del row[added]
    return row
