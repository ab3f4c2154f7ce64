"""The closing auction's volume is the closing cross, at the official close, for cls orders
(README, Execution §2: "our orders in it together fill no more than that"). It must not also
stream as continuous prints in the session's last minute, where every working remainder
would take its 10% participation of it at the book's prices. The feed prints the cross as
the session's last print, with no aggressor (`intraday.AUCTION`); the last minute's bar still
holds it, as a consolidated tape's does."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.domain.market_data import Side
from vtrade.market.intraday import AUCTION

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
MINUTE = 60


def test_a_working_block_does_not_take_a_tenth_of_the_closing_cross_in_the_last_minute(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue("2024-03-15T19:56:00Z")  # 15:56 New York, Friday
    account = venue.open(balance=10**10)
    limit = (venue.quote("AAPL").ask * D("1.05")).quantize(D("0.01"))
    order, _ = venue.submit(
        account, "AAPL", Side.BUY, 3_000_000, type="limit", limit_price=limit, tif="day"
    )
    per_minute, crossed = [], D(0)
    for _ in range(4):  # 15:56-57, 57-58, 58-59, 59-16:00
        fills = venue.advance(MINUTE).fills
        per_minute.append(sum((f.qty for f in fills if f.receipt.liquidity != "auction"), D(0)))
        crossed += sum((f.qty for f in fills if f.receipt.liquidity == "auction"), D(0))
    venue.advance(5)  # past the close: the day order met its last prints and expired
    *earlier, last = per_minute
    # before the fix: about 10x the minutes before it (the 8% closing cross streamed in the
    # last minute's continuous prints)
    assert last <= 3 * max(earlier), per_minute
    # resting in the book at the close, it joined the cross itself, for no more than printed
    window = venue.market.prints("AAPL", venue.now - 2 * MINUTE * 10**9, venue.now)
    (cross,) = window.size[window.side == AUCTION].tolist()
    assert 0 < crossed <= D(repr(cross))
