"""Specification of pre-trade estimates: they say what the engine would do, and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from vtrade.domain.accounts import Profile
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType
from vtrade.execution.estimate import Estimate, estimate
from vtrade.execution.fees import FeeContext, Liquidity
from vtrade.execution.profiles import PROFILES

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
SECOND = 1_000_000_000
WHALE = 10**10  # a balance so large that the 25% cap and buying power never bind
SATURDAY = "2024-03-16T15:00:00Z"
US_PREMARKET = "2024-03-15T12:00:00Z"  # 08:00 New York
SIZES = [("AAPL", "500"), ("AAPL", "16000"), ("VOD.L", "20000")]  # all within the book


def estimate_now(venue: Venue, symbol: str, side: Side, qty: int | str, **kw: object) -> Estimate:
    return estimate(venue.engine, symbol, side, D(qty), venue.now, **kw)  # type: ignore[arg-type]


def visible(venue: Venue, symbol: str, side: Side) -> list[tuple[Decimal, Decimal]]:
    """(price, size) of every visible level an order of `side` would take now, best first."""
    book = venue.market.books.book(symbol, venue.now, venue.market.books.levels)
    return [(x.price, x.size) for x in (book.asks if side is Side.BUY else book.bids)]


# -- market orders ------------------------------------------------------------------------------


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
@pytest.mark.parametrize(("symbol", "qty"), SIZES)
def test_a_market_order_is_expected_to_pay_at_least_the_touch(
    venue: Venue, symbol: str, qty: str, side: Side
) -> None:
    e = estimate_now(venue, symbol, side, qty)

    assert e.fillable_now == D(qty) and e.schedule == () and e.note is None
    assert e.avg_price_now is not None and e.expected_avg_price is not None
    assert e.bid < e.ask
    if side is Side.BUY:  # at or above the ask
        assert e.avg_price_now >= e.ask and e.expected_avg_price >= e.ask
    else:  # at or below the bid
        assert e.avg_price_now <= e.bid and e.expected_avg_price <= e.bid
    assert e.spread_bps > 0 and e.impact_bps >= 0
    assert e.fees > 0


def test_spread_and_impact_are_split_from_the_arrival_mid_as_a_receipt_splits_them(
    venue: Venue,
) -> None:
    e = estimate_now(venue, "AAPL", Side.BUY, 16000)
    assert e.expected_avg_price is not None

    half_spread = (e.ask - e.arrival_mid) / e.arrival_mid * 10_000
    total = (e.expected_avg_price - e.arrival_mid) / e.arrival_mid * 10_000
    assert e.spread_bps == half_spread.quantize(D("0.01"))
    assert e.spread_bps + e.impact_bps == pytest.approx(total, abs=D("0.02"))


def test_a_block_larger_than_the_book_takes_the_visible_book_now_and_schedules_the_rest(
    venue: Venue,
) -> None:
    levels = visible(venue, "AAPL", Side.BUY)
    book_size = sum(size for _, size in levels)
    qty = 80000
    assert book_size < qty

    e = estimate_now(venue, "AAPL", Side.BUY, qty)

    assert e.fillable_now == book_size  # the whole visible book, not a share more
    assert e.avg_price_now == sum(p * s for p, s in levels) / book_size
    assert e.resting_qty == 0
    minutes = [m for m, _ in e.schedule]
    done = [q for _, q in e.schedule]
    assert minutes == sorted(set(minutes)) and done == sorted(done) and len(done) >= 2
    assert done[-1] == qty - book_size  # the rest completes before the close
    assert e.expected_avg_price is not None and e.expected_avg_price >= e.ask


def test_the_remainder_works_at_the_profiles_participation_of_the_expected_volume(
    venue: Venue,
) -> None:
    realistic = estimate_now(venue, "AAPL", Side.BUY, 200000)
    harsh = estimate_now(venue, "AAPL", Side.BUY, 200000, profile=Profile.HARSH)

    inst = venue.catalog.get("AAPL")
    per_minute = D(inst.market.avg_daily_volume) / 390  # a US session has 390 minutes
    (minutes, first) = realistic.schedule[0]
    assert minutes == 1
    # 10% of a minute of volume, within the intraday profile's swing (busier mid-morning
    # minutes trade less than the day's average)
    assert per_minute * D("0.02") < first < per_minute * D("0.3")
    harsh_first = dict(harsh.schedule)[1]
    ratio = PROFILES[Profile.HARSH].participation / PROFILES[Profile.REALISTIC].participation
    assert harsh_first == pytest.approx(first * ratio, rel=D("0.01"))


@pytest.mark.parametrize("symbol", ["AAPL", "BKNG"])
def test_the_schedule_is_close_to_what_the_engine_then_fills(venue: Venue, symbol: str) -> None:
    """The schedule scales the average day by today's pace, and the engine keeps the allowance
    of steps too small to fill a share: half an hour later the two agree within a fifth."""
    account = venue.open(balance=WHALE)
    qty = int(venue.catalog.get(symbol).market.avg_daily_volume // 50)
    e = estimate_now(venue, symbol, Side.BUY, qty)
    order, _ = venue.submit(account, symbol, Side.BUY, qty)
    assert order.filled_qty == e.fillable_now
    venue.advance_to(venue.now + 30 * 60 * SECOND)

    assert e.volume_pace is not None  # 11:00 New York: the session is 90 minutes old
    expected = dict(e.schedule)[30]
    worked = order.filled_qty - e.fillable_now
    assert expected * D("0.8") <= worked <= expected * D("1.2")


def test_too_early_in_the_session_the_average_day_stands_for_today(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue("2024-03-15T13:40:00Z")  # ten minutes after the open
    e = estimate_now(venue, "AAPL", Side.BUY, 2_000_000)
    assert e.schedule and e.volume_pace is None


def test_a_remainder_too_big_for_the_day_says_what_will_not_fill_before_the_close(
    venue: Venue,
) -> None:
    inst = venue.catalog.get("AAPL")
    qty = int(inst.market.avg_daily_volume)  # a whole day's volume: 10% of it fills at most

    e = estimate_now(venue, "AAPL", Side.BUY, qty)

    expected = e.fillable_now + e.schedule[-1][1]
    assert expected < qty
    assert e.note is not None and "before its trading day ends" in e.note
    assert f"{qty - expected} is not expected to fill" in e.note
    # fees on what fills, not on what expires: the whole order was quoted 10 times over
    assert e.fee_qty == expected
    assert e.expected_avg_price is not None
    inst, price = venue.catalog.get("AAPL"), e.expected_avg_price
    whole = venue.engine.fees.quote(
        inst, Side.BUY, D(qty), price, Liquidity.TAKER, FeeContext(), D(1)
    )
    assert e.fees < whole.total / 5


# -- limit orders -------------------------------------------------------------------------------


def test_a_limit_buy_below_the_market_rests_with_no_price_and_no_schedule(venue: Venue) -> None:
    bid = visible(venue, "AAPL", Side.SELL)[0][0]
    limit = (bid * D("0.74")).quantize(D("0.01"))  # 26% below the market

    e = estimate_now(venue, "AAPL", Side.BUY, 500, order_type=OrderType.LIMIT, limit_price=limit)

    assert e.fillable_now == 0 and e.avg_price_now is None
    assert e.expected_avg_price is None  # not a price above the limit, not a made-up one
    assert e.schedule == ()  # no completion within a minute
    assert e.resting_qty == 500
    assert e.note is not None and f"rests at the limit {limit}" in e.note
    assert "at or through" in e.note
    assert e.spread_bps is None and e.impact_bps is None  # no price: nothing to split
    assert e.fees > 0 and e.fee_qty == 500  # what it pays if it fills


def test_a_limit_sell_above_the_market_rests_too(venue: Venue) -> None:
    ask = visible(venue, "AAPL", Side.BUY)[0][0]

    e = estimate_now(venue, "AAPL", Side.SELL, 500, order_type=OrderType.LIMIT, limit_price=ask + 5)

    assert e.fillable_now == 0 and e.expected_avg_price is None and e.schedule == ()
    assert e.resting_qty == 500


def test_a_marketable_limit_buy_takes_the_book_up_to_its_limit_and_never_pays_more(
    venue: Venue,
) -> None:
    levels = visible(venue, "AAPL", Side.BUY)
    limit = levels[3][0]  # a few levels above the ask
    within = sum(size for price, size in levels if price <= limit)
    notional = sum(price * size for price, size in levels if price <= limit)

    e = estimate_now(venue, "AAPL", Side.BUY, 80000, order_type=OrderType.LIMIT, limit_price=limit)

    assert e.fillable_now == within  # what the book shows up to the limit
    assert e.avg_price_now == notional / within
    assert e.ask <= e.avg_price_now <= limit
    assert e.expected_avg_price is not None and e.expected_avg_price <= limit
    assert e.resting_qty == 80000 - within and e.schedule == ()
    assert e.note is not None and "works on at up to 10% of the market's volume" in e.note
    assert f"within the limit {limit}" in e.note


def test_a_marketable_limit_sell_that_the_book_covers_fills_now_at_or_above_its_limit(
    venue: Venue,
) -> None:
    levels = visible(venue, "AAPL", Side.SELL)
    limit = levels[2][0]
    qty = levels[0][1] + levels[1][1]  # the first two levels are enough

    e = estimate_now(venue, "AAPL", Side.SELL, qty, order_type=OrderType.LIMIT, limit_price=limit)

    assert e.fillable_now == qty and e.resting_qty == 0 and e.note is None
    assert e.expected_avg_price is not None and limit <= e.expected_avg_price <= e.bid


# -- tied to the engine ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "side", "qty", "profile", "limit_level"),
    [
        ("AAPL", Side.BUY, 500, "realistic", None),
        ("AAPL", Side.SELL, 16000, "realistic", None),
        ("AAPL", Side.BUY, 80000, "realistic", None),  # more than the book
        ("AAPL", Side.BUY, 80000, "realistic", 3),  # a limit within the book
        ("AAPL", Side.BUY, 30000, "harsh", None),  # half of each level, half a second late
        ("VOD.L", Side.SELL, 20000, "realistic", None),
        ("EUR/USD", Side.BUY, 100000, "realistic", None),
        ("BTC-USD", Side.BUY, "0.5", "realistic", None),
        ("AAPL", Side.BUY, 500, "frictionless", None),
    ],
)
def test_what_fills_now_is_what_an_order_submitted_at_the_same_instant_gets(
    make_venue: Callable[..., Venue],
    symbol: str,
    side: Side,
    qty: int | str,
    profile: str,
    limit_level: int | None,
) -> None:
    estimated, real = make_venue(), make_venue()  # the same seed: the same market
    kw: dict[str, object] = {}
    if limit_level is not None:
        kw = {"type": OrderType.LIMIT, "limit_price": visible(real, symbol, side)[limit_level][0]}

    e = estimate(
        estimated.engine,
        symbol,
        side,
        D(qty),
        estimated.now,
        order_type=kw.get("type", OrderType.MARKET),  # type: ignore[arg-type]
        limit_price=kw.get("limit_price"),  # type: ignore[arg-type]
        profile=Profile(profile),
    )
    account = real.open(balance=WHALE, profile=profile)
    order, changes = real.submit_arrived(account, symbol, side, qty, **kw)

    (fill,) = changes.fills
    assert e.fillable_now == fill.qty == order.filled_qty
    assert e.avg_price_now == fill.receipt.avg_price
    assert e.arrival_mid == fill.receipt.arrival_mid
    if order.status is OrderStatus.FILLED:
        places = real.catalog.get(symbol).tick_size / 100
        assert e.expected_avg_price == fill.receipt.avg_price.quantize(places)


def test_an_estimate_does_not_change_the_book(make_venue: Callable[..., Venue]) -> None:
    estimated, untouched = make_venue(), make_venue()
    book_before = estimated.market.books.book("AAPL", estimated.now, 20)

    estimate_now(estimated, "AAPL", Side.BUY, 80000)
    estimate_now(estimated, "AAPL", Side.SELL, 80000)

    assert estimated.market.books.book("AAPL", estimated.now, 20) == book_before
    after = estimated.submit(estimated.open(balance=WHALE), "AAPL", Side.BUY, 30000)[1].fills
    alone = untouched.submit(untouched.open(balance=WHALE), "AAPL", Side.BUY, 30000)[1].fills
    assert [(f.qty, f.price, f.receipt.slices) for f in after] == [
        (f.qty, f.price, f.receipt.slices) for f in alone
    ]


def test_an_estimate_sees_the_book_our_earlier_orders_left(venue: Venue) -> None:
    account = venue.open(balance=WHALE)
    venue.submit(account, "AAPL", Side.BUY, 30000)  # takes the first levels

    e = estimate_now(venue, "AAPL", Side.BUY, 500)

    book = venue.market.books.book("AAPL", venue.now, 1)
    assert e.ask == book.asks[0].price
    assert e.avg_price_now is not None and e.avg_price_now >= e.ask


# -- profiles and sessions ----------------------------------------------------------------------


def test_frictionless_fills_everything_now_at_the_mid_for_free(venue: Venue) -> None:
    levels = visible(venue, "AAPL", Side.BUY)
    qty = 2 * sum(size for _, size in levels)  # more than the book: no matter

    e = estimate_now(venue, "AAPL", Side.BUY, qty, profile=Profile.FRICTIONLESS)

    assert e.fillable_now == qty and e.schedule == ()
    assert e.avg_price_now == e.arrival_mid
    assert e.spread_bps == e.impact_bps == e.fees == 0


def test_a_frictionless_limit_below_the_mid_rests(venue: Venue) -> None:
    bid = visible(venue, "AAPL", Side.SELL)[0][0]

    e = estimate_now(
        venue,
        "AAPL",
        Side.BUY,
        500,
        order_type=OrderType.LIMIT,
        limit_price=bid - 1,
        profile=Profile.FRICTIONLESS,
    )

    assert e.fillable_now == 0 and e.expected_avg_price is None and e.resting_qty == 500


@pytest.mark.parametrize("start", [SATURDAY, US_PREMARKET])
def test_a_market_order_outside_the_session_waits_for_the_opening_auction(
    make_venue: Callable[..., Venue], start: str
) -> None:
    venue = make_venue(start=start)
    e = estimate_now(venue, "AAPL", Side.BUY, 500)

    assert e.fillable_now == 0 and e.avg_price_now is None
    ((minutes, qty),) = e.schedule
    assert qty == 500
    assert e.next_open is not None
    assert minutes == -(-(e.next_open - venue.now) // 60_000_000_000)
    assert e.note is not None and "opening auction" in e.note
    assert "official open price plus impact" in e.note


def test_a_frictionless_order_queued_for_the_open_is_promised_no_impact(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(start=SATURDAY)
    e = estimate_now(venue, "AAPL", Side.BUY, 500, profile=Profile.FRICTIONLESS)

    assert e.impact_bps == 0 and e.note is not None
    assert "official open price (" in e.note and "impact" not in e.note


def test_a_queued_order_larger_than_the_opening_auction_fills_what_it_crosses_there(
    make_venue: Callable[..., Venue],
) -> None:
    """The US open crosses about 1% of the day: that much is scheduled at the open, in whole
    shares, and the rest is left to work after it."""
    venue = make_venue(start=US_PREMARKET)
    adv = int(venue.catalog.get("BKNG").market.avg_daily_volume)

    e = estimate_now(venue, "BKNG", Side.BUY, adv // 20)

    ((_, crossed),) = e.schedule
    assert crossed == int(0.01 * adv) and str(crossed) == str(int(0.01 * adv))
    assert e.resting_qty == adv // 20 - crossed
    assert e.note is not None and f"the other {adv // 20 - crossed} works after the open" in e.note
    assert e.spread_bps == 0 and e.impact_bps > 0  # no spread is paid in an auction
    assert e.expected_avg_price is not None and e.expected_avg_price > e.arrival_mid


def test_a_limit_order_outside_the_session_waits_for_the_open_with_no_price(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(start=SATURDAY)
    ask = visible(venue, "AAPL", Side.BUY)[0][0]

    e = estimate_now(venue, "AAPL", Side.BUY, 500, order_type=OrderType.LIMIT, limit_price=ask)

    assert e.fillable_now == 0 and e.expected_avg_price is None and e.schedule == ()
    assert e.resting_qty == 500
    assert e.note is not None and "until" in e.note


def test_an_order_the_venue_refuses_still_gets_an_estimate_and_the_reason(venue: Venue) -> None:
    e = estimate_now(venue, "AAPL", Side.BUY, 80000)

    assert not e.accepted and e.reason is not None and e.reason.startswith("buying_power")
    assert e.fillable_now > 0 and e.expected_avg_price is not None


def test_an_order_pays_its_accounts_fee_tier_as_quoted_not_one_its_own_fills_earn(
    venue: Venue,
) -> None:
    """A fresh account's 20 BTC buy (some 2 million USD) is quoted at the first crypto tier,
    60 bp taker; its own first fills do not lower the rate its later fills pay."""
    e = estimate_now(venue, "BTC-USD", Side.BUY, 20)
    order, changes = venue.submit(venue.open(balance=WHALE), "BTC-USD", Side.BUY, 20)
    fills = list(changes.fills)
    while order.is_open:
        fills += [f for f in venue.advance(10).fills if f.order_id == order.id]

    assert len(fills) > 1
    paid = sum((f.fee for f in fills), D(0))
    assert float(paid / order.filled_notional) == pytest.approx(0.006, rel=1e-4)
    quoted = e.fees / (e.qty * (e.expected_avg_price or D(1)))
    assert float(quoted) == pytest.approx(0.006, rel=1e-4)
