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
    within_position: bool = False  # the new order keeps Alpaca's rule (see `SubmitOrder`)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenAccount(Command):
    owner: str
    name: str
    profile: str = "realistic"
    balance: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetAccount(Command):
    account_id: str
