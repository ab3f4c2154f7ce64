"""A start after a downtime works the missed time at the fee tier the account's volume gave
then (found in session 20's durability review): the fills behind its 30-day (and monthly)
volume are loaded from 31 days before the instant the engine resumes at, not before now."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from vtrade.bootstrap import Container
from vtrade.core.clock import NS_PER_DAY, iso
from vtrade.domain.accounts import Account
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce

MARCH_1 = "2024-03-01T15:00:00Z"
MARCH_30 = "2024-03-30T15:00:00Z"  # 29 days on


def _buy(app: Container, account: Account, qty: str, **kw: Any) -> Order:
    fields = {"account_id": account.id, "symbol": "BTC-USD", "side": Side.BUY, **kw}
    return app.trading.submit(SubmitOrder(id="c", ts_init=0, qty=Decimal(qty), **fields))


def _maker_bps(app: Container, account_id: str, order_id: str) -> Decimal:
    (fill,) = app.store.list_fills(account_id, order_id=order_id)
    assert fill.receipt.liquidity == "maker"
    return round(fill.fee / (fill.qty * fill.price) * 10_000)


def test_a_catch_up_charges_the_fee_tier_of_the_30_days_before_each_fill(
    make_service: Callable[..., Container],
) -> None:
    """README (Fees): crypto pays maker/taker tiers by 30-day volume; (Storage) a short
    downtime is caught up as a broker keeps working orders, with the fills of a run that never
    stopped. ~55,000 USD of BTC on 1 March: 15 bp maker for 30 days. On 30 March a BTC limit
    rests at the bid; the process stops and starts three days later (within the 168 h
    catch-up), which fills it on 30 March: at 15 bp, as without the downtime (it paid 40 bp,
    the lowest tier: the 1 March fill was not loaded)."""
    first = make_service(MARCH_1, catch_up_hours=0)
    trader = first.trading.open_account(OpenAccount(id="c", ts_init=0, owner="ann", name="main"))
    _buy(first, trader, "0.5")

    second = make_service(MARCH_30, catch_up_hours=0)  # nothing to catch up
    bid = second.market.books.quote("BTC-USD", second.clock.now_ns()).bid
    limit = {"type": OrderType.LIMIT, "limit_price": bid, "tif": TimeInForce.GTC}
    control = _buy(second, trader, "0.01", **limit)  # a run that never stops
    for _ in range(60):
        second.clock.advance(60 * 1_000_000_000)
        second.trading.advance()
        if second.store.get_order(control.id).status is OrderStatus.FILLED:
            break
    assert _maker_bps(second, trader.id, control.id) == 15

    resting = _buy(second, trader, "0.01", **limit)
    restarted = make_service(iso(second.clock.now_ns() + 3 * NS_PER_DAY))  # 168 h catch-up

    stored = restarted.store.get_order(resting.id)
    assert stored is not None and stored.status is OrderStatus.FILLED
    assert stored.updated_ns < second.clock.now_ns() + NS_PER_DAY  # while 1 March counted
    assert _maker_bps(restarted, trader.id, resting.id) == 15
