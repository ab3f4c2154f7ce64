"""Each account's recent trading volume, for tiered fee schedules."""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from vtrade.core.clock import NS_PER_DAY
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.orders import Order
from vtrade.execution.fees import FeeContext

_US_VENUES = ("XNAS", "XNYS", "ARCX")


@dataclass(slots=True)
class Volumes:
    month: str = ""
    month_shares: Decimal = Decimal(0)
    month_fx_usd: Decimal = Decimal(0)
    crypto: deque[tuple[int, Decimal]] = field(default_factory=deque)

    def context(
        self, t_ns: int, order: Order, commission_multiplier: Decimal = Decimal(1)
    ) -> FeeContext:
        """The fee context of a fill of `order` at `t_ns`: this account's volumes before it,
        what the order's earlier fills filled, and the profile's commission multiplier."""
        self._roll(t_ns)
        return FeeContext(
            month_shares=self.month_shares,
            month_notional_usd=self.month_fx_usd,
            rolling_30d_usd=sum((usd for _, usd in self.crypto), Decimal(0)),
            order_filled_qty=order.filled_qty,
            order_filled_notional=order.filled_notional,
            commission_multiplier=commission_multiplier,
        )

    def add(self, inst: Instrument, qty: Decimal, usd: Decimal, t_ns: int) -> None:
        """Count a fill of `qty` worth `usd`."""
        self._roll(t_ns)
        if inst.asset_class in (AssetClass.EQUITY, AssetClass.ETF) and inst.venue in _US_VENUES:
            self.month_shares += qty
        elif inst.asset_class is AssetClass.FX:
            self.month_fx_usd += abs(usd)
        elif inst.asset_class is AssetClass.CRYPTO:
            self.crypto.append((t_ns, abs(usd)))

    def _roll(self, t_ns: int) -> None:
        month = _month(t_ns // NS_PER_DAY)
        if month != self.month:
            self.month, self.month_shares, self.month_fx_usd = month, Decimal(0), Decimal(0)
        while self.crypto and self.crypto[0][0] < t_ns - 30 * NS_PER_DAY:
            self.crypto.popleft()


@functools.lru_cache(maxsize=64)
def _month(day: int) -> str:
    """ "YYYY-MM" of the UTC day `day` (days since the epoch); asked twice per fill."""
    return datetime.fromtimestamp(day * 86_400, tz=UTC).strftime("%Y-%m")
