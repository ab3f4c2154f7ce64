"""`vtrade migrate` on SQLite and PostgreSQL: it creates, upgrades and takes back the schema,
`--check` reports without writing, and a database a newer vtrade wrote is refused by name."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import database_rows
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner, Result

from vtrade import bootstrap
from vtrade.adapters.sql.engine import normalize_url
from vtrade.adapters.sql.migrate import history
from vtrade.adapters.sql.store import SqlStore
from vtrade.adapters.sql.tables import metadata
from vtrade.cli import app
from vtrade.core.clock import SimulatedClock, parse_instant, to_ns
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus
from vtrade.settings import Settings

runner = CliRunner()
NEWEST = history()[-1].revision
NOW = to_ns(parse_instant("2026-11-18T15:00:00Z"))  # a Wednesday, US regular hours


@pytest.fixture
def url(fresh_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database as the configured one, and no other `VTRADE_…` settings."""
    for name in list(os.environ):
        if name.startswith("VTRADE_"):
            monkeypatch.delenv(name)
    chosen = fresh_database()
    monkeypatch.setenv("VTRADE_DATABASE_URL", chosen)
    return chosen


def vtrade(*args: str) -> Result:
    return runner.invoke(app, list(args))


def rows(url: str, *names: str) -> dict[str, list[tuple[object, ...]]]:
    return database_rows(normalize_url(url).render_as_string(hide_password=False), *names)


def revision(url: str) -> str | None:
    with SqlStore(url) as store:
        return store.schema_revision()


def trade_once(url: str) -> None:
    """Open an account and buy 5 AAPL on the real engine: an order, a fill, a position."""
    c = bootstrap.build(Settings(database_url=url), SimulatedClock(NOW))
    try:
        c.trading.start()
        account = c.trading.open_account(
            OpenAccount(id="c-open", ts_init=NOW, owner="ann", name="main")
        )
        buy = SubmitOrder(
            id="c-buy",
            ts_init=NOW,
            account_id=account.id,
            symbol="AAPL",
            side=Side.BUY,
            qty=Decimal(5),
        )
        assert c.trading.submit(buy).status is OrderStatus.FILLED
    finally:
        c.store.close()


def tables(url: str) -> set[str]:
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_it_creates_the_schema_then_has_nothing_to_do(url: str) -> None:
    created = vtrade("migrate")
    again = vtrade("migrate", "--json")

    assert created.exit_code == 0, created.output
    assert f"at {NEWEST} ({len(history())} migrations):" in created.output
    assert "0001  Initial schema" in created.output
    assert revision(url) == NEWEST
    assert tables(url) == set(metadata.tables)
    assert json.loads(again.stdout) == {
        "database": url,
        "before": NEWEST,
        "after": NEWEST,
        "direction": "none",
        "migrations": [],
    }


def test_it_takes_the_schema_back_and_up_again_keeping_the_rows(url: str) -> None:
    """Every migration's downgrade runs, down to the first, and the upgrade restores the
    tables; rows of tables both revisions have are kept (less the columns later migrations
    added: an order's expiry comes back empty). On SQLite a downgrade rebuilds
    `orders`, which the fills refer to: it failed once an order had a fill."""
    trade_once(url)
    with SqlStore(url) as store, store.engine.begin() as conn:
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('cli-test', 7)"))
    traded = rows(url, "fills", "positions")
    orders = rows(url, "orders")["orders"]

    down = vtrade("migrate", "--to", "0001", "--yes", "--json")
    at_0001 = tables(url)
    up = vtrade("migrate")

    moved = json.loads(down.stdout)
    assert (moved["before"], moved["after"], moved["direction"]) == (NEWEST, "0001", "down")
    reverted = [m["revision"] for m in moved["migrations"]]
    assert reverted == [m.revision for m in reversed(history()[1:])]  # newest first
    assert "users" not in at_0001 and "orders" in at_0001
    assert up.exit_code == 0 and f"from 0001 to {NEWEST}" in up.output
    assert tables(url) == set(metadata.tables)
    assert rows(url, "fills", "positions") == traded
    assert [o[0] for o in rows(url, "orders")["orders"]] == [o[0] for o in orders]
    assert (len(traded["fills"]), len(traded["positions"])) == (1, 1)


def test_a_downgrade_asks_for_yes_and_says_any_command_upgrades_again(url: str) -> None:
    vtrade("migrate")

    refused = vtrade("migrate", "--to", "0007")
    kept = revision(url)
    down = vtrade("migrate", "--to", "0007", "--yes")

    assert refused.exit_code == 2 and kept == NEWEST
    assert refused.stderr.startswith(
        f"error: taking {url} back from {NEWEST} to 0007 drops what migrations 0008, 0009, 0010, "
        "0011, 0012, 0013, 0014 added, and their data: stop every vtrade that uses the database, "
        "then run again with --yes"
    )
    assert down.exit_code == 0, down.output
    assert f"took {url} back from {NEWEST} to 0007, reverting:" in down.output
    assert f"this vtrade needs {NEWEST}: any of its commands (serve, users, keys" in down.output


def test_check_lists_what_is_pending_and_exits_1_until_migrated(url: str) -> None:
    vtrade("migrate", "--to", "0007")

    behind = vtrade("migrate", "--check", "--json")
    before = rows(url)
    text_form = vtrade("migrate", "--check")
    unchanged = rows(url) == before  # checking wrote nothing
    vtrade("migrate")
    current = vtrade("migrate", "--check")

    assert behind.exit_code == 1
    report = json.loads(behind.stdout)
    assert (report["current"], report["newest"]) == ("0007", NEWEST)
    assert [m["revision"] for m in report["pending"]] == [
        "0008",
        "0009",
        "0010",
        "0011",
        "0012",
        "0013",
        "0014",
    ]
    assert text_form.exit_code == 1 and "is at 0007; 7 migrations pending:" in text_form.output
    assert unchanged
    assert current.exit_code == 0
    assert f"is at {NEWEST}, the newest migration" in current.output


def test_check_does_not_create_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "none" / "v.db"

    checked = vtrade("migrate", "--check", "--database-url", f"sqlite:///{path}")

    assert checked.exit_code == 1
    assert f"has no schema yet; {len(history())} migrations pending:" in checked.output
    assert not path.parent.exists()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--to", "12"), "error: no migration '12'; allowed: head or one of 0001, 0002"),
        (("--check", "--to", "0003"), "error: --check compares the database with the newest"),
        (("--database-url", "sqlite://"), "error: an in-memory database lasts only as long as"),
    ],
)
def test_bad_flags_are_refused_saying_what_is_allowed(
    url: str, args: tuple[str, ...], problem: str
) -> None:
    refused = vtrade("migrate", *args)

    assert refused.exit_code == 2
    assert problem in refused.stderr
    assert revision(url) is None  # nothing was created


@pytest.mark.parametrize(
    ("tampering", "refusal"),
    [
        pytest.param(
            "UPDATE alembic_version SET version_num = '0099'",
            f"error: the database is at migration 0099, which this vtrade does not know (its "
            f"newest is {NEWEST}): a newer vtrade wrote it",
            id="newer",  # Alembic's own error was a traceback on every command, serve included
        ),
        pytest.param(
            "DELETE FROM alembic_version",
            "error: the database has vtrade's tables but no record of their migration",
            id="unrecorded",  # upgrading would have created the tables again: a traceback
        ),
    ],
)
def test_a_database_of_unknown_migration_is_refused_by_every_command(
    url: str, tampering: str, refusal: str
) -> None:
    vtrade("migrate")
    with SqlStore(url) as store, store.engine.begin() as conn:
        conn.execute(text(tampering))

    results = [vtrade("migrate"), vtrade("migrate", "--check"), vtrade("users", "list")]

    for result in results:
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(refusal)
        assert "Traceback" not in result.output


def test_head_is_read_in_any_case_and_a_typo_creates_no_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "v.db"

    typo = vtrade("migrate", "--to", "0x", "--database-url", f"sqlite:///{path}")
    created = path.parent.exists()
    head = vtrade("migrate", "--to", " HEAD ", "--database-url", f"sqlite:///{path}")

    assert typo.exit_code == 2 and not created
    assert head.exit_code == 0 and revision(f"sqlite:///{path}") == NEWEST


def test_a_migration_that_fails_changes_nothing_and_says_why(url: str) -> None:
    """A database error was a traceback with exit status 1, what `--check` exits with for a
    pending migration."""
    vtrade("migrate", "--to", "0007")
    with SqlStore(url) as store, store.engine.begin() as conn:  # what 0008 is about to add
        conn.execute(text("ALTER TABLE positions ADD COLUMN entry_fx VARCHAR"))

    failed = vtrade("migrate")

    assert failed.exit_code == 2, failed.output
    (line,) = failed.stderr.splitlines()
    assert line.startswith(
        f"error: migrating the database to {NEWEST} failed and changed nothing ("
    )
    assert "entry_fx" in line
    assert revision(url) == "0007"
