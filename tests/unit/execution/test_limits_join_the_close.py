"""Limit orders resting in the book at the close join the closing cross, as exchanges include
the continuous book in it: a limit the cross prices through fills at the cross's price (its
limit or better), as an auction fill; one beyond the cross stays as it was."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import cross_above_last_print, open_below_last_minutes
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
MINUTE = 60_000_000_000
SYMBOL = "AAPL"


def _cross_above_the_last_print(make_venue: Callable[..., Venue]) -> tuple[Venue, Decimal, Decimal]:
    """A venue just after the last continuous print of a day whose closing cross printed
    above it (`cross_above_last_print`); (venue, that print's price, the cross's)."""
    venue, window, i = cross_above_last_print(make_venue, SYMBOL)
    venue.advance_to(int(window.ts[i - 1]) + 1)
    last, cross = (D(repr(round(float(window.price[j]), 2))) for j in (i - 1, i))
    return venue, last, cross


@pytest.mark.parametrize("tif", [TimeInForce.DAY, TimeInForce.GTC])
def test_a_sell_limit_the_cross_prices_through_fills_at_the_cross(
    make_venue: Callable[..., Venue], tif: TimeInForce
) -> None:
    venue, last, cross = _cross_above_the_last_print(make_venue)
    limit = ((last + cross) / 2).quantize(D("0.01"))  # above every continuous print
    account = venue.open(balance=10_000_000)
    order, _ = venue.submit(
        account, SYMBOL, Side.SELL, 100, type=OrderType.LIMIT, tif=tif, limit_price=limit
    )
    assert order.status is OrderStatus.ACCEPTED and not order.filled_qty

    fills = venue.advance(5 * 60).fills

    assert order.status is OrderStatus.FILLED
    (fill,) = fills
    assert fill.price == cross > limit  # the cross's price, better than its limit
    assert fill.receipt.liquidity == "auction" and fill.receipt.auction == "close"


def test_a_limit_beyond_the_cross_is_left_as_it_was(make_venue: Callable[..., Venue]) -> None:
    venue, _, cross = _cross_above_the_last_print(make_venue)
    account = venue.open(balance=10_000_000)
    beyond = {"type": OrderType.LIMIT, "limit_price": cross + D("0.01")}
    day, gtc = (
        venue.submit(account, SYMBOL, Side.SELL, 100, tif=tif, **beyond)[0]
        for tif in (TimeInForce.DAY, TimeInForce.GTC)
    )

    venue.advance(5 * 60)

    assert day.status is OrderStatus.EXPIRED and not day.filled_qty
    assert gtc.status is OrderStatus.ACCEPTED and not gtc.filled_qty


def test_a_block_resting_at_the_close_crosses_only_what_keeps_the_price_within_its_limit(
    make_venue: Callable[..., Venue],
) -> None:
    """What a block adds to the cross moves its price (the square-root impact): it crosses the
    most that keeps that price within its limit, after the better-priced order ahead of it,
    and the rest expires with the day."""
    venue, last, cross = _cross_above_the_last_print(make_venue)
    account = venue.open(balance=10_000_000_000)
    limit = ((last + cross) / 2).quantize(D("0.01"))
    block, _ = venue.submit(
        account, SYMBOL, Side.SELL, 1_000_000, type=OrderType.LIMIT, limit_price=limit
    )
    better, _ = venue.submit(
        account, SYMBOL, Side.SELL, 100, type=OrderType.LIMIT, limit_price=limit - D("0.01")
    )
    assert block.status is better.status is OrderStatus.ACCEPTED

    fills = venue.advance(5 * 60).fills

    assert better.filled_qty == 100
    assert 0 < block.filled_qty < 1_000_000 and block.status is OrderStatus.EXPIRED
    (crossed,) = [f for f in fills if f.order_id == block.id]
    assert limit <= crossed.price < cross  # pushed down by its impact, not past its limit


def test_a_gtc_limit_resting_overnight_joins_the_opening_auction(
    make_venue: Callable[..., Venue],
) -> None:
    """A buy limit left in the book overnight that the next day's open gaps below fills in the
    opening auction at the official open, as an order queued for the open does (it took the
    book's ask at the open, paying half the spread as a taker)."""
    venue, low, opening = open_below_last_minutes(make_venue, SYMBOL)
    limit = ((low + opening) / 2).quantize(D("0.01"))
    account = venue.open(balance=10_000_000)
    order, _ = venue.submit(
        account, SYMBOL, Side.BUY, 100, type=OrderType.LIMIT, tif=TimeInForce.GTC, limit_price=limit
    )
    venue.advance(3 * 60)  # from 19:58 to a minute past the close
    assert order.status is OrderStatus.ACCEPTED and not order.filled_qty  # rested overnight

    fills = []
    while order.is_open:
        fills += venue.advance(60).fills

    (fill,) = fills
    assert fill.price == opening < limit
    assert fill.receipt.liquidity == "auction" and fill.receipt.auction == "open"
