"""Under the harsh profile a cancel travels to the market as an order does, half a second
(README, Realism profiles): until it arrives the order may still fill (Alpaca's
`pending_cancel`), and it ends canceled when the cancel lands, or filled if it filled first.
A cancel had closed a harsh order at once, so a harsh trader could pull an order the market
was about to fill, with a speed the profile denies every order they send."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from conftest import at
from vtrade.bootstrap import Container
from vtrade.core.clock import SimulatedClock
from vtrade.core.errors import ConflictError
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.changes import Changes
from vtrade.domain.commands import CancelOrder, OpenAccount, ReplaceOrder, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

HALF_SECOND = 500_000_000
SECOND = 1_000_000_000


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


def _harsh_buy(service: Container, qty: int, **order: Any) -> tuple[Account, Order]:
    """A harsh account's AAPL buy, placed through the trading service."""
    trading = service.trading
    account = trading.open_account(
        OpenAccount(
            id="o", ts_init=0, owner="ann", name="a", profile="harsh", balance=Decimal(10**9)
        )
    )
    cmd = SubmitOrder(
        id="s",
        ts_init=0,
        account_id=account.id,
        symbol="AAPL",
        side=Side.BUY,
        qty=Decimal(qty),
        **order,
    )
    return account, trading.submit(cmd)


def _harsh_resting_bid(service: Container) -> tuple[Account, Order]:
    bid = service.market.books.quote("AAPL", service.clock.now_ns()).bid
    limit = (bid * Decimal("0.9")).quantize(Decimal("0.01"))
    return _harsh_buy(service, 100, type="limit", limit_price=limit)


def _cancel_sent(service: Container, account: Account, order: Order) -> Order:
    return service.trading.cancel(
        CancelOrder(id="c", ts_init=0, account_id=account.id, order_id=order.id)
    )


def test_a_cancel_on_its_way_survives_a_restart(make_service: Callable[..., Container]) -> None:
    running = make_service(catch_up_hours=0)
    account, order = _harsh_resting_bid(running)
    pending = _cancel_sent(running, account, order)
    assert pending.is_open and pending.cancel_due_ns is not None

    restarted = make_service(catch_up_hours=0)
    stored = restarted.trading.engine.orders[order.id]
    assert stored.cancel_due_ns == pending.cancel_due_ns
    restarted.trading.advance(pending.cancel_due_ns + 1)

    closed = restarted.store.get_order(order.id)
    assert closed is not None and closed.status is OrderStatus.CANCELED
    assert closed.updated_ns == pending.cancel_due_ns


def test_a_replace_on_its_way_survives_a_restart(make_service: Callable[..., Container]) -> None:
    running = make_service(catch_up_hours=0)
    account, order = _harsh_resting_bid(running)
    assert order.limit_price is not None
    new = running.trading.replace(
        ReplaceOrder(
            id="r",
            ts_init=0,
            account_id=account.id,
            order_id=order.id,
            limit_price=order.limit_price - Decimal("0.01"),
        )
    )
    due = new.replace_due_ns
    assert due is not None

    restarted = make_service(catch_up_hours=0)
    assert restarted.trading.engine.orders[new.id].replace_due_ns == due
    restarted.trading.advance(due + 1)

    old, placed = restarted.store.get_order(order.id), restarted.store.get_order(new.id)
    assert old is not None and old.status is OrderStatus.REPLACED and old.updated_ns == due
    assert placed is not None and placed.is_open and placed.replace_due_ns is None


# -- a replace travels too: replacing an order away from the market did not pull it at once ----


def replace(venue: Venue, account: Account, order: Order, **changes: Any) -> Order:
    cmd = ReplaceOrder(
        id="r", ts_init=venue.now, account_id=account.id, order_id=order.id, **changes
    )
    return venue.engine.replace(cmd, venue.now)[0]


def test_a_harsh_block_replaced_works_on_until_the_replace_arrives(venue: Venue) -> None:
    """Its replacement then takes what it left: the two never fill more than was asked."""
    account = venue.open(balance=10**9, profile="harsh")
    order, _ = venue.submit(account, "AAPL", Side.BUY, 300_000)
    venue.advance(5)
    venue.advance_to_phase("AAPL")
    venue.advance_to(venue.now + 800_000_000)  # 0.2 s before AAPL's orders meet the market
    before = order.filled_qty

    new = replace(venue, account, order, tif=TimeInForce.GTC)
    assert order.is_open and new.replaces == order.id and new.qty == 300_000 - before
    venue.advance(0.6)  # the meet 0.2 s on, and the replace's arrival

    assert order.status is OrderStatus.REPLACED and order.filled_qty > before
    assert order.updated_ns == new.created_ns + HALF_SECOND
    assert order.filled_qty + new.qty == 300_000
    assert new.is_open and new.replace_due_ns is None


def test_a_replace_that_arrives_after_its_order_filled_cancels_the_replacement(
    venue: Venue,
) -> None:
    account = venue.open(balance=10**7, profile="harsh")
    order, _ = venue.submit(account, "AAPL", Side.BUY, 100)
    venue.advance(0.1)  # in flight still: it arrives, and fills, before the replace

    new = replace(venue, account, order, tif=TimeInForce.GTC)
    changes = venue.advance(1)

    assert order.status is OrderStatus.FILLED and order.filled_qty == 100
    assert new.status is OrderStatus.CANCELED and new.filled_qty == 0
    reasons = [e.reason for e in changes.events if isinstance(e, ev.OrderCanceled)]
    assert reasons == [f"the order it replaces, {order.id}, ended before the replace arrived"]


def test_an_order_being_replaced_is_not_canceled_or_replaced_again(venue: Venue) -> None:
    account = venue.open(balance=10**9, profile="harsh")
    limit = (venue.quote("AAPL").bid * Decimal("0.9")).quantize(Decimal("0.01"))
    order, _ = venue.submit(account, "AAPL", Side.BUY, 100, type="limit", limit_price=limit)
    venue.advance(1)
    new = replace(venue, account, order, limit_price=limit - Decimal("0.01"))

    with pytest.raises(ConflictError, match=f"its replace by {new.id} is on its way"):
        cancel(venue, account, order)
    with pytest.raises(ConflictError, match=f"its replace by {new.id} is on its way"):
        replace(venue, account, order, limit_price=limit)
    cancel(venue, account, new)  # the replacement may be canceled: after it has arrived
    venue.advance(1)

    assert order.status is OrderStatus.REPLACED and order.replaced_by == new.id
    assert new.status is OrderStatus.CANCELED


def test_a_harsh_notional_order_replaced_leaves_its_replacement_what_it_did_not_spend(
    venue: Venue,
) -> None:
    account = venue.open(balance=10**9, profile="harsh")
    order, _ = venue.submit(account, "AAPL", Side.BUY, notional=Decimal(60_000_000))
    venue.advance(5)
    venue.advance_to_phase("AAPL")
    venue.advance_to(venue.now + 800_000_000)  # 0.2 s before AAPL's orders meet the market
    inst = venue.catalog.get("AAPL")
    left_then = venue.engine.notional_left(order, inst, venue.now)

    new = replace(venue, account, order, tif=TimeInForce.GTC)
    venue.advance(0.6)

    assert order.status is OrderStatus.REPLACED
    left_now = venue.engine.notional_left(order, inst, venue.now).quantize(
        Decimal("0.01"), "ROUND_FLOOR"
    )
    assert new.notional == left_now < left_then


def test_a_harsh_cancel_that_would_reach_an_opening_auction_after_its_lock_is_refused(
    make_venue: Callable[..., Venue],
) -> None:
    """AAPL's opening auction lets no opg order be canceled from 09:28 New York: a cancel sent
    at 09:27:59.8 would reach it at 09:28:00.3 (it was accepted, and canceled the order
    inside the lock, while an opg order sent then is refused)."""
    venue = make_venue("2024-03-15T13:00:00Z")  # 09:00 New York
    account = venue.open(balance=10**7, profile="harsh")
    order, _ = venue.submit(account, "AAPL", Side.BUY, 100, tif="opg")
    venue.advance_to(at("2024-03-15T13:27:59.8Z"))

    with pytest.raises(ConflictError, match="can no longer change"):
        cancel(venue, account, order)


def _worked_harsh_block_canceled(service: Container) -> tuple[Account, Order]:
    """A harsh gtc market buy of 300,000 AAPL working; 5 s on, a cancel sent (due 0.5 s on)."""
    account, placed = _harsh_buy(service, 300_000, tif=TimeInForce.GTC)
    assert isinstance(service.clock, SimulatedClock)
    service.clock.advance(5 * SECOND)
    service.trading.advance()
    pending = _cancel_sent(service, account, placed)
    assert pending.is_open and pending.filled_qty > 0
    return account, pending


def test_a_cancel_that_arrived_in_a_downtime_not_worked_lets_nothing_fill_after_it(
    make_service: Callable[..., Container],
) -> None:
    """Started again 3 hours on, working the last 2: the cancel landed in the hour not worked.
    The first step had worked the order (12,000 more shares an hour after its cancel) and
    closed it only then, stamped at that step's end."""
    running = make_service(catch_up_hours=2)
    account, pending = _worked_harsh_block_canceled(running)
    due = pending.cancel_due_ns
    assert due is not None

    restarted = make_service("2024-03-15T18:00:05Z", catch_up_hours=2)
    assert isinstance(restarted.clock, SimulatedClock)
    restarted.clock.advance(5 * SECOND)
    restarted.trading.advance()

    closed = restarted.store.get_order(pending.id)
    assert closed is not None and closed.status is OrderStatus.CANCELED
    assert closed.updated_ns == due
    fills = restarted.store.list_fills(account.id, order_id=pending.id, limit=10_000)
    assert [f.ts_ns for f in fills if f.ts_ns > due] == []


def test_a_day_order_that_expired_before_its_cancel_arrived_ends_expired_after_a_downtime(
    make_service: Callable[..., Container],
) -> None:
    """Canceled at 15:59:59.8 New York, its cancel due after the close: expired at the close,
    with or without a downtime over it (it ended canceled at the first step after one)."""
    running = make_service("2024-03-15T19:59:50Z", catch_up_hours=2)
    account, order = _harsh_resting_bid(running)
    assert isinstance(running.clock, SimulatedClock)
    running.clock.advance(at("2024-03-15T19:59:59.8Z") - running.clock.now_ns())
    _cancel_sent(running, account, order)

    restarted = make_service("2024-03-16T00:00:00Z", catch_up_hours=2)

    ended = restarted.store.get_order(order.id)
    close = at("2024-03-15T20:00:00Z")
    assert ended is not None and (ended.status, ended.updated_ns) == (OrderStatus.EXPIRED, close)
