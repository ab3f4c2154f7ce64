"""The closing cross across a restart: the receipts name their auction, a restart
rebuilds what our orders crossed there, and the orders still to cross clear at the price
the others did."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from vtrade.bootstrap import Container
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce

D = Decimal
SECOND = 1_000_000_000
BALANCE = D(10_000_000_000)


def _open(service: Container, owner: str) -> str:
    account = service.trading.open_account(
        OpenAccount(id="o", ts_init=0, owner=owner, name=owner, balance=BALANCE)
    )
    return account.id


def _sell(service: Container, account_id: str, **kw: object) -> str:
    cmd = SubmitOrder(id="s", ts_init=0, account_id=account_id, symbol="AAPL", side=Side.SELL, **kw)
    order = service.trading.submit(cmd)
    assert order.status is not OrderStatus.REJECTED, order.reject_reason
    return order.id


def test_a_restart_between_the_limits_join_and_the_moc_keeps_the_moc_first_and_one_price(
    make_service: Callable[..., Container],
) -> None:
    """Two accounts: a 3M-share sell limit at 262 (ann) and a 1M-share MOC sell (bob).
    The limit joins the 2,294,977-share cross at 19:59:59.236 leaving the MOC its 1M; the
    service restarts at 19:59:59.5. The rebuilt `engine.crossed` equals the live one, the
    MOC crosses its 1,000,000 at the limit's price (266.86), together exactly the print, the
    receipts name the close, and each account's cash and position reconcile with its
    fills."""
    running = make_service("2024-03-15T19:45:00Z", catch_up_hours=0)
    ann, bob = _open(running, "ann"), _open(running, "bob")
    limit = _sell(running, ann, qty=D(3_000_000), type=OrderType.LIMIT, limit_price=D(262))
    moc = _sell(running, bob, qty=D(1_000_000), tif=TimeInForce.CLS)
    close = running.clock.now_ns() + 15 * 60 * SECOND
    running.trading.advance(close - SECOND // 2)
    live = dict(running.trading.engine.crossed)
    assert [sum(by_order.values()) for by_order in live.values()] == [1_294_977]

    restarted = make_service("2024-03-15T19:59:59.5Z", catch_up_hours=0)
    assert restarted.trading.engine.crossed == live
    restarted.trading.advance(close + 5 * SECOND)

    fills = [f for a in (ann, bob) for f in restarted.store.list_fills(a, limit=100_000)]
    crossed = {f.order_id: f for f in fills if f.receipt.liquidity == "auction"}
    assert {f.receipt.auction for f in crossed.values()} == {"close"}
    assert {f.receipt.auction for f in fills if f.receipt.liquidity != "auction"} <= {None}
    assert (crossed[limit].qty, crossed[moc].qty) == (1_294_977, 1_000_000)
    assert crossed[limit].price == crossed[moc].price == D("266.86")
    for account_id in (ann, bob):
        own = [f for f in fills if f.account_id == account_id]
        engine = restarted.trading.engine
        cash = engine.accounts[account_id].cash
        expected = BALANCE + sum(f.qty * f.price - f.fee for f in own)
        assert abs(cash - expected) <= D("0.005") * len(own)  # each fill booked to the cent
        assert engine.position(account_id, "AAPL").qty == -sum(f.qty for f in own)
