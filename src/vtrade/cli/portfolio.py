"""`portfolio`: value the accounts in the database at an instant, without writing to it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import typer

from vtrade import bootstrap
from vtrade.cli.common import JsonOption, friendly_errors, out, print_json, settings, within
from vtrade.core.clock import LiveClock, SimulatedClock, parse_instant, to_ns
from vtrade.core.errors import NotFoundError, ValidationError

LISTED = "`vtrade portfolio` lists every account with its user and name"


@friendly_errors
def portfolio(
    account: str | None = typer.Argument(
        None, help="Account id, name, or USER/NAME (default: the NAV ranking)"
    ),
    at: str | None = typer.Option(None, "--at", help="Value at this instant (ISO 8601)"),
    window: str = typer.Option("30d", "--window", help="Equity curve window: 1d, 7d, 30d, 1y"),
    top: int = typer.Option(20, "--top", help="Accounts in the ranking (1-1000)"),
    as_json: bool = JsonOption,
) -> None:
    """Value the accounts in the database at current prices (or --at): one account's report,
    or the ranking of all accounts by NAV. Nothing is written to the database."""
    from vtrade import views_portfolio

    if not 1 <= top <= 1000:
        raise ValueError(f"--top must be 1..1000, got {top}")
    t_ns = to_ns(parse_instant(at)) if at else LiveClock().now_ns()
    c = bootstrap.build(settings(), SimulatedClock(t_ns))  # one instant for every figure
    try:
        within(t_ns, c.sessions, f"--at {at}" if at else "now")
        c.store.migrate()  # creates the schema of a new database; a no-op on a current one
        c.portfolio.rebuild(t_ns)  # reads the ledger: no event is relayed, nothing published
        navs = {a: figures["nav"] for a, figures in c.portfolio.figures_at(t_ns).items()}
        ranking = sorted(navs, key=lambda a: (-navs[a], a))
        labels = _labels(c, t_ns)
        if account is not None:
            account_id = account if account in navs else _named(account, labels)
            report = replace(
                c.queries.report(account_id, window), rank=ranking.index(account_id) + 1
            )
            if as_json:
                print_json(views_portfolio.report_dict(report))
            else:
                views_portfolio.print_report(out, account_id, report)
        elif as_json:
            print_json([_ranked(a, navs[a], labels.get(a, ("", ""))) for a in ranking[:top]])
        elif not ranking:
            out.print("no accounts in the database yet")
        else:
            reports = {
                f"{a} ({'/'.join(labels.get(a, ('?', '?')))})": replace(
                    c.queries.report(a, window), rank=k + 1
                )
                for k, a in enumerate(ranking[:top])
            }
            out.print(views_portfolio.summary_table(reports, title="Accounts by NAV"))
    finally:
        c.store.close()


def _ranked(account_id: str, nav: Decimal, label: tuple[str, str]) -> dict[str, str]:
    return {"account_id": account_id, "user": label[0], "name": label[1], "nav": str(nav)}


def _labels(c: bootstrap.Container, t_ns: int) -> dict[str, tuple[str, str]]:
    """Each account's (user name, account name); an owner that is no user shows its id."""
    users = {u.id: u.name for u in c.identity.list_users()}
    accounts = c.store.load(t_ns).accounts
    return {a.id: (users.get(a.owner, a.owner), a.name) for a in accounts}


def _named(text: str, labels: dict[str, tuple[str, str]]) -> str:
    """The id of the account called `text`: NAME when one account has it, else USER/NAME."""
    user, _, name = text.rpartition("/")
    found = [
        a
        for a, (owner, called) in labels.items()
        if called == name and (not user or owner.casefold() == user.casefold())
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFoundError(f"account {text!r} not found: no account has that id or name; {LISTED}")
    options = ", ".join(f"{'/'.join(labels[a])} ({a})" for a in sorted(found))
    raise ValidationError(
        f"{len(found)} accounts are named {name!r}: {options}; give USER/NAME or the id"
    )
