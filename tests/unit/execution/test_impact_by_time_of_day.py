"""A block pays more impact near a US stock's open and less near its close than at mid-day
(found in session 23's fill-model review: the book's depth followed the volume profile alone,
so the open, the busiest time, was the cheapest: 0.49x mid-day).

market-realism.md §4.3: "Impact of the same quantity traded at the same rate is 1.4x mid-day
impact near the open and 0.5x near the close"."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import Venue, make_container
from vtrade.domain.market_data import Side

QTY = 20_000


def _impact_bps(start: str) -> float:
    venue = Venue(make_container(start))
    account = venue.open(balance=10**10)
    order, changes = venue.submit(account, "AAPL", Side.BUY, QTY)
    assert order.filled_qty == QTY  # taken at once
    base = sum((f.receipt.frictionless_cost for f in changes.fills), Decimal(0))
    paid = sum((f.receipt.impact_cost for f in changes.fills), Decimal(0))
    return float(paid / base * 10_000)


def test_a_block_pays_about_1_4x_mid_day_impact_at_the_open_and_0_5x_at_the_close() -> None:
    opening = _impact_bps("2024-03-15T13:35:00Z")  # 09:35 New York (EDT)
    mid_day = _impact_bps("2024-03-15T16:30:00Z")  # 12:30
    closing = _impact_bps("2024-03-15T19:55:00Z")  # 15:55

    assert opening / mid_day == pytest.approx(1.4, rel=0.2)  # was 0.49
    assert closing / mid_day == pytest.approx(0.5, rel=0.3)
