"""`vtrade orders` and `vtrade fills`: a page of the account's list, or every page with --all,
and the command that reads the next one. What a list takes (page size, directions,
statuses, instants) is the server's rule, imported from `api.paging`, checked before the
server is called."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

import typer

from vtrade.api.paging import DIRECTIONS, MAX_PAGE, MAX_SYMBOLS, MAX_TOKEN, STATUSES, instant
from vtrade.cli import client_tables as tables
from vtrade.cli.common import choice, friendly_errors, one_of, options_of, out, print_json, warn
from vtrade.cli.remote import Remote, RemoteError, Server
from vtrade.domain.market_data import Side

PAGE = 50  # items in a page unless --limit says (the server's default too)
# --all reads at most this many pages, within a key's default burst of requests
# (VTRADE_API__RATE_BURST, 400), so at most this many items in pages of 500 (fewer with a
# smaller --limit); the next page token says where to go on.
MOST_PAGES = 200
MOST_ITEMS = MOST_PAGES * MAX_PAGE
TO_GO_ON = "pass the next page token a listing printed"
Flags = list[tuple[str, str | int | None]]  # the flags of a listing that its next page repeats


@dataclass(frozen=True)
class Paging:
    """The options of a paged list (`options_of(Paging, "paging")`): which items, in which
    direction, how many a page, from which page, or every page."""

    after: str | None = typer.Option(
        None, "--after", help="Only after this instant (ISO 8601, exclusive)"
    )
    until: str | None = typer.Option(
        None, "--until", help="Only before this instant (ISO 8601, exclusive)"
    )
    direction: str = typer.Option(
        "desc", "--direction", help="desc: newest first; asc: oldest first"
    )
    limit: int | None = typer.Option(
        None,
        "--limit",
        show_default=False,
        help=f"Items in a page, 1-{MAX_PAGE} (default {PAGE}; with --all {MAX_PAGE})",
    )
    page_token: str | None = typer.Option(
        None, "--page-token", help="Start at this page: the token the page before printed"
    )
    every: bool = typer.Option(
        False,
        "--all",
        help=f"Read every page to the end (at most {MOST_PAGES} pages, {MOST_ITEMS:,} items in "
        "pages of 500, then the next page token)",
    )


@friendly_errors
@options_of(Server, "server")
@options_of(Paging, "paging")
def orders(
    status: str = typer.Option("open", "--status", help="open, closed or all"),
    symbol: str | None = typer.Option(None, "--symbol", help="Only this symbol (or A,B,...)"),
    side: str | None = typer.Option(None, "--side", help="Only buy or sell orders"),
    *,
    paging: Paging,
    server: Server,
) -> None:
    """List the account's orders, newest first, a page at a time (or every page with --all),
    each bracket, oto or oco entry with its legs under it."""
    wanted = one_of(status, STATUSES, "--status")
    if symbol is not None and len(symbol) > MAX_SYMBOLS:
        raise ValueError(f"--symbol is longer than {MAX_SYMBOLS} characters")
    chosen = None if side is None else choice(side, Side, "--side").value
    flags: Flags = [
        ("--status", None if wanted == "open" else wanted),
        ("--symbol", symbol),
        ("--side", chosen),
    ]
    # nested: each entry comes with its legs, in one request a page
    query = {"status": wanted, "symbols": symbol, "side": chosen, "nested": "true"}
    listed = _List("orders", flags, paging)
    with server.connect() as remote:
        found, token = listed.read(remote, query)
        if server.as_json:
            print_json({"orders": found, "next_page_token": token})
        elif not found:
            out.print(f"no {'' if wanted == 'all' else wanted + ' '}orders")
        else:
            out.print(tables.orders(found, f"Orders ({wanted})"))
        listed.go_on(token, len(found), server.as_json)


@friendly_errors
@options_of(Server, "server")
@options_of(Paging, "paging")
def fills(
    order_id: str | None = typer.Option(None, "--order", help="Only the fills of this order"),
    *,
    paging: Paging,
    server: Server,
) -> None:
    """List the account's fills, newest first, with what each cost beyond the mid, a page at
    a time (or every page with --all)."""
    listed = _List("fills", [("--order", order_id)], paging)
    with server.connect() as remote:
        found, token = listed.read(remote, {"order_id": order_id})
        if server.as_json:
            print_json({"fills": found, "next_page_token": token})
        elif not found:
            out.print("no fills" + (f" of order {order_id}" if order_id else ""))
        else:
            out.print(tables.fills(found))
        listed.go_on(token, len(found), server.as_json)


class _List:
    """One of the account's paged lists (`name`: orders or fills, the field of its page) read
    as the flags say, checked before the server is called; `flags` are the command's own
    filters."""

    def __init__(self, name: str, flags: Flags, paging: Paging) -> None:
        after, until, limit, token = paging.after, paging.until, paging.limit, paging.page_token
        for flag, bound in (("--after", after), ("--until", until)):
            instant(bound, flag)  # the server's parser: refused here as it would be there
        direction = one_of(paging.direction, DIRECTIONS, "--direction")
        if limit is not None and not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"--limit must be 1..{MAX_PAGE}, got {limit}")
        if token is not None and not token.strip():
            raise ValueError(f"--page-token is empty: {TO_GO_ON}")
        if token is not None and len(token) > MAX_TOKEN:
            raise ValueError(
                f"--page-token is longer than {MAX_TOKEN} characters, as no page token is: "
                + TO_GO_ON
            )
        self.name, self.limit, self.every = name, limit, paging.every
        self.token = None if token is None else token.strip()
        self.flags: Flags = [
            *flags,
            ("--after", after),
            ("--until", until),
            ("--direction", None if direction == "desc" else direction),
            ("--limit", limit),
        ]
        self.query = {"after": after, "until": until, "direction": direction}

    def read(self, remote: Remote, query: dict[str, str | None]) -> tuple[list[Any], str | None]:
        """The items of the page asked for (with --all, of it and each page after it, up to
        `MOST_PAGES` pages) and the next page's token, if more follow."""
        size = self.limit or (MAX_PAGE if self.every else PAGE)
        path = remote.of_account(f"/{self.name}")
        found: list[Any] = []
        token = self.token
        for _ in range(MOST_PAGES if self.every else 1):
            page = remote.get(path, self.name, **query, **self.query, limit=size, page_token=token)
            if not isinstance(page[self.name], list):
                raise RemoteError(remote.not_ours)
            found += page[self.name]
            token = page.get("next_page_token")
            if not token:
                return found, None
        return found, str(token)

    def go_on(self, token: str | None, read: int, as_json: bool) -> None:
        """Say how to read the next page, if more follow: a line after a table (with --json,
        its `next_page_token` says it), and a warning when --all stopped at its bound, having
        read `read` items."""
        if token is None:
            return
        if self.every:
            warn(
                f"--all stops at {read:,} {self.name} and more follow: go on with "
                f"--page-token {token}"
            )
        if not as_json:
            words = ["vtrade", self.name]
            for flag, value in [*self.flags, ("--page-token", token)]:
                if value is not None:
                    words += [flag, str(value)]
            line = f"next page: {shlex.join(words)}"
            out.print(line, markup=False, highlight=False, soft_wrap=True)
