"""A notional order replaced without a new qty stays a notional order, for what is left of its
notional (found in session 21's order-types review: the replacement was sized by the quantity
the old order had resolved, so it bought that many units whatever the price and spent past the
notional: README, a notional order "spends no more than its notional, a buy's fees
included")."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain.commands import ReplaceOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
POST_MARKET_FRIDAY = "2024-03-15T21:00:00Z"  # 17:00 New York: AAPL's next open is Monday's
MONDAY_OPEN_PLUS_1M = "2024-03-18T13:31:00Z"


def _replace(venue: Venue, order_id: str, account_id: str, **change: Any):  # type: ignore[no-untyped-def]
    cmd = ReplaceOrder(
        id="c-replace", ts_init=venue.now, account_id=account_id, order_id=order_id, **change
    )
    return venue.engine.replace(cmd, venue.now)


def test_a_queued_notional_buy_replaced_with_a_new_client_order_id_spends_at_most_its_notional(
    make_venue: Callable[..., Venue],
) -> None:
    """1,000 USD of AAPL sent Friday after the close waits for Monday's opening auction. Left
    alone it buys 3.6718 shares at 272.24 (999.96 USD with its fee). Replaced only to give it
    a new client_order_id, it loses its notional and buys the 3.7282 shares Friday's ask gave:
    1,015.32 USD."""
    venue = make_venue(POST_MARKET_FRIDAY)
    account = venue.open(balance=1_000_000)
    order, _ = venue.submit(account, "AAPL", Side.BUY, notional=D(1000), client_order_id="n1")
    assert order.status is OrderStatus.PENDING_OPEN

    new, _ = _replace(venue, order.id, account.id, client_order_id="n2")
    assert new.status is OrderStatus.PENDING_OPEN and order.status is OrderStatus.REPLACED
    changes = venue.advance_to(to_ns(parse_instant(MONDAY_OPEN_PLUS_1M)))
    fills = [f for f in changes.fills if f.order_id == new.id]
    spent = sum((f.qty * f.price + f.fee for f in fills), D(0))

    assert fills
    assert spent <= D(1000)
    assert new.notional == D(1000)


def test_a_working_notional_buy_replaced_with_a_new_client_order_id_spends_at_most_its_notional(
    venue: Venue,
) -> None:
    """20,000,000 USD of AAPL at 11:00 New York fills 70,204 shares at once and works the rest.
    Left alone it ends having spent 19,999,999.99 USD, fees included. Replaced only to give it
    a new client_order_id, it is an order for what is left of the 20,000,000 (it was a plain
    quantity, and the account paid 20,000,065.73)."""
    account = venue.open(balance=100_000_000)
    order, changes = venue.submit(account, "AAPL", Side.BUY, notional=D(20_000_000))
    assert order.status is OrderStatus.PARTIALLY_FILLED
    fills = list(changes.fills)

    paid = sum((f.qty * f.price + f.fee for f in fills), D(0))
    new, replaced = _replace(venue, order.id, account.id, client_order_id="again")
    assert new.notional is not None
    assert abs(new.notional - (D(20_000_000) - paid)) < D("0.01")  # what is left of it
    fills += replaced.fills
    for _ in range(900):
        fills += venue.advance(1).fills
        if not new.is_open:
            break
    spent = sum((f.qty * f.price + f.fee for f in fills), D(0))

    assert D(100_000_000) - account.cash <= D(20_000_000)
    assert D(19_999_000) < spent <= D(20_000_000)
