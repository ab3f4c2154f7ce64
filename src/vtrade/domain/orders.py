"""Orders, their lifecycle table, and fills."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from vtrade.core.money import cents_adding_up
from vtrade.core.states import TransitionTable
from vtrade.domain.market_data import Side


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"
    TRAILING_STOP = "trailing_stop"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    OPG = "opg"  # execute in the opening auction
    CLS = "cls"  # execute in the closing auction


class OrderClass(StrEnum):
    """How an order is tied to others (Alpaca's `order_class`)."""

    SIMPLE = "simple"
    BRACKET = "bracket"  # an entry; once it fills, a take-profit and a stop-loss, one-cancels-other
    OTO = "oto"  # an entry; once it fills, one exit (one-triggers-other)
    OCO = "oco"  # a take-profit limit and a stop-loss, both working; one-cancels-other


# Keys of `Order.extra` that tie contingent orders together (`execution.contingent`)
ORDER_CLASS = "order_class"  # an `OrderClass` other than simple, on every order of a group
PARENT = "parent_id"  # on a leg: the order that holds it (a bracket's or an oto's entry)
LEGS = "legs"  # on the holding order: its legs' ids, comma-separated
OCO_WITH = "oco_with"  # on each order of a one-cancels-other pair: the other's id
RELEASED = "released_ns"  # on a leg its entry's fill released: when, sent to the market then
CANCEL_DUE = "cancel_due_ns"  # a cancel on its way under a profile's latency: when it arrives
# a replace on its way under a profile's latency: on the replacement, when it arrives (and
# what the order it replaces had filled when it was sent); on that order, the replacement's id
REPLACE_DUE = "replace_due_ns"
REPLACE_SENT_FILLED = "replace_sent_filled"
REPLACING_WITH = "replacing_with"
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})  # Unicode categories
BLANK_CLIENT_ORDER_ID = (
    "is blank: give one with a visible character, or leave it out to have one made"
)


def blank_client_order_id(client_order_id: str | None) -> bool:
    """Whether `client_order_id` is given but holds no visible character: only blanks
    (spaces, tabs, no-break spaces) and invisible ones (zero-width spaces and joiners, control
    characters). No id anyone means, and one a person cannot tell from another or from none.
    Every surface refuses it with `BLANK_CLIENT_ORDER_ID`; an empty one means none (one is
    made), as on Alpaca."""
    return bool(client_order_id) and all(_invisible(c) for c in client_order_id or "")


def _invisible(char: str) -> bool:
    """Blank or never drawn: a separator (Zs, Zl, Zp: spaces, no-break spaces), a control
    (Cc: tabs, line breaks) or a format character (Cf: zero-width spaces and joiners)."""
    return unicodedata.category(char) in _INVISIBLE


class OrderStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    HELD = "held"  # a leg of a bracket or oto order, waiting for its entry to fill
    PENDING_OPEN = "pending_open"  # waits for its market: queued for an open, or placed
    # while its session was closed; the open routes it (`OrderRouted`) and it is ACCEPTED
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REPLACED = "replaced"
    REJECTED = "rejected"


_S = OrderStatus
ORDER_TRANSITIONS: TransitionTable[OrderStatus] = TransitionTable(
    "order",
    {
        _S.NEW: {
            _S.HELD,
            _S.ACCEPTED,
            _S.PENDING_OPEN,
            _S.PARTIALLY_FILLED,
            _S.FILLED,
            _S.CANCELED,
            _S.REJECTED,
        },
        _S.ACCEPTED: {
            _S.PENDING_OPEN,  # in flight, it arrived after its session closed
            _S.PARTIALLY_FILLED,
            _S.FILLED,
            _S.CANCELED,
            _S.EXPIRED,
            _S.REPLACED,
        },
        # its entry filled (or ended after a partial fill), or ended; its day may be over then
        _S.HELD: {_S.ACCEPTED, _S.PENDING_OPEN, _S.CANCELED, _S.EXPIRED},
        _S.PENDING_OPEN: {
            _S.ACCEPTED,
            _S.PARTIALLY_FILLED,
            _S.FILLED,
            _S.CANCELED,
            _S.EXPIRED,
            _S.REPLACED,
        },
        _S.PARTIALLY_FILLED: {
            _S.PARTIALLY_FILLED,
            _S.FILLED,
            _S.CANCELED,
            _S.EXPIRED,
            _S.REPLACED,
        },
    },
)
OPEN_STATUSES = frozenset({_S.NEW, _S.ACCEPTED, _S.PENDING_OPEN, _S.PARTIALLY_FILLED})
# Not ended: the open orders, and the legs held for their entries (which do not work yet)
UNFINISHED_STATUSES = OPEN_STATUSES | {_S.HELD}


@dataclass(slots=True, kw_only=True)
class Order:
    """An order and its progress. Status changes only through `move_to`."""

    id: str
    account_id: str
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    tif: TimeInForce
    qty: Decimal
    notional: Decimal | None = None  # when sized by notional, `qty` is resolved at arrival
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_price: Decimal | None = None
    trail_percent: Decimal | None = None
    extended_hours: bool = False
    status: OrderStatus = OrderStatus.NEW
    filled_qty: Decimal = Decimal(0)
    filled_notional: Decimal = Decimal(0)  # sum of qty * price, quote currency
    triggered: bool = False  # stops: the stop price has been reached
    watermark: Decimal | None = None  # trailing stops: best price since submission
    arrival_mid: Decimal | None = None
    replaces: str | None = None
    replaced_by: str | None = None
    # a bracket's, oto's or oco's entry and every version of its legs: its first entry's id
    # (the nested listings read a group by it, however often its orders were replaced); an
    # entry replaced leaves the group to its replacement
    group_id: str | None = None
    reject_reason: str | None = None
    profile: str = "realistic"
    created_ns: int = 0
    updated_ns: int = 0
    seq: int = 0  # time priority among our own resting orders
    due_ns: int | None = None  # opg/cls and queued orders: when the auction executes them
    expire_ns: int | None = None  # day orders: end of their trading day
    # working orders: participation not yet used, carried from the last fill (a fraction of
    # a unit the market's volume since then adds to; see `execution.working`)
    allowance: Decimal = Decimal(0)
    # the VCR value of its fills' fees, unrounded: each fill books the rounded total less
    # what the earlier ones booked, so they add up to the total converted (`booking`)
    fees_vcr: Decimal = Decimal(0)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.filled_qty

    @property
    def sent_ns(self) -> int:
        """When the order was sent to the market: when it was placed, or, for a leg held
        until its entry filled, when that fill released it (`created_ns` stays when it was
        placed, as the listings and Alpaca's `created_at` show it)."""
        released = self.extra.get(RELEASED)
        return self.created_ns if released is None else int(released)

    @property
    def cancel_due_ns(self) -> int | None:
        """When a cancel sent for the order reaches the market (a profile's latency after it
        was sent; until then the order may still fill), or None if none was sent."""
        due = self.extra.get(CANCEL_DUE)
        return None if due is None else int(due)

    @property
    def replace_due_ns(self) -> int | None:
        """On a replacement sent under a profile's latency: when it reaches the market and
        takes the place of the order it replaces (which works on until then), else None."""
        due = self.extra.get(REPLACE_DUE)
        return None if due is None else int(due)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def holds_client_id(self) -> bool:
        """Whether no other order of the account may take its `client_order_id`: true of all
        but an order refused at submission, which (as on Alpaca, where such an order is never
        created) leaves its id free for the corrected order a bot sends next."""
        return self.status is not OrderStatus.REJECTED

    @property
    def leg_ids(self) -> list[str]:
        """The ids of the legs it was placed with (a bracket's, oto's or oco's entry), in the
        order they were placed; none for any other order."""
        legs = self.extra.get(LEGS)
        return legs.split(",") if legs else []

    @property
    def avg_fill_price(self) -> Decimal | None:
        return self.filled_notional / self.filled_qty if self.filled_qty else None

    def move_to(self, status: OrderStatus, ts_ns: int) -> None:
        """Change status along the lifecycle table; raise IllegalTransitionError otherwise."""
        ORDER_TRANSITIONS.check(self.status, status)
        self.status = status
        self.updated_ns = ts_ns


@dataclass(frozen=True, slots=True, kw_only=True)
class Slice:
    """One piece of an execution against one book level (or an auction)."""

    price: Decimal
    qty: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """Why a fill cost what it did, in the instrument's quote currency unless noted."""

    arrival_mid: Decimal
    touch: Decimal  # best opposite price when the fill happened
    avg_price: Decimal
    spread_cost: Decimal  # qty * |touch - mid| * multiplier
    impact_cost: Decimal  # qty * |avg - touch| * multiplier
    fees: Decimal
    fee_breakdown: tuple[tuple[str, Decimal], ...]
    fx_rate: Decimal  # quote currency -> account currency
    slices: tuple[Slice, ...]
    profile: str
    liquidity: str  # "taker", "maker" or "auction"
    frictionless_cost: Decimal  # what the same qty would cost at the arrival mid, no fees
    slippage_bps: Decimal  # (avg - arrival mid) / arrival mid, signed against the trader
    # qty * (mid at the fill - arrival mid) * multiplier, against the trader: the market's move
    # while the order waited (a remainder, a resting limit). frictionless + drift + spread +
    # impact is what the slices cost (for a sell, what they fetched, with the signs turned)
    drift_cost: Decimal = Decimal(0)
    # the auction an `auction` fill crossed in, "open" or "close" (None: not one; also an
    # auction fill stored before receipts named it)
    auction: str | None = None

    def costs_in_cents(self, side: Side) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """The frictionless, drift, spread and impact costs to the cent, adding up (a sell's
        with the signs turned) to what the slices cost to the cent, as a reader checks them."""
        sign = 1 if side is Side.BUY else -1
        parts = (self.drift_cost, self.spread_cost, self.impact_cost)
        rounded = cents_adding_up((self.frictionless_cost, *(sign * p for p in parts)))
        drift, spread, impact = (sign * p + 0 for p in rounded[1:])  # `+ 0`: no -0
        return rounded[0], drift, spread, impact


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """An execution of (part of) an order."""

    id: str
    order_id: str
    account_id: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal  # average price of this fill's slices
    fee: Decimal  # quote currency
    fx_rate: Decimal
    ts_ns: int
    profile: str
    receipt: Receipt
