"""The native WebSocket `/api/v1/ws` in-process: authentication, portfolio deltas, order and
fill updates with receipts, account isolation, quotes and books for chosen symbols."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_support import PASSWORD, InProcess, Key, receive_frame
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

WS = "/api/v1/ws"


def next_message(ws: WebSocketTestSession, timeout: float = 5.0) -> dict[str, Any]:
    """The next message, or a failure after `timeout` s."""
    data: dict[str, Any] = json.loads(receive_frame(ws, timeout)["text"])
    return data


def until(ws: WebSocketTestSession, wanted: dict[str, Any], limit: int = 50) -> dict[str, Any]:
    """Read messages until one has every key/value of `wanted`; return it."""
    for _ in range(limit):
        message = next_message(ws)
        if all(message.get(k) == v for k, v in wanted.items()):
            return message
    raise AssertionError(f"no message like {wanted} in {limit} messages")


def buy(api: InProcess, key: Key, symbol: str = "AAPL", qty: int = 10) -> dict[str, Any]:
    response = api.http.post(
        f"/api/v1/accounts/{key.account_id}/orders",
        headers=key.headers,
        json={"symbol": symbol, "side": "buy", "qty": qty},
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


def test_a_wrong_key_on_the_handshake_gets_an_error_then_a_close_1008_with_the_reason(
    api: InProcess,
) -> None:
    key = api.key()
    wrong = {**key.headers, "APCA-API-SECRET-KEY": "x" * 40}
    with api.http.websocket_connect(WS, headers=wrong) as ws:
        assert next_message(ws)["error"]["code"] == 40100
        with pytest.raises(WebSocketDisconnect) as closed:
            next_message(ws)
    assert closed.value.code == 1008
    assert closed.value.reason == "wrong or revoked API key id or secret"


def test_a_browser_authenticates_with_its_first_message_and_anything_else_first_is_refused(
    api: InProcess,
) -> None:
    key = api.key()
    with api.http.websocket_connect(WS) as ws:
        ws.send_json({"action": "auth", "key_id": key.key_id, "secret": key.secret})
        ack = next_message(ws)
        assert ack == {"ack": "auth", "user_id": ack["user_id"], "account_id": key.account_id}
        ws.send_json({"action": "ping"})
        assert next_message(ws)["ack"] == "pong"
    with api.http.websocket_connect(WS) as ws:
        ws.send_json({"action": "subscribe", "channels": ["portfolio"]})
        error = next_message(ws)["error"]
        assert error["code"] == 40100 and "authenticate first" in error["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            next_message(ws)
    assert closed.value.code == 1008 and closed.value.reason.startswith("authenticate first")


def test_a_session_cookie_authenticates_the_handshake_but_not_from_a_foreign_origin(
    api: InProcess,
) -> None:
    api.key("carol")
    signed_in = api.http.post("/api/v1/session", json={"name": "carol", "password": PASSWORD})
    assert signed_in.status_code in (200, 201), signed_in.text
    with api.http.websocket_connect(WS) as ws:
        assert next_message(ws)["ack"] == "auth"
    with api.http.websocket_connect(WS, headers={"Origin": "https://evil.example"}) as ws:
        assert "cross-site" in next_message(ws)["error"]["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            next_message(ws)
    assert closed.value.code == 1008


def test_portfolio_subscribers_get_a_snapshot_then_a_delta_once_an_order_fills(
    api: InProcess,
) -> None:
    key = api.key()
    with api.http.websocket_connect(WS, headers=key.headers) as ws:
        assert next_message(ws)["ack"] == "auth"
        ws.send_json({"action": "subscribe", "channels": ["portfolio"]})
        ack = next_message(ws)
        assert ack["ack"] == "subscribe" and ack["account_id"] == key.account_id
        snapshot = next_message(ws)
        assert snapshot["channel"] == "portfolio" and snapshot["snapshot"] is True
        assert float(snapshot["data"]["nav"]) == 1_000_000
        assert float(snapshot["data"]["gross_exposure"]) == 0
        buy(api, key)
        api.step(1)
        delta = until(ws, {"channel": "portfolio", "snapshot": False})
    assert delta["account_id"] == key.account_id
    assert delta["version"] > snapshot["version"]
    assert float(delta["data"]["gross_exposure"]) > 0
    assert float(delta["data"]["cash"]) < 1_000_000


def test_order_updates_arrive_in_order_and_the_fill_carries_its_receipt(api: InProcess) -> None:
    key = api.key()
    with api.http.websocket_connect(WS, headers=key.headers) as ws:
        next_message(ws)
        ws.send_json({"action": "subscribe", "channels": ["orders"], "account_id": key.account_id})
        next_message(ws)
        order = buy(api, key, qty=5)
        api.step(1)
        accepted = next_message(ws)
        fill = until(ws, {"channel": "orders", "event": "fill"})
    assert accepted["event"] == "accepted" and accepted["data"]["order"]["id"] == order["id"]
    assert accepted["data"]["order"]["status"] == "accepted"
    assert accepted["data"]["order"]["filled_qty"] == "0"
    data = fill["data"]
    assert data["order"]["status"] == "filled" and data["order"]["filled_qty"] == "5"
    assert data["fill"]["order_id"] == order["id"] and data["fill"]["qty"] == "5"
    receipt = data["fill"]["receipt"]
    assert {"arrival_mid", "spread_cost", "impact_cost", "fees", "slices"} <= receipt.keys()
    assert receipt["profile"] == "realistic"


def test_a_client_cannot_subscribe_to_another_users_account(api: InProcess) -> None:
    alice, bob = api.key("alice"), api.key("bob")
    with api.http.websocket_connect(WS, headers=alice.headers) as ws:
        next_message(ws)
        ws.send_json({"action": "subscribe", "channels": ["orders"], "account_id": bob.account_id})
        error = next_message(ws)["error"]
        assert error["code"] == 40410
        buy(api, bob)
        api.step(1)
        ws.send_json({"action": "ping"})
        assert next_message(ws)["ack"] == "pong"  # nothing of bob's came before it
    gateway = api.state.extras["gateway"]
    assert gateway.subscribers("orders", bob.account_id) == 0  # type: ignore[attr-defined]


def test_bad_messages_get_errors_that_say_what_is_allowed_and_keep_the_connection(
    api: InProcess,
) -> None:
    key = api.key()
    with api.http.websocket_connect(WS, headers=key.headers) as ws:
        next_message(ws)
        ws.send_text("not json")
        assert next_message(ws)["error"]["code"] == 42210
        ws.send_json({"action": "dance"})
        assert "allowed: auth, subscribe" in next_message(ws)["error"]["message"]
        ws.send_json({"action": "subscribe", "channels": ["gossip"]})
        assert "unknown channel 'gossip'" in next_message(ws)["error"]["message"]
        ws.send_json({"action": "subscribe", "channels": ["quotes"], "symbols": ["NOPE"]})
        error = next_message(ws)["error"]
        assert error["code"] == 40410 and "unknown symbol 'NOPE'" in error["message"]
        ws.send_json({"action": "subscribe", "channels": ["quotes"]})
        assert "need symbols" in next_message(ws)["error"]["message"]
        ws.send_json({"action": "ping"})
        assert next_message(ws)["ack"] == "pong"


def test_quotes_and_books_come_for_the_chosen_symbols_only_and_when_they_change(
    api: InProcess,
) -> None:
    key = api.key()
    with api.http.websocket_connect(WS, headers=key.headers) as ws:
        next_message(ws)
        ws.send_json(
            {"action": "subscribe", "channels": ["quotes", "book"], "symbols": ["aapl", "MSFT"]}
        )
        ack = next_message(ws)
        assert ack["symbols"] == ["AAPL", "MSFT"] and ack["channels"] == ["quotes", "book"]
        first = [next_message(ws) for _ in range(4)]
        assert {(m["channel"], m["symbol"]) for m in first} == {
            ("quotes", "AAPL"),
            ("quotes", "MSFT"),
            ("book", "AAPL"),
            ("book", "MSFT"),
        }
        quote = next(m for m in first if m["channel"] == "quotes")["data"]
        assert float(quote["bid"]) < float(quote["ask"])
        book = next(m for m in first if m["channel"] == "book")["data"]
        assert len(book["bids"]) == 10 and book["bids"][0]["price"] >= book["bids"][1]["price"]
        api.step(30)
        moved = until(ws, {"channel": "quotes", "symbol": "AAPL"})
        assert moved["data"]["ts"] > quote["ts"] or moved["data"] != quote
        ws.send_json({"action": "unsubscribe", "channels": ["quotes", "book"], "symbols": ["MSFT"]})
        until(ws, {"ack": "unsubscribe"})
    gateway = api.state.extras["gateway"]
    assert gateway.subscribers("quotes", "MSFT") == 0  # type: ignore[attr-defined]


def test_an_unsubscribe_names_only_your_accounts_and_no_message_takes_unknown_keys(
    api: InProcess,
) -> None:
    alice, bob = api.key("alice"), api.key("bob")
    with api.http.websocket_connect(WS, headers=alice.headers) as ws:
        next_message(ws)
        ws.send_json(
            {"action": "unsubscribe", "channels": ["orders"], "account_id": bob.account_id}
        )
        assert next_message(ws)["error"]["code"] == 40410
        ws.send_json({"action": "subscribe", "channels": ["orders"], "extra": 1})
        error = next_message(ws)["error"]
        assert error["code"] == 42210 and "unknown key 'extra'" in error["message"]
        ws.send_json({"action": "subscribe", "channels": ["orders"]})
        assert next_message(ws)["ack"] == "subscribe"
