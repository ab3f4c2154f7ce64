"""Mark-to-market views of an account: FX conversion, NAV, exposure and margin.

Cash is kept in the account currency (VCR = USD). Positions are valued at the untouched mid
of their instrument converted at the mid of the FX pair that prices their quote currency. A
contract that settles P&L (`Instrument.settles_pnl`) adds to NAV its cost, at the rate it was
paid at, and its price move, at today's rate; its exposure and margin are its whole value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from vtrade.domain.accounts import Account, Position
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.margin import short_rule_applies, short_stock_maintenance
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OCO_WITH, Order
from vtrade.market.books import Touch, to_price
from vtrade.market.catalog import Catalog

ONE = Decimal(1)


def exact_mid(touch: Touch, tick: Decimal) -> Decimal:
    """The mid of a touch in exact decimals, from its prices on the tick grid: (89.29 + 89.31)
    / 2 is 89.30, where the float mid is 89.30000000000001 and would carry its noise into
    prices, FX rates and messages."""
    return (to_price(touch.bid, tick) + to_price(touch.ask, tick)) / 2


class Known:
    """What marks at earlier instants derived from a touch, kept while the touch stands: the
    feed's touch of a symbol changes at its ticks, not at every instant an order comes in, so
    marks at a new instant reuse the mid, FX rate and terms of an unchanged touch. Entries are
    checked by identity (the feed answers an unchanged touch with the same object, and the
    entry holds it, so no other object can take its identity)."""

    def __init__(self) -> None:
        self.mids: dict[str, tuple[Touch, Decimal]] = {}
        self.fx: dict[str, tuple[Decimal, Decimal]] = {}  # by currency: (pair's mid, rate)
        self.terms: dict[str, tuple[Decimal, Decimal, MarginRates, _Terms]] = {}


class Marks:
    """Mid prices and FX rates at one instant, looked up lazily and remembered (`known`: what
    earlier instants derived from touches that still stand)."""

    def __init__(
        self,
        catalog: Catalog,
        touch: Callable[[str, int], Touch],
        t_ns: int,
        known: Known | None = None,
    ) -> None:
        self._catalog = catalog
        self._touch = touch
        self.t_ns = t_ns
        self._known = known or Known()
        self._mids: dict[str, Decimal] = {}
        self._fx: dict[str, Decimal] = {}
        self._terms: dict[str, _Terms] = {}

    def mid(self, symbol: str) -> Decimal:
        mid = self._mids.get(symbol)
        if mid is None:
            touch = self._touch(symbol, self.t_ns)
            known = self._known.mids.get(symbol)
            if known is not None and known[0] is touch:
                mid = known[1]
            else:
                mid = exact_mid(touch, self._catalog.get(symbol).tick_size)
                self._known.mids[symbol] = (touch, mid)
            self._mids[symbol] = mid
        return mid

    def instrument(self, symbol: str) -> Instrument:
        return self._catalog.get(symbol)

    def fx(self, currency: str) -> Decimal:
        """Value in VCR of one unit of `currency`."""
        rate = self._fx.get(currency)
        if rate is None:
            pair, invert, scale = self._catalog.usd_conversion(currency)
            if pair is None:
                rate = scale
            else:
                mid = self.mid(pair)
                known = self._known.fx.get(currency)
                if known is not None and known[0] is mid:
                    rate = known[1]
                else:
                    rate = (ONE / mid if invert else mid) * scale
                    self._known.fx[currency] = (mid, rate)
            self._fx[currency] = rate
        return rate

    def value(self, inst: Instrument, qty: Decimal, price: Decimal | None = None) -> Decimal:
        """Signed VCR value of `qty` units at `price` (default: the mid)."""
        p = self._mids.get(inst.symbol) if price is None else price  # asked per position
        if p is None:
            p = self.mid(inst.symbol)
        fx = self._fx.get(inst.currency)
        if fx is None:
            fx = self.fx(inst.currency)
        return qty * p * inst.multiplier * fx

    def terms(self, symbol: str, rates: MarginRates) -> _Terms:
        """What valuing a position in `symbol` takes, looked up once per instant: the account
        view asks for every position of every order. `rates` are the engine's (the same for
        every call on these marks)."""
        terms = self._terms.get(symbol)
        if terms is None:
            inst = self._catalog.get(symbol)
            mid, fx = self.mid(symbol), self.fx(inst.currency)
            known = self._known.terms.get(symbol)
            if known is not None and known[0] is mid and known[1] is fx and known[2] is rates:
                terms = known[3]
            else:
                initial, maintenance = rates.of(inst)
                terms = _Terms(
                    mid,
                    inst.multiplier,
                    fx,
                    initial,
                    maintenance,
                    inst.settles_pnl,
                    short_rule_applies(inst),
                )
                self._known.terms[symbol] = (mid, fx, rates, terms)
            self._terms[symbol] = terms
        return terms


class _Terms(NamedTuple):
    mid: Decimal
    multiplier: Decimal
    fx: Decimal
    initial: Decimal  # margin rates
    maintenance: Decimal
    settles_pnl: bool  # see `Instrument.settles_pnl`
    # a short needs at least `short_stock_maintenance`, as maintenance (`requirement`) and as
    # initial margin (FINRA 4210(b): no short is entered under its maintenance)
    short_rule: bool

    def requirement(self, value: Decimal, qty: Decimal) -> Decimal:
        """Maintenance margin of `qty` units worth `value` (signed VCR, at these terms)."""
        size = abs(value)
        needed = size * self.maintenance
        if qty < 0 and self.short_rule:
            return max(needed, short_stock_maintenance(size, -qty))
        return needed


@dataclass(frozen=True, slots=True)
class AccountView:
    """NAV, exposure and margin of one account at one instant (all VCR)."""

    nav: Decimal
    cash: Decimal
    gross: Decimal
    net: Decimal
    margin_used: Decimal  # initial requirement of positions
    maintenance: Decimal
    values: Mapping[str, Decimal]  # signed value per symbol
    # What a buy paid in cash (not marginable, or a cash-only account's) may spend: the cash
    # without what open contracts (FX, futures, indices) moved through it, since a long one
    # borrows nothing and a short one deposits nothing; a cash-only account paid them in full.
    spendable_cash: Decimal
    # What each position adds to NAV: its value, or a contract's cost at its entry rate plus
    # its P&L at today's (its value less `Position.fx_carry`): cash plus these is NAV.
    marked: Mapping[str, Decimal]

    @property
    def buying_power(self) -> Decimal:
        return self.nav - self.margin_used


def view(
    account: Account,
    positions: Iterable[Position],
    marks: Marks,
    rates: MarginRates,
) -> AccountView:
    """Value the account's positions at `marks` and derive NAV and margin."""
    values: dict[str, Decimal] = {}
    marked: dict[str, Decimal] = {}
    margin = maintenance = gross = net = carry = passed = Decimal(0)
    cash_only = account.cash_only
    for pos in positions:
        qty = pos.qty
        if not qty:
            continue
        terms = marks.terms(pos.symbol, rates)
        mid, multiplier, fx, initial, maint, settles_pnl, short_rule = terms
        if cash_only:
            initial = ONE
        v = values[pos.symbol] = qty * mid * multiplier * fx  # as `Marks.value` computes it
        size = abs(v)
        if short_rule and qty < 0:  # FINRA's floor under both requirements (`requirement`)
            floor = short_stock_maintenance(size, -qty)
            margin += max(size * initial, floor)
            maintenance += max(size * maint, floor)
        else:
            margin += size * initial
            maintenance += size * maint
        gross += size  # in position order, as a sum over `values` would add them
        net += v
        marked[pos.symbol] = v
        if settles_pnl:
            owed = pos.fx_carry(qty, multiplier, fx)
            carry += owed
            marked[pos.symbol] = v - owed
            passed += pos.entry_cost(multiplier)
    nav = account.cash + net - carry
    spendable = account.cash if cash_only else account.cash + passed
    return AccountView(
        nav, account.cash, gross, net, margin, maintenance, values, spendable, marked
    )


@dataclass(frozen=True, slots=True)
class MarginRates:
    """One venue's rules for (initial, maintenance) margin rates. `Marks.terms` asks once per
    symbol and instant, and `margin_rates` remembers the arithmetic."""

    leverage: Mapping[AssetClass, Decimal]
    maintenance_floor: Decimal

    def of(self, inst: Instrument) -> tuple[Decimal, Decimal]:
        return margin_rates(inst, self.leverage, self.maintenance_floor)


def initial_rate(inst: Instrument, leverage: Mapping[AssetClass, Decimal]) -> Decimal:
    """Initial margin as a share of value: 1/leverage, or all of it for cash-only instruments."""
    if not inst.marginable:
        return ONE
    return ONE / leverage.get(inst.asset_class, ONE)


def margin_rates(
    inst: Instrument, leverage: Mapping[AssetClass, Decimal], maintenance_floor: Decimal
) -> tuple[Decimal, Decimal]:
    """(initial, maintenance) margin as shares of value. `maintenance_floor` is the rate at
    2:1 (Reg T's 25% of a 50% initial) and scales with the initial requirement, so the default
    stays at half of it at any leverage: 2.5% for FX at 20:1 (a setting above 0.5 puts
    maintenance over the initial margin: a stress test). A cash-only instrument (crypto) has
    no loan value, as under Reg T: its maintenance is all of it, or twice the setting's."""
    lev = leverage.get(inst.asset_class, ONE)
    return _rates(inst.marginable, str(lev), str(maintenance_floor))


@functools.lru_cache(maxsize=256)
def _rates(marginable: bool, leverage: str, maintenance_floor: str) -> tuple[Decimal, Decimal]:
    # Asked for every position of every order. Keyed by the Decimals' text: equal Decimals
    # may differ in their digits, and the digits show in receipts and messages.
    if not marginable:
        return ONE, max(ONE, 2 * Decimal(maintenance_floor))
    initial = ONE / Decimal(leverage)
    return initial, 2 * Decimal(maintenance_floor) * initial


def signed(side: Side, qty: Decimal) -> Decimal:
    return qty if side is Side.BUY else -qty


def open_quantity(orders: Iterable[Order], symbol: str, side: Side) -> Decimal:
    """What `orders` on `side` of `symbol` have left to fill."""
    return sum((o.remaining for o in orders if o.symbol == symbol and o.side is side), Decimal(0))


def holding_ids(orders: Iterable[Order], symbol: str, side: Side) -> list[str]:
    """The ids of `orders` on `side` of `symbol` with something left to fill, and of the
    other order of each one-cancels-other pair among them (counted once, both hold it):
    Alpaca's `related_orders`, the orders to cancel to free a position."""
    ids: dict[str, None] = {}  # in order, each once
    for o in orders:
        if o.symbol == symbol and o.side is side and o.remaining > 0:
            ids[o.id] = None
            other = o.extra.get(OCO_WITH) if o.extra else None
            if other is not None:
                ids[other] = None
    return list(ids)
