"""Columnar OHLCV series and aggregation between intervals.

Intraday bars are aligned to UTC clock multiples of their interval (a 1h bar starting 14:00Z
holds 14:00-15:00), as data vendors do. Daily bars are labelled by session date (midnight UTC
of that date) and aggregated by the caller's session labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from vtrade.domain.market_data import Bar, Interval

FloatArray = np.ndarray
IntArray = np.ndarray


@dataclass(frozen=True, slots=True)
class BarSeries:
    """Bars of one symbol and interval as parallel numpy arrays, sorted by `ts` (bar start, ns)."""

    symbol: str
    interval: Interval
    ts: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def window(self, start_ns: int, end_ns: int) -> BarSeries:
        """Return the bars whose start lies in [start_ns, end_ns)."""
        lo, hi = np.searchsorted(self.ts, [start_ns, end_ns], side="left")
        return self._take(slice(int(lo), int(hi)))

    def bars(self, price_decimals: int, volume_decimals: int = 0) -> Iterator[Bar]:
        """Yield `Bar` values with prices rounded to `price_decimals` places."""
        for i in range(len(self)):
            yield Bar(
                symbol=self.symbol,
                interval=self.interval,
                ts_start=int(self.ts[i]),
                open=_dec(self.open[i], price_decimals),
                high=_dec(self.high[i], price_decimals),
                low=_dec(self.low[i], price_decimals),
                close=_dec(self.close[i], price_decimals),
                volume=_dec(self.volume[i], volume_decimals),
            )

    def _take(self, index: slice | IntArray) -> BarSeries:
        return BarSeries(
            self.symbol,
            self.interval,
            self.ts[index],
            self.open[index],
            self.high[index],
            self.low[index],
            self.close[index],
            self.volume[index],
        )

    @staticmethod
    def concat(parts: list[BarSeries], symbol: str, interval: Interval) -> BarSeries:
        """Join consecutive series of one symbol and interval."""
        if not parts:
            return empty(symbol, interval)
        return BarSeries(
            symbol,
            interval,
            np.concatenate([p.ts for p in parts]),
            np.concatenate([p.open for p in parts]),
            np.concatenate([p.high for p in parts]),
            np.concatenate([p.low for p in parts]),
            np.concatenate([p.close for p in parts]),
            np.concatenate([p.volume for p in parts]),
        )


def empty(symbol: str, interval: Interval) -> BarSeries:
    """Return a series with no bars."""
    f = np.empty(0, dtype=np.float64)
    return BarSeries(symbol, interval, np.empty(0, dtype=np.int64), f, f, f, f, f)


def aggregate(series: BarSeries, interval: Interval, labels: IntArray | None = None) -> BarSeries:
    """Aggregate finer bars into `interval` bars.

    Intraday targets group by `ts // interval.ns`. For `1d`, pass `labels` (one session label
    in ns per input bar, non-decreasing); bars with the same label form one daily bar.
    """
    if len(series) == 0:
        return empty(series.symbol, interval)
    if labels is None:
        if interval is Interval.D1:
            raise ValueError("daily aggregation needs session labels")
        if interval.ns < series.interval.ns or interval.ns % series.interval.ns:
            raise ValueError(f"cannot aggregate {series.interval} bars into {interval} bars")
        keys = (series.ts // interval.ns) * interval.ns
    else:
        keys = np.asarray(labels, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)] - 1
    return BarSeries(
        series.symbol,
        interval,
        keys[starts],
        series.open[starts],
        np.maximum.reduceat(series.high, starts),
        np.minimum.reduceat(series.low, starts),
        series.close[ends],
        np.add.reduceat(series.volume, starts),
    )


def _dec(value: float, places: int) -> Decimal:
    return Decimal(f"{value:.{places}f}")
