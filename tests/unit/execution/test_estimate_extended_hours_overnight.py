"""The estimate of an `extended_hours` limit placed while the market is closed names the
instant the order is routed and first trades, as the engine routes it (README, `POST
/estimate`: "the order's `time_in_force` and `extended_hours` route it as they route the
order"): the next pre-market open, 04:00 New York, not the regular open at 09:30 (found by
the extended-hours review). A plain limit still waits for the regular open."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import at
from vtrade.domain import events as ev
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType
from vtrade.execution.estimate import estimate

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
THURSDAY_NIGHT = "2024-03-15T01:00:00Z"  # Thursday 21:00 New York (EDT)
PRE_MARKET_OPENS = "2024-03-15T08:00:00Z"  # Friday 04:00 New York
REGULAR_OPEN = "2024-03-15T13:30:00Z"
FRIDAY_NIGHT = "2024-03-16T01:00:00Z"  # Friday 21:00 New York
MONDAY_PRE_MARKET = "2024-03-18T08:00:00Z"


@pytest.mark.parametrize(
    ("start", "extended", "first"),
    [
        (THURSDAY_NIGHT, True, PRE_MARKET_OPENS),
        (FRIDAY_NIGHT, True, MONDAY_PRE_MARKET),
        (THURSDAY_NIGHT, False, REGULAR_OPEN),
    ],
)
def test_the_estimate_of_a_limit_placed_overnight_names_when_it_is_routed(
    make_venue: Callable[..., Venue], start: str, extended: bool, first: str
) -> None:
    venue = make_venue(start=start, step_ms=60_000)
    account = venue.open(balance=10**8)
    limit = (venue.quote("AAPL").bid * D("0.9")).quantize(D("0.01"))

    estimated = estimate(
        venue.engine,
        "AAPL",
        Side.BUY,
        D(100),
        venue.now,
        order_type=OrderType.LIMIT,
        limit_price=limit,
        extended_hours=extended,
    )
    order, _ = venue.submit(
        account,
        "AAPL",
        Side.BUY,
        100,
        type=OrderType.LIMIT,
        limit_price=limit,
        extended_hours=extended,
    )
    routed = venue.advance_to(at(first) + 60 * 1_000_000_000)

    assert [e.ts_event for e in routed.events if isinstance(e, ev.OrderRouted)] == [at(first)]
    assert order.status is OrderStatus.ACCEPTED
    assert estimated.note is not None and f"until {first}" in estimated.note, estimated.note
