"""The `alerts` channel after an account reset. An alert fires when its condition flips and
says so again (`active: false`) when it clears (selling down to fewer groups does), and a
dashboard has no other source for it: no REST route lists alerts. A reset that closes every
position clears the `diversified` condition, so the stream must say it ended."""

from __future__ import annotations

import json
from typing import Any

from api_support import InProcess, receive_frame
from starlette.testclient import WebSocketTestSession

WS = "/api/v1/ws"
SEVEN_GROUPS = ["AAPL", "JPM", "XOM", "BTC-USD", "GLD", "JNJ", "EUR/USD"]


def _messages(ws: WebSocketTestSession, timeout: float = 0.5) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while True:
        try:
            seen.append(json.loads(receive_frame(ws, timeout)["text"]))
        except TimeoutError:
            return seen


def _alerts(messages: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    return [
        (m["data"]["kind"], m["data"]["active"]) for m in messages if m.get("channel") == "alerts"
    ]


def test_a_reset_ends_the_diversified_alert_on_the_stream(api: InProcess) -> None:
    key = api.key()
    base = f"/api/v1/accounts/{key.account_id}"
    with api.http.websocket_connect(WS, headers=key.headers) as ws:
        _messages(ws)
        ws.send_json({"action": "subscribe", "channels": ["alerts"]})
        _messages(ws)
        for symbol in SEVEN_GROUPS:
            qty = "1000" if symbol == "EUR/USD" else "1"
            placed = api.http.post(
                f"{base}/orders",
                headers=key.headers,
                json={"symbol": symbol, "side": "buy", "qty": qty},
            )
            assert placed.status_code == 201, placed.text
        api.step(1)
        api.step(1)
        assert _alerts(_messages(ws)) == [("diversified", True)]
        reset = api.http.post(f"{base}/reset", headers=key.headers)
        assert reset.status_code == 200 and reset.json()["gross_exposure"] == "0.00"
        api.step(1)
        api.step(1)
        after = _alerts(_messages(ws))
    # (session 21's native review found nothing: a dashboard kept showing "7 sectors and
    # categories held" for an account that holds nothing)
    assert after == [("diversified", False)]
