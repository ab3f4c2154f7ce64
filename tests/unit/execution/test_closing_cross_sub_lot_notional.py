"""A notional market-on-close order that comes to less than one lot at the close takes no
share and does not end the clearing of the orders behind it (offered 0 lots and ranked
first, it ended `auctions.clear`'s loop: every limit behind it was given a share of 0)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from conftest import SECOND, at, printed_cross
from vtrade.domain import events as ev
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
CLOSE = at("2024-03-15T20:00:00Z")
WHALE = 10_000_000_000


def test_a_sub_lot_notional_moc_does_not_starve_the_books_limit(
    make_venue: Callable[..., Venue],
) -> None:
    """AAPL, Friday 2024-03-15 (cross 2,294,977.6062 at 267.50, printed 19:59:59). At 19:45
    one account sends a $0.0267 notional MOC buy (accepted: 0.0001 share at the 265.64 ask);
    another a 3M-share buy limit at 275. The MOC comes to less than a lot at the close price
    and is canceled; the limit joins the cross at 19:59:59.236 and crosses all 2,294,977 (it
    crossed 0)."""
    venue = make_venue("2024-03-15T19:45:00Z")
    printed = printed_cross(venue, "AAPL", CLOSE)[2].to_integral_value(ROUND_FLOOR)
    tiny = venue.open(balance=WHALE)
    moc, _ = venue.submit(tiny, "AAPL", Side.BUY, notional=D("0.0267"), tif=TimeInForce.CLS)
    assert moc.status is OrderStatus.ACCEPTED, moc.reject_reason
    rich = venue.open(balance=WHALE)
    limit, _ = venue.submit(
        rich, "AAPL", Side.BUY, 3_000_000, type=OrderType.LIMIT, limit_price=D("275")
    )
    assert limit.is_open

    changes = venue.advance_to(CLOSE + 5 * SECOND)

    reasons = [e.reason for e in changes.events if isinstance(e, ev.OrderCanceled)]
    assert moc.status is OrderStatus.CANCELED, reasons
    assert any("less than one lot" in r for r in reasons)
    crossed = {f.order_id: f.qty for f in changes.fills if f.receipt.auction == "close"}
    assert crossed.get(limit.id, D(0)) == printed, (
        f"the 3M-share limit at 275 crossed {crossed.get(limit.id, D(0))} of the {printed} "
        "printed: a notional MOC worth under one lot, canceled at the close, took the "
        "clearing's first rank with 0 lots and ended it"
    )
