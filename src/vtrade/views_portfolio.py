"""Portfolio reports as JSON-ready dicts and as rich tables (CLI, demo)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from vtrade.app.portfolio_queries import PortfolioReport
from vtrade.core.clock import iso


def plain(value: Any) -> Any:
    """Dataclasses, Decimals (as strings), enums and containers as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


def report_dict(report: PortfolioReport) -> dict[str, Any]:
    data: dict[str, Any] = plain(report)
    data["curve"]["points"] = [
        {"ts": iso(p.ts_ns), "nav": str(p.nav), "kind": p.kind.value} for p in report.curve.points
    ]
    return data


def summary_table(reports: Mapping[str, PortfolioReport], title: str = "Portfolios") -> Table:
    """One row per account: NAV, P&L, exposure, margin, top allocation, costs, rank."""
    table = Table(title=title)
    columns = ("Account", "NAV", "Day P&L", "Unrealized", "Realized", "Gross", "Margin used")
    for col in (*columns, "Largest group", "Costs paid", "Rank"):
        table.add_column(col, justify="left" if col in ("Account", "Largest group") else "right")
    for name, r in reports.items():
        s = r.state
        top = s.allocation[0] if s.allocation else None
        table.add_row(
            name,
            f"{s.nav:,}",
            f"{s.day_pnl:+,} ({s.day_pnl_pct:+.2%})",
            f"{s.unrealized_pnl:+,}",
            f"{s.realized_pnl:+,}",
            f"{s.gross_exposure:,}",
            f"{s.margin_used:,}",
            f"{top.group} {top.weight:.0%}" if top else "",
            f"{r.costs.total:,}",
            str(r.rank or ""),
        )
    return table


def print_report(console: Console, name: str, r: PortfolioReport) -> None:
    """The full picture of one account: summary, positions, allocation, risk, trades."""
    console.print(summary_table({name: r}, title=f"Portfolio {r.state.account_id}"))
    positions = Table(title="Positions")
    for col in ("Symbol", "Qty", "Avg", "Price", "Value", "Unrealized", "Weight", "Group"):
        positions.add_column(col, justify="left" if col in ("Symbol", "Group") else "right")
    for p in r.state.positions:
        positions.add_row(
            p.symbol,
            str(p.qty),
            str(p.avg_price),
            str(p.price),
            f"{p.value:,}",
            f"{p.unrealized_pnl:+,}",
            f"{p.weight:.1%}",
            p.group,
        )
    console.print(positions)
    risk, t, c = r.risk, r.trades, r.costs
    console.print(
        f"risk (1y daily): return {_pct(risk.total_return)}, volatility {_pct(risk.volatility)},"
        f" Sharpe {_num(risk.sharpe)}, Sortino {_num(risk.sortino)},"
        f" max drawdown {risk.max_drawdown:.2%}, beta {_num(risk.beta)}"
    )
    console.print(
        f"closed trades: {t.count} (win rate {_pct(t.win_rate)}, profit factor"
        f" {_num(t.profit_factor)}, net {t.net_pnl:+,})"
    )
    console.print(
        f"execution costs: spread {c.spread:,} + impact {c.impact:,} + fees {c.fees:,} ="
        f" {c.total:,} VCR ({_num(c.cost_bps)} bp of traded value; frictionless: 0);"
        f" with the market's drift while orders waited ({c.drift:+,}), shortfall"
        f" {c.shortfall:,} VCR"
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
