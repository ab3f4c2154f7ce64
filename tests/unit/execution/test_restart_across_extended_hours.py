"""Restarts around 16:00, 20:00 and 04:00 New York, and downtimes across 20:00 and the open,
change no fill of extended-hours orders working in the post- and pre-market: each scenario
runs once on a service that keeps going and once on one that restarts (`restart_pairs`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from restart_pairs import Pairs, Run, assert_same, quote_of
from restart_pairs import pairs as _pairs

from conftest import at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce

D = Decimal
LIMIT = OrderType.LIMIT


@pytest.fixture
def pairs(fresh_database: Callable[[], str]) -> Iterator[Pairs]:
    yield from _pairs(fresh_database)


def post_market_restarts(run: Run) -> None:
    a = run.open(balance=10**9)
    run.go(at("2024-03-15T19:50:00Z"))  # 15:50 New York
    q = quote_of(run, "AAPL")
    run.submit(a, "AAPL", Side.BUY, 40_000, type=LIMIT, limit_price=q.ask + 1, extended_hours=True)
    run.submit(a, "AAPL", Side.BUY, 3_000, type=LIMIT, limit_price=q.bid, extended_hours=True)
    run.submit(
        a,
        "MSFT",
        Side.SELL,
        3_000,
        type=LIMIT,
        limit_price=quote_of(run, "MSFT").ask,
        extended_hours=True,
    )
    run.submit(a, "AAPL", Side.BUY, 3_000, type=LIMIT, limit_price=q.bid, tif=TimeInForce.GTC)
    run.checkpoint(at("2024-03-15T20:00:00.3Z"))
    run.checkpoint(at("2024-03-15T21:13:00.7Z"))
    run.checkpoint(at("2024-03-15T23:59:59.9Z"))
    run.go(at("2024-03-16T00:30:00Z"))


def post_market_downtime(run: Run) -> None:
    a = run.open(balance=10**9)
    run.go(at("2024-03-15T23:40:00Z"))  # 19:40 New York
    q = quote_of(run, "AAPL")
    run.submit(a, "AAPL", Side.BUY, 40_000, type=LIMIT, limit_price=q.ask + 1, extended_hours=True)
    run.submit(a, "AAPL", Side.BUY, 3_000, type=LIMIT, limit_price=q.bid, extended_hours=True)
    run.down(at("2024-03-15T23:45:00Z"), at("2024-03-16T00:10:00Z"))
    run.go(at("2024-03-16T00:30:00Z"))


def overnight_into_the_pre_market(run: Run) -> None:
    a = run.open(balance=10**9)
    run.go(at("2024-03-15T01:00:00Z"))  # Thursday 21:00 New York
    q = quote_of(run, "AAPL")
    run.submit(a, "AAPL", Side.BUY, 20_000, type=LIMIT, limit_price=q.ask + 3, extended_hours=True)
    run.submit(a, "AAPL", Side.BUY, 3_000, type=LIMIT, limit_price=q.bid - 1, extended_hours=True)
    run.submit(a, "MSFT", Side.BUY, 3_000)
    run.checkpoint(at("2024-03-15T07:59:59.9Z"))
    run.checkpoint(at("2024-03-15T08:00:00.2Z"))
    run.down(at("2024-03-15T13:20:00Z"), at("2024-03-15T13:40:00Z"))
    run.go(at("2024-03-15T14:00:00Z"))


@pytest.mark.parametrize(
    ("scenario", "start"),
    [
        (post_market_restarts, "2024-03-15T15:00:00Z"),
        (post_market_downtime, "2024-03-15T15:00:00Z"),
        (overnight_into_the_pre_market, "2024-03-14T23:00:00Z"),
    ],
)
def test_a_restart_around_extended_hours_changes_no_fill(
    pairs: Pairs, scenario: Callable[[Run], None], start: str
) -> None:
    kept, restarted = pairs.play(scenario, start)
    traded = [o for acc in kept.outcome().values() for o in acc["orders"] if o["fills"]]
    assert traded
    assert_same(kept, restarted)
