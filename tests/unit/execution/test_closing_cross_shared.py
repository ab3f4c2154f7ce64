"""Our orders resting at the close share the closing cross: its printed volume, whatever meet
of the step they join it in, and its impact (split orders cross no more than one); an order
whose harsh cancel arrives after the cross printed was in the book for it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import SECOND, at, cross_above_last_print, printed_cross
from vtrade.domain.commands import CancelOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue
    from vtrade.domain.accounts import Account
    from vtrade.domain.orders import Order

D = Decimal
SYMBOL = "AAPL"
CLOSE = at("2024-03-15T20:00:00Z")


@pytest.mark.parametrize("extended", [False, True])
def test_our_orders_never_cross_more_than_the_printed_cross_volume(
    make_venue: Callable[..., Venue], extended: bool
) -> None:
    """Two 3M-share sells far through the cross (262, collar-allowed), one regular-hours and one
    extended-hours (or both regular). The cross printed ~2.29M: together they may cross at most
    that (README: "sharing with our other resting orders ... the volume the cross printed").
    With 60 s steps the regular order meets the cross in the step's 'ending' meet and the
    extended one in a second meet: each got all of it when the volume was counted per meet."""
    venue = make_venue("2024-03-15T19:59:00Z", step_ms=60_000)
    _, _, volume = printed_cross(venue, SYMBOL, CLOSE)
    account = venue.open(balance=10_000_000_000)
    venue.advance_to(CLOSE - 10 * SECOND)
    for ext in (False, extended):
        venue.submit(
            account,
            SYMBOL,
            Side.SELL,
            3_000_000,
            type=OrderType.LIMIT,
            limit_price=D("262"),
            extended_hours=ext,
        )

    fills = venue.advance(120).fills

    crossed = sum(f.qty for f in fills if f.receipt.liquidity == "auction")
    assert 0 < crossed <= volume, (crossed, volume)


def test_splitting_an_order_does_not_cross_more_within_the_same_limit(
    make_venue: Callable[..., Venue],
) -> None:
    """A single-price auction clears everyone at one price, moved by all that was added. One
    1,000,000-share sell limit crosses what keeps that price within its limit; the same
    1,000,000 split into ten orders at the same limit must not cross more (nor at a better
    price): each child was charged only the impact of its own 100,000."""
    results = []
    for n in (1, 10):
        venue, window, i = cross_above_last_print(make_venue, SYMBOL)
        venue.advance_to(int(window.ts[i - 1]) + 1)
        last, cross = (D(repr(round(float(window.price[j]), 2))) for j in (i - 1, i))
        limit = ((last + cross) / 2).quantize(D("0.01"))
        account = venue.open(balance=10_000_000_000)
        for _ in range(n):
            venue.submit(
                account, SYMBOL, Side.SELL, 1_000_000 // n, type=OrderType.LIMIT, limit_price=limit
            )
        fills = venue.advance(300).fills
        results.append(sum(f.qty for f in fills))
    whole, split = results
    assert split <= whole, (whole, split)


def _harsh_limit_before_the_cross(
    make_venue: Callable[..., Venue],
) -> tuple[Venue, Account, Order, int]:
    """A harsh 100-share limit resting (arrived 2.5 s before the closing cross) on a day whose
    cross prices through it while no continuous print or quote in its last 3 s reached it:
    (venue at the cross - 0.4 s, account, order, the cross's instant)."""
    for day in range(11, 29):
        venue = make_venue(f"2024-03-{day}T19:59:00Z")
        try:
            cross_ts, cross, _ = printed_cross(venue, SYMBOL, at(f"2024-03-{day}T20:00:00Z"))
        except ValueError:  # a weekend
            continue
        before = venue.market.prints(SYMBOL, cross_ts - 3 * SECOND, cross_ts - 1).price
        touch = venue.market.touch(SYMBOL, cross_ts - 5 * SECOND // 2)  # where it arrives
        if not before.size:
            continue
        high, low = max(float(before.max()), touch.ask), min(float(before.min()), touch.bid)
        if high + 0.02 < float(cross):  # a sell above all that, below the cross
            side, limit = Side.SELL, D(repr(round(high + 0.01, 2)))
            break
        if low - 0.02 > float(cross):  # a buy below all that, above the cross
            side, limit = Side.BUY, D(repr(round(low - 0.01, 2)))
            break
    else:
        raise AssertionError("no day whose cross printed away from its last 3 seconds")
    venue.advance_to(cross_ts - 3 * SECOND)
    account = venue.open(balance=10_000_000, profile="harsh")
    order, _ = venue.submit(
        account, SYMBOL, side, 100, type=OrderType.LIMIT, tif=TimeInForce.DAY, limit_price=limit
    )
    early = venue.advance_to(cross_ts - 4 * SECOND // 10).fills
    assert order.is_open and not order.filled_qty, (side, limit, cross, day, early)
    return venue, account, order, cross_ts


def test_control_a_harsh_limit_resting_at_the_cross_joins_it(
    make_venue: Callable[..., Venue],
) -> None:
    venue, _, order, _ = _harsh_limit_before_the_cross(make_venue)
    fills = venue.advance(300).fills
    assert order.filled_qty == 100 and [f.receipt.liquidity for f in fills] == ["auction"]


def test_an_order_in_the_book_when_the_cross_prints_joins_it_though_its_cancel_is_on_its_way(
    make_venue: Callable[..., Venue],
) -> None:
    """README: a harsh cancel "travels the same half second: the order stays open and may still
    fill until it arrives". A harsh limit whose cancel arrives 0.1 s after the closing cross
    printed was in the book at the cross: it fills there (as it does for a symbol whose
    orders meet the market in the first 0.1 s of each second, e.g. JPM, phase 29 ms; AAPL's
    is 236 ms, so the cancel lands before AAPL's orders meet the cross)."""
    venue, account, order, cross_ts = _harsh_limit_before_the_cross(make_venue)
    venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=order.id), venue.now
    )
    assert int(order.extra["cancel_due_ns"]) == cross_ts + SECOND // 10

    venue.advance(300)

    assert order.filled_qty == 100, order.status
