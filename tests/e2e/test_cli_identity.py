"""`vtrade users` and `vtrade keys` on a SQLite file, and what the keys and passwords they
create are worth to the identity service that the HTTP layer calls (real argon2 parameters)."""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cli_support import database_rows
from typer.testing import CliRunner, Result

from vtrade import bootstrap
from vtrade.cli import app
from vtrade.core.clock import NS_PER_DAY, SimulatedClock, parse_instant, to_ns
from vtrade.core.errors import AuthenticationError, NotFoundError
from vtrade.domain.commands import ResetAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus
from vtrade.settings import Settings

runner = CliRunner()
PASSWORD = "a long enough password"
NOW = to_ns(parse_instant("2026-11-18T15:00:00Z"))
WARNING = "store the secret now: it is not shown again"
Serve = Callable[[], bootstrap.Container]


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite file as the configured database, and no other `VTRADE_…` settings."""
    for name in list(os.environ):
        if name.startswith("VTRADE_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'identity.db'}"
    monkeypatch.setenv("VTRADE_DATABASE_URL", url)
    return url


@pytest.fixture
def serve() -> Iterator[Callable[[], bootstrap.Container]]:
    """Start the application a server would run on the same database, on a simulated clock.

    A server loads the accounts when it starts, so tests start it after the CLI opened them.
    """
    started: list[bootstrap.Container] = []

    def start() -> bootstrap.Container:
        clock = SimulatedClock(NOW)  # keys' rechecks too: a test moves it past one
        c = bootstrap.build(Settings(), clock, identity_clock=clock)
        c.trading.start()
        started.append(c)
        return c

    yield start
    for c in started:
        c.store.close()


def vtrade(*args: str, input: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=input)


def advance(server: bootstrap.Container, ns: int) -> None:
    assert isinstance(server.clock, SimulatedClock)
    server.clock.advance(ns)


def create_user(name: str, password: str = PASSWORD) -> dict[str, Any]:
    result = vtrade("users", "create", name, "--password-stdin", "--json", input=password + "\n")
    assert result.exit_code == 0, result.output
    created: dict[str, Any] = json.loads(result.output)
    return created


def create_key(user: str, *extra: str) -> dict[str, Any]:
    result = vtrade("keys", "create", user, "--json", *extra)
    assert result.exit_code == 0, result.output
    created: dict[str, Any] = json.loads(result.output)
    return created


# -- the command line ---------------------------------------------------------------------


def test_users_create_reads_the_password_from_stdin_and_users_list_shows_the_user() -> None:
    result = vtrade("users", "create", "alice", "--password-stdin", input=PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"created user alice \(id usr-[0-9a-f]{16}\)\n", result.output)
    listed = json.loads(vtrade("users", "list", "--json").output)
    assert [(u["name"], u["disabled"]) for u in listed] == [("alice", False)]
    assert PASSWORD not in vtrade("users", "list").output


def test_users_create_asks_twice_for_a_hidden_password(serve: Serve) -> None:
    result = vtrade("users", "create", "alice", input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert serve().identity.authenticate("alice", PASSWORD).name == "alice"


def test_bad_or_duplicate_users_fail_with_one_line_and_status_2() -> None:
    create_user("alice")
    cases = {
        ("alice", PASSWORD): "taken",
        ("ALICE", PASSWORD): "taken",
        ("al", PASSWORD): "3-32 characters",
        ("bobby", "short"): "10 to 1024 characters",
        ("bobby", ""): "no password",
    }
    for (name, password), expected in cases.items():
        result = vtrade("users", "create", name, "--password-stdin", input=password + "\n")
        assert result.exit_code == 2, result.output
        assert expected in result.output and result.output.count("\n") == 1


def test_keys_create_prints_the_key_id_and_the_secret_once_with_a_warning() -> None:
    create_user("alice")

    result = vtrade("keys", "create", "alice")

    assert result.exit_code == 0, result.output
    key_id = re.search(r"key id: (PK[A-Z0-9]{18})\n", result.output)
    secret = re.search(r"secret: ([A-Za-z0-9]{40})\n", result.output)
    assert key_id and secret and WARNING in result.output
    for listing in (vtrade("keys", "list", "alice"), vtrade("keys", "list", "alice", "--json")):
        assert listing.exit_code == 0, listing.output
        assert key_id.group(1) in listing.output
        assert secret.group(1) not in listing.output


def test_keys_create_json_binds_the_key_to_the_named_account() -> None:
    user = create_user("alice")

    main = create_key("alice")
    swing = create_key("alice", "--account", "swing")
    again = create_key("alice", "--account", "swing")

    assert main["warning"] == WARNING and len(main["secret"]) == 40
    assert (main["account_name"], swing["account_name"]) == ("main", "swing")
    assert main["user_id"] == swing["user_id"] == user["id"]
    assert swing["account_id"] == again["account_id"] != main["account_id"]
    listed = json.loads(vtrade("keys", "list", "alice", "--json").output)
    assert [k["key_id"] for k in listed] == [main["key_id"], swing["key_id"], again["key_id"]]
    assert all("secret" not in k for k in listed)


def test_keys_commands_name_what_is_unknown() -> None:
    for args, expected in (
        (("keys", "create", "nobody"), "user 'nobody' not found"),
        (("keys", "list", "nobody"), "user 'nobody' not found"),
        (("keys", "revoke", "PKNOPE"), "API key 'PKNOPE' not found"),
    ):
        result = vtrade(*args)
        assert result.exit_code == 2 and expected in result.output, result.output


def test_keys_revoke_json_prints_the_revoked_key_without_its_secret() -> None:
    create_user("alice")
    key = create_key("alice", "--account", "swing")

    result = vtrade("keys", "revoke", key["key_id"], "--json")

    assert result.exit_code == 0, result.output
    revoked = json.loads(result.output)
    assert (revoked["key_id"], revoked["account_name"]) == (key["key_id"], "swing")
    assert revoked["revoked_at"].startswith("20") and "secret" not in revoked


def test_an_account_opens_with_the_balance_set_for_the_cli_and_a_reset_restores_it(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user("alice")
    monkeypatch.setenv("VTRADE_EXECUTION__INITIAL_BALANCE", "50000")
    key = create_key("alice")  # the process that opens the account decides its balance
    monkeypatch.setenv("VTRADE_EXECUTION__INITIAL_BALANCE", "2000000")
    server = serve()  # a server set up otherwise keeps the account's own opening balance

    account = server.trading.account(key["account_id"])
    assert account.initial_balance == account.cash == 50_000
    server.trading.reset_account(ResetAccount(id="r", ts_init=NOW, account_id=account.id))
    assert server.trading.account(account.id).cash == 50_000


# -- what the created credentials are worth -----------------------------------------------


def test_a_created_key_verifies_and_a_revoked_one_does_not(serve: Serve) -> None:
    user = create_user("alice")
    key = create_key("alice")
    server = serve()

    principal = server.identity.verify_key(key["key_id"], key["secret"])
    assert (principal.user_id, principal.account_id) == (user["id"], key["account_id"])

    result = vtrade("keys", "revoke", key["key_id"])
    assert result.exit_code == 0 and f"revoked API key {key['key_id']}" in result.output

    # A revocation by another process reaches a running server when it rechecks the key.
    server.identity.verify_key(key["key_id"], key["secret"])
    advance(server, server.identity.recheck_ns)
    with pytest.raises(AuthenticationError):
        server.identity.verify_key(key["key_id"], key["secret"])
    with pytest.raises(AuthenticationError):
        serve().identity.verify_key(key["key_id"], key["secret"])  # a restarted server
    listed = json.loads(vtrade("keys", "list", "alice", "--json").output)
    assert listed[0]["revoked_at"] is not None and listed[0]["last_used_at"] is not None


def test_another_users_account_id_is_not_found(serve: Serve) -> None:
    alice = create_user("alice")
    create_user("bobby")
    alice_key = create_key("alice")
    bob_key = create_key("bobby")
    identity = serve().identity
    principal = identity.verify_key(alice_key["key_id"], alice_key["secret"])

    assert identity.require_account(principal, alice_key["account_id"]).owner == alice["id"]
    with pytest.raises(NotFoundError, match="not found"):
        identity.require_account(principal, bob_key["account_id"])
    with pytest.raises(NotFoundError, match="not found"):
        identity.require_account(alice["id"], bob_key["account_id"])


def test_wrong_password_and_unknown_user_give_the_same_error(
    serve: Serve,
) -> None:
    create_user("alice")
    server = serve()
    errors = []
    for name, password in (("alice", "wrong password!"), ("nobody", PASSWORD)):
        with pytest.raises(AuthenticationError) as caught:
            server.identity.start_session(name, password)
        errors.append((caught.value.code, str(caught.value)))
    assert errors[0] == errors[1] == (40100, "wrong user name or password")


def test_an_expired_session_is_refused(serve: Serve) -> None:
    create_user("alice")
    server = serve()
    token, csrf = server.identity.start_session("alice", PASSWORD)
    assert server.identity.check_csrf(token, csrf).name == "alice"

    advance(server, 7 * NS_PER_DAY)

    with pytest.raises(AuthenticationError, match="expired"):
        server.identity.session_user(token)


def test_a_csrf_token_of_another_session_is_refused(serve: Serve) -> None:
    create_user("alice")
    server = serve()
    token, _ = server.identity.start_session("alice", PASSWORD)
    _, other_csrf = server.identity.start_session("alice", PASSWORD)

    with pytest.raises(AuthenticationError, match="CSRF"):
        server.identity.check_csrf(token, other_csrf)


def test_a_verified_key_is_checked_in_under_a_millisecond_until_revoked(serve: Serve) -> None:
    create_user("alice")
    key = create_key("alice")
    identity = serve().identity

    began = time.perf_counter()
    identity.verify_key(key["key_id"], key["secret"])  # argon2, tens of milliseconds
    first = time.perf_counter() - began
    timings = []
    for _ in range(200):
        began = time.perf_counter()
        identity.verify_key(key["key_id"], key["secret"])
        timings.append(time.perf_counter() - began)

    assert statistics.median(timings) < 0.001 < first
    identity.revoke_key(key["key_id"])
    with pytest.raises(AuthenticationError):
        identity.verify_key(key["key_id"], key["secret"])


def test_commands_that_only_list_or_revoke_leave_the_ledger_and_the_outbox_alone(
    database: str,
) -> None:
    create_user("alice")
    key = create_key("alice")
    before = database_rows(database, "meta", "outbox", "accounts", "equity_snapshots")

    for args in (("users", "list"), ("keys", "list", "alice"), ("keys", "revoke", key["key_id"])):
        assert vtrade(*args, "--json").exit_code == 0

    after = database_rows(database, "meta", "outbox", "accounts", "equity_snapshots")
    assert after == before  # no start counted, no event relayed or purged


def test_opening_an_account_beside_a_server_leaves_every_event_for_the_server_to_publish(
    serve: Serve,
) -> None:
    create_user("alice")
    create_key("alice")
    server = serve()
    server.trading.relay_every = 0  # as `vtrade serve`: its runtime relays on a timer
    alice = server.store.load(NOW).accounts[0].id
    order = SubmitOrder(
        id="c-buy", ts_init=NOW, account_id=alice, symbol="AAPL", side=Side.BUY, qty=Decimal(1)
    )
    assert server.trading.submit(order).status is OrderStatus.FILLED
    pending = {item.event.id for item in server.store.pending_events(100)}
    assert pending  # the server has not relayed the order's events yet

    create_user("bob")
    create_key("bob")  # the CLI opens bob's account while the server's events wait

    still_pending = {item.event.id for item in server.store.pending_events(100)}
    assert pending < still_pending  # none taken from the server; bob's wait for it too
    assert server.trading.relay() == len(still_pending)
