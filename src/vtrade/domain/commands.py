"""Commands: imperative requests with exactly one handler, which raises on failure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TypeVar

from vtrade.core.errors import ValidationError
from vtrade.core.messages import Command
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderClass, OrderType, TimeInForce


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitOrder(Command):
    account_id: str
    symbol: str
    side: Side
    type: OrderType = OrderType.MARKET
    tif: TimeInForce = TimeInForce.DAY
    qty: Decimal | None = None
    notional: Decimal | None = None  # size by value instead of quantity (quote currency)
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_price: Decimal | None = None
    trail_percent: Decimal | None = None
    extended_hours: bool = False
    client_order_id: str | None = None
    order_class: OrderClass = OrderClass.SIMPLE
    """A bracket or oto order is an entry whose exit legs (the take-profit limit, the stop-loss
    stop or stop-limit) are held until it fills; an oco order is a take-profit limit order
    (this one) working with its stop-loss, each canceling the other (`execution.contingent`)."""
    take_profit_limit_price: Decimal | None = None
    stop_loss_stop_price: Decimal | None = None
    stop_loss_limit_price: Decimal | None = None  # a stop-limit stop-loss; else a stop order
    within_position: bool = False
    """Alpaca's rule: an order reducing a position may not exceed what is available (the
    position less what open orders on its closing side hold), so it never crosses through
    zero; refused otherwise, and not kept. Off for native orders, which may flip a position."""
    whole_units: bool = False
    """Alpaca's rule: the order trades whole units only (its API refuses a fractional short
    sale or non-day order before the engine sees it), so a refusal that names the largest
    quantity that fits names a whole one."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """What an API keeps with the order to show it again (Alpaca's `position_intent`): the
    engine stores it as given (`Order.extra`) and a replacement carries it."""

    def __post_init__(self) -> None:
        """Take the spellings a Python caller writes (`side="buy"`, `qty=10`, `qty="0.5"`);
        anything else is a `ValidationError` saying what is allowed."""
        for name, kind in _ENUMS:
            value = getattr(self, name)
            if not isinstance(value, kind):
                object.__setattr__(self, name, _member(kind, name, value))
        for name in _NUMBERS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, Decimal):
                object.__setattr__(self, name, _number(name, value))
        _check_exits(self)
        if self.order_class is OrderClass.OCO and self.limit_price is None:
            # an oco order is its take-profit limit order
            object.__setattr__(self, "limit_price", self.take_profit_limit_price)


_ENUMS = (("side", Side), ("type", OrderType), ("tif", TimeInForce), ("order_class", OrderClass))
_NUMBERS = (
    "qty",
    "notional",
    "limit_price",
    "stop_price",
    "trail_price",
    "trail_percent",
    "take_profit_limit_price",
    "stop_loss_stop_price",
    "stop_loss_limit_price",
)
_E = TypeVar("_E", bound=Enum)
_EXITS = {  # as Alpaca's request spells them
    "take_profit_limit_price": "take_profit limit_price",
    "stop_loss_stop_price": "stop_loss stop_price",
    "stop_loss_limit_price": "stop_loss limit_price",
}
_ENTRY_TYPES = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT)


def _check_exits(cmd: SubmitOrder) -> None:
    """Refuse exits a simple order cannot have, and a contingent order (`order_class`) that
    is malformed whatever the market: its class's legs, type, time in force and sizing."""
    cls, tp, sl = cmd.order_class, cmd.take_profit_limit_price, cmd.stop_loss_stop_price
    given = [name for name in _EXITS if getattr(cmd, name) is not None]
    if cls is OrderClass.SIMPLE:
        if given:
            raise ValidationError(
                f"{', '.join(_EXITS[n] for n in given)} belong to bracket, oco and oto orders: "
                "set order_class",
                field=given[0],
            )
        return
    for name in given:
        if getattr(cmd, name) <= 0:
            raise ValidationError(f"{_EXITS[name]} must be > 0", field=name)
    if cmd.stop_loss_limit_price is not None and sl is None:
        raise ValidationError("a stop_loss limit_price needs a stop_loss stop_price")
    if cls is OrderClass.OTO and (tp is None) == (sl is None):
        raise ValidationError("an oto order takes one exit: take_profit or stop_loss")
    if cls is not OrderClass.OTO and (tp is None or sl is None):
        raise ValidationError(f"a {cls.value} order needs both take_profit and stop_loss")
    if cmd.tif not in (TimeInForce.DAY, TimeInForce.GTC):
        raise ValidationError(
            f"a {cls.value} order's time_in_force must be day or gtc, not {cmd.tif.value}",
            field="time_in_force",
        )
    if cmd.extended_hours:
        raise ValidationError(f"a {cls.value} order cannot trade in extended hours")
    if cmd.qty is None:
        raise ValidationError(f"a {cls.value} order is sized by qty, not notional", field="qty")
    if cls is not OrderClass.OCO:
        if cmd.type not in _ENTRY_TYPES:
            raise ValidationError(
                f"a {cls.value} order's entry is a market, limit, stop or stop_limit order, "
                f"not {cmd.type.value}",
                field="type",
            )
        return
    if cmd.type is not OrderType.LIMIT:
        raise ValidationError(
            f"an oco order is a limit order (its take-profit), not {cmd.type.value}", field="type"
        )
    if cmd.limit_price is not None and cmd.limit_price != tp:
        raise ValidationError(
            f"an oco order's limit_price {cmd.limit_price} must be its take_profit limit_price "
            f"{tp}",
            field="limit_price",
        )
    assert tp is not None and sl is not None
    if (tp > sl) != (cmd.side is Side.SELL):  # a sell takes profit above its stop
        where = "above" if cmd.side is Side.SELL else "below"
        raise ValidationError(
            f"an oco {cmd.side.value}'s take_profit limit_price {tp} must be {where} its "
            f"stop_loss stop_price {sl}",
            field="take_profit",
        )


def _member(kind: type[_E], name: str, value: object) -> _E:
    try:
        return kind(value.lower() if isinstance(value, str) else value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise ValidationError(f"{name} {value!r} is not one of {allowed}", field=name) from None


def _number(name: str, value: object) -> Decimal:
    """An int or a numeric string exactly; a float as it prints (0.1 is 0.1)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError(f"{name} must be a number, got {value!r}", field=name)
    try:
        return Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise ValidationError(f"{name} must be a number, got {value!r}", field=name) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelOrder(Command):
    account_id: str
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceOrder(Command):
    """Replace an open order: unspecified fields keep their values."""

    account_id: str
    order_id: str
    qty: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail: Decimal | None = None
    tif: TimeInForce | None = None
    client_order_id: str | None = None
    within_position: bool = False  # the new order keeps Alpaca's rules (see `SubmitOrder`)
    whole_units: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenAccount(Command):
    owner: str
    name: str
    profile: str = "realistic"
    balance: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetAccount(Command):
    account_id: str
