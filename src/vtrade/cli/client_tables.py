"""Tables of what the server answers the trading commands (its JSON: decimals as strings)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from rich.table import Table
from rich.text import Text

Row = dict[str, Any]
Column = tuple[str, Callable[[Row], str]]


def money(value: str | None) -> str:
    """An amount in VCR as a person reads it: 1,000,000.00."""
    return "" if value is None else f"{Decimal(value):,.2f}"


def percent(value: float | None, sign: str = "") -> str:
    return "" if value is None else f"{value:{sign}.2%}"


def when(value: str | None) -> str:
    """An instant to the second: 2026-11-18 15:00:00Z."""
    return "" if value is None else value[:19].replace("T", " ") + "Z"


def yes(value: bool) -> str:
    return "yes" if value else "no"


def _pairs(title: str, pairs: Sequence[tuple[str, str]]) -> Table:
    """A two-column table of labels and values, leaving out empty values."""
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for label, value in pairs:
        if value:
            table.add_row(label, Text(value))
    return table


def _at(name: str) -> Callable[[Row], str]:
    """The cell of a field shown as the server wrote it."""
    return lambda item: str(item[name])


def _priced(name: str) -> Callable[[Row], str]:
    """The cell of a price, in its currency."""
    return lambda item: f"{item[name]} {item['currency']}"


def _receipt(name: str) -> Callable[[Row], str]:
    """The cell of a field of a fill's receipt."""
    return lambda fill: str(fill["receipt"][name])


def _cost(name: str) -> Callable[[Row], str]:
    """The cell of a cost of a fill's receipt, in the fill's currency."""
    return lambda fill: f"{fill['receipt'][name]} {fill['currency']}"


WHAT = [("symbol", _at("symbol")), ("side", _at("side")), ("qty", _at("qty"))]


def _rows(title: str, items: Sequence[Row], columns: Sequence[Column]) -> Table:
    """A table of `items`, a column a (label, cell) pair; numbers are aligned right."""
    table = Table(title=title)
    for label, _ in columns:
        numeric = label in NUMERIC
        table.add_column(
            label,
            justify="right" if numeric else "left",
            no_wrap=label.endswith("id"),
            overflow="fold",
        )
    for item in items:
        table.add_row(*(Text(cell(item)) for _, cell in columns))
    return table


NUMERIC = {"qty", "filled", "avg price", "price", "avg entry"}
NUMERIC |= {"market value VCR", "unrealized P&L VCR"}
NUMERIC |= {"P&L %", "weight", "fee", "value VCR", "arrival mid", "spread", "impact", "slippage bp"}


def account(a: Row) -> Table:
    """The key's account (GET /account)."""
    rules = [
        rule
        for rule, on in (
            ("trading suspended", a["trading_suspended"]),
            ("no shorting", a["no_shorting"]),
            ("cash only", a["cash_only"]),
        )
        if on
    ]

    def amount(name: str) -> str:
        return f"{money(a[name])} {a['currency']}"

    return _pairs(
        f"Account {a['name']}",
        [
            ("id", a["id"]),
            ("profile", a["profile"]),
            ("cash", amount("cash")),
            ("NAV", amount("nav")),
            ("buying power", amount("buying_power")),
            ("positions (gross)", amount("gross_exposure")),
            ("margin used", amount("margin_used")),
            ("margin call", yes(a["margin_call"])),
            ("initial balance", amount("initial_balance")),
            ("open orders", str(a["open_orders"])),
            ("rules", ", ".join(rules) or "none"),
            ("opened", when(a["created_at"])),
        ],
    )


def positions(items: Sequence[Row]) -> Table:
    """Open positions (GET /positions)."""
    return _rows(
        "Positions",
        items,
        [
            *WHAT,
            ("avg entry", _at("avg_entry_price")),
            ("price", _priced("current_price")),
            ("market value VCR", lambda p: money(p["market_value"])),
            ("unrealized P&L VCR", lambda p: money(p["unrealized_pnl"])),
            ("P&L %", lambda p: percent(p["unrealized_pnl_pct"], "+")),
            ("weight", lambda p: percent(p["weight"])),
        ],
    )


def terms(o: Row) -> str:
    """An order's prices, which name its type (`limit 180.5`, `stop 170`, `stop 170 limit
    169`, `trailing 2%`, else the type: `market`), and its class unless simple."""
    shown = []
    for name, field in (("stop", "stop_price"), ("limit", "limit_price")):
        if o.get(field) is not None:
            shown += [name, o[field]]
    if o.get("trail_price") is not None:
        shown += ["trailing", o["trail_price"]]
    if o.get("trail_percent") is not None:
        shown += ["trailing", f"{o['trail_percent']}%"]
    shown = shown or [o["type"]]
    if o.get("order_class", "simple") != "simple":
        shown.append(f"({o['order_class']})")
    return " ".join(shown)


def _filled(o: Row) -> str:
    avg = o.get("filled_avg_price")
    return str(o["filled_qty"]) + (f" @ {avg}" if avg is not None else "")


def orders(items: Sequence[Row], title: str) -> Table:
    """Orders (GET /orders), in the server's order."""
    return _rows(
        title,
        items,
        [
            ("submitted", lambda o: when(o["created_at"])),
            ("id", _at("id")),
            *WHAT,
            ("type", terms),
            ("tif", _at("time_in_force")),
            ("status", _at("status")),
            ("filled", _filled),
        ],
    )


def one_order(o: Row) -> Table:
    """One order, with what it filled and, if refused or closed early, why."""
    return _pairs(
        f"Order {o['side']} {o['qty']} {o['symbol']}",
        [
            ("id", o["id"]),
            ("client order id", o["client_order_id"]),
            ("status", o["status"]),
            ("type", terms(o)),
            ("time in force", o["time_in_force"] + (" extended hours" * o["extended_hours"])),
            ("notional", o.get("notional") or ""),
            ("filled", _filled(o)),
            ("remaining", o["remaining_qty"] if o["remaining_qty"] != "0" else ""),
            ("arrival mid", o.get("arrival_mid") or ""),
            ("legs", ", ".join(o.get("legs") or [])),
            ("one-cancels-other with", o.get("oco_with") or ""),
            ("reason", o.get("reject_reason") or ""),
            ("profile", o["profile"]),
            ("submitted", when(o["created_at"])),
            ("expires", when(o.get("expires_at"))),
        ],
    )


def receipts(items: Sequence[Row]) -> Table:
    """The receipts of an order's fills: price against the arrival mid, and what it cost."""
    return _rows(
        "Fills",
        items,
        [
            ("qty", _at("qty")),
            ("price", _priced("price")),
            ("arrival mid", _receipt("arrival_mid")),
            ("spread", _cost("spread_cost")),
            ("impact", _cost("impact_cost")),
            ("fee", _priced("fee")),
            ("slippage bp", _receipt("slippage_bps")),
            ("liquidity", _receipt("liquidity")),
        ],
    )


def fills(items: Sequence[Row]) -> Table:
    """Fills of the account (GET /fills)."""
    return _rows(
        "Fills",
        items,
        [
            ("filled at", lambda f: when(f["filled_at"])),
            ("order id", _at("order_id")),
            *WHAT,
            ("price", _priced("price")),
            ("fee", _priced("fee")),
            ("value VCR", lambda f: money(f["value_vcr"])),
            ("slippage bp", _receipt("slippage_bps")),
        ],
    )
