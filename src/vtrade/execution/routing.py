"""Session routing: when an order may execute, and when it expires.

- Market orders outside the regular session wait for the next open and execute in its
  opening auction (`pending_open`), or against the book at the open where the venue has no
  auction (FX, futures, indices); in a lunch break they wait for the afternoon session and
  take its book. ioc/fok orders are rejected instead.
- opg orders execute in the next opening auction, cls orders in the closing auction of the
  current (or next) session; an auction they cannot fill cancels them.
- Limit orders work in the regular session, and in US pre/post-market when `extended_hours`.
- On the US exchanges the auctions stop taking orders shortly before they run (Nasdaq and
  NYSE rules, which Alpaca applies): opg orders from 2 minutes before the open, cls orders
  from 10 minutes before the close. Then new ones are refused, and open ones can be neither
  canceled nor replaced (`auction_lock`). (`/v2/orders` refuses them on until 19:00, as
  Alpaca does: `api.alpaca.order_rules`.)
- A cls order placed while its market is closed (after the close, on a weekend, before the
  open) waits for the open (`pending_open`, Alpaca's "accepted") and is routed to the venue
  then; one placed in the regular session is at the venue at once.
- Day orders expire at the close of their session (the end of post-market when extended);
  for around-the-clock markets at the end of the trading day (00:00 UTC crypto, 17:00 New York
  FX and futures).
"""

from __future__ import annotations

from vtrade.core.clock import NS_PER_MINUTE, from_ns, iso
from vtrade.domain.instruments import Instrument
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from vtrade.execution.validation import RuleViolation, has_auctions
from vtrade.market.sessions import Phase, SessionCalendar
from vtrade.market.sessions_build import EXTENDED_HOURS_CALENDARS, NEW_YORK

IMMEDIATE = (TimeInForce.IOC, TimeInForce.FOK)
# how long before its auction a US exchange stops taking, canceling or replacing its orders
AUCTION_LOCKS = {
    TimeInForce.OPG: ("open", "opening", 2 * NS_PER_MINUTE),
    TimeInForce.CLS: ("close", "closing", 10 * NS_PER_MINUTE),
}
DAY_EXPIRED = "day order expired at the close"


def can_work(order: Order, phase: Phase) -> bool:
    """Whether `order` may trade in `phase`."""
    return phase is Phase.REGULAR or (order.extended_hours and phase in (Phase.PRE, Phase.POST))


def route(order: Order, inst: Instrument, calendar: SessionCalendar, t_ns: int) -> None:
    """Set `due_ns`/`expire_ns` for the session; raise RuleViolation when it cannot trade."""
    state = calendar.state(t_ns)
    if order.tif in AUCTION_LOCKS:
        which = AUCTION_LOCKS[order.tif][0]
        order.due_ns = order.expire_ns = _session_boundary(calendar, t_ns, which)
        locked = auction_lock(order, inst, t_ns)
        if locked is not None:
            raise RuleViolation("session", f"{locked}; submit it before then, or a day order")
        return
    if not can_work(order, state.phase):
        if order.tif in IMMEDIATE:
            raise RuleViolation(
                "session",
                f"{inst.symbol} is {state.phase.value}; {order.tif.value} orders need an open "
                f"market (next open {_iso(state.next_open)})",
            )
        if order.type is OrderType.MARKET:  # the next regular session (a lunch break's end)
            order.due_ns = _known(state.next_open)
    if order.tif is TimeInForce.DAY:
        order.expire_ns = _session_boundary(
            calendar, t_ns, "end" if order.extended_hours else "close"
        )


def next_workable(order: Order, calendar: SessionCalendar, t_ns: int) -> int | None:
    """The first instant after `t_ns`, a closed market's, from which `order` may trade: the
    next day's start (the US pre-market) for an extended-hours order, else the next regular
    open; None past the supported range or on a market that never closes."""
    if order.extended_hours:
        return calendar.next_boundary("start", t_ns)
    return calendar.state(t_ns).next_open


def auction_lock(order: Order, inst: Instrument, t_ns: int) -> str | None:
    """Why `order`, an opg or cls order routed to its auction (`due_ns`), can no longer be
    entered, canceled or replaced at `t_ns`: on a US exchange the auction's book is locked
    in its last minutes. None when it still can."""
    lock = AUCTION_LOCKS.get(order.tif)
    us_auction = has_auctions(inst) and inst.calendar in EXTENDED_HOURS_CALENDARS
    if lock is None or not us_auction or order.due_ns is None:
        return None
    which, auction, before = lock
    if not 0 < order.due_ns - t_ns <= before:
        return None
    locked = from_ns(order.due_ns - before).astimezone(NEW_YORK).strftime("%H:%M")
    return (
        f"the {auction} auction of {inst.symbol} takes no new {order.tif.value} orders, and "
        f"lets none be canceled or replaced, from {locked} New York "
        f"({before // NS_PER_MINUTE} minutes before the {which})"
    )


def waits_for_market(order: Order, calendar: SessionCalendar, t_ns: int) -> bool:
    """Whether `order`, routed at `t_ns` (`route`), waits for its market (`pending_open`):
    queued for an open, or resting while its session is closed. A cls order placed in the
    regular session is for today's close: it is at the venue already; one placed while the
    market is closed waits for the open, and is routed then (`working`)."""
    if order.due_ns is not None and order.tif is not TimeInForce.CLS:
        return True  # (`due_ns` is set by `route`: an auction's, never a latency's)
    return not can_work(order, calendar.phase(t_ns))


def in_flight(order: Order) -> bool:
    """Whether `order` was accepted and has yet to reach the market (a profile's latency):
    due, but neither queued for an auction (pending the open) nor a closing-auction order."""
    return (
        order.due_ns is not None
        and order.status is OrderStatus.ACCEPTED
        and order.tif is not TimeInForce.CLS
    )


def executes_now(order: Order, inst: Instrument, calendar: SessionCalendar, t_ns: int) -> bool:
    """Market and limit orders meet the book at once when their session is open, and so does
    a stop that has triggered (a replacement of one: it is a market or limit order now)."""
    if order.due_ns is not None:
        return False
    if order.type not in (OrderType.MARKET, OrderType.LIMIT) and not order.triggered:
        return False
    return can_work(order, calendar.phase(t_ns))


def meets_opening_auction(inst: Instrument, calendar: SessionCalendar, t_ns: int | None) -> bool:
    """Whether an order queued for `t_ns` (None: the next open, unknown) trades in an opening
    auction: where the venue has auctions and `t_ns` opens the day; after a lunch break
    trading just resumes."""
    return has_auctions(inst) and (t_ns is None or calendar.opens_day(t_ns))


def auction_due(
    order: Order, inst: Instrument, calendar: SessionCalendar, t_ns: int | None
) -> tuple[str, bool]:
    """The session boundary an order due at `t_ns` waits for, "close" (cls) or "open", and
    whether an auction is held there (`meets_opening_auction`; a close's wherever the venue
    has auctions)."""
    if order.tif is TimeInForce.CLS:
        return "close", has_auctions(inst)
    return "open", meets_opening_auction(inst, calendar, t_ns)


def _session_boundary(calendar: SessionCalendar, t_ns: int, which: str) -> int:
    """The first regular open, close or trading-day end strictly after `t_ns`."""
    return _known(calendar.next_boundary(which, t_ns))


def _known(instant: int | None) -> int:
    if instant is None:
        raise RuleViolation("session", "no session left in the supported range")
    return instant


def _iso(ns: int | None) -> str:
    return "none" if ns is None else iso(ns)
