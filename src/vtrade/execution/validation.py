"""Pre-trade checks. A rejection names its rule and the numbers behind it.

Order of checks: shape (every number within `ORDER_BOUNDS`, then lot, type fields, tick), the
account's own rules (and, for orders that ask for it, Alpaca's quantity available), price
collar, shortability, then account limits: buying power at the margin rate of the asset class
(cash, fees and the walk of the book for instruments that are not marginable and for any buy
of a cash-only account) and the post-trade position cap, both counting
open orders.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from operator import attrgetter

from vtrade.core.errors import ValidationError
from vtrade.core.money import largest_fitting, round_to_increment
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.margin import MIN_EQUITY_TO_SHORT, short_minimum, short_rule_applies
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderType, TimeInForce
from vtrade.execution.accounting import (
    ONE,
    AccountView,
    Marks,
    holding_ids,
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


class OrderOutOfRange(RuleViolation):
    """A number of the order lies outside `ORDER_BOUNDS`: malformed input, like a schema error.
    It is raised before any arithmetic on the number, and not turned into a kept `rejected`
    order: every API answers it 422 (our `ValidationError` code), as Alpaca answers its own
    out-of-range input. `field` names the order's field."""

    code = ValidationError.code

    def __init__(self, rule: str, field: str, message: str) -> None:
        super().__init__(rule, message)
        self.details["field"] = field


@dataclass(frozen=True, slots=True)
class OrderBounds:
    """The widest numbers an order may carry, as a broker's fat-finger limits."""

    max_qty: Decimal  # units of any instrument
    max_notional: Decimal  # in the instrument's quote currency
    max_price_multiple: Decimal  # limit and stop prices, times the market price


# Far above any real order, far below what breaks Decimal's 28 digits (1e38 % 0.0001 cannot be
# computed). 1e12 units: over six days of SHIB-USD, the catalog's busiest instrument counted in
# units (1.5e11 a day), and 60 times every Apple share there is; with the catalog's finest lot
# (1e-5) quantity / lot stays below 1e17. A notional of 1e12 is the largest balance an account
# opens with (the API's limit). 1,000 times the market keeps every price / tick below 1e18
# (finest tick 1e-9) while no real limit or stop is that far off. Trails are bounded by the
# market itself (`check_bounds`).
ORDER_BOUNDS = OrderBounds(
    max_qty=Decimal("1e12"), max_notional=Decimal("1e12"), max_price_multiple=Decimal(1000)
)

QTY_AVAILABLE = "qty_available"


class InsufficientQtyAvailable(AccountRuleViolation):
    """Alpaca's rule (`SubmitOrder.within_position`): an order reducing a position asked for
    more than is available, the position less what open orders on its closing side hold.
    Refused like an account rule; `facts` are the extra keys of Alpaca's 403, among them
    `related_orders`, the ids of the orders holding it (joined by commas: facts are text)."""

    # the keys of its `facts`
    FACTS = ("available", "existing_qty", "held_for_orders", "related_orders")

    def __init__(
        self,
        symbol: str,
        requested: Decimal,
        existing_qty: Decimal,
        held_for_orders: Decimal,
        related_orders: Sequence[str] = (),
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
            related_orders=",".join(related_orders),  # the API lists them
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
    # the price a market order pays now: the best opposite price (ask for buys, bid for
    # sells), or, for a cash-only market buy, the average its walk of the book costs
    market_price: Decimal
    # what executing a quantity of the order now costs in VCR against the mid: its fees, and
    # what its expected price pays beyond the mid (the position cap's NAV is after them)
    trade_costs: Callable[[Order, Decimal], Decimal]
    trading_suspended: bool = False  # the account's own rules
    no_shorting: bool = False
    cash_only: bool = False  # every position needs its whole value: no borrowing
    within_position: bool = False  # Alpaca's rules, asked for by the order's command
    whole_units: bool = False
    # the fees, in VCR, of an order buying (qty, at price) now: cash-only orders, this one and
    # the account's others still open, must cover theirs too
    fees_vcr: Callable[[Order, Decimal, Decimal], Decimal] | None = None


PRICES_NEEDED: dict[OrderType, tuple[str, ...]] = {
    OrderType.MARKET: (),
    OrderType.LIMIT: ("limit_price",),
    OrderType.STOP: ("stop_price",),
    OrderType.STOP_LIMIT: ("stop_price", "limit_price"),
    OrderType.TRAILING_STOP: (),
}


def check_shape(order: Order, inst: Instrument) -> None:
    """Check the order's numbers are in range, then lot, the fields each order type needs, and
    tick sizes."""
    check_bounds(order, inst)
    if not _on_grid("quantity", "qty", order.qty, inst.lot_size):
        raise RuleViolation(
            "lot_size",
            f"quantity {order.qty} is not a multiple of the lot size {inst.lot_size} "
            f"of {inst.symbol}",
        )
    needs = PRICES_NEEDED[order.type]
    for name in needs:
        if getattr(order, name) is None:
            raise RuleViolation("order_type", f"a {order.type.value} order needs {name}")
    for name in ("limit_price", "stop_price"):
        value = getattr(order, name)
        if value is not None and name not in needs:
            raise RuleViolation("order_type", f"a {order.type.value} order takes no {name}")
        if value is not None and not _on_grid(name, name, value, inst.tick_size):
            raise RuleViolation(
                "tick_size",
                f"{name} {value} must be a multiple of the tick size "
                f"{inst.tick_size} of {inst.symbol}",
            )
    _check_trailing(order)
    trail = order.trail_price
    if trail is not None and not _on_grid("trail_price", "trail_price", trail, inst.tick_size):
        raise RuleViolation(
            "tick_size",
            f"trail_price {trail} must be a multiple of the tick size {inst.tick_size} "
            f"of {inst.symbol}",
        )
    _check_time_in_force(order, inst)


def check_bounds(order: Order, inst: Instrument) -> None:
    """Refuse (`OrderOutOfRange`) an order whose quantity, notional, limit or stop price, or
    trail lies outside `ORDER_BOUNDS`, before any arithmetic on it. Prices are bounded by the
    market price: the arrival mid, else (before one is known) the catalog's reference price. A
    trail must stay below the market (trail_price) or 100% (trail_percent), so that a sell's
    stop stays above zero and a buy's stays within twice the market."""
    if order.notional is not None:
        check_notional(order.notional)
    check_qty(order.qty)
    market = order.arrival_mid or inst.market.reference_price
    top = market * ORDER_BOUNDS.max_price_multiple
    scale = f"{ORDER_BOUNDS.max_price_multiple} times the market price {_qty(market)}"
    for name in ("limit_price", "stop_price"):
        value = getattr(order, name)
        if value is not None:
            _check_range(name, name, value, top, f"at most {_qty(top)} ({scale})")
    if order.trail_price is not None:
        below = f"below the market price {_qty(market)}"
        _check_range("order_type", "trail_price", order.trail_price, market, below, open_top=True)
    if order.trail_percent is not None:
        pct = order.trail_percent
        _check_range("order_type", "trail_percent", pct, Decimal(100), "below 100", open_top=True)


def check_qty(qty: Decimal) -> None:
    """Refuse (`OrderOutOfRange`) a quantity that is not positive or above `ORDER_BOUNDS`."""
    top = ORDER_BOUNDS.max_qty
    _check_range("quantity", "qty", qty, top, f"at most {_qty(top)}, the largest quantity allowed")


def check_lots(qty: Decimal, inst: Instrument) -> None:
    """Refuse (`ValidationError`) a quantity that is not a positive multiple of the lot: an
    estimate's, which the fill model would never fill as asked."""
    if qty > 0:
        check_qty(qty)  # before `%`, which Decimal cannot compute for 1e38 units
    if qty <= 0 or qty % inst.lot_size:
        raise ValidationError(
            f"quantity must be a positive multiple of the lot size {inst.lot_size}, got {qty}",
            field="qty",
        )


def check_tick(price: Decimal, inst: Instrument, field: str) -> None:
    """Refuse (`ValidationError`) a positive price off the tick: an estimate's, which the
    engine would refuse as an order. One too large to divide by the tick is left to the
    estimate's range check."""
    try:
        off_tick = price.is_finite() and price > 0 and bool(price % inst.tick_size)
    except InvalidOperation:
        return
    if off_tick:
        raise ValidationError(
            f"{field} {price} must be a multiple of the tick size {inst.tick_size} "
            f"of {inst.symbol}",
            field=field,
        )


def check_notional(notional: Decimal) -> None:
    """Refuse (`OrderOutOfRange`) a notional that is not positive or above `ORDER_BOUNDS`."""
    top = ORDER_BOUNDS.max_notional
    _check_range("quantity", "notional", notional, top, f"at most {_qty(top)}")


def _check_range(
    rule: str, field: str, value: Decimal, top: Decimal, allowed: str, *, open_top: bool = False
) -> None:
    """Refuse `value` unless it is finite, positive and at most (`open_top`: below) `top`.
    Comparisons are exact however large the number: nothing here can overflow."""
    if value.is_finite() and 0 < value and (value < top if open_top else value <= top):
        return
    raise OrderOutOfRange(
        rule, field, f"{field} {value} is out of range: it must be above 0 and {allowed}"
    )


def _on_grid(rule: str, field: str, value: Decimal, step: Decimal) -> bool:
    """Tell whether `value` is a multiple of `step` (a lot or a tick). A quotient too long for
    Decimal's precision (a value `check_bounds` should have refused) is refused as out of range
    rather than left to fail as an internal error."""
    try:
        return not value % step
    except InvalidOperation:
        raise OrderOutOfRange(
            rule, field, f"{field} {value} is out of range: too large to check against {step}"
        ) from None


def _check_trailing(order: Order) -> None:
    trails = [v for v in (order.trail_price, order.trail_percent) if v is not None]
    if order.type is OrderType.TRAILING_STOP:
        if len(trails) != 1:
            raise RuleViolation(
                "order_type",
                "a trailing_stop order needs exactly one of trail_price and trail_percent",
            )
    elif trails:
        raise RuleViolation("order_type", f"a {order.type.value} order takes no trail")


def has_auctions(inst: Instrument) -> bool:
    """Whether the instrument's venue opens and closes with auctions (stock exchanges do; FX,
    futures, index and crypto markets just start and stop trading)."""
    return inst.asset_class in (AssetClass.EQUITY, AssetClass.ETF)


def _check_time_in_force(order: Order, inst: Instrument) -> None:
    if order.extended_hours and not (
        inst.extended_hours and order.type is OrderType.LIMIT and order.tif is TimeInForce.DAY
    ):
        raise RuleViolation(
            "extended_hours",
            "extended_hours needs a day limit order in a US-listed stock or ETF",
        )
    if order.tif in (TimeInForce.OPG, TimeInForce.CLS) and not has_auctions(inst):
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


def client_id_taken(client_order_id: str, order_id: str) -> ValidationError:
    """The error for a `client_order_id` another order of the account already has."""
    return ValidationError(
        f"client_order_id must be unique: {client_order_id!r} is already used by order "
        f"{order_id}; give a new one, or none to have one made",
        field="client_order_id",
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
    if after < 0 and inst.shares and after != after.to_integral_value():
        # a short left fractional by this order (one already so may be covered bit by bit)
        if after < before or before == before.to_integral_value():
            _refuse_fractional_short(order, inst, ctx.position_qty, after)
    added = _added_exposure(before, after)
    if added <= 0:
        return  # reduces exposure: always allowed
    price = _risk_price(order, ctx.market_price, mid)
    view = ctx.account_view()
    if after < 0 and after < before and inst.shares:
        _check_may_short(inst, ctx.cash_only, view.nav)
    fx = ctx.marks.fx(inst.currency)
    notional = added * price * inst.multiplier * fx
    rate = ONE if ctx.cash_only else initial_rate(inst, ctx.limits.leverage)
    if order.side is Side.BUY and pays_cash(inst, ctx.cash_only):
        pending = pending_cash(others, ctx.marks, ctx.fees_vcr, cash_only=ctx.cash_only)
        cash = view.spendable_cash - pending
        fees = ctx.fees_vcr(order, added, price) if ctx.fees_vcr is not None else Decimal(0)
        if notional + fees > cash:
            with_fees = f" with {_money(fees)} VCR of fees" if fees else ""
            costs, free = _money_apart(notional + fees, max(cash, Decimal(0)))
            why = (
                "the account is cash-only" if ctx.cash_only else f"{inst.symbol} is not marginable"
            )
            raise RuleViolation(
                "cash",
                f"{why} and needs cash: the order costs about {costs} VCR{with_fees}, "
                f"{free} VCR of cash is free",
            )
    pending = pending_margin(others, ctx.marks, ctx.limits, view, cash_only=ctx.cash_only)
    available = view.nav - view.margin_used - pending
    closes = _closed_by_flip(before, after, ctx.position_qty)
    # a flip frees the margin of the position it closes before the new side needs any: all
    # it held, a short's FINRA floor included (as the account view counts it)
    freed = closes * mid * inst.multiplier * fx
    short_floor = short_minimum(inst, freed, closes) if ctx.position_qty < 0 else Decimal(0)
    available += max(freed * rate, short_floor)
    needed, basis = notional * rate, f"{(ONE / rate).normalize()}:1"
    if order.side is Side.SELL and after < 0:  # no short starts under its minimum
        floor = short_minimum(inst, notional, added)
        if floor > needed:
            needed, basis = floor, "FINRA's short-sale minimum"
    if needed > available:
        cash_only = " (the account is cash-only: it borrows nothing)" if ctx.cash_only else ""
        needs, free = _money_apart(needed, max(available, Decimal(0)))
        raise RuleViolation(
            "buying_power",
            f"insufficient buying power: the order needs {needs} VCR of margin "
            f"({basis} on {_money(notional)} VCR){cash_only}, {free} VCR is available",
        )
    ordered = [o for o in others if o.symbol == inst.symbol and o.side is order.side]
    held = _held_value(order, ctx.position_qty, ordered, mid)
    held *= inst.multiplier * fx
    _check_concentration(order, inst, ctx, view.nav, held, ordered, added, closes, price)


def _check_may_short(inst: Instrument, cash_only: bool, nav: Decimal) -> None:
    """A short sale of shares borrows them, which needs a margin account (Regulation T: a
    cash account may not sell short; nor may a UK cash account), and of US stock at least
    2,000 of equity (FINRA 4210(b); Alpaca's `shorting_enabled`)."""
    if cash_only:
        raise AccountRuleViolation(
            "cash_only",
            f"a cash-only account may not sell {inst.symbol} short: short sales need a margin "
            "account (set max_margin_multiplier to 2)",
        )
    if short_rule_applies(inst) and nav < MIN_EQUITY_TO_SHORT:
        raise RuleViolation(
            "short_minimum_equity",
            f"selling {inst.symbol} short needs at least {_money(MIN_EQUITY_TO_SHORT)} VCR of "
            f"equity (FINRA 4210(b)); the account has {_money(nav)} VCR",
        )


def _held_value(order: Order, position: Decimal, ordered: list[Order], mid: Decimal) -> Decimal:
    """What the cap counts as already on the order's side, in quote currency: the position at
    the mid and each open order on that side (`ordered`) at the price its own check valued it
    at, so that an order accepted at the cap still reads as at the cap. Orders close an
    opposite position first, in the order they came: only what each opens beyond it counts."""
    held = signed(order.side, position)
    value = max(held, Decimal(0)) * mid
    to_close = max(-held, Decimal(0))
    for o in sorted(ordered, key=lambda o: o.seq):
        closing = min(o.remaining, to_close)
        to_close -= closing
        value += (o.remaining - closing) * _cap_price(o, _risk_price(o, mid, mid), mid)
    return value


def _cap_price(order: Order, price: Decimal, mid: Decimal) -> Decimal:
    """What the cap values `order` at, given its risk `price`: a market or limit order trading
    through the mid is valued at the mid it marks at (what it pays beyond is a cost); a stop
    buys at its stop, not now."""
    if order.type in (OrderType.MARKET, OrderType.LIMIT):
        return min(price, mid) if order.side is Side.BUY else max(price, mid)
    return price


def _check_concentration(
    order: Order,
    inst: Instrument,
    ctx: CheckContext,
    nav: Decimal,
    held: Decimal,
    ordered: list[Order],
    added: Decimal,
    closes: Decimal,
    price: Decimal,
) -> None:
    """The post-trade position cap: what is `held` (VCR, `ordered` included) plus what this
    order adds, as a share of the NAV left after the costs of the order (both legs of a flip)
    and of `ordered`. The order is valued at its `price` (`_risk_price`),
    except that a market or limit order trading through the mid is valued at the mid it marks
    at: what it pays beyond the mid is a cost. A rejection says the largest order that fits,
    a flip's close included."""
    mid = ctx.marks.mid(inst.symbol)
    unit_value = inst.multiplier * ctx.marks.fx(inst.currency)
    own = _cap_price(order, price, mid)
    cap = ctx.limits.max_position_share
    # asked for only near the cap: an account's open orders each cost a fee quote
    ordered_costs = functools.cache(
        lambda: sum((ctx.trade_costs(o, o.remaining) for o in ordered), Decimal(0))
    )

    def costs(qty: Decimal) -> Decimal:
        return ordered_costs() + ctx.trade_costs(order, closes + qty)

    def share(qty: Decimal) -> Decimal:
        value = held + qty * own * unit_value
        if nav <= 0:
            return ONE
        if value <= cap * nav / 2:  # far from the cap: no cost takes it over
            return value / nav
        left = nav - costs(qty)
        return value / left if left > 0 else ONE

    over = share(added)
    if over <= cap:
        return

    def room(left: Decimal) -> Decimal:  # the lots that fit in `left` of NAV, costs aside
        return round_to_increment(
            max(cap * left - held, Decimal(0)) / (own * unit_value), lot, "down"
        )

    # what fits lies between the room left after the whole order's costs (a smaller order
    # costs no more) and the room before any cost, and under the order itself
    whole = ctx.whole_units or (order.side is Side.SELL and inst.shares)  # see "whole_shares"
    lot = max(inst.lot_size, ONE) if whole else inst.lot_size
    high = min(room(nav), round_to_increment(added, lot, "up") - lot)
    low = min(room(nav - costs(added)), high)
    fits = largest_fitting(lambda q: share(q) <= cap, low, high, lot) + closes
    raise RuleViolation(
        "concentration",
        f"position in {inst.symbol} would be {_percent(over, cap)} of NAV "
        f"(counting open orders); limit is {_rate(cap)}; "
        + (f"at most {_qty(fits)} more fit" if fits > 0 else "no more fits"),
    )


def _refuse_fractional_short(
    order: Order, inst: Instrument, position: Decimal, after: Decimal
) -> None:
    """A short of shares is whole shares (a lender lends whole ones; Alpaca refuses fractional
    short sales, and a fractional cover would leave one): say which sizes of the order leave
    a whole position."""
    side = order.side.value
    whole = ROUND_CEILING if order.side is Side.SELL else ROUND_FLOOR
    smaller = order.qty - abs(after - after.to_integral_value(rounding=whole))
    sizes = [q for q in (smaller, smaller + 1) if q > 0]
    raise RuleViolation(
        "whole_shares",
        f"{inst.symbol} is sold short in whole shares: you hold {_qty(position)}, and this "
        f"order with your open {side}s would leave {_qty(after)}; {side} "
        + " or ".join(_qty(q) for q in sizes),
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
        related = holding_ids(others, order.symbol, order.side)
        raise InsufficientQtyAvailable(order.symbol, order.qty, existing, held, related)


def _check_collar(order: Order, inst: Instrument, mid: Decimal, limits: Limits) -> None:
    """Refuse a limit that would trade more than the collar through the price it works at: the
    market for a limit order, the stop for a stop-limit (its limit takes over only once the
    stop triggers, so it belongs near the stop, not near today's price). Only the marketable
    side is collared, as exchanges' price protection does: a limit beyond it would sweep the
    book at once, while a passive limit far away just rests."""
    if order.limit_price is None:
        return
    collar = limits.collars.get(inst.asset_class, Decimal("0.10"))
    if order.stop_price is None:
        base, of = mid, f"the market ({mid.quantize(inst.tick_size)})"
    else:
        base, of = order.stop_price, f"the stop price ({order.stop_price})"
    away = (order.limit_price - base) / base * (1 if order.side is Side.BUY else -1)
    if away > collar:
        buy = order.side is Side.BUY
        where = "above" if buy else "below"
        # the furthest limit on the tick grid within the collar
        edge = base * (1 + collar if buy else 1 - collar) / inst.tick_size
        rounding = ROUND_FLOOR if buy else ROUND_CEILING
        allowed = edge.to_integral_value(rounding=rounding) * inst.tick_size
        raise RuleViolation(
            "price_collar",
            f"limit price {order.limit_price} is {_percent(away, collar)} {where} {of}; "
            f"the collar is {_rate(collar)}: the {'highest' if buy else 'lowest'} "
            f"{order.side.value} limit allowed is {allowed}",
        )


def _closed_by_flip(before: Decimal, after: Decimal, position: Decimal) -> Decimal:
    """What of the held position an order that flips it closes (`before`: the position with
    the other open orders on the order's side; nothing unless that is still on the held
    position's side)."""
    if before and (before > 0) != (after > 0) and (before > 0) == (position > 0):
        return abs(before)
    return Decimal(0)


def _added_exposure(before: Decimal, after: Decimal) -> Decimal:
    """How much the absolute position grows (a flip counts only the new side)."""
    if before == 0 or (before > 0) == (after > 0):
        return max(Decimal(0), abs(after) - abs(before))
    return abs(after)


def _risk_price(order: Order, market: Decimal, mid: Decimal) -> Decimal:
    """Price used to size the order's exposure: its limit, else the market price, or for a
    buy stop the stop when above it: the price it is expected to fill at, no better. A new
    trailing buy stop's stop is the mid plus its trail, as `working.start_trailing` sets it
    once accepted, so that it keeps the value it was checked at."""
    if order.limit_price is not None:
        return order.limit_price if order.side is Side.BUY else max(order.limit_price, mid)
    if order.side is Side.SELL:
        return market
    stop = order.stop_price
    if stop is None and order.type is OrderType.TRAILING_STOP:  # as `start_trailing` will set it
        stop = mid + (order.trail_price or mid * (order.trail_percent or 0) / 100)
    return market if stop is None else max(stop, market)


def pending_margin(
    orders: Iterable[Order],
    marks: Marks,
    limits: Limits,
    view: AccountView,
    *,
    cash_only: bool = False,
) -> Decimal:
    """Margin reserved by other open orders for the exposure they would add (valued at their
    limit or the mid). An order on a position's closing side adds only what goes beyond what
    is held (and not already being closed by earlier orders): a sell of 900 against 1 held
    opens a short of 899."""
    total = Decimal(0)
    closable: dict[str, Decimal] = {}  # quantity of each position not yet being closed
    for o in sorted(orders, key=_SEQ):
        inst = marks.instrument(o.symbol)
        opens = o.remaining
        held = view.values.get(o.symbol, Decimal(0))
        if held and (held > 0) != (o.side is Side.BUY):
            if o.symbol not in closable:
                closable[o.symbol] = abs(held) / marks.value(inst, Decimal(1))
            closes = min(opens, closable[o.symbol])
            closable[o.symbol] -= closes
            opens -= closes
        if opens > 0:
            value = marks.value(inst, opens, _pending_price(o, marks))
            needed = value * (ONE if cash_only else initial_rate(inst, limits.leverage))
            if o.side is Side.SELL:  # a short's floor, as above
                needed = max(needed, short_minimum(inst, value, opens))
            total += needed
    return total


_SEQ = attrgetter("seq")


def pays_cash(inst: Instrument, cash_only: bool) -> bool:
    """Whether a buy of `inst` is paid in cash, value and fees: what is not marginable, and
    anything a cash-only account buys (it borrows nothing)."""
    return cash_only or not inst.marginable


def pending_cash(
    orders: Iterable[Order],
    marks: Marks,
    fees_vcr: Callable[[Order, Decimal, Decimal], Decimal] | None,
    *,
    cash_only: bool = False,
) -> Decimal:
    """Cash the account's open cash buys will take (of what is not marginable, or of anything
    in a `cash_only` account): their remainders at the prices their own checks valued them
    at (`_pending_price`), with their fees."""
    total = Decimal(0)
    for o in orders:
        inst = marks.instrument(o.symbol)
        if o.side is Side.BUY and pays_cash(inst, cash_only):
            price = _pending_price(o, marks)
            total += marks.value(inst, o.remaining, price)
            if fees_vcr is not None:
                total += fees_vcr(o, o.remaining, price)
    return total


def _pending_price(order: Order, marks: Marks) -> Decimal:
    """What another open order is valued at: as its own check valued it (`_risk_price`: its
    limit, a buy stop at its stop when above the market), the mid standing in for the market."""
    mid = marks.mid(order.symbol)
    return _risk_price(order, mid, mid)


def _percent(share: Decimal, cap: Decimal) -> str:
    """`share` as a percentage precise enough to read as over `cap` (25.003%, not 25.0%)."""
    for places in range(1, 9):  # 25.0000023%, never a refusal reading 25.0000% against 25%
        text = f"{share * 100:.{places}f}"
        if Decimal(text) > cap * 100:
            return f"{text}%"
    return f"{share * 100:.8f}%"


def _rate(share: Decimal) -> str:
    """A configured share as the percentage it was set to: 25%, 7.5%, 12.5% (not 12%)."""
    return f"{format((share * 100).normalize(), 'f')}%"


def _money_apart(needed: Decimal, available: Decimal) -> tuple[str, str]:
    """Both amounts (`_money`), with the digits it takes to read `needed` as more than
    `available` ("40,000.0412" and "40,000.0408", not "40,000.04" twice)."""
    if needed == available:
        return _money(needed), _money(available)
    places = 2
    while (pair := (f"{needed:,.{places}f}", f"{available:,.{places}f}"))[0] == pair[1]:
        places += 1  # ends: the amounts differ in some digit
    return (_money(needed), _money(available)) if places == 2 else pair


def _money(value: Decimal) -> str:
    """Cents, or enough digits to tell a sliver from nothing ("0.000027", not "0.00")."""
    if 0 < abs(value) < Decimal("0.005"):
        return format(value.quantize(Decimal("1e-8")).normalize(), "f")
    return f"{value:,.2f}"


def _qty(value: Decimal) -> str:
    """A quantity without lot padding: 10, not 10.0000."""
    return format(value.normalize(), "f")
