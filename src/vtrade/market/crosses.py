"""FX crosses priced from their US-dollar legs, as dealers price them.

EUR/JPY is EUR/USD times USD/JPY: simulated on its own, a cross drifted far from its legs
(EUR/JPY 58% above EUR/USD x USD/JPY by 2006), which a chart shows and no market allows. A
cross's daily opens and closes and its minutes' prices are its legs' in log space, plus the
constant that makes its reference price its close on the anchor date (the packaged catalog
prices each cross as its legs, to its tick: a standing offset would be an arbitrage). Its
volumes, spreads and depth stay its own. Its ticks inside a minute follow its legs' mids,
pinned to the minute's open and close and stretched to its high and low, so a cross strays
from its legs by about its own bid-ask bounce: too little to pay for the three spreads and
fees a triangle crosses, but in rare instants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from vtrade.core.errors import NotFoundError
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.market.catalog import Catalog
from vtrade.market.daily import DailyPath
from vtrade.market.intraday import REGULAR, DayMinutes


@dataclass(frozen=True, slots=True)
class Legs:
    """A cross's log price = `sign` x each leg's log price, summed, + `basis`."""

    symbols: tuple[str, str]
    signs: tuple[float, float]
    basis: float


def legs_of(inst: Instrument, catalog: Catalog) -> Legs | None:
    """The US-dollar legs of FX cross `inst` (None: not a cross, or a leg is missing or
    trades on another calendar, and the pair is simulated on its own)."""
    base = inst.base_currency
    if inst.asset_class is not AssetClass.FX or base is None or "USD" in (base, inst.currency):
        return None
    found = []
    for code, sign in ((base, 1.0), (inst.currency, -1.0)):  # USD per base / USD per quote
        try:
            symbol, invert, _ = catalog.usd_conversion(code)
        except NotFoundError:
            return None
        if symbol is None or catalog.get(symbol).calendar != inst.calendar:
            return None
        found.append((symbol, -sign if invert else sign))
    (a, sign_a), (b, sign_b) = found
    legs_log = sign_a * _log_ref(catalog.get(a)) + sign_b * _log_ref(catalog.get(b))
    return Legs((a, b), (sign_a, sign_b), _log_ref(inst) - legs_log)


def daily(own: DailyPath, legs: Legs, a: DailyPath, b: DailyPath) -> DailyPath:
    """A cross's trading days: its own volumes and variances, its legs' prices. High and low
    are NaN: they are its minutes' (`SyntheticMarket.bars`), which only the minutes know."""
    sa, sb = legs.signs

    def combine(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return sa * x + sb * y + legs.basis

    nan = np.full(own.close.shape[0], np.nan)
    return replace(
        own,
        first=combine(a.first, b.first),
        open=combine(a.open, b.open),
        high=nan,
        low=nan,
        close=combine(a.close, b.close),
        last=combine(a.last, b.last),
    )


def minutes(own: DayMinutes, legs: Legs, a: DayMinutes, b: DayMinutes) -> DayMinutes:
    """A cross's minutes of one day: its legs' opens and closes; each minute's excursion past
    them the legs' combined as independent moves (root of the sum of squares)."""
    if not (np.array_equal(own.ts, a.ts) and np.array_equal(own.ts, b.ts)):
        raise ValueError(f"the legs {legs.symbols} do not share the cross's minutes")
    open_, high, low, close = _prices(legs, a, b)
    return replace(own, open=open_, high=high, low=low, close=close)


def extremes(legs: Legs, a: DayMinutes, b: DayMinutes) -> tuple[float, float]:
    """The (log) high and low of a cross's regular minutes of one day, from its legs' alone
    (its daily bar's: `minutes` gives the same, without building the cross's own first)."""
    _, high, low, _ = _prices(legs, a, b)
    regular = a.segment == REGULAR
    return float(high[regular].max()), float(low[regular].min())


def _prices(
    legs: Legs, a: DayMinutes, b: DayMinutes
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    (sa, sb), basis = legs.signs, legs.basis
    open_ = sa * a.open + sb * b.open + basis
    close = sa * a.close + sb * b.close + basis
    up_a, down_a = _excursions(a, sa)
    up_b, down_b = _excursions(b, sb)
    high = np.maximum(open_, close) + np.hypot(up_a, up_b)
    low = np.minimum(open_, close) - np.hypot(down_a, down_b)
    return open_, high, low, close


def _excursions(m: DayMinutes, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """How far `sign` x a leg went above and below its minute's open and close."""
    above = m.high - np.maximum(m.open, m.close)
    below = np.minimum(m.open, m.close) - m.low
    return (above, below) if sign > 0 else (below, above)


def _log_ref(inst: Instrument) -> float:
    return math.log(float(inst.market.reference_price))
