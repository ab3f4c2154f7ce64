"""A restart just after the open (0.1 s, and 30 s with 60 s steps), with orders due in the
opening auction and an extended-hours limit on their side resting from the pre-market,
changes no fill."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from restart_pairs import Pairs, Run, assert_same
from restart_pairs import pairs as _pairs

from conftest import EXTENDED_BUY_BEFORE_THE_OPEN, at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce

D = Decimal
SECOND = 1_000_000_000
OPEN = at("2024-03-25T13:30:00Z")


@pytest.fixture
def pairs(fresh_database: Callable[[], str]) -> Iterator[Pairs]:
    yield from _pairs(fresh_database)


def _scenario(restart_at: int, market: bool):
    def play(run: Run) -> None:
        a = run.open(balance=10**9)
        run.go(at("2024-03-25T13:25:00Z"))
        run.submit(a, "AAPL", Side.BUY, 300, type=OrderType.MARKET, tif=TimeInForce.OPG)
        if market:
            run.submit(a, "AAPL", Side.BUY, 700_000, type=OrderType.MARKET)
        run.go(at("2024-03-25T13:29:55Z"))
        run.submit(a, "AAPL", Side.BUY, 1000, **EXTENDED_BUY_BEFORE_THE_OPEN)
        run.go(OPEN)
        run.checkpoint(restart_at)
        run.go(OPEN + 150 * SECOND)

    return play


@pytest.mark.parametrize("market", [False, True])
@pytest.mark.parametrize(
    ("step_ms", "after_open_ms"), [(1_000, 100), (60_000, 100), (60_000, 30_000)]
)
def test_a_restart_just_after_the_open_changes_no_fill(
    pairs: Pairs, step_ms: int, after_open_ms: int, market: bool
) -> None:
    restart_at = OPEN + after_open_ms * 1_000_000
    kept, restarted = pairs.play(
        _scenario(restart_at, market), "2024-03-25T13:20:00Z", step_ms=step_ms
    )
    assert_same(kept, restarted)
