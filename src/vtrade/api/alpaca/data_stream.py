"""Alpaca's market-data WebSocket paths (`/v2/{feed}`, `/v1beta3/crypto/{location}`,
`/v1beta1/{feed}`), answered with a clean refusal: vtrade streams no live market data there.

alpaca-py's `StockDataStream` (and its crypto, option and news streams) otherwise met a 403
handshake and reconnected for ever, as if its keys were wrong. Here it is greeted as Alpaca
greets it, and its sign-in is answered with Alpaca's "insufficient subscription" error,
the one reply on which the SDK stops instead of retrying, saying where live prices are.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgpack
import orjson
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

router = APIRouter()
NO_SUBSCRIPTION = 409  # Alpaca's code for a feed the account may not stream
REFUSAL = (
    "insufficient subscription: vtrade serves no live market-data stream; poll "
    "GET /v2/stocks/{symbol}/quotes/latest (or /v1beta3/crypto/us/latest/quotes), or subscribe "
    'to "quotes" on the native WebSocket /api/v1/ws'
)
SIGN_IN_WAIT_S = 10.0  # a client that never signs in is closed then, as Alpaca does


@router.websocket("/v2/{feed}")
@router.websocket("/v1beta1/{feed}")
@router.websocket("/v1beta3/crypto/{location}")
async def market_data_stream(websocket: WebSocket) -> None:
    """Greet the client, answer its first message with the refusal, and close."""
    packed = "msgpack" in websocket.headers.get("content-type", "")
    await websocket.accept()
    await _send(websocket, [{"T": "success", "msg": "connected"}], packed)
    try:  # its sign-in, whatever it says: nothing is streamed
        message = await asyncio.wait_for(websocket.receive(), SIGN_IN_WAIT_S)
    except (TimeoutError, WebSocketDisconnect):
        message = {"type": "websocket.disconnect"}
    if message["type"] == "websocket.disconnect":
        await _close(websocket)
        return
    await _send(websocket, [{"T": "error", "code": NO_SUBSCRIPTION, "msg": REFUSAL}], packed)
    await _close(websocket)


async def _close(websocket: WebSocket) -> None:
    try:
        await websocket.close()
    except RuntimeError:  # the client left first: nothing to close
        pass


async def _send(websocket: WebSocket, message: list[dict[str, Any]], packed: bool) -> None:
    """As the client asked: msgpack in binary frames (alpaca-py), else JSON in text ones."""
    if packed:
        await websocket.send_bytes(msgpack.packb(message))
    else:
        await websocket.send_text(orjson.dumps(message).decode())
