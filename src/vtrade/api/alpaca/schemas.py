"""Our domain objects as Alpaca Trading API v2 JSON (reference/alpaca-compat.md §3, §4, §7).

Decimal quantities and prices are canonical strings ("10", "190.12"), timestamps RFC 3339 with
a `Z`, ids UUID strings. Asset ids are derived from the symbol (uuid5), so they are stable
across restarts and servers.
"""

from __future__ import annotations

import functools
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from vtrade.core.clock import iso
from vtrade.core.money import decimals_of
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Side
from vtrade.domain.orders import (
    OCO_WITH,
    ORDER_CLASS,
    PARENT,
    REPLACING_WITH,
    Order,
    OrderStatus,
    OrderType,
)
from vtrade.execution.accounting import MarginRates
from vtrade.execution.profiles import last_change_ns
from vtrade.market.catalog import Catalog

# An average price (of an order's fills, a position's entry) is shown to this many decimals
# beyond the instrument's tick: 270.957986 for a cent tick, where the ledger keeps
# 270.9579858652644731361932528. That is within 1/20,000 of a tick, well below anything a bot
# can act on, and as short as the prices Alpaca shows. Values (cost basis, P&L) are computed
# from the exact average, and stored values are never rounded.
AVG_EXTRA_DECIMALS = 4
_ASSET_NAMESPACE = uuid.UUID("5d3c6f0e-8a39-4b6a-9a52-7a1f1e0c2b41")
POSITION_INTENT = "position_intent"  # the `Order.extra` key it is kept under


def intent_of(side: Side, position_qty: Decimal) -> str:
    """Alpaca's `position_intent` of an order on `side` while the position is
    `position_qty`: it closes a position it trades against and opens one otherwise."""
    if side is Side.BUY:
        return "buy_to_close" if position_qty < 0 else "buy_to_open"
    return "sell_to_close" if position_qty > 0 else "sell_to_open"


# Our status -> Alpaca's. `NEW` (being checked) and `ACCEPTED` (working at the venue) are both
# Alpaca's "new"; an order queued for the next session's open is Alpaca's "accepted" (received
# but not yet routed, as Alpaca reports orders placed outside market hours).
_STATUS: dict[OrderStatus, str] = {
    OrderStatus.NEW: "new",
    OrderStatus.HELD: "held",
    OrderStatus.ACCEPTED: "new",
    OrderStatus.PENDING_OPEN: "accepted",
    OrderStatus.PARTIALLY_FILLED: "partially_filled",
    OrderStatus.FILLED: "filled",
    OrderStatus.CANCELED: "canceled",
    OrderStatus.EXPIRED: "expired",
    OrderStatus.REPLACED: "replaced",
    OrderStatus.REJECTED: "rejected",
}
# Alpaca's AssetClass has us_equity, us_option, crypto (crypto_perp is missing before 0.30).
# Crypto maps to "crypto"; FX pairs are 24/5 currency pairs quoted like Alpaca's crypto pairs,
# so they are "crypto" too; everything else that trades on an exchange (US and LSE equities,
# ETFs, commodity futures, indices) is closest to "us_equity".
_ASSET_CLASS: dict[AssetClass, str] = {
    AssetClass.EQUITY: "us_equity",
    AssetClass.ETF: "us_equity",
    AssetClass.CRYPTO: "crypto",
    AssetClass.FX: "crypto",
    AssetClass.COMMODITY: "us_equity",
    AssetClass.INDEX: "us_equity",
}
# Our venue MIC -> Alpaca's AssetExchange (only values every alpaca-py release knows). Venues
# that are not US national exchanges (LSE, Xetra, Tokyo, CME Globex, FX) have no counterpart:
# "OTC" is the closest allowed value for them; crypto and FX pairs trade on "CRYPTO".
_EXCHANGE: dict[str, str] = {
    "XNAS": "NASDAQ",
    "XNYS": "NYSE",
    "ARCX": "ARCA",
    "XASE": "AMEX",
    "BATS": "BATS",
    "CRYPTO": "CRYPTO",
    "FX": "CRYPTO",
}
TERMINAL_STATUSES = frozenset(
    {"filled", "canceled", "expired", "replaced", "rejected", "suspended", "done_for_day"}
)


def dec(value: Decimal | None) -> str | None:
    """Render a decimal as a canonical string: no exponent, no trailing zeros; None stays None."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def avg_price(value: Decimal | None, instrument: Instrument | None) -> str | None:
    """Render an average price rounded to `AVG_EXTRA_DECIMALS` decimals beyond the
    instrument's tick (8 decimals without an instrument); None stays None."""
    if value is None:
        return None
    places = 8 if instrument is None else decimals_of(instrument.tick_size) + AVG_EXTRA_DECIMALS
    try:
        return dec(value.quantize(Decimal(1).scaleb(-places)))
    except InvalidOperation:  # too many digits to round (never for a real price): as it is
        return dec(value)


def money(value: Decimal) -> str:
    """Render an amount rounded to the cent, as a canonical string."""
    return dec(value.quantize(Decimal("0.01"))) or "0"


@functools.lru_cache(maxsize=4096)
def asset_id(symbol: str) -> str:
    """Return the stable UUID Alpaca clients see as the `asset_id` of one of our symbols."""
    return str(uuid.uuid5(_ASSET_NAMESPACE, symbol.upper()))


def alpaca_symbol(instrument: Instrument) -> str:
    """Return the symbol as Alpaca spells it: crypto pairs use a slash (`BTC-USD` -> `BTC/USD`)."""
    if instrument.asset_class is AssetClass.CRYPTO:
        return instrument.symbol.replace("-", "/")
    return instrument.symbol


def asset_class_of(instrument: Instrument) -> str:
    """Return the Alpaca asset class closest to the instrument's (see `_ASSET_CLASS`)."""
    return _ASSET_CLASS[instrument.asset_class]


def exchange_of(instrument: Instrument) -> str:
    """Return the Alpaca exchange closest to the instrument's venue (see `_EXCHANGE`)."""
    return _EXCHANGE.get(instrument.venue, "OTC")


def order_status(order: Order) -> str:
    """Return the Alpaca status of an order: "accepted" (received, not yet routed) for one
    waiting for its market (`pending_open`), "pending_cancel" or "pending_replace" for an open
    one a cancel or a replace is on its way to (a profile's latency), "held" for a stop-loss
    leg waiting for its stop (`_stop_loss_held`)."""
    if order.cancel_due_ns is not None and order.is_open:
        return "pending_cancel"
    if REPLACING_WITH in order.extra and order.is_open:
        return "pending_replace"
    if _stop_loss_held(order):
        return "held"
    return _STATUS.get(order.status, "new")


def _stop_loss_held(order: Order) -> bool:
    """Whether Alpaca would show the order `held`: the stop-loss of a bracket, oto or oco
    working but not triggered. Alpaca sends one order of a pair to the market (the take-profit
    limit, `new`) and holds the stop until it triggers; it reads `new` from then on."""
    return (
        order.status is OrderStatus.ACCEPTED
        and order.type in _STOPS
        and not order.triggered
        and (PARENT in order.extra or OCO_WITH in order.extra)
    )


_STOPS = (OrderType.STOP, OrderType.STOP_LIMIT)


def known_instrument(catalog: Catalog | None, symbol: str) -> Instrument | None:
    """Return the catalog's instrument for a symbol of ours; None if there is none."""
    if catalog is None or symbol not in catalog:
        return None
    return catalog.get(symbol)


def _at(ns: int | None) -> str | None:
    return iso(ns) if ns else None


def order_json(
    order: Order,
    catalog: Catalog | None = None,
    legs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Render an order as an Alpaca `Order` object (§3.1, §7.2).

    Pass the catalog so crypto symbols come out in Alpaca's slash form with asset class
    `crypto`; without it the symbol is ours as-is and the asset class `us_equity`.
    """
    instrument = known_instrument(catalog, order.symbol)
    created = iso(order.created_ns)
    status = order.status
    changed = last_change_ns(order) or order.created_ns
    updated = iso(changed) if changed != order.created_ns else created
    sized_by_notional = order.notional is not None and not order.qty
    return {
        "id": order.id,
        "client_order_id": order.client_order_id,
        "created_at": created,
        "updated_at": updated,
        "submitted_at": created,
        "filled_at": iso(changed) if status is OrderStatus.FILLED else None,
        "expired_at": iso(changed) if status is OrderStatus.EXPIRED else None,
        "expires_at": _at(order.expire_ns),
        "canceled_at": iso(changed) if status is OrderStatus.CANCELED else None,
        "failed_at": iso(changed) if status is OrderStatus.REJECTED else None,
        "replaced_at": iso(changed) if status is OrderStatus.REPLACED else None,
        "replaced_by": order.replaced_by,
        "replaces": order.replaces,
        "asset_id": asset_id(order.symbol),
        "symbol": alpaca_symbol(instrument) if instrument else order.symbol,
        "asset_class": asset_class_of(instrument) if instrument else "us_equity",
        "notional": dec(order.notional),
        "qty": None if sized_by_notional else dec(order.qty),
        "filled_qty": dec(order.filled_qty) or "0",
        "filled_avg_price": avg_price(order.avg_fill_price, instrument),
        "order_class": order.extra.get(ORDER_CLASS, "simple"),
        "order_type": order.type.value,
        "type": order.type.value,
        "side": order.side.value,
        "position_intent": order.extra.get(POSITION_INTENT) or _leg_intent(order),
        "time_in_force": order.tif.value,
        "limit_price": dec(order.limit_price),
        "stop_price": dec(order.stop_price),  # a trailing stop's, where the trail stands now
        "status": order_status(order),
        "extended_hours": order.extended_hours,
        "legs": legs,
        "trail_percent": dec(order.trail_percent),
        "trail_price": dec(order.trail_price),
        "hwm": dec(order.watermark),
        "reject_reason": order.reject_reason,
    }


def asset_json(instrument: Instrument, rates: MarginRates) -> dict[str, Any]:
    """Render an instrument as an Alpaca `Asset` (§3.1, §7.4); the JSON key is `class`.
    `maintenance_margin_requirement` is the percent of value the venue's `rates` hold a
    position to (25 for a stock at 2:1, 100 for crypto, which has no loan value)."""
    tick = instrument.tick_size
    maintenance = rates.of(instrument)[1] * 100
    return {
        "id": asset_id(instrument.symbol),
        "class": asset_class_of(instrument),
        "exchange": exchange_of(instrument),
        "symbol": alpaca_symbol(instrument),
        "name": instrument.name,
        "status": "active",
        "tradable": True,
        "marginable": instrument.marginable,
        "shortable": instrument.shortable,
        "easy_to_borrow": instrument.shortable,
        "fractionable": instrument.lot_size < 1,
        "min_order_size": float(instrument.lot_size),
        "min_trade_increment": float(instrument.lot_size),
        "price_increment": float(tick),
        "maintenance_margin_requirement": float(maintenance),
        "attributes": [],
        "vtrade_asset_class": instrument.asset_class.value,
        "vtrade_venue": instrument.venue,
        "currency": instrument.currency,
    }


def position_json(
    instrument: Instrument,
    qty: Decimal,
    entry_price: Decimal,
    price: Decimal,
    lastday_price: Decimal,
    fx_rate: Decimal,
    *,
    held: Decimal = Decimal(0),
    opened_today: bool = False,
    entry_fx: Decimal | None = None,
    lastday_fx: Decimal | None = None,
) -> dict[str, Any]:
    """Render a position as an Alpaca `Position` (§3.1, §7.3); `held` is what open orders
    on its closing side hold of it (`qty_available` is the rest, signed like `qty`). The
    intraday P&L of a position `opened_today` runs from its entry, else from the last close.

    Prices are in the instrument's quote currency; values and P&L in the account currency
    (VCR = USD): the value at `fx_rate`, the cost basis at `entry_fx`, the rate the position
    was entered at (default `fx_rate`), and its value at the last close at `lastday_fx`, the
    rate then, so the currency's move since counts in a holding's unrealized P&L; a contract
    that settles P&L earns its price move at `fx_rate`, and its
    market value is its cost basis plus that (what it adds to the account's equity).
    `qty`, `market_value` and `cost_basis` are negative for shorts.
    """
    unit = instrument.multiplier * fx_rate
    market_value = qty * price * unit
    cost_basis = qty * entry_price * instrument.multiplier * (entry_fx or fx_rate)
    lastday_unit = instrument.multiplier * (lastday_fx or fx_rate)
    base_value = cost_basis if opened_today else qty * lastday_price * lastday_unit
    if instrument.settles_pnl:  # a contract earns its price move, at today's rate
        unrealized = qty * (price - entry_price) * unit
        market_value = cost_basis + unrealized  # what it adds to equity
        base = entry_price if opened_today else lastday_price
        intraday, lastday_value = qty * (price - base) * unit, abs(qty * base * unit)
    else:
        unrealized = market_value - cost_basis
        intraday, lastday_value = market_value - base_value, abs(base_value)
    places = Decimal(10) ** -10
    return {
        "asset_id": asset_id(instrument.symbol),
        "symbol": alpaca_symbol(instrument),
        "exchange": exchange_of(instrument),
        "asset_class": asset_class_of(instrument),
        "asset_marginable": instrument.marginable,
        "qty": dec(qty),
        "qty_available": dec(qty - held if qty > 0 else qty + held),
        "avg_entry_price": avg_price(entry_price, instrument),
        "side": "long" if qty > 0 else "short",
        "market_value": money(market_value),
        "cost_basis": money(cost_basis),
        "unrealized_pl": money(unrealized),
        "unrealized_plpc": dec((unrealized / abs(cost_basis)).quantize(places))
        if cost_basis
        else "0",
        "unrealized_intraday_pl": money(intraday),
        "unrealized_intraday_plpc": dec((intraday / lastday_value).quantize(places))
        if lastday_value
        else "0",
        "current_price": dec(price),
        "lastday_price": dec(lastday_price),
        "change_today": dec((price / lastday_price - 1).quantize(places)) if lastday_price else "0",
    }


def _leg_intent(order: Order) -> str | None:
    """A leg of a bracket, oto or oco order closes what its entry opened (none for other
    `/api/v1` orders)."""
    if PARENT not in order.extra:
        return None
    return "sell_to_close" if order.side is Side.SELL else "buy_to_close"
