"""Market-data values: quotes, trade prints, book levels, bars and intervals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class Interval(StrEnum):
    """Bar intervals. `1d` bars are one per trading session, labelled by the session date."""

    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    D1 = "1d"

    @property
    def ns(self) -> int:
        """Length of an intraday interval in nanoseconds (a day for `1d`)."""
        return _INTERVAL_NS[self]

    @classmethod
    def parse(cls, text: str) -> Interval:
        """Parse an interval name; raise ValueError listing the allowed names."""
        try:
            return cls(text)
        except ValueError:
            allowed = ", ".join(i.value for i in cls)
            raise ValueError(f"unknown interval {text!r}; allowed: {allowed}") from None


_INTERVAL_NS = {
    Interval.M1: NS_PER_MINUTE,
    Interval.M5: 5 * NS_PER_MINUTE,
    Interval.M15: 15 * NS_PER_MINUTE,
    Interval.H1: 60 * NS_PER_MINUTE,
    Interval.D1: NS_PER_DAY,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """Top of book at one instant."""

    symbol: str
    ts_event: int
    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2

    @property
    def spread(self) -> Decimal:
        return self.ask - self.bid


@dataclass(frozen=True, slots=True, kw_only=True)
class TradePrint:
    """One trade on the venue; `aggressor` is the side that crossed the spread."""

    symbol: str
    ts_event: int
    price: Decimal
    size: Decimal
    aggressor: Side


@dataclass(frozen=True, slots=True, kw_only=True)
class BookLevel:
    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class BookSnapshot:
    """L2 book: bids best-first (descending), asks best-first (ascending)."""

    symbol: str
    ts_event: int
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """OHLCV over [ts_start, ts_start + interval)."""

    symbol: str
    interval: Interval
    ts_start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
