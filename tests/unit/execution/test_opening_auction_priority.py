"""Price-time priority in the opening auction: opg orders cross at the open instant and
the book's limits join at their first meet after it, yet a limit-on-open order does not
rank before a better-priced, earlier limit resting in the book (`auctions.clear` ranks all
our orders in the auction once)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from conftest import SECOND, at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce
from vtrade.execution.fills import auction_volume

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
SYMBOL = "AAPL"
OPEN = at("2024-03-15T13:30:00Z")


def test_a_later_limit_on_open_order_at_a_worse_price_does_not_come_first(
    make_venue: Callable[..., Venue],
) -> None:
    """At 12:00 (pre-market) a 500,000-share day buy limit at the official open + 3% goes
    into the book for the open; at 12:01 a 500,000-share limit-on-open buy (opg) at the open +
    2%. The opening auction crosses 1% of AAPL's 50M average day: 500,000. Price (+3% > +2%)
    and time (12:00 < 12:01) give the resting limit the auction, though the LOO crosses first
    (at 13:30:00; the limit meets it at 13:30:00.236): it crossed all 500,000 before."""
    venue = make_venue("2024-03-15T12:00:00Z")
    official = venue.market.official_price(SYMBOL, OPEN, "open")
    volume = auction_volume(venue.catalog.get(SYMBOL), "open")
    assert volume == 500_000
    account = venue.open(balance=10_000_000_000)
    resting, _ = venue.submit(
        account,
        SYMBOL,
        Side.BUY,
        500_000,
        type=OrderType.LIMIT,
        limit_price=(official * D("1.03")).quantize(D("0.01")),
    )
    venue.advance(60)
    loo, _ = venue.submit(
        account,
        SYMBOL,
        Side.BUY,
        500_000,
        type=OrderType.LIMIT,
        limit_price=(official * D("1.02")).quantize(D("0.01")),
        tif=TimeInForce.OPG,
    )
    assert resting.status is loo.status is OrderStatus.PENDING_OPEN

    fills = venue.advance_to(OPEN + 5 * SECOND).fills

    opened = {f.order_id: f.qty for f in fills if f.receipt.auction == "open"}
    assert opened.get(resting.id) == 500_000, (
        f"the earlier, better-priced resting limit crossed {opened.get(resting.id, 0)} in the "
        f"opening auction; the later LOO {opened.get(loo.id, 0)}"
    )
