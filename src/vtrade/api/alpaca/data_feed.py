"""What Alpaca's market-data streams send for a symbol: the feed's prints (`trades`), quote
updates (`quotes`), minute bars once complete (`bars`), the day's bar so far once a minute
has completed, when it changed (`dailyBars`) and, for crypto, the order book when it changed
(`orderbooks`).

A symbol is computed once per push for every client that streams it (`data_fanout` shares
it out): a `Feed` holds how far each channel has been computed and the day's bar and book
last computed. Items are those of the REST market data (`marketdata_ticks`, `marketdata`): a
stream and a later `GET /v2/stocks/{symbol}/trades` over the same span agree print for print.
After a jump of the clock (a server catching up) at most `MAX_PER_PUSH` of the newest items
per symbol and channel go out, as a live feed would not have held the rest either. Messages
hold their instant `t` in ns: each client's encoding writes it its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vtrade.api.alpaca.marketdata import bar_json, stamped_as_alpaca, today_so_far
from vtrade.api.alpaca.marketdata_ticks import Kind, book_json, tick_json
from vtrade.api.alpaca.schemas import alpaca_symbol
from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE
from vtrade.core.money import decimals_of
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Interval
from vtrade.market.bars import BarSeries
from vtrade.market.intraday import Ticks
from vtrade.market.synthetic import SyntheticMarket

Message = dict[str, Any]

STOCK_CHANNELS = ("trades", "quotes", "bars", "dailyBars", "updatedBars", "statuses", "lulds")
CRYPTO_CHANNELS = ("trades", "quotes", "bars", "dailyBars", "updatedBars", "orderbooks")
# Acknowledged, never sent: the simulated market prints nothing late (updated bars), halts
# nothing (statuses) and has no limit-up/limit-down bands (lulds).
SILENT = frozenset({"updatedBars", "statuses", "lulds"})
MAX_PER_PUSH = 1_000
BOOK_DEPTH = 20
DAY_LOOKBACK = 10 * NS_PER_DAY  # as far back as the REST snapshot looks for the day's bar
_TYPES = {"trades": "t", "quotes": "q", "bars": "b", "dailyBars": "d", "orderbooks": "o"}


@dataclass
class Feed:
    """One symbol as its clients stream it: how far each channel has been computed (ticks:
    up to an instant; bars: from a minute on), and the day's bar and order book last
    computed (the same object while unchanged, so a client is sent each version once)."""

    inst: Instrument
    cursor: dict[str, int] = field(default_factory=dict)  # channel -> how far computed
    day: Message | None = None
    book: Message | None = None
    name: str = field(init=False)  # as Alpaca spells it

    def __post_init__(self) -> None:
        self.name = alpaca_symbol(self.inst)


@dataclass(frozen=True, slots=True)
class Pushed:
    """What one push found for a symbol."""

    items: dict[str, list[Message]]  # trades, quotes, bars: new since the last push, oldest first
    latest: dict[str, tuple[int, Message]]  # dailyBars, orderbooks: (instant it stands at, it)


def first(channel: str, now: int) -> int:
    """The earliest instant a subscription made at `now` is sent for: prints and quotes
    after it, minute bars (and the day's bar once a minute has completed) from the minute in
    progress, the order book from now."""
    if channel in ("trades", "quotes"):
        return now + 1
    if channel in ("bars", "dailyBars"):
        return now - now % NS_PER_MINUTE
    return now


def start(feed: Feed, channel: str, now: int) -> None:
    """Compute `channel` of `feed` from `now` on (if not already)."""
    if channel in ("bars", "dailyBars"):
        now -= now % NS_PER_MINUTE  # from the minute in progress, sent once complete
    feed.cursor.setdefault(channel, now)


def stop(feed: Feed, channel: str) -> None:
    """Stop computing `channel` of `feed`: nobody streams it any more."""
    feed.cursor.pop(channel, None)
    if channel == "dailyBars":
        feed.day = None
    elif channel == "orderbooks":
        feed.book = None


def push(market: SyntheticMarket, feed: Feed, now: int) -> Pushed:
    """What `feed`'s channels have to send for what happened up to `now`."""
    pushed = Pushed({}, {})
    ticking: list[Kind] = [kind for kind in ("trades", "quotes") if kind in feed.cursor]
    if ticking:
        _ticks(market, feed, ticking, now, pushed)
    if "bars" in feed.cursor or "dailyBars" in feed.cursor:
        _bars(market, feed, now, pushed)
    if "orderbooks" in feed.cursor:
        pushed.latest["orderbooks"] = (now, _book(market, feed, now))
    return pushed


def _ticks(
    market: SyntheticMarket, feed: Feed, kinds: list[Kind], now: int, pushed: Pushed
) -> None:
    """Prints (trades) and quote updates in (cursor, now], oldest first: one read of the
    feed's ticks serves both. The read goes from `now` back and stops once every channel has
    its `MAX_PER_PUSH` newest or is back at its cursor: after a jump of the clock the older
    ticks are never built."""
    since = min(feed.cursor[kind] for kind in kinds)
    if now <= since:
        return  # the clock has not moved
    inst = feed.inst
    crypto = inst.asset_class is AssetClass.CRYPTO
    picks: dict[Kind, list[tuple[Ticks, list[int]]]] = {kind: [] for kind in kinds}
    needed = dict.fromkeys(kinds, MAX_PER_PUSH)
    for ticks in market.ticks(inst.symbol, since, now, newest_first=True):
        for kind in kinds:
            if not needed[kind]:
                continue
            after = feed.cursor[kind]
            wanted = ticks.ts > after  # one channel may have started later than the other
            if kind == "trades":
                wanted &= ticks.size > 0  # a tick with a size is a print
            picked = np.flatnonzero(wanted)[-needed[kind] :].tolist()
            if picked:
                picks[kind].append((ticks, picked))
                needed[kind] -= len(picked)
            if ticks.ts[0] <= after:  # back at its cursor: nothing older is this channel's
                needed[kind] = 0
        if not any(needed.values()):
            break
    for kind in kinds:
        pushed.items[kind] = [
            _message(kind, feed, tick_json(kind, inst, ticks, i, crypto, _ns))
            for ticks, picked in reversed(picks[kind])
            for i in picked
        ]
        feed.cursor[kind] = max(feed.cursor[kind], now)


def _bars(market: SyntheticMarket, feed: Feed, now: int, pushed: Pushed) -> None:
    """Minute bars completed since the last push and, if a minute has, the day's bar."""
    inst, cursor = feed.inst, feed.cursor
    begin = min(cursor.get("bars", now), cursor.get("dailyBars", now))
    if now < begin + NS_PER_MINUTE:
        return  # no minute has ended since
    days = _minute_days(market, inst, begin, now)
    minutes = BarSeries.concat(list(days.values()), inst.symbol, Interval.M1)
    minutes = minutes.window(begin, now - NS_PER_MINUTE + 1)  # complete ones only
    places = decimals_of(inst.tick_size)
    if "bars" in cursor:
        fresh = minutes.window(cursor["bars"], now)
        pushed.items["bars"] = [
            _message("bars", feed, bar_json(fresh, i, places, inst, _ns))
            for i in range(max(len(fresh) - MAX_PER_PUSH, 0), len(fresh))
        ]
    if "dailyBars" in cursor:
        fresh = minutes.window(cursor["dailyBars"], now)
        day = _day(market, feed, now, days) if len(fresh) else None
        if day is not None:
            pushed.latest["dailyBars"] = (int(fresh.ts[-1]), day)
    for channel in ("bars", "dailyBars"):
        if channel in cursor:  # every minute before the one in progress is done with
            cursor[channel] = max(cursor[channel], now - now % NS_PER_MINUTE)


def _minute_days(
    market: SyntheticMarket, inst: Instrument, begin: int, now: int
) -> dict[int, BarSeries]:
    """Minute bars of the trading days [begin, now] overlaps, by day, oldest first: only
    those, as the REST's reads of a day on either side would make a stream of every symbol
    overflow the market's cache of days; and of those only the newest that hold the
    `MAX_PER_PUSH` minutes a push sends, so a jump of the clock reads no more."""
    span = market.calendar(inst.symbol).days.between(begin, now + 1)
    days: dict[int, BarSeries] = {}
    minutes = 0
    for d in reversed(range(span.start, span.stop)):
        days[d] = market.minute_bars(inst.symbol, d)
        minutes += len(days[d].window(begin, now))
        if minutes > MAX_PER_PUSH:  # one more than it sends: the minute in progress
            break
    return dict(reversed(days.items()))


def _day(
    market: SyntheticMarket, feed: Feed, now: int, read: dict[int, BarSeries]
) -> Message | None:
    """The day's bar as `GET .../bars?timeframe=1Day` serves it last: the day in progress
    built from its complete minutes (those of `read`, the trading days the push read), else
    the last complete day; `feed.day` kept when it has not changed."""
    inst = feed.inst
    table = market.calendar(inst.symbol).days

    def minutes(d: int) -> BarSeries:
        found = read[d] if d in read else market.minute_bars(inst.symbol, d)
        return found.window(int(table.open[d]), now)

    days = market.bars(inst.symbol, Interval.D1, now - DAY_LOOKBACK, now)  # day path only
    days = stamped_as_alpaca(today_so_far(days, inst, table, now, minutes), inst, now)
    if not len(days):
        return None
    item = bar_json(days, len(days) - 1, decimals_of(inst.tick_size), inst, _ns)
    bar, last = _message("dailyBars", feed, item), feed.day
    if last is None or bar != last:
        last = feed.day = bar
    return last


def _book(market: SyntheticMarket, feed: Feed, now: int) -> Message:
    """The whole order book (`r`: it replaces the client's); `feed.book` while its levels
    have not changed."""
    item = book_json(feed.inst, market.book(feed.inst.symbol, now, BOOK_DEPTH), _ns)
    last = feed.book
    if last is None or (item["b"], item["a"]) != (last["b"], last["a"]):
        last = feed.book = _message("orderbooks", feed, {**item, "r": True})
    return last


def _message(channel: str, feed: Feed, item: Message) -> Message:
    return {"T": _TYPES[channel], "S": feed.name, **item}


def _ns(ts: int) -> int:
    """An instant left in ns: the client's encoding writes it."""
    return ts
