"""Stops meet the market's prints in time order, whatever the step: a trailing stop is never
tested against a print from before its watermark moved, a stop-limit never fills on volume
that printed before it triggered, and nothing sees the pre-market before the open nor the
closing cross (it prints when continuous trading is over)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from conftest import cross_above_last_print
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from vtrade.execution.working import _trigger, phase
from vtrade.market.books import to_price
from vtrade.market.intraday import AUCTION, Prints

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
SECOND = 1_000_000_000
MINUTE = 60 * SECOND


def prints(*prices: float, cross_last: bool = False) -> Prints:
    """Prints a second apart, buyer-initiated; with `cross_last`, the last is a closing cross."""
    n = len(prices)
    side = np.ones(n, dtype=np.int8)
    if cross_last:
        side[-1] = AUCTION
    return Prints(
        ts=np.arange(1, n + 1, dtype=np.int64) * SECOND,
        price=np.array(prices, dtype=float),
        size=np.full(n, 100.0),
        side=side,
    )


def sell_trailing(watermark: str, trail: str) -> Order:
    order = Order(
        id="o",
        account_id="a",
        client_order_id="c",
        symbol="AAPL",
        side=Side.SELL,
        type=OrderType.TRAILING_STOP,
        tif=TimeInForce.GTC,
        qty=D(1),
        trail_price=D(trail),
    )
    order.watermark = D(watermark)
    order.stop_price = D(watermark) - D(trail)
    return order


def test_a_later_high_does_not_raise_the_stop_an_earlier_print_is_tested_against() -> None:
    order = sell_trailing("100.02", "0.05")  # stop 99.97

    assert _trigger(order, prints(100.00, 100.10), D("0.01")) is None
    assert (order.watermark, order.stop_price) == (D("100.10"), D("100.05"))


def test_a_trailing_stop_triggers_on_the_first_print_through_its_moved_stop() -> None:
    order = sell_trailing("100.02", "0.05")

    assert _trigger(order, prints(100.10, 100.06, 100.05, 99.00), D("0.01")) == 2
    assert order.stop_price == D("100.05")


def test_a_stop_triggers_on_the_first_print_at_or_through_it() -> None:
    sell = sell_trailing("100.02", "0.05")
    sell.type, sell.stop_price = OrderType.STOP, D("99.97")
    noisy = 99.97 + 3e-14  # prints carry float noise around the tick grid

    assert _trigger(sell, prints(100.00, 99.98, noisy, 99.90), D("0.01")) == 2
    assert _trigger(sell, prints(100.00, 99.98), D("0.01")) is None


def test_the_closing_cross_neither_triggers_a_stop_nor_moves_a_trailing_one() -> None:
    sell = sell_trailing("100.02", "0.05")
    sell.type, sell.stop_price = OrderType.STOP, D("99.97")
    trailing = sell_trailing("100.02", "0.05")

    assert _trigger(sell, prints(100.00, 99.90, cross_last=True), D("0.01")) is None
    assert _trigger(trailing, prints(100.00, 101.00, cross_last=True), D("0.01")) is None
    assert (trailing.watermark, trailing.stop_price) == (D("100.02"), D("99.97"))
    assert _trigger(trailing, prints(100.00, 99.96, 99.00, cross_last=True), D("0.01")) == 1


def test_a_stop_the_closing_cross_goes_through_is_not_filled_after_the_close(
    make_venue: Callable[..., Venue],
) -> None:
    """A buy stop between the last continuous print and a higher closing cross: the cross
    printed once continuous trading was over, so the stop is still waiting after the close.
    (It had triggered on the cross, stamped in the session's last second, and bought at the
    book's ask in the second after it.)"""
    symbol = "AAPL"
    venue, window, i = cross_above_last_print(make_venue, symbol)
    close = venue.now + MINUTE  # the venue is at 19:59
    venue.advance_to(int(window.ts[i - 1]) + 1)  # after the last continuous print
    stop = D(repr(round(float(window.price[i] + window.price[i - 1]) / 2, 2)))
    account = venue.open(balance=10_000_000)
    order, _ = venue.submit(
        account, symbol, Side.BUY, 100, type=OrderType.STOP, tif=TimeInForce.GTC, stop_price=stop
    )
    assert order.status is OrderStatus.ACCEPTED, order.reject_reason

    venue.advance_to(close + 5 * MINUTE)

    assert not order.triggered and order.filled_qty == 0


def test_a_stop_limit_fills_only_on_what_printed_after_it_triggered(
    make_venue: Callable[..., Venue],
) -> None:
    """With minute steps, a sell stop-limit whose limit lies above every print from its
    trigger on stays unfilled, though buyers printed at its limit earlier in the step."""
    venue = make_venue(step_ms=60_000)
    symbol = "AAPL"
    tick = venue.catalog.get(symbol).tick_size
    account = venue.open(balance=10_000_000)
    venue.submit(account, symbol, Side.BUY, 100)
    venue.advance_to_phase(symbol)
    for _ in range(120):
        window = venue.market.prints(symbol, venue.now, venue.now + MINUTE)
        px = [to_price(p, tick) for p in window.price.tolist()]
        low = px.index(min(px))
        sides = window.side[:low].tolist()
        bought_before = [p for p, s in zip(px[:low], sides, strict=True) if s > 0]
        if bought_before and max(bought_before) > max(px[low:]) + tick:
            break
        venue.advance(60)
    else:
        raise AssertionError("no minute with buyers above everything after its low")
    order, _ = venue.submit(
        account,
        symbol,
        Side.SELL,
        10,
        type=OrderType.STOP_LIMIT,
        tif=TimeInForce.GTC,
        stop_price=px[low],
        limit_price=max(bought_before),
    )
    assert order.status is OrderStatus.ACCEPTED, order.reject_reason

    venue.advance(60)

    assert order.triggered and order.filled_qty == 0


def test_the_step_across_the_open_gives_regular_orders_no_pre_market_print(
    make_venue: Callable[..., Venue],
) -> None:
    """A trailing stop works in the regular session only: its watermark never takes a print
    from before the open, even when a minute step starts before it."""
    venue = make_venue("2024-04-01T11:30:00Z", step_ms=60_000)  # AAPL opens at 13:30
    symbol = "AAPL"
    inst = venue.catalog.get(symbol)
    account = venue.open(balance=10_000_000)
    venue.submit(account, symbol, Side.BUY, 10, type=OrderType.LIMIT, limit_price=D(1))
    order, _ = venue.submit(
        account,
        symbol,
        Side.SELL,
        10,
        type=OrderType.TRAILING_STOP,
        tif=TimeInForce.GTC,
        trail_percent=D(50),  # far away: it only trails
    )
    opened = venue.engine.sessions.for_instrument(inst).next_boundary("open", venue.now)
    assert opened is not None and opened % MINUTE != phase(symbol, MINUTE)  # a step spans it
    before = venue.market.prints(symbol, opened - MINUTE, opened - 1)
    after = venue.market.prints(symbol, opened - 1, opened + 10 * MINUTE)
    assert before.price.max() > after.price.max()  # setup: the pre-market printed higher

    venue.advance_to(opened + 10 * MINUTE)

    highest = max(to_price(after.price.max(), inst.tick_size), order.arrival_mid or D(0))
    assert order.watermark is not None and order.watermark <= highest
