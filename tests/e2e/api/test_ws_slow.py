"""Back-pressure: a client that stops reading is dropped with a reason once it is `ws_queue`
messages behind, while a client that keeps reading goes on receiving, bursts included."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from api_support import Live, make_container, served
from fastapi.testclient import TestClient
from websockets.client import ClientProtocol
from websockets.frames import Close
from websockets.protocol import State
from websockets.sync.client import ClientConnection, connect
from websockets.uri import parse_uri

from vtrade.api.app import create_app
from vtrade.core.clock import NS_PER_SECOND
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.market_data import Side


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[Live]:
    """A live server whose WebSocket clients may lag only 8 messages."""
    container, clock = make_container(tmp_path, step_ms=20, ws_queue=8)
    app = create_app(container)
    with served(app) as base_url:
        yield Live(container, app, clock, base_url=base_url)


def _open(live: Live, headers: dict[str, str]) -> ClientConnection:
    return connect(f"ws{live.base_url[4:]}/api/v1/ws", additional_headers=headers, open_timeout=10)


class Starved:
    """A WebSocket client on a raw socket with a tiny receive buffer that reads nothing until
    asked to (websockets' sans-I/O protocol: no background reader drains the socket)."""

    def __init__(self, live: Live, headers: dict[str, str]) -> None:
        host, port = live.base_url.removeprefix("http://").split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        self.sock.connect((host, int(port)))
        self.proto = ClientProtocol(parse_uri(f"ws://{host}:{port}/api/v1/ws"))
        request = self.proto.connect()
        for name, value in headers.items():
            request.headers[name] = value
        self.proto.send_request(request)
        self._flush()
        while self.proto.handshake_exc is None and self.proto.state is not State.OPEN:
            self.proto.receive_data(self.sock.recv(65536))
        assert self.proto.state is State.OPEN

    def send(self, message: dict[str, object]) -> None:
        self.proto.send_text(json.dumps(message).encode())
        self._flush()

    def read_to_close(self, timeout: float = 15) -> Close:
        """Read everything the server sent until its close frame; return that close."""
        self.sock.settimeout(timeout)
        while self.proto.close_rcvd is None:
            data = self.sock.recv(1 << 20)
            if not data:
                raise AssertionError("connection ended without a close frame")
            self.proto.receive_data(data)
            self.proto.events_received()
        self._flush()
        self.sock.close()
        return self.proto.close_rcvd

    def _flush(self) -> None:
        for chunk in self.proto.data_to_send():
            self.sock.sendall(chunk)


def test_a_client_that_stops_reading_is_dropped_while_a_reading_one_keeps_receiving(
    tight: Live,
) -> None:
    key = tight.key()
    symbols = [i.symbol for i in tight.container.catalog][:120]
    dropped = tight.state.metrics.ws_dropped
    received = 0
    with _open(tight, key.headers) as fast:
        assert json.loads(fast.recv(timeout=5))["ack"] == "auth"
        fast.send(json.dumps({"action": "subscribe", "channels": ["quotes"], "symbols": ["AAPL"]}))
        slow = Starved(tight, key.headers)
        slow.send({"action": "subscribe", "channels": ["book"], "symbols": symbols})
        deadline = time.monotonic() + 30
        while dropped._value.get() < 1:  # the slow client never reads
            assert time.monotonic() < deadline, "the slow client was never dropped"
            tight.clock.advance(NS_PER_SECOND)
            time.sleep(0.06)
            received += _drain(fast)
        before = received
        for _ in range(10):  # after the drop, the reader still gets every change
            tight.clock.advance(NS_PER_SECOND)
            time.sleep(0.06)
            received += _drain(fast)
    assert received > before >= 1
    assert dropped._value.get() == 1
    closed = slow.read_to_close()  # what the socket held, then the close with its reason
    assert closed.code == 1008
    assert closed.reason == "client too slow: 8 messages behind"


def _drain(ws: ClientConnection) -> int:
    """Read what has arrived; return how many quotes it held."""
    quotes = 0
    while True:
        try:
            message = json.loads(ws.recv(timeout=0.001))
        except TimeoutError:
            return quotes
        assert "error" not in message
        quotes += message.get("channel") == "quotes"


def test_a_reading_client_takes_a_burst_larger_than_its_queue(tmp_path: Path) -> None:
    """A bot's batch of orders produces its events in one step, before any writer can run:
    a client that reads is not dropped for that."""
    container, clock = make_container(tmp_path, ws_queue=8)
    app = create_app(container, run_steps=False)
    with TestClient(app) as client:
        container.identity.create_user("alice", "a long enough password")
        info, secret = container.identity.create_key("alice")
        headers = {"APCA-API-KEY-ID": info.key_id, "APCA-API-SECRET-KEY": secret}
        with client.websocket_connect("/api/v1/ws", headers=headers) as ws:
            ws.receive_json()
            ws.send_json({"action": "subscribe", "channels": ["orders"]})
            ws.receive_json()
            orders = [
                SubmitOrder(
                    id=f"burst{i}",
                    ts_init=clock.now_ns(),
                    account_id=info.account_id,
                    symbol="AAPL",
                    side=Side.BUY,
                    qty=Decimal(1),
                )
                for i in range(20)
            ]
            container.trading.submit_many(orders)
            app.state.vtrade.runtime.step()  # 40 events (accepted, fill) at once, queue of 8
            events = [ws.receive_json()["event"] for _ in range(40)]
    assert events.count("fill") == 20 and events.count("accepted") == 20
    assert app.state.vtrade.metrics.ws_dropped._value.get() == 0
