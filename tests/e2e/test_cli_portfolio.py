"""`vtrade portfolio` over a database that a trading session filled, and the demo's portfolios."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
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
