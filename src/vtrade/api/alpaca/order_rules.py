"""Alpaca's own rules for new orders on `/v2/orders`, checked before the engine sees them.

Native orders need not follow them; bots written against Alpaca expect them, and an order that
works here but not on Alpaca would surprise them there: a `client_order_id` is never reused,
crypto orders are gtc or ioc and market, limit or stop_limit orders, fractional (or notional)
stock orders are day orders and never short sales, opg/cls orders have Alpaca's cut-offs
(09:28 and 15:50 New York time, until 19:00, when orders for the next session are taken), and
a stop lies beyond the market, a notional has at most 9 decimals, and an order's estimated
cost basis is at least $1 ($10 for a crypto buy) unless it closes the whole position. A
replacement keeps them as a whole new order would. A
malformed order (the engine's shape rules) is refused before the engine sees it, so that, as
on Alpaca, a 422 leaves no order behind; what Alpaca refuses with a 403 the engine rejects.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from vtrade.api.alpaca.common import NEW_YORK, Ctx, insufficient_qty
from vtrade.api.alpaca.schemas import alpaca_symbol, dec, intent_of
from vtrade.core.clock import from_ns, to_ns
from vtrade.core.errors import RejectedError, ValidationError, VtradeError
from vtrade.core.money import decimals_of
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Side
from vtrade.execution.routing import AUCTION_LOCKS
from vtrade.execution.validation import (
    QTY_AVAILABLE,
    OrderOutOfRange,
    RuleViolation,
    client_id_taken,
)

if TYPE_CHECKING:
    from vtrade.api.alpaca.orders import OrderRequest

CRYPTO_TIME_IN_FORCE = ("gtc", "ioc")
CRYPTO_ORDER_TYPES = ("market", "limit", "stop_limit")
NOTIONAL_DECIMALS = 9  # "Both notional and qty fields can take up to 9 decimal point values"
MIN_COST_BASIS = Decimal(1)  # in US dollars
MIN_CRYPTO_BUY_COST_BASIS = Decimal(10)  # a USD-quoted coin's buy (a sell's is the above)
SUB_PENNY = 42210000  # Alpaca's code for a price off the grid, a stop through the market, ...
_CUT_OFFS = {tif.value: before for tif, (_, _, before) in AUCTION_LOCKS.items()}
_NEXT_SESSION_FROM = time(19, 0)
_US_VENUES = frozenset({"XNAS", "XNYS", "ARCX"})
# Rules about the order's own shape (422); every other rule is a trading refusal (403).
_SHAPE_RULES = frozenset(
    {
        "quantity",
        "lot_size",
        "order_type",
        "tick_size",
        "limit_price",
        "stop_price",
        "extended_hours",
        "time_in_force",
    }
)


def check_new_order(c: Ctx, body: OrderRequest, inst: Instrument) -> None:
    """Raise the error Alpaca gives for an order its rules refuse."""
    if body.client_order_id:
        used = c.container.store.get_order_by_client_id(c.account_id, body.client_order_id)
        if used is not None and used.holds_client_id:
            raise client_id_taken(body.client_order_id, used.id)
    if body.notional is not None:
        _check_notional(body.notional, inst)
    tif = body.time_in_force
    if inst.asset_class is AssetClass.CRYPTO:
        _check_crypto(body)
    elif body.notional is not None or (body.qty is not None and _fractional(body.qty)):
        _check_fractional(c, body, inst)
    if tif in _CUT_OFFS and inst.venue in _US_VENUES:
        _check_cut_off(c, inst, tif)
    if body.stop_price is not None and body.type in ("stop", "stop_limit"):
        _check_stop_side(c, body, inst)
    _check_cost_basis(c, body, inst)


def position_intent(c: Ctx, body: OrderRequest, inst: Instrument) -> str:
    """The order's `position_intent`, inferred from the position as Alpaca does; one sent
    that disagrees is refused (Alpaca: "position intent mismatch")."""
    held = c.container.engine.position(c.account_id, inst.symbol).qty
    inferred = intent_of(Side(body.side), held)
    if body.position_intent is not None and body.position_intent != inferred:
        raise ValidationError(
            f"position intent mismatch: {body.position_intent} sent, {inferred} inferred from "
            f"the position of {dec(held)} {alpaca_symbol(inst)}; send {inferred} or leave "
            "position_intent out",
            alpaca_code=SUB_PENNY,
        )
    return inferred


def check_shape_first(c: Ctx, cmd: SubmitOrder) -> None:
    """Refuse a malformed order (422) before the engine sees it: on Alpaca a 422 leaves no
    order behind, so nothing is kept, listed or streamed, and its `client_order_id` stays
    free. This is the engine's own shape check (`check_shape`) on the order as it would
    arrive. A number out of range is left to the engine, which bounds prices by the market at
    the order's arrival and refuses such an order without keeping it, as it refuses one sized
    by both or neither of qty and notional, or by notional but not at the market."""
    try:
        c.container.engine.check_shape_of(cmd, c.now_ns())
    except OrderOutOfRange:
        return  # the engine refuses it itself, keeping nothing
    except RuleViolation as exc:
        raise refusal(exc.rule, exc.message, c.catalog.get(cmd.symbol)) from None
    except ValidationError:
        return  # sized by both or neither of qty and notional: the engine refuses it too


def refusal(
    rule: str, message: str, inst: Instrument, facts: Mapping[str, str] | None = None
) -> VtradeError:
    """The Alpaca error for an order the engine's `rule` refuses (403 or 422), with the symbol
    as Alpaca spells it (`BTC/USD`; the engine's message keeps ours, `BTC-USD`). `facts` are
    the numbers an order refused for the quantity available carries."""
    symbol = alpaca_symbol(inst)
    message = message.replace(inst.symbol, symbol) or rule
    if rule == QTY_AVAILABLE:  # refused, not kept: the order carries the numbers
        return insufficient_qty(inst, message, facts or {})
    if rule == "tick_size":
        return ValidationError(message, rule=rule, symbol=symbol, alpaca_code=SUB_PENNY)
    if rule in _SHAPE_RULES:
        return ValidationError(message, rule=rule, symbol=symbol)
    return RejectedError(message, rule=rule, symbol=symbol)


def _check_notional(notional: Decimal, inst: Instrument) -> None:
    if inst.currency != "USD":
        raise ValidationError(
            f"notional is in US dollars on /v2, and {alpaca_symbol(inst)} is quoted in "
            f"{inst.currency}: give qty, or use /api/v1/orders, whose notional is in the "
            "quote currency"
        )
    if notional.is_finite() and decimals_of(notional) > NOTIONAL_DECIMALS:
        raise ValidationError(
            f"notional {notional} has too many decimals: it may have at most "
            f"{NOTIONAL_DECIMALS} decimals"
        )


def _check_cost_basis(c: Ctx, body: OrderRequest, inst: Instrument) -> None:
    """Refuse (403, as Alpaca) an order whose estimated cost basis is under Alpaca's minimum,
    but one that closes the whole position: a bot can always get out of one (dust)."""
    estimated = _cost_basis(c, body, inst)
    if estimated is None or _closes_position(c, body, inst):
        return
    basis, how = estimated
    crypto_buy = inst.asset_class is AssetClass.CRYPTO and body.side == "buy"
    least = MIN_CRYPTO_BUY_COST_BASIS if crypto_buy and inst.currency == "USD" else MIN_COST_BASIS
    if basis < least:
        raise RejectedError(
            f"cost basis must be >= minimal amount of order {least}: this order's is "
            f"{_dollars(basis)} USD, estimated as {how}",
            symbol=alpaca_symbol(inst),
        )


def _cost_basis(c: Ctx, body: OrderRequest, inst: Instrument) -> tuple[Decimal, str] | None:
    """The order's estimated cost basis in US dollars and how it was estimated, as Alpaca
    does: its notional, else its quantity at its limit price, or at the latest ask (a buy) or
    bid (a sell). None for an order too malformed to estimate (the engine refuses it)."""
    if body.notional is not None:
        return (body.notional, "its notional") if _positive(body.notional) else None
    if body.qty is None or not _positive(body.qty):
        return None
    if body.type in ("limit", "stop_limit"):
        price, source = body.limit_price, "limit price"
    else:
        quote = c.container.market.quote(inst.symbol, c.now_ns())
        price, source = (quote.ask, "ask") if body.side == "buy" else (quote.bid, "bid")
    if price is None or not _positive(price):
        return None
    marks = c.container.engine.marks(c.now_ns())
    how = f"{source} {price} x qty {body.qty}"
    if inst.multiplier != 1:
        how += f" x multiplier {inst.multiplier}"
    if inst.currency != "USD":
        how += f" {inst.currency} at {marks.fx(inst.currency).normalize():f} USD"
    return marks.value(inst, body.qty, price), how  # VCR: US dollars


def _dollars(amount: Decimal) -> str:
    """`amount` to a hundredth of a cent, cut rather than rounded: 0.99999 is not 1.00."""
    return f"{amount.quantize(Decimal('0.0001'), ROUND_DOWN).normalize():f}"


def _positive(number: Decimal) -> bool:
    return number.is_finite() and number > 0


def _closes_position(c: Ctx, body: OrderRequest, inst: Instrument) -> bool:
    """Whether the order is for the whole position, on the side that closes it."""
    held = c.container.engine.position(c.account_id, inst.symbol).qty
    closing = held > 0 if body.side == "sell" else held < 0
    return closing and body.qty == abs(held)


def _check_crypto(body: OrderRequest) -> None:
    if body.time_in_force not in CRYPTO_TIME_IN_FORCE:
        raise ValidationError(
            f"time_in_force {body.time_in_force} is not allowed for crypto orders; "
            f"allowed: {', '.join(CRYPTO_TIME_IN_FORCE)}"
        )
    if body.type not in CRYPTO_ORDER_TYPES:
        raise ValidationError(
            f"invalid order type for crypto order: {body.type}; "
            f"allowed: {', '.join(CRYPTO_ORDER_TYPES)}"
        )


def _fractional(qty: Decimal) -> bool:
    """A quantity with a fraction (one out of range, or not a number, is left to the engine's
    range check, which names it)."""
    return qty.is_finite() and qty.adjusted() < 15 and qty != qty.to_integral_value()


def whole_units_only(c: Ctx, body: OrderRequest, inst: Instrument) -> bool:
    """Whether Alpaca takes this order in whole units only (`_check_fractional`): a non-day
    order or a short sale, but in crypto."""
    if inst.asset_class is AssetClass.CRYPTO:
        return False
    return body.time_in_force != "day" or _short_sale(c, body, inst)


def _short_sale(c: Ctx, body: OrderRequest, inst: Instrument) -> bool:
    held = c.container.engine.positions.get((c.account_id, inst.symbol))
    return body.side == "sell" and (held is None or held.qty <= Decimal(0))


def _check_fractional(c: Ctx, body: OrderRequest, inst: Instrument) -> None:
    if body.time_in_force != "day":
        raise ValidationError(
            f"fractional orders must be day orders: time_in_force {body.time_in_force} is not "
            "allowed; allowed: day"
        )
    if _short_sale(c, body, inst):
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
    """opg orders are taken until two minutes before the open and cls orders until ten
    minutes before the close (09:28 and 15:50; 12:50 on an early-close day) of a trading
    day; from 19:00 New York time (and on days without a session) they are for the next one."""
    now = c.now_ns()
    local = from_ns(now).astimezone(NEW_YORK)
    calendar = c.container.engine.sessions.for_instrument(inst)
    hours = calendar.regular_hours(local.date())
    if hours is None:
        return  # no session today: the order is for the next one
    cut = hours[0] - _CUT_OFFS[tif] if tif == "opg" else hours[1] - _CUT_OFFS[tif]
    next_session = to_ns(datetime.combine(local.date(), _NEXT_SESSION_FROM, NEW_YORK))
    if cut <= now < next_session:
        until = from_ns(cut).astimezone(NEW_YORK)
        raise ValidationError(
            f"{tif} orders are taken until {until:%H:%M} New York time today, and from "
            f"{_NEXT_SESSION_FROM:%H:%M} for the next session; it is {local:%H:%M}",
            alpaca_code=SUB_PENNY,
        )
