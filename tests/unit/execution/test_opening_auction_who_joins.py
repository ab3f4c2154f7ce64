"""The opening auction takes only the orders in the book before the open: one sent, or
reaching the market (harsh latency), after it meets the continuous market."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from conftest import SECOND, at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
SYMBOL = "AAPL"


def test_a_limit_sent_after_the_open_does_not_join_the_opening_auction(
    make_venue: Callable[..., Venue],
) -> None:
    """Monday 2024-03-25: AAPL opened at 275.89 and 20 s later trades near 276.8. A buy limit
    at 276.50 sent then (below the ask: it rests) was not in the book at the open: it cannot
    be crossed at the opening price nobody offers any more. With 60 s steps the first meet
    after the open still treats it as having rested while the market was closed."""
    opened = at("2024-03-25T13:30:00Z")
    venue = make_venue("2024-03-25T13:29:00Z", step_ms=60_000)
    opening = venue.market.official_price(SYMBOL, opened, "open")
    venue.advance_to(opened + 20 * SECOND)
    touch = venue.market.touch(SYMBOL, venue.now)
    limit = D("276.50")
    assert opening < limit < D(repr(touch.ask))  # a resting buy, above the open
    account = venue.open(balance=10_000_000)
    order, _ = venue.submit(
        account, SYMBOL, Side.BUY, 100, type=OrderType.LIMIT, tif=TimeInForce.DAY, limit_price=limit
    )
    assert not order.filled_qty

    fills = venue.advance(60).fills

    assert [(f.price, f.receipt.liquidity) for f in fills if f.receipt.liquidity == "auction"] == []
    low = float(venue.market.prints(SYMBOL, opened + 20 * SECOND, venue.now).price.min())
    assert all(float(f.price) >= min(low, float(limit)) for f in fills), [
        (f.price, f.receipt.liquidity) for f in fills
    ]


def test_a_limit_reaching_the_market_after_the_open_does_not_join_the_opening_auction(
    make_venue: Callable[..., Venue],
) -> None:
    """The same at the default 1 s step: a harsh order sent 0.4 s before the open reaches the
    market 0.1 s after it (0.5 s latency), after the opening auction; AAPL's orders meet the
    market at .236 s each second, and that first meet crosses it in the opening auction."""
    opened = at("2024-03-25T13:30:00Z")
    venue = make_venue("2024-03-25T13:29:00Z")
    opening = venue.market.official_price(SYMBOL, opened, "open")
    account = venue.open(balance=10_000_000, profile="harsh")
    venue.advance_to(opened - 2 * SECOND // 5)
    # a sell below the opening price, above the bid it meets on arrival: it rests
    limit = opening - D("0.04")
    assert D(repr(venue.market.touch(SYMBOL, opened + SECOND // 10).bid)) < limit
    order, _ = venue.submit(
        account,
        SYMBOL,
        Side.SELL,
        100,
        type=OrderType.LIMIT,
        tif=TimeInForce.DAY,
        limit_price=limit,
    )
    assert order.sent_ns + SECOND // 2 > opened  # it reaches the market after the open

    fills = venue.advance(5).fills

    assert [(f.price, f.receipt.liquidity) for f in fills if f.receipt.liquidity == "auction"] == []
