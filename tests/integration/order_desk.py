"""An account of a started application on a chosen database, placing and replacing orders
through the trading service (the tests of order groups and nested listings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from portfolio_helpers import at, open_account

from market_2024 import FRIDAY, MARKET_2024
from vtrade.bootstrap import Container, build
from vtrade.core.clock import SimulatedClock
from vtrade.domain.accounts import Account
from vtrade.domain.commands import ReplaceOrder, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order
from vtrade.settings import Settings

D = Decimal


class Desk:
    def __init__(self, app: Container) -> None:
        self.app = app
        self.account: Account = open_account(app)

    def mid(self, symbol: str) -> Decimal:
        quote = self.app.market.books.quote(symbol, self.app.clock.now_ns())
        return (quote.bid + quote.ask) / 2

    def submit(self, symbol: str, side: Side, qty: int, **kw: Any) -> Order:
        cmd = SubmitOrder(
            id="c",
            ts_init=0,
            account_id=self.account.id,
            symbol=symbol,
            side=side,
            qty=D(qty),
            **kw,
        )
        return self.app.trading.submit(cmd)

    def replace(self, order: Order, **kw: Any) -> Order:
        cmd = ReplaceOrder(id="c", ts_init=0, account_id=self.account.id, order_id=order.id, **kw)
        return self.app.trading.replace(cmd)

    def find(self, order_id: str) -> Order:
        found = self.app.store.get_order(order_id)
        assert found is not None
        return found

    def orders(self) -> dict[str, Order]:
        page = self.app.store.page_orders(self.account.id, limit=1000)
        return {o.id: o for o in page}


def start_desk(database_url: str) -> Desk:
    """A fresh account of an application started on `database_url` on a Friday of 2024."""
    app = build(Settings(database_url=database_url, market=MARKET_2024), SimulatedClock(at(FRIDAY)))
    app.trading.start()
    return Desk(app)
