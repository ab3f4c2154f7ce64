"""`vtrade serve --log-level debug` as an operator runs it: uvicorn's websockets protocol logs
every request header and every frame, and no part of a secret reaches the logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

SERVE = [sys.executable, "-c", "from vtrade.cli import main; main()", "serve"]
KEY_ID = "PKVTRADE0123456789AB"
SECRET = "q8ZkR2mW5xN7vB3cY6tH1jL4pF9sD0gA2eU8iO5r"  # 40 characters, as Alpaca's
COOKIE = "vtrade_session=c0OkIeS3cReTvAlUe"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(server: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server never answered")


def _send(url: str, message: str | bytes, headers: dict[str, str] | None = None) -> None:
    """Open a WebSocket, send one message and read until the server closes it."""
    try:
        with connect(url, additional_headers=headers, open_timeout=10) as ws:
            ws.send(message)
            for _ in range(3):
                ws.recv(timeout=5)
    except (WebSocketException, TimeoutError, OSError):
        pass  # refused: its headers and frames were logged all the same


def _msgpack_auth() -> bytes:
    """alpaca-py's data stream authenticates in msgpack: {"action", "key", "secret"}."""
    packed = b"\x83"
    for text in ("action", "auth", "key", KEY_ID, "secret", SECRET):
        packed += bytes([0xA0 | len(text)]) + text.encode()
    return packed


def _shows_secret(text: str) -> bool:
    parts = [value[i : i + 6] for value in (SECRET, COOKIE) for i in range(len(value) - 5)]
    parts = [p for p in parts if "=" not in p and "vtrade" not in p]
    hex_parts = [" ".join(f"{b:02x}" for b in p.encode()) for p in parts]
    return any(p in text for p in parts + hex_parts)


def test_debug_logs_show_no_part_of_a_secret_from_headers_or_frames(tmp_path: Path) -> None:
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTRADE_")}
    env["VTRADE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.db'}"
    flags = ["--port", str(port), "--start", "2026-11-18T15:00:00Z", "--log-level", "debug"]
    server = subprocess.Popen(SERVE + flags, env=env, stderr=subprocess.PIPE, text=True)
    try:
        _wait_ready(server, port)
        base = f"ws://127.0.0.1:{port}"
        headers = {"APCA-API-KEY-ID": KEY_ID, "APCA-API-SECRET-KEY": SECRET, "Cookie": COOKIE}
        trading_auth = {"action": "authenticate", "data": {"key_id": KEY_ID, "secret_key": SECRET}}
        _send(f"{base}/stream", json.dumps(trading_auth), headers)
        _send(f"{base}/stream", _msgpack_auth())
        _send(
            f"{base}/api/v1/ws", json.dumps({"action": "auth", "key_id": KEY_ID, "secret": SECRET})
        )
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()

    lines = stderr.splitlines()
    assert all(line.startswith("{") for line in lines)  # JSON lines, whatever logged them
    messages = [json.loads(line)["message"] for line in lines]
    assert "< apca-api-secret-key: [redacted]" in messages  # debug logging was on
    assert "< cookie: [redacted]" in messages
    assert not _shows_secret(stderr)
    assert any(m.startswith("< TEXT [redacted]") for m in messages)  # the elided auth frame
