from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from vtrade.core.clock import NS_PER_MINUTE
from vtrade.domain.market_data import Interval
from vtrade.market.bars import BarSeries, aggregate


def minute_series(n: int) -> BarSeries:
    ts = np.arange(n, dtype=np.int64) * NS_PER_MINUTE
    close = 100.0 + np.arange(n, dtype=float)
    return BarSeries(
        "X", Interval.M1, ts, close - 0.5, close + 1.0, close - 1.0, close, np.ones(n) * 10
    )


def test_aggregation_into_5m_keeps_first_open_last_close_extremes_and_sums_volume():
    bars = aggregate(minute_series(10), Interval.M5)
    assert list(bars.ts) == [0, 5 * NS_PER_MINUTE]
    assert list(bars.open) == [99.5, 104.5]
    assert list(bars.close) == [104.0, 109.0]
    assert list(bars.high) == [105.0, 110.0]
    assert list(bars.low) == [99.0, 104.0]
    assert list(bars.volume) == [50.0, 50.0]


def test_daily_aggregation_needs_session_labels():
    with pytest.raises(ValueError, match="labels"):
        aggregate(minute_series(3), Interval.D1)
    labels = np.array([0, 0, 7], dtype=np.int64)
    daily = aggregate(minute_series(3), Interval.D1, labels)
    assert list(daily.ts) == [0, 7]


def test_window_selects_bars_by_start_time():
    series = minute_series(10)
    assert len(series.window(2 * NS_PER_MINUTE, 4 * NS_PER_MINUTE)) == 2


def test_bars_convert_to_decimals_at_the_boundary():
    bar = next(minute_series(1).bars(2))
    assert bar.close == Decimal("100.00")
    assert bar.volume == Decimal("10")
