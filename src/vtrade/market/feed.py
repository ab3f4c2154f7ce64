"""The feed protocol: what every market-data source (synthetic, replay, live) answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from vtrade.domain.market_data import Interval, Quote
from vtrade.market.bars import BarSeries


class Feed(Protocol):
    """A source of quotes and bars for a set of symbols, queried at any instant."""

    def symbols(self) -> Sequence[str]:
        """Return the symbols this feed serves."""
        ...

    def quote(self, symbol: str, t_ns: int) -> Quote:
        """Return the top of book in force at `t_ns`."""
        ...

    def bars(self, symbol: str, interval: Interval, start_ns: int, end_ns: int) -> BarSeries:
        """Return bars starting in [start_ns, end_ns)."""
        ...
