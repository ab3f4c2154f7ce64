"""Sending a block's remainder again buys speed, never a discount (README, Execution §3).

A remainder rests and fills at no more than 10% of the volume printed since it last filled.
A new order, a replacement or an order sent again after a cancel, meets the book as any new
order does: the levels earlier sweeps took have come back (a few seconds' time constant, as
real books refill), but around a mid those sweeps pushed, so each sweep starts dearer than
the last. Same seed, same market: the impact paid is measured against the feed's own mid at
each fill (the market's drift left out), so only what our orders did to the price counts.

Measured for 300,000 AAPL (0.6% of its ADV): resting, 6.2 bp of impact over 42 minutes;
replaced a cent better every 10 s, all of it in 40 s for 10.3 bp (every 60 s: 8.6 bp; the
square-root law for the whole block, 8.7 bp)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from vtrade.domain.accounts import Account
from vtrade.domain.commands import CancelOrder, ReplaceOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, Order
from vtrade.execution import fills as fill_model

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
BLOCK = 300_000  # 0.6% of AAPL's ADV: far more than its displayed book
SENDS = 6  # sent again every 10 s for a minute


def _block(venue: Venue) -> tuple[Account, Order, list[Fill]]:
    """A 300,000 AAPL marketable limit and the fills of its first sweep of the book."""
    account = venue.open(balance=10_000_000_000)
    limit = (venue.quote("AAPL").ask * D("1.01")).quantize(D("0.01"))
    order, changes = venue.submit(
        account, "AAPL", Side.BUY, BLOCK, type="limit", limit_price=limit, tif="day"
    )
    return account, order, list(changes.fills)


def _impact_bps(venue: Venue, fills: list[Fill]) -> float:
    """What the fills paid over the feed's own mid at their instants (our takes and pushes
    move the book, never the feed): the impact of our orders, in basis points."""
    paid = over = Decimal(0)
    for fill in fills:
        touch = venue.market.touch("AAPL", fill.ts_ns)
        mid = Decimal(repr((touch.bid + touch.ask) / 2))
        paid += fill.qty * fill.price
        over += fill.qty * (fill.price - mid)
    return float(over / paid * 10_000)


def _bought(fills: list[Fill]) -> Decimal:
    return sum((f.qty for f in fills), Decimal(0))


@pytest.fixture
def resting(make_venue: Callable[..., Venue]) -> tuple[Decimal, float]:
    """What the block fills in the minute it rests, and the impact it pays: (qty, bp)."""
    venue = make_venue()
    _, _, fills = _block(venue)
    fills += venue.advance(10 * SENDS).fills
    return _bought(fills), _impact_bps(venue, fills)


def _a_cent_better(venue: Venue, account: Account, order: Order, fills: list[Fill]) -> Order:
    """Replace `order` with its limit a cent higher; its fills join `fills`."""
    assert order.limit_price is not None
    replace = ReplaceOrder(
        id="r",
        ts_init=venue.now,
        account_id=account.id,
        order_id=order.id,
        limit_price=order.limit_price + D("0.01"),
    )
    replacement, changes = venue.engine.replace(replace, venue.now)
    fills += changes.fills
    return replacement


def _bought_faster_and_dearer(
    venue: Venue, fills: list[Fill], resting: tuple[Decimal, float]
) -> Decimal:
    """Check that `fills` bought over 3 times what resting did in the minute, at over 1.5
    times its impact (each sweep meets a mid pushed higher) and no less than the square-root
    law's for what they bought; return what they bought."""
    rested_qty, rested_bps = resting
    bought, paid = _bought(fills), _impact_bps(venue, fills)
    assert bought > 3 * rested_qty
    assert paid > 1.5 * rested_bps
    assert paid >= fill_model.impact(venue.catalog.get("AAPL"), bought) * 10_000
    return bought


def test_replacing_a_block_a_cent_better_every_10s_buys_speed_at_a_price(
    make_venue: Callable[..., Venue], resting: tuple[Decimal, float]
) -> None:
    venue = make_venue()
    account, order, fills = _block(venue)
    for _ in range(SENDS):
        fills += venue.advance(10).fills
        if not order.is_open:
            break
        order = _a_cent_better(venue, account, order, fills)
    assert _bought_faster_and_dearer(venue, fills, resting) == BLOCK  # all within the minute


def test_cancel_and_resend_every_10s_buys_speed_at_a_price(
    make_venue: Callable[..., Venue], resting: tuple[Decimal, float]
) -> None:
    venue = make_venue()
    account, order, fills = _block(venue)
    for _ in range(SENDS):
        fills += venue.advance(10).fills
        if order.is_open:
            venue.engine.cancel(
                CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=order.id),
                venue.now,
            )
        left = BLOCK - _bought(fills)
        if left <= 0:
            break
        order, changes = venue.submit(
            account, "AAPL", Side.BUY, left, type="limit", limit_price=order.limit_price, tif="day"
        )
        fills += changes.fills
    _bought_faster_and_dearer(venue, fills, resting)


def test_the_slower_a_block_is_sent_again_the_less_impact_it_pays(
    make_venue: Callable[..., Venue],
) -> None:
    """Every 10 s, 60 s, 300 s, until done: the mid relaxes between sweeps, so patience pays."""
    costs = []
    for every in (10, 60, 300):
        venue = make_venue()
        account, order, fills = _block(venue)
        while order.is_open:
            fills += venue.advance(every).fills
            if order.is_open:
                order = _a_cent_better(venue, account, order, fills)
        assert _bought(fills) == BLOCK
        costs.append(_impact_bps(venue, fills))
    assert costs == sorted(costs, reverse=True), costs
