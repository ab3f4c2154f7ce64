"""`vtrade bench execution`: orders/s through validation, fill model and a committed ledger.

Orders go through `TradingService.submit_many` on a real SQLite file (WAL): validated, routed,
filled against the shared book, fees and receipts computed, and the order, fills, positions,
cash entries and outbox events committed before the batch is acknowledged. Latency is per
order, from its batch's start to its commit; the outbox relay runs between batches. Mix: 90%
small orders (1-100 shares, market or marketable limit), 10% large ones (2,000-5,000 shares)
that walk several levels. The naive way in the same run commits each order in its own
transaction; other batch sizes show what throughput each latency costs.
"""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

from benchmarks.runner import Row
from vtrade import bootstrap
from vtrade.adapters.sql import bulk
from vtrade.core.clock import SimulatedClock, parse_instant, to_ns
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType
from vtrade.settings import Settings

START = "2026-11-18T15:00:00Z"  # a Wednesday, US regular hours
SYMBOLS = (
    "AAPL",
    "MSFT",
    "NVDA",
    "AMZN",
    "GOOGL",
    "META",
    "JPM",
    "XOM",
    "SPY",
    "QQQ",
    "AVGO",
    "TSLA",
    "V",
    "WMT",
    "UNH",
    "COST",
    "HD",
    "PG",
    "KO",
    "IWM",
)
BATCH = 16
RELAY_EVERY = 8  # batches between outbox relays (a server relays on a timer)
CURVE = (2, 4, 8, 32)  # other batch sizes, on a fifth of the orders
T = TypeVar("T")


def run(size: str) -> list[Row]:
    n = 1_500 if size == "smoke" else 30_000
    naive_n = 300 if size == "smoke" else 3_000
    group = _measure(n, BATCH, seed=1)
    naive = _measure(naive_n, 1, seed=2)
    engine_only = _engine_only(min(n, 10_000))
    return [
        Row(
            f"orders/s, group commit of {BATCH} (SQLite WAL, {n:,} orders)",
            group["rate"],
            "orders/s",
            naive=naive["rate"],
            target=">= 10,000",
            ok=group["rate"] >= 10_000,
        ),
        Row("p50 order latency (submit to commit)", group["p50"], "ms", naive=naive["p50"]),
        Row(
            "p99 order latency (submit to commit)",
            group["p99"],
            "ms",
            naive=naive["p99"],
            target="<= 2 ms",
            ok=group["p99"] <= 2.0,
        ),
        Row("fills committed per order", group["fills"] / n, "fills"),
        Row("engine only (no database), orders/s", engine_only, "orders/s"),
        # where a group-committed order's time goes (the three add up to 1 / rate)
        Row("  of which engine (validation, fills, booking)", group["engine_us"], "us/order"),
        Row("  of which ledger commit (rows and transaction)", group["commit_us"], "us/order"),
        Row("    of those, encoding the rows (Python)", group["encode_us"], "us/order"),
        Row("    of those, the transaction (SQLite)", group["sqlite_us"], "us/order"),
        Row("  of which outbox relay to the bus", group["relay_us"], "us/order"),
        # what the transaction alone allows, were all else instant
        Row("ceiling set by that transaction alone", 1e6 / group["sqlite_us"], "orders/s"),
        *_latency_curve(n // 5),
    ]


def _latency_curve(n: int) -> list[Row]:
    """Throughput against p99 latency as the group commit grows: a larger batch spreads a
    commit over more orders and makes each wait for the whole batch."""
    rows = []
    for batch in CURVE:
        at = _measure(n, batch, seed=4)
        rows.append(Row(f"group commit of {batch}: orders/s", at["rate"], "orders/s"))
        p99 = at["p99"]
        rows.append(
            Row(f"group commit of {batch}: p99", p99, "ms", target="<= 2 ms", ok=p99 <= 2.0)
        )
    return rows


def _orders(
    c: bootstrap.Container, accounts: list[str], n: int, rng: random.Random
) -> list[SubmitOrder]:
    t = c.clock.now_ns()
    cmds = []
    for i in range(n):
        symbol = rng.choice(SYMBOLS)
        side = Side.BUY if (i // len(accounts)) % 2 == 0 else Side.SELL
        large = rng.random() < 0.10
        qty = Decimal(rng.randint(2_000, 5_000) if large else rng.randint(1, 100))
        kind = OrderType.LIMIT if rng.random() < 0.3 else OrderType.MARKET
        limit = None
        if kind is OrderType.LIMIT:
            touch = c.market.touch(symbol, t)
            price = touch.ask * 1.001 if side is Side.BUY else touch.bid * 0.999
            limit = (Decimal(repr(price)) / Decimal("0.01")).to_integral_value() * Decimal("0.01")
        cmds.append(
            SubmitOrder(
                id=f"b{i}",
                ts_init=t,
                account_id=accounts[i % len(accounts)],
                symbol=symbol,
                side=side,
                qty=qty,
                type=kind,
                limit_price=limit,
            )
        )
    return cmds


def _setup(tmp: str, seed: int) -> tuple[bootstrap.Container, list[str], random.Random]:
    clock = SimulatedClock(to_ns(parse_instant(START)))
    c = bootstrap.build(Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}"), clock)
    c.trading.start()
    c.trading.relay_every = 0  # `_measure` relays between batches, as a server's timer does
    accounts = [
        c.trading.open_account(
            OpenAccount(
                id=f"a{i}", ts_init=0, owner=f"u{i}", name="bench", balance=Decimal(50_000_000)
            )
        ).id
        for i in range(200)
    ]
    for s in SYMBOLS:
        c.market.touch(s, clock.now_ns())  # generate the day's market up front
    gc.collect()
    gc.freeze()  # start-up objects (market caches) need no more collector passes
    return c, accounts, random.Random(seed)


def _measure(n: int, batch: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        c, accounts, rng = _setup(tmp, seed)
        cmds = _orders(c, accounts, n, rng)
        spent = {"commit": 0.0, "encode": 0.0, "relay": 0.0}
        c.store.commit = _timed(c.store.commit, spent, "commit")  # type: ignore[method-assign]
        c.trading.relay = _timed(c.trading.relay, spent, "relay")  # type: ignore[method-assign]
        encoding = _timed(bulk.batch_rows, spent, "encode")  # the commit's row building
        latencies: list[float] = []
        began = time.perf_counter()
        with mock.patch.object(bulk, "batch_rows", encoding):
            for k, i in enumerate(range(0, n, batch)):
                c.clock.advance(1_000_000 * batch)  # one simulated millisecond per order
                t0 = time.perf_counter()
                c.trading.submit_many(cmds[i : i + batch])
                latencies += [(time.perf_counter() - t0) * 1e3] * len(cmds[i : i + batch])
                if k % RELAY_EVERY == RELAY_EVERY - 1:  # counted in the rate, not in latencies
                    c.trading.relay()
            c.trading.relay()
        elapsed = time.perf_counter() - began
        fills = sum(len(c.store.list_fills(a, limit=1_000_000)) for a in accounts)
        c.store.close()
    latencies.sort()
    return {
        "rate": n / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[int(0.99 * (len(latencies) - 1))],
        "fills": fills,
        "engine_us": (elapsed - spent["commit"] - spent["relay"]) / n * 1e6,
        "commit_us": spent["commit"] / n * 1e6,
        "encode_us": spent["encode"] / n * 1e6,
        "sqlite_us": (spent["commit"] - spent["encode"]) / n * 1e6,
        "relay_us": spent["relay"] / n * 1e6,
    }


def _timed(call: Callable[..., T], spent: dict[str, float], key: str) -> Callable[..., T]:
    """`call`, adding the seconds it takes to `spent[key]`."""

    def timed(*args: Any) -> T:
        began = time.perf_counter()
        try:
            return call(*args)
        finally:
            spent[key] += time.perf_counter() - began

    return timed


def _engine_only(n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        c, accounts, rng = _setup(tmp, 3)
        cmds = _orders(c, accounts, n, rng)
        t = c.clock.now_ns()
        began = time.perf_counter()
        for i, cmd in enumerate(cmds):
            c.engine.submit(cmd, t + i * 1_000_000)
        rate = n / (time.perf_counter() - began)
        c.store.close()
    return rate
