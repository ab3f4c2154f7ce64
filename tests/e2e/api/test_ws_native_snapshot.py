"""The `portfolio` channel's snapshot on subscribing is the account as it stands: after an
order's 201 (its fill committed), a dashboard that subscribes gets the figures
GET /api/v1/accounts/{id}/portfolio gives at that moment (which waits for the committed
events: "a read right after an order's answer must show its fill"), not those from before
the fill under the newest version number."""

from __future__ import annotations

import json
from typing import Any

from api_support import InProcess, receive_frame

WS = "/api/v1/ws"


def test_the_snapshot_after_an_acknowledged_fill_shows_the_fill(api: InProcess) -> None:
    key = api.key()
    placed = api.http.post(
        f"/api/v1/accounts/{key.account_id}/orders",
        headers=key.headers,
        json={"symbol": "AAPL", "side": "buy", "qty": 100},
    )
    assert placed.status_code == 201 and placed.json()["status"] == "filled"
    with api.http.websocket_connect(WS, headers=key.headers) as ws:
        receive_frame(ws)  # the auth ack
        ws.send_json({"action": "subscribe", "channels": ["portfolio"]})
        receive_frame(ws)  # the subscribe ack
        snapshot: dict[str, Any] = json.loads(receive_frame(ws)["text"])
    rest = api.http.get(f"/api/v1/accounts/{key.account_id}/portfolio", headers=key.headers).json()
    assert snapshot["snapshot"] is True
    assert float(rest["cash"]) < 1_000_000 - 27_000  # 100 AAPL at about 271.4 and the fee
    # (found: the snapshot said cash 1000000.00, gross_exposure 0.00: as before the buy)
    assert snapshot["data"]["cash"] == rest["cash"]
    assert snapshot["data"]["gross_exposure"] == rest["gross_exposure"]
