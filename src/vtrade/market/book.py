"""L2 depth and shared liquidity: consumption, refill and a displaced mid that relaxes back.

Depth follows the latent-liquidity profile behind the square-root law: the quantity resting
between the best price and a relative distance x beyond it is
`D(x) = V * (x / ((1 + alpha) * gamma)) ** (1 / alpha)`, so a market order of size Q that walks
the book pays on average `gamma * (Q / V) ** alpha` beyond the touch (DESIGN.md §5): the depth a
user sees explains the price they got. Orders within the top level pay the spread only.

Liquidity is shared: what an order takes is gone for everyone, then refills exponentially
with time constant `refill_s`; the mid is pushed by half the impact paid and relaxes back as
1/sqrt(1 + t/tau) (the double square-root law), fading out within the hour.
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
_RELAX = 20.0  # seconds: the displaced mid relaxes as 1/sqrt(1 + t/_RELAX) ...
_FORGET_SECONDS = 600.0  # ... and is gone within the hour
_DISPLACEMENT_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class DepthModel:
    """Static depth shape of one instrument; level spacing follows the current price."""

    tick: float
    half_spread: float  # relative half of the typical spread
    lot: float
    unit: float  # display granularity of sizes: whole shares for stocks, else the lot
    floor_notional: float  # typical notional at the touch (quote currency)
    floor_least: float  # and never less than this many units
    adv: float
    gamma: float
    alpha: float

    @classmethod
    def for_instrument(cls, inst: Instrument) -> DepthModel:
        lot = float(inst.lot_size)
        stock = inst.asset_class in (AssetClass.EQUITY, AssetClass.ETF)
        unit = max(lot, 1.0) if stock else lot
        scale = float(inst.multiplier) / (100.0 if inst.currency == "GBX" else 1.0)
        return cls(
            tick=float(inst.tick_size),
            half_spread=0.5 * inst.market.typical_spread_bps * 1e-4,
            lot=lot,
            unit=unit,
            floor_notional=_touch_notional(inst) / scale,
            floor_least=100.0 if stock else unit,
            adv=inst.market.avg_daily_volume,
            gamma=inst.market.impact_gamma,
            alpha=inst.market.impact_alpha,
        )

    def step_ticks(self, price: float) -> int:
        """Distance between book levels at `price`, in ticks (about half the typical spread)."""
        return max(1, round(self.half_spread * price / self.tick))

    def top_size(self, price: float) -> float:
        """Typical size at the touch: a little under the first level beyond it, with a floor."""
        units = self.floor_notional / max(price, 1e-12)
        floor = max(self.floor_least, round(units / self.unit) * self.unit)
        return max(floor, 0.8 * float(self.level_sizes(price, 2, 1.0)[0]))

    def level_sizes(self, touch: float, levels: int, depth_mult: float) -> np.ndarray:
        """Sizes of levels 1..levels-1 beyond the touch price `touch` (level 0 is the quote)."""
        k = np.arange(1, levels)
        rel = self.step_ticks(touch) * self.tick / max(touch, 1e-12)
        coeff = (1.0 + self.alpha) * self.gamma
        upper = self.adv * ((k + 0.5) * rel / coeff) ** (1.0 / self.alpha)
        lower = self.adv * ((k - 0.5) * rel / coeff) ** (1.0 / self.alpha)
        return (upper - lower) * depth_mult


def _touch_notional(inst: Instrument) -> float:
    """Notional at the touch in quote currency (FX: base units times price, about 1M)."""
    if inst.asset_class is AssetClass.FX:
        return _FX_TOUCH_UNITS * float(inst.market.reference_price)
    return _TOUCH_NOTIONAL[inst.asset_class]


@dataclass(slots=True)
class Liquidity:
    """What our own orders have taken from one instrument's book, as an append-only history.

    Each take and each push of the mid decays from its own instant, so a query at any instant
    sees exactly the orders placed at or before it, whatever came later. Effects older than
    `horizon` have decayed to nothing and are forgotten.
    """

    refill_ns: float
    takes: dict[tuple[int, int], list[tuple[int, float]]] = field(default_factory=dict)
    pushes: list[tuple[int, float]] = field(default_factory=list)

    @classmethod
    def for_instrument(cls, inst: Instrument) -> Liquidity:
        return cls(refill_ns=_REFILL_SECONDS[inst.asset_class] * NS_PER_SECOND)

    @property
    def horizon_ns(self) -> int:
        return int(max(40 * self.refill_ns, 8 * _FORGET_SECONDS * NS_PER_SECOND))

    def displacement(self, t_ns: int) -> float:
        """Mid displacement in force at `t_ns` from the pushes made at or before it."""
        total = 0.0
        for at, amount in self.pushes:
            if at <= t_ns:
                age = (t_ns - at) / NS_PER_SECOND
                total += amount * math.exp(-age / _FORGET_SECONDS) / math.sqrt(1 + age / _RELAX)
        return total

    def taken_at(self, side: int, price_ticks: int, t_ns: int) -> float:
        """Quantity still missing at a level: what was taken, less what has refilled since."""
        total = 0.0
        for at, qty in self.takes.get((side, price_ticks), ()):
            if at <= t_ns:
                total += qty * math.exp(-(t_ns - at) / self.refill_ns)
        return total

    def take(self, side: int, price_ticks: int, qty: float, t_ns: int) -> None:
        """Record that `qty` was taken at a level at `t_ns`."""
        self.takes.setdefault((side, price_ticks), []).append((t_ns, qty))

    def push(self, amount: float, t_ns: int) -> None:
        """Displace the mid by a share of `amount` (price units) from `t_ns` on."""
        self.pushes.append((t_ns, _DISPLACEMENT_SHARE * amount))

    def forget_before(self, t_ns: int) -> None:
        """Drop effects that have decayed to nothing by `t_ns`."""
        cutoff = t_ns - self.horizon_ns
        self.pushes = [p for p in self.pushes if p[0] >= cutoff]
        for key in list(self.takes):
            kept = [e for e in self.takes[key] if e[0] >= cutoff]
            if kept:
                self.takes[key] = kept
            else:
                del self.takes[key]
