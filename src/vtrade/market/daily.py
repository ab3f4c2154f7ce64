"""Trading-day OHLCV per instrument, derived from the calendar-day returns.

A day's close is the calendar path at the end of its session date. The way from one close to
the next is a Brownian bridge through the previous post-market close, the pre-market open and
the regular open, so gaps, pre/post moves and the day's range all share one variance budget.
Highs and lows come from the exact distribution of a bridge's maximum and minimum; the
intraday layer then builds a path that touches them, so daily and intraday bars agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from vtrade.core.clock import NS_PER_DAY
from vtrade.domain.instruments import Instrument
from vtrade.market.factors import CalendarReturns
from vtrade.market.rng import stream
from vtrade.market.sessions import DayTable

# Share of a session date's own variance spent outside the regular session.
_US_POST, _US_NEWS, _US_PRE = 0.03, 0.07, 0.10
_OVERNIGHT = 0.20
_GLOBEX_BREAK = 0.02
_VOLUME_DISPERSION = 0.30


@dataclass(frozen=True, slots=True)
class DailyPath:
    """Log prices and volumes per trading day of one instrument (arrays aligned with `days`)."""

    days: DayTable
    first: np.ndarray  # log price of the first trade of the day (pre-market open if extended)
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    last: np.ndarray  # log price at the end of the day (post-market close if extended)
    volume: np.ndarray  # regular-session volume
    regular_var: np.ndarray  # variance of the log price over the regular session
    pre_var: np.ndarray
    post_var: np.ndarray


def build(
    inst: Instrument,
    days: DayTable,
    grid: CalendarReturns,
    column: int,
    anchor: date,
    seed: int,
) -> DailyPath:
    """Build the daily path of `inst` over every day in `days` (all inside the grid)."""
    rng = stream(seed, "day", inst.symbol)
    n = len(days)
    r = grid.returns[:, column]
    v = grid.variance[:, column]
    level = np.cumsum(r)
    level += float(np.log(float(inst.market.reference_price))) - level[grid.index_of(anchor)]
    cidx = (days.day // NS_PER_DAY - _ordinal_ns_day(grid.first_day)).astype(np.int64)
    cum_v = np.cumsum(v)

    close = level[cidx]
    prev_idx = np.r_[cidx[0] - 1, cidx[:-1]]
    prev_close = level[prev_idx]
    own_var = v[cidx]
    between_var = cum_v[cidx - 1] - cum_v[prev_idx]  # non-session days since the last close
    total_var = own_var + between_var

    post, news, pre = _shares(inst)
    t_post = post * own_var
    t_first = t_post + between_var + news * own_var
    t_open = t_first + pre * own_var
    last_prev = _bridge(rng, prev_close, 0.0, close, total_var, t_post)
    first = _bridge(rng, last_prev, t_post, close, total_var, t_first)
    open_ = _bridge(rng, first, t_first, close, total_var, t_open)
    regular_var = np.maximum(total_var - t_open, 1e-12)

    b = close - open_
    spread_hi = np.sqrt(b * b - 2.0 * regular_var * np.log(rng.random(n)))
    spread_lo = np.sqrt(b * b - 2.0 * regular_var * np.log(rng.random(n)))
    high = open_ + 0.5 * (b + spread_hi)
    low = open_ + 0.5 * (b - spread_lo)

    last = np.r_[last_prev[1:], close[-1]]
    sigma = inst.market.daily_volatility
    surprise = np.clip((close - prev_close) ** 2 / max(sigma * sigma, 1e-12), 0.0, 9.0)
    noise = np.exp(_VOLUME_DISPERSION * rng.standard_normal(n) - 0.5 * _VOLUME_DISPERSION**2)
    volume = inst.market.avg_daily_volume * noise * (0.6 + 0.4 * surprise)
    volume = np.where(days.early_close, 0.55 * volume, volume)
    if inst.calendar == "24/7":
        weekday = (days.day // NS_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday
        volume = np.where(weekday >= 5, 0.7 * volume, volume)
    return DailyPath(
        days=days,
        first=first,
        open=open_,
        high=high,
        low=low,
        close=close,
        last=last,
        volume=volume,
        regular_var=regular_var,
        pre_var=pre * own_var,
        post_var=np.r_[t_post[1:], 0.0],
    )


def _shares(inst: Instrument) -> tuple[float, float, float]:
    """Return (post, overnight news, pre) shares of a session date's own variance."""
    if inst.calendar in ("24/7", "FX"):
        return 0.0, 0.0, 0.0
    if inst.calendar == "GLOBEX":
        return 0.0, _GLOBEX_BREAK, 0.0
    if inst.extended_hours:
        return _US_POST, _US_NEWS, _US_PRE
    return 0.0, _OVERNIGHT, 0.0


def _bridge(
    rng: np.random.Generator,
    start: np.ndarray,
    t_start: np.ndarray | float,
    end: np.ndarray,
    t_end: np.ndarray,
    t: np.ndarray,
) -> np.ndarray:
    """Sample a Brownian bridge at variance-time `t`, given its value at `t_start` and `t_end`."""
    span = np.maximum(t_end - t_start, 1e-18)
    frac = np.clip((t - t_start) / span, 0.0, 1.0)
    sd = np.sqrt(np.maximum(frac * (t_end - t), 0.0))
    return start + frac * (end - start) + sd * rng.standard_normal(start.shape[0])


def _ordinal_ns_day(day: date) -> int:
    """Days since the Unix epoch of `day`."""
    return (day - date(1970, 1, 1)).days
