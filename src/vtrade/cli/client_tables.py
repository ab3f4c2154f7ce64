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
_UNDER = "_under"  # marks a leg shown under its entry order


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
            ("excess margin", amount("excess_margin")),
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


def prices(o: Row) -> str:
    """An order's prices, which name its type (`limit 180.5`, `stop 170`, `stop 170 limit
    169`, `trailing 2%`), else its type (`market`)."""
    shown = []
    for name, field in (("stop", "stop_price"), ("limit", "limit_price")):
        if o.get(field) is not None:
            shown += [name, o[field]]
    if o.get("trail_price") is not None:
        shown += ["trailing", o["trail_price"]]
    if o.get("trail_percent") is not None:
        shown += ["trailing", f"{o['trail_percent']}%"]
    return " ".join(shown or [o["type"]])


def terms(o: Row) -> str:
    """An order's prices (or type) and its class unless simple: `limit 180.5 (bracket)`; a
    leg's role before them: `take-profit limit 190 (bracket)`."""
    shown = prices(o) if role(o) is None else f"{role(o)} {prices(o)}"
    order_class = o.get("order_class", "simple")
    return shown if order_class == "simple" else f"{shown} ({order_class})"


def role(o: Row) -> str | None:
    """What a leg of a bracket, oto or oco order is for (a take-profit is a limit order, a
    stop-loss a stop or stop-limit order); None for any other order."""
    if not o.get("parent_id"):
        return None
    return "take-profit" if o["type"] == "limit" else "stop-loss"


def _tied(o: Row) -> str:
    """A leg, or an order's one-cancels-other, in a line: `sell limit 190, held (id)`."""
    return f"{o['side']} {prices(o)}, {o['status']} ({o['id']})"


def _filled(o: Row) -> str:
    avg = o.get("filled_avg_price")
    return str(o["filled_qty"]) + (f" @ {avg}" if avg is not None else "")


def orders(items: Sequence[Row], title: str) -> Table:
    """Orders in the server's order, each entry's legs under it with their role and prices:
    those it carries (GET /orders?nested=true), else the orders of `items` that name it as
    their parent (a list of orders apart, such as cancel-all's). A leg that replaced another
    names it."""
    listed = {o["id"] for o in items}
    children: dict[str, list[Row]] = {}
    for o in items:
        if o.get("parent_id") in listed:
            children.setdefault(o["parent_id"], []).append(o)
    rows: list[Row] = []
    for o in items:
        if o.get("parent_id") not in listed:  # a leg of a listed order comes under it
            carried = [leg for leg in o.get("legs") or () if isinstance(leg, dict)]
            rows += [o, *({**leg, _UNDER: True} for leg in carried or children.get(o["id"], []))]
    return _rows(
        title,
        rows,
        [
            ("submitted", lambda o: when(o["created_at"])),
            ("id", _at("id")),
            *WHAT,
            ("type", lambda o: _leg(o) if o.get(_UNDER) else terms(o)),
            ("tif", _at("time_in_force")),
            ("status", _at("status")),
            ("filled", _filled),
        ],
    )


def _leg(o: Row) -> str:
    """A leg's cell under its entry: `└ take-profit limit 190`, and `(replaces ID)` if it
    replaced another."""
    replaces = f" (replaces {o['replaces']})" if o.get("replaces") else ""
    return f"└ {role(o)} {prices(o)}{replaces}"


def one_order(o: Row, legs: Sequence[Row] | None = None, other: Row | None = None) -> Table:
    """One order, with what it filled and, if refused or closed early, why; its legs (as they
    stand now) and its one-cancels-other with their prices where given, else their ids."""
    ids: list[str] = o.get("legs") or []
    pair: str = o.get("oco_with") or ""
    shown = [(role(leg) or "leg", _tied(leg)) for leg in legs or ()] or [("leg", i) for i in ids]
    among = pair in ids or any(leg["id"] == pair for leg in legs or ())
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
            *shown,
            ("one-cancels-other with", "" if among else _tied(other) if other else pair),
            ("reason", o.get("reject_reason") or ""),
            ("profile", o["profile"]),
            ("submitted", when(o["created_at"])),
            ("expires", when(o.get("expires_at"))),
            ("cancel arrives", when(o.get("cancel_arrives_at"))),  # it may fill until then
            ("being replaced by", o.get("replacing_with") or ""),  # it works on until then
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
