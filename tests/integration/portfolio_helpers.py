"""Helpers of the portfolio service tests: the application at an instant, trades, ticks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from vtrade.bootstrap import Container
from vtrade.core import topics
from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus
from vtrade.portfolio.state import AccountState, account_state
from vtrade.settings import MarketSettings

D = Decimal
CENT = D("0.01")
SECOND = 1_000_000_000
WEDNESDAY = "2026-11-18T15:00:00Z"  # US and London regular sessions
NOVEMBER_2026 = MarketSettings(first_day=date(2026, 11, 1), last_day=date(2026, 11, 30))
BUY, SELL = Side.BUY, Side.SELL

Boot = Callable[..., Container]


def at(text: str) -> int:
    return to_ns(parse_instant(text))


def open_account(app: Container, balance: int | None = None) -> Account:
    amount = None if balance is None else D(balance)
    return app.trading.open_account(
        OpenAccount(id="c", ts_init=0, owner="ann", name="main", balance=amount)
    )


def trade(app: Container, account: Account, symbol: str, side: Side, qty: Any) -> Order:
    """Fill a market order now and publish its events (the fill reaches the portfolio)."""
    order = app.trading.submit(
        SubmitOrder(id="c", ts_init=0, account_id=account.id, symbol=symbol, side=side, qty=D(qty))
    )
    app.trading.relay()
    assert order.status is OrderStatus.FILLED, (symbol, order.status)
    return order


def run(app: Container, seconds: float, every: float = 1.0) -> None:
    """Let `seconds` pass, pricing the portfolio every `every` seconds."""
    step = round(every * SECOND)
    for _ in range(round(seconds / every)):
        app.clock.advance(step)
        app.portfolio.tick(app.clock.now_ns())


def state(app: Container, account_id: str) -> AccountState:
    return account_state(app.portfolio.valuation, account_id)


def near(a: Decimal, b: Decimal, within: Decimal = CENT) -> bool:
    return abs(a - b) <= within


def filled_events(app: Container, account: Account) -> list[ev.OrderFilled]:
    """The fills of `account`, as the bus delivers them from now on."""
    found: list[ev.OrderFilled] = []

    def keep(event: object) -> None:
        if isinstance(event, ev.OrderFilled):
            found.append(event)

    app.bus.subscribe(topics.orders(account.id), keep)
    return found


def aapl_qty(app: Container, account_id: str) -> Decimal:
    held = {p.symbol: p.qty for p in state(app, account_id).positions}
    return held.get("AAPL", D(0))
