"""Events of the execution engine: past tense, immutable, published through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vtrade.core.messages import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent(Event):
    account_id: str
    order_id: str
    client_order_id: str
    symbol: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAccepted(OrderEvent):
    status: str  # accepted or pending_open


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(OrderEvent):
    fill_id: str
    side: str
    qty: Decimal
    price: Decimal
    fee: Decimal
    partial: bool
    filled_qty: Decimal
    remaining: Decimal
    profile: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCanceled(OrderEvent):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderExpired(OrderEvent):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRejected(OrderEvent):
    rule: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReplaced(OrderEvent):
    replaced_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MarginCalled(Event):
    account_id: str
    equity: Decimal
    maintenance: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountReset(Event):
    account_id: str
    balance: Decimal
