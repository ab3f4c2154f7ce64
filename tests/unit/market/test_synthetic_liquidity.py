"""Synthetic market, shared liquidity: consumption, limits, refill and a displaced mid.

Every test that consumes liquidity gets its own fresh market (`trading`); the module-scoped
`market` is never traded and serves as the untouched control at the same instants. Both
support 2024-2026 only, which makes a fresh market cheap (its daily returns span 3 years).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from book_helpers import assert_well_formed, average_price, prices, sizes, walk

from vtrade import bootstrap
from vtrade.core.clock import NS_PER_SECOND, parse_instant, to_ns
from vtrade.domain.market_data import BookLevel, Side
from vtrade.market.book import Liquidity, horizon_ns
from vtrade.market.synthetic import SyntheticMarket
from vtrade.settings import MarketSettings, Settings

MS = NS_PER_SECOND // 1000


def at(text: str) -> int:
    return to_ns(parse_instant(text))


# Friday 2024-03-15, 15:00Z: US regular hours, LSE open, FX and crypto in the London/NY overlap.
T0 = at("2024-03-15T15:00:00Z")


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    settings = Settings(
        market=MarketSettings(first_day=date(2024, 1, 1), last_day=date(2026, 12, 31))
    )
    return bootstrap.build(settings).market


@pytest.fixture
def trading(market: SyntheticMarket) -> SyntheticMarket:
    """A market nobody has traded in yet, answering exactly like `market` until consumed."""
    return SyntheticMarket(market.catalog, market.sessions, market.config)


# -- consuming liquidity -----------------------------------------------------------------------


def test_an_order_within_the_touch_size_pays_only_the_spread(trading: SyntheticMarket) -> None:
    quote = trading.quote("AAPL", T0)
    slices = trading.consume("AAPL", Side.BUY, quote.ask_size, T0)
    assert slices == [BookLevel(price=quote.ask, size=quote.ask_size)]


def test_consume_takes_exactly_the_levels_the_book_displays(
    market: SyntheticMarket, trading: SyntheticMarket
) -> None:
    book = market.book("AAPL", T0, 20)
    qty = sum(sizes(book.asks[:6])) - 1
    assert trading.consume("AAPL", Side.BUY, qty, T0) == walk(book.asks, qty)
    book = market.book("MSFT", T0, 20)
    qty = sum(sizes(book.bids[:4])) + 1
    assert trading.consume("MSFT", Side.SELL, qty, T0) == walk(book.bids, qty)


@pytest.mark.parametrize("symbol", ["AAPL", "SPY", "VOD.L", "EUR/USD", "USD/JPY", "GC", "SPX"])
def test_buy_slices_are_never_below_the_ask_nor_sell_slices_above_the_bid(
    trading: SyntheticMarket, symbol: str
) -> None:
    for k, side in enumerate([Side.BUY, Side.SELL] * 3):
        t = T0 + k * 7 * NS_PER_SECOND
        book = trading.book(symbol, t, 20)
        opposite = book.asks if side is Side.BUY else book.bids
        qty = sum(sizes(opposite[:8]))
        slices = trading.consume(symbol, side, qty, t)
        assert sum(sizes(slices)) == qty
        if side is Side.BUY:
            assert all(s.price >= book.asks[0].price for s in slices)
            assert prices(slices) == sorted(prices(slices))
        else:
            assert all(s.price <= book.bids[0].price for s in slices)
            assert prices(slices) == sorted(prices(slices), reverse=True)


def test_a_second_consume_right_after_gets_worse_prices(
    market: SyntheticMarket, trading: SyntheticMarket
) -> None:
    untouched = market.book("AAPL", T0, 20).asks
    qty = sum(sizes(untouched[:10])) // 3
    first = trading.consume("AAPL", Side.BUY, qty, T0)
    second = trading.consume("AAPL", Side.BUY, qty, T0)
    assert second[0].price >= first[-1].price
    assert average_price(second) > average_price(first)
    # never the same liquidity twice: up to any price, both orders together got no more than
    # the untouched book offered up to that price
    for limit in prices(untouched):
        got = sum(s.size for s in first + second if s.price <= limit)
        offered = sum(level.size for level in untouched if level.price <= limit)
        assert got <= offered


def test_consumes_at_one_instant_take_exactly_what_the_book_shows_after_the_earlier_ones(
    trading: SyntheticMarket,
) -> None:
    # Walks at one instant remember the sizes they found; each take must update them.
    for share, qty in ((Decimal(1), 700), (Decimal("0.3"), 400), (Decimal(1), 150)):
        book = trading.book("AAPL", T0, 20)
        visible = sum(sizes(book.asks))
        taken = trading.books.consume("AAPL", Side.BUY, Decimal(qty), T0, share=share)
        if share == 1:
            assert taken == walk(book.asks, Decimal(qty))
        assert 0 < sum(sizes(taken)) <= min(Decimal(qty), visible)
    book = trading.book("AAPL", T0, 20)
    everything = sum(sizes(book.asks))
    assert trading.consume("AAPL", Side.BUY, everything, T0) == walk(book.asks, everything)


def test_the_mid_displacement_never_brings_back_liquidity_already_taken(
    market: SyntheticMarket, trading: SyntheticMarket
) -> None:
    book = market.book("AAPL", T0, 20)
    deep_touch = [
        (side, levels)
        for side, levels in ((Side.SELL, book.bids), (Side.BUY, book.asks))
        if levels[0].size > levels[1].size
    ]
    if not deep_touch:
        pytest.fail("precondition: a side whose touch is deeper than the level behind it")
    side, levels = deep_touch[0]
    # walk three levels: the mid moves by one level, onto the price of level 1
    first = trading.consume("AAPL", side, levels[0].size + levels[1].size + 1, T0)
    if prices(first) != prices(levels[:3]):
        pytest.fail("precondition: the first order walks exactly three levels")
    second = trading.consume("AAPL", side, levels[1].size, T0)
    if side is Side.SELL:
        assert second[0].price <= first[-1].price
    else:
        assert second[0].price >= first[-1].price


def test_a_limit_price_is_never_crossed(trading: SyntheticMarket) -> None:
    book = trading.book("AAPL", T0, 20)
    limit = book.asks[3].price
    everything = sum(sizes(book.asks))
    slices = trading.consume("AAPL", Side.BUY, everything, T0, limit_price=limit)
    assert prices(slices) == prices(book.asks[:4])
    assert sum(sizes(slices)) == sum(sizes(book.asks[:4])) < everything

    book = trading.book("JPM", T0, 20)
    limit = book.bids[2].price
    slices = trading.consume("JPM", Side.SELL, sum(sizes(book.bids)), T0, limit_price=limit)
    assert all(s.price >= limit for s in slices) and len(slices) == 3

    below_the_ask = trading.quote("MSFT", T0).ask - trading.instrument("MSFT").tick_size
    assert trading.consume("MSFT", Side.BUY, Decimal(100), T0, limit_price=below_the_ask) == []


def orders_and_fills(
    market: SyntheticMarket, symbol: str, orders: int, step: Decimal, start: int = T0
) -> list[tuple[Decimal, Decimal]]:
    """Send orders for 5-90% of the visible opposite side in multiples of `step`.

    Return (ordered, filled) pairs.
    """
    rng = np.random.default_rng(1)
    out = []
    for k in range(orders):
        t = start + k * 30 * NS_PER_SECOND
        side = Side.BUY if k % 2 else Side.SELL
        book = market.book(symbol, t, 20)
        visible = sum(sizes(book.asks if side is Side.BUY else book.bids))
        qty = (visible * Decimal(float(rng.uniform(0.05, 0.9)))).quantize(step)
        out.append((qty, sum(sizes(market.consume(symbol, side, qty, t)))))
    return out


@pytest.mark.parametrize(
    ("symbol", "step"),
    [("AAPL", "1"), ("VOD.L", "1"), ("EUR/USD", "1"), ("GC", "1"), ("SPX", "0.01")],
)
def test_an_order_within_the_visible_book_fills_in_full(
    trading: SyntheticMarket, symbol: str, step: str
) -> None:
    for ordered, filled in orders_and_fills(trading, symbol, 20, Decimal(step)):
        assert filled == ordered


def test_a_fractional_share_order_is_filled_and_reported_to_the_lot(
    trading: SyntheticMarket,
) -> None:
    lot = trading.instrument("AAPL").lot_size
    for ordered, filled in orders_and_fills(trading, "AAPL", 10, lot):
        assert filled == ordered


@pytest.mark.parametrize(
    ("symbol", "start"), [("TPX", "2024-03-15T02:00:00Z"), ("LTC-USD", "2024-03-15T15:00:00Z")]
)
def test_an_order_spanning_millions_of_lots_fills_to_the_last_lot(
    trading: SyntheticMarket, symbol: str, start: str
) -> None:
    lot = trading.instrument(symbol).lot_size
    fills = orders_and_fills(trading, symbol, 40, lot, start=at(start))
    assert [(o, f) for o, f in fills if f != o] == []


@pytest.mark.parametrize("symbol", ["AAPL", "EUR/USD", "GC"])
def test_a_limit_at_the_touch_takes_the_touch(trading: SyntheticMarket, symbol: str) -> None:
    for k in range(60):
        t = T0 + k * 10 * NS_PER_SECOND
        quote = trading.quote(symbol, t)
        bought = trading.consume(symbol, Side.BUY, quote.ask_size, t, limit_price=quote.ask)
        assert bought == [BookLevel(price=quote.ask, size=quote.ask_size)]
        quote = trading.quote(symbol, t)  # the buy's flow lifted the book a little
        sold = trading.consume(symbol, Side.SELL, quote.bid_size, t, limit_price=quote.bid)
        assert sold == [BookLevel(price=quote.bid, size=quote.bid_size)]


@pytest.mark.parametrize("symbol", ["BTC-USD", "NDX"])
def test_a_limit_at_the_touch_takes_the_touch_for_high_priced_instruments(
    trading: SyntheticMarket, symbol: str
) -> None:
    start = at("2024-03-14T15:00:00Z")
    for k in range(60):
        t = start + k * 10 * NS_PER_SECOND
        quote = trading.quote(symbol, t)
        bought = trading.consume(symbol, Side.BUY, quote.ask_size, t, limit_price=quote.ask)
        assert bought == [BookLevel(price=quote.ask, size=quote.ask_size)]


# -- displacement, refill and time ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "side", "sign"), [("AAPL", Side.BUY, 1), ("JPM", Side.SELL, -1)]
)
def test_the_mid_is_displaced_in_the_direction_of_the_trade_and_relaxes_back(
    market: SyntheticMarket, trading: SyntheticMarket, symbol: str, side: Side, sign: int
) -> None:
    book = trading.book(symbol, T0, 20)
    opposite = book.asks if side is Side.BUY else book.bids
    trading.consume(symbol, side, sum(sizes(opposite[:12])), T0)

    def displacement(after_s: float) -> Decimal:
        t = T0 + int(after_s * NS_PER_SECOND)
        return sign * (trading.quote(symbol, t).mid - market.quote(symbol, t).mid)

    assert displacement(-1) == 0
    early, later, much_later = displacement(0.5), displacement(60), displacement(1800)
    assert early > 0
    assert early >= later >= much_later >= 0
    assert much_later < early / 2


@pytest.mark.parametrize("symbol", ["SPY", "VOD.L", "EUR/USD"])
def test_consumed_levels_refill_within_seconds_and_the_book_regains_its_shape(
    market: SyntheticMarket, trading: SyntheticMarket, symbol: str
) -> None:
    untouched = market.book(symbol, T0, 20)
    slices = trading.consume(symbol, Side.BUY, sum(sizes(untouched.asks[:6])), T0)
    taken = {s.price: s.size for s in slices}

    # half a second later most of what was taken is still missing
    soon = T0 + 500 * MS
    shown = {lv.price: lv.size for lv in trading.book(symbol, soon, 20).asks}
    before = {lv.price: lv.size for lv in market.book(symbol, soon, 20).asks}
    assert sum(shown.get(p, 0) for p in taken) < sum(before.get(p, 0) for p in taken) / 2

    # a minute on, the book is the untouched one moved by what is left of the displacement
    seen_again = 0
    unit = Decimal(1)  # display granularity of these books (whole shares, FX units)
    for t in range(T0 + 60 * NS_PER_SECOND, T0 + 180 * NS_PER_SECOND, NS_PER_SECOND):
        book, control = trading.book(symbol, t, 20), market.book(symbol, t, 20)
        offset = book.bids[0].price - control.bids[0].price
        for mine, theirs in zip(book.bids + book.asks, control.bids + control.asks, strict=True):
            assert mine.price - theirs.price == offset
            assert abs(mine.size - theirs.size) <= unit
        seen_again += sum(1 for lv in book.asks if lv.price in taken)
    assert seen_again > 0, "the consumed prices never came back into view"


def test_queries_at_an_instant_before_a_consume_are_unaffected_by_it(
    trading: SyntheticMarket,
) -> None:
    instants = [T0 - 60 * NS_PER_SECOND, T0 - 1, T0 - NS_PER_SECOND]
    before = [trading.book("AAPL", t, 20) for t in instants]
    quotes = [trading.quote("AAPL", t) for t in instants]
    trading.consume("AAPL", Side.BUY, Decimal(5000), T0)
    trading.consume("AAPL", Side.SELL, Decimal(5000), T0 + NS_PER_SECOND)
    assert [trading.book("AAPL", t, 20) for t in instants] == before
    assert [trading.quote("AAPL", t) for t in instants] == quotes


def test_a_later_consume_does_not_rewrite_the_book_between_two_earlier_instants(
    trading: SyntheticMarket,
) -> None:
    trading.consume("AAPL", Side.BUY, Decimal(1000), T0)
    between = trading.book("AAPL", T0 + 500 * MS, 20)
    trading.consume("AAPL", Side.BUY, Decimal(10), T0 + 800 * MS)
    assert trading.book("AAPL", T0 + 500 * MS, 20) == between


def test_books_stay_well_formed_through_a_random_sequence_of_consumes(
    trading: SyntheticMarket,
) -> None:
    rng = np.random.default_rng(11)
    t = T0
    for _ in range(150):
        symbol = str(rng.choice(["AAPL", "EUR/USD", "VOD.L"]))
        tick = trading.instrument(symbol).tick_size
        t += int(rng.integers(0, 4000)) * MS
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        book = trading.book(symbol, t, 20)
        assert_well_formed(book, 20, tick)
        opposite = book.asks if side is Side.BUY else book.bids
        qty = max(opposite[0].size, (sum(sizes(opposite)) * Decimal(rng.uniform(0.01, 1.5))))
        qty = qty.quantize(trading.instrument(symbol).lot_size)
        limit = None
        if rng.random() < 0.3:
            limit = opposite[int(rng.integers(0, 10))].price
        slices = trading.consume(symbol, side, qty, t, limit_price=limit)
        assert 0 < sum(sizes(slices)) <= qty
        if side is Side.BUY:
            assert slices[0].price >= book.asks[0].price
            assert limit is None or slices[-1].price <= limit
        else:
            assert slices[0].price <= book.bids[0].price
            assert limit is None or slices[-1].price >= limit
        assert_well_formed(trading.book(symbol, t, 20), 20, tick)


def test_levels_long_refilled_are_forgotten_and_levels_taken_since_are_kept() -> None:
    liq = Liquidity(refill_ns=float(NS_PER_SECOND))
    for k in range(600):
        liq.take(1, 1000 + k, 1.0, T0 + k * MS)
    liq.take(1, 1010, 1.0, T0 + 1000 * MS)  # an old level taken again
    horizon = horizon_ns(liq.refill_ns)

    assert not liq.forget_before(T0 + horizon)  # nothing has refilled for long enough yet
    assert len(liq.takes) == 600
    assert liq.forget_before(T0 + 300 * MS + horizon)
    assert len(liq.takes) == 301 and (1, 1010) in liq.takes
    assert liq.taken_at(1, 1005, T0 + 300 * MS + horizon) == 0.0
