"""Specification of when working orders meet the market: once per step, each symbol at its own
phase within the step, so that a catalog's resting orders are not all worked in one instant."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from vtrade.domain.market_data import Side
from vtrade.execution.working import phase

if TYPE_CHECKING:
    from conftest import Venue

SECOND = 1_000_000_000
MS = 1_000_000


def test_phases_are_whole_milliseconds_spread_over_the_step(venue: Venue) -> None:
    symbols = venue.catalog.symbols
    phases = [phase(s, SECOND) for s in symbols]

    assert all(0 <= p < SECOND and p % MS == 0 for p in phases)
    assert {p // (100 * MS) for p in phases} == set(range(10))  # every tenth of the step
    assert phase("AAPL", 100 * MS) < 100 * MS  # a shorter step keeps phases inside it


def test_each_symbol_works_its_orders_once_per_step_at_its_own_phase(venue: Venue) -> None:
    whale = venue.open(balance=10**10)
    symbols = ("AAPL", "MSFT", "SPY")
    assert len({phase(s, SECOND) for s in symbols}) == len(symbols)
    for symbol in symbols:
        order, _ = venue.submit(whale, symbol, Side.BUY, 80_000)
        assert order.is_open  # a block: the remainder works over the coming steps

    fills = []
    end = venue.now + 20 * SECOND
    while venue.now < end:
        fills += venue.advance_to(venue.now + 100 * MS).fills  # like a server's timer

    instants = defaultdict(list)
    for fill in fills:
        instants[fill.symbol].append(fill.ts_ns)
    for symbol in symbols:
        assert len(instants[symbol]) >= 10
        assert {t % SECOND for t in instants[symbol]} == {phase(symbol, SECOND)}
        assert len(set(instants[symbol])) == len(instants[symbol])  # once per step
    assert [f.ts_ns for f in fills] == sorted(f.ts_ns for f in fills)  # in time order
