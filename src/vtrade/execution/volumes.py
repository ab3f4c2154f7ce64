"""Each account's recent trading volume, for tiered fee schedules."""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from vtrade.core.clock import NS_PER_DAY, NS_PER_HOUR
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.orders import Order
from vtrade.execution.fees import FeeContext
from vtrade.market.sessions_build import NEW_YORK

_US_VENUES = ("XNAS", "XNYS", "ARCX")


@dataclass(slots=True)
class Volumes:
    month: str = ""
    month_shares: Decimal = Decimal(0)
    month_fx_usd: Decimal = Decimal(0)
    crypto: deque[tuple[int, Decimal]] = field(default_factory=deque)
    crypto_usd: Decimal = Decimal(0)  # the sum of `crypto`, kept as it changes (exact)

    def context(
        self,
        t_ns: int,
        order: Order,
        inst: Instrument,
        fx: Decimal,
        commission_multiplier: Decimal = Decimal(1),
    ) -> FeeContext:
        """The fee context of a fill of `order` at `t_ns`: this account's volumes without the
        order's own earlier fills (an order pays the tier its account had, as the estimate
        quotes it, not a lower one its own first fills earned), what those fills filled, and
        the profile's commission multiplier. `fx` is the VCR (USD) value of one unit of the
        instrument's quote currency."""
        self._roll(t_ns)
        volumes = {
            "shares": self.month_shares,
            "fx": self.month_fx_usd,
            "crypto": self.crypto_usd,
        }
        bucket = _bucket(inst)
        if bucket is not None:
            own = order.filled_qty if bucket == "shares" else order.filled_notional * fx
            volumes[bucket] = max(volumes[bucket] - own * inst.multiplier, Decimal(0))
        return FeeContext(
            month_shares=volumes["shares"],
            month_notional_usd=volumes["fx"],
            rolling_30d_usd=volumes["crypto"],
            order_filled_qty=order.filled_qty,
            order_filled_notional=order.filled_notional,
            commission_multiplier=commission_multiplier,
        )

    def add(self, inst: Instrument, qty: Decimal, usd: Decimal, t_ns: int) -> None:
        """Count a fill of `qty` worth `usd`."""
        self._roll(t_ns)
        bucket = _bucket(inst)
        if bucket == "shares":
            self.month_shares += qty
        elif bucket == "fx":
            self.month_fx_usd += abs(usd)
        elif bucket == "crypto":
            self.crypto.append((t_ns, abs(usd)))
            self.crypto_usd += abs(usd)

    def _roll(self, t_ns: int) -> None:
        month = _month(t_ns // NS_PER_HOUR)
        if month != self.month:
            self.month, self.month_shares, self.month_fx_usd = month, Decimal(0), Decimal(0)
        while self.crypto and self.crypto[0][0] < t_ns - 30 * NS_PER_DAY:
            self.crypto_usd -= self.crypto.popleft()[1]


@functools.lru_cache(maxsize=64)
def _month(hour: int) -> str:
    """ "YYYY-MM" in New York, where brokers bill their months, of the UTC hour `hour` (hours
    since the epoch: New York is whole hours off UTC); asked twice per fill."""
    return datetime.fromtimestamp(hour * 3_600, tz=NEW_YORK).strftime("%Y-%m")


def _bucket(inst: Instrument) -> str | None:
    """Which volume a fill of `inst` counts toward: US shares, FX notional, crypto notional."""
    if inst.asset_class in (AssetClass.EQUITY, AssetClass.ETF) and inst.venue in _US_VENUES:
        return "shares"
    if inst.asset_class is AssetClass.FX:
        return "fx"
    if inst.asset_class is AssetClass.CRYPTO:
        return "crypto"
    return None
