"""The synthetic market: the default feed, deterministic from a seed.

Layers (each a pure function of the seed and the layer above, generated on demand, cached):
calendar-day returns for all instruments (`factors`) -> trading-day OHLCV (`daily`) -> one
day's minutes (`intraday.day_minutes`) -> ticks of an hour of minutes (`intraday.ticks`).
Quotes and books at an instant come from the tick in force, adjusted by the shared liquidity
state (`book.Liquidity`) that our own orders consume.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import numpy as np

from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE
from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import BookLevel, BookSnapshot, Interval, Quote, Side
from vtrade.market import crosses, daily, factors, intraday, tracking
from vtrade.market.bars import BarSeries, aggregate
from vtrade.market.books import OrderBooks, Touch, to_price
from vtrade.market.catalog import Catalog
from vtrade.market.intraday import Prints
from vtrade.market.sessions import SessionCalendar, Sessions

MINUTES_PER_CHUNK = 60
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MarketConfig:
    """Knobs of the synthetic market. `anchor` is the date whose close equals reference prices."""

    seed: int = 0
    anchor: date = date(2026, 11, 20)
    book_levels: int = 20
    cache_days: int = 512
    cache_chunks: int = 512


class _Lru(OrderedDict[Hashable, object]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: Hashable, make: Callable[[], T]) -> T:
        if key in self:
            self.move_to_end(key)
            return self[key]  # type: ignore[return-value]
        value = make()
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class SyntheticMarket:
    """Quotes, books, trades and bars for every catalog instrument at any supported instant."""

    def __init__(self, catalog: Catalog, sessions: Sessions, config: MarketConfig | None = None):
        self.catalog = catalog
        self.sessions = sessions
        self.config = config or MarketConfig()
        self._grid: factors.CalendarReturns | None = None
        self._own_daily: dict[str, daily.DailyPath] = {}  # a cross's before its legs price it
        self._daily: dict[str, daily.DailyPath] = {}
        self._legs = {i.symbol: crosses.legs_of(i, catalog) for i in catalog}
        self._tracks = {i.symbol: tracking.index_of(i, catalog) for i in catalog}
        self._extremes: dict[tuple[str, int], tuple[float, float]] = {}
        self._minutes = _Lru(self.config.cache_days)
        self._ticks = _Lru(self.config.cache_chunks)
        self.books = OrderBooks(self, self.instrument, self.config.book_levels)
        self._touches: dict[str, tuple[int, int, Touch]] = {}

    # -- layers ---------------------------------------------------------------------------

    def symbols(self) -> Sequence[str]:
        return self.catalog.symbols

    def instrument(self, symbol: str) -> Instrument:
        return self.catalog.get(symbol)

    def calendar(self, symbol: str) -> SessionCalendar:
        return self.sessions.for_instrument(self.instrument(symbol))

    def grid(self) -> factors.CalendarReturns:
        """Calendar-day returns of every instrument (computed once, ~0.1 s)."""
        if self._grid is None:
            first = _date_of(self.sessions.first_ns) - _days(7)
            last = _date_of(self.sessions.last_ns) + _days(7)
            self._grid = _simulate(tuple(self.catalog), first, last, self.config.seed)
        return self._grid

    def daily_path(self, symbol: str) -> daily.DailyPath:
        """The instrument's trading days (an FX cross's priced from its legs: `crosses`)."""
        inst = self.instrument(symbol)
        if inst.symbol not in self._daily:
            own, legs = self._own_path(inst), self._legs[inst.symbol]
            track = self._tracks[inst.symbol]
            if legs is not None:
                own = crosses.daily(own, legs, *(self.daily_path(s) for s in legs.symbols))
            elif track is not None:
                own = tracking.daily(own, track, self.daily_path(track.symbols[0]))
            self._daily[inst.symbol] = own
        return self._daily[inst.symbol]

    def _own_path(self, inst: Instrument) -> daily.DailyPath:
        if inst.symbol not in self._own_daily:
            self._own_daily[inst.symbol] = daily.build(
                inst,
                self.calendar(inst.symbol).days,
                self.grid(),
                self.catalog.index_of(inst.symbol),
                self.config.anchor,
                self.config.seed,
            )
        return self._own_daily[inst.symbol]

    def day_minutes(self, symbol: str, d: int) -> intraday.DayMinutes:
        inst = self.instrument(symbol)

        def make() -> intraday.DayMinutes:
            legs, track = self._legs[inst.symbol], self._tracks[inst.symbol]
            if track is not None:  # its pre- and post-market bridge to the index's open, close
                own = intraday.day_minutes(inst, self.daily_path(inst.symbol), d, self.config.seed)
                return tracking.minutes(own, track, self.day_minutes(track.symbols[0], d))
            own = intraday.day_minutes(inst, self._own_path(inst), d, self.config.seed)
            if legs is None:
                return own
            return crosses.minutes(own, legs, *(self.day_minutes(s, d) for s in legs.symbols))

        return self._minutes.get_or((inst.symbol, d), make)

    def tick_chunk(self, symbol: str, d: int, chunk: int) -> intraday.Ticks:
        inst = self.instrument(symbol)

        def make() -> intraday.Ticks:
            minutes = self.day_minutes(inst.symbol, d)
            lo = chunk * MINUTES_PER_CHUNK
            hi = min(lo + MINUTES_PER_CHUNK, minutes.ts.shape[0])
            model = self.books.depth_model(inst)
            touch = (model.top_size(float(np.exp(minutes.open[lo]))), model.unit)
            k = ticks_per_minute(inst)
            legs, track = self._legs[inst.symbol], self._tracks[inst.symbol]
            ts = minutes.ts[lo:hi, None] + (np.arange(k) * (NS_PER_MINUTE // k))[None, :]
            follow = None
            if legs is not None:
                follow = legs.combine(*(self._leg_mids(s, d, ts) for s in legs.symbols))
            elif track is not None:  # the index's mids in the regular session (NaN: its own)
                follow = np.full(ts.shape, np.nan)
                regular = minutes.segment[lo:hi] == intraday.REGULAR
                if regular.any():
                    mids = self._leg_mids(track.symbols[0], d, ts[regular])
                    follow[regular] = track.combine(mids)
            return intraday.ticks(inst, minutes, (lo, hi), k, touch, self.config.seed, follow)

        return self._ticks.get_or((inst.symbol, d, chunk), make)

    def _leg_mids(self, symbol: str, d: int, ts: np.ndarray) -> np.ndarray:
        """Log mids of `symbol` at instants `ts` (rows of minutes of day `d` it trades in)."""
        minute = np.searchsorted(self.day_minutes(symbol, d).ts, ts[:, 0], side="right") - 1
        out = np.empty(ts.shape)
        for chunk in np.unique(np.maximum(minute, 0) // MINUTES_PER_CHUNK):
            rows = np.maximum(minute, 0) // MINUTES_PER_CHUNK == chunk
            ticks = self.tick_chunk(symbol, d, int(chunk))
            at = np.searchsorted(ticks.ts, ts[rows], side="right") - 1
            i = np.clip(at, 0, ticks.ts.shape[0] - 1)
            out[rows] = np.log((ticks.bid[i] + ticks.ask[i]) / 2.0)
        return out

    # -- quotes and books -----------------------------------------------------------------

    def touch(self, symbol: str, t_ns: int) -> Touch:
        """Untouched best bid and offer at `t_ns`: the last tick at or before it."""
        cached = self._touches.get(symbol)
        if cached is not None and cached[0] <= t_ns < cached[1]:
            return cached[2]
        days = self.calendar(symbol).days
        # Before the first session of the supported range there is no earlier close to quote
        # from: answer with the first session's opening tick.
        d = max(days.index_on_or_before(t_ns), 0)
        minutes = self.day_minutes(symbol, d)
        m = int(np.searchsorted(minutes.ts, t_ns, side="right")) - 1
        m = min(max(m, 0), minutes.ts.shape[0] - 1)
        chunk = self.tick_chunk(symbol, d, m // MINUTES_PER_CHUNK)
        i = int(np.searchsorted(chunk.ts, t_ns, side="right")) - 1
        i = min(max(i, 0), chunk.ts.shape[0] - 1)
        touch = Touch(
            ts=int(chunk.ts[i]),
            bid=float(chunk.bid[i]),
            ask=float(chunk.ask[i]),
            bid_size=float(chunk.bid_size[i]),
            ask_size=float(chunk.ask_size[i]),
            depth=float(minutes.depth[m]),
        )
        # valid until the next tick (or, past the chunk's last tick, until the query moves)
        valid_to = int(chunk.ts[i + 1]) if i + 1 < chunk.ts.shape[0] else t_ns + 1
        if int(chunk.ts[i]) <= t_ns:
            self._touches[symbol] = (int(chunk.ts[i]), valid_to, touch)
        return touch

    def prints(self, symbol: str, start_ns: int, end_ns: int) -> Prints:
        """Trade prints in (start_ns, end_ns]: what the rest of the market traded."""
        return Prints.join(list(self.ticks(symbol, start_ns, end_ns)))

    def ticks(
        self, symbol: str, start_ns: int, end_ns: int, newest_first: bool = False
    ) -> Iterator[intraday.Ticks]:
        """The feed's ticks in (start_ns, end_ns] (quote updates and prints), a chunk at a
        time, so a reader that stops early generates no more of a long range than it reads.
        `newest_first` yields the chunks from the last one back (each still oldest first)."""
        days = self.calendar(symbol).days
        span = days.between(start_ns, end_ns + 1)
        order = range(span.start, span.stop)
        for d in (
            reversed(order) if newest_first else order
        ):  # lazily: a reader that stops early never builds the days it skips
            minutes = self.day_minutes(symbol, d)
            lo = max(int(np.searchsorted(minutes.ts, start_ns, side="right")) - 1, 0)
            hi = int(np.searchsorted(minutes.ts, end_ns, side="right"))
            chunks = range(lo // MINUTES_PER_CHUNK, -(-hi // MINUTES_PER_CHUNK))
            for chunk in reversed(chunks) if newest_first else chunks:
                ticks = self.tick_chunk(symbol, d, chunk)
                a, b = np.searchsorted(ticks.ts, [start_ns, end_ns], side="right")
                if b > a:
                    yield ticks.window(int(a), int(b))

    def official_price(self, symbol: str, t_ns: int, which: str) -> Decimal:
        """The auction price ("open" or "close") of the trading day in force at `t_ns`."""
        path = self.daily_path(symbol)
        d = max(path.days.index_on_or_before(t_ns), 0)
        value = path.open[d] if which == "open" else path.close[d]
        return to_price(float(np.exp(value)), self.instrument(symbol).tick_size)

    def quote(self, symbol: str, t_ns: int) -> Quote:
        """Top of book at `t_ns`, after our own consumption (see `OrderBooks.quote`)."""
        return self.books.quote(symbol, t_ns)

    def book(self, symbol: str, t_ns: int, depth: int = 10) -> BookSnapshot:
        """L2 book at `t_ns` (see `OrderBooks.book`)."""
        return self.books.book(symbol, t_ns, depth)

    def consume(
        self,
        symbol: str,
        side: Side,
        qty: Decimal,
        t_ns: int,
        limit_price: Decimal | None = None,
    ) -> list[BookLevel]:
        """Take liquidity for an aggressive order (see `OrderBooks.consume`)."""
        return self.books.consume(symbol, side, qty, t_ns, limit_price)

    # -- bars -------------------------------------------------------------------------------

    def bars(self, symbol: str, interval: Interval, start_ns: int, end_ns: int) -> BarSeries:
        """Bars starting in [start_ns, end_ns); daily bars are regular-session, by session date."""
        inst = self.instrument(symbol)
        path = self.daily_path(inst.symbol)
        days = path.days.between(start_ns - NS_PER_DAY, end_ns + NS_PER_DAY)
        if interval is Interval.D1:
            lot = float(inst.lot_size)
            high, low = path.high[days], path.low[days]
            if _paired(self._legs[inst.symbol]):  # a cross's extremes are its minutes'
                high, low = np.array(
                    [self._regular_extremes(inst.symbol, d) for d in range(days.start, days.stop)]
                ).T
            series = _on_grid(
                inst,
                interval,
                path.days.day[days],
                (path.open[days], high, low, path.close[days]),
                np.rint(path.volume[days] / lot) * lot,
            )
            return series.window(start_ns, end_ns)
        parts = [self.minute_bars(inst.symbol, d) for d in range(days.start, days.stop)]
        minute = BarSeries.concat(parts, inst.symbol, Interval.M1).window(
            start_ns - start_ns % interval.ns, end_ns
        )
        series = minute if interval is Interval.M1 else aggregate(minute, interval)
        return series.window(start_ns, end_ns)

    def _regular_extremes(self, symbol: str, d: int) -> tuple[float, float]:
        """The (log) high and low of cross `symbol`'s regular minutes of day `d` (kept: two
        floats a day, where building its minutes again would take its legs' too)."""
        key = (symbol, d)
        if key in self._extremes:
            return self._extremes[key]
        calendar = self.instrument(symbol).calendar
        # every cross on the calendar at once, from its legs' minutes alone: the crosses share
        # legs, so each leg's day is built once (the daily bars of every pair: 5 legs, not 15)
        drawn: dict[str, intraday.Prices] = {}
        for cross, legs in self._legs.items():
            if legs is not None and _paired(legs) and self.instrument(cross).calendar == calendar:
                for s in legs.symbols:
                    if s not in drawn:
                        drawn[s] = self._regular_prices(s, d)
                prices = (drawn[s] for s in legs.symbols)
                self._extremes[(cross, d)] = crosses.extremes(legs, *prices)
        return self._extremes[key]

    def _regular_prices(self, symbol: str, d: int) -> intraday.Prices:
        """A leg's log prices of day `d`'s regular minutes: from its minutes when kept, else
        drawn alone (a fifth of the work: a year of a cross's bars draws its legs' years)."""
        inst = self.instrument(symbol)
        plain = self._legs[symbol] is None and self._tracks[symbol] is None
        if plain and (symbol, d) not in self._minutes:
            return intraday.regular_prices(inst, self._own_path(inst), d, self.config.seed)
        m = self.day_minutes(symbol, d)  # kept, or built as its legs or index make it
        regular = m.segment == intraday.REGULAR
        return m.open[regular], m.high[regular], m.low[regular], m.close[regular]

    def minute_bars(self, symbol: str, d: int) -> BarSeries:
        """1-minute bars of trading day `d` (pre, regular and post minutes)."""
        inst = self.instrument(symbol)
        m = self.day_minutes(inst.symbol, d)
        return _on_grid(inst, Interval.M1, m.ts, (m.open, m.high, m.low, m.close), m.volume)


def _paired(legs: crosses.Legs | None) -> bool:
    """Whether `legs` are two (an FX cross's), whose daily high and low only minutes know."""
    return legs is not None and len(legs.symbols) > 1


@functools.lru_cache(maxsize=8)
def _simulate(
    instruments: tuple[Instrument, ...], first: date, last: date, seed: int
) -> factors.CalendarReturns:
    """The daily factor grid, once per process for the same universe, range and seed (~1 s;
    read-only afterwards)."""
    return factors.simulate(list(instruments), first, last, seed)


def ticks_per_minute(inst: Instrument) -> int:
    """Prints per minute: busier for more liquid instruments (notional ADV)."""
    notional = inst.market.avg_daily_volume * float(inst.market.reference_price * inst.multiplier)
    if notional >= 1e9:
        return 60
    if notional >= 1e8:
        return 30
    return 12


def _on_grid(
    inst: Instrument,
    interval: Interval,
    ts: np.ndarray,
    log_ohlc: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    volume: np.ndarray,
) -> BarSeries:
    """Build bars from log prices, rounded to the instrument's tick grid."""
    tick = float(inst.tick_size)
    o, h, lo, c = (np.rint(np.exp(a) / tick) * tick for a in log_ohlc)
    return BarSeries(inst.symbol, interval, ts, o, h, lo, c, volume)


def _date_of(ns: int) -> date:
    return datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC).date()


def _days(n: int) -> timedelta:
    return timedelta(days=n)
