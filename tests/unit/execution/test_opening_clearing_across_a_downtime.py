"""A downtime across the open, caught up in coarse steps (4 h: 10 s steps), changes no opening
auction fill when an extended-hours limit in the book fills in the pre-market's last seconds:
an opg order, a regular limit and the extended limit clear alike with the catch-up and in
the run that keeps going (1 s steps). The three crossing at the open needs extended-hours
limits to join the opening auction, which is not built yet (strict xfail; see
`test_extended_hours_limits_join_the_open.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from restart_pairs import Pairs, Run
from restart_pairs import pairs as _pairs

from conftest import EXTENDED_BUY_BEFORE_THE_OPEN, at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce

D = Decimal


@pytest.fixture
def pairs(fresh_database: Callable[[], str]) -> Iterator[Pairs]:
    yield from _pairs(fresh_database)


def opg_and_extended_through_a_downtime(run: Run) -> None:
    a = run.open(balance=10**8)
    run.go(at("2024-03-25T13:25:00Z"))
    run.submit(a, "AAPL", Side.BUY, 300, type=OrderType.MARKET, tif=TimeInForce.OPG)
    run.go(at("2024-03-25T13:29:00Z"))
    run.submit(a, "AAPL", Side.BUY, 5000, type=OrderType.LIMIT, limit_price=D("275.90"))
    run.go(at("2024-03-25T13:29:55Z"))
    run.submit(a, "AAPL", Side.BUY, 1000, **EXTENDED_BUY_BEFORE_THE_OPEN)
    run.down(at("2024-03-25T13:29:55.5Z"), at("2024-03-25T17:29:56Z"))
    run.go(at("2024-03-25T17:31:00Z"))


def _auction_fills(run: Run) -> list[tuple]:
    """(order index, qty, price) of each opening-auction fill. (A catch-up's coarse steps
    stamp a fill at the end of the step that met it, and may price the continuous fills
    after the open otherwise: only what the auction crossed, which no step size changes, is
    compared.)"""
    orders = run.outcome()["account0"]["orders"]
    return [(i, f[1], f[2]) for i, o in enumerate(orders) for f in o["fills"] if f[3] == "auction"]


@pytest.mark.xfail(strict=True, reason="extended-hours limits do not join the opening auction yet")
def test_a_downtime_across_the_open_changes_no_auction_fill(pairs: Pairs) -> None:
    kept, restarted = pairs.play(opg_and_extended_through_a_downtime, "2024-03-25T13:20:00Z")
    crossed = _auction_fills(kept)
    assert len(crossed) == 3  # opg, regular and extended cross at the open
    assert _auction_fills(restarted) == crossed
