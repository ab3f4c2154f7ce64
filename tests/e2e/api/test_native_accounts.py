"""Sessions with CSRF, `/me`, and accounts: open, list, reset and choose a realism profile."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from api_support import PASSWORD, InProcess

from vtrade import bootstrap
from vtrade.core.clock import parse_instant, to_ns


def sign_in(api: InProcess, user: str = "alice") -> dict[str, str]:
    """Sign `user` in on the test client; return the CSRF header for unsafe requests."""
    api.key(user)  # creates the user (and its "main" account)
    response = api.http.post("/api/v1/session", json={"name": user, "password": PASSWORD})
    assert response.status_code == 201
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def test_signing_in_sets_a_strict_http_only_cookie_and_returns_the_csrf_token(
    api: InProcess,
) -> None:
    api.key("alice")
    response = api.http.post("/api/v1/session", json={"name": "alice", "password": PASSWORD})
    assert response.status_code == 201
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("vtrade_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # the test server runs with cookie_secure=False
    body = response.json()
    assert body["user"]["name"] == "alice" and len(body["csrf_token"]) >= 32
    assert body["expires_at"].endswith("Z")


def test_a_session_lives_seven_real_days_whatever_the_markets_clock(api: InProcess) -> None:
    api.key("alice")  # the server's market clock stands at 2026-11-18
    response = api.http.post("/api/v1/session", json={"name": "alice", "password": PASSWORD})

    expires = to_ns(parse_instant(response.json()["expires_at"]))
    week = 7 * 86_400
    assert abs(expires - time.time_ns() - week * 10**9) < 60 * 10**9  # as the cookie's
    assert f"Max-Age={week}" in response.headers["set-cookie"]


def test_a_wrong_password_is_refused_with_401(api: InProcess) -> None:
    api.key("alice")
    response = api.http.post("/api/v1/session", json={"name": "alice", "password": "x" * 12})
    assert response.status_code == 401
    assert response.json()["message"] == "wrong user name or password"


def test_a_state_changing_request_without_the_csrf_token_is_refused(api: InProcess) -> None:
    csrf = sign_in(api)
    refused = api.http.post("/api/v1/accounts", json={"name": "swing"})
    assert refused.status_code == 401
    assert refused.json()["message"] == "the CSRF token does not match this session"
    wrong = api.http.post("/api/v1/accounts", json={"name": "swing"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 401
    accepted = api.http.post("/api/v1/accounts", json={"name": "swing"}, headers=csrf)
    assert accepted.status_code == 201


def test_me_tells_a_session_from_a_key(api: InProcess) -> None:
    key = api.key("alice")
    csrf = sign_in(api)
    api.http.post("/api/v1/accounts", json={"name": "second"}, headers=csrf)
    session_me = api.http.get("/api/v1/me").json()
    assert session_me["auth"] == "session" and session_me["key_id"] is None
    assert sorted(a["name"] for a in session_me["accounts"]) == ["main", "second"]
    key_me = api.http.get("/api/v1/me", headers=key.headers).json()  # the key wins
    assert key_me["auth"] == "api_key" and key_me["key_id"] == key.key_id
    assert [a["id"] for a in key_me["accounts"]] == [key.account_id]


def test_a_session_sees_at_once_an_account_the_cli_opened_while_the_server_ran(
    api: InProcess,
) -> None:
    csrf = sign_in(api)
    cli = bootstrap.build(api.container.settings, api.clock, publishes=False)
    cli.trading.start(catch_up=False)  # as `vtrade keys create alice --account bot` starts it
    info, _ = cli.identity.create_key("alice", "bot")
    cli.store.close()

    listed = api.http.get("/api/v1/accounts").json()["accounts"]
    assert [a["name"] for a in listed] == ["main", "bot"]
    assert [a["name"] for a in api.http.get("/api/v1/me").json()["accounts"]] == ["main", "bot"]
    detail = api.http.get(f"/api/v1/accounts/{info.account_id}")
    assert detail.status_code == 200 and detail.json()["nav"] == "1000000.00"
    same_name = api.http.post("/api/v1/accounts", json={"name": "bot"}, headers=csrf)
    assert same_name.status_code == 409
    assert api.http.get("/api/v1/accounts/acc-nobody").status_code == 404


def test_signing_out_ends_the_session(api: InProcess) -> None:
    csrf = sign_in(api)
    token = api.http.cookies["vtrade_session"]
    assert api.http.delete("/api/v1/session").status_code == 401  # needs the CSRF token too
    assert api.http.delete("/api/v1/session", headers=csrf).status_code == 204
    assert "vtrade_session" not in api.http.cookies  # the cookie was deleted
    api.http.cookies.set("vtrade_session", token)
    refused = api.http.get("/api/v1/me")
    assert refused.status_code == 401 and "sign in again" in refused.json()["message"]


def test_a_session_opens_accounts_with_a_profile_and_balance(api: InProcess) -> None:
    csrf = sign_in(api)
    response = api.http.post(
        "/api/v1/accounts",
        json={"name": "harsh-one", "profile": "harsh", "balance": "250000"},
        headers=csrf,
    )
    assert response.status_code == 201
    account = response.json()
    assert account["profile"] == "harsh" and account["initial_balance"] == "250000"
    assert account["nav"] == "250000.00" and account["currency"] == "VCR"
    assert response.headers["Location"] == f"/api/v1/accounts/{account['id']}"
    portfolio = api.http.get(f"/api/v1/accounts/{account['id']}/portfolio").json()
    assert portfolio["nav"] == "250000.00"  # valued at once, before any step
    names = [a["name"] for a in api.http.get("/api/v1/accounts").json()["accounts"]]
    assert names == ["main", "harsh-one"]

    duplicate = api.http.post("/api/v1/accounts", json={"name": "harsh-one"}, headers=csrf)
    assert duplicate.status_code == 409
    bad = api.http.post(
        "/api/v1/accounts", json={"name": "x", "profile": "easy", "balance": -5}, headers=csrf
    )
    assert bad.status_code == 422
    message = bad.json()["message"]
    assert "'frictionless', 'realistic' or 'harsh'" in message and "balance" in message
    too_much = ("1000000000000.01", "less than or equal to 1000000000000")
    for balance, why in [("12345.678", "whole cents"), too_much]:
        refused = api.http.post(
            "/api/v1/accounts", json={"name": "y", "balance": balance}, headers=csrf
        )
        assert refused.status_code == 422 and why in refused.json()["message"], refused.text


def test_a_key_cannot_open_accounts_and_is_told_how_to(api: InProcess) -> None:
    key = api.key()
    response = api.http.post("/api/v1/accounts", json={"name": "more"}, headers=key.headers)
    assert response.status_code == 422
    assert "vtrade keys create" in response.json()["message"]
    listed = api.http.get("/api/v1/accounts", headers=key.headers).json()["accounts"]
    assert [a["id"] for a in listed] == [key.account_id]
    assert api.http.get("/api/v1/account", headers=key.headers).json()["id"] == key.account_id


def test_resetting_an_account_closes_positions_and_restores_the_balance(api: InProcess) -> None:
    key = api.key()
    base = f"/api/v1/accounts/{key.account_id}"
    api.http.post(
        f"{base}/orders", headers=key.headers, json={"symbol": "AAPL", "side": "buy", "qty": 50}
    )
    before = api.http.get(base, headers=key.headers).json()
    assert Decimal(before["cash"]) < 1_000_000 and Decimal(before["gross_exposure"]) > 0
    reset = api.http.post(f"{base}/reset", headers=key.headers)
    assert reset.status_code == 200
    after = reset.json()
    assert after["cash"] == "1000000.00" and after["gross_exposure"] == "0.00"
    assert api.http.get(f"{base}/positions", headers=key.headers).json()["positions"] == []
    portfolio = api.http.get(f"{base}/portfolio", headers=key.headers).json()
    assert portfolio["nav"] == "1000000.00" and portfolio["positions"] == []
    history = api.http.get(f"{base}/orders", headers=key.headers, params={"status": "all"})
    assert len(history.json()["orders"]) == 1  # the old life's orders stay in the history


def test_the_profile_applies_to_the_next_fills(api: InProcess) -> None:
    key = api.key()
    base = f"/api/v1/accounts/{key.account_id}"
    changed = api.http.put(f"{base}/profile", headers=key.headers, json={"profile": "frictionless"})
    assert changed.status_code == 200 and changed.json()["profile"] == "frictionless"
    order: dict[str, Any] = api.http.post(
        f"{base}/orders", headers=key.headers, json={"symbol": "AAPL", "side": "buy", "qty": 10}
    ).json()
    (fill,) = api.http.get(f"{base}/orders/{order['id']}/fills", headers=key.headers).json()[
        "fills"
    ]
    assert fill["profile"] == "frictionless" and fill["fee"] == "0"
    assert fill["receipt"]["avg_price"] == fill["receipt"]["arrival_mid"]
    bad = api.http.put(f"{base}/profile", headers=key.headers, json={"profile": "brutal"})
    assert bad.status_code == 422
    assert "'frictionless', 'realistic' or 'harsh'" in bad.json()["message"]


def test_account_rules_refuse_orders_and_show_in_the_alpaca_configuration(
    api: InProcess,
) -> None:
    key = api.key()
    base = f"/api/v1/accounts/{key.account_id}"
    order = {"symbol": "AAPL", "side": "sell", "qty": 5}
    ruled = api.http.put(f"{base}/rules", headers=key.headers, json={"no_shorting": True})
    assert ruled.status_code == 200
    assert ruled.json()["no_shorting"] is True and ruled.json()["trading_suspended"] is False
    short = api.http.post(f"{base}/orders", headers=key.headers, json=order)
    assert short.status_code == 403 and short.json()["details"]["rule"] == "no_shorting"
    api.http.put(f"{base}/rules", headers=key.headers, json={"trading_suspended": True})
    config = api.http.get("/v2/account/configurations", headers=key.headers).json()
    assert config["suspend_trade"] is True and config["no_shorting"] is True
    buy = api.http.post(f"{base}/orders", headers=key.headers, json={**order, "side": "buy"})
    assert buy.status_code == 403 and buy.json()["details"]["rule"] == "trading_suspended"
    bad = api.http.put(f"{base}/rules", headers=key.headers, json={"no_shorting": "maybe"})
    assert bad.status_code == 422
