"""Operator mistakes on the command line: misspelt or bad settings, databases that cannot be
opened, arguments that look like options. Every one is `error:` lines (one per problem) on
stderr and exit status 2, from every command, with no traceback and no password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from vtrade.cli import app

runner = CliRunner()
AT = "2026-11-18T15:00:00Z"
URL_FORMS = "use sqlite:///path.db or postgresql://user:pass@host/db"
COMMANDS = [
    pytest.param(("users", "list"), id="users"),
    pytest.param(("keys", "list", "alice"), id="keys"),
    pytest.param(("portfolio", "--at", AT), id="portfolio"),
    pytest.param(("instruments",), id="instruments"),
    pytest.param(("market", "AAPL", "--at", AT), id="market"),
    pytest.param(("history", "AAPL", "--interval", "1d", "--days", "3", "--end", AT), id="history"),
    pytest.param(("estimate", "AAPL", "buy", "10", "--at", AT), id="estimate"),
    pytest.param(("serve", "--port", "0"), id="serve"),
]


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No `VTRADE_…` settings of the developer's shell, and a home of the test's own (where
    the default database would go)."""
    for name in list(os.environ):
        if name.upper().startswith("VTRADE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def vtrade(*args: str) -> Result:
    return runner.invoke(app, list(args))


def error_lines(result: Result) -> list[str]:
    """The `error:` lines of a failed command, after checking the error contract."""
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "pydantic" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), result.stderr
    return [line.removeprefix("error: ") for line in lines]


@pytest.mark.parametrize("args", COMMANDS)
def test_a_misspelt_variable_stops_every_command_before_it_opens_a_database(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, _home: Path
) -> None:
    monkeypatch.setenv("VTRADE_DATABSE_URL", f"sqlite:///{_home / 'mine.db'}")

    (line,) = error_lines(vtrade(*args))

    assert line.startswith("unknown environment variable VTRADE_DATABSE_URL;")
    assert "did you mean VTRADE_DATABASE_URL?" in line and "README.md" in line
    assert not (_home / ".vtrade").exists()  # the default database was not created instead


@pytest.mark.parametrize("args", COMMANDS)
def test_a_garbage_database_url_is_one_line_saying_what_a_url_looks_like(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VTRADE_DATABASE_URL", "garbage")

    assert error_lines(vtrade(*args)) == [
        f"VTRADE_DATABASE_URL 'garbage' is not a database URL; {URL_FORMS}"
    ]


def test_each_bad_setting_is_its_own_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTRADE_API__PORT", "eighty")
    monkeypatch.setenv("VTRADE_MARKET__BOOK_LEVELS", "5")

    lines = error_lines(vtrade("users", "list"))

    assert len(lines) == 2
    assert any(line.startswith("VTRADE_API__PORT 'eighty' is invalid") for line in lines)
    assert any(line.startswith("VTRADE_MARKET__BOOK_LEVELS '5' is invalid") for line in lines)


def test_a_bad_flag_value_is_named_by_its_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTRADE_DATABASE_URL", "garbage")  # the flag replaces it

    (line,) = error_lines(vtrade("serve", "--database-url", "postgres:/oops"))

    assert line == f"--database-url 'postgres:/oops' is not a database URL; {URL_FORMS}"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once the probe is closed


@pytest.mark.parametrize("args", [("users", "list"), ("portfolio",), ("serve", "--port", "0")])
def test_an_unreachable_postgresql_is_one_line_with_the_password_hidden(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _closed_port()
    monkeypatch.setenv("VTRADE_DATABASE_URL", f"postgresql://ann:hunter2@127.0.0.1:{port}/db")

    (line,) = error_lines(vtrade(*args))

    assert line.startswith(f"database at postgresql://ann:***@127.0.0.1:{port}/db could not")
    assert "Connection refused" in line  # the driver's reason
    assert "VTRADE_DATABASE_URL" in line and "hunter2" not in line


def test_an_unreachable_redis_is_one_line_and_leaves_no_database_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis is reached before the database is opened: a start that fails on it does not
    leave an empty SQLite file behind (it left one of 4 KB)."""
    port = _closed_port()
    database = tmp_path / "fresh.db"
    monkeypatch.setenv("VTRADE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("VTRADE_REDIS_URL", f"redis://127.0.0.1:{port}/0")

    (line,) = error_lines(vtrade("serve", "--port", "0"))

    assert line.startswith(f"Redis at redis://127.0.0.1:{port}/0 could not connect")
    assert "VTRADE_REDIS_URL" in line
    assert not database.exists()


def test_a_password_in_the_urls_query_is_hidden_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """libpq takes `?password=`; it was shown as given."""
    port = _closed_port()
    url = f"postgresql://ann@127.0.0.1:{port}/db?password=hunter2&sslmode=disable"
    monkeypatch.setenv("VTRADE_DATABASE_URL", url)

    (line,) = error_lines(vtrade("migrate"))

    shown = f"postgresql://ann@127.0.0.1:{port}/db?password=***&sslmode=disable"
    assert line.startswith(f"database at {shown} could not be opened")
    assert "hunter2" not in line


def test_a_postgresql_host_that_never_answers_is_given_up_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as silent:  # accepts the connection, then says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        url = f"postgresql://ann@127.0.0.1:{port}/db?connect_timeout=2"
        monkeypatch.setenv("VTRADE_DATABASE_URL", url)
        began = time.monotonic()

        (line,) = error_lines(vtrade("users", "list"))

    assert time.monotonic() - began < 30
    assert line.startswith(f"database at postgresql://ann@127.0.0.1:{port}/db")
    assert "timeout expired" in line


@pytest.mark.parametrize("args", [("users", "list"), ("portfolio",), ("serve", "--port", "0")])
def test_an_sqlite_file_that_cannot_be_created_is_one_line_with_the_reason(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VTRADE_DATABASE_URL", f"sqlite:///{tmp_path}")  # a directory

    (line,) = error_lines(vtrade(*args))

    assert line.startswith(f"database at sqlite:///{tmp_path} could not be opened (")
    assert "unable to open database file" in line


def test_a_server_that_cannot_reach_its_database_exits_2_before_listening(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("VTRADE_")}
    env["VTRADE_DATABASE_URL"] = f"postgresql://ann:hunter2@127.0.0.1:{_closed_port()}/db"
    argv = [sys.executable, "-c", "from vtrade.cli import main; main()", "serve", "--port", "0"]

    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()  # no JSON log, no traceback
    assert line.startswith("error: database at postgresql://ann:***@") and "hunter2" not in line


def test_a_negative_quantity_is_an_error_line_not_an_unknown_option() -> None:
    (line,) = error_lines(vtrade("estimate", "AAPL", "buy", "-5", "--at", AT))

    assert "quantity must be a positive multiple of the lot size" in line and "-5" in line
