"""The synthetic market reproduces the stylized facts of real daily returns (Cont 2001).

Thresholds come from real series (S&P 500 1999-2018: excess kurtosis 8.2, ACF|r| 0.24 at lags
1 and 20, Hill index 3.4; see shared/reference/market-realism.md §5.2), widened to bands a
realistic single instrument falls in. Each figure is the median over a basket, so one odd
instrument cannot pass or fail the test alone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from vtrade import bootstrap

BASKET = ["AAPL", "JPM", "XOM", "TSLA", "SPY", "SPX", "VOD.L", "BTC-USD", "EUR/USD", "GC", "CL"]


def acf(x: np.ndarray, lag: int) -> float:
    x = x - x.mean()
    return float((x[:-lag] * x[lag:]).mean() / x.var())


def hill_index(x: np.ndarray, tail: float = 0.025) -> float:
    a = np.sort(np.abs(x))[::-1]
    k = int(len(a) * tail)
    return float(1.0 / np.mean(np.log(a[:k] / a[k])))


@pytest.fixture(scope="module")
def returns() -> dict[str, np.ndarray]:
    market = bootstrap.build().market
    return {s: np.diff(market.daily_path(s).close) for s in BASKET}


def median(returns: dict[str, np.ndarray], statistic) -> float:  # type: ignore[no-untyped-def]
    return float(np.median([statistic(r) for r in returns.values()]))


def test_every_series_has_at_least_5000_daily_returns(returns):
    assert min(len(r) for r in returns.values()) >= 5000


def test_excess_kurtosis_is_in_a_realistic_fat_tailed_band(returns):
    assert 4.0 <= median(returns, stats.kurtosis) <= 20.0
    assert all(k > 2.0 for k in (stats.kurtosis(r) for r in returns.values()))


def test_returns_have_no_linear_autocorrelation(returns):
    for lag in (1, 2, 5, 10):
        assert abs(median(returns, lambda r, lag=lag: acf(r, lag))) < 0.04


def test_absolute_returns_are_clearly_autocorrelated(returns):
    assert median(returns, lambda r: acf(np.abs(r), 1)) > 0.12


def test_autocorrelation_of_absolute_returns_decays_slowly(returns):
    lag1 = median(returns, lambda r: acf(np.abs(r), 1))
    month = median(returns, lambda r: np.mean([acf(np.abs(r), k) for k in range(15, 26)]))
    quarter = median(returns, lambda r: np.mean([acf(np.abs(r), k) for k in range(55, 66)]))
    assert month > 0.04  # still clearly positive a month later
    assert lag1 > month > quarter > 0.0  # and decaying


def test_tails_follow_a_power_law_with_exponent_near_three(returns):
    assert 2.5 <= median(returns, hill_index) <= 4.5


def test_gbm_would_fail_the_same_checks():
    rng = np.random.default_rng(1)
    gbm = rng.standard_normal(6500) * 0.015
    assert abs(stats.kurtosis(gbm)) < 0.5
    assert acf(np.abs(gbm), 1) < 0.05


@pytest.mark.parametrize(
    ("etf", "holds"), [("SPY", "SPX"), ("GLD", "GC"), ("SLV", "SI"), ("USO", "CL")]
)
def test_an_etf_moves_with_what_it_tracks_day_by_day(etf: str, holds: str) -> None:
    """GLD holds gold, so its daily returns are gold's (session 22's contracts review found
    a correlation of -0.03 with GC: a hedge of GLD with gold futures hedged nothing)."""
    market = bootstrap.build().market
    a, b = market.daily_path(etf), market.daily_path(holds)
    days = np.intersect1d(a.days.day, b.days.day)
    x = np.diff(a.close[np.searchsorted(a.days.day, days)])
    y = np.diff(b.close[np.searchsorted(b.days.day, days)])
    assert len(days) > 4000 and np.corrcoef(x, y)[0, 1] > 0.99


@pytest.mark.parametrize(("etf", "holds"), [("GLD", "GC"), ("SLV", "SI"), ("USO", "CL")])
def test_a_commodity_etf_keeps_its_ratio_to_what_it_holds_over_the_supported_range(
    etf: str, holds: str
) -> None:
    """GLD holds a fixed amount of gold per share: GLD/GC should not trend. The ETF kept its
    own asset class's drift (5% a year) while GC had the commodity drift (2%), so GLD/GC
    doubled from 2006 to 2031 (review of this session's change)."""
    market = bootstrap.build().market
    a, b = market.daily_path(etf), market.daily_path(holds)
    days = np.intersect1d(a.days.day, b.days.day)
    x = a.close[np.searchsorted(a.days.day, days)]
    y = b.close[np.searchsorted(b.days.day, days)]
    years = (days[-1] - days[0]) / (365.25 * 86_400e9)  # days are UTC midnights in ns
    per_year = ((x[-1] - y[-1]) - (x[0] - y[0])) / years
    beta = np.cov(np.diff(x), np.diff(y))[0, 1] / np.var(np.diff(y))
    assert abs(per_year) < 0.005, f"{etf}/{holds} trends {math.expm1(per_year):+.2%} a year"
    assert beta == pytest.approx(1.0, abs=0.01), f"{etf} moves {beta:.3f} x {holds}"
