"""L2 depth and shared liquidity: consumption, refill and a displaced mid that relaxes back.

Depth follows the latent-liquidity profile behind the square-root law: the quantity resting
between the best price and a relative distance x beyond it is
`D(x) = V * (x / ((1 + alpha) * gamma)) ** (1 / alpha)`, so a market order of size Q that walks
the book pays on average `gamma * (Q / V) ** alpha` beyond the touch (DESIGN.md §5): the depth a
user sees explains the price they got. Orders within the top level pay the spread only.

Liquidity is shared: what an order takes is gone for everyone, then refills exponentially
with time constant `refill_s`; the mid is pushed by half the impact paid and relaxes back as
1/sqrt(1 + t/tau) (the double square-root law).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vtrade.core.clock import NS_PER_SECOND
from vtrade.domain.instruments import AssetClass, Instrument

_REFILL_SECONDS = {
    AssetClass.FX: 1.0,
    AssetClass.CRYPTO: 3.0,
    AssetClass.EQUITY: 5.0,
    AssetClass.ETF: 4.0,
    AssetClass.INDEX: 5.0,
    AssetClass.COMMODITY: 5.0,
}
# Typical notional resting at the touch, where the square-root law (fit on metaorders) would
# make tiny orders look too costly: small orders pay the spread only (DESIGN.md §5).
_TOUCH_NOTIONAL = {
    AssetClass.CRYPTO: 50_000.0,
    AssetClass.COMMODITY: 2_000_000.0,
    AssetClass.INDEX: 500_000.0,
    AssetClass.EQUITY: 20_000.0,
    AssetClass.ETF: 20_000.0,
}
_FX_TOUCH_UNITS = 1_000_000.0
_RELAX_SECONDS = 20.0
_DISPLACEMENT_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class DepthModel:
    """Static depth shape of one instrument."""

    tick: float
    step_ticks: int
    lot: float
    unit: float  # display granularity of sizes: whole shares for stocks, else the lot
    floor: float  # smallest top-of-book size (a round lot of 100 shares for stocks)
    adv: float
    gamma: float
    alpha: float

    @classmethod
    def for_instrument(cls, inst: Instrument) -> DepthModel:
        tick = float(inst.tick_size)
        half_spread = (
            0.5 * inst.market.typical_spread_bps * 1e-4 * float(inst.market.reference_price)
        )
        lot = float(inst.lot_size)
        stock = inst.asset_class in (AssetClass.EQUITY, AssetClass.ETF)
        unit = max(lot, 1.0) if stock else lot
        return cls(
            tick=tick,
            step_ticks=max(1, round(half_spread / tick)),
            lot=lot,
            unit=unit,
            floor=_touch_floor(inst, unit, 100.0 if stock else unit),
            adv=inst.market.avg_daily_volume,
            gamma=inst.market.impact_gamma,
            alpha=inst.market.impact_alpha,
        )

    @property
    def step(self) -> float:
        return self.step_ticks * self.tick

    def top_size(self, touch: float) -> float:
        """Typical size at the touch: a little under the first level beyond it."""
        return max(self.floor, 0.8 * float(self.level_sizes(touch, 2, 1.0)[0]))

    def level_sizes(self, touch: float, levels: int, depth_mult: float) -> np.ndarray:
        """Sizes of levels 1..levels-1 beyond the touch price `touch` (level 0 is the quote)."""
        k = np.arange(1, levels)
        rel = self.step / max(touch, 1e-12)
        coeff = (1.0 + self.alpha) * self.gamma
        upper = self.adv * ((k + 0.5) * rel / coeff) ** (1.0 / self.alpha)
        lower = self.adv * ((k - 0.5) * rel / coeff) ** (1.0 / self.alpha)
        return (upper - lower) * depth_mult


def _touch_floor(inst: Instrument, unit: float, least: float) -> float:
    """Smallest typical size at the touch, in instrument units, on the `unit` grid."""
    if inst.asset_class is AssetClass.FX:
        units = _FX_TOUCH_UNITS
    else:
        price = float(inst.market.reference_price * inst.multiplier)
        if inst.currency == "GBX":
            price /= 100.0
        units = _TOUCH_NOTIONAL[inst.asset_class] / max(price, 1e-12)
    return max(least, round(units / unit) * unit)


@dataclass(slots=True)
class _Taken:
    qty: float
    t_ns: int


@dataclass(slots=True)
class Liquidity:
    """What our own orders have taken from one instrument's book, and how it comes back."""

    refill_ns: float
    taken: dict[tuple[int, int], _Taken] = field(default_factory=dict)  # (side, price ticks)
    shift: float = 0.0  # mid displacement in price units at `shift_t`
    shift_t: int = 0

    @classmethod
    def for_instrument(cls, inst: Instrument) -> Liquidity:
        return cls(refill_ns=_REFILL_SECONDS[inst.asset_class] * NS_PER_SECOND)

    def displacement(self, t_ns: int) -> float:
        """Mid displacement in force at `t_ns` (zero before it was caused)."""
        if not self.shift or t_ns < self.shift_t:
            return 0.0
        age = (t_ns - self.shift_t) / NS_PER_SECOND
        return self.shift / math.sqrt(1.0 + age / _RELAX_SECONDS)

    def taken_at(self, side: int, price_ticks: int, t_ns: int) -> float:
        """Quantity still missing at a level: what was taken, less what has refilled since."""
        entry = self.taken.get((side, price_ticks))
        if entry is None or t_ns < entry.t_ns:
            return 0.0
        return entry.qty * math.exp(-(t_ns - entry.t_ns) / self.refill_ns)

    def take(self, side: int, price_ticks: int, qty: float, t_ns: int) -> None:
        """Record that `qty` was taken at a level at `t_ns`."""
        remaining = self.taken_at(side, price_ticks, t_ns)
        self.taken[(side, price_ticks)] = _Taken(remaining + qty, t_ns)

    def push(self, amount: float, t_ns: int) -> None:
        """Displace the mid by `amount` (price units) on top of what is left of earlier pushes."""
        self.shift = self.displacement(t_ns) + _DISPLACEMENT_SHARE * amount
        self.shift_t = t_ns

    def forget_refilled(self, t_ns: int) -> None:
        """Drop levels that have refilled to within a millionth of what was taken."""
        stale = [k for k, e in self.taken.items() if self.taken_at(*k, t_ns) < 1e-6 * e.qty]
        for key in stale:
            del self.taken[key]
