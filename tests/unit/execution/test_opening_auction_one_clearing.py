"""The opening auction ranks
a day market order queued pre-market first, then limits by price (an opg limit at +5% before
a gtc limit at +3% placed after the previous close), shares the 500,000 shares AAPL's
opening auction crosses (1% of 50M) at one price, whatever the step, and across a restart
between the opg orders crossing and the book's limit joining; cash and positions reconcile
with the auction fills."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import SECOND, at
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue
    from vtrade.bootstrap import Container

D = Decimal
SYMBOL = "AAPL"
OPEN = at("2024-03-15T13:30:00Z")
BALANCE = D(10_000_000_000)


@pytest.mark.parametrize("step_ms", [1_000, 60_000], ids=["second-steps", "minute-steps"])
def test_the_open_ranks_market_then_limits_by_price_at_one_price(
    make_venue: Callable[..., Venue], step_ms: int
) -> None:
    """Thursday 21:00: a 300,000-share gtc buy limit at the official open (263.37) + 3%;
    Friday 12:00: a 200,000-share day market buy (queued for the open) and a 200,000-share
    opg buy limit at + 5%. The market order crosses 200,000, the opg 200,000, the gtc limit
    the 100,000 left, all at 263.66, at either step; each account's cash and position
    reconcile with its fills."""
    venue = make_venue("2024-03-14T21:00:00Z", step_ms=step_ms)
    official = venue.market.official_price(SYMBOL, OPEN, "open")
    ann, bob = venue.open(balance=BALANCE), venue.open(balance=BALANCE)
    gtc, _ = venue.submit(
        ann,
        SYMBOL,
        Side.BUY,
        300_000,
        type=OrderType.LIMIT,
        limit_price=(official * D("1.03")).quantize(D("0.01")),
        tif=TimeInForce.GTC,
    )
    venue.advance_to(at("2024-03-15T12:00:00Z"))
    market, _ = venue.submit(bob, SYMBOL, Side.BUY, 200_000)
    opg, _ = venue.submit(
        bob,
        SYMBOL,
        Side.BUY,
        200_000,
        type=OrderType.LIMIT,
        limit_price=(official * D("1.05")).quantize(D("0.01")),
        tif=TimeInForce.OPG,
    )

    fills = venue.advance_to(OPEN + 120 * SECOND).fills

    opened = {f.order_id: f for f in fills if f.receipt.auction == "open"}
    assert [opened[o.id].qty for o in (market, opg, gtc)] == [200_000, 200_000, 100_000]
    assert {f.price for f in opened.values()} == {D("263.66")}
    for account in (ann, bob):
        own = [f for f in fills if f.account_id == account.id]
        cash = venue.engine.accounts[account.id].cash
        assert abs(cash - (BALANCE - sum(f.qty * f.price + f.fee for f in own))) <= D("0.01")
        assert venue.engine.position(account.id, SYMBOL).qty == sum(f.qty for f in own)


def _buy(service: Container, account_id: str, **kw: object) -> str:
    cmd = SubmitOrder(id="s", ts_init=0, account_id=account_id, symbol=SYMBOL, side=Side.BUY, **kw)
    return service.trading.submit(cmd).id


def test_a_restart_between_the_opg_cross_and_the_books_limit_keeps_one_price(
    make_service: Callable[..., Container],
) -> None:
    """The same orders in a service that restarts at 13:30:00.1, after the market and opg
    orders crossed at 13:30:00 and before the gtc limit joins at 13:30:00.236: the limit
    crosses the 100,000 left at 263.66, as without the restart."""
    running = make_service("2024-03-14T21:00:00Z", catch_up_hours=0)
    ann = running.trading.open_account(
        OpenAccount(id="o", ts_init=0, owner="ann", name="ann", balance=BALANCE)
    ).id
    gtc = _buy(
        running,
        ann,
        qty=D(300_000),
        type=OrderType.LIMIT,
        limit_price=D("271.27"),
        tif=TimeInForce.GTC,
    )
    running.trading.advance(at("2024-03-15T12:00:00Z"))
    market = _buy(running, ann, qty=D(200_000))
    opg = _buy(
        running,
        ann,
        qty=D(200_000),
        type=OrderType.LIMIT,
        limit_price=D("276.54"),
        tif=TimeInForce.OPG,
    )
    running.trading.advance(OPEN + SECOND // 10)

    restarted = make_service("2024-03-15T13:30:00.1Z", catch_up_hours=0)
    restarted.trading.advance(OPEN + 5 * SECOND)

    fills = restarted.store.list_fills(ann, limit=100_000)
    opened = {f.order_id: f for f in fills if f.receipt.auction == "open"}
    assert {o: opened[o].qty for o in (market, opg, gtc)} == {
        market: 200_000,
        opg: 200_000,
        gtc: 100_000,
    }
    assert {f.price for f in opened.values()} == {D("263.66")}
