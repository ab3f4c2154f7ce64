"""`vtrade bench api`: orders over HTTP from a separate client process, and WebSocket fan-out.

The server is `vtrade serve` in its own process on a fresh SQLite file, on a simulated clock
running at 1x from a Wednesday in US regular hours; the client is another process that keeps
`concurrency` keep-alive connections busy with `POST /v2/orders` (the Alpaca surface, the
path bots use), each connection with its own API key and account. Latency is from writing a
request to reading its whole response. Orders: small market orders in liquid US names; each
bot buys, and sells what it bought, so no account drifts into a position or buying-power
limit however long the run.

Concurrency 12 stands for a fleet of a dozen strategy bots, each with its own key, account
and one keep-alive connection, sending its next order as soon as the last is answered (the
closed loop an SDK client runs). By Little's law, 12 orders in flight at 1,500 orders/s is
8 ms mean latency, which leaves room under the 20 ms p99 target; more connections only
queue at the server (32 at the same rate would mean 21 ms on average). Each bot then sends
about 150 orders/s, under the default limit of 200 per key; the limiter stays on, set to
1,000 per key so that a faster server does not trip it.

Server CPU per order (all its threads) comes from the server's own `process_cpu_seconds`
metric; the client reports its CPU share, to show it is not what limits the rate. The naive
way in the same run is the same server with group commit off (`api.order_batch=1`: one
transaction per order).

The fan-out half is `benchmarks.ws_fanout`: portfolio deltas to many WebSocket clients.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import orjson

from benchmarks.runner import Row
from vtrade import bootstrap
from vtrade.core.clock import SimulatedClock, parse_instant, to_ns
from vtrade.settings import Settings

START = "2026-11-18T15:00:00Z"  # a Wednesday, 10:00 in New York
SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "JPM", "XOM", "SPY", "QQQ")
RATE_PER_KEY = 1_000  # requests/s per key: limits on, well above what one bot sends here


def run(size: str) -> list[Row]:
    smoke = size == "smoke"
    n, concurrency = (300, 8) if smoke else (20_000, 12)
    with tempfile.TemporaryDirectory(prefix="vtrade-bench-api-") as tmp:
        keys = _keys(Path(tmp) / "api.db", concurrency)
        group = _measure(Path(tmp), "group", keys, n, concurrency, order_batch=512)
        naive = _measure(Path(tmp), "naive", keys, n // 4, concurrency, order_batch=1)
    rows = [
        Row(
            "orders over HTTP (group commit)",
            group["rate"],
            "orders/s",
            naive["rate"],
            ">= 1,500",
            group["rate"] >= 1_500,
        ),
        Row("order latency p50", group["p50"], "ms", naive["p50"]),
        Row("order latency p99", group["p99"], "ms", naive["p99"], "<= 20", group["p99"] <= 20),
        Row("orders per commit (mean)", group["per_commit"], "orders"),
        Row("server CPU per order", group["server_cpu"], "ms", naive["server_cpu"]),
        Row("client CPU (share of one core)", group["client_cpu"], "%"),
        Row("HTTP errors", group["errors"], "responses", naive["errors"], "0", not group["errors"]),
    ]
    return rows + _fanout(size)


def _fanout(size: str) -> list[Row]:
    try:
        from benchmarks import ws_fanout
    except ImportError:  # pragma: no cover - shipped together
        return []
    rows: list[Row] = ws_fanout.run(size)
    return rows


def _keys(db: Path, count: int) -> list[tuple[str, str]]:
    """One user with `count` accounts, one key each; the server process reads them."""
    settings = Settings(database_url=f"sqlite:///{db}")
    container = bootstrap.build(settings, SimulatedClock(to_ns(parse_instant(START))))
    container.start()
    container.identity.create_user("bench", "bench password 1234")
    keys = []
    for i in range(count):
        info, secret = container.identity.create_key("bench", f"bot{i}")
        keys.append((info.key_id, secret))
    container.store.close()
    return keys


def _measure(
    tmp: Path,
    label: str,
    keys: list[tuple[str, str]],
    n: int,
    concurrency: int,
    order_batch: int,
) -> dict[str, float]:
    db = tmp / f"{label}.db"
    db.write_bytes((tmp / "api.db").read_bytes())  # the same users and keys, a fresh ledger
    port = _free_port()
    env = {
        **os.environ,
        "VTRADE_DATABASE_URL": f"sqlite:///{db}",
        "VTRADE_API__RATE_PER_SECOND": str(RATE_PER_KEY),
        "VTRADE_API__ORDER_BATCH": str(order_batch),
    }
    command = [sys.executable, "-c", "from vtrade.cli import main; main()", "serve"]
    flags = ["--port", str(port), "--start", START, "--speed", "1", "--log-level", "warning"]
    server = subprocess.Popen(command + flags, env=env)  # noqa: S603 - our own CLI
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, server)
        with mp.get_context("spawn").Pool(1) as pool:
            # warm up: each key pays argon2 once, the server's caches fill
            pool.apply(_client, (port, keys, concurrency * 4, concurrency))
            cpu_before = _figures(httpx.get(f"{base}/metrics").text)["process_cpu_seconds_total"]
            result: dict[str, float] = pool.apply(_client, (port, keys, n, concurrency))
        figures = _figures(httpx.get(f"{base}/metrics").text)
        cpu = figures["process_cpu_seconds_total"] - cpu_before
        result["server_cpu"] = cpu / (result["errors"] + result["ok"]) * 1e3
        batches = figures["vtrade_order_batch_size_count"]
        result["per_commit"] = figures["vtrade_order_batch_size_sum"] / batches if batches else 0.0
    finally:
        server.terminate()
        server.wait(timeout=60)
    return result


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"vtrade serve exited with status {server.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("vtrade serve was not ready within 60 s")


def _figures(metrics: str) -> dict[str, float]:
    """The server's CPU seconds and batch-size figures, by name as `/metrics` prints them."""
    return defaultdict(
        float,
        (
            (name, float(value))
            for name, _, value in (line.partition(" ") for line in metrics.splitlines())
            if name.startswith(("process_cpu_seconds", "vtrade_order_batch_size_"))
        ),
    )


def _client(port: int, keys: list[tuple[str, str]], n: int, concurrency: int) -> dict[str, float]:
    """Runs in its own process: drive the server and time every request."""
    return asyncio.run(_drive(port, keys, n, concurrency))


async def _drive(
    port: int, keys: list[tuple[str, str]], n: int, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    remaining = n
    rng = random.Random(7)

    async def connection(key_id: str, secret: str) -> None:
        nonlocal remaining, errors
        held: dict[str, int] = {}
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            f"POST /v2/orders HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"APCA-API-KEY-ID: {key_id}\r\nAPCA-API-SECRET-KEY: {secret}\r\n"
        )
        while remaining > 0:
            remaining -= 1
            body = orjson.dumps(_order(rng, held))
            request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
            start = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - start)
            errors += status >= 400
        writer.close()

    began, cpu_began = time.perf_counter(), time.process_time()
    await asyncio.gather(*(connection(k, s) for k, s in keys[:concurrency]))
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1e3,
        "p99": ordered[int(0.99 * (len(ordered) - 1))] * 1e3,
        "errors": float(errors),
        "ok": float(len(latencies) - errors),
        "client_cpu": (time.process_time() - cpu_began) / elapsed * 100,
    }


def _order(rng: random.Random, held: dict[str, int]) -> dict[str, object]:
    """A small market order: sell what the bot holds when it holds enough, else buy, so its
    positions stay within 40 shares a name and never go short."""
    symbol = rng.choice(SYMBOLS)
    qty = rng.randint(1, 20)
    side = "sell" if held.get(symbol, 0) >= qty else "buy"
    held[symbol] = held.get(symbol, 0) + (-qty if side == "sell" else qty)
    return {"symbol": symbol, "qty": qty, "side": side, "type": "market", "time_in_force": "day"}


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
