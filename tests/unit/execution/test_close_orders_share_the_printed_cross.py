"""cls orders cross in the closing cross the feed printed: its volume, not the venue's usual
share of an average day (a quiet day's cross printed 2.29M AAPL shares where 8% of an average
day is 4M, and a cls order crossed 4M: more than the whole market did). Market-on-close
orders come first in the cross, ahead of the book's limit orders joining it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from conftest import SECOND, at, printed_cross
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce
from vtrade.execution.fills import auction_volume

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
SYMBOL = "AAPL"
CLOSE = at("2024-03-15T20:00:00Z")


def _printed_cross(venue: Venue) -> tuple[Decimal, Decimal]:
    """The day's closing cross in AAPL as the feed printed it: (price, whole shares)."""
    _, price, volume = printed_cross(venue, SYMBOL, CLOSE)
    return price, volume.to_integral_value(ROUND_FLOOR)


def test_a_cls_order_crosses_no_more_than_the_cross_printed(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue("2024-03-15T19:45:00Z")
    price, printed = _printed_cross(venue)
    usual = auction_volume(venue.catalog.get(SYMBOL), "close")
    assert usual is not None and printed < usual  # a quiet day: 2,294,977 of the usual 4M
    account = venue.open(balance=10_000_000_000)
    order, _ = venue.submit(account, SYMBOL, Side.BUY, 3_000_000, tif=TimeInForce.CLS)
    assert order.status is OrderStatus.ACCEPTED, order.reject_reason

    (fill,) = venue.advance_to(CLOSE + 5 * SECOND).fills

    assert fill.qty == printed and fill.ts_ns == CLOSE
    assert (fill.receipt.liquidity, fill.receipt.auction) == ("auction", "close")
    assert fill.receipt.touch == price  # the printed cross is the official close
    assert order.status is OrderStatus.CANCELED  # its rest ends in its auction


def test_market_on_close_orders_come_before_the_books_limits_in_the_cross(
    make_venue: Callable[..., Venue],
) -> None:
    """A 3M-share sell limit far through the market rests in the book and meets the cross as
    it prints (before the close); a 1M-share market-on-close sell crosses at the close. The
    market order has the best price in the cross: it crosses all of its 1M, the limit what is
    left of the printed volume, both at one clearing price moved by all they added."""
    venue = make_venue("2024-03-15T19:45:00Z")
    _, printed = _printed_cross(venue)
    account = venue.open(balance=10_000_000_000)
    limit, _ = venue.submit(
        account, SYMBOL, Side.SELL, 3_000_000, type=OrderType.LIMIT, limit_price=D("262")
    )
    on_close, _ = venue.submit(account, SYMBOL, Side.SELL, 1_000_000, tif=TimeInForce.CLS)
    assert on_close.status is OrderStatus.ACCEPTED, on_close.reject_reason

    fills = venue.advance_to(CLOSE + 5 * SECOND).fills

    crossed = {f.order_id: f for f in fills if f.receipt.auction == "close"}
    assert crossed[limit.id].ts_ns < CLOSE == crossed[on_close.id].ts_ns  # the limit met it first
    assert crossed[on_close.id].qty == 1_000_000
    assert crossed[limit.id].qty == printed - 1_000_000
    assert crossed[limit.id].price == crossed[on_close.id].price  # one clearing price


def test_frictionless_orders_take_none_of_the_cross(make_venue: Callable[..., Venue]) -> None:
    """A frictionless account trades at the official price and takes no liquidity (as it
    takes none of the book): its 3M-share MOC buy leaves the printed cross whole to a
    realistic account's MOC buy, and to a realistic limit joining the cross before them."""
    venue = make_venue("2024-03-15T19:45:00Z")
    _, printed = _printed_cross(venue)
    free = venue.open(balance=10_000_000_000, profile="frictionless")
    real = venue.open(balance=10_000_000_000)
    free_moc, _ = venue.submit(free, SYMBOL, Side.BUY, 3_000_000, tif=TimeInForce.CLS)
    real_moc, _ = venue.submit(real, SYMBOL, Side.BUY, 1_000_000, tif=TimeInForce.CLS)
    limit, _ = venue.submit(
        real, SYMBOL, Side.BUY, 3_000_000, type=OrderType.LIMIT, limit_price=D("280")
    )

    fills = venue.advance_to(CLOSE + 5 * SECOND).fills

    crossed = {f.order_id: f.qty for f in fills if f.receipt.auction == "close"}
    assert crossed[free_moc.id] == 3_000_000
    assert crossed[real_moc.id] == 1_000_000
    assert crossed[limit.id] == printed - 1_000_000
    assert sum(sum(by_order.values()) for by_order in venue.engine.crossed.values()) == printed
