"""`vtrade portfolio` over a database that a trading session filled, and the demo's portfolios."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import database_rows
from typer.testing import CliRunner

from vtrade import bootstrap
from vtrade.cli import app
from vtrade.core.clock import SimulatedClock, parse_instant, to_ns
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.settings import Settings

runner = CliRunner()
AT = "2026-11-18T15:00:00Z"
LATER = "2026-11-18T15:30:00Z"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[str]]:
    """A SQLite database with two accounts that bought stocks at AT."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("VTRADE_DATABASE_URL", url)
    c = bootstrap.build(Settings(), SimulatedClock(to_ns(parse_instant(AT))))
    c.start()
    ids = []
    for owner, symbol, qty in (("ann", "AAPL", 500), ("bob", "VOD.L", 20_000)):
        acc = c.trading.open_account(OpenAccount(id=owner, ts_init=0, owner=owner, name="main"))
        c.trading.submit(
            SubmitOrder(
                id=owner,
                ts_init=0,
                account_id=acc.id,
                symbol=symbol,
                side=Side.BUY,
                qty=Decimal(qty),
            )
        )
        ids.append(acc.id)
    c.store.close()
    return url, ids


def test_portfolio_ranks_every_account_by_nav(database: tuple[str, list[str]]) -> None:
    _, ids = database
    result = runner.invoke(app, ["portfolio", "--at", LATER, "--json"])

    assert result.exit_code == 0, result.output
    ranking = json.loads(result.output)
    assert {r["account_id"] for r in ranking} == set(ids)
    navs = [Decimal(r["nav"]) for r in ranking]
    assert navs == sorted(navs, reverse=True)
    assert all(Decimal(990_000) < nav < Decimal(1_010_000) for nav in navs)


def test_portfolio_report_of_one_account_values_positions_and_costs(
    database: tuple[str, list[str]],
) -> None:
    _, (ann, _) = database
    result = runner.invoke(app, ["portfolio", ann, "--at", LATER, "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    state = report["state"]
    (position,) = state["positions"]
    assert position["symbol"] == "AAPL" and Decimal(position["qty"]) == 500
    assert Decimal(state["nav"]) == Decimal(state["cash"]) + Decimal(position["value"])
    assert state["allocation"][0]["group"] == "Information Technology"
    assert Decimal(report["costs"]["total"]) > 0  # spread and fees were paid
    assert report["curve"]["points"][-1]["nav"] == state["nav"]
    assert report["rank"] in (1, 2)


def test_portfolio_of_an_unknown_account_says_so(database: tuple[str, list[str]]) -> None:
    result = runner.invoke(app, ["portfolio", "acc-nope", "--at", LATER])

    assert result.exit_code == 2
    assert "acc-nope" in result.output and "not" in result.output


def test_portfolio_rejects_a_bad_window(database: tuple[str, list[str]]) -> None:
    _, (ann, _) = database
    result = runner.invoke(app, ["portfolio", ann, "--at", LATER, "--window", "2w"])

    assert result.exit_code == 2
    assert "1d" in result.output and "1y" in result.output


def test_demo_reports_each_traders_portfolio() -> None:
    result = runner.invoke(app, ["demo", "--minutes", "2", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data["portfolios"]) >= {"Ann (retail)", "Block fund", "London investor"}
    fund = data["portfolios"]["Block fund"]["state"]
    assert Decimal(fund["gross_exposure"]) > 0
    assert data["alerts"] == []  # big balances at opening reach no milestone


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("--at", "2030-01-02T15:00:00Z", "--json"), id="ranking-in-2030"),
        pytest.param(("--json",), id="ranking-now"),
        pytest.param((), id="ranking-table-now"),
        pytest.param(("ann/main", "--at", LATER, "--json"), id="report"),
    ],
)
def test_portfolio_only_reads_the_database(
    database: tuple[str, list[str]], args: tuple[str, ...]
) -> None:
    url, _ = database
    before = database_rows(url)
    assert {kind for _, kind, *_ in before["equity_snapshots"]} == {"intraday"}  # openings

    result = runner.invoke(app, ["portfolio", *args])

    assert result.exit_code == 0, result.output
    assert database_rows(url) == before  # no snapshot, no outbox relay, no boot counted


def test_portfolio_accepts_an_account_name_or_user_and_name(
    database: tuple[str, list[str]],
) -> None:
    _, (ann, bob) = database
    c = bootstrap.build(Settings(), SimulatedClock(to_ns(parse_instant(AT))))
    c.start()
    swing = c.trading.open_account(OpenAccount(id="swing", ts_init=0, owner="bob", name="swing"))
    c.store.close()

    def report_of(account: str) -> str:
        result = runner.invoke(app, ["portfolio", account, "--at", LATER, "--json"])
        assert result.exit_code == 0, result.output
        account_id: str = json.loads(result.output)["state"]["account_id"]
        return account_id

    assert report_of("swing") == swing.id
    assert report_of("ann/main") == ann
    assert report_of("BOB/main") == bob  # user names are unique in any case
    assert report_of(ann) == ann


def test_portfolio_of_a_name_several_users_use_lists_them(
    database: tuple[str, list[str]],
) -> None:
    _, (ann, bob) = database
    result = runner.invoke(app, ["portfolio", "main", "--at", LATER])

    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("error: 2 accounts are named 'main': ")
    assert f"ann/main ({ann})" in line and f"bob/main ({bob})" in line
    assert "USER/NAME" in line


def test_portfolio_of_an_unknown_name_says_which_command_lists_the_accounts(
    database: tuple[str, list[str]],
) -> None:
    result = runner.invoke(app, ["portfolio", "savings", "--at", LATER])

    assert result.exit_code == 2
    assert result.stderr == (
        "error: account 'savings' not found: no account has that id or name; "
        "`vtrade portfolio` lists every account with its user and name\n"
    )


def test_portfolio_ranking_names_each_accounts_user_and_ranks_reports_alike(
    database: tuple[str, list[str]],
) -> None:
    ranking = json.loads(runner.invoke(app, ["portfolio", "--at", LATER, "--json"]).output)

    assert {(r["user"], r["name"]) for r in ranking} == {("ann", "main"), ("bob", "main")}
    for rank, row in enumerate(ranking, start=1):
        result = runner.invoke(app, ["portfolio", row["account_id"], "--at", LATER, "--json"])
        assert json.loads(result.output)["rank"] == rank


def test_portfolio_outside_the_market_dates_says_which_dates_exist(
    database: tuple[str, list[str]],
) -> None:
    result = runner.invoke(app, ["portfolio", "--at", "1990-01-01"])

    assert result.exit_code == 2
    assert result.stderr == (
        "error: --at 1990-01-01 is before the days the simulated market covers: "
        "2006-01-01 to 2031-12-31 (UTC)\n"
    )
