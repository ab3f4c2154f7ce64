"""Analytics of equity curves: returns, risk, drawdowns, exposure and chart downsampling.

Pure and deterministic: no I/O and no clock. Money is `Decimal` in the account currency (VCR)
quantized to cents; ratios and fractions are floats (0.05 = 5%). A statistic that is undefined
for its input (too few points, zero variance) is None, never NaN or infinity. Closed trades and
execution costs, which work on fills, live in `vtrade.portfolio.trades`.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from types import MappingProxyType
from typing import NamedTuple, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from vtrade.core.errors import ValidationError
from vtrade.core.money import cents, to_decimal
from vtrade.domain.portfolio import EquityPoint

ZERO = Decimal(0)
NS_PER_DAY = 86_400 * 10**9

Number = Decimal | int | float
FloatArray = npt.NDArray[np.float64]


# --- returns ------------------------------------------------------------------------------------


def returns(navs: Sequence[Number]) -> tuple[float, ...]:
    """Compute the simple period returns of a NAV series (one fewer than there are NAVs).

    A period that starts at a NAV of zero or below has no meaningful return and counts as 0.0.
    """
    return tuple(_simple_returns([to_decimal(nav, "nav") for nav in navs]))


def period_return(points: Sequence[EquityPoint], start_ns: int, end_ns: int) -> float | None:
    """Compute the return over `[start_ns, end_ns)` from equity points.

    Compare the first point at or after `start_ns` with the last point before `end_ns`. None
    when no point falls in the period or the first NAV in it is not positive.
    """
    inside = [p for p in _ordered(points) if start_ns <= p.ts_ns < end_ns]
    if not inside or inside[0].nav <= 0:
        return None
    return float(inside[-1].nav / inside[0].nav - 1)


def _simple_returns(values: Sequence[Decimal]) -> list[float]:
    # Decimal division keeps equal ratios equal, so a constant-return series has zero spread.
    return [float(cur / prev - 1) if prev > 0 else 0.0 for prev, cur in pairwise(values)]


def _ordered(points: Sequence[EquityPoint]) -> list[EquityPoint]:
    return sorted(points, key=lambda p: p.ts_ns)


# --- risk ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskMetrics:
    """Risk and return of an equity curve; None where the input leaves a figure undefined."""

    periods: int  # number of period returns (points - 1)
    total_return: float | None  # last NAV / first NAV - 1; None if empty or first NAV <= 0
    volatility: float | None  # annualized sample std of period returns; needs 2 returns
    sharpe: float | None  # annualized mean excess return / std; None when std is 0
    sortino: float | None  # annualized mean excess return / downside deviation below 0
    max_drawdown: float  # largest fall from a running peak, as a fraction of that peak
    max_drawdown_peak_ns: int | None  # when the peak of the largest drawdown was set
    max_drawdown_trough_ns: int | None  # when that drawdown bottomed out
    current_drawdown: float  # fall of the last NAV from the running peak
    beta: float | None  # against the benchmark, on returns aligned by timestamp
    correlation: float | None


def risk_metrics(
    points: Sequence[EquityPoint],
    *,
    periods_per_year: float,
    risk_free: float = 0.0,
    benchmark: Sequence[tuple[int, Number]] | None = None,
) -> RiskMetrics:
    """Measure return, volatility, Sharpe, Sortino, drawdowns and benchmark beta of a curve.

    `periods_per_year` annualizes per-point statistics (252 for daily closes); `risk_free` is
    an annual rate, spread evenly over the periods. Sortino's downside deviation is the root
    mean square of the negative returns over all periods (target 0). The benchmark is a series
    of (ts_ns, price); each equity point is paired with the last benchmark price at or before
    its timestamp, and points before the first price are left out. Points may come in any
    order; they are sorted by timestamp.
    """
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise ValidationError(
            f"periods_per_year must be a positive number, got {periods_per_year!r}",
            periods_per_year=periods_per_year,
        )
    ordered = _ordered(points)
    r = np.asarray(_simple_returns([p.nav for p in ordered]), dtype=np.float64)
    volatility = sharpe = sortino = None
    if r.size >= 2:
        annual = math.sqrt(periods_per_year)
        excess = float(r.mean()) - risk_free / periods_per_year
        std = 0.0 if _constant(r) else float(np.std(r, ddof=1))
        volatility = std * annual
        sharpe = _finite(excess / std * annual) if std > 0 else None
        downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
        sortino = _finite(excess / downside * annual) if downside > 0 else None
    worst, peak_ns, trough_ns, current = _drawdowns(ordered)
    beta = correlation = None
    if benchmark is not None:
        beta, correlation = _beta_correlation(*_aligned(ordered, benchmark))
    first = ordered[0].nav if ordered else ZERO
    return RiskMetrics(
        periods=int(r.size),
        total_return=float(ordered[-1].nav / first - 1) if first > 0 else None,
        volatility=volatility,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=worst,
        max_drawdown_peak_ns=peak_ns,
        max_drawdown_trough_ns=trough_ns,
        current_drawdown=current,
        beta=beta,
        correlation=correlation,
    )


def _constant(values: FloatArray) -> bool:
    return bool(values.max() == values.min())


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _drawdowns(ordered: Sequence[EquityPoint]) -> tuple[float, int | None, int | None, float]:
    """Return the largest drawdown, its peak and trough times, and the current drawdown."""
    if not ordered:
        return 0.0, None, None, 0.0
    navs = np.array([float(p.nav) for p in ordered], dtype=np.float64)
    peaks = np.maximum.accumulate(navs)
    positive = peaks > 0  # a drawdown from a peak at or below zero is not defined
    drawdowns = np.where(positive, 1.0 - navs / np.where(positive, peaks, 1.0), 0.0)
    trough = int(np.argmax(drawdowns))
    worst = float(drawdowns[trough])
    current = float(drawdowns[-1])
    if worst <= 0:
        return 0.0, None, None, current
    peak = int(np.flatnonzero(navs[: trough + 1] == peaks[trough])[-1])
    return worst, ordered[peak].ts_ns, ordered[trough].ts_ns, current


def _aligned(
    ordered: Sequence[EquityPoint], benchmark: Sequence[tuple[int, Number]]
) -> tuple[list[Decimal], list[Decimal]]:
    """Pair each NAV with the last benchmark price at or before its timestamp."""
    prices = sorted(
        ((int(ts), to_decimal(price, "benchmark price")) for ts, price in benchmark),
        key=lambda pair: pair[0],
    )
    times = [ts for ts, _ in prices]
    navs: list[Decimal] = []
    marks: list[Decimal] = []
    for point in ordered:
        i = bisect_right(times, point.ts_ns) - 1
        if i >= 0:
            navs.append(point.nav)
            marks.append(prices[i][1])
    return navs, marks


def _beta_correlation(
    navs: Sequence[Decimal], marks: Sequence[Decimal]
) -> tuple[float | None, float | None]:
    if len(navs) < 2:
        return None, None
    rp = np.asarray(_simple_returns(navs), dtype=np.float64)
    rb = np.asarray(_simple_returns(marks), dtype=np.float64)
    if _constant(rb):
        return None, None  # a benchmark that does not move explains nothing
    if _constant(rp):
        return 0.0, None
    dp = rp - rp.mean()
    db = rb - rb.mean()
    var_b = float(np.dot(db, db))
    var_p = float(np.dot(dp, dp))
    if var_b <= 0 or var_p <= 0:
        return None, None
    cov = float(np.dot(dp, db))
    correlation = _finite(cov / math.sqrt(var_p * var_b))
    if correlation is not None:
        correlation = min(1.0, max(-1.0, correlation))
    return _finite(cov / var_b), correlation


# --- exposure -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupExposure:
    """Exposure of one group (asset class, sector, currency...) in VCR."""

    gross: Decimal  # sum of absolute values
    net: Decimal  # sum of signed values
    weight: float  # share of the portfolio's gross exposure


@dataclass(frozen=True, slots=True, kw_only=True)
class Exposure:
    """Gross and net exposure of a portfolio and how its gross splits across groups (VCR)."""

    gross: Decimal
    net: Decimal
    long: Decimal
    short: Decimal  # zero or negative
    groups: Mapping[str, GroupExposure]  # largest gross first, ties by name


def exposure(values: Mapping[str, Decimal], classify: Callable[[str], str]) -> Exposure:
    """Sum signed VCR values per symbol into gross and net exposure and weights per group.

    `classify` maps a symbol to its group name. Weights are each group's gross as a share of
    the total gross, so they sum to 1 (all 0.0 when there is no exposure).
    """
    long = short = ZERO
    gross_by: dict[str, Decimal] = {}
    net_by: dict[str, Decimal] = {}
    for symbol in sorted(values):
        value = values[symbol]
        group = classify(symbol)
        gross_by[group] = gross_by.get(group, ZERO) + abs(value)
        net_by[group] = net_by.get(group, ZERO) + value
        if value > 0:
            long += value
        else:
            short += value
    gross = long - short
    groups = {
        name: GroupExposure(
            gross=cents(gross_by[name]),
            net=cents(net_by[name]),
            weight=float(gross_by[name] / gross) if gross else 0.0,
        )
        for name in sorted(gross_by, key=lambda name: (-gross_by[name], name))
    }
    return Exposure(
        gross=cents(gross),
        net=cents(long + short),
        long=cents(long),
        short=cents(short),
        groups=MappingProxyType(groups),
    )


# --- equity curve windows and downsampling ------------------------------------------------------


class CurveWindow(NamedTuple):
    """How far back an equity curve reaches and how many points a chart of it gets."""

    duration_ns: int
    max_points: int


CURVE_WINDOWS: Mapping[str, CurveWindow] = MappingProxyType(
    {
        "1d": CurveWindow(NS_PER_DAY, 390),  # a minute of a regular US session per point
        "7d": CurveWindow(7 * NS_PER_DAY, 7 * 96),  # every 15 minutes
        "30d": CurveWindow(30 * NS_PER_DAY, 30 * 24),  # hourly
        "1y": CurveWindow(365 * NS_PER_DAY, 365),  # daily
    }
)


def parse_window(text: str) -> CurveWindow:
    """Look up a curve window by name ("1d", "7d", "30d", "1y"; case and blanks ignored)."""
    window = CURVE_WINDOWS.get(text.strip().lower())
    if window is None:
        allowed = ", ".join(CURVE_WINDOWS)
        raise ValidationError(
            f"unknown curve window {text!r}; allowed: {allowed}", allowed=list(CURVE_WINDOWS)
        )
    return window


class _Timed(Protocol):
    @property
    def ts_ns(self) -> int: ...


T = TypeVar("T", bound=_Timed)


def downsample(points: Sequence[T], max_points: int) -> tuple[T, ...]:
    """Thin a time-ordered series to at most `max_points + 1` points for a chart.

    Split the time from the first to the last point into `max_points` equal buckets and keep
    the last point of each non-empty bucket, plus the first point, so the result starts and
    ends where the input does and stays in order. Return the input unchanged (as a tuple) when
    it has no more than `max_points` points.
    """
    if max_points < 1:
        raise ValidationError(f"max_points must be at least 1, got {max_points}")
    if len(points) <= max_points:
        return tuple(points)
    start = points[0].ts_ns
    span = points[-1].ts_ns - start
    if span <= 0:
        return (points[0], points[-1])

    buckets = [min(max((p.ts_ns - start) * max_points // span, 0), max_points - 1) for p in points]
    last = len(points) - 1
    kept = [0, *(i for i in range(1, last) if buckets[i] != buckets[i + 1]), last]
    return tuple(points[i] for i in kept)
