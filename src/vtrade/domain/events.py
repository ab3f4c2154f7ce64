"""Events of the execution engine: past tense, immutable, published through the outbox.

The outbox delivers at least once, so an old event can arrive again after newer ones. Events
that carry an account's state (fills, resets, financing charges) are numbered per account by
`account_seq` (1, 2, ... over all of them): a consumer applies one only if its number is above
the last it applied for that account.
"""

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
    status: str  # accepted, or pending_open while it waits for its market (`OrderRouted`)
    # a trailing stop's stop and watermark as accepted: the market moves them on, unannounced
    stop_price: Decimal | None = None
    watermark: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRouted(OrderEvent):
    """An order that waited for its market (`pending_open`: queued for an open, or placed
    while its session was closed) reached it and works now: Alpaca's `new` after
    `accepted`. Its fills, if any, follow."""


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
    # The state the fill left behind, so consumers (portfolio, streams) need no ledger reads.
    fx_rate: Decimal = Decimal(1)  # quote currency -> account currency
    position_qty: Decimal = Decimal(0)
    position_avg_price: Decimal = Decimal(0)
    position_realized_pnl: Decimal = Decimal(0)  # account currency, since the position opened
    position_entry_fx: Decimal = Decimal(1)  # the FX rate the open quantity was entered at
    cash: Decimal = Decimal(0)  # the account's cash after the fill and its fee
    account_seq: int = 0  # this fill's place among the account's fills and resets


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelRequested(OrderEvent):
    """A cancel was sent for an order under a profile with latency: it reaches the market at
    `reaches_ns`, and the order may fill until then (Alpaca's `pending_cancel`). Its
    `OrderCanceled` follows, unless it filled first."""

    reaches_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReplaceRequested(OrderEvent):
    """A replace was sent for an order under a profile with latency: it reaches the market
    at `reaches_ns`, and the order works on until then (Alpaca's `pending_replace`). Its
    `OrderReplaced` follows, or, if it ended first, the replacement is canceled."""

    replaced_by: str
    reaches_ns: int


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
class FinancingCharged(Event):
    """Overnight financing: at a New York midnight, margin interest on a debit, the borrow fee
    of short stock and the financing of index contracts; at an FX rollover (a weekday's 17:00
    there), the roll of FX positions. `contracts` is negative when they earn. Each is what
    was paid."""

    account_id: str
    interest: Decimal
    borrow_fee: Decimal
    contracts: Decimal = Decimal(0)
    cash: Decimal  # after the charge
    account_seq: int = 0  # its place among the account's fills, resets and charges


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountOpened(Event):
    account_id: str
    owner: str
    profile: str
    balance: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountReset(Event):
    account_id: str
    balance: Decimal
    account_seq: int = 0  # this reset's place among the account's fills and resets


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountRulesChanged(Event):
    """The account's own rules as a command left them (see `Account`)."""

    account_id: str
    trading_suspended: bool
    no_shorting: bool
    cash_only: bool


# -- portfolio ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioValued(Event):
    """An account's hot state after price moves, coalesced (at most a few per second).

    `version` only grows: a subscriber that sees a lower version than it holds drops it.
    """

    account_id: str
    version: int
    nav: Decimal
    cash: Decimal
    day_pnl: Decimal
    unrealized_pnl: Decimal
    total_pnl: Decimal
    gross_exposure: Decimal
    net_exposure: Decimal
    margin_used: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioAlert(Event):
    """An account crossed a threshold (`active`) or came back across it (not `active`)."""

    account_id: str
    kind: str  # position_over_cap, margin_call, diversified, nav_milestone
    active: bool
    value: Decimal  # the measure that crossed (a weight, NAV, a count of groups)
    threshold: Decimal
    message: str
