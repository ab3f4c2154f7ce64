"""`portfolio`: value the accounts in the database at current prices."""

from __future__ import annotations

import typer

from vtrade import bootstrap
from vtrade.cli.common import JsonOption, friendly_errors, out, print_json
from vtrade.core.clock import Clock, LiveClock, SimulatedClock, parse_instant, to_ns
from vtrade.settings import Settings


@friendly_errors
def portfolio(
    account: str | None = typer.Argument(None, help="Account id (default: the NAV ranking)"),
    at: str | None = typer.Option(None, "--at", help="Value at this instant (ISO 8601)"),
    window: str = typer.Option("30d", "--window", help="Equity curve window: 1d, 7d, 30d, 1y"),
    top: int = typer.Option(20, "--top", help="Accounts in the ranking (1-1000)"),
    as_json: bool = JsonOption,
) -> None:
    """Value the accounts in the database at current prices: one account's report, or the
    ranking of all accounts by NAV."""
    from vtrade import views_portfolio

    if not 1 <= top <= 1000:
        raise ValueError(f"--top must be 1..1000, got {top}")
    clock: Clock = SimulatedClock(to_ns(parse_instant(at))) if at else LiveClock()
    c = bootstrap.build(Settings(), clock)
    c.start()
    c.portfolio.publish(clock.now_ns(), force=True)
    if account is not None:
        report = c.queries.report(account, window)
        if as_json:
            print_json(views_portfolio.report_dict(report))
        else:
            views_portfolio.print_report(out, account, report)
        return
    ranking = c.queries.leaderboard(top)
    if as_json:
        print_json([{"account_id": a, "nav": str(nav)} for a, nav in ranking])
    elif not ranking:
        out.print("no accounts in the database yet")
    else:
        reports = {a: c.queries.report(a, window) for a, _ in ranking}
        out.print(views_portfolio.summary_table(reports, title="Accounts by NAV"))
