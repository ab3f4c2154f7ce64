"""The drift of a resting limit's (maker) fill is the market's move to the mid at the fill, and
its spread cost its price against that mid (found in session 21's receipts review).

README: a receipt's drift is "the market's move from the arrival mid to the mid at the fill,
for a remainder or a resting limit", and its touch the "best opposite price" at the fill.
A maker fill's receipt takes its own limit as both the mid and the touch (`fills.make`
returns `Execution(..., price, price, MAKER)`): a MSFT buy limit at 484.84 placed at a mid of
484.90 fills when the mid is 484.82 (ask 484.83); its receipt shows a drift of -3.00 USD (the
limit's distance from the arrival mid) where the market moved -4.00, and a touch of 484.84.
The sell side: limit 484.96, arrival 484.90, mid at the fill 484.95: drift -3.00 shown, the
market's move -2.50. (Those were the receipts before the fix.)"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, OrderType
from vtrade.execution.fills import mid_of

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
WHALE = 10**10
FIVE_CENTS = D("0.05")


def first_maker_fill(venue: Venue, side: Side, away: Decimal = FIVE_CENTS) -> tuple[Fill, Decimal]:
    account = venue.open(balance=WHALE)
    quote = venue.quote("MSFT")
    limit = quote.bid - away if side is Side.BUY else quote.ask + away
    order, _ = venue.submit(
        account, "MSFT", side, 50, type=OrderType.LIMIT, limit_price=limit, tif="gtc"
    )
    assert order.arrival_mid is not None
    for _ in range(900):
        fills = venue.advance(1).fills
        if fills:
            return fills[0], order.arrival_mid
    raise AssertionError("the limit never filled")


@pytest.mark.parametrize(
    ("side", "arrival", "limit", "mid_at_fill", "shown"),
    [
        (Side.BUY, D("484.90"), D("484.84"), D("484.82"), D("-3.00")),
        (Side.SELL, D("484.90"), D("484.96"), D("484.95"), D("-3.00")),
    ],
)
def test_a_maker_fills_drift_is_the_markets_move_to_the_mid_at_the_fill(
    venue: Venue,
    side: Side,
    arrival: Decimal,
    limit: Decimal,
    mid_at_fill: Decimal,
    shown: Decimal,
) -> None:
    fill, arrival_mid = first_maker_fill(venue, side)
    r = fill.receipt
    inst = venue.catalog.get("MSFT")
    touch = venue.market.touch("MSFT", fill.ts_ns)
    mid = mid_of(touch, inst)
    assert (arrival_mid, fill.price, mid) == (arrival, limit, mid_at_fill)
    assert r.liquidity == "maker" and r.arrival_mid == arrival

    sign = 1 if side is Side.BUY else -1
    moved = (mid - arrival) * sign * fill.qty  # buy: -4.00, sell: -2.50
    assert r.drift_cost == moved
    assert shown != moved
    # and the costs still add up to what the slices cost
    paid = sum((s.price * s.qty for s in r.slices), D(0))
    assert r.frictionless_cost + sign * (r.drift_cost + r.spread_cost + r.impact_cost) == paid


def test_a_limit_resting_at_the_bid_is_its_own_touch_and_pays_no_impact(venue: Venue) -> None:
    """A buy resting at the bid: its receipt's touch is its price, its spread cost that price
    against the mid at the fill (below zero had the mid stayed above it: the half-spread
    earned; here sellers came down through it, 1.5 cents, as they mostly do when a bid
    fills), no impact, and the market's move as drift."""
    fill, arrival = first_maker_fill(venue, Side.BUY, away=D(0))
    r = fill.receipt
    mid = mid_of(venue.market.touch("MSFT", fill.ts_ns), venue.catalog.get("MSFT"))
    assert r.touch == fill.price
    assert r.spread_cost == (fill.price - mid) * fill.qty
    assert r.impact_cost == 0 and r.drift_cost == (mid - arrival) * fill.qty
