"""One account's hot state as stable result types: what the API, copilot and dashboard read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vtrade.core.money import cents
from vtrade.portfolio.valuation import Valuation


def money(value: float) -> Decimal:
    """A VCR amount from the float valuation, rounded to the cent at the boundary."""
    return cents(Decimal(repr(float(value))))


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionValue:
    symbol: str
    qty: Decimal
    avg_price: Decimal  # quote currency
    price: Decimal  # mark, quote currency
    value: Decimal  # signed, VCR
    unrealized_pnl: Decimal  # VCR
    weight: float  # |value| / NAV
    group: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupWeight:
    group: str
    value: Decimal  # gross, VCR
    weight: float  # share of gross exposure


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountState:
    """NAV, P&L, exposure and margin of one account at the latest prices (VCR)."""

    account_id: str
    nav: Decimal
    cash: Decimal
    net_exposure: Decimal
    gross_exposure: Decimal
    margin_used: Decimal
    margin_available: Decimal  # NAV less the initial margin of the positions
    maintenance: Decimal
    day_pnl: Decimal
    day_pnl_pct: float
    unrealized_pnl: Decimal
    realized_pnl: Decimal  # total P&L less unrealized: closed trades, net of every fee paid
    total_pnl: Decimal
    positions: tuple[PositionValue, ...]
    allocation: tuple[GroupWeight, ...]  # largest first


def account_state(valuation: Valuation, account_id: str) -> AccountState:
    """Derive the account's full state from the valuation (O(its positions))."""
    v, u = valuation, valuation.universe
    a = v.account_index(account_id)
    long, short = float(v.sides[2 * a]), float(v.sides[2 * a + 1])
    cash, net, gross, cost = float(v.cash[a]), long - short, long + short, float(v.cost[a])
    nav = cash + net - float(v.carry[a])
    margin = maintenance = 0.0
    positions: list[PositionValue] = []
    groups: dict[str, float] = {}
    for i, slot in v.holdings.of_account(a):
        qty = float(v.holdings.qty[slot])
        value = qty * float(v.unit_value[i])
        initial, needed = abs(value) * float(u.initial[i]), abs(value) * float(u.maintenance[i])
        if qty < 0 and u.short_rule[i]:  # a floor under both (`kernels.position_figures`)
            floor = v.kernels.short_stock_maintenance(-value, -qty)
            initial, needed = max(initial, floor), max(needed, floor)
        margin += initial
        maintenance += needed
        group = u.groups[int(u.group[i])]
        groups[group] = groups.get(group, 0.0) + abs(value)
        cost_value = float(v.holdings.cost_qty[slot]) * float(v.unit_cost[i])
        if u.settles_pnl[i]:  # a contract: its cost's FX move is not P&L (`Valuation.carry`)
            cost_value = float(v.holdings.carry_qty[slot]) * float(v.unit_rate[i])
        entry_fx = v.entry_fx.get((a, i), 1.0)
        avg = float(v.holdings.cost_qty[slot]) / qty / entry_fx if qty else 0.0
        inst = u.catalog.get(u.symbols[i])
        positions.append(
            PositionValue(
                symbol=u.symbols[i],
                qty=_plain(Decimal(repr(qty))),
                avg_price=Decimal(repr(avg)).quantize(inst.tick_size / 100),
                price=Decimal(repr(float(v.price[i]))).quantize(inst.tick_size / 100),
                value=money(value),
                unrealized_pnl=money(value - cost_value),
                weight=abs(value) / nav if nav > 0 else 0.0,
                group=group,
            )
        )
    positions.sort(key=lambda p: -abs(p.value))
    total_gross = sum(groups.values())
    allocation = tuple(
        GroupWeight(group=g, value=money(x), weight=x / total_gross if total_gross else 0.0)
        for g, x in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    if v.cash_only[a]:  # it borrows nothing: every position's whole value (`Valuation`)
        margin = sum(groups.values())
    day_open = float(v.day_open[a])
    # the P&L figures are differences of the rounded NAV, so that they add up to the cent
    # as shown (each rounded on its own, NAV 1,000,093.995 showed a total P&L of 93.99)
    shown_nav, unrealized = money(nav), money(net - cost - float(v.carry[a]))
    total = shown_nav - money(float(v.initial[a]))
    return AccountState(
        account_id=account_id,
        nav=shown_nav,
        cash=money(cash),
        net_exposure=money(net),
        gross_exposure=money(gross),
        margin_used=money(margin),
        margin_available=money(nav - margin),
        maintenance=money(maintenance),
        day_pnl=shown_nav - money(day_open),
        day_pnl_pct=(nav - day_open) / day_open if day_open > 0 else 0.0,
        unrealized_pnl=unrealized,
        realized_pnl=total - unrealized,
        total_pnl=total,
        positions=tuple(positions),
        allocation=allocation,
    )


def nav_of(valuation: Valuation, account_id: str) -> float:
    a = valuation.account_index(account_id)
    v = valuation
    return float(v.cash[a] + v.sides[2 * a] - v.sides[2 * a + 1] - v.carry[a])


def _plain(qty: Decimal) -> Decimal:
    """A quantity in plain notation: 1000 rather than 1E+3, 0.5 rather than 0.50."""
    return qty.quantize(Decimal(1)) if qty == qty.to_integral_value() else qty.normalize()
