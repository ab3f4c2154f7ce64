"""Specification of the fill model: spread, impact, partial fills, resting limits and stops."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pytest

from vtrade.domain.accounts import EntryKind, Profile
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, OrderStatus, OrderType, TimeInForce
from vtrade.execution.profiles import PROFILES
from vtrade.execution.working import phase
from vtrade.market.books import to_price

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
SECOND = 1_000_000_000
WHALE = 10**10  # a balance so large that the 25% cap and buying power never bind
TRADES = [
    ("AAPL", "500"),
    ("SPY", "300"),
    ("VOD.L", "20000"),
    ("BTC-USD", "0.5"),
    ("EUR/USD", "100000"),
]


def visible(venue: Venue, symbol: str, side: Side, t_ns: int) -> list[tuple[Decimal, Decimal]]:
    """(price, size) of every visible level an order of `side` would take, best first."""
    book = venue.market.books.book(symbol, t_ns, venue.market.books.levels)
    levels = book.asks if side is Side.BUY else book.bids
    return [(level.price, level.size) for level in levels]


class FeedTouch(NamedTuple):
    bid: Decimal
    ask: Decimal


def feed(venue: Venue, symbol: str) -> FeedTouch:
    """The market's own (untouched) best bid and offer now, on the tick grid."""
    touch = venue.market.touch(symbol, venue.now)
    tick = venue.catalog.get(symbol).tick_size
    return FeedTouch(to_price(touch.bid, tick), to_price(touch.ask, tick))


# -- spread and the touch ---------------------------------------------------------------------


@pytest.mark.parametrize(("symbol", "qty"), TRADES)
def test_realistic_buy_fills_at_or_above_the_ask(venue: Venue, symbol: str, qty: str) -> None:
    account = venue.open()
    ask = venue.quote(symbol).ask
    feed_ask = feed(venue, symbol).ask

    order, changes = venue.submit(account, symbol, Side.BUY, qty)

    assert order.status is OrderStatus.FILLED
    (fill,) = changes.fills
    assert fill.price >= ask >= feed_ask
    assert all(s.price >= ask for s in fill.receipt.slices)
    assert fill.receipt.touch == ask
    assert fill.receipt.spread_cost > 0


@pytest.mark.parametrize(("symbol", "qty"), TRADES)
def test_realistic_sell_fills_at_or_below_the_bid(venue: Venue, symbol: str, qty: str) -> None:
    account = venue.open()
    bought = not venue.catalog.get(symbol).shortable
    if bought:  # crypto cannot be sold short: hold it first
        venue.submit(account, symbol, Side.BUY, qty)
    bid = venue.quote(symbol).bid
    feed_bid = feed(venue, symbol).bid

    order, changes = venue.submit(account, symbol, Side.SELL, qty)

    assert order.status is OrderStatus.FILLED
    (fill,) = changes.fills
    assert fill.price <= bid
    # the book is the feed's, but for what our own buy just lifted it by (its flow's impact)
    assert bid >= feed_bid if bought else bid <= feed_bid
    assert all(s.price <= bid for s in fill.receipt.slices)
    assert fill.receipt.touch == bid
    if not bought:  # (after it, a sale may get more than the feed's mid it lifted)
        assert fill.receipt.slippage_bps > 0  # sold below the arrival mid: a cost


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
@pytest.mark.parametrize(("symbol", "qty"), [("AAPL", "500"), ("VOD.L", "20000")])
def test_frictionless_fills_at_the_mid_with_zero_fees(
    venue: Venue, symbol: str, qty: str, side: Side
) -> None:
    account = venue.open(profile="frictionless")
    touch = venue.market.touch(symbol, venue.now)
    mid = D(repr((touch.bid + touch.ask) / 2))

    order, changes = venue.submit(account, symbol, side, qty)

    (fill,) = changes.fills
    assert order.status is OrderStatus.FILLED
    assert fill.price == mid
    assert fill.fee == 0
    assert fill.receipt.fees == 0 and fill.receipt.fee_breakdown == ()
    assert fill.receipt.spread_cost == 0 and fill.receipt.impact_cost == 0
    assert fill.receipt.slippage_bps == 0
    assert fill.profile == "frictionless"
    assert [e.kind for e in changes.ledger] == [EntryKind.TRADE]


def test_frictionless_block_fills_entirely_at_once_at_the_mid(venue: Venue) -> None:
    account = venue.open(balance=WHALE, profile="frictionless")
    book_size = sum(size for _, size in visible(venue, "AAPL", Side.BUY, venue.now))
    touch = venue.market.touch("AAPL", venue.now)

    order, changes = venue.submit(account, "AAPL", Side.BUY, 2 * book_size)

    assert order.status is OrderStatus.FILLED
    assert [f.price for f in changes.fills] == [D(repr((touch.bid + touch.ask) / 2))]


# -- impact -----------------------------------------------------------------------------------


def _impact_per_share(make_venue: Callable[..., Venue], symbol: str, qty: int) -> Decimal:
    venue = make_venue()  # fresh books for each size
    account = venue.open(balance=WHALE)
    order, changes = venue.submit(account, symbol, Side.BUY, qty)
    assert order.status is OrderStatus.FILLED, "the order must fit in the visible book"
    (fill,) = changes.fills
    return fill.receipt.impact_cost / fill.qty


@pytest.mark.parametrize(("symbol", "qty"), [("AAPL", 4000), ("AAPL", 16000), ("SPY", 3000)])
def test_impact_grows_like_the_square_root_of_order_size(
    make_venue: Callable[..., Venue], symbol: str, qty: int
) -> None:
    small = _impact_per_share(make_venue, symbol, qty)
    large = _impact_per_share(make_venue, symbol, 4 * qty)

    # square-root law: 4x the size costs 2x per share (linear impact would be 4x)
    assert 1.6 < large / small < 2.5


def test_impact_magnitude_agrees_with_the_impact_formula(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue()
    inst = venue.catalog.get("AAPL").market
    qty = 16000
    account = venue.open(balance=WHALE)
    _, changes = venue.submit(account, "AAPL", Side.BUY, qty)
    receipt = changes.fills[0].receipt

    impact = float(receipt.impact_cost / qty / receipt.arrival_mid)
    formula = inst.impact_gamma * (qty / inst.avg_daily_volume) ** inst.impact_alpha
    assert formula / 1.5 < impact < formula * 1.5


# -- partial fills of blocks ------------------------------------------------------------------


def test_block_larger_than_the_visible_book_fills_partly_now_and_completes_later(
    venue: Venue,
) -> None:
    account = venue.open(balance=WHALE)
    venue.advance_to_phase("AAPL")  # from here each second ends where AAPL's orders work
    levels = visible(venue, "AAPL", Side.BUY, venue.now)
    book_size = sum(size for _, size in levels)

    order, changes = venue.submit(account, "AAPL", Side.BUY, 80000)

    assert book_size < 80000
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.filled_qty == book_size  # the whole visible book, not a share more
    (first,) = changes.fills
    assert [s.price for s in first.receipt.slices] == [price for price, _ in levels]

    statuses = []
    for _ in range(900):
        t_next = venue.now + SECOND
        book = visible(venue, "AAPL", Side.BUY, t_next)
        changes = venue.advance_to(t_next)
        for fill in changes.fills:
            for s in fill.receipt.slices:  # each slice is a level of the book at that instant
                assert s.price in {price for price, _ in book}
                assert s.price >= book[0][0]
        statuses.append(order.status)
        if not order.is_open:
            break

    assert statuses[-1] is OrderStatus.FILLED
    assert set(statuses[:-1]) == {OrderStatus.PARTIALLY_FILLED}
    assert order.filled_qty == order.qty == 80000


def test_a_block_filled_in_many_fills_pays_the_commission_minimum_once(venue: Venue) -> None:
    account = venue.open(balance=WHALE)
    order, changes = venue.submit(account, "AAPL", Side.BUY, 80000)
    fills = list(changes.fills)
    while order.is_open:
        fills += venue.advance_to(venue.now + 10 * SECOND).fills

    commissions = [dict(f.receipt.fee_breakdown)["commission"] for f in fills]
    assert len(fills) > 50
    # IB Tiered, 0.0035 a share below 300,000 shares a month: as if filled at once
    assert sum(commissions) == D("280.00")
    small = [c for f, c in zip(fills, commissions, strict=True) if f.qty < 100]
    assert small and D("0.35") not in small  # a sliver pays its shares, not a new minimum


@pytest.mark.parametrize("profile", ["realistic", "harsh"])
def test_working_remainder_takes_at_most_its_participation_of_market_volume_since_it_last_filled(
    venue: Venue, profile: str
) -> None:
    participation = PROFILES[Profile(profile)].participation
    latency = PROFILES[Profile(profile)].latency_ns
    account = venue.open(balance=WHALE, profile=profile)
    venue.advance_to_phase("AAPL")  # from here each second ends where AAPL's orders work
    venue.advance_to(venue.now + SECOND - latency)  # it reaches the market on AAPL's phase
    order, _ = venue.submit_arrived(account, "AAPL", Side.BUY, 80000)  # its walk is exempt
    assert order.status is OrderStatus.PARTIALLY_FILLED

    steps_with_fills, last_fill = 0, order.updated_ns
    for _ in range(120):
        t1 = venue.now + SECOND
        volume = D(repr(venue.market.prints("AAPL", last_fill, t1).volume))
        carried = order.allowance  # what the last fill left unused: less than a share
        changes = venue.advance_to(t1)
        taken = sum((f.qty for f in changes.fills), D(0))
        assert 0 <= carried <= 1 and taken <= carried + participation * volume
        if taken:
            steps_with_fills, last_fill = steps_with_fills + 1, t1

    assert steps_with_fills > 10  # the cap binds step after step, it does not stop the order


def test_a_working_order_in_a_thin_name_keeps_the_allowance_of_steps_under_one_share(
    venue: Venue,
) -> None:
    """BKNG prints a few shares a second: 10% of a step is under one share. The allowance of
    such steps adds up until a whole share fits, and what a fill leaves of it carries to the
    next, instead of being lost step after step."""
    account = venue.open(balance=WHALE)
    venue.advance_to_phase("BKNG")
    order, _ = venue.submit(account, "BKNG", Side.BUY, 20000)
    start, working_from = venue.now, order.filled_qty
    per_step: list[float] = []
    for _ in range(600):
        per_step.append(venue.market.prints("BKNG", venue.now, venue.now + SECOND).volume)
        venue.advance_to(venue.now + SECOND)

    volume = D(repr(venue.market.prints("BKNG", start, venue.now).volume))
    worked = order.filled_qty - working_from
    cap = PROFILES[Profile.REALISTIC].participation
    one_step_at_a_time = sum(int(float(cap) * v) for v in per_step)  # each fraction lost
    assert cap * volume - 1 <= worked <= cap * volume  # less at most what is carried
    assert worked > one_step_at_a_time * D("1.5")


# -- limits -----------------------------------------------------------------------------------


def _never_touched_price(venue: Venue, symbol: str, seconds: int) -> Decimal:
    """A bid price one tick under the lowest ask of the coming `seconds` (never crossed)."""
    asks = [venue.market.touch(symbol, venue.now + k * SECOND).ask for k in range(seconds + 1)]
    tick = venue.catalog.get(symbol).tick_size
    return (D(repr(min(asks))) - tick).quantize(tick)


@pytest.mark.parametrize(
    ("first_profile", "first_qty"), [("realistic", 150), ("harsh", 150), ("harsh", 3000)]
)
def test_resting_limit_orders_at_one_price_share_liquidity_in_time_priority(
    venue: Venue, first_profile: str, first_qty: int
) -> None:
    """Profiles differ in how much of the market's volume reaches a resting order (harsh: a
    quarter, realistic: half); a later order behind one the market left unfilled gets none
    (a realistic one took the half a harsh one ahead of it could not)."""
    first_account, second_account = venue.open(WHALE, first_profile), venue.open()
    for _ in range(60):  # setup: ten minutes in which sellers reach the price more than once
        price = _never_touched_price(venue, "AAPL", 600)
        prints = venue.market.prints("AAPL", venue.now + 3 * SECOND, venue.now + 600 * SECOND)
        if ((prints.side < 0) & (prints.price <= float(price) + 1e-9)).sum() > 2:
            break
        venue.advance(60)
    else:
        raise AssertionError("setup: no ten minutes in an hour where sellers reach a price")
    limit = {"type": OrderType.LIMIT, "limit_price": price, "tif": TimeInForce.GTC}
    first, _ = venue.submit(first_account, "AAPL", Side.BUY, first_qty, **limit)
    fills = list(venue.advance(2).fills)  # the first reaches the market before the second
    second, _ = venue.submit(second_account, "AAPL", Side.BUY, 500, **limit)

    for _ in range(598):
        changes = venue.advance(1)
        for fill in changes.fills:
            if fill.order_id == second.id:  # the later order only gets what the earlier left
                assert first.status is OrderStatus.FILLED
            fills.append(fill)

    assert fills, "the resting orders must fill from market prints"
    assert fills[0].order_id == first.id
    if first_qty == 150:  # a small first order fills, then the second gets the rest
        assert first.status is OrderStatus.FILLED
        assert first.filled_qty > 0 and second.filled_qty > 0
    assert all(f.price == price and f.receipt.liquidity == "maker" for f in fills)


def test_time_priority_is_when_an_order_reached_the_market_not_when_it_was_sent(
    venue: Venue,
) -> None:
    """A harsh order is half a second in flight: one sent a tenth of a second after it, with
    no latency, is at the market first and ahead of it in the queue."""
    harsh, realistic = venue.open(WHALE, "harsh"), venue.open(WHALE)
    price = _never_touched_price(venue, "AAPL", 600)
    limit = {"type": OrderType.LIMIT, "limit_price": price, "tif": TimeInForce.GTC}
    slow, _ = venue.submit(harsh, "AAPL", Side.BUY, 3000, **limit)
    fills = list(venue.advance_to(venue.now + SECOND // 10).fills)
    fast, _ = venue.submit(realistic, "AAPL", Side.BUY, 3000, **limit)

    for _ in range(600):
        for fill in venue.advance(1).fills:
            if fill.order_id == slow.id:
                assert fast.status is OrderStatus.FILLED
            fills.append(fill)

    assert fills and fills[0].order_id == fast.id


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_limit_orders_fill_only_at_their_price_or_better(venue: Venue, side: Side) -> None:
    account = venue.open(balance=WHALE)
    levels = visible(venue, "AAPL", side, venue.now)
    limit_price = levels[2][0]  # three levels deep: marketable, but only partly
    within = sum(size for _, size in levels[:3])
    better = (lambda p: p <= limit_price) if side is Side.BUY else (lambda p: p >= limit_price)

    order, changes = venue.submit(
        account, "AAPL", side, 5000, type=OrderType.LIMIT, limit_price=limit_price
    )

    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.filled_qty == within
    fills = list(changes.fills)
    fills += venue.advance(300).fills
    assert len(fills) > 1
    assert all(better(s.price) for f in fills for s in f.receipt.slices)
    assert all(better(f.price) for f in fills)


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_a_resting_limit_the_market_moves_through_fills_at_its_limit_as_maker(
    venue: Venue, side: Side
) -> None:
    """A resting bid cannot be traded through: the sellers who took the price past it met it
    first, at its price. So it never fills better than its limit once it rests, and no
    faster than the flow printing at or through its price reaches it."""
    account = venue.open(balance=WHALE)
    orders = []
    for symbol in ("AAPL", "MSFT", "NVDA", "META", "TSLA", "AMZN"):
        quote = venue.quote(symbol)
        for ticks in (1, 3, 6):
            away = D(ticks) * D("0.01")
            limit = quote.bid - away if side is Side.BUY else quote.ask + away
            order, _ = venue.submit(
                account,
                symbol,
                side,
                10,
                type=OrderType.LIMIT,
                limit_price=limit,
                tif=TimeInForce.GTC,
            )
            assert order.status is OrderStatus.ACCEPTED
            orders.append(order)

    fills = venue.advance(1800).fills

    limits = {o.id: o.limit_price for o in orders}
    assert len(fills) > 10
    assert all(f.price == limits[f.order_id] for f in fills)
    assert {f.receipt.liquidity for f in fills} == {"maker"}


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_the_rest_of_a_marketable_limit_takes_the_book_at_market_prices_at_its_participation(
    venue: Venue, side: Side
) -> None:
    """A limit through the market fills what the book shows now; its rest is not a bid above
    the market that sellers fill at the limit: it takes the book within its limit, at the
    market's prices, at no more than its participation in the volume."""
    account = venue.open(balance=WHALE)
    venue.advance_to_phase("AAPL")
    quote = feed(venue, "AAPL")
    limit = (quote.ask * D("1.02") if side is Side.BUY else quote.bid * D("0.98")).quantize(
        D("0.01")
    )
    order, _ = venue.submit(
        account, "AAPL", side, 200_000, type=OrderType.LIMIT, limit_price=limit, tif=TimeInForce.GTC
    )
    assert order.status is OrderStatus.PARTIALLY_FILLED
    participation = PROFILES[Profile.REALISTIC].participation
    sign = 1 if side is Side.BUY else -1
    start, working_from, fills = venue.now, order.filled_qty, []
    for _ in range(60):
        t1 = venue.now + SECOND
        opposite = visible(venue, "AAPL", side, t1)[0][0]
        changes = venue.advance_to(t1)
        for fill in changes.fills:
            assert fill.receipt.liquidity == "taker"
            assert (fill.price - opposite) * sign >= 0  # the market's own price or worse
            assert (fill.price - limit) * sign < 0  # and far better than the limit
        fills += changes.fills

    worked = order.filled_qty - working_from
    volume = D(repr(venue.market.prints("AAPL", start, venue.now).volume))
    assert len(fills) > 10
    assert 0 < worked <= participation * volume + 1


def test_a_whole_share_resting_limit_order_fills_in_whole_shares(venue: Venue) -> None:
    account = venue.open()
    price = _never_touched_price(venue, "AAPL", 600)
    order, _ = venue.submit(account, "AAPL", Side.BUY, 500, type=OrderType.LIMIT, limit_price=price)

    fills = venue.advance(600).fills

    assert fills
    assert all(f.qty == f.qty.to_integral_value() for f in fills)


def test_a_whole_share_order_under_the_harsh_profile_fills_in_whole_shares(
    venue: Venue,
) -> None:
    account = venue.open(balance=WHALE, profile="harsh")
    book_size = sum(size for _, size in visible(venue, "MSFT", Side.BUY, venue.now))
    assert book_size % 2 == 1  # setup: half the book is not a whole number of shares

    _, changes = venue.submit_arrived(account, "MSFT", Side.BUY, 20000)

    assert changes.fills
    assert all(f.qty == f.qty.to_integral_value() for f in changes.fills)


def test_a_whole_share_market_order_works_its_remainder_in_whole_shares(venue: Venue) -> None:
    account = venue.open(balance=WHALE)
    venue.submit(account, "AAPL", Side.BUY, 80000)

    fills = venue.advance(60).fills

    assert fills
    assert all(f.qty == f.qty.to_integral_value() for f in fills)


@pytest.mark.parametrize("qty", ["1", "3"])
def test_a_whole_number_of_coins_fills_from_the_book_s_fractions_of_a_coin(
    venue: Venue, qty: str
) -> None:
    """Only shares fill in whole units: 1 BTC takes the fractional levels the book shows."""
    levels = visible(venue, "BTC-USD", Side.BUY, venue.now)
    assert levels[0][1] % 1 != 0  # setup: the best level is not a whole coin

    order, changes = venue.submit(venue.open(balance=WHALE), "BTC-USD", Side.BUY, qty)

    assert order.status is OrderStatus.FILLED
    (fill,) = changes.fills
    assert fill.receipt.slices[0].qty == levels[0][1]


def test_the_harsh_profile_takes_at_most_half_of_each_displayed_level(venue: Venue) -> None:
    account = venue.open(profile="harsh")
    arrival = venue.now + PROFILES[Profile.HARSH].latency_ns
    shown = dict(visible(venue, "AAPL", Side.BUY, arrival))

    _, changes = venue.submit_arrived(account, "AAPL", Side.BUY, 500)

    (fill,) = changes.fills
    assert all(s.qty <= shown[s.price] / 2 for s in fill.receipt.slices)


def test_the_harsh_profile_takes_a_one_lot_level_whole_rather_than_trade_through_it(
    make_venue: Callable[..., Venue],
) -> None:
    """Half of a level of one contract is no contract: the order takes that lot, at the best
    price shown, instead of skipping to a worse level."""
    venue = make_venue("2024-03-14T03:00:00Z")  # gold futures at night: levels of one lot
    latency = PROFILES[Profile.HARSH].latency_ns
    while visible(venue, "GC", Side.BUY, venue.now + latency)[0][1] != 1:
        venue.advance(1)
    best = visible(venue, "GC", Side.BUY, venue.now + latency)[0][0]
    account = venue.open(balance=WHALE, profile="harsh")

    _, changes = venue.submit(account, "GC", Side.BUY, 1)
    fills = changes.fills or venue.advance(1).fills

    (fill,) = fills
    assert fill.price == best
    assert fill.receipt.touch == best and fill.receipt.impact_cost == 0


def test_a_harsh_order_reaches_the_market_late_and_others_trade_first(
    make_venue: Callable[..., Venue],
) -> None:
    """Submitted at t, a harsh order arrives at t + 0.5 s: a realistic order sent at t + 0.2 s
    gets exactly what it would get with no harsh order in flight (the late one has taken
    nothing yet), and the harsh one then takes what that order left."""
    latency = PROFILES[Profile.HARSH].latency_ns
    fills: dict[bool, list[Fill]] = {}  # the quick order's, with and without the late one
    for with_harsh in (True, False):
        venue = make_venue()
        harsh = venue.open(balance=WHALE, profile="harsh")
        quick = venue.open(balance=WHALE)
        start = venue.now
        late, sent = venue.submit(harsh, "AAPL", Side.BUY, 1200) if with_harsh else (None, None)
        venue.advance_to(start + latency * 2 // 5)
        _, quick_changes = venue.submit(quick, "AAPL", Side.BUY, 1200)
        fills[with_harsh] = list(quick_changes.fills)
        if late is not None and sent is not None:
            assert late.status is OrderStatus.ACCEPTED and not sent.fills  # in flight
            arrived = venue.advance_to(start + latency).fills
            (fill,) = [f for f in arrived if f.order_id == late.id]
            assert fill.ts_ns == start + latency
            assert fill.price > fills[True][0].price  # it met the book the quick one left

    assert [(f.qty, f.price) for f in fills[True]] == [(f.qty, f.price) for f in fills[False]]


def test_a_harsh_receipt_counts_the_latency_as_drift_from_the_mid_it_was_sent_at(
    venue: Venue,
) -> None:
    latency = PROFILES[Profile.HARSH].latency_ns
    mid = venue.engine.marks
    while mid(venue.now).mid("BTC-USD") == mid(venue.now + latency).mid("BTC-USD"):
        venue.advance(0.1)  # until the market moves while the order is on its way
    sent_mid = mid(venue.now).mid("BTC-USD")
    account = venue.open(balance=WHALE, profile="harsh")
    order, changes = venue.submit_arrived(account, "BTC-USD", Side.BUY, 1)

    (fill,) = changes.fills
    r = fill.receipt
    arrived_mid = mid(fill.ts_ns).mid("BTC-USD")
    assert fill.ts_ns == order.created_ns + latency
    assert r.arrival_mid == order.arrival_mid == sent_mid
    assert r.frictionless_cost == sent_mid
    assert r.drift_cost == arrived_mid - sent_mid != 0
    paid = r.frictionless_cost + r.drift_cost + r.spread_cost + r.impact_cost
    assert paid == sum(x.qty * x.price for x in r.slices)


def test_a_harsh_resting_limit_meets_only_the_prints_after_it_arrived(venue: Venue) -> None:
    """Sellers printing at its limit while it was on its way did not meet it."""
    symbol, inst = "AAPL", venue.catalog.get("AAPL")
    latency = PROFILES[Profile.HARSH].latency_ns
    for _ in range(2000):
        t = venue.now
        flight = venue.market.prints(symbol, t, t + latency)
        sold = [
            to_price(p, inst.tick_size)
            for p, s in zip(flight.price, flight.side, strict=True)
            if s < 0
        ]
        later = venue.market.prints(symbol, t + latency, t + 3 * SECOND)
        if sold and min(sold) < venue.engine.marks(t + latency).mid(symbol):
            limit = min(sold)
            if not [
                p for p, s in zip(later.price, later.side, strict=True) if s < 0 and p <= limit
            ]:
                break
        venue.advance(0.1)
    else:
        raise AssertionError("no setup: sellers at a price only while the order is in flight")
    account = venue.open(balance=WHALE, profile="harsh")
    order, _ = venue.submit(
        account, symbol, Side.BUY, 100, type=OrderType.LIMIT, limit_price=limit, tif=TimeInForce.GTC
    )

    fills = venue.advance(3).fills

    assert order.filled_qty == 0 and not [f for f in fills if f.order_id == order.id]


def test_an_order_closed_at_an_instant_is_not_worked_at_that_instant(
    make_venue: Callable[..., Venue],
) -> None:
    """A harsh IOC reaching the market on the instant two symbols work their orders takes
    nothing and is canceled; the second symbol's working must not meet it afterwards."""
    first, second = "AAPL", "ARKK"
    assert phase(first, SECOND) == phase(second, SECOND)
    for k in range(1, 60):
        venue = make_venue()
        t1 = (venue.now // SECOND + k) * SECOND + phase(first, SECOND)
        t = t1 - SECOND // 2
        inst = venue.catalog.get(second)
        prints = venue.market.prints(second, t, t1)
        sold = [
            to_price(p, inst.tick_size)
            for p, s in zip(prints.price, prints.side, strict=True)
            if s < 0
        ]
        asks = (venue.quote(second, t1).ask, venue.quote(second, t).ask)
        if sold and min(sold) < min(asks):
            break
    else:
        raise AssertionError("no setup: sellers in the half second before a shared phase")
    account = venue.open(balance=WHALE, profile="harsh")
    venue.advance_to(t - SECOND // 4)
    venue.submit(
        account, first, Side.BUY, 1, type=OrderType.LIMIT, limit_price=D(1), tif=TimeInForce.GTC
    )
    venue.advance_to(t)
    ioc, _ = venue.submit(
        account,
        second,
        Side.BUY,
        10,
        type=OrderType.LIMIT,
        limit_price=min(sold),
        tif=TimeInForce.IOC,
    )
    assert ioc.due_ns == t1

    venue.advance_to(t1)

    assert ioc.status is OrderStatus.CANCELED and ioc.filled_qty == 0


def test_an_open_order_keeps_the_profile_it_was_submitted_under(venue: Venue) -> None:
    """Switching the account to frictionless does not let a realistic order's remainder fill
    free at the mid: the new profile is for orders submitted from then on."""
    account = venue.open(balance=WHALE)
    order, first = venue.submit(account, "BTC-USD", Side.BUY, 40)
    assert order.status is OrderStatus.PARTIALLY_FILLED
    venue.engine.set_profile(account.id, "frictionless")

    later = [f for f in venue.advance(60).fills if f.order_id == order.id]

    assert later
    assert all(f.profile == "realistic" and f.fee > 0 for f in first.fills + later)
    assert all(f.receipt.spread_cost > 0 for f in later)


def test_volume_traded_frictionless_earns_no_fee_tier(venue: Venue) -> None:
    churner, fresh = venue.open(balance=WHALE, profile="frictionless"), venue.open(balance=WHALE)
    for _ in range(3):  # some 60 million USD of round trips, for free
        venue.submit(churner, "BTC-USD", Side.BUY, 100)
        venue.submit(churner, "BTC-USD", Side.SELL, 100)
    venue.engine.set_profile(churner.id, "realistic")

    rates = []
    for account in (churner, fresh):
        _, changes = venue.submit(account, "ETH-USD", Side.BUY, 1)
        (fill,) = changes.fills
        rates.append(float(fill.fee / (fill.qty * fill.price)))

    assert rates[0] == pytest.approx(rates[1], rel=1e-3)  # both at the first tier's rate


# -- stops ------------------------------------------------------------------------------------


def test_stop_orders_ignore_our_own_fills_through_the_stop_price(venue: Venue) -> None:
    holder, whale = venue.open(), venue.open(balance=WHALE)
    venue.submit(holder, "AAPL", Side.BUY, 100)
    prints = venue.market.prints("AAPL", venue.now, venue.now + 300 * SECOND)
    stop_price = D(repr(float(prints.price.min()))) - D("0.02")  # the market stays above it
    stop, _ = venue.submit(
        holder, "AAPL", Side.SELL, 100, type=OrderType.STOP, stop_price=stop_price
    )

    _, dump = venue.submit(whale, "AAPL", Side.SELL, 60000)
    lowest_own_fill = min(s.price for s in dump.fills[0].receipt.slices)
    assert lowest_own_fill < stop_price  # our own selling went straight through the stop

    changes = venue.advance(300)

    assert not stop.triggered
    assert stop.status is OrderStatus.ACCEPTED
    assert not [f for f in changes.fills if f.order_id == stop.id]


def test_stop_order_triggers_in_the_step_of_the_first_market_print_through_it(
    venue: Venue,
) -> None:
    account = venue.open()
    venue.advance_to_phase("AAPL")  # from here each second ends where AAPL's orders work
    start = venue.now
    prints = venue.market.prints("AAPL", start, start + 300 * SECOND)
    ask = venue.quote("AAPL").ask
    stop_price = ((ask + D(repr(float(prints.price.max())))) / 2).quantize(D("0.01"))
    first_through = int(prints.ts[np.argmax(prints.price >= float(stop_price))])
    trigger_step = -(-(first_through - start) // SECOND)  # the 1 s step that contains it

    stop, _ = venue.submit(
        account, "AAPL", Side.BUY, 100, type=OrderType.STOP, stop_price=stop_price
    )
    assert stop.status is OrderStatus.ACCEPTED and stop.filled_qty == 0

    for step in range(1, trigger_step + 1):
        changes = venue.advance(1)
        if step < trigger_step:
            assert not stop.triggered and not changes.fills

    assert stop.triggered
    assert stop.status is OrderStatus.FILLED
    (fill,) = changes.fills
    assert fill.ts_ns == start + trigger_step * SECOND
    # its costs count from the mid when it triggered, not from the mid it was placed at
    touch = venue.market.touch("AAPL", fill.ts_ns)
    tick = venue.catalog.get("AAPL").tick_size
    assert fill.receipt.arrival_mid == (to_price(touch.bid, tick) + to_price(touch.ask, tick)) / 2
    assert fill.receipt.avg_price >= fill.receipt.arrival_mid


@pytest.mark.parametrize("side", [Side.SELL, Side.BUY])
def test_trailing_stop_price_ratchets_with_the_market_and_never_moves_back(
    venue: Venue, side: Side
) -> None:
    account = venue.open()
    venue.submit(account, "AAPL", Side.BUY if side is Side.SELL else Side.SELL, 100)
    order, _ = venue.submit(
        account,
        "AAPL",
        side,
        100,
        type=OrderType.TRAILING_STOP,
        trail_price=D("0.50"),
        tif=TimeInForce.GTC,
    )

    assert order.arrival_mid is not None
    gap = D("0.50") if side is Side.SELL else D("-0.50")
    stops = [order.arrival_mid - gap]  # where the stop starts: the trail from the arrival mid
    for _ in range(3600):
        venue.advance(1)
        if order.stop_price is not None:  # none until the first print after the order
            stops.append(order.stop_price)
        if not order.is_open:
            break

    favourable = stops if side is Side.SELL else [-s for s in stops]
    assert all(b >= a for a, b in zip(favourable, favourable[1:], strict=False))
    assert len(set(stops)) > 1  # it did move with the market
    assert order.watermark is not None
    assert order.stop_price == order.watermark - gap
    assert order.status is OrderStatus.FILLED


# -- immediate-or-cancel and fill-or-kill -----------------------------------------------------


def test_ioc_takes_what_the_book_shows_and_cancels_the_rest(venue: Venue) -> None:
    account = venue.open(balance=WHALE)
    book_size = sum(size for _, size in visible(venue, "AAPL", Side.BUY, venue.now))

    order, changes = venue.submit(account, "AAPL", Side.BUY, 80000, tif=TimeInForce.IOC)

    assert order.status is OrderStatus.CANCELED
    assert order.filled_qty == book_size
    assert venue.advance(60).fills == []


@pytest.mark.parametrize(("profile", "reach"), [("realistic", D(1)), ("harsh", D("0.5"))])
def test_fill_or_kill_fills_entirely_or_not_at_all(
    venue: Venue, profile: str, reach: Decimal
) -> None:
    account = venue.open(balance=WHALE, profile=profile)
    arrival = venue.now + (500_000_000 if profile == "harsh" else 0)  # harsh orders arrive late
    # harsh may take half of each displayed level, in whole shares
    reachable = sum(
        (size * reach).to_integral_value(rounding=ROUND_FLOOR)
        for _, size in visible(venue, "AAPL", Side.BUY, arrival)
    )

    too_big, big_changes = venue.submit(
        account, "AAPL", Side.BUY, reachable + 1, tif=TimeInForce.FOK
    )
    fitting, changes = venue.submit(account, "AAPL", Side.BUY, reachable - 1, tif=TimeInForce.FOK)
    fills = big_changes.fills + changes.fills
    if arrival > venue.now:  # both reach the market together, in the order they were sent
        fills += venue.advance_to(arrival).fills

    assert too_big.status is OrderStatus.CANCELED and too_big.filled_qty == 0
    assert not [f for f in fills if f.order_id == too_big.id]
    assert fitting.status is OrderStatus.FILLED and fitting.filled_qty == reachable - 1
    assert len([f for f in fills if f.order_id == fitting.id]) == 1


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_a_small_notional_order_spends_or_raises_no_more_than_its_notional(
    venue: Venue, side: Side
) -> None:
    account = venue.open()
    if side is Side.SELL:
        venue.submit(account, "AAPL", Side.BUY, 10)
    order, changes = venue.submit(account, "AAPL", side, notional=D(1000))

    (fill,) = changes.fills
    assert order.status is OrderStatus.FILLED
    assert D(999) < fill.qty * fill.price <= D(1000)  # sized at the ask (bid), where it fills
    if side is Side.BUY:  # its fees come out of the notional, as on IBKR and Alpaca
        assert fill.qty * fill.price + fill.fee <= D(1000)


@pytest.mark.parametrize(("symbol", "notional"), [("AAPL", 240_000), ("BTC-USD", 200_000)])
def test_a_notional_buy_that_walks_the_book_spends_no_more_than_its_notional(
    venue: Venue, symbol: str, notional: int
) -> None:
    """Sized at the touch, it spent 3 to 7 VCR more (its walk of the book); sized at the
    average its walk pays, it spends what it was given, within a basis point."""
    account = venue.open()
    touch = venue.quote(symbol).ask

    order, changes = venue.submit(account, symbol, Side.BUY, notional=D(notional), tif="gtc")

    spent = sum(f.qty * f.price + f.fee for f in changes.fills)
    assert order.status is OrderStatus.FILLED and len(changes.fills) == 1
    assert changes.fills[0].price > touch  # it walked the book
    assert D(notional) * D("0.9999") < spent <= notional


def test_a_crypto_buy_of_all_the_cash_by_notional_fills_with_its_fees(venue: Venue) -> None:
    """Crypto is bought with cash alone: a bot spending its whole balance by notional (as
    Alpaca's fee comes out of the coins) was refused for the 0.6% taker fee on top."""
    account = venue.open(balance=10_000)
    for coin in ("ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD"):  # 24% each, under the cap
        bought, _ = venue.submit(account, coin, Side.BUY, notional=D(2_400), tif="gtc")
        assert bought.status is OrderStatus.FILLED, bought.reject_reason
    cash = venue.engine.account(account.id).cash

    order, changes = venue.submit(account, "BTC-USD", Side.BUY, notional=cash, tif="gtc")

    assert order.status is OrderStatus.FILLED, order.reject_reason
    spent = sum(f.qty * f.price + f.fee for f in changes.fills)
    assert cash * D("0.95") < spent <= cash
    assert venue.engine.account(account.id).cash >= 0


def test_a_remainders_receipt_counts_the_quoted_spread_as_spread_and_the_emptied_book_as_impact(
    venue: Venue,
) -> None:
    """A block's later slices meet a book its earlier ones emptied: that is its impact. The
    spread is the quoted half-spread (it was 7.5 times that: the emptied book's best level
    was taken for the touch)."""
    account = venue.open(balance=WHALE)
    inst = venue.catalog.get("AAPL")
    order, first = venue.submit(account, "AAPL", Side.BUY, 400_000)
    assert order.is_open  # the block works on

    later = venue.advance(30).fills

    assert later
    for fill in later:
        quoted = venue.market.touch("AAPL", fill.ts_ns)
        ask, bid = to_price(quoted.ask, inst.tick_size), to_price(quoted.bid, inst.tick_size)
        r = fill.receipt
        assert r.touch == ask < r.avg_price  # the book our slices emptied
        assert r.spread_cost == (ask - bid) / 2 * fill.qty
        cost = (r.avg_price - r.arrival_mid) * fill.qty
        assert r.drift_cost + r.spread_cost + r.impact_cost == pytest.approx(cost, abs=1e-6)


def test_a_fills_price_times_its_quantity_is_the_cash_it_moved_for_a_coin_ticking_in_billionths(
    venue: Venue,
) -> None:
    """SHIB ticks in 1e-9: an average price at 10 places kept 5 significant digits, and 5
    billion coins drifted 21 cents from the cash their fill moved."""
    account = venue.open(balance=WHALE)
    _, changes = venue.submit(account, "SHIB-USD", Side.BUY, 5_000_000_000)

    (fill,) = changes.fills
    (trade,) = [e for e in changes.ledger if e.kind is EntryKind.TRADE]
    assert len(fill.receipt.slices) > 1  # an average of several levels
    assert abs(fill.qty * fill.price + trade.amount) < D("0.01")
