"""Specification of trailing stops: the watermark and the stop stay on the tick grid (the stop
rounded away from the market, never tighter than its trail), and a replacement carries the
trail and the watermark, not the stop the engine computed from it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

import pytest

from vtrade.core.clock import parse_instant, to_ns
from vtrade.core.errors import ValidationError
from vtrade.domain.commands import ReplaceOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from vtrade.market.books import to_price

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
S = OrderStatus
SECOND = 1_000_000_000


def trailing(venue: Venue, symbol: str, side: Side, qty: str, **trail: Decimal) -> Order:
    """A GTC trailing stop for an account that holds what a sell would sell."""
    account = venue.open(balance=10_000_000)
    if side is Side.SELL:
        venue.submit(account, symbol, Side.BUY, qty)
    order, _ = venue.submit(
        account, symbol, side, qty, type=OrderType.TRAILING_STOP, tif=TimeInForce.GTC, **trail
    )
    assert order.status in (S.ACCEPTED, S.PENDING_OPEN), order.reject_reason  # (closed)
    return order


def trail_until_it_moves(venue: Venue, order: Order, seconds: int = 120) -> None:
    for _ in range(seconds):
        venue.advance(1)
        if order.stop_price is not None:
            return
    raise AssertionError("the trailing stop never saw a print")


def replace(venue: Venue, order: Order, **change: Any) -> tuple[Order, bool]:
    """Replace `order`; return the new order and whether anything changed."""
    cmd = ReplaceOrder(
        id="c-replace", ts_init=venue.now, account_id=order.account_id, order_id=order.id, **change
    )
    new, changes = venue.engine.replace(cmd, venue.now)
    return new, bool(changes)


# -- on the tick grid -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "qty", "trail"),
    [
        ("AAPL", "10", {"trail_percent": D("2.5")}),
        ("AAPL", "10", {"trail_price": D("0.5")}),
        ("EUR/USD", "10000", {"trail_percent": D("0.07")}),
        ("BTC-USD", "0.01", {"trail_percent": D("1.3")}),
    ],
)
@pytest.mark.parametrize("side", [Side.SELL, Side.BUY])
def test_the_watermark_and_stop_stay_on_the_tick_grid_and_the_stop_is_never_tighter_than_the_trail(
    venue: Venue, symbol: str, qty: str, trail: dict[str, Decimal], side: Side
) -> None:
    tick = venue.catalog.get(symbol).tick_size
    order = trailing(venue, symbol, side, qty, **trail)
    seen = 0

    for _ in range(600):
        venue.advance(1)
        if order.stop_price is not None:  # once a print came after the order
            seen += 1
            mark, stop = order.watermark, order.stop_price
            assert mark is not None
            assert mark % tick == 0 and stop % tick == 0, (mark, stop)
            gap = trail.get("trail_price") or mark * trail["trail_percent"] / 100
            exact = mark - gap if side is Side.SELL else mark + gap
            away = exact - stop if side is Side.SELL else stop - exact
            assert 0 <= away < tick, (mark, stop, exact)  # rounded away from the market
        if order.triggered:
            break

    assert seen > 0


@pytest.mark.parametrize("trail_price", ["0.333", "0.001"])
def test_a_trail_price_off_the_tick_grid_is_refused_naming_the_tick(
    venue: Venue, trail_price: str
) -> None:
    account = venue.open()
    venue.submit(account, "AAPL", Side.BUY, 10)
    order, _ = venue.submit(
        account, "AAPL", Side.SELL, 10, type=OrderType.TRAILING_STOP, trail_price=D(trail_price)
    )
    assert order.status is S.REJECTED
    assert order.reject_reason == (
        f"tick_size: trail_price {trail_price} must be a multiple of the tick size 0.01 of AAPL"
    )


def test_a_watermark_off_the_grid_from_an_older_order_is_snapped_at_the_next_step(
    venue: Venue,
) -> None:
    """Orders stored before the fix carry float noise (hwm 498.65000000000003)."""
    order = trailing(venue, "AAPL", Side.SELL, "10", trail_price=D("0.05"))
    trail_until_it_moves(venue, order)
    assert order.watermark is not None
    order.watermark += D("0.00000000000003")

    venue.advance(1)

    assert order.watermark % D("0.01") == 0 and order.stop_price is not None
    assert order.stop_price % D("0.01") == 0


# -- replacing a trailing stop ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("trail", "change", "expected"),
    [
        ({"trail_price": D("0.5")}, {"trail": D(2)}, {"trail_price": D(2), "qty": D(10)}),
        ({"trail_percent": D("2.5")}, {"trail": D(2)}, {"trail_percent": D(2), "qty": D(10)}),
        (
            {"trail_percent": D("2.5")},
            {"qty": D("0.4")},
            {"trail_percent": D("2.5"), "qty": D("0.4")},
        ),
    ],
)
def test_a_trailing_stop_is_replaced_with_its_trail_and_keeps_its_watermark(
    venue: Venue, trail: dict[str, Decimal], change: dict[str, Decimal], expected: dict[str, Any]
) -> None:
    old = trailing(venue, "AAPL", Side.SELL, "10", **trail)
    trail_until_it_moves(venue, old)  # the engine has computed a stop from the trail
    watermark = old.watermark

    new, changed = replace(venue, old, **change)

    assert new.status is S.ACCEPTED, new.reject_reason
    assert changed and new.replaces == old.id and old.replaced_by == new.id
    assert old.status is S.REPLACED
    assert {name: getattr(new, name) for name in expected} == expected
    assert new.type is OrderType.TRAILING_STOP and not new.triggered
    # the market's best since the old order started still counts; the stop follows the trail
    assert watermark is not None and new.watermark == watermark
    gap = new.trail_price or watermark * (new.trail_percent or D(0)) / 100
    assert new.stop_price == (watermark - gap).quantize(D("0.01"), rounding=ROUND_FLOOR)
    assert (new.trail_price is None) != (new.trail_percent is None)


def test_a_tighter_trail_gives_a_tighter_stop(venue: Venue) -> None:
    old = trailing(venue, "AAPL", Side.SELL, "10", trail_price=D("0.50"))
    start = old.watermark
    for _ in range(600):  # until the market has lifted the watermark
        venue.advance(1)
        if old.watermark != start:
            break
    assert old.watermark is not None and old.stop_price is not None and old.watermark > start

    new, _ = replace(venue, old, trail=D("0.20"))

    assert new.watermark == old.watermark
    assert new.stop_price == old.watermark - D("0.20") > old.stop_price


def test_a_triggered_trailing_stop_replaced_with_a_new_quantity_stays_triggered(
    venue: Venue,
) -> None:
    """Once triggered its remainder is a market order: a new quantity does not re-arm it."""
    order, _ = venue.submit(
        venue.open(balance=10**10),
        "AAPL",
        Side.BUY,
        200_000,  # more than the book holds: it fills partly once triggered
        type=OrderType.TRAILING_STOP,
        tif=TimeInForce.GTC,
        trail_price=D("0.01"),
    )
    for _ in range(600):
        venue.advance(1)
        if order.triggered:
            break
    assert order.status is S.PARTIALLY_FILLED, order.status

    cmd = ReplaceOrder(
        id="c-replace",
        ts_init=venue.now,
        account_id=order.account_id,
        order_id=order.id,
        qty=order.remaining - 1,
    )
    new, replaced = venue.engine.replace(cmd, venue.now)
    done = [*replaced.fills, *venue.advance(30).fills]  # at once, as a new market order, or on
    fills = [f for f in done if f.order_id == new.id]

    assert new.triggered and fills


def test_a_refused_replacement_of_a_trailing_stop_is_not_kept_and_the_old_one_keeps_trailing(
    venue: Venue,
) -> None:
    old = trailing(venue, "AAPL", Side.SELL, "10", trail_price=D("0.5"))
    trail_until_it_moves(venue, old)
    before = (old.status, old.qty, old.trail_price, old.stop_price, old.watermark)

    with pytest.raises(ValidationError, match="a trailing_stop order takes no stop_price"):
        replace(venue, old, stop_price=D(100), client_order_id="v2")
    new, changed = replace(venue, old, qty=D(1_000_000), client_order_id="v2")  # over the cap

    assert new.status is S.REJECTED and not changed
    assert (old.status, old.qty, old.trail_price, old.stop_price, old.watermark) == before
    assert venue.engine.orders.get(old.id) is old and venue.engine.orders.get(new.id) is None
    assert venue.engine.by_client_id.get((old.account_id, "v2")) is None


def test_a_triggered_stop_limit_stays_triggered_when_its_limit_is_replaced(venue: Venue) -> None:
    account = venue.open(balance=10_000_000)
    venue.submit(account, "AAPL", Side.BUY, 10)
    quote = venue.quote("AAPL")
    order, _ = venue.submit(
        account,
        "AAPL",
        Side.SELL,
        10,
        type=OrderType.STOP_LIMIT,
        stop_price=quote.bid - D("0.02"),
        limit_price=quote.ask + D(5),  # rests once triggered: the market is below it
        tif=TimeInForce.GTC,
    )
    for _ in range(600):
        venue.advance(1)
        if order.triggered:
            break
    assert order.triggered and order.is_open

    new, changed = replace(venue, order, limit_price=order.limit_price + D(1))  # type: ignore[operator]

    assert changed and new.status is S.ACCEPTED and new.triggered  # a live limit order
    moved, _ = replace(venue, new, stop_price=new.stop_price - D(1))  # type: ignore[operator]
    assert not moved.triggered  # a new stop waits for the market again


def test_a_triggered_stop_limit_replaced_with_a_marketable_limit_executes_at_once(
    venue: Venue,
) -> None:
    """Triggered, it is a limit order: a new limit through the market takes the book at once,
    as a plain limit replaced the same way does."""
    account = venue.open(balance=10_000_000)
    quote = venue.quote("AAPL")
    order, _ = venue.submit(
        account,
        "AAPL",
        Side.BUY,
        10,
        type=OrderType.STOP_LIMIT,
        tif=TimeInForce.GTC,
        stop_price=quote.bid - 1,  # already through: it triggers at its first step
        limit_price=quote.bid - 2,  # and then rests
    )
    for _ in range(10):
        venue.advance(1)
        if order.triggered:
            break
    assert order.triggered and order.filled_qty == 0

    new, changes = venue.engine.replace(
        ReplaceOrder(
            id="c-replace",
            ts_init=venue.now,
            account_id=account.id,
            order_id=order.id,
            limit_price=venue.quote("AAPL").ask + 1,
        ),
        venue.now,
    )

    assert new.triggered and new.status is S.FILLED
    assert [f for f in changes.fills if f.order_id == new.id]


def test_a_trailing_stop_sent_after_the_close_trails_from_the_session_s_last_price(
    make_venue: Callable[..., Venue],
) -> None:
    """It works only in the regular session: its watermark starts at the last price printed
    there, not at the after-hours mid."""
    venue = make_venue("2024-03-15T21:00:00Z")  # Friday, US post-market
    close = to_ns(parse_instant("2024-03-15T20:00:00Z"))
    for symbol in ("AAPL", "MSFT", "TSLA", "NVDA"):
        last = venue.market.prints(symbol, close - 3_600 * SECOND, close).price[-1]
        tick = venue.catalog.get(symbol).tick_size
        if venue.engine.marks(venue.now).mid(symbol) != to_price(float(last), tick):
            break
    order = trailing(venue, symbol, Side.SELL, "10", trail_price=D("1"))

    assert order.status is S.PENDING_OPEN  # until Monday's open
    assert order.watermark == to_price(float(last), tick)
    assert order.stop_price == order.watermark - 1
