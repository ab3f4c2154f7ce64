"""The Alpaca `trade_updates` WebSocket on `/stream` and `/stream/` (alpaca-compat.md §9).

alpaca-py's `TradingStream(key, secret, url_override="ws://HOST/stream")` and
alpaca-trade-api's `Stream` (which appends a slash) connect unchanged. The server sends no
greeting; the client authenticates with `{"action": "authenticate", "data": {"key_id",
"secret_key"}}` (or `{"action": "auth", "key", "secret"}`), is answered `authorized` or
`unauthorized` (then closed with 1008), and `listen`s to `trade_updates`. Every frame we send
is UTF-8 JSON in a binary frame, as Alpaca's paper stream does; both SDKs `json.loads` it.
Each order event of the key's account becomes a `trade_updates` message with the order as
REST shows it just after the event (`new`; `accepted` for an order that waits for its market,
queued for the next open or placed while its session is closed, then `new` when the market
opens and it is routed; `partial_fill`/`fill` with price, qty and position_qty, `canceled`,
`expired`, `rejected`, `replaced` then `new` for the replacement). MessagePack is not offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket

from vtrade.api.alpaca.schemas import avg_price, dec, known_instrument, order_json
from vtrade.api.auth import Caller, account_of, key_caller
from vtrade.api.gateway.channels import ORDERS
from vtrade.api.gateway.client import POLICY_VIOLATION, Client
from vtrade.api.gateway.hub import Gateway, gateway_of
from vtrade.api.gateway.orders import OrderUpdate
from vtrade.api.gateway.receive import auth_deadline, receive_within
from vtrade.api.inputs import nul_at
from vtrade.core.clock import iso
from vtrade.core.errors import AuthenticationError, VtradeError
from vtrade.domain import events as ev
from vtrade.domain.orders import OrderStatus

router = APIRouter()
TRADE_UPDATES = "trade_updates"
UNAUTHORIZED = "request is not authorized"


@router.websocket("/stream")
@router.websocket("/stream/")
async def trade_updates(websocket: WebSocket) -> None:
    """Serve one Alpaca trading-stream client."""
    gateway = gateway_of(websocket)
    await websocket.accept()
    client = gateway.connect(websocket, encode)
    try:
        await _serve(websocket, gateway, client)
        await client.finished()
    finally:
        gateway.disconnect(client)


async def _serve(websocket: WebSocket, gateway: Gateway, client: Client) -> None:
    deadline = auth_deadline()
    while client.open:
        message = await receive_within(websocket, client, deadline)
        if message is None:
            client.close(POLICY_VIOLATION, "authentication timed out")
            return
        if message["type"] == "websocket.disconnect":
            return
        msg = _parse(message)
        action = msg.get("action") if msg is not None else None
        data = msg.get("data") if msg is not None else None
        data = data if isinstance(data, dict) else {}
        if msg is None:
            client.send(_frame("error", {"error": "invalid syntax: send a JSON object"}))
        elif action in ("authenticate", "auth"):
            await _authenticate(websocket, gateway, client, msg, data)
        elif action == "listen":
            _listen(gateway, client, data)
        else:
            error = f"unknown action {action!r}: use authenticate or listen"
            client.send(_frame("error", {"error": error}))


async def _authenticate(
    websocket: WebSocket,
    gateway: Gateway,
    client: Client,
    msg: dict[str, Any],
    data: dict[str, Any],
) -> None:
    key_id = data.get("key_id", msg.get("key"))
    secret = data.get("secret_key", msg.get("secret"))
    try:
        who = await key_caller(websocket, key_id, secret)
        account = account_of(websocket, who).id
    except VtradeError as exc:
        reason = UNAUTHORIZED if isinstance(exc, AuthenticationError) else exc.message
        client.send(_frame("authorization", {"action": "authenticate", "status": "unauthorized"}))
        client.close(POLICY_VIOLATION, reason)
        return
    if client.who is not None and client.who != who:
        gateway.forget(client)  # another key: its listens start again
    client.who = who
    client.account = account
    client.send(_frame("authorization", {"action": "authenticate", "status": "authorized"}))


def _listen(gateway: Gateway, client: Client, data: dict[str, Any]) -> None:
    who: Caller | None = client.who
    if who is None:
        client.send(_frame("authorization", {"action": "listen", "status": "unauthorized"}))
        return
    streams = data.get("streams")
    if not isinstance(streams, list):
        client.send(_frame("listening", {"streams": [], "error": "streams must be a list"}))
        return
    account = client.account
    assert account is not None  # set with `who`
    if TRADE_UPDATES in streams:
        gateway.subscribe(client, ORDERS, account)
    else:
        gateway.unsubscribe(client, ORDERS, account)
    listening = [TRADE_UPDATES] if TRADE_UPDATES in streams else []
    client.send(_frame("listening", {"streams": listening}))


def _parse(message: Mapping[str, Any]) -> dict[str, Any] | None:
    raw = message.get("text")
    if raw is None:
        raw = message.get("bytes") or b""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) and nul_at(data) is None else None


def _frame(stream: str, data: dict[str, Any]) -> bytes:
    return orjson.dumps({"stream": stream, "data": data})


# -- encoding (once per event, shared by every Alpaca client) ---------------------------------


def encode(channel: str, update: object) -> bytes | None:
    """Render an order update as a `trade_updates` message (binary frame)."""
    if channel != ORDERS or not isinstance(update, OrderUpdate):
        return None
    event = update.event
    data: dict[str, Any] = {
        "event": _event_name(update),
        "timestamp": iso(event.ts_event),
        "order": order_json(update.order, update.container.catalog),
    }
    if isinstance(event, ev.OrderFilled):
        inst = known_instrument(update.container.catalog, update.order.symbol)
        data.update(
            execution_id=event.fill_id,
            price=avg_price(event.price, inst),
            qty=dec(event.qty),
            position_qty=dec(event.position_qty) or "0",
        )
    return _frame(TRADE_UPDATES, data)


def _event_name(update: OrderUpdate) -> str:
    event = update.event
    if isinstance(event, ev.OrderAccepted):  # Alpaca's accepted: received, not yet routed
        return "accepted" if event.status == OrderStatus.PENDING_OPEN.value else "new"
    if isinstance(event, ev.OrderRouted):  # routed at its market's open
        return "new"
    return update.kind
