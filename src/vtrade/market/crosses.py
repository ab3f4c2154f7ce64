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

A micro future is its standard contract's one-leg cross: MGC is a tenth of GC's gold at GC's
price per ounce, so it quotes GC's price (simulated apart, the two drifted 300 dollars apart,
and long GC against short ten MGC earned what no hedge can), with its own volumes and book.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from vtrade.core.errors import NotFoundError
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.market.catalog import Catalog
from vtrade.market.daily import DailyPath
from vtrade.market.intraday import DayMinutes, Prices

# micro futures and the standard contract whose price per unit of the underlying they quote
MICROS = {"MGC": "GC", "MCL": "CL"}


@dataclass(frozen=True, slots=True)
class Legs:
    """A cross's log price = `sign` x each leg's log price, summed, + `basis`."""

    symbols: tuple[str, ...]
    signs: tuple[float, ...]
    basis: float

    def combine(self, *logs: np.ndarray) -> np.ndarray:
        """The cross's log prices from its legs' (in the order of `symbols`)."""
        total = self.signs[0] * logs[0]
        for sign, log in zip(self.signs[1:], logs[1:], strict=True):
            total = total + sign * log
        return total + self.basis


def legs_of(inst: Instrument, catalog: Catalog) -> Legs | None:
    """The US-dollar legs of FX cross `inst`, or the standard contract of a micro future
    (None: neither, or a leg is missing or trades on another calendar, and the instrument is
    simulated on its own)."""
    parent = MICROS.get(inst.symbol)
    if parent is not None:
        if parent not in catalog.symbols or catalog.get(parent).calendar != inst.calendar:
            return None
        return Legs((parent,), (1.0,), _log_ref(inst) - _log_ref(catalog.get(parent)))
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


def daily(own: DailyPath, legs: Legs, *paths: DailyPath) -> DailyPath:
    """A cross's trading days: its own volumes and variances, its legs' prices (`paths`).
    A two-leg cross's high and low are NaN: they are its minutes' (`SyntheticMarket.bars`),
    which only the minutes know; a one-leg cross's (a micro future's) are its leg's."""
    nan = np.full(own.close.shape[0], np.nan)
    one = len(paths) == 1
    return replace(
        own,
        first=legs.combine(*(p.first for p in paths)),
        open=legs.combine(*(p.open for p in paths)),
        high=legs.combine(paths[0].high) if one else nan,
        low=legs.combine(paths[0].low) if one else nan,
        close=legs.combine(*(p.close for p in paths)),
        last=legs.combine(*(p.last for p in paths)),
    )


def minutes(own: DayMinutes, legs: Legs, *days: DayMinutes) -> DayMinutes:
    """A cross's minutes of one day: its legs' opens and closes; each minute's excursion past
    them the legs' combined as independent moves (root of the sum of squares)."""
    if not all(np.array_equal(own.ts, m.ts) for m in days):
        raise ValueError(f"the legs {legs.symbols} do not share the cross's minutes")
    open_, high, low, close = _prices(legs, [(m.open, m.high, m.low, m.close) for m in days])
    return replace(own, open=open_, high=high, low=low, close=close)


def extremes(legs: Legs, *regular: Prices) -> tuple[float, float]:
    """The (log) high and low of a cross's regular minutes of one day, from its legs' regular
    minutes' prices alone (its daily bar's: `minutes` gives the same, without building the
    cross's own minutes first)."""
    _, high, low, _ = _prices(legs, regular)
    return float(high.max()), float(low.min())


def _prices(legs: Legs, days: Sequence[Prices]) -> Prices:
    open_ = legs.combine(*(o for o, _, _, _ in days))
    close = legs.combine(*(c for _, _, _, c in days))
    moves = [_excursions(p, sign) for p, sign in zip(days, legs.signs, strict=True)]
    up = functools.reduce(np.hypot, (u for u, _ in moves))
    down = functools.reduce(np.hypot, (d for _, d in moves))
    return open_, np.maximum(open_, close) + up, np.minimum(open_, close) - down, close


def _excursions(prices: Prices, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """How far `sign` x a leg went above and below its minute's open and close."""
    o, h, lo, c = prices
    above = h - np.maximum(o, c)
    below = np.minimum(o, c) - lo
    return (above, below) if sign > 0 else (below, above)


def _log_ref(inst: Instrument) -> float:
    return math.log(float(inst.market.reference_price))
