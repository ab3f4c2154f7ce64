"""`/api/v1/ws` after the credentials it authenticated with have ended: a signed-out session
(DELETE /api/v1/session) or a revoked key ("stops working ... at once when revoked through
the server") no longer streams the account's orders nor takes new subscriptions: the server
closes the connection with 1008 (found in session 21's native review: it went on)."""

from __future__ import annotations

import json
from typing import Any

from api_support import PASSWORD, InProcess, receive_frame
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

WS = "/api/v1/ws"


def _messages(ws: WebSocketTestSession, timeout: float = 1.0) -> list[dict[str, Any]]:
    """Every message that arrives until `timeout` s pass without one, or the close."""
    seen: list[dict[str, Any]] = []
    while True:
        try:
            seen.append(json.loads(receive_frame(ws, timeout)["text"]))
        except (TimeoutError, WebSocketDisconnect):
            return seen


def _buy_one_and_listen(
    api: InProcess, ws: WebSocketTestSession, account_id: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    """Buy 1 AAPL on the account over REST, step the market, and collect what `ws` gets."""
    placed = api.http.post(
        f"/api/v1/accounts/{account_id}/orders",
        headers=headers,
        json={"symbol": "AAPL", "side": "buy", "qty": 1},
    )
    assert placed.status_code == 201
    api.step(1)
    return _messages(ws)


def _order_events(messages: list[dict[str, Any]]) -> list[str]:
    return [m["event"] for m in messages if m.get("channel") == "orders"]


def test_a_signed_out_session_stops_streaming_and_subscribing(api: InProcess) -> None:
    key = api.key("carol")
    signed_in = api.http.post("/api/v1/session", json={"name": "carol", "password": PASSWORD})
    assert signed_in.status_code == 201, signed_in.text
    csrf = signed_in.json()["csrf_token"]
    with api.http.websocket_connect(WS) as ws:  # the session cookie authenticates it
        assert _messages(ws)[0]["ack"] == "auth"
        ws.send_json({"action": "subscribe", "channels": ["orders"], "account_id": key.account_id})
        assert _messages(ws)[0]["ack"] == "subscribe"
        ended = api.http.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
        assert ended.status_code == 204
        assert api.http.get("/api/v1/me").status_code == 401  # REST knows at once
        after = _buy_one_and_listen(api, ws, key.account_id, key.headers)
        ws.send_json(
            {"action": "subscribe", "channels": ["portfolio"], "account_id": key.account_id}
        )
        later = _messages(ws)
    # (found: the order's accepted and fill events still arrived, and the new subscription
    # was acknowledged with a portfolio snapshot)
    assert _order_events(after) == []
    assert not any(m.get("ack") == "subscribe" for m in later)
    assert not any(m.get("channel") == "portfolio" for m in later)


def test_a_key_revoked_through_the_server_stops_streaming(api: InProcess) -> None:
    key = api.key()
    with api.http.websocket_connect(WS, headers=key.headers) as ws:
        assert _messages(ws)[0]["ack"] == "auth"
        ws.send_json({"action": "subscribe", "channels": ["orders"]})
        assert _messages(ws)[0]["ack"] == "subscribe"
        api.container.identity.revoke_key(key.key_id)
        assert api.http.get("/api/v1/account", headers=key.headers).status_code == 401
        other = api.key()  # a second key of the same account places an order
        after = _buy_one_and_listen(api, ws, key.account_id, other.headers)
    assert _order_events(after) == []  # (found: ['accepted', 'fill'])
