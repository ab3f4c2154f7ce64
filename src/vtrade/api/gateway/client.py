"""One WebSocket connection of the gateway: its bounded queue of frames and its writer task.

A client more than the gateway's `limit` messages behind that sends nothing for `LAG_GRACE_S`
(or falls `HARD_LAG_FACTOR` times that far behind) is dropped: the grace lets a reading client
take a burst larger than its queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket

from vtrade.api.auth import Caller

if TYPE_CHECKING:
    from vtrade.api.gateway.hub import Gateway

log = logging.getLogger("vtrade.api.ws")

Frame = str | bytes
Encoder = Callable[[str, Any], Frame | None]  # (channel, update) -> frame, None: not for us

CLOSE_TIMEOUT_S = 10.0
SLOW_CLOSE_TIMEOUT_S = 60.0
POLICY_VIOLATION = 1008
LAG_GRACE_S = 1.0
HARD_LAG_FACTOR = 16


def close_reason(message: str) -> str:
    """Cut a message to the 123 bytes a WebSocket close reason may hold."""
    raw = message.encode()
    return message if len(raw) <= 123 else raw[:120].decode(errors="ignore") + "..."


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


class Client:
    """One connection: who it is, what it watches, and its bounded queue of frames."""

    def __init__(self, gateway: Gateway, websocket: WebSocket, encoder: Encoder) -> None:
        self.gateway = gateway
        self.websocket = websocket
        self.encoder = encoder
        self.who: Caller | None = None
        self.account: str | None = None  # the account a protocol acts on, once known
        self.subs: set[tuple[str, str]] = set()
        self.open = True
        self.closing = False  # a close is queued behind the last frames
        self.queue: asyncio.Queue[Frame | _Close] = asyncio.Queue()
        self.sent = 0  # frames written so far: progress, for the lag check
        self.lag_check: asyncio.TimerHandle | None = None
        self.writer = asyncio.create_task(self._write())
        self.closer: asyncio.Task[None] | None = None  # closing a client that fell behind

    def send(self, frame: Frame) -> None:
        """Queue a frame without waiting; a client that stays too far behind is dropped."""
        if not self.open:
            return
        self.queue.put_nowait(frame)
        behind = self.queue.qsize()
        if behind > HARD_LAG_FACTOR * self.gateway.limit:
            self.gateway.drop(self)
        elif behind > self.gateway.limit and self.lag_check is None:
            self._watch_lag(self.sent)

    def _watch_lag(self, sent_before: int) -> None:
        self.lag_check = self.gateway.loop.call_later(LAG_GRACE_S, self._check_lag, sent_before)

    def _check_lag(self, sent_before: int) -> None:
        self.lag_check = None
        if not self.open or self.queue.qsize() <= self.gateway.limit:
            return
        if self.sent == sent_before:
            self.gateway.drop(self)  # behind, and nothing went out for a whole grace period
        else:
            self._watch_lag(self.sent)

    def close(self, code: int, reason: str) -> None:
        """Close once the frames queued before have gone out."""
        if not self.open:
            return
        self.queue.put_nowait(_Close(code, close_reason(reason)))
        self.open, self.closing = False, True
        self.gateway.forget(self)

    async def finished(self) -> None:
        """Wait (bounded) until everything queued, and the close, have been sent: a route
        that returns earlier would end the connection without the close frame and reason."""
        if self.closing:
            await asyncio.wait({self.writer}, timeout=CLOSE_TIMEOUT_S)
        if self.closer is not None:
            await asyncio.wait({self.closer}, timeout=SLOW_CLOSE_TIMEOUT_S)

    async def _write(self) -> None:
        ws = self.websocket
        try:
            while True:
                item = await self.queue.get()
                if isinstance(item, _Close):
                    await ws.close(item.code, item.reason)
                    return
                if isinstance(item, bytes):
                    await ws.send_bytes(item)
                else:
                    await ws.send_text(item)
                self.sent += 1
        except Exception as exc:  # the peer went away mid-send: the reader sees it too
            log.debug("websocket send ended: %r", exc)
            self.open = False
