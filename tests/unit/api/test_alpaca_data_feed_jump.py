"""After a jump of the clock, a market-data stream sends each channel's newest items and builds
only what those need: a server catching up a year reads a day or two of ticks, not a year."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from vtrade import bootstrap
from vtrade.api.alpaca import data_feed
from vtrade.api.alpaca.data_feed import MAX_PER_PUSH, Feed
from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE, parse_instant, to_ns
from vtrade.domain.market_data import Interval
from vtrade.market.synthetic import SyntheticMarket

START = to_ns(parse_instant("2026-11-18T15:00:00Z"))  # a Wednesday, US regular hours
JUMPED_TO = START + 365 * NS_PER_DAY  # a Thursday, 2027-11-18, in regular hours


@pytest.fixture
def market() -> SyntheticMarket:
    return bootstrap.build().market


def _counting(market: SyntheticMarket, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the days whose ticks and minute bars the market is asked for."""
    asked: Counter[str] = Counter()
    tick_chunk, minute_bars = market.tick_chunk, market.minute_bars

    def counted_chunk(symbol: str, d: int, chunk: int) -> Any:
        asked[f"ticks of day {d}"] += 1
        return tick_chunk(symbol, d, chunk)

    def counted_minutes(symbol: str, d: int) -> Any:
        asked[f"minutes of day {d}"] += 1
        return minute_bars(symbol, d)

    monkeypatch.setattr(market, "tick_chunk", counted_chunk)
    monkeypatch.setattr(market, "minute_bars", counted_minutes)
    return asked


def _following_everything(market: SyntheticMarket) -> Feed:
    feed = Feed(market.instrument("AAPL"))
    for channel in ("trades", "quotes", "bars", "dailyBars"):
        data_feed.start(feed, channel, START)
    return feed


def test_a_push_after_a_year_long_jump_reads_only_the_days_its_newest_items_come_from(
    market: SyntheticMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = _following_everything(market)
    asked = _counting(market, monkeypatch)

    pushed = data_feed.push(market, feed, JUMPED_TO)

    assert {k: len(v) for k, v in pushed.items.items()} == dict.fromkeys(
        ("trades", "quotes", "bars"), MAX_PER_PUSH
    )
    tick_days = {key for key in asked if key.startswith("ticks")}
    minute_days = {key for key in asked if key.startswith("minutes")}
    assert len(tick_days) <= 2  # today's ticks, perhaps yesterday's: not 252 days of them
    assert len(minute_days) <= 4  # 1,000 minutes: today's so far and two full days before
    assert "dailyBars" in pushed.latest


def test_the_items_after_a_jump_are_the_newest_oldest_first_as_the_rest_serves_them(
    market: SyntheticMarket,
) -> None:
    feed = _following_everything(market)

    pushed = data_feed.push(market, feed, JUMPED_TO)

    quotes = [m["t"] for m in pushed.items["quotes"]]
    newest = [
        int(t)
        for ticks in market.ticks("AAPL", JUMPED_TO - 3 * NS_PER_DAY, JUMPED_TO)
        for t in ticks.ts
    ][-MAX_PER_PUSH:]
    assert quotes == newest
    trades = [m["t"] for m in pushed.items["trades"]]
    assert trades == sorted(trades) and trades[-1] <= JUMPED_TO
    bars = [m["t"] for m in pushed.items["bars"]]
    last_done = JUMPED_TO - JUMPED_TO % NS_PER_MINUTE - NS_PER_MINUTE  # the last complete one
    expected = market.bars("AAPL", Interval.M1, JUMPED_TO - 5 * NS_PER_DAY, last_done + 1)
    assert bars == [int(t) for t in expected.ts[-MAX_PER_PUSH:]]


def test_the_push_after_a_jump_goes_on_from_where_the_jump_ended(
    market: SyntheticMarket,
) -> None:
    feed = _following_everything(market)
    data_feed.push(market, feed, JUMPED_TO)

    pushed = data_feed.push(market, feed, JUMPED_TO + 5 * NS_PER_MINUTE)

    quotes = [m["t"] for m in pushed.items["quotes"]]
    assert quotes and min(quotes) > JUMPED_TO
    assert len(pushed.items["bars"]) == 5


def test_a_channel_followed_since_the_jump_does_not_make_the_read_go_back_a_year(
    market: SyntheticMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = Feed(market.instrument("AAPL"))
    data_feed.start(feed, "trades", START)  # behind since before the jump
    data_feed.start(feed, "quotes", JUMPED_TO - 1_000_000_000)  # followed a second ago
    asked = _counting(market, monkeypatch)

    pushed = data_feed.push(market, feed, JUMPED_TO)

    assert len(pushed.items["trades"]) == MAX_PER_PUSH
    assert 0 < len(pushed.items["quotes"]) < MAX_PER_PUSH
    assert len({key for key in asked if key.startswith("ticks")}) <= 2
