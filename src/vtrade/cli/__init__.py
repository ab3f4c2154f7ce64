"""The `vtrade` command line: thin translations from flags to queries, printed as tables or JSON.

Every command that prints data takes `--json`. Bad input gives a one-line error on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

import typer

from vtrade.cli import bench, identity, market, portfolio, serve, trade

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

# Registered here, in the order `vtrade --help` lists them; each module holds its commands.
for command in (
    market.instruments,
    market.market,
    market.history,
    market.watch,
    trade.estimate,
    trade.demo,
    portfolio.portfolio,
    serve.serve,
    bench.bench,
):
    app.command()(command)
app.add_typer(identity.users_app, name="users")
app.add_typer(identity.keys_app, name="keys")


def main() -> None:
    """Entry point of the `vtrade` script."""
    app()
