"""An FX market order estimated at the weekend is quoted the spread FX's book is expected to
charge at its Sunday open, its widest hour (the New York rollover, the thin Sydney hour),
not the catalog's typical spread (found in session 21's FX review: 0.65 bp quoted every
weekend for EUR/JPY, about 1.0-1.5 bp paid)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.core.clock import NS_PER_SECOND
from vtrade.domain.market_data import Side
from vtrade.execution.estimate import estimate

if TYPE_CHECKING:
    from conftest import Venue

BPS = Decimal(10_000)


def test_weekend_fx_estimates_quote_about_the_spread_the_open_charges(
    make_venue: Callable[..., Venue],
) -> None:
    """Eight Saturdays of 2024: each order filled at the Sunday open pays, from the mid, a
    half-spread within a factor of two of the estimate's, and within 40% on average."""
    ratios = []
    for week in range(8):
        saturday = date(2024, 1, 6) + timedelta(weeks=5 * week)
        venue = make_venue(start=f"{saturday}T12:00:00Z")
        quoted = estimate(venue.engine, "EUR/JPY", Side.BUY, Decimal(100_000), venue.now)
        account = venue.open(balance=10_000_000)
        order, _ = venue.submit(account, "EUR/JPY", Side.BUY, 100_000)
        assert order.due_ns is not None
        (fill,) = venue.advance_to(order.due_ns + NS_PER_SECOND).fills
        r = fill.receipt
        paid = (r.touch - r.arrival_mid) / r.arrival_mid * BPS
        assert quoted.spread_bps is not None and quoted.spread_bps > Decimal("1.0")
        ratios.append(paid / quoted.spread_bps)
    assert all(Decimal("0.5") <= q <= Decimal(2) for q in ratios), ratios
    assert Decimal("0.6") <= sum(ratios) / len(ratios) <= Decimal("1.4"), ratios
