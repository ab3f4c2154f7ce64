"""Maker/taker attribution of a limit order that rested on the book.

Coinbase Advanced Trade (the `[crypto]` schedule of fees.toml): "a maker order is an order that
is placed on the order book and is filled later by another order (the taker)". An order that
took nothing when it arrived was placed on the book; whatever fills it later is a maker fill.
fees.toml: 40 bp maker, 60 bp taker in the first tier.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
MAKER_RATE = D("0.0040")  # first tier, fees.toml [crypto]


def test_a_limit_that_rested_on_arrival_is_a_maker_for_all_its_fills(venue: Venue) -> None:
    """A buy limit priced between the mid and the ask is not marketable: it takes nothing on
    arrival and becomes the best bid. When sellers come, they hit it: it fills at its own
    price as a maker and pays 40 bp, never more than its limit and never the 60 bp taker fee.

    Its limit above the arrival mid once classed it as taking the market: after two maker
    fills at its price it took the asks below its limit as a taker and paid 60 bp on most of
    the 0.5 BTC, about $100 more, for ~1 bp of price improvement."""
    account = venue.open(balance=10**8)
    quote = venue.quote("BTC-USD")
    tick = venue.catalog.get("BTC-USD").tick_size
    mid = (quote.bid + quote.ask) / 2
    limit = (mid + (quote.ask - mid) / 2).quantize(tick)
    assert quote.bid < mid < limit < quote.ask  # not marketable: it rests as the best bid

    order, changes = venue.submit(
        account, "BTC-USD", Side.BUY, "0.5", type=OrderType.LIMIT, limit_price=limit, tif="gtc"
    )
    assert not changes.fills  # it took nothing: it was placed on the book
    fills = []
    for _ in range(900):
        fills += venue.advance(1).fills
        if not order.is_open:
            break
    assert fills

    assert [f.receipt.liquidity for f in fills] == ["maker"] * len(fills)
    notional = sum((f.qty * f.price for f in fills), D(0))
    paid = sum((f.fee for f in fills), D(0))
    assert paid <= (notional * MAKER_RATE).quantize(D("0.01")) + D("0.01") * len(fills)
