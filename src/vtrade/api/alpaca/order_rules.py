"""Alpaca's own rules for new orders on `/v2/orders`, checked before the engine sees them.

Native orders need not follow them; bots written against Alpaca expect them, and an order that
works here but not on Alpaca would surprise them there: a `client_order_id` is never reused,
crypto orders are gtc or ioc, fractional (or notional) stock orders are day orders and never
short sales, opg/cls orders have Alpaca's cut-offs (09:28 and 15:50 New York time, until
19:00, when orders for the next session are taken), and a stop lies beyond the market.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.api.alpaca.common import NEW_YORK, Ctx
from vtrade.core.clock import from_ns
from vtrade.core.errors import RejectedError, ValidationError
from vtrade.domain.instruments import AssetClass, Instrument

if TYPE_CHECKING:
    from vtrade.api.alpaca.orders import OrderRequest

CRYPTO_TIME_IN_FORCE = ("gtc", "ioc")
SUB_PENNY = 42210000  # Alpaca's code for a price off the grid, a stop through the market, ...
_CUT_OFFS = {"opg": time(9, 28), "cls": time(15, 50)}
_NEXT_SESSION_FROM = time(19, 0)
_US_VENUES = frozenset({"XNAS", "XNYS", "ARCX"})


def check_new_order(c: Ctx, body: OrderRequest, inst: Instrument) -> None:
    """Raise the error Alpaca gives for an order its rules refuse."""
    if body.client_order_id:
        used = c.container.store.get_order_by_client_id(c.account_id, body.client_order_id)
        if used is not None:
            raise ValidationError(
                f"client_order_id must be unique: {body.client_order_id!r} is order {used.id}"
            )
    tif = body.time_in_force
    if inst.asset_class is AssetClass.CRYPTO:
        if tif not in CRYPTO_TIME_IN_FORCE:
            raise ValidationError(
                f"time_in_force {tif} is not allowed for crypto orders; "
                f"allowed: {', '.join(CRYPTO_TIME_IN_FORCE)}"
            )
        return
    if body.notional is not None or (body.qty is not None and _fractional(body.qty)):
        _check_fractional(c, body, inst)
    if tif in _CUT_OFFS and inst.venue in _US_VENUES:
        _check_cut_off(c, inst, tif)
    if body.stop_price is not None and body.type in ("stop", "stop_limit"):
        _check_stop_side(c, body, inst)


def _fractional(qty: Decimal) -> bool:
    """A quantity with a fraction (one out of range, or not a number, is left to the engine's
    range check, which names it)."""
    return qty.is_finite() and qty.adjusted() < 15 and qty != qty.to_integral_value()


def _check_fractional(c: Ctx, body: OrderRequest, inst: Instrument) -> None:
    if body.time_in_force != "day":
        raise ValidationError(
            f"fractional orders must be day orders: time_in_force {body.time_in_force} is not "
            "allowed; allowed: day"
        )
    held = c.container.engine.positions.get((c.account_id, inst.symbol))
    if body.side == "sell" and (held is None or held.qty <= Decimal(0)):
        raise RejectedError("fractional orders cannot be sold short", symbol=inst.symbol)


def _check_stop_side(c: Ctx, body: OrderRequest, inst: Instrument) -> None:
    """A buy stop must lie above the market by more than a tick, a sell stop below it: one
    already through would trigger at once (a native order may; Alpaca refuses it)."""
    assert body.stop_price is not None
    base = c.container.engine.marks(c.now_ns()).mid(inst.symbol).quantize(inst.tick_size)
    tick = inst.tick_size
    if body.side == "buy" and body.stop_price <= base + tick:
        raise ValidationError(
            f"stop price must be greater than base_price + {tick} (base_price: {base}) for a "
            "buy stop",
            alpaca_code=SUB_PENNY,
        )
    if body.side == "sell" and body.stop_price >= base - tick:
        raise ValidationError(
            f"stop price must be less than base_price - {tick} (base_price: {base}) for a "
            "sell stop",
            alpaca_code=SUB_PENNY,
        )


def _check_cut_off(c: Ctx, inst: Instrument, tif: str) -> None:
    """opg orders are taken until 09:28 and cls orders until 15:50 on a trading day; from
    19:00 (and on days without a session) they are for the next one."""
    now = c.now_ns()
    local = from_ns(now).astimezone(NEW_YORK).time()
    trading_day = c.container.engine.sessions.for_instrument(inst).phase(now).value != "closed"
    if trading_day and _CUT_OFFS[tif] <= local < _NEXT_SESSION_FROM:
        raise ValidationError(
            f"{tif} orders are taken until {_CUT_OFFS[tif]:%H:%M} New York time, and from "
            f"{_NEXT_SESSION_FROM:%H:%M} for the next session; it is {local:%H:%M}",
            alpaca_code=SUB_PENNY,
        )
