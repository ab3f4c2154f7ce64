"""Under the harsh profile a cancel travels to the market as an order does, half a second
(README, Realism profiles): until it arrives the order may still fill (Alpaca's
`pending_cancel`), and it ends canceled when the cancel lands, or filled if it filled first.
A cancel had closed a harsh order at once, so a harsh trader could pull an order the market
was about to fill, with a speed the profile denies every order they send."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from vtrade.bootstrap import Container
from vtrade.core.errors import ConflictError
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.changes import Changes
from vtrade.domain.commands import CancelOrder, OpenAccount, ReplaceOrder, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus

if TYPE_CHECKING:
    from conftest import Venue

HALF_SECOND = 500_000_000


def cancel(venue: Venue, account: Account, order: Order) -> Changes:
    cmd = CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=order.id)
    return venue.engine.cancel(cmd, venue.now)[1]


def test_a_harsh_market_order_canceled_at_once_still_fills(venue: Venue) -> None:
    """The cancel leaves half a second behind the order and reaches the market behind it."""
    account = venue.open(balance=10**7, profile="harsh")
    order, _ = venue.submit(account, "AAPL", Side.BUY, 100)

    sent = cancel(venue, account, order)
    assert order.is_open and order.cancel_due_ns == venue.now + HALF_SECOND
    assert [type(e) for e in sent.events] == [ev.OrderCancelRequested]
    venue.advance(1)

    assert order.status is OrderStatus.FILLED and order.filled_qty == 100


def test_a_worked_harsh_block_fills_until_its_cancel_arrives_then_ends_canceled(
    venue: Venue,
) -> None:
    account = venue.open(balance=10**9, profile="harsh")
    order, _ = venue.submit(account, "AAPL", Side.BUY, 300_000)
    venue.advance(5)
    venue.advance_to_phase("AAPL")  # AAPL's orders meet the market now, and every second
    venue.advance_to(venue.now + 800_000_000)  # 0.2 s before they meet it again
    before = order.filled_qty
    assert order.is_open and before > 0

    cancel(venue, account, order)
    changes = venue.advance(2)

    assert order.status is OrderStatus.CANCELED
    assert order.filled_qty > before  # the meet 0.2 s after the cancel was sent still filled
    closed = [e for e in changes.events if isinstance(e, ev.OrderCanceled)]
    assert [e.ts_event for e in closed] == [order.cancel_due_ns]
    assert order.updated_ns == order.cancel_due_ns


def test_a_realistic_cancel_is_at_once(venue: Venue) -> None:
    account = venue.open(balance=10**9)
    order, _ = venue.submit(account, "AAPL", Side.BUY, 300_000)

    changes = cancel(venue, account, order)

    assert order.status is OrderStatus.CANCELED and order.cancel_due_ns is None
    assert [type(e) for e in changes.events] == [ev.OrderCanceled]


def test_a_second_cancel_changes_nothing_and_a_replace_is_refused_meanwhile(
    venue: Venue,
) -> None:
    account = venue.open(balance=10**9, profile="harsh")
    limit = (venue.quote("AAPL").bid * Decimal("0.9")).quantize(Decimal("0.01"))
    order, _ = venue.submit(account, "AAPL", Side.BUY, 100, type="limit", limit_price=limit)
    venue.advance(1)
    cancel(venue, account, order)
    due = order.cancel_due_ns
    venue.advance(0.2)

    again = cancel(venue, account, order)
    replace = ReplaceOrder(
        id="r", ts_init=venue.now, account_id=account.id, order_id=order.id, qty=Decimal(50)
    )
    with pytest.raises(ConflictError, match="a cancel is on its way to the market"):
        venue.engine.replace(replace, venue.now)

    assert not again.events and not again.orders and order.cancel_due_ns == due
    venue.advance(1)
    assert order.status is OrderStatus.CANCELED


def test_a_cancel_on_its_way_survives_a_restart(make_service: Callable[..., Container]) -> None:
    running = make_service(catch_up_hours=0)
    trading = running.trading
    account = trading.open_account(
        OpenAccount(id="o", ts_init=0, owner="ann", name="a", profile="harsh")
    )
    bid = running.market.books.quote("AAPL", running.clock.now_ns()).bid
    order = trading.submit(
        SubmitOrder(
            id="s",
            ts_init=0,
            account_id=account.id,
            symbol="AAPL",
            side=Side.BUY,
            qty=Decimal(100),
            type="limit",
            limit_price=(bid * Decimal("0.9")).quantize(Decimal("0.01")),
        )
    )
    pending = trading.cancel(
        CancelOrder(id="c", ts_init=0, account_id=account.id, order_id=order.id)
    )
    assert pending.is_open and pending.cancel_due_ns is not None

    restarted = make_service(catch_up_hours=0)
    stored = restarted.trading.engine.orders[order.id]
    assert stored.cancel_due_ns == pending.cancel_due_ns
    restarted.trading.advance(pending.cancel_due_ns + 1)

    closed = restarted.store.get_order(order.id)
    assert closed is not None and closed.status is OrderStatus.CANCELED
    assert closed.updated_ns == pending.cancel_due_ns
