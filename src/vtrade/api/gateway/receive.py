"""Reading from a client that has a deadline to authenticate."""

from __future__ import annotations

import asyncio

from starlette.types import Message
from starlette.websockets import WebSocket

from vtrade.api.gateway.client import Client

AUTH_TIMEOUT_S = 10.0


async def receive_within(websocket: WebSocket, client: Client, deadline: float) -> Message | None:
    """The next message; None once `deadline` (loop time) passes before the client has
    authenticated. An authenticated client may stay silent as long as it likes."""
    if client.who is not None:
        return await websocket.receive()
    try:
        remaining = deadline - asyncio.get_running_loop().time()
        return await asyncio.wait_for(websocket.receive(), remaining)
    except TimeoutError:
        return None


def auth_deadline() -> float:
    """Loop time by which a new connection must have authenticated."""
    return asyncio.get_running_loop().time() + AUTH_TIMEOUT_S
