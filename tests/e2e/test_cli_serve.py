"""`vtrade serve` as an operator runs it: a separate process that becomes ready, logs JSON
lines, rejects bad flags with a one-line error, and stops cleanly on SIGTERM."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

SERVE = [sys.executable, "-c", "from vtrade.cli import main; main()", "serve"]


def _env(tmp_path: Path) -> dict[str, str]:
    tmp_path.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTRADE_")}
    env["VTRADE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.db'}"
    return env


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready(server: subprocess.Popen[str], port: int) -> httpx.Response | None:
    """The server's first answer on /readyz (None: it exited or took over a minute)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
        except httpx.HTTPError:
            time.sleep(0.2)
    return None


def test_serve_becomes_ready_logs_json_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _port()
    flags = ["--port", str(port), "--start", "2026-11-18T15:00:00Z", "--speed", "60"]
    server = subprocess.Popen(SERVE + flags, env=_env(tmp_path), stderr=subprocess.PIPE, text=True)
    try:
        ready = _ready(server, port)
        assert ready is not None and ready.status_code == 200
        assert ready.json()["clock"].startswith("2026-11-18T15:")  # the simulated clock
        bot = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # polls every 6 s
        try:
            for _ in range(2):  # one connection: a reset raises (RemoteDisconnected)
                bot.request("GET", "/healthz")
                answer = bot.getresponse()
                assert answer.status == 200 and answer.read()
                time.sleep(6)  # uvicorn's default closed an idle connection after 5 s
        finally:
            bot.close()
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    messages = [entry["message"] for entry in lines]
    assert "ready" in messages and messages[-1].startswith("Finished server process")
    assert f"listening on http://127.0.0.1:{port}" in messages
    assert next(e for e in lines if e["message"] == "ready")["clock"].startswith("2026-11-18T15:")
    assert "stopped" in messages  # the lifespan shutdown ran: batches flushed, store closed
    assert all({"ts", "level", "logger", "message"} <= entry.keys() for entry in lines)


def test_serve_refuses_bad_flags_with_one_line(tmp_path: Path) -> None:
    for flags, expected in (
        (["--log-level", "loud"], "unknown log level 'loud'"),
        (["--start", "yesterday"], "malformed time 'yesterday'"),
        (["--speed", "-2"], "--speed must be positive and at most 1,000,000, got -2"),
        (["--speed", "1e12"], "--speed must be positive and at most 1,000,000, got 1e+12"),
        (["--port", "70000"], "--port must be 0 to 65535 (0: any free port), got 70000"),
        (["--start", "2099-01-01T00:00:00Z"], "after the days the simulated market covers"),
        (["--start", "1900-01-01T00:00:00Z"], "before the days the simulated market covers"),
    ):
        done = subprocess.run(
            SERVE + flags, env=_env(tmp_path), capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, (flags, done.stderr)
        assert done.stderr.startswith("error: ") and expected in done.stderr


def test_serve_refuses_a_clock_behind_its_database_with_one_line(tmp_path: Path) -> None:
    """A database that traded until 15:00 is not traded again from 14:00: the start says
    why and how to go on, and the server never listens."""
    port = _port()
    flags = ["--port", str(port), "--start", "2026-11-18T15:00:00Z"]
    server = subprocess.Popen(SERVE + flags, env=_env(tmp_path), stderr=subprocess.PIPE, text=True)
    try:
        ready = _ready(server, port)
        assert ready is not None and ready.status_code == 200
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()

    earlier = ["--port", str(_port()), "--start", "2026-11-18T14:00:00Z"]
    done = subprocess.run(
        SERVE + earlier, env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert line.startswith("error: this database's market time is already 2026-11-18T15:00:")
    assert "start the clock at or after" in line


def test_a_fast_clock_from_now_resumes_where_an_earlier_fast_run_left_the_market(
    tmp_path: Path,
) -> None:
    """`--speed` without `--start` runs from now, but not from before the market time an
    earlier fast run reached: that start would be refused as trading that time again."""
    reached = []
    for _ in range(2):
        port = _port()
        flags = ["--port", str(port), "--speed", "3600"]
        server = subprocess.Popen(
            SERVE + flags, env=_env(tmp_path), stderr=subprocess.PIPE, text=True
        )
        try:
            ready = _ready(server, port)
            assert ready is not None and ready.status_code == 200, server.poll()
            time.sleep(1)  # an hour of market time
            reached.append(httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json())
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()

    first, second = (r["clock"] for r in reached)
    assert second > first  # the second run went on from where the first stopped


def test_serve_on_a_taken_port_says_so_and_leaves_the_market_to_the_server_there(
    tmp_path: Path,
) -> None:
    port = _port()
    flags = ["--port", str(port), "--start", "2026-11-18T15:00:00Z"]
    server = subprocess.Popen(SERVE + flags, env=_env(tmp_path), stderr=subprocess.PIPE, text=True)
    try:
        ready = _ready(server, port)
        assert ready is not None and ready.status_code == 200

        done = subprocess.run(
            SERVE + flags, env=_env(tmp_path), capture_output=True, text=True, timeout=60
        )

        assert done.returncode == 2, done.stderr
        (line,) = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        assert line.startswith(f"error: cannot listen on 127.0.0.1:{port}")
        still = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert still.status_code == 200, still.text  # the market is still its own
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)


def _extensions_granted(env: dict[str, str]) -> str | None:
    """Start `vtrade serve` with `env`; open a market-data stream offering permessage-deflate,
    as alpaca-py does; return the extensions the server's handshake granted."""
    port = _port()
    flags = ["--port", str(port), "--start", "2026-11-18T15:00:00Z"]
    server = subprocess.Popen(SERVE + flags, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert _ready(server, port) is not None
        with connect(f"ws://127.0.0.1:{port}/v2/iex", compression="deflate") as ws:
            granted: str | None = ws.response.headers.get("Sec-WebSocket-Extensions")
            return granted
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)


def test_websocket_compression_is_granted_unless_the_operator_turns_it_off(
    tmp_path: Path,
) -> None:
    assert "permessage-deflate" in (_extensions_granted(_env(tmp_path / "on")) or "")

    off = {**_env(tmp_path / "off"), "VTRADE_API__WS_COMPRESSION": "false"}
    assert _extensions_granted(off) is None
