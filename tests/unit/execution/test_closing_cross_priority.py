"""Our orders' priority in the closing cross, as NYSE, Nasdaq and the LSE allocate theirs:
market orders first, then limit orders (limit-on-close and the book's alike) by price, then
time; everyone who crosses gets the one clearing price (`auctions.clear`).

AAPL on Friday 2024-03-15: the closing cross printed 2,294,977.6062 shares at 267.50, one
second before the 20:00 close; AAPL's orders meet the market 0.236 s into each second, so a
resting limit joins the cross at 19:59:59.236, before the cls orders cross at 20:00:00."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import SECOND, at, printed_cross
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, OrderStatus, OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue
    from vtrade.domain.accounts import Account
    from vtrade.domain.orders import Order

D = Decimal
SYMBOL = "AAPL"
CLOSE = at("2024-03-15T20:00:00Z")
WHALE = 10_000_000_000


def _printed(venue: Venue) -> Decimal:
    """The whole shares of the day's AAPL closing cross (2,294,977)."""
    return printed_cross(venue, SYMBOL, CLOSE)[2].to_integral_value(ROUND_FLOOR)


def _limit_on_close(venue: Venue, account: Account, qty: int, limit: Decimal) -> Order:
    """A limit-on-close sell of AAPL: a cls limit order."""
    order, _ = venue.submit(
        account,
        SYMBOL,
        Side.SELL,
        qty,
        type=OrderType.LIMIT,
        limit_price=limit,
        tif=TimeInForce.CLS,
    )
    return order


def _crossed(fills: list[Fill]) -> dict[str, Fill]:
    """The closing-auction fills by order id (one each here)."""
    return {f.order_id: f for f in fills if f.receipt.auction == "close"}


@pytest.mark.parametrize("loc_limit", [D("262"), D("250")], ids=["same-price", "better-price"])
def test_an_earlier_limit_on_close_order_is_not_pushed_behind_a_later_resting_limit(
    make_venue: Callable[..., Venue], loc_limit: Decimal
) -> None:
    """A 3M-share limit-on-close sell (cls, limit 262 or 250) is entered at 19:45; only then
    a 3M-share day sell limit at 262 goes into the book. In price-time priority the LOC comes
    first: its limit is as good (same price, earlier) or better. The resting limit meets the
    cross first (0.764 s before the close); still the LOC crosses the whole print and the later
    limit nothing (it took all of it before the clearing ranked them)."""
    venue = make_venue("2024-03-15T19:45:00Z")
    printed = _printed(venue)
    account = venue.open(balance=WHALE)
    loc = _limit_on_close(venue, account, 3_000_000, loc_limit)
    later, _ = venue.submit(
        account, SYMBOL, Side.SELL, 3_000_000, type=OrderType.LIMIT, limit_price=D("262")
    )
    assert loc.status is OrderStatus.ACCEPTED and later.is_open

    crossed = _crossed(venue.advance_to(CLOSE + 5 * SECOND).fills)

    later_qty = crossed[later.id].qty if later.id in crossed else D(0)
    assert loc.filled_qty == printed, (
        f"the earlier, as-good-or-better LOC crossed {loc.filled_qty} of {printed}; the later "
        f"resting limit crossed {later_qty}"
    )


def test_a_market_on_close_order_comes_before_an_earlier_limit_on_close_order(
    make_venue: Callable[..., Venue],
) -> None:
    """A market order has the best price in the cross: a 1M-share MOC sell entered after a
    3M-share LOC sell at 250 crosses all of its 1,000,000, the LOC the 1,294,977 left (the cls
    orders crossed in submission order before, and the MOC got nothing)."""
    venue = make_venue("2024-03-15T19:45:00Z")
    printed = _printed(venue)
    account = venue.open(balance=WHALE)
    loc = _limit_on_close(venue, account, 3_000_000, D("250"))
    moc, _ = venue.submit(account, SYMBOL, Side.SELL, 1_000_000, tif=TimeInForce.CLS)
    assert loc.status is moc.status is OrderStatus.ACCEPTED

    venue.advance_to(CLOSE + 5 * SECOND)

    assert (moc.filled_qty, loc.filled_qty) == (1_000_000, printed - 1_000_000), (
        f"MOC crossed {moc.filled_qty}, the earlier LOC {loc.filled_qty} of {printed}"
    )


def test_a_notional_market_on_close_order_comes_before_the_books_limit(
    make_venue: Callable[..., Venue],
) -> None:
    """A market-on-close buy sized by notional ($267M, about 1.0M AAPL shares) is a market
    order too: it comes before a 3M-share buy limit at 275 resting in the book, which joins the
    cross first (it crossed 0.6062 shares, the sliver the limit left). Together they never
    cross more than the print."""
    venue = make_venue("2024-03-15T19:45:00Z")
    printed_exact = printed_cross(venue, SYMBOL, CLOSE)[2]
    account = venue.open(balance=WHALE)
    limit, _ = venue.submit(
        account, SYMBOL, Side.BUY, 3_000_000, type=OrderType.LIMIT, limit_price=D("275")
    )
    moc, _ = venue.submit(account, SYMBOL, Side.BUY, notional=D(267_000_000), tif=TimeInForce.CLS)
    assert moc.status is OrderStatus.ACCEPTED, moc.reject_reason

    crossed = _crossed(venue.advance_to(CLOSE + 5 * SECOND).fills)

    total = sum((f.qty for f in crossed.values()), D(0))
    assert total <= printed_exact  # held: never more than the print
    assert moc.filled_qty >= 900_000, (
        f"the notional MOC crossed {moc.filled_qty} shares; the book's limit "
        f"{crossed[limit.id].qty} of {printed_exact}"
    )


def test_a_market_on_close_order_and_an_earlier_limit_on_close_order_clear_at_one_price(
    make_venue: Callable[..., Venue],
) -> None:
    """One clearing price: a 500,000-share LOC sell at 250 and a 500,000-share MOC sell both
    cross in full and pay the impact of the 1,000,000 together (each paid that of what crossed
    before it and its own: 267.20 and 267.08)."""
    venue = make_venue("2024-03-15T19:45:00Z")
    account = venue.open(balance=WHALE)
    loc = _limit_on_close(venue, account, 500_000, D("250"))
    moc, _ = venue.submit(account, SYMBOL, Side.SELL, 500_000, tif=TimeInForce.CLS)

    crossed = _crossed(venue.advance_to(CLOSE + 5 * SECOND).fills)

    assert loc.filled_qty == moc.filled_qty == 500_000
    assert crossed[loc.id].price == crossed[moc.id].price, (
        f"LOC at {crossed[loc.id].price}, MOC at {crossed[moc.id].price}"
    )


@pytest.mark.parametrize(
    ("symbol", "close", "side", "limit", "moc_qty", "book_qty"),
    [
        ("AAPL", "2024-03-15T20:00:00Z", Side.BUY, D("275"), 1_000_000, 5_000_000),
        ("VOD.L", "2024-03-15T16:30:00Z", Side.SELL, D("85"), 2_000_000, 20_000_000),
    ],
)
def test_market_on_close_first_holds_on_the_buy_side_and_in_london(
    make_venue: Callable[..., Venue],
    symbol: str,
    close: str,
    side: Side,
    limit: Decimal,
    moc_qty: int,
    book_qty: int,
) -> None:
    """Market-on-close first on the buy side in AAPL and on an LSE stock (VOD.L, GBX, closing
    cross 5,106,916 at 90.40 printed at 16:29:59): the resting limit (entered 3 s before the
    cross, so it still holds more than the print) crosses what the print leaves the MOC, the MOC
    all of its quantity, both at one price, never past the limit, together exactly the print."""
    close_ns = at(close)
    venue = make_venue(f"{close[:11]}{'19:45' if symbol == 'AAPL' else '16:15'}:00Z")
    printed = printed_cross(venue, symbol, close_ns)[2].to_integral_value(ROUND_FLOOR)
    account = venue.open(balance=WHALE)
    moc, _ = venue.submit(account, symbol, side, moc_qty, tif=TimeInForce.CLS)
    venue.advance_to(close_ns - 4 * SECOND)
    book, _ = venue.submit(account, symbol, side, book_qty, type=OrderType.LIMIT, limit_price=limit)
    assert moc.status is OrderStatus.ACCEPTED and book.is_open, book.reject_reason

    crossed = _crossed(venue.advance_to(close_ns + 5 * SECOND).fills)

    assert crossed[moc.id].qty == moc_qty
    assert crossed[book.id].qty == printed - moc_qty
    assert crossed[book.id].price == crossed[moc.id].price
    sign = 1 if side is Side.BUY else -1
    assert (crossed[book.id].price - limit) * sign <= 0
