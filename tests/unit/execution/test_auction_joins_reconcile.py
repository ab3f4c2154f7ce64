"""Orders joining the auctions: fills within their limits that reconcile with cash and
positions, only orders in the book when the cross printed, once whatever the step or a
catch-up, contingent legs, cash accounts, determinism, and the open after a weekend or holiday."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pytest

from conftest import SECOND, at, cross_above_last_print, open_below_last_minutes
from vtrade.domain.accounts import Account
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, Order, OrderStatus, OrderType, TimeInForce
from vtrade.execution.working import realign

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
SYMBOL = "AAPL"
MINUTE = 60 * SECOND


def _sell(venue: Venue, account: Account, qty: int, limit: Decimal, **kw: object) -> Order:
    """Submit a sell limit of `qty` at `limit`."""
    order, _ = venue.submit(
        account, SYMBOL, Side.SELL, qty, type=OrderType.LIMIT, limit_price=limit, **kw
    )
    return order


def _auctioned(fills: list[Fill]) -> list[Fill]:
    return [f for f in fills if f.receipt.liquidity == "auction"]


def _day(make_venue: Callable[..., Venue], **kw: object) -> tuple[Venue, Decimal, Decimal, int]:
    venue, window, i = cross_above_last_print(make_venue, SYMBOL)
    if kw:  # the same day, with other settings
        day = int(window.ts[i]) - (int(window.ts[i]) % (86_400 * SECOND))
        venue = make_venue(f"{np.datetime64(day, 'ns').astype('datetime64[D]')}T19:59:00Z", **kw)
    venue.advance_to(int(window.ts[i - 1]) + 1)
    last, cross = (D(repr(round(float(window.price[j]), 2))) for j in (i - 1, i))
    return venue, last, cross, int(window.ts[i])


@pytest.mark.parametrize("qty", [100, 50_000, 2_000_000])
def test_sell_auction_fills_never_below_the_limit_and_cash_reconciles(
    make_venue: Callable[..., Venue], qty: int
) -> None:
    venue, last, cross, _ = _day(make_venue)
    account = venue.open(balance=10_000_000_000)
    cash0 = venue.engine.accounts[account.id].cash
    limits = [last + D("0.01"), ((last + cross) / 2).quantize(D("0.01")), cross]
    orders = [
        venue.submit(account, SYMBOL, Side.SELL, qty, type=OrderType.LIMIT, limit_price=lim)[0]
        for lim in limits
    ]
    fills = venue.advance(300).fills
    by_id = {o.id: o for o in orders}
    assert fills
    for f in fills:
        assert f.price >= by_id[f.order_id].limit_price
        assert f.price <= cross
    position = venue.engine.position(account.id, SYMBOL)
    assert position.qty == -sum(f.qty for f in fills) == -sum(o.filled_qty for o in orders)
    cash = venue.engine.accounts[account.id].cash
    assert cash - cash0 == sum(f.qty * f.price - f.fee for f in fills)  # USD account


def test_an_order_sent_after_the_cross_printed_does_not_join_it(
    make_venue: Callable[..., Venue],
) -> None:
    venue, last, cross, cross_ts = _day(make_venue)
    venue.advance_to(cross_ts + SECOND // 2)  # 19:59:59.5, the cross printed at 19:59:59.0
    account = venue.open(balance=10_000_000)
    _sell(venue, account, 100, last + D("0.01"))
    fills = venue.advance(300).fills
    assert _auctioned(fills) == []


def test_an_extended_hours_order_sent_in_the_post_market_does_not_join_the_cross(
    make_venue: Callable[..., Venue],
) -> None:
    venue, last, cross, cross_ts = _day(make_venue)
    venue.advance_to(cross_ts + 31 * SECOND)
    account = venue.open(balance=10_000_000)
    _sell(venue, account, 100, cross - D("0.01"), extended_hours=True)
    fills = venue.advance(300).fills
    assert _auctioned(fills) == []


def test_an_extended_hours_day_limit_joins_the_cross_once_and_works_on(
    make_venue: Callable[..., Venue],
) -> None:
    venue, last, cross, _ = _day(make_venue)
    account = venue.open(balance=10_000_000_000)
    limit = ((last + cross) / 2).quantize(D("0.01"))
    order = _sell(venue, account, 100_000, limit, extended_hours=True)
    fills = venue.advance(600).fills
    auction = _auctioned(fills)
    assert len(auction) == 1 and order.is_open and order.remaining > 0


@pytest.mark.parametrize("step_ms", [1000, 60_000])
def test_coarse_steps_join_the_cross_exactly_once(
    make_venue: Callable[..., Venue], step_ms: int
) -> None:
    venue, last, cross, _ = _day(make_venue, step_ms=step_ms)
    account = venue.open(balance=10_000_000_000)
    limit = ((last + cross) / 2).quantize(D("0.01"))
    _sell(venue, account, 1_000_000, limit, tif=TimeInForce.GTC)
    fills = venue.advance(3600).fills
    fills += venue.advance_to(venue.now + 3600 * SECOND).fills
    assert len(_auctioned(fills)) == 1


def test_catch_up_over_the_close_joins_the_cross_once(make_venue: Callable[..., Venue]) -> None:
    venue, last, cross, _ = _day(make_venue)
    account = venue.open(balance=10_000_000_000)
    limit = ((last + cross) / 2).quantize(D("0.01"))
    _sell(venue, account, 1_000_000, limit, tif=TimeInForce.GTC)
    fills = venue.engine.advance(venue.now + 7200 * SECOND, step_ns=60 * SECOND).fills
    fills += realign(venue.engine, venue.engine.config.step_ns).fills
    venue.now = venue.engine.now_ns
    fills += venue.advance(60).fills
    assert len(_auctioned(fills)) == 1


def test_an_oco_take_profit_filled_in_the_cross_cancels_its_stop(
    make_venue: Callable[..., Venue],
) -> None:
    venue, last, cross, _ = _day(make_venue)
    account = venue.open(balance=10_000_000)
    venue.submit(account, SYMBOL, Side.BUY, 100)  # a position to close
    assert venue.engine.position(account.id, SYMBOL).qty == 100
    limit = ((last + cross) / 2).quantize(D("0.01"))
    oco, changes = venue.submit(
        account,
        SYMBOL,
        Side.SELL,
        100,
        type="limit",
        order_class="oco",
        take_profit_limit_price=limit,
        stop_loss_stop_price=(last * D("0.95")).quantize(D("0.01")),
    )
    (sl,) = [o for o in changes.orders if o.id != oco.id]
    fills = venue.advance(300).fills
    assert oco.status is OrderStatus.FILLED and [f.receipt.liquidity for f in fills] == ["auction"]
    assert sl.status is OrderStatus.CANCELED
    assert venue.engine.position(account.id, SYMBOL).qty == 0


def test_a_cash_only_buy_joining_the_open_never_pays_past_its_cash(
    make_venue: Callable[..., Venue],
) -> None:
    """A cash-only account's buy limit resting overnight that the open gaps below."""
    venue, low, opening = open_below_last_minutes(make_venue, SYMBOL)
    limit = ((low + opening) / 2).quantize(D("0.01"))
    account = venue.open(
        balance=(limit * 1000 * D("4.02")).quantize(D(1))
    )  # the 25% concentration cap
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=None, cash_only=True)
    order, changes = venue.submit(
        account,
        SYMBOL,
        Side.BUY,
        1000,
        type=OrderType.LIMIT,
        tif=TimeInForce.GTC,
        limit_price=limit,
    )
    assert order.status is OrderStatus.ACCEPTED, changes.events
    fills = []
    while order.is_open:
        fills += venue.advance(60).fills
    assert fills[0].receipt.liquidity == "auction" and fills[0].price <= limit
    cash = venue.engine.accounts[account.id].cash
    assert cash >= 0
    assert cash == account.initial_balance - sum(f.qty * f.price + f.fee for f in fills)


def test_same_seed_same_fills(make_venue: Callable[..., Venue]) -> None:
    def run() -> list[tuple[object, ...]]:
        venue, last, cross, _ = _day(make_venue)
        account = venue.open(balance=10_000_000_000)
        for k in range(5):
            venue.submit(
                account,
                SYMBOL,
                Side.SELL,
                200_000,
                type=OrderType.LIMIT,
                limit_price=last + D("0.01") * (k + 1),
            )
        return [(f.price, f.qty, f.ts_ns, f.fee) for f in venue.advance(300).fills]

    assert run() == run()


def _gap(venue: Venue, close: int, opened: int) -> tuple[Side, Decimal, Decimal] | None:
    window = venue.market.prints(SYMBOL, close - 2 * MINUTE, close)
    low, high = float(window.price.min()), float(window.price.max())
    opening = venue.market.official_price(SYMBOL, opened, "open")
    if low - float(opening) > 0.05:
        return Side.BUY, ((D(repr(low)) + opening) / 2).quantize(D("0.01")), opening
    if float(opening) - high > 0.05:
        return Side.SELL, ((D(repr(high)) + opening) / 2).quantize(D("0.01")), opening
    return None


@pytest.mark.parametrize(
    ("last_close", "next_open"),
    [
        ("2024-03-22T20:00:00Z", "2024-03-25T13:30:00Z"),  # a weekend
        ("2024-03-28T20:00:00Z", "2024-04-01T13:30:00Z"),  # Good Friday and a weekend
    ],
)
def test_a_gtc_limit_joins_the_next_open_after_a_weekend_or_holiday(
    make_venue: Callable[..., Venue], last_close: str, next_open: str
) -> None:
    close, opened = at(last_close), at(next_open)
    venue = make_venue(last_close.replace("20:00:00", "19:57:00"))
    gap = _gap(venue, close, opened)
    if gap is None:
        pytest.skip("no gap through the last minutes' prices")
    side, limit, opening = gap
    account = venue.open(balance=10_000_000)
    venue.submit(account, SYMBOL, Side.BUY, 100)
    order, _ = venue.submit(
        account, SYMBOL, side, 100, type=OrderType.LIMIT, tif=TimeInForce.GTC, limit_price=limit
    )
    venue.advance_to(close + MINUTE)
    assert order.is_open and not order.filled_qty
    fills = venue.advance_to(opened + 5 * SECOND).fills
    mine = [f for f in fills if f.order_id == order.id]
    assert [(f.price, f.receipt.liquidity) for f in mine] == [(opening, "auction")]
    assert opened <= mine[0].ts_ns < opened + 2 * SECOND
