"""`vtrade bench portfolio`: every account revalued by delta on every tick.

20,000 accounts x 15 positions drawn from the whole universe (USD, GBX, JPY, EUR ... and
futures with multipliers). Single ticks go through `Valuation.mark_one` one at a time (FX
pairs re-price their currency's instruments); batches are 250 ms of the feed (every
instrument ticking about 20 times) applied by `Valuation.mark`, which coalesces repeats.
Latency is tick (or batch) in to hot state updated. The naive way in the same run recomputes
every portfolio from the positions on each tick, as a plain loop over the positions table.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc

import numpy as np

from benchmarks.runner import Row
from vtrade.bootstrap import portfolio_universe
from vtrade.execution.config import ExecutionConfig
from vtrade.market.catalog import Catalog
from vtrade.portfolio.alerts import Alerts
from vtrade.portfolio.universe import Universe
from vtrade.portfolio.valuation import Valuation

POSITIONS = 15
TICKS_PER_BATCH = 5_000  # ~250 ms of the feed: every instrument ticks about 20 times


def run(size: str) -> list[Row]:
    smoke = size == "smoke"
    accounts = 1_000 if smoke else 20_000
    singles = 5_000 if smoke else 300_000
    batches = 20 if smoke else 300
    rng = np.random.default_rng(7)
    catalog = Catalog.load()
    universe = portfolio_universe(catalog, ExecutionConfig())
    prices = np.array([float(i.market.reference_price) for i in catalog])

    Valuation(universe)  # loads the compiled loops first: their code is not account memory
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    valuation, book = _populate(universe, prices, accounts, rng)
    per_account = (tracemalloc.get_traced_memory()[0] - before) / accounts
    tracemalloc.stop()
    gc.collect()
    gc.freeze()

    single_rate, single_lat = _single_ticks(valuation, prices, singles, rng)
    batch_rate, batch_lat, distinct = _batches(valuation, prices, batches, rng)
    naive_rate = _naive(book, valuation, 3 if smoke else 2)
    full_rate = _full_recompute(valuation, 20)
    publish_ms = _publish_pass(valuation)
    drift = _drift(valuation)
    gc.unfreeze()
    return [
        Row(
            f"single ticks/s ({accounts:,} accounts x {POSITIONS})",
            single_rate,
            "ticks/s",
            naive=naive_rate,
            target=">= 100,000",
            ok=single_rate >= 100_000,
        ),
        Row("p50 tick to hot state (single)", statistics.median(single_lat), "ms"),
        Row(
            "p99 tick to hot state (single)",
            _p99(single_lat),
            "ms",
            target="<= 2 ms",
            ok=_p99(single_lat) <= 2.0,
        ),
        Row(
            f"batched instrument-ticks/s ({TICKS_PER_BATCH:,} per batch)",
            batch_rate,
            "ticks/s",
            naive=naive_rate,
            target=">= 1,000,000",
            ok=batch_rate >= 1_000_000,
        ),
        Row("instruments re-priced per batch (after coalescing)", distinct, "instruments"),
        Row("p50 batch to hot state", statistics.median(batch_lat), "ms"),
        Row(
            "p99 batch to hot state",
            _p99(batch_lat),
            "ms",
            target="<= 2 ms",
            ok=_p99(batch_lat) <= 2,
        ),
        Row(
            "speed-up of single ticks over the naive way",
            single_rate / naive_rate,
            "x",
            target=">= 100",
            ok=single_rate / naive_rate >= 100,
        ),
        Row("full vectorized recompute of every account, per s", full_rate, "recomputes/s"),
        Row("publish pass (all accounts' columns and alerts)", publish_ms, "ms"),
        Row("max relative drift of deltas vs full recompute", drift, "ratio"),
        Row("memory per account (index, state, slots)", per_account, "bytes"),
    ]


def _populate(
    universe: Universe, prices: np.ndarray, accounts: int, rng: np.random.Generator
) -> tuple[Valuation, list[tuple[int, int, float, float]]]:
    v = Valuation(universe)
    v.mark(np.arange(universe.size), prices)
    book: list[tuple[int, int, float, float]] = []
    for a in range(accounts):
        account_id = f"acc-{a}"
        v.add_account(account_id, 1_000_000.0, 1_000_000.0)
        for i in rng.choice(universe.size, POSITIONS, replace=False).tolist():
            unit = float(prices[i] * universe.multiplier[i])
            qty = float(np.round(rng.uniform(-1, 3) * 20_000 / max(unit, 1e-9), 0) or 1.0)
            avg = float(prices[i] * rng.uniform(0.9, 1.1))
            v.set_position(account_id, universe.symbols[i], qty, avg)
            book.append((a, i, qty, avg))
    v.take_dirty()
    return v, book


def _moves(prices: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    instruments = rng.integers(0, prices.shape[0], n)
    return instruments, prices[instruments] * (1 + rng.normal(0, 2e-4, n))


def _single_ticks(
    v: Valuation, prices: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[float, list[float]]:
    instruments, new = _moves(prices, n, rng)
    pairs = list(zip(instruments.tolist(), new.tolist(), strict=True))
    latencies = [0.0] * n
    clock = time.perf_counter_ns
    began = clock()
    for k, (i, price) in enumerate(pairs):
        t0 = clock()
        v.mark_one(i, price)
        latencies[k] = (clock() - t0) / 1e6
    elapsed = (clock() - began) / 1e9
    return n / elapsed, latencies


def _batches(
    v: Valuation, prices: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[float, list[float], float]:
    work = [_moves(prices, TICKS_PER_BATCH, rng) for _ in range(n)]
    latencies, distinct = [], []
    began = time.perf_counter()
    for instruments, new in work:
        t0 = time.perf_counter()
        distinct.append(v.mark(instruments, new))
        latencies.append((time.perf_counter() - t0) * 1e3)
    elapsed = time.perf_counter() - began
    return n * TICKS_PER_BATCH / elapsed, latencies, statistics.mean(distinct)


def _naive(book: list[tuple[int, int, float, float]], v: Valuation, ticks: int) -> float:
    """Recompute every portfolio from the positions on each tick: a loop over the table."""
    u = v.universe
    cash = v.cash.tolist()
    fx = v.fx.tolist()
    currency, multiplier = u.currency.tolist(), u.multiplier.tolist()
    price = v.price.tolist()
    began = time.perf_counter()
    for _ in range(ticks):
        nav = list(cash)
        for a, i, qty, _avg in book:
            nav[a] += qty * price[i] * multiplier[i] * fx[currency[i]]
    return ticks / (time.perf_counter() - began)


def _full_recompute(v: Valuation, n: int) -> float:
    began = time.perf_counter()
    for _ in range(n):
        v.recompute()
    return n / (time.perf_counter() - began)


def _publish_pass(v: Valuation) -> float:
    alerts = Alerts()
    alerts.prime(v.columns())
    everyone = np.arange(len(v.ids))
    began = time.perf_counter()
    alerts.check(v.columns(), everyone)
    return (time.perf_counter() - began) * 1e3


def _drift(v: Valuation) -> float:
    net, gross, _, _ = v.recompute()
    n = len(v.ids)
    return float(np.max(np.abs(v.net[:n] - net) / np.maximum(np.abs(gross), 1.0)))


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.99 * (len(ordered) - 1))]
