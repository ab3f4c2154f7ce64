"""The `vtrade` command line: thin translations from flags to queries, printed as tables or JSON.

Every command that prints data takes `--json`. Bad input (and bad settings) gives one
`error:` line per problem on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import typer

from vtrade.cli import (
    bench,
    client,
    client_lists,
    database,
    identity,
    market,
    portfolio,
    serve,
    trade,
)

# no locals in a traceback: a trading command's frame holds the API secret (older typers
# showed them by default)
app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_show_locals=False
)

# Registered here, in the order `vtrade --help` lists them; each module holds its commands.
# `estimate` and `order` read `-5` as their quantity (refused with an `error:` line), not as
# an option.
NEGATIVE_ARGUMENTS = {"ignore_unknown_options": True}
for command, context in (
    (market.instruments, None),
    (market.market, None),
    (market.history, None),
    (market.watch, None),
    (trade.estimate, NEGATIVE_ARGUMENTS),
    (trade.demo, None),
    (portfolio.portfolio, None),
    (client.account, None),
    (client.positions, None),
    (client_lists.orders, None),
    (client.order, NEGATIVE_ARGUMENTS),
    (client.cancel, None),
    (client_lists.fills, None),
    (serve.serve, None),
    (database.migrate, None),
    (bench.bench, None),
):
    app.command(context_settings=context)(command)
app.add_typer(identity.users_app, name="users")
app.add_typer(identity.keys_app, name="keys")


def main() -> None:
    """Entry point of the `vtrade` script."""
    app()
