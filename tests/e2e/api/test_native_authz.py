"""Every account-scoped native route refuses what is not the caller's with 404, never 403,
and a key reaches only the one account it is bound to."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from api_support import PASSWORD, InProcess, Key

# (method, path template, JSON body); {a}: account id, {o}: order id.
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/accounts/{a}", None),
    ("POST", "/api/v1/accounts/{a}/reset", None),
    ("PUT", "/api/v1/accounts/{a}/profile", {"profile": "harsh"}),
    ("PUT", "/api/v1/accounts/{a}/rules", {"trading_suspended": True}),
    ("POST", "/api/v1/accounts/{a}/orders", {"symbol": "AAPL", "side": "buy", "qty": 1}),
    ("GET", "/api/v1/accounts/{a}/orders", None),
    ("DELETE", "/api/v1/accounts/{a}/orders", None),
    ("GET", "/api/v1/accounts/{a}/orders/by_client_order_id?client_order_id=bob-1", None),
    ("GET", "/api/v1/accounts/{a}/orders/{o}", None),
    ("PATCH", "/api/v1/accounts/{a}/orders/{o}", {"qty": 2}),
    ("DELETE", "/api/v1/accounts/{a}/orders/{o}", None),
    ("GET", "/api/v1/accounts/{a}/orders/{o}/fills", None),
    ("GET", "/api/v1/accounts/{a}/fills", None),
    ("GET", "/api/v1/accounts/{a}/fills?order_id={o}", None),
    ("GET", "/api/v1/accounts/{a}/positions", None),
    ("GET", "/api/v1/accounts/{a}/positions/AAPL", None),
    ("GET", "/api/v1/accounts/{a}/portfolio", None),
    ("GET", "/api/v1/accounts/{a}/portfolio/history", None),
    ("GET", "/api/v1/accounts/{a}/portfolio/allocation", None),
    ("GET", "/api/v1/accounts/{a}/portfolio/metrics", None),
]


@pytest.fixture
def bob(api: InProcess) -> tuple[Key, str]:
    """Bob's key, with a position in AAPL and a resting order (client id bob-1)."""
    key = api.key("bob")
    base = f"/api/v1/accounts/{key.account_id}"
    api.http.post(
        f"{base}/orders", headers=key.headers, json={"symbol": "AAPL", "side": "buy", "qty": 10}
    )
    bid = Decimal(api.http.get("/api/v1/quotes/MSFT", headers=key.headers).json()["bid"])
    order = api.http.post(
        f"{base}/orders",
        headers=key.headers,
        json={
            "symbol": "MSFT",
            "side": "buy",
            "type": "limit",
            "qty": 1,
            "limit_price": str((bid * Decimal("0.97")).quantize(Decimal("0.01"))),
            "client_order_id": "bob-1",
        },
    ).json()
    assert order["status"] == "accepted"
    return key, order["id"]


def call(api: InProcess, method: str, path: str, body: Any, **headers: str) -> Any:
    return api.http.request(method, path, json=body, headers=headers)


def test_the_walk_covers_every_account_scoped_route(api: InProcess) -> None:
    spec = api.http.get("/openapi.json").json()["paths"]
    declared = {
        (method.upper(), path.replace("{account_id}", "{a}").replace("{order_id}", "{o}"))
        for path, ops in spec.items()
        if path.startswith("/api/v1/accounts/{account_id}")
        for method in ops
    }
    walked = {(m, p.split("?")[0].replace("/AAPL", "/{symbol}")) for m, p, _ in ROUTES}
    assert declared == walked


def test_another_users_account_answers_404_on_every_route(
    api: InProcess, bob: tuple[Key, str]
) -> None:
    bob_key, bob_order = bob
    alice = api.key("alice")
    for method, template, body in ROUTES:
        path = template.format(a=bob_key.account_id, o=bob_order)
        response = call(api, method, path, body, **alice.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["message"] == f"account {bob_key.account_id!r} not found"
    assert_untouched(api, bob_key, bob_order)


def test_another_users_order_is_404_through_your_own_account(
    api: InProcess, bob: tuple[Key, str]
) -> None:
    bob_key, bob_order = bob
    alice = api.key("alice")
    for method, template, body in ROUTES:
        if "{o}" not in template and "bob-1" not in template:
            continue
        path = template.format(a=alice.account_id, o=bob_order)
        response = call(api, method, path, body, **alice.headers)
        assert response.status_code == 404, (method, path, response.text)
    assert_untouched(api, bob_key, bob_order)


def test_a_key_cannot_reach_a_second_account_of_its_own_user(api: InProcess) -> None:
    main = api.key("alice", "main")
    side = api.key("alice", "side")
    api.http.post(
        f"/api/v1/accounts/{side.account_id}/orders",
        headers=side.headers,
        json={"symbol": "AAPL", "side": "buy", "qty": 1},
    )
    order_id = api.http.get(
        f"/api/v1/accounts/{side.account_id}/orders",
        headers=side.headers,
        params={"status": "all"},
    ).json()["orders"][0]["id"]
    for method, template, body in ROUTES:
        path = template.format(a=side.account_id, o=order_id)
        assert call(api, method, path, body, **main.headers).status_code == 404, (method, path)
    estimate = {"symbol": "AAPL", "side": "buy", "qty": 1, "account_id": side.account_id}
    response = api.http.post("/api/v1/estimate", headers=main.headers, json=estimate)
    assert response.status_code == 404
    assert (
        api.http.get("/api/v1/accounts", headers=main.headers).json()["accounts"][0]["id"]
        == main.account_id
    )


def test_a_session_reaches_all_its_users_accounts_and_no_one_elses(
    api: InProcess, bob: tuple[Key, str]
) -> None:
    bob_key, bob_order = bob
    main, side = api.key("alice", "main"), api.key("alice", "side")
    csrf = api.http.post("/api/v1/session", json={"name": "alice", "password": PASSWORD}).json()[
        "csrf_token"
    ]
    for account in (main.account_id, side.account_id):
        assert api.http.get(f"/api/v1/accounts/{account}/portfolio").status_code == 200
    for method, template, body in ROUTES:
        path = template.format(a=bob_key.account_id, o=bob_order)
        assert call(api, method, path, body, **{"X-CSRF-Token": csrf}).status_code == 404
    estimate = {"symbol": "AAPL", "side": "buy", "qty": 1, "account_id": bob_key.account_id}
    refused = api.http.post("/api/v1/estimate", json=estimate, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 404
    assert_untouched(api, bob_key, bob_order)


def assert_untouched(api: InProcess, bob: Key, order_id: str) -> None:
    base = f"/api/v1/accounts/{bob.account_id}"
    order = api.http.get(f"{base}/orders/{order_id}", headers=bob.headers).json()
    assert order["status"] == "accepted" and order["qty"] == "1"
    account = api.http.get(base, headers=bob.headers).json()
    assert account["profile"] == "realistic" and account["open_orders"] == 1
    positions = api.http.get(f"{base}/positions", headers=bob.headers).json()["positions"]
    assert [p["symbol"] for p in positions] == ["AAPL"]
