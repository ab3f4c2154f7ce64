"""Commands: imperative requests with exactly one handler, which raises on failure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vtrade.core.messages import Command
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce


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
    within_position: bool = False
    """Alpaca's rule: an order reducing a position may not exceed what is available (the
    position less what open orders on its closing side hold), so it never crosses through
    zero; refused otherwise, and not kept. Off for native orders, which may flip a position."""


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
