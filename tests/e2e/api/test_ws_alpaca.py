"""The Alpaca `trade_updates` stream on `/stream` and `/stream/`: the handshake exactly as the
SDKs expect it, binary JSON frames, trade updates with the REST order object, and alpaca-py's
own `TradingStream` receiving the fill of an order sent with `TradingClient`."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.models import TradeUpdate
from alpaca.trading.requests import MarketOrderRequest
from alpaca.trading.stream import TradingStream
from api_support import InProcess, Key, Live, receive_frame
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect


def frame(ws: WebSocketTestSession, timeout: float = 5.0) -> tuple[bool, dict[str, Any]]:
    """The next frame: (whether it was binary, its JSON); fail after `timeout` s."""
    message = receive_frame(ws, timeout)
    binary = message.get("bytes") is not None
    data: dict[str, Any] = json.loads(message["bytes"] if binary else message["text"])
    return binary, data


def authenticate(ws: WebSocketTestSession, key: Key) -> dict[str, Any]:
    ws.send_json(
        {"action": "authenticate", "data": {"key_id": key.key_id, "secret_key": key.secret}}
    )
    return frame(ws)[1]


def test_the_stream_answers_authenticate_then_listen_in_binary_frames_without_a_greeting(
    api: InProcess,
) -> None:
    key = api.key()
    with api.http.websocket_connect("/stream/") as ws:  # alpaca-trade-api adds the slash
        ws.send_json({"action": "listen", "data": {"streams": ["trade_updates"]}})
        binary, refused = frame(ws)  # the first frame answers our first message
        assert binary
        assert refused == {
            "stream": "authorization",
            "data": {"action": "listen", "status": "unauthorized"},
        }
        assert authenticate(ws, key) == {
            "stream": "authorization",
            "data": {"action": "authenticate", "status": "authorized"},
        }
        ws.send_json({"action": "listen", "data": {"streams": ["trade_updates"]}})
        assert frame(ws) == (True, {"stream": "listening", "data": {"streams": ["trade_updates"]}})
        ws.send_json({"action": "listen", "data": {"streams": []}})
        assert frame(ws)[1] == {"stream": "listening", "data": {"streams": []}}


def test_a_wrong_secret_is_answered_unauthorized_then_closed_with_1008(api: InProcess) -> None:
    key = api.key()
    with api.http.websocket_connect("/stream") as ws:
        ws.send_json({"action": "auth", "key": key.key_id, "secret": "x" * 40})
        assert frame(ws)[1]["data"] == {"action": "authenticate", "status": "unauthorized"}
        with pytest.raises(WebSocketDisconnect) as closed:
            frame(ws)
    assert closed.value.code == 1008 and closed.value.reason == "request is not authorized"


def test_a_replace_streams_replaced_for_the_old_order_then_new_for_the_replacement(
    api: InProcess,
) -> None:
    key = api.key()
    orders = f"/api/v1/accounts/{key.account_id}/orders"
    with api.http.websocket_connect("/stream") as ws:
        authenticate(ws, key)
        ws.send_json({"action": "listen", "data": {"streams": ["trade_updates"]}})
        frame(ws)
        old = api.http.post(
            orders,
            headers=key.headers,
            json={"symbol": "AAPL", "side": "buy", "qty": 2, "type": "limit", "limit_price": 1},
        ).json()
        api.step(1)
        new_old = frame(ws)[1]["data"]
        new = api.http.patch(
            f"{orders}/{old['id']}", headers=key.headers, json={"limit_price": 2}
        ).json()
        api.step(1)
        replaced, renewed = frame(ws)[1]["data"], frame(ws)[1]["data"]
    assert new_old["event"] == "new" and new_old["order"]["status"] == "new"
    assert replaced["event"] == "replaced" and replaced["order"]["id"] == old["id"]
    assert replaced["order"]["status"] == "replaced"
    assert replaced["order"]["replaced_by"] == new["id"]
    assert renewed["event"] == "new" and renewed["order"]["id"] == new["id"]
    assert renewed["order"]["replaces"] == old["id"] and renewed["order"]["limit_price"] == "2"
    for data in (new_old, replaced, renewed):
        TradeUpdate(**data)  # alpaca-py's model parses every one


def test_an_order_placed_while_its_market_is_closed_is_accepted_until_the_open(
    api: InProcess,
) -> None:
    """Alpaca's "accepted": received, not yet routed, "often outside trading hours"; at the
    open it is "new". A limit for extended hours works in the post-market: "new" at once;
    and one that met a session stays "new" through the night."""
    key = api.key()
    orders = f"/api/v1/accounts/{key.account_id}/orders"
    resting = {"symbol": "AAPL", "side": "buy", "qty": 2, "type": "limit", "limit_price": 1}
    working_since_day = api.http.post(
        orders, headers=key.headers, json={**resting, "time_in_force": "gtc"}
    ).json()
    api.step(7 * 3600)  # 22:00 UTC, 17:00 in New York: closed, but in the post-market
    routed = api.http.get(f"/v2/orders/{working_since_day['id']}", headers=key.headers).json()
    with api.http.websocket_connect("/stream") as ws:
        authenticate(ws, key)
        ws.send_json({"action": "listen", "data": {"streams": ["trade_updates"]}})
        frame(ws)
        waiting = api.http.post(orders, headers=key.headers, json=resting).json()
        api.step(1)
        accepted = frame(ws)[1]["data"]
        late = api.http.post(orders, headers=key.headers, json={**resting, "extended_hours": True})
        api.step(1)
        working = frame(ws)[1]["data"]
        queued = {"symbol": "MSFT", "side": "buy", "qty": 1, "type": "market"}
        market = api.http.post(orders, headers=key.headers, json=queued).json()
        api.step(1)
        frame(ws)  # its "accepted"
        before = api.http.get(f"/v2/orders/{waiting['id']}", headers=key.headers).json()
        api.step(16 * 3600 + 1800)  # 14:30 UTC: the next regular session
        overnight = [frame(ws)[1]["data"] for _ in range(4)]  # expired, new, new, fill
    after = api.http.get(f"/v2/orders/{waiting['id']}", headers=key.headers).json()

    assert routed["status"] == "new"  # it met the session: a close does not unroute it
    assert accepted["event"] == "accepted" and accepted["order"]["status"] == "accepted"
    assert before["status"] == "accepted"
    assert working["event"] == "new" and working["order"]["id"] == late.json()["id"]
    assert working["order"]["status"] == "new"
    assert after["status"] == "new" and after["filled_qty"] == "0"
    seen = [(u["event"], u["order"]["id"]) for u in overnight]
    assert seen[0] == ("expired", late.json()["id"])  # the extended-hours day order, at 01:00
    # routed at the open, at its instant: "new", and the market order's fill after it
    assert sorted(seen[1:]) == sorted(
        [("new", waiting["id"]), ("new", market["id"]), ("fill", market["id"])]
    )
    assert seen.index(("new", market["id"])) < seen.index(("fill", market["id"]))
    news = [u for u in overnight if u["event"] == "new"]
    assert {u["timestamp"] for u in news} == {"2026-11-19T14:30:00Z"}
    # the order as it stood when routed: its fill in the same commit is not in it yet
    assert {(u["order"]["status"], u["order"]["filled_qty"]) for u in news} == {("new", "0")}
    for data in overnight:
        TradeUpdate(**data)


def test_alpaca_py_trading_stream_receives_the_fill_of_an_order_sent_with_trading_client(
    live: Live,
) -> None:
    key = live.key()
    updates: list[TradeUpdate] = []
    filled = threading.Event()

    async def on_update(update: TradeUpdate) -> None:
        updates.append(update)
        if update.event == "fill":
            filled.set()

    stream = TradingStream(
        key.key_id, key.secret, paper=True, url_override=f"ws{live.base_url[4:]}/stream"
    )
    stream.subscribe_trade_updates(on_update)
    runner = threading.Thread(target=stream.run, daemon=True)
    runner.start()
    try:
        deadline = time.monotonic() + 15
        while _listeners(live, key) == 0:  # listening: the order's events will reach it
            assert time.monotonic() < deadline, "TradingStream never listened"
            time.sleep(0.02)
        trading = TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)
        order = trading.submit_order(
            MarketOrderRequest(
                symbol="AAPL", qty=3, side=OrderSide.BUY, time_in_force=TimeInForce.DAY
            )
        )
        assert filled.wait(15), f"no fill trade update; got {[u.event for u in updates]}"
    finally:
        stream.stop()
        runner.join(15)
    fill = next(u for u in updates if u.event == "fill")
    assert [u.event for u in updates] == ["new", "fill"]
    assert fill.order.id == order.id and fill.order.status == "filled"
    assert fill.qty == 3 and fill.position_qty == 3 and fill.price and fill.price > 0
    assert fill.execution_id is not None and fill.order.filled_qty == "3"


def _listeners(live: Live, key: Key) -> int:
    gateway = live.state.extras.get("gateway")
    return 0 if gateway is None else gateway.subscribers("orders", key.account_id)  # type: ignore[attr-defined]
