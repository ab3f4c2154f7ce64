"""A notional buy never spends more than its notional, its fees included, also when the
book cannot give it all at once and its remainder works on as the market moves (found in
session 20's fee review)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus

if TYPE_CHECKING:
    from conftest import Venue


def test_a_notional_buy_too_large_for_the_book_spends_no_more_than_its_notional(
    make_venue: Callable[..., Venue],
) -> None:
    """README, orders: a notional buy "never spends more than the amount; a buy spends its
    fees out of it". 5,000,000 USD of BTC fills 17.6 BTC at once and works the rest for half
    an hour while the price rises: before the fix it spent 5,000,324.02. Its remainder now
    takes only what the rest of its notional buys, and the order ends filled at what it did."""
    venue = make_venue()
    account = venue.open(balance=10**10)
    notional = Decimal(5_000_000)
    order, changes = venue.submit(account, "BTC-USD", Side.BUY, None, notional=notional)
    fills = list(changes.fills)
    sized = order.qty
    for _ in range(100):
        if not order.is_open:
            break
        fills += [f for f in venue.advance(30).fills if f.order_id == order.id]

    spent = order.filled_notional + sum((f.fee for f in fills), Decimal(0))
    assert spent <= notional, spent
    assert notional - spent < order.filled_notional / order.filled_qty  # less than a coin left
    assert Decimal(10**10) - account.cash <= notional  # what cash paid, to the cent
    assert order.status is OrderStatus.FILLED and order.qty == order.filled_qty < sized
