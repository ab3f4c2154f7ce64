"""Helpers for the HTTP and WebSocket interfaces.

- `api`: the ASGI app in-process through Starlette's TestClient (lifespan runs), on a fresh
  SQLite file, with a simulated clock standing at a Wednesday 15:00 UTC (US market open);
  nothing moves until a test calls `api.step(seconds)`.
- `live`: the same app served by uvicorn on a free port in a background thread, for real
  clients (alpaca-py, websockets). Its runtime steps every 20 ms on the server's loop; a
  test moves time with `live.advance(seconds)` (the clock is the only shared object).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.types import Message

from vtrade import bootstrap
from vtrade.api.state import ApiState
from vtrade.core.clock import NS_PER_SECOND, SimulatedClock, parse_instant, to_ns
from vtrade.settings import ApiSettings, ExecutionSettings, Settings

OPEN = "2026-11-18T15:00:00Z"  # a Wednesday, 10:00 in New York
PASSWORD = "a long enough password"


@dataclass(frozen=True, slots=True)
class Key:
    """An API key pair and the account it is bound to."""

    user: str
    key_id: str
    secret: str
    account_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"APCA-API-KEY-ID": self.key_id, "APCA-API-SECRET-KEY": self.secret}

    @property
    def basic(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.key_id}:{self.secret}".encode()).decode()
        return {"Authorization": f"Basic {token}"}


@dataclass
class Server:
    """The app and its parts, with helpers to make users, keys and time."""

    container: bootstrap.Container
    app: FastAPI
    clock: SimulatedClock
    base_url: str = "http://testserver"
    users: set[str] = field(default_factory=set)

    @property
    def state(self) -> ApiState:
        state: ApiState = self.app.state.vtrade
        return state

    def key(self, user: str = "alice", account: str = "main") -> Key:
        """Create the user if new, and a key bound to its account `account` (opened if new)."""
        identity = self.container.identity
        if user not in self.users:
            identity.create_user(user, PASSWORD)
            self.users.add(user)
        info, secret = identity.create_key(user, account)
        return Key(user, info.key_id, secret, info.account_id)


@dataclass
class InProcess(Server):
    client: TestClient | None = None

    @property
    def http(self) -> TestClient:
        assert self.client is not None
        return self.client

    def step(self, seconds: float = 0) -> None:
        """Move the clock forward, then run one runtime step (fills, relay, portfolios)."""
        self.clock.advance(int(seconds * NS_PER_SECOND))
        self.state.runtime.step()


@dataclass
class Live(Server):
    def advance(self, seconds: float) -> None:
        """Move the clock forward and wait until the server has stepped past it twice."""
        self.clock.advance(int(seconds * NS_PER_SECOND))
        seen = self.state.runtime.steps
        deadline = time.monotonic() + 10
        while self.state.runtime.steps < seen + 2:
            if time.monotonic() > deadline:
                raise TimeoutError("the server did not step within 10 s")
            time.sleep(0.005)


def settings(tmp_path: Path, execution: ExecutionSettings | None = None, **api: object) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'api.db'}",
        api=ApiSettings(**{"rate_per_second": 0, "cookie_secure": False, **api}),  # type: ignore[arg-type]
        execution=execution or ExecutionSettings(),
    )


def alice_headers(container: bootstrap.Container) -> dict[str, str]:
    """Make user alice and a key for her default account; return its auth headers."""
    container.identity.create_user("alice", PASSWORD)
    info, secret = container.identity.create_key("alice")
    return {"APCA-API-KEY-ID": info.key_id, "APCA-API-SECRET-KEY": secret}


def make_container(
    tmp_path: Path,
    start: str = OPEN,
    execution: ExecutionSettings | None = None,
    **api: object,
) -> tuple[bootstrap.Container, SimulatedClock]:
    clock = SimulatedClock(to_ns(parse_instant(start)))
    container = bootstrap.build(settings(tmp_path, execution, **api), clock, relay_on_commit=False)
    container.identity.hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return container, clock


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn on a free port in a background thread; yield its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 30 s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def get_ok(api: InProcess, key: Key, path: str, **params: Any) -> Any:
    """GET `path` with `params` as `key`; assert a 200 and return its JSON."""
    response = api.http.get(path, headers=key.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def receive_frame(ws: WebSocketTestSession, timeout: float = 5.0) -> Message:
    """The next frame, or a failure after `timeout` s (TestClient's own receive waits for
    ever); a close raises `WebSocketDisconnect`."""

    async def receive() -> Message:
        with anyio.fail_after(timeout):
            message: Message = await ws._send_rx.receive()
            return message

    message = ws.portal.call(receive)
    ws._raise_on_close(message)
    return message


Items = list[dict[str, Any]]


def frame(ws: WebSocketTestSession, timeout: float = 5.0) -> Items:
    """The next frame's messages (JSON text) on an Alpaca market-data stream; fail after
    `timeout` s."""
    items: Items = json.loads(receive_frame(ws, timeout)["text"])
    return items


def signed_in(ws: WebSocketTestSession, key: Key) -> None:
    """Read the greeting of an Alpaca market-data stream and sign in with `key`."""
    assert frame(ws) == [{"T": "success", "msg": "connected"}]
    ws.send_json({"action": "auth", "key": key.key_id, "secret": key.secret})
    assert frame(ws) == [{"T": "success", "msg": "authenticated"}]


def until(ws: WebSocketTestSession, done: Any, frames: int = 200) -> Items:
    """Messages of the frames that come until `done(messages so far)` holds."""
    seen: Items = []
    for _ in range(frames):
        seen += frame(ws)
        if done(seen):
            return seen
    raise AssertionError(f"not done after {frames} frames: {seen[-5:]}")
