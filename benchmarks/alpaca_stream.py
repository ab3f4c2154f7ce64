"""`vtrade bench alpaca_stream`: the API's latency while Alpaca market-data stream clients
follow every symbol.

The server is the app on uvicorn in its own process (fresh SQLite file, a cheap argon2
hasher, the runtime stepping as `vtrade serve` does) on a simulated clock at speed 60 from
2026-11-18T14:25:00Z, five minutes before the US open. Another process opens stream clients
on `/v2/iex` that subscribe `*` (224 symbols) to trades, quotes and bars, msgpack as
alpaca-py asks: first one, then three more. Meanwhile this process times `GET /v2/clock`
every 50 ms. Messages are counted per client from each frame's msgpack array header; server
CPU (all its threads) is read from the server process itself.

The server computes each (symbol, channel) once per push and shares it out, so four clients
should cost about what one does. The naive way, same server and clients: a route that gives
every connection a `DataHub` of its own, so each client recomputes every symbol it follows on
the shared loop every push (what the streams did before the hub was shared).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import socket
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
import orjson
from fastapi import WebSocket

from benchmarks.runner import Row

START = "2026-11-18T14:25:00Z"  # a Wednesday, five minutes before the US open
SPEED = 60.0
SUBSCRIPTION = {"action": "subscribe", "trades": ["*"], "quotes": ["*"], "bars": ["*"]}
POLL_S = 0.05  # between two GET /v2/clock
P95_TARGET_MS = 50.0  # with four '*' clients


def run(size: str) -> list[Row]:
    seconds = 3.0 if size == "smoke" else 20.0
    with tempfile.TemporaryDirectory(prefix="vtrade-bench-stream-") as tmp:
        shared = _measure(Path(tmp) / "shared.db", "/v2/iex", seconds)
        naive = _measure(Path(tmp) / "naive.db", "/naive", seconds)
    p95 = shared[4]["p95"]
    return [
        Row("GET /v2/clock p95, no stream client", shared[0]["p95"], "ms", naive[0]["p95"]),
        Row("GET /v2/clock p50, 1 '*' client", shared[1]["p50"], "ms", naive[1]["p50"]),
        Row("GET /v2/clock p95, 1 '*' client", shared[1]["p95"], "ms", naive[1]["p95"]),
        Row("GET /v2/clock p50, 4 '*' clients", shared[4]["p50"], "ms", naive[4]["p50"]),
        Row(
            "GET /v2/clock p95, 4 '*' clients",
            p95,
            "ms",
            naive[4]["p95"],
            target=f"<= {P95_TARGET_MS:.0f}",
            ok=p95 <= P95_TARGET_MS,
        ),
        Row("messages per client, 1 client", shared[1]["rate"], "msgs/s", naive[1]["rate"]),
        Row("messages per client, 4 clients", shared[4]["rate"], "msgs/s", naive[4]["rate"]),
        Row("server CPU, 1 client", shared[1]["cpu"], "%", naive[1]["cpu"]),
        Row("server CPU, 4 clients", shared[4]["cpu"], "%", naive[4]["cpu"]),
    ]


def _measure(db: Path, path: str, seconds: float) -> dict[int, dict[str, float]]:
    """Figures with 0, 1 and 4 stream clients on `path`, by number of clients."""
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=_server_main, args=(db, theirs), daemon=True)
    server.start()
    if not ours.poll(120):
        raise RuntimeError("the benchmark's server did not start within 120 s")
    port, key = ours.recv()
    client_pipe, client_end = ctx.Pipe()
    clients = ctx.Process(target=_clients_main, args=(port, path, key, client_end), daemon=True)
    clients.start()
    headers = {"APCA-API-KEY-ID": key[0], "APCA-API-SECRET-KEY": key[1]}
    found: dict[int, dict[str, float]] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
            for total, more in ((0, 0), (1, 1), (4, 3)):
                client_pipe.send(("add", more))
                client_pipe.recv()  # connected and subscribed
                found[total] = _phase(http, ours, client_pipe, seconds)
    finally:
        client_pipe.send(("stop", 0))
        ours.send("stop")
        clients.join(30)
        server.join(30)
    return found


def _phase(
    http: httpx.Client, server: Connection, clients: Connection, seconds: float
) -> dict[str, float]:
    """GET /v2/clock latency, messages per client per second and server CPU over `seconds`."""
    server.send("cpu")
    cpu_before, began = server.recv(), time.perf_counter()
    clients.send(("count", 0))
    counted_before: list[int] = clients.recv()
    latencies: list[float] = []
    while time.perf_counter() - began < seconds:
        sent = time.perf_counter()
        http.get("/v2/clock").raise_for_status()
        latencies.append((time.perf_counter() - sent) * 1000)
        time.sleep(POLL_S)
    server.send("cpu")
    cpu, elapsed = server.recv() - cpu_before, time.perf_counter() - began
    clients.send(("count", 0))
    counted = [n - m for n, m in zip(clients.recv(), counted_before, strict=True)]
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "rate": min(counted) / elapsed if counted else 0.0,
        "cpu": 100 * cpu / elapsed,
    }


# -- clients (their own process) ---------------------------------------------------------------


def _clients_main(port: int, path: str, key: tuple[str, str], pipe: Connection) -> None:
    asyncio.run(_clients(f"ws://127.0.0.1:{port}{path}", key, pipe))


async def _clients(url: str, key: tuple[str, str], pipe: Connection) -> None:
    from websockets.asyncio.client import connect

    counts: list[int] = []
    readers: list[asyncio.Task[None]] = []

    async def follow(i: int, ready: asyncio.Event) -> None:
        headers = {"content-type": "application/msgpack"}
        async with connect(url, additional_headers=headers, max_size=None) as ws:
            await ws.recv()  # connected
            await ws.send(orjson.dumps({"action": "auth", "key": key[0], "secret": key[1]}))
            await ws.recv()  # authenticated
            await ws.send(orjson.dumps(SUBSCRIPTION))
            await ws.recv()  # subscription
            ready.set()
            async for frame in ws:
                assert isinstance(frame, bytes)
                counts[i] += _array_length(frame)

    loop = asyncio.get_running_loop()
    while True:
        command, n = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            break
        if command == "count":
            pipe.send(list(counts))
            continue
        for _ in range(n):
            ready = asyncio.Event()
            counts.append(0)
            readers.append(asyncio.create_task(follow(len(counts) - 1, ready)))
            await asyncio.wait_for(ready.wait(), 60)
        pipe.send("ready")
    for task in readers:
        task.cancel()


def _array_length(frame: bytes) -> int:
    """How many messages a msgpack frame holds, from its array header."""
    head = frame[0]
    if head & 0xF0 == 0x90:
        return head & 0x0F
    return int.from_bytes(frame[1:3] if head == 0xDC else frame[1:5], "big")


# -- server (its own process) ------------------------------------------------------------------


def _server_main(db: Path, pipe: Connection) -> None:
    asyncio.run(_serve(db, pipe))


async def _serve(db: Path, pipe: Connection) -> None:
    import uvicorn
    from argon2 import PasswordHasher

    from vtrade import bootstrap
    from vtrade.api.app import create_app
    from vtrade.core.clock import SimulatedClock, parse_instant, to_ns
    from vtrade.settings import ApiSettings, Settings

    settings = Settings(
        database_url=f"sqlite:///{db}", api=ApiSettings(rate_per_second=0, cookie_secure=False)
    )
    clock = SimulatedClock(to_ns(parse_instant(START)), SPEED)
    container = bootstrap.build(settings, clock, relay_on_commit=False)
    container.identity.hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    app = create_app(container)
    app.add_api_websocket_route("/naive", _naive)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # its start migrated the database
        await asyncio.sleep(0.01)
    container.identity.create_user("bench", "bench password 1234")
    info, secret = container.identity.create_key("bench")
    pipe.send((port, (info.key_id, secret)))
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, pipe.recv) == "cpu":
        pipe.send(time.process_time())
    server.should_exit = True
    await serving


async def _naive(websocket: WebSocket) -> None:
    """Every connection its own hub: each client computes every symbol it follows."""
    from vtrade.api.alpaca.data_fanout import DataHub, Subscriber
    from vtrade.api.gateway.hub import gateway_of
    from vtrade.api.state import state_of
    from vtrade.domain.instruments import AssetClass

    container = state_of(websocket).container
    gateway = gateway_of(websocket)
    await websocket.accept()
    client = gateway.connect(websocket, lambda _channel, _update: None)
    hub, sub = DataHub(container), Subscriber(client, packed=True)
    sub.send([{"T": "success", "msg": "connected"}])
    await websocket.receive()  # auth: the bench's key, taken as read
    sub.send([{"T": "success", "msg": "authenticated"}])
    await websocket.receive()  # the '*' subscription
    catalog = container.catalog
    for symbol in catalog.symbols:
        if catalog.get(symbol).asset_class is not AssetClass.CRYPTO:
            for channel in ("trades", "quotes", "bars"):
                hub.follow(sub, symbol, channel)
    sub.send([{"T": "subscription"}])
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        hub.leave(sub)
        gateway.disconnect(client)
