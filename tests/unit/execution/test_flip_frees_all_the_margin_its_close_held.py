"""Flipping a position in one order.

A flip (cover a short and go long, or sell a long and go short, in one order) must need no more
buying power than the same trade done in two orders: the close frees the margin the closed
position actually held before the new side needs any (README, "An order that flips a position
counts the margin its close frees").
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal


def test_flipping_a_low_priced_short_to_long_counts_all_the_margin_the_short_held(
    make_venue: Callable[..., Venue],
) -> None:
    """A short of AMC (~4.70, under $5) holds its WHOLE value as margin (FINRA 4210(c)(2)),
    not the 50% of Reg T. Covering it frees all of that, so a trader who covers 10,000 AMC and
    buys 15,000 more in one order needs no more buying power than the two orders apart: the
    account below does the two-order version (cover, then buy 15,000) without a problem.

    The check once added back only 50% of the short's value (10,000 x 4.705 x 0.5 =
    23,525) instead of the 47,050 it held, and refused the flip for want of buying power."""
    venue = make_venue(max_position_share=D(1))  # the position cap out of the way
    account = venue.open(balance=100_000)
    short, _ = venue.submit(account, "AMC", Side.SELL, 10_000)
    assert short.status is OrderStatus.FILLED, short.reject_reason
    view = venue.engine.view(account.id, venue.now)
    assert view.margin_used == abs(view.values["AMC"])  # 100% of the short's value
    free = view.nav - view.margin_used
    for symbol in ("AAPL", "MSFT"):  # use (nearly) all the buying power left, at 2:1
        qty = (free / venue.quote(symbol).ask * D("0.995")).to_integral_value(ROUND_FLOOR)
        order, _ = venue.submit(account, symbol, Side.BUY, qty)
        assert order.status is OrderStatus.FILLED, order.reject_reason
    view = venue.engine.view(account.id, venue.now)
    assert view.nav - view.margin_used < 1_000  # nearly no excess margin left

    # what the short holds (47,050) covers the new long's 50% (15,000 x 4.71 / 2 = 35,325)
    new_long = D(15_000) * venue.quote("AMC").ask / 2
    assert view.nav - view.margin_used + abs(view.values["AMC"]) > new_long
    flip = venue.preview(account, "AMC", Side.BUY, 25_000)

    assert flip.status is not OrderStatus.REJECTED, flip.reject_reason
