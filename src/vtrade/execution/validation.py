"""Pre-trade checks. A rejection names its rule and the numbers behind it.

Order of checks: shape (quantity, lot, type fields, tick), the account's own rules (and, for
orders that ask for it, Alpaca's quantity available), price collar, shortability, then account
limits: buying power at the margin rate of the asset class (cash for instruments that are not
marginable) and the post-trade position cap, both counting open orders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from vtrade.core.errors import ValidationError
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderType, TimeInForce
from vtrade.execution.accounting import (
    ONE,
    AccountView,
    Marks,
    initial_rate,
    open_quantity,
    signed,
)


class RuleViolation(ValidationError):
    """The order breaks a pre-trade rule; `rule` names it."""

    code = 42240

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message, rule=rule)
        self.rule = rule


class AccountRuleViolation(RuleViolation):
    """The order breaks one of the account's own rules (trading suspended, no shorting): it
    is refused without being kept, so its client order id stays free for when the rule is
    lifted (as Alpaca refuses such orders with a 403 and no order). `facts` are the numbers
    behind the refusal as text, for the caller's answer (the refused order carries them in
    its `extra`)."""

    def __init__(self, rule: str, message: str, **facts: str) -> None:
        super().__init__(rule, message)
        self.facts = facts


QTY_AVAILABLE = "qty_available"


class InsufficientQtyAvailable(AccountRuleViolation):
    """Alpaca's rule (`SubmitOrder.within_position`): an order reducing a position asked for
    more than is available, the position less what open orders on its closing side hold.
    Refused like an account rule; `facts` are the extra keys of Alpaca's 403."""

    def __init__(
        self, symbol: str, requested: Decimal, existing_qty: Decimal, held_for_orders: Decimal
    ) -> None:
        self.symbol = symbol
        self.requested = requested
        self.existing_qty = existing_qty
        self.held_for_orders = held_for_orders
        self.available = existing_qty - held_for_orders
        super().__init__(
            QTY_AVAILABLE,
            f"insufficient qty available for order (requested: {_qty(requested)}, "
            f"available: {_qty(self.available)})",
            available=_qty(self.available),
            existing_qty=_qty(existing_qty),
            held_for_orders=_qty(held_for_orders),
        )


@dataclass(frozen=True, slots=True)
class Limits:
    leverage: Mapping[AssetClass, Decimal]
    max_position_share: Decimal
    collars: Mapping[AssetClass, Decimal]


@dataclass(frozen=True, slots=True)
class CheckContext:
    account_view: Callable[[], AccountView]  # valued on demand: only added exposure needs it
    position_qty: Decimal
    open_orders: Iterable[Order]  # the account's other open orders
    marks: Marks
    limits: Limits
    touch_price: Decimal  # best opposite price now (ask for buys, bid for sells)
    trading_suspended: bool = False  # the account's own rules
    no_shorting: bool = False
    within_position: bool = False  # Alpaca's rule, asked for by the order's command


_PRICES_NEEDED: dict[OrderType, tuple[str, ...]] = {
    OrderType.MARKET: (),
    OrderType.LIMIT: ("limit_price",),
    OrderType.STOP: ("stop_price",),
    OrderType.STOP_LIMIT: ("stop_price", "limit_price"),
    OrderType.TRAILING_STOP: (),
}


def check_shape(order: Order, inst: Instrument) -> None:
    """Check quantity, lot, the fields each order type needs, and tick sizes."""
    if order.qty <= 0:
        raise RuleViolation("quantity", f"quantity must be positive, got {order.qty}")
    if order.qty % inst.lot_size:
        raise RuleViolation(
            "lot_size",
            f"quantity {order.qty} is not a multiple of the lot size {inst.lot_size} "
            f"of {inst.symbol}",
        )
    needs = _PRICES_NEEDED[order.type]
    for name in needs:
        if getattr(order, name) is None:
            raise RuleViolation("order_type", f"a {order.type.value} order needs {name}")
    for name in ("limit_price", "stop_price"):
        value = getattr(order, name)
        if value is not None and name not in needs:
            raise RuleViolation("order_type", f"a {order.type.value} order takes no {name}")
        if value is not None and (value <= 0 or value % inst.tick_size):
            raise RuleViolation(
                "tick_size",
                f"{name} {value} must be positive and a multiple of the tick size "
                f"{inst.tick_size} of {inst.symbol}",
            )
    _check_trailing(order)
    _check_time_in_force(order, inst)


def _check_trailing(order: Order) -> None:
    trails = [v for v in (order.trail_price, order.trail_percent) if v is not None]
    if order.type is OrderType.TRAILING_STOP:
        if len(trails) != 1 or trails[0] <= 0:
            raise RuleViolation(
                "order_type",
                "a trailing_stop order needs exactly one positive trail_price or trail_percent",
            )
        if order.trail_percent is not None and order.trail_percent >= 100:
            raise RuleViolation("order_type", "trail_percent must be below 100")
    elif trails:
        raise RuleViolation("order_type", f"a {order.type.value} order takes no trail")


def _check_time_in_force(order: Order, inst: Instrument) -> None:
    if order.extended_hours and not (
        inst.extended_hours and order.type is OrderType.LIMIT and order.tif is TimeInForce.DAY
    ):
        raise RuleViolation(
            "extended_hours",
            "extended_hours needs a day limit order in a US-listed stock or ETF",
        )
    auctions = inst.asset_class in (AssetClass.EQUITY, AssetClass.ETF)
    if order.tif in (TimeInForce.OPG, TimeInForce.CLS) and not auctions:
        raise RuleViolation(
            "time_in_force",
            f"{order.tif.value} orders need an opening/closing auction; "
            f"{inst.symbol} ({inst.asset_class.value}) has none",
        )
    if order.tif in (TimeInForce.OPG, TimeInForce.CLS, TimeInForce.IOC, TimeInForce.FOK) and (
        order.type not in (OrderType.MARKET, OrderType.LIMIT)
    ):
        raise RuleViolation(
            "time_in_force", f"{order.tif.value} orders must be market or limit orders"
        )


def check_account(order: Order, inst: Instrument, ctx: CheckContext) -> None:
    """Check the account's rules, the quantity available (when the order asks for it), price
    collar, shortability, buying power and the position cap."""
    if ctx.trading_suspended:
        raise AccountRuleViolation(
            "trading_suspended", "trading is suspended for this account: it takes no new orders"
        )
    others = list(ctx.open_orders)
    if ctx.within_position:
        _check_within_position(order, ctx.position_qty, others)
    mid = ctx.marks.mid(inst.symbol)
    _check_collar(order, inst, mid, ctx.limits)
    same_side = open_quantity(others, inst.symbol, order.side)
    before = ctx.position_qty + signed(order.side, same_side)
    after = before + signed(order.side, order.qty)
    if after < 0 and not inst.shortable:
        raise RuleViolation(
            "shortable",
            f"{inst.symbol} cannot be sold short: you hold {_qty(ctx.position_qty)} and open "
            f"orders would leave {_qty(after)}",
        )
    if after < 0 and after < before and ctx.no_shorting:
        raise AccountRuleViolation(
            "no_shorting",
            f"this account may not sell short: you hold {_qty(ctx.position_qty)} {inst.symbol}, "
            f"and this order with your open sells would leave {_qty(after)}",
        )
    if _added_exposure(before, after) <= 0:
        return  # reduces exposure: always allowed
    price = _risk_price(order, ctx.touch_price, mid)
    view = ctx.account_view()
    fx = ctx.marks.fx(inst.currency)
    notional = _added_exposure(before, after) * price * inst.multiplier * fx
    rate = initial_rate(inst, ctx.limits.leverage)
    if not inst.marginable:
        cash = view.cash - _pending_cash(others, ctx)
        if notional > cash:
            raise RuleViolation(
                "cash",
                f"{inst.symbol} is not marginable and needs cash: the order costs about "
                f"{_money(notional)} VCR, {_money(max(cash, Decimal(0)))} VCR of cash is free",
            )
    available = view.nav - view.margin_used - _pending_margin(others, ctx, view)
    needed = notional * rate
    if needed > available:
        raise RuleViolation(
            "buying_power",
            f"insufficient buying power: the order needs {_money(needed)} VCR of margin "
            f"({(ONE / rate).normalize()}:1 on {_money(notional)} VCR), "
            f"{_money(max(available, Decimal(0)))} VCR is available",
        )
    share = abs(after) * price * inst.multiplier * fx / view.nav if view.nav > 0 else ONE
    cap = ctx.limits.max_position_share
    if share > cap:
        raise RuleViolation(
            "concentration",
            f"position in {inst.symbol} would be {share * 100:.1f}% of NAV "
            f"(counting open orders); limit is {cap * 100:.0f}%",
        )


def _check_within_position(order: Order, position_qty: Decimal, others: Iterable[Order]) -> None:
    """Refuse an order that reduces the position by more than is available: the position less
    what `others` (the account's other open orders) on its closing side have left to fill.
    Flat, or adding to the position, nothing limits it (see `InsufficientQtyAvailable`)."""
    if not position_qty or (position_qty > 0) == (order.side is Side.BUY):
        return
    existing = abs(position_qty)
    held = min(open_quantity(others, order.symbol, order.side), existing)
    if order.qty > existing - held:
        raise InsufficientQtyAvailable(order.symbol, order.qty, existing, held)


def _check_collar(order: Order, inst: Instrument, mid: Decimal, limits: Limits) -> None:
    if order.limit_price is None:
        return
    collar = limits.collars.get(inst.asset_class, Decimal("0.10"))
    away = (order.limit_price - mid) / mid * (1 if order.side is Side.BUY else -1)
    if away > collar:
        where = "above" if order.side is Side.BUY else "below"
        raise RuleViolation(
            "price_collar",
            f"limit price {order.limit_price} is {away * 100:.1f}% {where} the market "
            f"({mid.quantize(inst.tick_size)}); the collar is {collar * 100:.0f}%",
        )


def _added_exposure(before: Decimal, after: Decimal) -> Decimal:
    """How much the absolute position grows (a flip counts only the new side)."""
    if before == 0 or (before > 0) == (after > 0):
        return max(Decimal(0), abs(after) - abs(before))
    return abs(after)


def _risk_price(order: Order, touch: Decimal, mid: Decimal) -> Decimal:
    """Price used to size the order's exposure: its limit, else the touch (or the stop)."""
    if order.limit_price is not None:
        return order.limit_price if order.side is Side.BUY else max(order.limit_price, mid)
    if order.stop_price is not None:
        return max(order.stop_price, touch) if order.side is Side.BUY else touch
    return touch


def _pending_margin(orders: list[Order], ctx: CheckContext, view: AccountView) -> Decimal:
    """Margin reserved by other open orders that would add exposure (valued at the mid)."""
    total = Decimal(0)
    for o in orders:
        held = view.values.get(o.symbol, Decimal(0))
        if held and (held > 0) != (o.side is Side.BUY):
            continue  # closes part of a position
        inst = ctx.marks.instrument(o.symbol)
        total += _reserved(o, inst, ctx) * initial_rate(inst, ctx.limits.leverage)
    return total


def _pending_cash(orders: list[Order], ctx: CheckContext) -> Decimal:
    total = Decimal(0)
    for o in orders:
        inst = ctx.marks.instrument(o.symbol)
        if o.side is Side.BUY and not inst.marginable:
            total += _reserved(o, inst, ctx)
    return total


def _reserved(order: Order, inst: Instrument, ctx: CheckContext) -> Decimal:
    """VCR value of an open order's remainder at its limit (or the mid)."""
    return ctx.marks.value(inst, order.remaining, order.limit_price)


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _qty(value: Decimal) -> str:
    """A quantity without lot padding: 10, not 10.0000."""
    return format(value.normalize(), "f")
