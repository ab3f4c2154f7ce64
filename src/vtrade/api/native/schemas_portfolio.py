"""Response models of positions and the portfolio (hot state, curves, allocation, metrics)."""

from __future__ import annotations

from typing import Literal

from vtrade.api.native.schemas import ACCOUNT_ID, TS
from vtrade.api.native.types import Dec, Out, f


class PositionPublic(Out):
    symbol: str = f("Instrument symbol", "AAPL")
    asset_class: str = f("Asset class", "equity")
    side: Literal["long", "short"] = f("long or short", "long")
    qty: Dec = f("Signed quantity (negative when short)", "100")
    avg_entry_price: Dec = f("Average entry price (quote currency)", "189.4312")
    current_price: Dec = f("Mark price (quote currency)", "190.1050")
    currency: str = f("Quote currency", "USD")
    market_value: Dec = f("Signed value in VCR", "19010.50")
    cost_basis: Dec = f("Signed entry value in VCR", "18943.12")
    unrealized_pnl: Dec = f("Unrealized P&L in VCR", "67.38")
    unrealized_pnl_pct: float | None = f("Unrealized P&L over |cost basis|", 0.003557)
    realized_pnl: Dec = f("Realized P&L since the position opened, VCR", "0")
    weight: float = f("|value| / NAV", 0.019)
    group: str = f("Allocation group (sector or asset class)", "Technology")


class PositionList(Out):
    positions: list[PositionPublic]


class GroupWeightPublic(Out):
    group: str = f("Allocation group", "Technology")
    value: Dec = f("Gross value in VCR", "19010.50")
    weight: float = f("Share of gross exposure", 0.62)


class PortfolioPublic(Out):
    """An account's live state in VCR, updated on every tick by delta."""

    account_id: str = f("Account id", ACCOUNT_ID)
    as_of: str = f("Instant of the valuation (simulated)", TS)
    currency: str = f("Account currency", "VCR")
    profile: str = f("Realism profile", "realistic")
    nav: Dec = f("Net asset value", "1000123.45")
    cash: Dec = f("Cash", "980989.07")
    long_exposure: Dec = f("Value of long positions", "19134.38")
    short_exposure: Dec = f("Value of short positions (zero or negative)", "0")
    net_exposure: Dec = f("Long plus short", "19134.38")
    gross_exposure: Dec = f("Long minus short", "19134.38")
    margin_used: Dec = f("Initial margin of the positions", "9567.19")
    margin_available: Dec = f("NAV less initial margin", "990556.26")
    maintenance_margin: Dec = f("Maintenance requirement", "4783.60")
    margin_call: bool = f("Whether equity is below maintenance", False)
    day_pnl: Dec = f("P&L since the last close", "123.45")
    day_pnl_pct: float = f("Day P&L over the NAV at the last close", 0.000123)
    unrealized_pnl: Dec = f("Open P&L", "67.38")
    realized_pnl: Dec = f("Closed P&L net of every fee paid", "56.07")
    total_pnl: Dec = f("NAV less initial balance", "123.45")
    positions: list[PositionPublic]
    allocation: list[GroupWeightPublic]


class EquityPointPublic(Out):
    ts: str = f("Instant", TS)
    nav: Dec = f("NAV in VCR", "1000123.45")
    cash: Dec = f("Cash in VCR", "980989.07")
    kind: Literal["intraday", "close"] = f("Snapshot kind (the last point is live)", "intraday")


class HistoryPublic(Out):
    account_id: str = f("Account id", ACCOUNT_ID)
    window: Literal["1d", "7d", "30d", "1y"] = f("Window", "1d")
    base_value: Dec | None = f("NAV of the first point", "1000000")
    period_return: float | None = f("Last NAV over first NAV, less 1", 0.000123)
    points: list[EquityPointPublic]


class ExposurePublic(Out):
    group: str = f("Group name", "equity")
    gross: Dec = f("Sum of absolute values, VCR", "19134.38")
    net: Dec = f("Sum of signed values, VCR", "19134.38")
    weight: float = f("Share of gross exposure", 1.0)


class AllocationPublic(Out):
    account_id: str = f("Account id", ACCOUNT_ID)
    as_of: str = f("Instant of the valuation", TS)
    nav: Dec = f("NAV in VCR", "1000123.45")
    cash_weight: float = f("Cash / NAV", 0.98)
    gross: Dec = f("Gross exposure", "19134.38")
    net: Dec = f("Net exposure", "19134.38")
    long: Dec = f("Long exposure", "19134.38")
    short: Dec = f("Short exposure (zero or negative)", "0")
    by_group: list[GroupWeightPublic] = f("By sector (equities) or asset class", None)
    by_asset_class: list[ExposurePublic] = f("By asset class", None)
    by_symbol: list[GroupWeightPublic] = f("By instrument (weight of gross)", None)


class RiskPublic(Out):
    window: str = f("Window of daily closes", "1y")
    periods: int = f("Number of period returns", 42)
    total_return: float | None = f("Last NAV / first NAV - 1", 0.034)
    volatility: float | None = f("Annualized volatility", 0.12)
    sharpe: float | None = f("Annualized Sharpe ratio", 1.4)
    sortino: float | None = f("Annualized Sortino ratio", 2.1)
    max_drawdown: float = f("Largest fall from a peak, fraction", 0.031)
    max_drawdown_peak_at: str | None = f("When that peak was set", None)
    max_drawdown_trough_at: str | None = f("When that drawdown bottomed out", None)
    current_drawdown: float = f("Fall of the latest NAV from its running peak", 0.004)
    beta: float | None = f("Beta against SPY", 0.8)
    correlation: float | None = f("Correlation with SPY", 0.7)


class TradeStatsPublic(Out):
    count: int = f("Closed trades", 12)
    wins: int = f("Winning trades", 7)
    losses: int = f("Losing trades", 5)
    win_rate: float | None = f("wins / count", 0.583)
    gross_profit: Dec = f("Sum of winning P&L", "1234.56")
    gross_loss: Dec = f("Sum of losing P&L (positive)", "456.78")
    net_pnl: Dec = f("Net P&L of closed trades", "777.78")
    profit_factor: float | None = f("gross profit / gross loss", 2.7)
    average_win: Dec | None = f("Mean winning P&L", "176.37")
    average_loss: Dec | None = f("Mean losing P&L (negative)", "-91.36")
    largest_win: Dec | None = f("Largest win", "400.00")
    largest_loss: Dec | None = f("Largest loss", "-200.00")
    expectancy: Dec | None = f("Mean P&L per trade", "64.82")


class CostsPublic(Out):
    fills: int = f("Fills counted", 30)
    spread: Dec = f("Half-spread paid, VCR", "12.34")
    impact: Dec = f("Market impact paid, VCR", "5.67")
    fees: Dec = f("Fees paid, VCR", "8.90")
    total: Dec = f("Spread + impact + fees", "26.91")
    drift: Dec = f(
        "The market's move from the arrival mid while orders waited, VCR (either sign)", "3.10"
    )
    shortfall: Dec = f("Implementation shortfall: total + drift", "30.01")
    frictionless: Dec = f("Traded notional at arrival mids", "250000.00")
    cost_bps: float | None = f("total / frictionless in basis points", 1.08)
    by_profile: dict[str, CostsPublic] = f("Same figures per realism profile", None)


class MetricsPublic(Out):
    account_id: str = f("Account id", ACCOUNT_ID)
    as_of: str = f("Instant of the analysis", TS)
    rank: int | None = f("1-based NAV ranking among all accounts", 3)
    risk: RiskPublic
    trades: TradeStatsPublic
    execution_costs: CostsPublic
