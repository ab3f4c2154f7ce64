"""Session routing: when an order may execute, and when it expires.

- Market orders outside the regular session wait for the next open and execute in its
  opening auction (`pending_open`), or against the book at the open where the venue has no
  auction (FX, futures, indices); in a lunch break they wait for the afternoon session and
  take its book. ioc/fok orders are rejected instead.
- opg orders execute in the next opening auction, cls orders in the closing auction of the
  current (or next) session; an auction they cannot fill cancels them.
- Limit orders work in the regular session, and in US pre/post-market when `extended_hours`.
- Day orders expire at the close of their session (the end of post-market when extended);
  for around-the-clock markets at the end of the trading day (00:00 UTC crypto, 17:00 New York
  FX and futures).
"""

from __future__ import annotations

from vtrade.core.clock import iso
from vtrade.domain.instruments import Instrument
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from vtrade.execution.validation import RuleViolation, has_auctions
from vtrade.market.sessions import Phase, SessionCalendar

IMMEDIATE = (TimeInForce.IOC, TimeInForce.FOK)


def can_work(order: Order, phase: Phase) -> bool:
    """Whether `order` may trade in `phase`."""
    return phase is Phase.REGULAR or (order.extended_hours and phase in (Phase.PRE, Phase.POST))


def route(order: Order, inst: Instrument, calendar: SessionCalendar, t_ns: int) -> None:
    """Set `due_ns`/`expire_ns` for the session; raise RuleViolation when it cannot trade."""
    state = calendar.state(t_ns)
    if order.tif is TimeInForce.OPG:
        order.due_ns = order.expire_ns = _next_open(calendar, t_ns)
        return
    if order.tif is TimeInForce.CLS:
        order.due_ns = order.expire_ns = _session_boundary(calendar, t_ns, "close")
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


def _next_open(calendar: SessionCalendar, t_ns: int) -> int:
    return _session_boundary(calendar, t_ns, "open")


def _session_boundary(calendar: SessionCalendar, t_ns: int, which: str) -> int:
    """The first regular open, close or trading-day end strictly after `t_ns`."""
    return _known(calendar.next_boundary(which, t_ns))


def _known(instant: int | None) -> int:
    if instant is None:
        raise RuleViolation("session", "no session left in the supported range")
    return instant


def _iso(ns: int | None) -> str:
    return "none" if ns is None else iso(ns)
