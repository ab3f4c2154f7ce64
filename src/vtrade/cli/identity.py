"""`vtrade users` and `vtrade keys`: users and their API key pairs, on the configured database."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import typer
from rich.table import Table

from vtrade import bootstrap
from vtrade.app.identity import KeyInfo, User
from vtrade.cli.common import JsonOption, friendly_errors, out, print_json, settings
from vtrade.core.clock import iso

users_app = typer.Typer(no_args_is_help=True, help="Create and list users.")
keys_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API key pairs.")


@contextmanager
def _identity(*, trading: bool = False) -> Iterator[bootstrap.Container]:
    """The application on the configured database (VTRADE_DATABASE_URL), migrated. Only a
    command that opens accounts (`trading`) starts the engine; none relays the outbox: a
    running server publishes every event, those of the accounts opened here included."""
    c = bootstrap.build(settings(), publishes=False)
    try:
        if trading:
            c.trading.start(catch_up=False)
        else:
            c.store.migrate()
        yield c
    finally:
        c.store.close()


def _account_names(c: bootstrap.Container) -> dict[str, str]:
    return {a.id: a.name for a in c.store.load(c.clock.now_ns()).accounts}


def _user_dict(user: User) -> dict[str, object]:
    created = iso(user.created_ns)
    return {"id": user.id, "name": user.name, "created_at": created, "disabled": user.disabled}


def _key_dict(key: KeyInfo, account_names: dict[str, str]) -> dict[str, object]:
    """A key as printed: never its secret."""
    return {
        "key_id": key.key_id,
        "user_id": key.user_id,
        "account_id": key.account_id,
        "account_name": account_names[key.account_id],
        "created_at": iso(key.created_ns),
        "last_used_at": None if key.last_used_ns is None else iso(key.last_used_ns),
        "revoked_at": None if key.revoked_ns is None else iso(key.revoked_ns),
    }


def _table(title: str, rows: Sequence[dict[str, object]], columns: Sequence[str]) -> Table:
    """A table of `columns` of `rows`; ids are never cut, instants are shown to the second."""
    table = Table(title=title)
    for column in columns:
        label = column.removesuffix("_at").removesuffix("_name").replace("_", " ")
        table.add_column(label, no_wrap=column.endswith("id"), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(c, row[c]) for c in columns))
    return table


def _cell(column: str, value: object) -> str:
    if value is None:
        return ""
    if column.endswith("_at") and isinstance(value, str):
        return value[:19].replace("T", " ") + "Z"
    return str(value)


@users_app.command("create")
@friendly_errors
def users_create(
    name: str = typer.Argument(..., help="3-32 characters from A-Z a-z 0-9 _ . -"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from one line of stdin"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a user with a password (asked twice, hidden, unless --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ValueError("--password-stdin: no password on the first line of stdin")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _identity() as c:
        user = c.identity.create_user(name, password)
    if as_json:
        print_json(_user_dict(user))
    else:
        out.print(f"created user {user.name} (id {user.id})", markup=False, highlight=False)


@users_app.command("list")
@friendly_errors
def users_list(as_json: bool = JsonOption) -> None:
    """List the users, oldest first."""
    with _identity() as c:
        rows = [_user_dict(u) for u in c.identity.list_users()]
    if as_json:
        print_json(rows)
    elif not rows:
        out.print("no users yet: create one with `vtrade users create NAME`", markup=False)
    else:
        out.print(_table("Users", rows, ("name", "id", "created_at", "disabled")))


@keys_app.command("create")
@friendly_errors
def keys_create(
    user: str = typer.Argument(..., help="User name"),
    account: str = typer.Option(
        "main", "--account", help="The user's account the key acts on (opened if new)"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create an API key pair for one account of USER; print the secret once."""
    with _identity(trading=True) as c:
        key, secret = c.identity.create_key(user, account)
        row = _key_dict(key, _account_names(c))
    warning = "store the secret now: it is not shown again"
    if as_json:
        print_json({**row, "secret": secret, "warning": warning})
        return
    out.print(
        f"API key of {user} for account {row['account_name']} ({key.account_id})\n"
        f"  key id: {key.key_id}\n  secret: {secret}\n{warning}",
        markup=False,
        highlight=False,
    )


@keys_app.command("list")
@friendly_errors
def keys_list(
    user: str = typer.Argument(..., help="User name"), as_json: bool = JsonOption
) -> None:
    """List USER's API keys, revoked ones included (never their secrets)."""
    with _identity() as c:
        names = _account_names(c)
        rows = [_key_dict(k, names) for k in c.identity.list_keys(user)]
    if as_json:
        print_json(rows)
    elif not rows:
        out.print(f"{user} has no API keys", markup=False, highlight=False)
    else:
        columns = ("key_id", "account_name", "created_at", "last_used_at", "revoked_at")
        out.print(_table(f"API keys of {user}", rows, columns))


@keys_app.command("revoke")
@friendly_errors
def keys_revoke(
    key_id: str = typer.Argument(..., help="Key id, e.g. PK…"), as_json: bool = JsonOption
) -> None:
    """Revoke an API key: it stops working at once (a running server: within a minute)."""
    with _identity() as c:
        key = c.identity.revoke_key(key_id)
        row = _key_dict(key, _account_names(c))
    if as_json:
        print_json(row)
    else:
        out.print(f"revoked API key {key.key_id} at {row['revoked_at']}", markup=False)
