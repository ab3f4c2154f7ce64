"""A block's remainder must not complete much faster by being canceled and sent again, or
replaced a tick better, than by resting at the participation cap (README, Execution §3:
"what the book cannot give now rests and fills in later steps at no more than 10% of the
volume the market printed since the order last filled").

OPEN (strict xfail, found in session 19's review): the book refills with a 5 s time
constant whatever the volume printed (`market/book.py`), while a working remainder is held
to 10% of the prints (`execution/working.py:_work`); a new order, a replacement included,
takes the refilled book at once. Fixing it means tying the refill to the volume pace, which
moves many calibrated fills: a change of its own, noted for the next session."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from vtrade.domain.accounts import Account
from vtrade.domain.commands import CancelOrder, ReplaceOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
BLOCK = 300_000  # 0.6% of AAPL's ADV: far more than its displayed book


def _held(venue: Venue, account_id: str) -> Decimal:
    return venue.engine.position(account_id, "AAPL").qty


def _block(venue: Venue) -> tuple[Account, Order, Decimal]:
    """A 300,000 AAPL marketable limit, its first sweep of the book done: (account, order,
    what the sweep filled)."""
    account = venue.open(balance=10_000_000_000)
    limit = (venue.quote("AAPL").ask * D("1.01")).quantize(D("0.01"))
    order, _ = venue.submit(
        account, "AAPL", Side.BUY, BLOCK, type="limit", limit_price=limit, tif="day"
    )
    return account, order, _held(venue, account.id)


def _resting_gain(venue: Venue, seconds: int) -> Decimal:
    """What the block's resting remainder fills in `seconds` after its first sweep."""
    account, _, first = _block(venue)
    venue.advance(seconds)
    return _held(venue, account.id) - first


@pytest.mark.xfail(strict=True, reason="the book refills in 5 s whatever the prints (open)")
def test_replacing_a_block_a_cent_better_does_not_bypass_the_participation_cap(
    make_venue: Callable[..., Venue],
) -> None:
    """Same seed, same market: one block rests for 60 s; the other is replaced one cent higher
    every 10 s. The replaced one should not fill many times what the resting one does."""
    resting = _resting_gain(make_venue(), 60)

    venue = make_venue()
    account, order, first = _block(venue)
    for _ in range(6):
        venue.advance(10)
        if not order.is_open:
            break
        assert order.limit_price is not None
        order, _ = venue.engine.replace(
            ReplaceOrder(
                id="r",
                ts_init=venue.now,
                account_id=account.id,
                order_id=order.id,
                limit_price=order.limit_price + D("0.01"),
            ),
            venue.now,
        )
    replaced = _held(venue, account.id) - first
    # measured: resting 3,191 shares in 60 s; replaced every 10 s: the whole rest (229,796) in 40 s
    assert replaced <= 3 * resting, (resting, replaced)


@pytest.mark.xfail(strict=True, reason="the book refills in 5 s whatever the prints (open)")
def test_cancel_and_resend_every_10s_does_not_bypass_the_participation_cap(
    make_venue: Callable[..., Venue],
) -> None:
    """Cancel the remainder and send a new order for it every 10 s: the same cap should bind."""
    resting = _resting_gain(make_venue(), 60)

    venue = make_venue()
    account, order, first = _block(venue)
    for _ in range(6):
        venue.advance(10)
        if order.is_open:
            venue.engine.cancel(
                CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=order.id),
                venue.now,
            )
        left = BLOCK - _held(venue, account.id)
        if left <= 0:
            break
        limit = order.limit_price
        order, _ = venue.submit(
            account, "AAPL", Side.BUY, left, type="limit", limit_price=limit, tif="day"
        )
    resent = _held(venue, account.id) - first
    assert resent <= 3 * resting, (resting, resent)
