"""Auction fills. An auction clears at one price; our orders' impact moves
it (`auctions.clear`). A limit must not buy the whole size at a price the impact of that size
would pass, and the volume an auction crosses is bought by one side and sold by the other."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from conftest import at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
FRIDAY_EVENING = "2024-03-15T21:00:00Z"  # 17:00 New York: opg orders wait for Monday's open
MONDAY_OPEN = at("2024-03-18T13:30:00Z")
BLOCK = 400_000  # AAPL: 0.8% of its ADV, within the opening cross (1% of ADV)


def _opg_buy(venue: Venue, **kw: object) -> tuple[Decimal, Decimal]:
    """A 400,000 AAPL opg buy through Monday's open: (filled, average price)."""
    account = venue.open(balance=10**10)
    order, _ = venue.submit(account, "AAPL", Side.BUY, BLOCK, tif="opg", **kw)
    changes = venue.advance_to(MONDAY_OPEN + 2_000_000_000)
    fills = [f for f in changes.fills if f.order_id == order.id]
    qty = sum((f.qty for f in fills), D(0))
    return qty, sum((f.qty * f.price for f in fills), D(0)) / qty if qty else D(0)


def test_an_opg_limit_just_above_the_official_price_does_not_escape_the_impact_of_its_size(
    make_venue: Callable[..., Venue],
) -> None:
    """Same seed, same auction: a market opg buy of 400,000 pays the official price plus its
    impact (27 cents). The same size with a limit one cent above the official price must not
    get all of it at that limit: the impact of 400,000 moves the clearing price past it, so
    only the part the supply gives within the limit can cross there (or nothing)."""
    market_qty, market_price = _opg_buy(make_venue(FRIDAY_EVENING))
    venue = make_venue(FRIDAY_EVENING)
    official = venue.market.official_price("AAPL", MONDAY_OPEN, "open")
    assert market_qty == BLOCK and market_price > official + D("0.10")

    limit_qty, limit_price = _opg_buy(venue, type="limit", limit_price=official + D("0.01"))
    # measured: all 400,000 at 272.25 (official 272.24) while the market order paid 272.51
    assert not (limit_qty == BLOCK and limit_price < market_price), (limit_qty, limit_price)


def test_an_opg_buy_does_not_use_up_the_cross_for_another_account_s_opg_sell(
    make_venue: Callable[..., Venue],
) -> None:
    """The opening cross (1% of ADV, 500,000 AAPL) is 500,000 bought and 500,000 sold: a buy
    of 400,000 takes the sellers' side, and leaves the buyers' side whole for a sell of
    400,000 (which, crossing against our buy, moves the price even less)."""
    venue = make_venue(FRIDAY_EVENING)
    buyer, seller = venue.open(balance=10**10), venue.open(balance=10**10)
    buy, _ = venue.submit(buyer, "AAPL", Side.BUY, BLOCK, tif="opg")
    sell, _ = venue.submit(seller, "AAPL", Side.SELL, BLOCK, tif="opg")
    venue.advance_to(MONDAY_OPEN + 2_000_000_000)

    assert buy.filled_qty == BLOCK
    # measured: the sell fills 100,000 and is canceled "not filled in its auction"
    assert sell.filled_qty == BLOCK, (sell.filled_qty, sell.status)
    assert sell.status is OrderStatus.FILLED
