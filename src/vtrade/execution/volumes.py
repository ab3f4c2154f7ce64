"""Each account's recent trading volume, for tiered fee schedules."""

from __future__ import annotations

import dataclasses
import functools
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime
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
    crypto: deque[tuple[int, Decimal, str]] = field(default_factory=deque)  # (t, usd, order)
    crypto_usd: Decimal = Decimal(0)  # the sum of `crypto`, kept as it changes (exact)
    # what each order's fills add to the volumes as they stand (this month's shares or FX
    # notional, the last 30 days' crypto): an order older than them adds less than it filled
    by_order: dict[str, Decimal] = field(default_factory=dict)
    # what each order filled on the trade date `day` (quantity; sum of price * qty): the
    # regulatory fees on sales are the trade date's, worked out on that day's fills
    day: date | None = None
    by_order_today: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

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
        instrument's quote currency. They are left as they are: an estimate asks about an
        instant (next month's open) later than the fills that may follow it."""
        then = self._at(t_ns)
        volumes = {
            "shares": then.month_shares,
            "fx": then.month_fx_usd,
            "crypto": then.crypto_usd,
        }
        bucket = _bucket(inst)
        if bucket is not None:
            own = then.by_order.get(order.id, Decimal(0))
            volumes[bucket] = max(volumes[bucket] - own, Decimal(0))
        day = trade_date(t_ns)
        today = (0, 0) if day != then.day else then.by_order_today.get(order.id, (0, 0))
        return FeeContext(
            month_shares=volumes["shares"],
            month_notional_usd=volumes["fx"],
            rolling_30d_usd=volumes["crypto"],
            order_filled_qty=order.filled_qty,
            order_filled_notional=order.filled_notional,
            commission_multiplier=commission_multiplier,
            trade_date=day,
            day_filled_qty=Decimal(today[0]),
            day_filled_notional=Decimal(today[1]),
        )

    def add(
        self, inst: Instrument, qty: Decimal, price: Decimal, fx: Decimal, t_ns: int, order_id: str
    ) -> None:
        """Count a fill of order `order_id` of `qty` at `price` (quote currency, `fx` VCR
        a unit). Fills come in time order."""
        self._roll(t_ns)
        day = trade_date(t_ns)
        if day != self.day:
            self.day, self.by_order_today = day, {}
        filled, value = self.by_order_today.get(order_id, (Decimal(0), Decimal(0)))
        self.by_order_today[order_id] = (filled + qty, value + qty * price)
        usd = fill_usd(inst, qty, price, fx)
        bucket = _bucket(inst)
        if bucket is None:
            return
        amount = qty * inst.multiplier if bucket == "shares" else abs(usd)
        if bucket == "shares":
            self.month_shares += amount
        elif bucket == "fx":
            self.month_fx_usd += amount
        else:
            self.crypto.append((t_ns, amount, order_id))
            self.crypto_usd += amount
        self.by_order[order_id] = self.by_order.get(order_id, Decimal(0)) + amount

    def _at(self, t_ns: int) -> Volumes:
        """These volumes as they stand at `t_ns`: themselves, or a copy rolled on to a later
        month or past expired crypto volume (`add` rolls them; a question does not)."""
        expired = self.crypto and self.crypto[0][0] < t_ns - 30 * NS_PER_DAY
        if not expired and _month(t_ns // NS_PER_HOUR) == self.month:
            return self
        later = dataclasses.replace(self, crypto=deque(self.crypto), by_order=dict(self.by_order))
        later._roll(t_ns)
        return later

    def _roll(self, t_ns: int) -> None:
        month = _month(t_ns // NS_PER_HOUR)
        if month != self.month:
            self.month, self.month_shares, self.month_fx_usd = month, Decimal(0), Decimal(0)
            crypto = {order for _, _, order in self.crypto}  # their window is not the month
            self.by_order = {k: v for k, v in self.by_order.items() if k in crypto}
        while self.crypto and self.crypto[0][0] < t_ns - 30 * NS_PER_DAY:
            _, amount, order = self.crypto.popleft()
            self.crypto_usd -= amount
            left = self.by_order[order] - amount
            if left:
                self.by_order[order] = left
            else:
                del self.by_order[order]


def fill_usd(inst: Instrument, qty: Decimal, price: Decimal, fx: Decimal) -> Decimal:
    """The VCR (USD) value a fill adds to the volumes: from its stored (rounded) price, so the
    running engine and a restart, which rebuilds from stored fills, count the same."""
    return qty * price * inst.multiplier * fx


def trade_date(t_ns: int) -> date:
    """New York's date at `t_ns`: the trade date dated fee rates go by."""
    return _new_york_day(t_ns // NS_PER_HOUR)


@functools.lru_cache(maxsize=64)
def _new_york_day(hour: int) -> date:
    return datetime.fromtimestamp(hour * 3_600, tz=NEW_YORK).date()


@functools.lru_cache(maxsize=64)
def _month(hour: int) -> str:
    """ "YYYY-MM" in New York, where brokers bill their months, of the UTC hour `hour` (hours
    since the epoch: New York is whole hours off UTC); asked twice per fill."""
    return _new_york_day(hour).strftime("%Y-%m")


def _bucket(inst: Instrument) -> str | None:
    """Which volume a fill of `inst` counts toward: US shares, FX notional, crypto notional."""
    if inst.asset_class in (AssetClass.EQUITY, AssetClass.ETF) and inst.venue in _US_VENUES:
        return "shares"
    if inst.asset_class is AssetClass.FX:
        return "fx"
    if inst.asset_class is AssetClass.CRYPTO:
        return "crypto"
    return None
