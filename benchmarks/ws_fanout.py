"""`vtrade bench ws_fanout`: portfolio deltas pushed to many WebSocket clients.

The server is the app on uvicorn in its own process (fresh SQLite file, simulated clock at a
Wednesday in US regular hours, a cheap argon2 hasher). It opens N accounts, one API key each,
and buys every account a few liquid names, so every NAV moves when prices do. N clients
(1,000 full, 20 smoke) in this process each subscribe to their own account's `portfolio`
channel on `/api/v1/ws`. Each round moves the clock one second, steps the runtime (fills,
relay, revaluation, one coalesced `PortfolioValued` per account) and waits until every
client has its delta. Latency is from the start of the portfolio publish pass (stamped on
the server, wall clock) to the client reading the message; rate is deltas delivered per
second of the whole run. A second run puts 10 clients on each of N/10 accounts (dashboards
watching one account), where encoding once per event rather than per client pays.

The naive way, same server and clients: a route that subscribes each connection to the bus
by itself, serializes every delta per client with the standard json module, and sends it as
a task of its own without any queue or bound.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import socket
import statistics
import tempfile
import time
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson
from fastapi import WebSocket
from websockets.asyncio.client import ClientConnection, connect

from benchmarks.runner import Row

START = "2026-11-18T15:00:00Z"  # a Wednesday, 10:00 in New York
SYMBOLS = ("AAPL", "MSFT", "NVDA", "SPY")
SHARING = 10  # the second run: dashboards watching the same account
WARMUP = 2  # rounds not measured (first-use costs)
FIGURES = ("nav", "cash", "day_pnl", "unrealized_pnl", "total_pnl", "gross_exposure")


def run(size: str) -> list[Row]:
    smoke = size == "smoke"
    clients, rounds = (20, 5) if smoke else (1_000, 20)
    with tempfile.TemporaryDirectory(prefix="vtrade-bench-ws-") as tmp:
        ctx = mp.get_context("spawn")
        ours, theirs = ctx.Pipe()
        server = ctx.Process(target=_server_main, args=(tmp, clients, theirs), daemon=True)
        server.start()
        try:
            port, keys = ours.recv()
            gateway = asyncio.run(_measure(ours, port, keys, "/api/v1/ws", rounds))
            naive = asyncio.run(_measure(ours, port, keys, "/naive", rounds))
            shared = [keys[i % (clients // SHARING)] for i in range(clients)]
            gateway_shared = asyncio.run(_measure(ours, port, shared, "/api/v1/ws", rounds))
            naive_shared = asyncio.run(_measure(ours, port, shared, "/naive", rounds))
        finally:
            ours.send(("stop",))
            server.join(30)
    return [
        Row(
            f"portfolio deltas delivered ({clients:,} clients)",
            gateway["rate"],
            "msgs/s",
            naive["rate"],
        ),
        Row("publish to client p50", gateway["p50"], "ms", naive["p50"]),
        Row(
            "publish to client p99",
            gateway["p99"],
            "ms",
            naive["p99"],
            target="<= 250",
            ok=gateway["p99"] <= 250,
        ),
        Row("deltas lost", gateway["lost"], "msgs", naive["lost"], "0", gateway["lost"] == 0),
        Row(
            f"deltas delivered, {SHARING} clients per account",
            gateway_shared["rate"],
            "msgs/s",
            naive_shared["rate"],
        ),
        Row(
            f"publish to client p99, {SHARING} clients per account",
            gateway_shared["p99"],
            "ms",
            naive_shared["p99"],
        ),
    ]


# -- clients (this process) ------------------------------------------------------------------


async def _measure(
    pipe: Connection, port: int, keys: list[tuple[str, str]], path: str, rounds: int
) -> dict[str, float]:
    url = f"ws://127.0.0.1:{port}{path}"
    sockets = await asyncio.gather(*(_subscribe(url, k) for k in keys))
    arrivals: dict[int, list[int]] = {}
    readers = [asyncio.create_task(_read(ws, arrivals)) for ws in sockets]
    latencies: list[float] = []
    lost = delivered = 0
    loop = asyncio.get_running_loop()
    began = time.perf_counter()
    for k in range(WARMUP + rounds):
        if k == WARMUP:
            latencies, lost, delivered, began = [], 0, 0, time.perf_counter()
        pipe.send(("step",))
        version, stamp = await loop.run_in_executor(None, pipe.recv)
        deadline = time.monotonic() + 10
        while len(arrivals.get(version, ())) < len(keys) and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        got = arrivals.pop(version, [])
        lost += len(keys) - len(got)  # every account moves every round
        delivered += len(got)
        latencies += [(t - stamp) / 1e6 for t in got]
    elapsed = time.perf_counter() - began
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    latencies.sort()
    return {
        "rate": delivered / elapsed,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        "lost": lost,
    }


async def _subscribe(url: str, key: tuple[str, str]) -> ClientConnection:
    headers = {"APCA-API-KEY-ID": key[0], "APCA-API-SECRET-KEY": key[1]}
    ws = await connect(url, additional_headers=headers, max_queue=None, open_timeout=60)
    await ws.recv()  # auth ack
    await ws.send(json.dumps({"action": "subscribe", "channels": ["portfolio"]}))
    await ws.recv()  # subscribe ack
    return ws


async def _read(ws: ClientConnection, arrivals: dict[int, list[int]]) -> None:
    async for raw in ws:
        now = time.time_ns()
        message = orjson.loads(raw)
        if message.get("channel") == "portfolio" and not message.get("snapshot"):
            arrivals.setdefault(message["version"], []).append(now)


# -- server (its own process) ----------------------------------------------------------------


def _server_main(tmp: str, count: int, pipe: Connection) -> None:
    asyncio.run(_serve(Path(tmp), count, pipe))


async def _serve(tmp: Path, count: int, pipe: Connection) -> None:
    import uvicorn
    from argon2 import PasswordHasher

    from vtrade import bootstrap
    from vtrade.api.app import create_app
    from vtrade.core import topics
    from vtrade.core.clock import NS_PER_SECOND, SimulatedClock, parse_instant, to_ns
    from vtrade.settings import ApiSettings, Settings

    settings = Settings(
        database_url=f"sqlite:///{tmp / 'ws.db'}",
        api=ApiSettings(rate_per_second=0, ws_queue=1024, cookie_secure=False),
    )
    clock = SimulatedClock(to_ns(parse_instant(START)))
    container = bootstrap.build(settings, clock, relay_on_commit=False)
    container.identity.hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    app = create_app(container, run_steps=False)
    app.add_api_websocket_route("/naive", _naive)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", backlog=4096)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    keys = _open_accounts(app.state.vtrade, count)
    stamps: dict[int, int] = {}

    def stamp(event: Any) -> None:
        stamps.setdefault(event.version, time.time_ns())

    container.bus.subscribe(f"{topics.PORTFOLIO}.*", stamp)
    pipe.send((port, keys))
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command[0] == "stop":
            break
        clock.advance(NS_PER_SECOND)
        app.state.vtrade.runtime.step()
        version = container.portfolio.version
        pipe.send((version, stamps.get(version, time.time_ns())))
    server.should_exit = True
    await serving


def _open_accounts(state: Any, count: int) -> list[tuple[str, str]]:
    """`count` accounts of one user, one key each, every one holding a few liquid names."""
    from vtrade.domain.commands import SubmitOrder
    from vtrade.domain.market_data import Side

    container = state.container
    identity = container.identity
    identity.create_user("bench", "bench password 1234")
    keys, orders = [], []
    for i in range(count):
        info, secret = identity.create_key("bench", f"a{i}")
        keys.append((info.key_id, secret))
        orders += [
            SubmitOrder(
                id=f"bench-{i}-{symbol}",
                ts_init=container.clock.now_ns(),
                account_id=info.account_id,
                symbol=symbol,
                side=Side.BUY,
                qty=Decimal(5),
            )
            for symbol in SYMBOLS
        ]
    container.trading.submit_many(orders)
    state.runtime.step()
    return keys


async def _naive(websocket: WebSocket) -> None:
    """One bus subscription per connection, json per client, a task per send, no bound."""
    from vtrade.api.auth import account_of, authenticate
    from vtrade.api.state import state_of
    from vtrade.core import topics

    state = state_of(websocket)
    await websocket.accept()
    account = account_of(websocket, await authenticate(websocket)).id
    await websocket.send_text(json.dumps({"ack": "auth"}))
    await websocket.receive()  # the subscribe message
    pending: set[asyncio.Task[None]] = set()

    def on_event(event: Any) -> None:
        data = {name: str(getattr(event, name)) for name in FIGURES}
        text = json.dumps(
            {"channel": "portfolio", "account_id": account, "version": event.version, "data": data}
        )
        task = asyncio.ensure_future(websocket.send_text(text))
        pending.add(task)
        task.add_done_callback(pending.discard)

    unsubscribe = state.container.bus.subscribe(topics.portfolio(account), on_event)
    await websocket.send_text(json.dumps({"ack": "subscribe"}))
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        unsubscribe()
