"""Presentation of market data for the CLI: plain dicts for JSON, rich tables for people."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
from rich.console import Console
from rich.table import Table

from vtrade.core.clock import iso as clock_iso
from vtrade.core.money import decimals_of
from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import BookSnapshot, Interval
from vtrade.market.bars import BarSeries
from vtrade.market.sessions import SessionState

if TYPE_CHECKING:
    from vtrade.bootstrap import Container


def iso(ns: int | None) -> str | None:
    """Format ns since the epoch as ISO 8601 UTC with a Z suffix."""
    return None if ns is None else clock_iso(ns)


def instrument_dict(inst: Instrument) -> dict[str, Any]:
    """Return the catalog row of `inst` as JSON-friendly values."""
    p = inst.market
    return {
        "symbol": inst.symbol,
        "name": inst.name,
        "asset_class": inst.asset_class.value,
        "venue": inst.venue,
        "calendar": inst.calendar,
        "currency": inst.currency,
        "sector": inst.sector,
        "industry": inst.industry,
        "tick_size": str(inst.tick_size),
        "lot_size": str(inst.lot_size),
        "multiplier": str(inst.multiplier),
        "shortable": inst.shortable,
        "marginable": inst.marginable,
        "reference_price": str(p.reference_price),
        "daily_volatility": p.daily_volatility,
        "avg_daily_volume": p.avg_daily_volume,
        "typical_spread_bps": p.typical_spread_bps,
        "impact_gamma": p.impact_gamma,
        "impact_alpha": p.impact_alpha,
    }


def instruments_table(rows: Iterable[Instrument]) -> Table:
    table = Table(title="Instruments")
    for name in ("Symbol", "Name", "Class", "Venue", "Ccy", "Sector", "Tick", "Lot", "Ref price"):
        table.add_column(name, justify="right" if name in ("Tick", "Lot", "Ref price") else "left")
    for i in rows:
        table.add_row(
            i.symbol,
            i.name,
            i.asset_class.value,
            i.venue,
            i.currency,
            i.sector,
            str(i.tick_size),
            str(i.lot_size),
            str(i.market.reference_price),
        )
    return table


def market_dict(
    inst: Instrument, t_ns: int, state: SessionState, day_ends: int | None, book: BookSnapshot
) -> dict[str, Any]:
    """Snapshot of one instrument at one instant: session, quote and book. `day_ends`: when
    the trading day in force ends and its day orders expire (for FX 17:00 New York each day,
    while `next_close` is Friday's)."""
    bid, ask = book.bids[0], book.asks[0]
    mid = (bid.price + ask.price) / 2
    return {
        "symbol": inst.symbol,
        "name": inst.name,
        "asset_class": inst.asset_class.value,
        "venue": inst.venue,
        "currency": inst.currency,
        "at": iso(t_ns),
        "session": {
            "phase": state.phase.value,
            "trading_day": (iso(state.trading_day) or "")[:10] or None,
            "next_open": iso(state.next_open),
            "next_close": iso(state.next_close),
            "day_orders_expire": iso(day_ends),
        },
        "quote": {
            "ts": iso(book.ts_event),
            "bid": str(bid.price),
            "ask": str(ask.price),
            "bid_size": str(bid.size),
            "ask_size": str(ask.size),
            "mid": str(mid.quantize(inst.tick_size / 2)),
            "spread_bps": round(float((ask.price - bid.price) / mid) * 1e4, 3),
        },
        "book": {
            "bids": [[str(level.price), str(level.size)] for level in book.bids],
            "asks": [[str(level.price), str(level.size)] for level in book.asks],
        },
    }


def print_market(console: Console, snap: dict[str, Any]) -> None:
    s, q = snap["session"], snap["quote"]
    console.print(
        f"[bold]{snap['symbol']}[/]  {snap['name']}  ({snap['venue']}, {snap['currency']})"
    )
    console.print(f"at {snap['at']}  phase [bold]{s['phase']}[/]  trading day {s['trading_day']}")
    console.print(
        f"next open {s['next_open'] or '-'}  next close {s['next_close'] or '-'}  "
        f"day orders expire {s['day_orders_expire'] or '-'}"
    )
    console.print(
        f"bid {q['bid']} x {q['bid_size']}   ask {q['ask']} x {q['ask_size']}   "
        f"spread {q['spread_bps']} bp   (quote {q['ts']})"
    )
    table = Table(title="Book")
    for name in ("Bid size", "Bid", "Ask", "Ask size"):
        table.add_column(name, justify="right")
    bids, asks = snap["book"]["bids"], snap["book"]["asks"]
    for k in range(max(len(bids), len(asks))):
        b = bids[k] if k < len(bids) else ["", ""]
        a = asks[k] if k < len(asks) else ["", ""]
        table.add_row(b[1], b[0], a[0], a[1])
    console.print(table)


def write_bars(stream: TextIO, series: BarSeries, fmt: str, inst: Instrument | None = None) -> None:
    """Write bars as CSV (header + rows) or a JSON array, prices on the tick grid."""
    places = decimals_of(inst.tick_size) if inst else _places(series)
    volume_places = decimals_of(inst.lot_size) if inst else 0
    daily = series.interval is Interval.D1
    rows = [
        {
            "ts": (iso(bar.ts_start) or "")[:10] if daily else iso(bar.ts_start),
            "open": bar.open,
            "high": bar.high,
            "low": bar.low,
            "close": bar.close,
            "volume": bar.volume,
        }
        for bar in series.bars(places, volume_places)
    ]
    if fmt == "json":
        stream.write(json.dumps(rows, default=_decimal_str, indent=1) + "\n")
        return
    writer = csv.DictWriter(stream, fieldnames=["ts", "open", "high", "low", "close", "volume"])
    writer.writeheader()
    writer.writerows(rows)


def watch_table(c: Container, symbols: list[str]) -> Table:
    """Live table of quotes at the container clock's current instant."""
    now = c.clock.now_ns()
    table = Table(title=f"vtrade synthetic market  {iso(now)}  seed {c.settings.market.seed}")
    for name in ("Symbol", "Phase", "Bid", "Ask", "Spread bp", "Bid size", "Ask size", "Ccy"):
        table.add_column(name, justify="left" if name in ("Symbol", "Phase", "Ccy") else "right")
    for symbol in symbols:
        inst = c.catalog.get(symbol)
        phase = c.sessions.for_instrument(inst).phase(now)
        q = c.market.quote(symbol, now)
        spread = float((q.ask - q.bid) / q.mid) * 1e4
        table.add_row(
            symbol,
            phase.value,
            str(q.bid),
            str(q.ask),
            f"{spread:.2f}",
            str(q.bid_size),
            str(q.ask_size),
            inst.currency,
        )
    return table


def _places(series: BarSeries, cap: int = 8) -> int:
    """Fewest decimals (<= cap) that write every price of `series` exactly."""
    prices = np.concatenate([series.open, series.high, series.low, series.close])
    for places in range(cap + 1):
        if np.allclose(np.round(prices, places), prices, rtol=0, atol=1e-9):
            return places
    return cap


def _decimal_str(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
