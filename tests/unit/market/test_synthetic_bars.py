"""Synthetic market, bars and prints: one stream, aggregated consistently at every interval.

Ticks (trade prints with their aggressor side and the quotes around them) make the minutes,
minutes make the 5m/15m/1h bars and, over the regular session, the daily bar.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pytest

from vtrade import bootstrap
from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE, parse_instant, to_ns
from vtrade.domain.market_data import Bar, Interval
from vtrade.market.intraday import AUCTION
from vtrade.market.synthetic import SyntheticMarket


def at(text: str) -> int:
    return to_ns(parse_instant(text))


# One instrument per venue type: US (Nasdaq, NYSE, ETF, index), LSE (pence, a 2p tick),
# Tokyo and Hong Kong (lunch break), FX (two crosses priced from their legs), crypto (a 1e-9
# tick), CME Globex (a 0.0025 tick).
VENUES = ["AAPL", "JPM", "SPY", "SPX", "VOD.L", "AZN.L", "N225", "HSI"]
VENUES += ["EUR/USD", "USD/JPY", "EUR/JPY", "EUR/GBP", "BTC-USD", "SHIB-USD", "GC", "ZC"]
# A Friday and the US early closes after Thanksgiving and before Independence Day.
DAYS = ["2024-03-15", "2024-11-29", "2024-07-03"]


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return bootstrap.build().market


def places(step: Decimal) -> int:
    return max(0, -step.normalize().as_tuple().exponent)


def decimal_bars(
    market: SyntheticMarket, symbol: str, interval: Interval, a: int, b: int
) -> list[Bar]:
    """Bars starting in [a, b) as exact decimals on the tick and lot grids."""
    inst = market.instrument(symbol)
    series = market.bars(symbol, interval, a, b)
    return list(series.bars(places(inst.tick_size), places(inst.lot_size)))


def day_of(market: SyntheticMarket, symbol: str, day: str) -> int:
    """Index of the trading day labelled `day` in the instrument's calendar."""
    days = market.calendar(symbol).days
    found = np.flatnonzero(days.day == at(day))
    assert found.shape[0] == 1, f"{day} is not a trading day of {symbol}"
    return int(found[0])


@dataclass
class Prints:
    """One trading day's prints, one row per minute."""

    price: np.ndarray
    size: np.ndarray
    side: np.ndarray
    bid: np.ndarray
    ask: np.ndarray


def prints(market: SyntheticMarket, symbol: str, d: int) -> Prints:
    minutes = len(market.minute_bars(symbol, d))
    chunks = [market.tick_chunk(symbol, d, c) for c in range((minutes + 59) // 60)]
    columns = {
        name: np.concatenate([getattr(c, name) for c in chunks]).reshape(minutes, -1)
        for name in ("price", "size", "side", "bid", "ask")
    }
    return Prints(**columns)


# -- one minute to one day ----------------------------------------------------------------------


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("symbol", VENUES)
def test_one_minute_bars_of_the_regular_session_aggregate_exactly_into_the_daily_bar(
    market: SyntheticMarket, symbol: str, day: str
) -> None:
    days = market.calendar(symbol).days
    d = day_of(market, symbol, day)
    open_, close = int(days.open[d]), int(days.close[d])
    minutes = decimal_bars(market, symbol, Interval.M1, open_, close)
    (daily,) = decimal_bars(market, symbol, Interval.D1, at(day), at(day) + NS_PER_DAY)

    session = (close - open_) // NS_PER_MINUTE
    if days.break_start[d] >= 0:
        session -= (int(days.break_end[d]) - int(days.break_start[d])) // NS_PER_MINUTE
    assert len(minutes) == session
    assert daily.ts_start == at(day)
    assert daily.open == minutes[0].open
    assert daily.high == max(m.high for m in minutes)
    assert daily.low == min(m.low for m in minutes)
    assert daily.close == minutes[-1].close
    assert daily.volume == sum(m.volume for m in minutes)


@pytest.mark.parametrize("interval", [Interval.M5, Interval.M15, Interval.H1])
@pytest.mark.parametrize("symbol", ["AAPL", "VOD.L", "HSI", "EUR/USD", "BTC-USD", "GC"])
def test_intraday_bars_are_the_clock_aligned_aggregation_of_one_minute_bars(
    market: SyntheticMarket, symbol: str, interval: Interval
) -> None:
    a, b = at("2024-03-13T00:00:00Z"), at("2024-03-15T00:00:00Z")
    groups: dict[int, list[Bar]] = defaultdict(list)
    for bar in decimal_bars(market, symbol, Interval.M1, a, b):
        groups[bar.ts_start - bar.ts_start % interval.ns].append(bar)
    expected = [
        (start, g[0].open, max(m.high for m in g), min(m.low for m in g), g[-1].close)
        for start, g in sorted(groups.items())
    ]
    volumes = [sum(m.volume for m in g) for _, g in sorted(groups.items())]
    bars = decimal_bars(market, symbol, interval, a, b)
    assert len(bars) > 10
    assert [(x.ts_start, x.open, x.high, x.low, x.close) for x in bars] == expected
    assert [x.volume for x in bars] == volumes


def test_bars_start_inside_the_window_and_on_multiples_of_their_interval(
    market: SyntheticMarket,
) -> None:
    a, b = at("2024-03-15T14:37:00Z"), at("2024-03-15T18:10:00Z")
    for interval in (Interval.M1, Interval.M5, Interval.M15, Interval.H1):
        ts = market.bars("AAPL", interval, a, b).ts
        assert ts.shape[0] > 0
        assert np.all((ts >= a) & (ts < b))
        assert np.all(ts % interval.ns == 0)
        assert np.all(np.diff(ts) == interval.ns)  # no gaps inside a US regular session


def test_daily_bars_are_labelled_by_session_date_at_midnight_utc(market: SyntheticMarket) -> None:
    for symbol in VENUES:
        bars = market.bars(symbol, Interval.D1, at("2024-01-01"), at("2025-01-01"))
        labels = market.calendar(symbol).days.day
        assert 240 <= len(bars) <= 366
        assert np.all(bars.ts % NS_PER_DAY == 0)
        assert np.all(np.isin(bars.ts, labels))


def test_every_bar_sits_on_the_tick_grid_and_its_range_holds_open_and_close(
    market: SyntheticMarket,
) -> None:
    for symbol in market.symbols():
        tick = float(market.instrument(symbol).tick_size)
        d = market.calendar(symbol).days.index_on_or_before(at("2024-03-13T12:00:00Z"))
        for bars in (
            market.minute_bars(symbol, d),
            market.bars(symbol, Interval.D1, at("2023-01-01"), at("2025-01-01")),
        ):
            for prices in (bars.open, bars.high, bars.low, bars.close):
                steps = prices / tick
                assert np.allclose(steps, np.rint(steps), rtol=0, atol=1e-6), symbol
                assert np.all(prices > 0), symbol
            assert np.all(bars.high >= np.maximum(bars.open, bars.close)), symbol
            assert np.all(bars.low <= np.minimum(bars.open, bars.close)), symbol
            assert np.all(bars.volume >= 0), symbol


# -- prints inside a minute ----------------------------------------------------------------------


@pytest.mark.parametrize("symbol", VENUES)
def test_prints_inside_a_minute_open_close_and_span_its_bar(
    market: SyntheticMarket, symbol: str
) -> None:
    d = day_of(market, symbol, "2024-03-13")
    bars, p = market.minute_bars(symbol, d), prints(market, symbol, d)
    assert p.price.shape[1] >= 12
    assert np.array_equal(p.price[:, 0], bars.open)
    assert np.array_equal(p.price[:, -1], bars.close)
    assert np.array_equal(p.price.max(axis=1), bars.high)
    assert np.array_equal(p.price.min(axis=1), bars.low)


@pytest.mark.parametrize("symbol", VENUES)
def test_every_print_carries_an_aggressor_and_trades_at_the_touch_it_crossed(
    market: SyntheticMarket, symbol: str
) -> None:
    """...but the closing cross (`test_the_closing_cross_prints_last_at_the_official_close`)."""
    tick = float(market.instrument(symbol).tick_size)
    p = prints(market, symbol, day_of(market, symbol, "2024-03-13"))
    buys, sells = p.side == 1, p.side == -1
    assert np.all(buys | sells | (p.side == AUCTION))
    assert np.sum(p.side == AUCTION) <= 1
    assert 0.2 < buys.mean() < 0.8
    assert np.array_equal(p.price[buys], p.ask[buys])  # a buyer lifts the offer
    assert np.array_equal(p.price[sells], p.bid[sells])  # a seller hits the bid
    assert np.all(p.ask - p.bid >= tick * (1 - 1e-9))
    lot = float(market.instrument(symbol).lot_size)
    assert np.all(p.size >= 0)  # size 0: a quote update without a trade
    assert np.allclose(p.size / lot, np.rint(p.size / lot))
    at_high = p.size[np.arange(p.size.shape[0]), np.argmax(p.price, axis=1)]
    assert np.all(at_high[p.size.sum(axis=1) > 0] > 0)  # the minute's high is a real trade


@pytest.mark.parametrize(
    ("symbol", "share"), [("AAPL", 0.08), ("VOD.L", 0.15), ("N225", 0.05), ("EUR/USD", 0.0)]
)
def test_the_closing_cross_prints_last_at_the_official_close(
    market: SyntheticMarket, symbol: str, share: float
) -> None:
    """The closing auction's volume (`profiles.CLOSING_AUCTION`) is one print with no
    aggressor, the session's last, at the official close: in the last minute's bar, not in
    its continuous prints."""
    days = market.calendar(symbol).days
    d = day_of(market, symbol, "2024-03-13")
    close = int(days.close[d])
    last = list(market.ticks(symbol, close - NS_PER_MINUTE, close - 1))  # (not the post)
    size = np.concatenate([t.size for t in last])
    side = np.concatenate([t.side for t in last])
    price = np.concatenate([t.price for t in last])
    crosses = np.flatnonzero((side == AUCTION) & (size > 0))
    if not share:
        assert crosses.size == 0
        return
    assert crosses.tolist() == [size.shape[0] - 1]
    official = float(market.official_price(symbol, close - 1, "close"))
    assert price[-1] == pytest.approx(official, abs=1e-9)
    (daily,) = decimal_bars(market, symbol, Interval.D1, at("2024-03-13"), at("2024-03-14"))
    assert size[-1] == pytest.approx(share * float(daily.volume), rel=0.01)
    assert size[:-1].sum() > 0  # the last minute trades continuously before it


@pytest.mark.parametrize(
    "symbol",
    [
        "AAPL",
        "SPY",
        "VOD.L",
        "EUR/USD",
        "BTC-USD",
        "SPX",
        "GC",
        "PA",
    ],
)
def test_print_sizes_of_a_day_add_up_to_its_bar_volume(
    market: SyntheticMarket, symbol: str
) -> None:
    d = day_of(market, symbol, "2024-03-13")
    volume = market.minute_bars(symbol, d).volume
    printed = prints(market, symbol, d).size.sum(axis=1)
    assert np.allclose(printed, volume)  # minute by minute, exactly
    assert not np.any((volume == 0) & (printed > 0)), "prints in a minute without volume"
