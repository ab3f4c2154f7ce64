"""`vtrade migrate` on SQLite and PostgreSQL: it creates, upgrades and takes back the schema,
`--check` reports without writing, and a database a newer vtrade wrote is refused by name."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import database_rows
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner, Result

from vtrade.adapters.sql.engine import normalize_url
from vtrade.adapters.sql.migrate import history
from vtrade.adapters.sql.store import SqlStore
from vtrade.adapters.sql.tables import metadata
from vtrade.cli import app

runner = CliRunner()
NEWEST = history()[-1].revision


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
    tables; rows of tables both revisions have are kept."""
    assert vtrade("migrate").exit_code == 0
    with SqlStore(url) as store, store.engine.begin() as conn:
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('boots', 7)"))

    down = vtrade("migrate", "--to", "0002", "--json")
    at_0002 = tables(url)
    up = vtrade("migrate")

    moved = json.loads(down.stdout)
    assert (moved["before"], moved["after"], moved["direction"]) == (NEWEST, "0002", "down")
    reverted = [m["revision"] for m in moved["migrations"]]
    assert reverted == [m.revision for m in reversed(history()[2:])]  # newest first
    assert "users" not in at_0002 and {"orders", "meta"} <= at_0002
    assert up.exit_code == 0 and f"from 0002 to {NEWEST}" in up.output
    assert tables(url) == set(metadata.tables)
    assert rows(url, "meta")["meta"] == [("boots", 7)]


def test_a_downgrade_says_the_next_start_upgrades_again(url: str) -> None:
    vtrade("migrate")

    down = vtrade("migrate", "--to", "0008")

    assert down.exit_code == 0, down.output
    assert f"took {url} back from {NEWEST} to 0008, reverting:" in down.output
    assert f"this vtrade needs {NEWEST}: its next start upgrades the database" in down.output


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
    assert [m["revision"] for m in report["pending"]] == ["0008", "0009"]
    assert text_form.exit_code == 1 and "is at 0007; 2 migrations pending:" in text_form.output
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
    ],
)
def test_bad_flags_are_refused_saying_what_is_allowed(
    url: str, args: tuple[str, ...], problem: str
) -> None:
    refused = vtrade("migrate", *args)

    assert refused.exit_code == 2
    assert problem in refused.stderr
    assert revision(url) is None  # nothing was created


def test_a_database_a_newer_vtrade_wrote_is_refused_by_every_command(url: str) -> None:
    """Alembic's own error was a traceback on every command, `serve` included."""
    vtrade("migrate")
    with SqlStore(url) as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))

    results = [vtrade("migrate"), vtrade("migrate", "--check"), vtrade("users", "list")]

    for result in results:
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(
            f"error: the database is at migration 0099, which this vtrade does not know (its "
            f"newest is {NEWEST}): a newer vtrade wrote it"
        )
        assert "Traceback" not in result.output
