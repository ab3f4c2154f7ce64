"""Specification of the order's ranges (`ORDER_BOUNDS`) and of the stop-limit collar: a number
out of range is refused as malformed input, naming the field, the value and what is allowed,
before any arithmetic on it, and nothing is kept; a stop-limit's limit is collared against its
stop, not against today's price."""

from __future__ import annotations

import dataclasses
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

import pytest

from vtrade.core.errors import ValidationError
from vtrade.domain.commands import ReplaceOrder, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from vtrade.execution.validation import ORDER_BOUNDS, OrderOutOfRange, check_shape

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
S = OrderStatus
HUGE = "99999999999999999999999999999999999999"  # 38 digits: beyond Decimal's 28


def by_notional(venue: Venue, symbol: str, notional: Decimal) -> Order:
    """Submit a market buy of `notional` for a fresh account."""
    cmd = SubmitOrder(
        id="c-notional",
        ts_init=venue.now,
        account_id=venue.open().id,
        symbol=symbol,
        side=Side.BUY,
        notional=notional,
    )
    return venue.engine.submit(cmd, venue.now)[0]


def on_tick(value: Decimal, tick: Decimal, rounding: str = ROUND_FLOOR) -> Decimal:
    return (value / tick).to_integral_value(rounding=rounding) * tick


# -- out of range: refused before any arithmetic, nothing kept --------------------------------


@pytest.mark.parametrize(
    ("qty", "fields", "named", "allowed"),
    [
        (HUGE, {}, f"qty {HUGE}", "at most 1000000000000, the largest quantity allowed"),
        ("0", {}, "qty 0", "above 0"),
        ("-5", {}, "qty -5", "above 0"),
        ("Infinity", {}, "qty Infinity", "at most 1000000000000, the largest quantity allowed"),
        ("1", {"type": OrderType.LIMIT, "limit_price": D("1e30")}, "limit_price 1E+30", "1000 "),
        ("1", {"type": OrderType.STOP, "stop_price": D("1e30")}, "stop_price 1E+30", "1000 "),
        (
            "1",
            {"type": OrderType.STOP_LIMIT, "stop_price": D("1e30"), "limit_price": D(1)},
            "stop_price 1E+30",
            "times the market price",
        ),
        (
            "1",
            {"type": OrderType.TRAILING_STOP, "trail_price": D("1e30")},
            "trail_price 1E+30",
            "below the market price",
        ),
        (
            "1",
            {"type": OrderType.TRAILING_STOP, "trail_percent": D(100)},
            "trail_percent 100",
            "below 100",
        ),
        (
            "1",
            {"type": OrderType.TRAILING_STOP, "trail_percent": D(0)},
            "trail_percent 0",
            "above 0",
        ),
    ],
)
@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_a_number_out_of_range_is_refused_naming_field_value_and_range_and_nothing_is_kept(
    venue: Venue, side: Side, qty: str, fields: dict[str, Any], named: str, allowed: str
) -> None:
    account = venue.open()

    with pytest.raises(OrderOutOfRange) as refused:
        venue.submit(account, "AAPL", side, qty, client_order_id="fat-finger", **fields)

    message = refused.value.message
    assert message.startswith(f"{named} is out of range: it must be ") and allowed in message
    assert refused.value.details["field"] == named.split()[0]
    assert refused.value.code == ValidationError.code  # every API answers it 422
    assert not venue.engine.open_orders(account.id)
    assert venue.engine.by_client_id.get((account.id, "fat-finger")) is None


def test_a_trail_price_at_the_market_is_refused_and_one_tick_under_it_is_not(
    venue: Venue,
) -> None:
    account = venue.open()
    mid = venue.engine.marks(venue.now).mid("AAPL")
    trailing = {"type": OrderType.TRAILING_STOP, "tif": TimeInForce.GTC}

    with pytest.raises(OrderOutOfRange, match=f"below the market price {mid.normalize()}"):
        venue.submit(account, "AAPL", Side.SELL, 1, trail_price=mid, **trailing)
    inside = on_tick(mid, D("0.01"), ROUND_FLOOR) - D("0.01")
    order, _ = venue.submit(account, "AAPL", Side.SELL, 1, trail_price=inside, **trailing)

    assert order.status is S.ACCEPTED


def test_the_price_range_is_a_thousand_times_the_market_at_its_edge(venue: Venue) -> None:
    account = venue.open()
    mid = venue.engine.marks(venue.now).mid("AAPL")
    edge = on_tick(mid * ORDER_BOUNDS.max_price_multiple, D("0.01"))
    stop = {"type": OrderType.STOP, "tif": TimeInForce.GTC}

    with pytest.raises(OrderOutOfRange, match=f"at most {(mid * 1000).normalize():f}"):
        venue.submit(account, "AAPL", Side.BUY, "0.01", stop_price=edge + D("0.01"), **stop)
    order, _ = venue.submit(account, "AAPL", Side.BUY, "0.01", stop_price=edge, **stop)

    assert order.status is S.ACCEPTED, order.reject_reason  # far away, harmless: it waits


def test_a_quantity_at_the_bound_goes_on_to_the_account_checks_and_one_lot_more_is_refused(
    venue: Venue,
) -> None:
    account = venue.open()
    lot = venue.catalog.get("AAPL").lot_size

    at_bound = venue.preview(account, "AAPL", Side.BUY, ORDER_BOUNDS.max_qty)
    with pytest.raises(OrderOutOfRange):
        venue.preview(account, "AAPL", Side.BUY, ORDER_BOUNDS.max_qty + lot)

    assert at_bound.status is S.REJECTED
    assert at_bound.reject_reason is not None
    assert at_bound.reject_reason.startswith("buying_power: ")


@pytest.mark.parametrize("notional", ["1e40", "0", "-100"])
def test_a_notional_out_of_range_is_refused_before_it_is_divided(
    venue: Venue, notional: str
) -> None:
    with pytest.raises(OrderOutOfRange, match=re.escape(f"notional {D(notional)} is out")):
        by_notional(venue, "SHIB-USD", D(notional))


def test_a_notional_in_range_whose_quantity_is_not_is_refused_naming_the_quantity(
    venue: Venue,
) -> None:
    """1e12 USD of SHIB-USD (0.000009) comes to about 1.1e17 units."""
    with pytest.raises(OrderOutOfRange, match=r"qty \d{17,}\S* is out of range"):
        by_notional(venue, "SHIB-USD", ORDER_BOUNDS.max_notional)


def test_a_grid_check_decimal_cannot_compute_is_refused_as_out_of_range(venue: Venue) -> None:
    """Were an instrument's lot so fine that qty / lot outgrew 28 digits, the lot check would
    refuse the order instead of failing with `decimal.InvalidOperation`."""
    finest = dataclasses.replace(venue.catalog.get("AAPL"), lot_size=D("1e-20"))
    order = venue.preview(venue.open(), "AAPL", Side.BUY, ORDER_BOUNDS.max_qty)  # in range

    with pytest.raises(OrderOutOfRange, match="too large to check against 1E-20"):
        check_shape(order, finest)


def test_a_replacement_out_of_range_is_refused_and_the_old_order_is_left_as_it_was(
    venue: Venue,
) -> None:
    account = venue.open()
    price = on_tick(venue.quote("AAPL").bid * D("0.97"), D("0.01"))
    old, _ = venue.submit(
        account, "AAPL", Side.BUY, 2, type=OrderType.LIMIT, limit_price=price, tif=TimeInForce.GTC
    )

    for change in ({"qty": D(HUGE)}, {"limit_price": D("1e30")}):
        with pytest.raises(OrderOutOfRange):
            venue.engine.replace(
                ReplaceOrder(
                    id="c-replace",
                    ts_init=venue.now,
                    account_id=account.id,
                    order_id=old.id,
                    **change,
                ),
                venue.now,
            )

    assert old.status is S.ACCEPTED and old.replaced_by is None
    assert (old.qty, old.limit_price) == (2, price)
    assert venue.engine.orders.get(old.id) is old


# -- the collar of a stop-limit is around its stop ---------------------------------------------


@pytest.mark.parametrize("side", [Side.SELL, Side.BUY])
def test_a_stop_limit_far_from_the_market_with_its_limit_near_its_stop_is_accepted(
    venue: Venue, side: Side
) -> None:
    """The review's case: sell stop 240 / limit 239 with AAPL at 270 (11.5% below)."""
    account = venue.open(balance=10_000_000)
    venue.submit(account, "AAPL", Side.BUY, 10)  # something to sell
    mid = venue.engine.marks(venue.now).mid("AAPL")
    sign = 1 if side is Side.BUY else -1
    stop = on_tick(mid * (1 + sign * D("0.11")), D("0.01"))
    limit = stop + sign * 1  # a dollar through the stop

    order, _ = venue.submit(
        account,
        "AAPL",
        side,
        10,
        type=OrderType.STOP_LIMIT,
        stop_price=stop,
        limit_price=limit,
        tif=TimeInForce.GTC,
    )

    assert order.status is S.ACCEPTED, order.reject_reason


@pytest.mark.parametrize("side", [Side.SELL, Side.BUY])
def test_a_stop_limit_whose_limit_is_beyond_the_collar_from_its_stop_is_rejected(
    venue: Venue, side: Side
) -> None:
    account = venue.open(balance=10_000_000)
    venue.submit(account, "AAPL", Side.BUY, 10)
    mid = venue.engine.marks(venue.now).mid("AAPL")
    sign = 1 if side is Side.BUY else -1
    stop = on_tick(mid * (1 - sign * D("0.02")), D("0.01"))  # not triggered at once
    rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
    at_collar = on_tick(stop * (1 + sign * D("0.10")), D("0.01"), rounding)
    fields = {"type": OrderType.STOP_LIMIT, "stop_price": stop, "tif": TimeInForce.GTC}

    beyond = venue.preview(
        account, "AAPL", side, 10, limit_price=at_collar + sign * D("0.01"), **fields
    )
    inside = venue.preview(account, "AAPL", side, 10, limit_price=at_collar, **fields)

    assert beyond.status is S.REJECTED and beyond.reject_reason is not None
    where = "above" if side is Side.BUY else "below"
    assert beyond.reject_reason.startswith("price_collar: ")
    assert f"% {where} the stop price ({stop}); the collar is 10%" in beyond.reject_reason
    assert inside.status is not S.REJECTED, inside.reject_reason


def test_a_passive_limit_far_from_the_market_rests_only_a_marketable_one_is_collared(
    venue: Venue,
) -> None:
    """The collar guards against limits that would sweep the book at once (exchanges' price
    protection); a buy 79% under the market cannot trade and just rests."""
    account = venue.open()
    far_below = on_tick(venue.engine.marks(venue.now).mid("AAPL") * D("0.21"), D("0.01"))

    order, _ = venue.submit(
        account, "AAPL", Side.BUY, 1, type=OrderType.LIMIT, limit_price=far_below
    )

    assert order.status is S.ACCEPTED


# -- a command as a Python caller writes it ---------------------------------------------------


def test_a_command_takes_plain_strings_and_numbers_for_its_enums_and_decimals() -> None:
    plain: dict[str, Any] = {"side": "buy", "type": "LIMIT", "tif": "gtc", "qty": 10}
    plain |= {"limit_price": 0.1, "trail_percent": "1.5"}
    cmd = SubmitOrder(id="c", ts_init=0, account_id="a", symbol="AAPL", **plain)
    assert (cmd.side, cmd.type, cmd.tif) == (Side.BUY, OrderType.LIMIT, TimeInForce.GTC)
    assert (cmd.qty, cmd.limit_price, cmd.trail_percent) == (D(10), D("0.1"), D("1.5"))


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("side", "long", "side 'long' is not one of buy, sell"),
        ("tif", "week", "tif 'week' is not one of day, gtc"),
        ("qty", "ten", "qty must be a number, got 'ten'"),
        ("qty", True, "qty must be a number, got True"),
    ],
)
def test_a_command_with_a_value_it_cannot_take_says_what_is_allowed(
    field: str, value: object, says: str
) -> None:
    fields: dict[str, Any] = {"side": "buy", "qty": 1, field: value}
    with pytest.raises(ValidationError, match=re.escape(says)):
        SubmitOrder(id="c", ts_init=0, account_id="a", symbol="AAPL", **fields)
