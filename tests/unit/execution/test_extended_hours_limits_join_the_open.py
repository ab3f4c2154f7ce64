"""An extended-hours limit resting in the pre-market joins the opening auction, as Nasdaq's
"system hours" orders (extended day and gtc) do: "posted and available for execution
immediately and may participate in the Opening Cross" (Nasdaq's Opening and Closing Crosses
quick reference). It meets the pre-market's prints until the open first, as the maker, then
crosses in the opening auction for what is left, at one price with the other orders in the
book there (the official open, moved by the impact of what our orders add, never past a
limit).

Monday 2024-03-25, AAPL: at 13:29:58 UTC (09:29:58 New York) the pre-market quotes
275.87/275.93, its last prints are at 275.89, the open crosses at 275.89 and a second later
AAPL trades at 277.32, above every limit here."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import SECOND, at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

# Not built yet: a first version (its auction deferred until the symbol met the open) made the
# opening clearing step-dependent or broke the guards of
# `test_opening_auction_beside_extended_limits.py`, and was reverted.
pytestmark = pytest.mark.xfail(
    strict=True, reason="extended-hours limits do not join the opening auction yet"
)

D = Decimal
SYMBOL = "AAPL"
OPEN = at("2024-03-25T13:30:00Z")
LIMIT = D("275.90")  # inside the pre-market spread: it rests as a maker


def _resting_buy(venue: Venue, qty: int, extended: bool) -> object:
    account = venue.open(balance=10_000_000)
    order, _ = venue.submit(
        account,
        SYMBOL,
        Side.BUY,
        qty,
        type=OrderType.LIMIT,
        tif=TimeInForce.DAY,
        limit_price=LIMIT,
        extended_hours=extended,
    )
    return order


@pytest.mark.parametrize("step_ms", [1_000, 60_000])
def test_an_extended_hours_limit_resting_pre_market_crosses_at_the_open(
    make_venue: Callable[..., Venue], step_ms: int
) -> None:
    venue = make_venue("2024-03-25T13:29:00Z", step_ms=step_ms)
    opening = venue.market.official_price(SYMBOL, OPEN, "open")
    assert opening <= LIMIT
    venue.advance_to(OPEN - 2 * SECOND)
    order = _resting_buy(venue, 1_000, extended=True)
    assert not order.filled_qty  # type: ignore[attr-defined]

    fills = venue.advance(60).fills

    before = [f for f in fills if f.receipt.liquidity != "auction"]
    crossed = [f for f in fills if f.receipt.liquidity == "auction"]
    assert all(f.ts_ns < OPEN and f.price == LIMIT for f in before)  # the pre-market's maker
    assert crossed, [(f.price, f.receipt.liquidity) for f in fills]
    # one price: the open, moved by what our orders add there, never past the limit
    assert len({f.price for f in crossed}) == 1
    assert all(opening <= f.price <= LIMIT and f.receipt.auction == "open" for f in crossed)
    assert sum(f.qty for f in fills) == 1_000
    assert order.filled_qty == 1_000  # type: ignore[attr-defined]


def test_pre_market_and_regular_limits_in_the_book_share_one_opening_clearing(
    make_venue: Callable[..., Venue],
) -> None:
    """Two buys at one price in the book at the open, one extended-hours (sent first) and one
    for the regular session: they clear together at one price, in time priority."""
    venue = make_venue("2024-03-25T13:29:00Z")
    opening = venue.market.official_price(SYMBOL, OPEN, "open")
    venue.advance_to(OPEN - 2 * SECOND)
    extended = _resting_buy(venue, 500, extended=True)
    regular = _resting_buy(venue, 500, extended=False)

    fills = venue.advance(60).fills

    crossed = [f for f in fills if f.receipt.liquidity == "auction"]
    assert {f.order_id for f in crossed} == {extended.id, regular.id}  # type: ignore[attr-defined]
    (price,) = {f.price for f in crossed}
    assert opening <= price <= LIMIT
    assert extended.filled_qty == regular.filled_qty == 500  # type: ignore[attr-defined]
