"""The arrival mid of what a market order queued for the opening auction leaves is the auction's
price (found in session 21's receipts review).

README: "The arrival mid is the mid when the order could first trade: at submission, at the
trigger for a stop, and the official price itself for an auction fill". An order queued for
the open could first trade at the open: its auction fill's receipt takes the official open
(263.37), and an FX or futures order queued for the open has its arrival reset to the mid at
the open (`working._auction`). But the part of a US market order the auction could not cross
works on after the open with the pre-market mid it was submitted at (261.73) as its arrival:
its receipts charge the overnight gap as drift (694.62 USD on the first 454 shares, 59.65 bp
of slippage) that no fill of the order could have avoided, while the auction fill of the same
order showed 11 bp."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus
from vtrade.execution.fills import mid_of

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
SECOND = 1_000_000_000
WHALE = 10**10
PRE_MARKET = "2024-03-15T12:00:00Z"  # 08:00 New York
OPEN = "2024-03-15T13:30:00Z"


def test_the_rest_of_an_order_queued_for_the_open_is_benchmarked_at_the_open(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(start=PRE_MARKET)
    account = venue.open(balance=WHALE)
    order, _ = venue.submit(account, "AAPL", Side.BUY, 2_000_000)  # 4% of a day: the auction
    assert order.status is OrderStatus.PENDING_OPEN  # crosses 1% (500,000)
    submitted_mid = order.arrival_mid
    assert submitted_mid == D("261.73")

    open_ns = to_ns(parse_instant(OPEN))
    fills = list(venue.advance_to(open_ns + 5 * SECOND).fills)
    inst = venue.catalog.get("AAPL")
    official = venue.market.official_price("AAPL", open_ns, "open")
    mid_at_open = mid_of(venue.market.touch("AAPL", open_ns), inst)
    assert (official, mid_at_open) == (D("263.37"), D("263.325"))

    auction, rest = fills[0], fills[1:]
    assert auction.receipt.liquidity == "auction" and auction.qty == 500_000
    assert auction.receipt.arrival_mid == official
    assert rest and all(f.receipt.liquidity == "taker" for f in rest)
    for fill in rest:
        assert fill.receipt.arrival_mid in (official, mid_at_open)
        assert fill.receipt.arrival_mid != submitted_mid
