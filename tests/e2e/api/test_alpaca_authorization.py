"""Alpaca `/v2` errors and authorization: every error is `{"code", "message"}` as alpaca-py
parses it, and other users' orders, positions and watchlists answer 404, never 403."""

from __future__ import annotations

from typing import Any

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from api_support import InProcess, Key, Live

ORDER = {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}


def resting_order(api: InProcess, key: Key, **extra: Any) -> dict[str, Any]:
    price = api.container.market.quote("AAPL", api.clock.now_ns()).mid * 97 / 100
    body = {**ORDER, "type": "limit", "time_in_force": "gtc", "limit_price": f"{price:.2f}"}
    response = api.http.post("/v2/orders", headers=key.headers, json={**body, **extra})
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


def test_alpaca_py_reads_code_and_message_of_a_401(live: Live) -> None:
    key = live.key()
    client = TradingClient(key.key_id, "x" * 40, paper=True, url_override=live.base_url)
    with pytest.raises(APIError) as refused:
        client.get_account()
    assert refused.value.status_code == 401 and refused.value.code == 40110000
    assert refused.value.message


def test_unknown_and_malformed_order_ids_answer_404(live: Live) -> None:
    key = live.key()
    client = TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)
    for wrong in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        with pytest.raises(APIError) as missing:
            client.get("/orders/" + wrong)
        assert missing.value.status_code == 404 and missing.value.code == 40410000
    with pytest.raises(APIError) as by_client_id:
        client.get_order_by_client_id("never-used")
    assert by_client_id.value.status_code == 404


def test_bad_query_values_answer_422_in_alpaca_shape(api: InProcess) -> None:
    key = api.key()
    for path in (
        "/v2/orders?limit=9999",
        "/v2/orders?status=sideways",
        "/v2/orders?after=yesterday",
        "/v2/calendar?start=2026-13-01",
        "/v2/account/portfolio/history?period=forever",
        "/v2/account/activities?activity_types=NOPE",
        "/v2/stocks/bars?symbols=AAPL&timeframe=61Min",
    ):
        response = api.http.get(path, headers=key.headers)
        assert response.status_code == 422, path
        body = response.json()
        assert set(body) >= {"code", "message"} and body["code"] == 40010001, path


def test_cancel_answers_204_with_an_empty_body(api: InProcess) -> None:
    key = api.key()
    order = resting_order(api, key)
    response = api.http.delete(f"/v2/orders/{order['id']}", headers=key.headers)
    assert response.status_code == 204 and response.content == b""


def test_another_users_order_is_not_found_by_any_route(api: InProcess) -> None:
    alice, bob = api.key("alice"), api.key("bob")
    order = resting_order(api, alice, client_order_id="alice-1")
    oid = order["id"]
    answers = [
        api.http.get(f"/v2/orders/{oid}", headers=bob.headers),
        api.http.patch(f"/v2/orders/{oid}", headers=bob.headers, json={"qty": 2}),
        api.http.delete(f"/v2/orders/{oid}", headers=bob.headers),
        api.http.get(
            "/v2/orders:by_client_order_id",
            params={"client_order_id": "alice-1"},
            headers=bob.headers,
        ),
    ]
    assert [r.status_code for r in answers] == [404] * 4
    assert {r.json()["code"] for r in answers} == {40410000}
    assert api.http.get("/v2/orders", headers=bob.headers).json() == []
    assert api.http.delete("/v2/orders", headers=bob.headers).json() == []
    still = api.http.get(f"/v2/orders/{oid}", headers=alice.headers).json()
    assert still["status"] == "new"


def test_another_users_position_is_not_found_and_not_closed(api: InProcess) -> None:
    alice, bob = api.key("alice"), api.key("bob")
    assert api.http.post("/v2/orders", headers=alice.headers, json=ORDER).status_code == 200
    mine = api.http.get("/v2/positions/AAPL", headers=alice.headers).json()
    for path in ("/v2/positions/AAPL", f"/v2/positions/{mine['asset_id']}"):
        assert api.http.get(path, headers=bob.headers).status_code == 404
        assert api.http.delete(path, headers=bob.headers).status_code == 404
    assert api.http.get("/v2/positions", headers=bob.headers).json() == []
    assert api.http.delete("/v2/positions", headers=bob.headers).json() == []
    assert api.http.get("/v2/positions/AAPL", headers=alice.headers).json()["qty"] == "1"


def test_another_users_watchlist_is_not_found_by_id_or_name(api: InProcess) -> None:
    alice, bob = api.key("alice"), api.key("bob")
    made = api.http.post(
        "/v2/watchlists", headers=alice.headers, json={"name": "mine", "symbols": ["AAPL"]}
    ).json()
    wid = made["id"]
    answers = [
        api.http.get(f"/v2/watchlists/{wid}", headers=bob.headers),
        api.http.put(f"/v2/watchlists/{wid}", headers=bob.headers, json={"name": "x"}),
        api.http.post(f"/v2/watchlists/{wid}", headers=bob.headers, json={"symbol": "MSFT"}),
        api.http.delete(f"/v2/watchlists/{wid}/AAPL", headers=bob.headers),
        api.http.delete(f"/v2/watchlists/{wid}", headers=bob.headers),
        api.http.get("/v2/watchlists:by_name", params={"name": "mine"}, headers=bob.headers),
    ]
    assert [r.status_code for r in answers] == [404] * 6
    assert api.http.get("/v2/watchlists", headers=bob.headers).json() == []
    mine = api.http.get(f"/v2/watchlists/{wid}", headers=alice.headers).json()
    assert mine["name"] == "mine" and [a["symbol"] for a in mine["assets"]] == ["AAPL"]


def test_accounts_activities_and_configurations_are_each_users_own(api: InProcess) -> None:
    alice, bob = api.key("alice"), api.key("bob")
    assert api.http.post("/v2/orders", headers=alice.headers, json=ORDER).status_code == 200
    api.http.patch("/v2/account/configurations", headers=alice.headers, json={"no_shorting": True})
    theirs = api.http.get("/v2/account", headers=bob.headers).json()
    assert theirs["id"] == bob.account_id != alice.account_id
    fills = api.http.get("/v2/account/activities/FILL", headers=bob.headers).json()
    assert fills == []
    config = api.http.get("/v2/account/configurations", headers=bob.headers).json()
    assert config["no_shorting"] is False
