"""What an order due in the opening auction leaves after it crosses, while an extended-hours
buy limit rests from 09:29:55 (AAPL 2024-03-25, open 13:30:00Z; in 60 s steps AAPL meets the
market at :45.236 of each minute, in 1 s steps at .236): a market order's remainder works from
the open, and an opg order the auction does not fill is canceled at the open, whatever the
step. Guards for extended-hours limits joining the open (see
`test_opening_auction_beside_extended_limits.py`)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import EXTENDED_BUY_BEFORE_THE_OPEN, SECOND, at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
OPEN = at("2024-03-25T13:30:00Z")


def _play(make_venue: Callable[..., Venue], step_ms: int, extended: bool):
    venue = make_venue("2024-03-25T13:20:00Z", step_ms=step_ms)
    account = venue.open(balance=10**10)
    venue.advance_to(at("2024-03-25T13:25:00Z"))
    # a day market buy queued for the open, bigger than the auction's volume (500,000)
    market, _ = venue.submit(account, "AAPL", Side.BUY, 2_000_000, type=OrderType.MARKET)
    # a limit-on-open behind it: the auction's volume is gone, it crosses nothing
    opg, _ = venue.submit(
        account,
        "AAPL",
        Side.BUY,
        100_000,
        type=OrderType.LIMIT,
        limit_price=D("275.95"),
        tif=TimeInForce.OPG,
    )
    venue.advance_to(at("2024-03-25T13:29:55Z"))
    if extended:
        venue.submit(account, "AAPL", Side.BUY, 1000, **EXTENDED_BUY_BEFORE_THE_OPEN)
    fills = venue.advance_to(OPEN + 180 * SECOND).fills
    return market, opg, fills


@pytest.mark.parametrize("step_ms", [1_000, 60_000])
def test_a_market_order_remainder_works_from_the_open(
    make_venue: Callable[..., Venue], step_ms: int
) -> None:
    """The remainder of a day market order after the opening auction works from the open:
    its first fills are the same as without the extended limit (a deferral of the auction
    once skipped its first meet: in 60 s steps the prints of 09:30:00 to 09:30:45 were lost,
    its first continuous fill came a step later, 33,963 shares fewer)."""
    market, _, fills = _play(make_venue, step_ms, extended=True)
    alone_market, _, alone = _play(make_venue, step_ms, extended=False)
    mine = [(f.ts_ns, f.qty, f.receipt.liquidity) for f in fills if f.order_id == market.id]
    without = [
        (f.ts_ns, f.qty, f.receipt.liquidity) for f in alone if f.order_id == alone_market.id
    ]
    assert mine[:2] == without[:2]


@pytest.mark.parametrize("step_ms", [1_000, 60_000])
def test_an_opg_order_the_auction_does_not_fill_is_canceled_at_the_open(
    make_venue: Callable[..., Venue], step_ms: int
) -> None:
    """'not filled in its auction': canceled at the open it was due in (09:30:00.000), not at
    whatever step end comes after its symbol's meet (09:30:01 or 09:31:00)."""
    _, opg, _ = _play(make_venue, step_ms, extended=True)
    assert opg.status is OrderStatus.CANCELED and not opg.filled_qty
    assert opg.updated_ns == OPEN, (opg.updated_ns - OPEN) / SECOND
