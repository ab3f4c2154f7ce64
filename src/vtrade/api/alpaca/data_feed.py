"""What Alpaca's market-data streams send a subscriber: the feed's prints (`trades`), quote
updates (`quotes`), minute bars once complete (`bars`), the day's bar so far after each of
them (`dailyBars`) and, for crypto, the order book when it changed (`orderbooks`).

Items are those of the REST market data (`marketdata_ticks`, `marketdata`): a stream and a
later `GET /v2/stocks/{symbol}/trades` over the same span agree print for print. A stream
sends only what happens after its subscription (Alpaca replays nothing). After a jump of the
clock (a server catching up) at most `MAX_PER_PUSH` of the newest items per symbol and
channel go out, as a live feed would not have held the rest either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vtrade.api.alpaca.common import Ctx
from vtrade.api.alpaca.marketdata import bar_json, completed, stamped_as_alpaca
from vtrade.api.alpaca.marketdata_ticks import Kind, order_book, tick_json
from vtrade.api.alpaca.schemas import alpaca_symbol
from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE, parse_instant, to_ns
from vtrade.core.money import decimals_of
from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import Interval
from vtrade.market.bars import BarSeries

Message = dict[str, Any]
Stamp = Callable[[int], Any]  # an instant as the client's encoding writes it

STOCK_CHANNELS = ("trades", "quotes", "bars", "dailyBars", "updatedBars", "statuses", "lulds")
CRYPTO_CHANNELS = ("trades", "quotes", "bars", "dailyBars", "updatedBars", "orderbooks")
# Acknowledged, never sent: the simulated market prints nothing late (updated bars), halts
# nothing (statuses) and has no limit-up/limit-down bands (lulds).
SILENT = frozenset({"updatedBars", "statuses", "lulds"})
MAX_PER_PUSH = 1_000
BOOK_DEPTH = 20
_TYPES = {"trades": "t", "quotes": "q", "bars": "b", "dailyBars": "d", "orderbooks": "o"}


@dataclass
class Watched:
    """One symbol a client streams: its channels, and how far each has been sent."""

    inst: Instrument
    since: dict[str, int] = field(default_factory=dict)  # channel -> last instant sent
    book: Message | None = None  # the order book last sent (crypto)


def start(watched: Watched, channel: str, now: int) -> None:
    """Begin `channel` of `watched` at `now`: only what happens later is sent."""
    if channel in ("bars", "dailyBars"):
        now -= now % NS_PER_MINUTE  # from the minute in progress, sent once complete
    watched.since.setdefault(channel, now)


def push(c: Ctx, watched: Watched, now: int, crypto: bool, stamp: Stamp) -> list[Message]:
    """The messages of `watched`'s channels for what happened up to `now`."""
    out: list[Message] = []
    since = watched.since
    for channel in ("trades", "quotes"):
        if channel in since:
            out += _ticks(c, watched, channel, now, crypto, stamp)
    if "bars" in since or "dailyBars" in since:
        out += _bars(c, watched, now, stamp)
    if "orderbooks" in since:
        out += _book(c, watched, stamp)
    return out


def _ticks(
    c: Ctx, watched: Watched, channel: str, now: int, crypto: bool, stamp: Stamp
) -> list[Message]:
    """Prints (trades) or quote updates in (since, now], oldest first."""
    inst = watched.inst
    kind: Kind = "trades" if channel == "trades" else "quotes"
    found: list[Message] = []
    for ticks in c.container.market.ticks(inst.symbol, watched.since[channel], now):
        picked = np.flatnonzero(ticks.size > 0) if kind == "trades" else np.arange(len(ticks.ts))
        for i in picked[-MAX_PER_PUSH:].tolist():
            item = tick_json(kind, inst, ticks, i, crypto)
            found.append(_message(channel, inst, item, int(ticks.ts[i]), stamp))
    watched.since[channel] = now
    return found[-MAX_PER_PUSH:]


def _bars(c: Ctx, watched: Watched, now: int, stamp: Stamp) -> list[Message]:
    """Minute bars completed since the last push, and after them the day's bar so far."""
    inst, since = watched.inst, watched.since
    begin = min(since.get("bars", now), since.get("dailyBars", now))
    if now < begin + NS_PER_MINUTE:
        return []  # no minute has ended since
    minutes = _complete_minutes(c, inst, begin, now)
    places = decimals_of(inst.tick_size)
    found: list[Message] = []
    if "bars" in since:
        fresh = minutes.window(since["bars"], now)
        for i in range(max(len(fresh) - MAX_PER_PUSH, 0), len(fresh)):
            item = bar_json(fresh, i, places, inst)
            found.append(_message("bars", inst, item, int(fresh.ts[i]), stamp))
    if "dailyBars" in since and len(minutes.window(since["dailyBars"], now)):
        found += _daily(c, inst, now, places, stamp)
    for channel in ("bars", "dailyBars"):
        if channel in since:  # every minute before the one in progress is done with
            since[channel] = max(since[channel], now - now % NS_PER_MINUTE)
    return found


def _complete_minutes(c: Ctx, inst: Instrument, begin: int, now: int) -> BarSeries:
    """Minute bars that started from `begin` and have ended by `now`, as the REST serves
    them, read from the trading days the span overlaps only: the REST's reads of a day on
    either side would make a stream of every symbol overflow the market's cache of days."""
    market = c.container.market
    days = market.calendar(inst.symbol).days.between(begin, now + 1)
    parts = [market.minute_bars(inst.symbol, d) for d in range(days.start, days.stop)]
    series = BarSeries.concat(parts, inst.symbol, Interval.M1)
    return series.window(begin, now - NS_PER_MINUTE + 1)


def _daily(c: Ctx, inst: Instrument, now: int, places: int, stamp: Stamp) -> Iterator[Message]:
    """The bar of the day in progress, as far as its complete minutes go."""
    days = completed(c, inst.symbol, Interval.D1, now - 10 * NS_PER_DAY, now)
    days = stamped_as_alpaca(days, inst, now)
    if len(days):
        item = bar_json(days, len(days) - 1, places, inst)
        yield _message("dailyBars", inst, item, int(days.ts[-1]), stamp)


def _book(c: Ctx, watched: Watched, stamp: Stamp) -> list[Message]:
    """The whole order book (`r`: it replaces the client's), when it changed."""
    book = order_book(c, watched.inst, BOOK_DEPTH)
    levels = (book["b"], book["a"])
    if watched.book is not None and levels == (watched.book["b"], watched.book["a"]):
        return []
    watched.book = book
    stamped = {**book, "r": True}
    ts = to_ns(parse_instant(book["t"]))
    return [_message("orderbooks", watched.inst, stamped, ts, stamp)]


def _message(channel: str, inst: Instrument, item: Message, ts: int, stamp: Stamp) -> Message:
    return {"T": _TYPES[channel], "S": alpaca_symbol(inst), **item, "t": stamp(ts)}
