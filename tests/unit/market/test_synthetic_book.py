"""Synthetic market, L2 books: depth profile, ordering, and the impact law behind the depth.

Consuming the book (shared liquidity, refill, displacement) is in test_synthetic_liquidity.py.
"""

from __future__ import annotations

import pytest
from book_helpers import assert_well_formed, average_price, sizes, walk

from vtrade import bootstrap
from vtrade.core.clock import NS_PER_SECOND, parse_instant, to_ns
from vtrade.core.errors import ValidationError
from vtrade.market.book import DepthModel
from vtrade.market.synthetic import SyntheticMarket

MS = NS_PER_SECOND // 1000


def at(text: str) -> int:
    return to_ns(parse_instant(text))


# Friday 2024-03-15, 15:00Z: US regular hours, LSE open, FX and crypto in the London/NY overlap.
T0 = at("2024-03-15T15:00:00Z")
ONE_PER_CLASS = ["AAPL", "SPY", "SPX", "VOD.L", "EUR/USD", "USD/JPY", "BTC-USD", "SHIB-USD", "GC"]


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return bootstrap.build().market


# -- the displayed book -----------------------------------------------------------------------


@pytest.mark.parametrize("symbol", ONE_PER_CLASS)
@pytest.mark.parametrize("depth", [10, 20])
def test_book_shows_the_requested_levels_strictly_ordered_on_the_tick_grid(
    market: SyntheticMarket, symbol: str, depth: int
) -> None:
    tick = market.instrument(symbol).tick_size
    for minute in range(0, 120, 17):
        book = market.book(symbol, T0 + minute * 60 * NS_PER_SECOND + 250 * MS, depth)
        assert book.symbol == symbol
        assert_well_formed(book, depth, tick)


@pytest.mark.parametrize("symbol", ONE_PER_CLASS)
def test_depth_beyond_the_touch_grows_with_distance_from_it(
    market: SyntheticMarket, symbol: str
) -> None:
    book = market.book(symbol, T0, 20)
    for side in (book.bids, book.asks):
        beyond = [float(s) for s in sizes(side)[1:]]
        assert all(b >= a for a, b in zip(beyond, beyond[1:], strict=False))
        # alpha = 0.5: D(x) ~ x**2, so level k holds ~ k times the first level beyond the touch
        assert beyond[-1] > 10 * beyond[0]


def test_quote_is_the_top_of_the_book(market: SyntheticMarket) -> None:
    for symbol in ONE_PER_CLASS:
        quote, book = market.quote(symbol, T0), market.book(symbol, T0, 10)
        assert (quote.bid, quote.bid_size) == (book.bids[0].price, book.bids[0].size)
        assert (quote.ask, quote.ask_size) == (book.asks[0].price, book.asks[0].size)
        assert quote.ts_event == book.ts_event <= T0


@pytest.mark.parametrize("depth", [0, 21])
def test_book_rejects_a_depth_outside_the_configured_levels(
    market: SyntheticMarket, depth: int
) -> None:
    with pytest.raises(ValidationError, match="depth"):
        market.book("AAPL", T0, depth)


# -- impact: walking the book --------------------------------------------------------------------


@pytest.mark.parametrize("symbol", ["AAPL", "JPM", "VOD.L", "EUR/USD", "USD/JPY", "GC"])
def test_walking_the_book_costs_a_premium_that_grows_like_the_square_root_of_quantity(
    market: SyntheticMarket, symbol: str
) -> None:
    book = market.book(symbol, T0, 20)
    qty = sum(sizes(book.asks)) / 5  # 4 * qty stays inside the 20 visible levels
    # the touch is deliberately deeper than the law (small orders pay the spread only), so
    # measure with orders that walk well beyond it
    assert qty > 8 * book.asks[0].size
    touch = book.asks[0].price
    small = average_price(walk(book.asks, qty)) - touch
    large = average_price(walk(book.asks, 4 * qty)) - touch
    assert 1.7 < large / small < 2.5  # 4 ** 0.5 == 2


def depth_model(alpha: float) -> DepthModel:
    """A stock's depth model: $100, 1 bp half-spread, 50M a day, gamma 0.01."""
    return DepthModel(
        tick=0.01,
        half_spread=0.00005,
        lot=1.0,
        unit=1.0,
        floor_notional=100.0,
        floor_least=1.0,
        adv=5e7,
        gamma=0.01,
        alpha=alpha,
    )


@pytest.mark.parametrize("alpha", [0.5, 0.75, 1.0])
def test_depth_model_walk_reproduces_the_impact_law_gamma_q_over_v_to_the_alpha(
    alpha: float,
) -> None:
    model = depth_model(alpha)
    touch = 100.0
    levels = [(touch, model.top_size(touch))]
    levels += [
        (touch + k * model.step_ticks(touch) * model.tick, size)
        for k, size in enumerate(model.level_sizes(touch, 20, 1.0), start=1)
    ]
    visible = sum(size for _, size in levels)

    def premium(qty: float) -> float:
        left, cost = qty, 0.0
        for price, size in levels:
            take = min(size, left)
            cost += take * (price - touch)
            left -= take
        assert left <= 1e-9
        return cost / qty / touch

    qty = visible / 8
    ratio = premium(4 * qty) / premium(qty)
    assert 0.8 * 4**alpha < ratio < 1.3 * 4**alpha
    law = model.gamma * (4 * qty / model.adv) ** alpha
    assert 0.75 * law < premium(4 * qty) < 1.1 * law


def test_a_worked_remainder_pays_less_impact_after_a_lunch_break_than_straight_through() -> None:
    """The estimate models a worked remainder's impact as the book's flow moves the mid:
    it fades with time, so a lunch break's hour between its slices lets more of it fade
    (the estimate had spaced its slices a minute apart through the break, N225 11.9 bp
    quoted where 11.0 is its model's figure across Tokyo's lunch)."""
    model = depth_model(0.5)
    straight = [(10_000.0, 60.0)] * 60
    lunch = straight[:30] + [(10_000.0, 3_660.0)] + straight[31:]

    assert model.worked_impact(50_000.0, lunch) < 0.95 * model.worked_impact(50_000.0, straight)
    assert model.worked_impact(50_000.0, straight) > 0
    assert model.worked_impact(50_000.0, []) == 0.0
