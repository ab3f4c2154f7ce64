"""Margin edges:

- a cancel gives back, to the cent, the buying power its order held;
- after the risk desk liquidates a margin-called account, its cash, positions, fills and
  ledger reconcile, and a restart rebuilds the same account from the store.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from test_service_reconciliation import reconcile

from vtrade.bootstrap import Container
from vtrade.core.clock import from_ns
from vtrade.domain.commands import CancelOrder, OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType
from vtrade.execution.liquidation import PREFIX

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
STOCKS = ("MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO", "COST")
BOOK = {"META": 248_000, "MSFT": 245_000, "NVDA": 240_000, "AMZN": 235_000, "GOOGL": 230_000}


def test_a_cancel_gives_back_exactly_the_buying_power_its_order_held(venue: Venue) -> None:
    """Eight resting buys hold half their value at their limit; an order too big for what is
    left is refused, and once one resting buy is canceled the same order fits: the excess
    margin grows by exactly half the canceled order's value at its limit."""
    account = venue.open()
    resting = []
    for symbol in STOCKS:
        limit = (venue.quote(symbol).bid * D("0.98")).quantize(D("0.01"))
        qty = (D(240_000) / limit).to_integral_value(rounding=ROUND_FLOOR)
        order, _ = venue.submit(
            account, symbol, Side.BUY, qty, type=OrderType.LIMIT, limit_price=limit
        )
        assert order.status is OrderStatus.ACCEPTED, order.reject_reason
        resting.append(order)
    before = venue.engine.excess_margin(account.id, venue.now)
    wanted = (2 * before / venue.quote("AAPL").ask).to_integral_value(rounding=ROUND_FLOOR) + 10
    refused = venue.preview(account, "AAPL", Side.BUY, wanted)
    assert (refused.reject_reason or "").startswith("buying_power: ")

    first = resting[0]
    venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=first.id),
        venue.now,
    )

    after = venue.engine.excess_margin(account.id, venue.now)
    assert first.status is OrderStatus.CANCELED
    assert after - before == first.qty * (first.limit_price or D(0)) / 2
    assert venue.preview(account, "AAPL", Side.BUY, wanted).status is not OrderStatus.REJECTED


def test_a_liquidated_account_reconciles_and_a_restart_rebuilds_it(
    make_service: Callable[..., Container],
) -> None:
    """~1.2M of stock on 1M under a 100%-maintenance venue is called and liquidated at the
    next minute; fills, ledger, cash and positions agree, and a restarted service holds the
    same cash, positions and margin-call state and calls nothing again."""
    app = make_service(maintenance_margin=D(1))
    account = app.trading.open_account(OpenAccount(id="c", ts_init=0, owner="p", name="main"))
    for symbol, value in BOOK.items():
        ask = app.market.books.quote(symbol, app.clock.now_ns()).ask
        qty = (D(value) / ask).to_integral_value(rounding=ROUND_FLOOR)
        order = app.trading.submit(
            SubmitOrder(
                id="c", ts_init=0, account_id=account.id, symbol=symbol, side=Side.BUY, qty=qty
            )
        )
        assert order.status is OrderStatus.FILLED, order.reject_reason
    app.clock.advance(60 * 1_000_000_000)
    changes = app.trading.advance()
    desk = [o for o in changes.orders if o.client_order_id.startswith(PREFIX)]
    assert desk and all(o.status is OrderStatus.FILLED for o in desk)
    view = app.engine.view(account.id, app.clock.now_ns())
    assert view.maintenance < view.nav  # cured (about the 90% target, less the costs)
    held = reconcile(app, account.id)

    app.clock.advance(1_000_000_000)
    restarted = make_service(from_ns(app.clock.now_ns()).isoformat(), maintenance_margin=D(1))
    again = restarted.engine.accounts[account.id]
    assert again.cash == app.engine.accounts[account.id].cash
    assert again.margin_call is app.engine.accounts[account.id].margin_call is False
    assert reconcile(restarted, account.id) == held
    restarted.clock.advance(120 * 1_000_000_000)
    later = restarted.trading.advance()
    assert not [o for o in later.orders if o.client_order_id.startswith(PREFIX)]
