"""L2 depth and shared liquidity: consumption, refill and a displaced mid that relaxes back.

Depth follows the latent-liquidity profile behind the square-root law: the quantity resting
between the best price and a relative distance x beyond it is
`D(x) = V * (x / ((1 + alpha) * gamma)) ** (1 / alpha)`, so a market order of size Q that walks
the book pays on average `gamma * (Q / V) ** alpha` beyond the touch (DESIGN.md §5): the depth a
user sees explains the price they got. Orders within the top level pay the spread only.

Liquidity is shared: what an order takes is gone for everyone, then refills exponentially
with time constant `refill_s`; the mid is pushed by half the impact paid and relaxes back as
1/sqrt(1 + t/tau) (the double square-root law), fading out within the hour. What one side
gave our orders lately (fading over hours: the latent liquidity a metaorder used up) holds
the mid where the square-root law puts a metaorder of that size, where walks fell short of
it: slices within the touch move the price too (`Liquidity.flow`).
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

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
_TOUCH_IMPACT = 0.001  # 10 bp: the most the square-root law may charge for the touch's size
# exp(-t/600)/sqrt(1 + t/20) as a sum of exponentials (max error 0.2% over an hour)
_RELAX_TAUS = (4.0, 20.0, 90.0, 400.0, 1200.0)
_RELAX_WEIGHTS = (0.03333, 0.31069, 0.3736, 0.27618, 0.00834)
_DISPLACEMENT_SHARE = 0.5
_FLOW_TAU_S = 14400.0  # latent liquidity a metaorder used up comes back over hours
_FLOW_SHARE = 1.0  # of the square-root law's impact its flow holds the mid at


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

    def metaorder_impact(self, units: float, price: float) -> float:
        """The square-root law's impact (price units) of `units` traded by one side: what a
        metaorder of that size has moved the price by the time it is done."""
        return price * self.gamma * (max(units, 0.0) / self.adv) ** self.alpha

    def worked_impact(self, done: float, slices: Sequence[tuple[float, float]]) -> float:
        """The average impact beyond the touch, as a fraction of the mid, of a remainder worked
        in `slices` (units, and the seconds since the slice before: a lunch break's too) after
        `done` was taken at once, as `Liquidity.flow` moves the mid: along the law as it
        fills, fading as the latent book comes back (the walks' own pushes left out)."""
        flow, held = done, self.metaorder_impact(done, 1.0)
        paid = total = 0.0
        for units, waited_s in slices:
            fade = math.exp(-waited_s / _FLOW_TAU_S)
            flow, before = flow * fade, held * fade
            held = before + self.metaorder_impact(flow + units, 1.0)
            held -= self.metaorder_impact(flow, 1.0)
            flow += units
            paid += units * (before + held) / 2
            total += units
        return paid / total if total else 0.0

    def step_ticks(self, price: float) -> int:
        """Distance between book levels at `price`, in ticks (about half the typical spread)."""
        return max(1, round(self.half_spread * price / self.tick))

    def top_size(self, price: float) -> float:
        """Typical size at the touch: a little under the first level beyond it, with a floor."""
        units = self.floor_notional / max(price, 1e-12)
        floor = max(self.floor_least, round(units / self.unit) * self.unit)
        return max(floor, 0.8 * self.level_sizes(price, 2, 1.0)[0])

    def level_sizes(self, touch: float, levels: int, depth_mult: float) -> list[float]:
        """Sizes of levels 1..levels-1 beyond the touch price `touch` (level 0 is the quote)."""
        rel = self.step_ticks(touch) * self.tick / max(touch, 1e-12)
        power = 1.0 / self.alpha
        scale = self.adv * (rel / ((1.0 + self.alpha) * self.gamma)) ** power * depth_mult
        return [scale * x for x in _shape(power, levels)]


@functools.lru_cache(maxsize=64)
def _shape(power: float, levels: int) -> tuple[float, ...]:
    """(k + 1/2)^p - (k - 1/2)^p for k = 1..levels-1: the depth profile's level pattern."""
    return tuple((k + 0.5) ** power - (k - 0.5) ** power for k in range(1, levels))


def _touch_notional(inst: Instrument) -> float:
    """Notional at the touch in quote currency (FX: base units times price, about 1M). No more
    than an order its own impact law prices `_TOUCH_IMPACT` beyond the touch: a thin coin's
    touch held 50,000 dollars, 3.7% of SHIB-USD's day, for which its law says 88 bp."""
    m = inst.market
    if inst.asset_class is AssetClass.FX:
        return _FX_TOUCH_UNITS * float(m.reference_price)
    scale = float(inst.multiplier) / (100.0 if inst.currency == "GBX" else 1.0)
    day = m.avg_daily_volume * float(m.reference_price) * scale
    law = day * (_TOUCH_IMPACT / m.impact_gamma) ** (1.0 / m.impact_alpha)
    return min(_TOUCH_NOTIONAL[inst.asset_class], law)


def horizon_ns(tau_ns: float) -> int:
    """How long an amount decaying with time constant `tau_ns` is remembered (e^-40: nothing)."""
    return int(40 * tau_ns)


# How long our orders' consumption leaves a trace: the flow's fading (`Liquidity.flow`), the
# slowest; a restart replays the takes of that long ago, so its books equal a run's that never
# stopped. History kept for queries at past instants: the pushes' memory is plenty.
MEMORY_NS = horizon_ns(_FLOW_TAU_S * NS_PER_SECOND)
_HISTORY_NS = horizon_ns(max(_RELAX_TAUS) * NS_PER_SECOND)


class Decaying:
    """A sum of amounts that each decay exponentially, with its history kept for queries at
    past instants: `value(t)` sees exactly the amounts added at or before `t`, in O(log n).

    Several time constants with weights approximate other decay shapes.
    """

    __slots__ = ("_taus", "_weights", "_times", "_amounts", "_states", "horizon_ns")

    def __init__(
        self,
        taus_ns: tuple[float, ...],
        weights: tuple[float, ...] = (1.0,),
        history_ns: int | None = None,
    ) -> None:
        self._taus = taus_ns
        self._weights = weights
        # history kept for queries at past instants (values later on need none of it)
        self.horizon_ns = horizon_ns(max(taus_ns)) if history_ns is None else history_ns
        self._times: list[int] = []
        self._amounts: list[float] = []
        self._states: list[tuple[float, ...]] = []  # components just after each entry

    def __bool__(self) -> bool:
        return bool(self._times)

    def value(self, t_ns: int) -> float:
        i = bisect.bisect_right(self._times, t_ns) - 1
        if i < 0:
            return 0.0
        if len(self._taus) == 1:  # one time constant (a level refilling): no tuples needed
            return self._states[i][0] * math.exp((self._times[i] - t_ns) / self._taus[0])
        return sum(self._decayed(i, t_ns))

    def add(self, t_ns: int, amount: float) -> None:
        """Add `amount` at `t_ns`; entries after it (an amount that arrived late) are redone."""
        i = bisect.bisect_right(self._times, t_ns)
        self._times.insert(i, t_ns)
        self._amounts.insert(i, amount)
        self._states.insert(i, ())
        for j in range(i, len(self._times)):
            before = self._decayed(j - 1, self._times[j]) if j else (0.0,) * len(self._taus)
            amount = self._amounts[j]
            self._states[j] = tuple(
                [b + amount * w for b, w in zip(before, self._weights, strict=True)]
            )
        self.forget(self._times[-1] - self.horizon_ns)

    def forget(self, before_ns: int) -> None:
        """Drop history that no query at or after `before_ns` needs."""
        keep = bisect.bisect_right(self._times, before_ns) - 1
        if keep > 0:
            del self._times[:keep], self._amounts[:keep], self._states[:keep]

    @property
    def last_ns(self) -> int:
        return self._times[-1] if self._times else 0

    def _decayed(self, i: int, t_ns: int) -> tuple[float, ...]:
        age = t_ns - self._times[i]
        return tuple(  # a list first: quicker than a generator for a handful of items
            [v * math.exp(-age / tau) for v, tau in zip(self._states[i], self._taus, strict=True)]
        )


def _flow_history() -> Decaying:
    return Decaying((_FLOW_TAU_S * NS_PER_SECOND,), history_ns=_HISTORY_NS)


@dataclass(slots=True)
class Liquidity:
    """What our own orders have taken from one instrument's book, and how it comes back.

    Takes refill exponentially per level; pushes of the mid relax as
    exp(-t/600 s)/sqrt(1 + t/20 s), fitted as a sum of exponentials. Both are `Decaying`
    histories, so a query at any instant sees exactly the orders placed at or before it.
    """

    refill_ns: float
    takes: dict[tuple[int, int], Decaying] = field(default_factory=dict)
    pushes: Decaying = field(
        default_factory=lambda: Decaying(
            tuple(t * NS_PER_SECOND for t in _RELAX_TAUS), _RELAX_WEIGHTS
        )
    )
    # What our orders took lately, by side of the book (units, decaying as the latent
    # liquidity they used up comes back), and the displacement of the mid it holds: a
    # metaorder worked in slivers the touch absorbs moves the price all the same.
    flows: dict[int, Decaying] = field(default_factory=dict)
    flow_pushes: Decaying = field(default_factory=_flow_history)
    # No level's last take is older than this (a bound, not exact): spares `forget_before`
    # its scan of every level while nothing can be stale.
    oldest_ns: int = 0

    @classmethod
    def for_instrument(cls, inst: Instrument) -> Liquidity:
        return cls(refill_ns=_REFILL_SECONDS[inst.asset_class] * NS_PER_SECOND)

    def displacement(self, t_ns: int) -> float:
        """Mid displacement in force at `t_ns` from the pushes made at or before it."""
        walked = self.pushes.value(t_ns) if self.pushes else 0.0
        return walked + (self.flow_pushes.value(t_ns) if self.flow_pushes else 0.0)

    def taken_at(self, side: int, price_ticks: int, t_ns: int) -> float:
        """Quantity still missing at a level: what was taken, less what has refilled since."""
        level = self.takes.get((side, price_ticks))
        return level.value(t_ns) if level is not None else 0.0

    def take(self, side: int, price_ticks: int, qty: float, t_ns: int) -> None:
        """Record that `qty` was taken at a level at `t_ns`."""
        level = self.takes.get((side, price_ticks))
        if level is None:
            level = self.takes[(side, price_ticks)] = Decaying((self.refill_ns,))
            self.oldest_ns = min(self.oldest_ns, t_ns) if len(self.takes) > 1 else t_ns
        level.add(t_ns, qty)

    def push(self, amount: float, t_ns: int) -> None:
        """Displace the mid by a share of `amount` (price units) from `t_ns` on."""
        self.pushes.add(t_ns, _DISPLACEMENT_SHARE * amount)

    def flow(
        self, model: DepthModel, side: int, units: float, price: float, walked: float, t_ns: int
    ) -> None:
        """Record `units` taken from `side` at `t_ns` (about `price`), whose walk pushed the
        mid by `walked` (price units): the mid is moved on to where the square-root law puts
        a metaorder of what this side took lately, where the walk fell short of it."""
        taken = self.flows.get(side)
        if taken is None:
            taken = self.flows[side] = _flow_history()
        before = taken.value(t_ns)
        taken.add(t_ns, units)
        rise = model.metaorder_impact(before + units, price) - model.metaorder_impact(before, price)
        extra = _FLOW_SHARE * rise - abs(_DISPLACEMENT_SHARE * walked)
        if extra > 0:
            self.flow_pushes.add(t_ns, side * extra)

    def forget_before(self, t_ns: int) -> bool:
        """Drop levels whose last take has long refilled by `t_ns` (checked now and then);
        tell whether any was dropped."""
        if len(self.takes) < 256:
            return False
        cutoff = t_ns - horizon_ns(self.refill_ns)  # every level decays with `refill_ns`
        if cutoff <= self.oldest_ns:
            return False
        lasts = {k: v.last_ns for k, v in self.takes.items()}
        stale = [k for k, last in lasts.items() if last < cutoff]
        for key in stale:
            del self.takes[key], lasts[key]
        self.oldest_ns = min(lasts.values(), default=t_ns)
        return bool(stale)
