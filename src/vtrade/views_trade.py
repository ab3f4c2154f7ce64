"""Presentation of estimates, orders, fills and receipts for the CLI."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from vtrade.demo import DemoResult
from vtrade.domain.orders import Fill, Order
from vtrade.execution.estimate import Estimate
from vtrade.views import iso
from vtrade.views_portfolio import plain, report_dict, summary_table


def _s(value: Decimal | None, places: str = "0.0001") -> str | None:
    if value is None:
        return None
    text = f"{value.quantize(Decimal(places)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _price(value: Decimal | None) -> str | None:
    """A price or an average price: to six places, or to eight significant digits when
    that is finer (SHIB at 0.0000089435 showed as 0.000009, above its ask)."""
    if value is None:
        return None
    places = min(-6, value.adjusted() - 7) if value else -6
    return _s(value, f"1e{places}")


def _plain(qty: Decimal) -> str:
    """A quantity as a person writes it: 2, not the lot grid's 2.00000."""
    return f"{qty.normalize():f}"


def estimate_dict(e: Estimate) -> dict[str, Any]:
    """The estimate as JSON; `expected_avg_price` is null when nothing is expected to fill."""
    expected = e.expected_avg_price
    return {
        "symbol": e.symbol,
        "side": e.side.value,
        "qty": str(e.qty),
        "profile": e.profile,
        "session": {
            "phase": e.phase,
            "next_open": iso(e.next_open),
            "next_close": iso(e.next_close),
        },
        "bid": str(e.bid),
        "ask": str(e.ask),
        "arrival_mid": str(e.shown(e.arrival_mid)),
        "fillable_now": _plain(e.fillable_now),
        "avg_price_now": None if e.avg_price_now is None else str(e.shown(e.avg_price_now)),
        "expected_avg_price": None if expected is None else str(expected),
        "slippage_bps": None
        if e.spread_bps is None or e.impact_bps is None
        else {
            "spread": str(e.spread_bps),
            "impact": str(e.impact_bps),
            "total": str(e.spread_bps + e.impact_bps),
        },
        "fees": {
            "amount": str(e.fees),
            "currency": e.currency,
            "vcr": str(e.fees_vcr),
            "fx_rate": _s(e.fx_rate, "0.00000001"),
            "on_qty": _plain(e.fee_qty),
        },
        "schedule": [{"minutes": m, "cumulative_qty": _plain(q)} for m, q in e.schedule],
        "volume_pace": None if e.volume_pace is None else str(e.volume_pace),
        "resting_qty": _plain(e.resting_qty),
        "note": e.note,
        "accepted_for_fresh_account": e.accepted,
        "reason": e.reason,
    }


def print_estimate(console: Console, e: Estimate) -> None:
    d = estimate_dict(e)
    session = d["session"]
    nxt = ", ".join(
        f"{label} {session[key]}"
        for key, label in (("next_close", "closes"), ("next_open", "next open"))
        if session[key]
    )
    nxt = f" ({nxt})" if nxt else ""
    console.print(
        f"[bold]{d['side']} {d['qty']} {d['symbol']}[/]  profile {d['profile']}  "
        f"session {session['phase']}{nxt}"
    )
    console.print(f"bid {d['bid']}  ask {d['ask']}  arrival mid {d['arrival_mid']}")
    now = f" at avg {d['avg_price_now']}" if d["avg_price_now"] is not None else ""
    console.print(f"fillable now {d['fillable_now']}{now}")
    if d["schedule"]:
        pace = e.volume_pace
        busy = "" if pace is None else f" (today's volume runs at {pace:.0%} of an average day)"
        # the schedule counts what is left after the part fillable now, not the whole order
        rest = f" of the other {_plain(e.qty - e.fillable_now)}" if e.fillable_now else ""
        console.print(
            f"expected schedule{rest}{busy}: "
            + ", ".join(f"{x['cumulative_qty']} by +{x['minutes']}m" for x in d["schedule"])
        )
    if e.note:
        console.print(e.note, markup=False)
    expected = d["expected_avg_price"] or "n/a (nothing is expected to fill now)"
    console.print(f"expected avg price {expected}")
    s = d["slippage_bps"]
    if s is not None:
        console.print(f"slippage {s['total']} bp = spread {s['spread']} + impact {s['impact']}")
    f = d["fees"]
    basis = "if it fills at the limit" if d["expected_avg_price"] is None else "expected to fill"
    console.print(
        f"fees {f['amount']} {f['currency']} = {f['vcr']} VCR (fx {f['fx_rate']}) on the "
        f"{f['on_qty']} {basis}"
    )
    verdict = "[green]accepted[/]" if e.accepted else f"[red]rejected[/]: {e.reason}"
    console.print(f"for a fresh 1,000,000 VCR account: {verdict}")


def fill_dict(f: Fill) -> dict[str, Any]:
    r = f.receipt
    frictionless, drift, spread, impact = r.costs_in_cents(f.side)
    return {
        "id": f.id,
        "order_id": f.order_id,
        "ts": iso(f.ts_ns),
        "symbol": f.symbol,
        "side": f.side.value,
        "qty": str(f.qty),
        "price": _price(f.price),
        "fee": str(f.fee),
        "profile": f.profile,
        "receipt": {
            "arrival_mid": _price(r.arrival_mid),
            "touch": str(r.touch),
            "avg_price": _price(r.avg_price),
            "spread_cost": _s(spread, "0.01"),
            "impact_cost": _s(impact, "0.01"),
            "fees": str(r.fees),
            "fee_breakdown": {k: str(v) for k, v in r.fee_breakdown},
            "fx_rate": _s(r.fx_rate, "0.00000001"),
            "liquidity": r.liquidity,
            "auction": r.auction,
            "slices": [[str(s.price), str(s.qty)] for s in r.slices],
            "frictionless_cost": _s(frictionless, "0.01"),
            "slippage_bps": str(r.slippage_bps),
            "drift_cost": _s(drift, "0.01"),
        },
    }


def order_dict(o: Order) -> dict[str, Any]:
    return {
        "id": o.id,
        "client_order_id": o.client_order_id,
        "symbol": o.symbol,
        "side": o.side.value,
        "type": o.type.value,
        "tif": o.tif.value,
        "qty": str(o.qty),
        "limit_price": _price(o.limit_price),
        "stop_price": _price(o.stop_price),
        "status": o.status.value,
        "filled_qty": str(o.filled_qty),
        "avg_fill_price": _price(o.avg_fill_price),
        "reject_reason": o.reject_reason,
        "created": iso(o.created_ns),
        "profile": o.profile,
    }


def demo_dict(r: DemoResult) -> dict[str, Any]:
    by_order: dict[str, list[Fill]] = {}
    for f in r.fills:
        by_order.setdefault(f.order_id, []).append(f)
    return {
        "start": iso(r.start_ns),
        "end": iso(r.end_ns),
        "orders": [
            {
                **order_dict(o),
                "currency": r.currencies[o.symbol],
                "trader": r.traders[o.account_id],
                "fills": [fill_dict(f) for f in by_order.get(o.id, [])],
            }
            for o in r.orders
        ],
        "portfolios": {r.traders[a]: report_dict(rep) for a, rep in r.portfolios.items()},
        "alerts": [
            {"trader": r.traders[e.account_id], **plain(e), "ts": iso(e.ts_event)} for e in r.alerts
        ],
    }


def print_demo(console: Console, r: DemoResult) -> None:
    data = demo_dict(r)
    console.print(f"[bold]vtrade demo[/]  {data['start']} -> {data['end']} (simulated)")
    table = Table(title="Orders")
    for col in ("Trader", "Order", "Status", "Filled", "Avg price", "Fills", "Slip bp", "Fees VCR"):
        table.add_column(col, justify="left" if col in ("Trader", "Order", "Status") else "right")
    for o in data["orders"]:
        fills = o["fills"]
        # fees are charged in the quote currency (GBX pence on the LSE): shown in VCR
        fees = sum(
            (Decimal(f["fee"]) * Decimal(f["receipt"]["fx_rate"]) for f in fills), Decimal(0)
        )
        slip = _weighted_slippage(fills)
        status = o["status"] + (f"\n{o['reject_reason']}" if o["reject_reason"] else "")
        table.add_row(
            o["trader"],
            f"{o['side']} {_plain(Decimal(o['qty']))} {o['symbol']} {o['type']}",
            status,
            _plain(Decimal(o["filled_qty"])),
            o["avg_fill_price"] or "",
            str(len(fills)),
            slip,
            f"{fees.quantize(Decimal('0.01')):,}" if fills else "",
        )
    console.print(table)
    for o in data["orders"]:
        if o["fills"]:
            _print_receipt(console, o)
    console.print(summary_table({r.traders[a]: rep for a, rep in r.portfolios.items()}))
    for e in r.alerts:
        state = "" if e.active else " (cleared)"
        console.print(f"alert {iso(e.ts_event)} {r.traders[e.account_id]}: {e.message}{state}")


def _weighted_slippage(fills: list[dict[str, Any]]) -> str:
    qty = sum((Decimal(f["qty"]) for f in fills), Decimal(0))
    if not qty:
        return ""
    total = sum(
        (Decimal(f["receipt"]["slippage_bps"]) * Decimal(f["qty"]) for f in fills), Decimal(0)
    )
    return f"{total / qty:.2f}"


def _print_receipt(console: Console, o: dict[str, Any]) -> None:
    first = o["fills"][0]
    r = first["receipt"]
    fees = ", ".join(f"{k} {v}" for k, v in r["fee_breakdown"].items()) or "none"
    qty = _plain(Decimal(first["qty"]))
    slices = len(r["slices"])
    console.print(
        f"[bold]{o['trader']}[/] {o['side']} {o['symbol']}: first fill {qty} @ "
        f"{first['price']} ({r['liquidity']}, {slices} slice{'s' * (slices != 1)}) | in "
        f"{o['currency']}: arrival mid {r['arrival_mid']}, touch {r['touch']} | drift "
        f"{r['drift_cost']}, spread cost {r['spread_cost']}, impact {r['impact_cost']}, fees "
        f"{r['fees']} ({fees}) | fx {r['fx_rate']} VCR per {o['currency']} | "
        f"{r['slippage_bps']} bp vs the arrival mid (frictionless {r['frictionless_cost']})"
        + (f" | {len(o['fills'])} fills in all" if len(o["fills"]) > 1 else "")
    )
