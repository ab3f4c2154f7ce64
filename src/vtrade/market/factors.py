"""Daily returns on a calendar-day grid: GARCH(1,1)-t factors, idiosyncratic terms and jumps.

Each instrument's daily log return mixes a global equity factor, an asset-class factor (crypto,
US dollar, commodities), a sector factor and its own idiosyncratic series, all unit-variance
GARCH(1,1) with Student-t shocks (fat tails, volatility clustering), plus rare jumps. Loadings
give realistic correlations: stocks in one sector move together, diversification across
sectors and asset classes lowers risk. Non-24/7 instruments see little variance on weekends;
what they do see arrives as Monday's gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.market.rng import standard_t, stream

# Shared volatility regimes: a slow and a fast AR(1) log-volatility per asset group, so calm
# and stormy periods hit a whole market at once and |r| stays autocorrelated for months.
REGIME_SLOW = (0.993, 0.30)  # (persistence, stationary sd of log-vol)
REGIME_FAST = (0.90, 0.20)
GARCH_ALPHA = 0.08
GARCH_BETA = 0.90
T_DOF = 5.0
BURN_IN_DAYS = 500
WEEKEND_VARIANCE = 0.08

# Variance shares (global, class factor, sector); the rest is idiosyncratic.
_SHARES: dict[AssetClass, tuple[float, float, float]] = {
    AssetClass.EQUITY: (0.28, 0.0, 0.17),
    AssetClass.ETF: (0.55, 0.0, 0.25),
    AssetClass.INDEX: (0.70, 0.0, 0.15),
    AssetClass.CRYPTO: (0.04, 0.55, 0.06),
    AssetClass.FX: (0.02, 0.45, 0.08),
    AssetClass.COMMODITY: (0.05, 0.20, 0.35),
}
_CLASS_FACTOR = {
    AssetClass.CRYPTO: "crypto",
    AssetClass.FX: "usd",
    AssetClass.COMMODITY: "commodity",
}
# Yearly drift of the log price (the median path): markets grew into today's prices.
_DRIFT = {
    AssetClass.EQUITY: 0.06,
    AssetClass.ETF: 0.05,
    AssetClass.INDEX: 0.05,
    AssetClass.CRYPTO: 0.30,
    AssetClass.FX: 0.0,
    AssetClass.COMMODITY: 0.02,
}
# ETFs that replicate an index, or hold a commodity (GLD gold bullion), move with it: the same
# daily returns (factor exposures, idiosyncratic term, volatility, drift, regime and jumps),
# so the ratio of their prices stays where the reference prices put it.
TRACKS = {
    **{"SPY": "SPX", "VOO": "SPX", "IVV": "SPX", "QQQ": "NDX", "DIA": "DJI", "IWM": "RUT"},
    **{"GLD": "GC", "SLV": "SI", "USO": "CL"},
}
_JUMPS_PER_YEAR = {AssetClass.EQUITY: 4.0, AssetClass.CRYPTO: 6.0, AssetClass.COMMODITY: 3.0}
_JUMP_VARIANCE_SHARE = 0.12
_DEFENSIVE = ("fixed income", "treasur", "bond", "commodit", "gold", "precious")


@dataclass(frozen=True, slots=True)
class CalendarReturns:
    """Daily log returns per instrument on the calendar-day grid starting at `first_day`."""

    first_day: date
    returns: np.ndarray  # shape (days, instruments), float64
    variance: np.ndarray  # conditional variance of each day's return, same shape

    def index_of(self, day: date) -> int:
        return (day - self.first_day).days


def garch_t(shocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run unit-variance GARCH(1,1) over columns of unit-variance shocks (rows are days).

    Return (returns, conditional variances) with the first `BURN_IN_DAYS` rows dropped.
    """
    omega = 1.0 - GARCH_ALPHA - GARCH_BETA
    out = np.empty_like(shocks)
    var = np.empty_like(shocks)
    h = np.ones(shocks.shape[1:])
    for t in range(shocks.shape[0]):
        e = np.sqrt(h) * shocks[t]
        out[t] = e
        var[t] = h
        h = omega + GARCH_ALPHA * e * e + GARCH_BETA * h
    return out[BURN_IN_DAYS:], var[BURN_IN_DAYS:]


def simulate(
    instruments: Sequence[Instrument], first_day: date, last_day: date, seed: int
) -> CalendarReturns:
    """Simulate every instrument's daily log returns from `first_day` to `last_day` inclusive."""
    days = (last_day - first_day).days + 1
    weekday = (np.arange(days) + first_day.weekday()) % 7
    weekend = weekday >= 5
    by_symbol = {inst.symbol: inst for inst in instruments}
    tracked = [by_symbol.get(TRACKS.get(i.symbol, ""), i) for i in instruments]
    loadings = [_loadings(t) for t in tracked]
    names = sorted({name for parts in loadings for name, _ in parts})
    column = {name: k for k, name in enumerate(names)}
    shocks = np.column_stack(
        [standard_t(stream(seed, "daily", n), T_DOF, days + BURN_IN_DAYS) for n in names]
    )
    factor_r, factor_h = garch_t(shocks)

    weights = np.zeros((len(names), len(instruments)))
    for i, parts in enumerate(loadings):
        for name, w in parts:
            weights[column[name], i] = w
    sigma = np.array([t.market.daily_volatility for t in tracked])
    groups = [_regime_group(t) for t in tracked]
    regimes = {g: regime_volatility(stream(seed, "regime", g), days) for g in sorted(set(groups))}
    scale = sigma * np.column_stack([regimes[g] for g in groups])
    not_24_7 = np.array([inst.calendar != "24/7" for inst in instruments])
    scale[np.ix_(weekend, not_24_7)] *= WEEKEND_VARIANCE**0.5
    drift = np.array([_DRIFT[t.asset_class] for t in tracked]) / 365.0
    jumps = np.column_stack([_jumps(t, stream(seed, "jumps", t.symbol), days) for t in tracked])
    returns = drift + scale * (factor_r @ weights + jumps)
    variance = scale * scale * (factor_h @ (weights * weights) + _jump_variance(tracked))
    return CalendarReturns(first_day, returns, variance)


def regime_volatility(rng: np.random.Generator, days: int) -> np.ndarray:
    """Multiplier of volatility with E[m^2] = 1: exp of slow plus fast AR(1) log-vol."""
    total = np.zeros(days)
    var = 0.0
    for phi, sd in (REGIME_SLOW, REGIME_FAST):
        noise = rng.standard_normal(days + BURN_IN_DAYS) * sd * (1.0 - phi * phi) ** 0.5
        x = np.empty_like(noise)
        level = 0.0
        for t, e in enumerate(noise.tolist()):
            level = phi * level + e
            x[t] = level
        total += x[BURN_IN_DAYS:]
        var += sd * sd
    return np.exp(total - var)


def _regime_group(inst: Instrument) -> str:
    if inst.asset_class in (AssetClass.EQUITY, AssetClass.ETF, AssetClass.INDEX):
        return "equity"
    return inst.asset_class.value


def _loadings(inst: Instrument) -> list[tuple[str, float]]:
    """Return (series name, loading) pairs whose squared loadings sum to 1 (less the jump share)."""
    g, c, s = _SHARES[inst.asset_class]
    if inst.asset_class is AssetClass.ETF and any(k in inst.sector.lower() for k in _DEFENSIVE):
        g, s = 0.03, 0.70
    jump_share = _JUMP_VARIANCE_SHARE if inst.asset_class in _JUMPS_PER_YEAR else 0.0
    idio = max(0.0, 1.0 - g - c - s - jump_share)
    parts = [
        ("global", g**0.5),
        (f"sector:{inst.sector}", s**0.5),
        (f"idio:{inst.symbol}", idio**0.5),
    ]
    if c:
        sign = _usd_sign(inst) if inst.asset_class is AssetClass.FX else 1.0
        parts.append((_CLASS_FACTOR[inst.asset_class], sign * c**0.5))
    return [(name, w) for name, w in parts if w]


def _usd_sign(inst: Instrument) -> float:
    """Pairs quoted as USD/XXX fall when the dollar-weakness factor rises; crosses barely load."""
    if inst.currency == "USD":
        return 1.0
    if inst.base_currency == "USD":
        return -1.0
    return 0.3


def _jumps(inst: Instrument, rng: np.random.Generator, days: int) -> np.ndarray:
    """Rare unit-scale news jumps (earnings, hacks, supply shocks) with a fixed variance share."""
    per_year = _JUMPS_PER_YEAR.get(inst.asset_class)
    if per_year is None:
        return np.zeros(days)
    p = per_year / 252.0
    hit = rng.random(days) < p
    return np.where(hit, rng.standard_normal(days) * (_JUMP_VARIANCE_SHARE / p) ** 0.5, 0.0)


def _jump_variance(instruments: Sequence[Instrument]) -> np.ndarray:
    return np.array(
        [_JUMP_VARIANCE_SHARE if i.asset_class in _JUMPS_PER_YEAR else 0.0 for i in instruments]
    )
