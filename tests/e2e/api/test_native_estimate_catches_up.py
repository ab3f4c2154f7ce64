"""POST /api/v1/estimate lets the market act on the open orders up to now first, as an order
placed at the same instant does (found in session 21's receipts review: it priced the book as
the engine last stepped it).

A server steps its market every `api.step_ms` (100 ms) of real time, so between two steps the
engine lags the clock by up to 100 ms times `--speed`: 30 simulated seconds at `--speed 300`.
Another account's block working at its participation cap takes liquidity in that time; the
estimate did not see it and quoted a price the order then did not get."""

from __future__ import annotations

from decimal import Decimal

from api_support import InProcess

from vtrade.core.clock import NS_PER_SECOND
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side

D = Decimal


def test_an_estimate_for_an_order_that_fills_at_once_quotes_the_price_it_gets(
    api: InProcess,
) -> None:
    trading = api.container.trading
    now = api.clock.now_ns()
    whale = trading.open_account(
        OpenAccount(id="w", ts_init=now, owner="whale", name="w", balance=D(10**10))
    )
    trading.submit(
        SubmitOrder(
            id="block",
            ts_init=now,
            account_id=whale.id,
            symbol="AAPL",
            side=Side.BUY,
            qty=D(400_000),
        )
    )
    api.step(2)  # the block took the book; its rest works at 10% of the volume
    api.clock.advance(30 * NS_PER_SECOND)  # no step yet (a server at --speed 300)

    key = api.key()
    order = {"symbol": "AAPL", "side": "buy", "qty": "500"}
    quoted = api.http.post("/api/v1/estimate", headers=key.headers, json=order).json()
    orders = f"/api/v1/accounts/{key.account_id}/orders"
    placed = api.http.post(orders, headers=key.headers, json=order).json()
    fills = api.http.get(f"{orders}/{placed['id']}/fills", headers=key.headers).json()["fills"]

    assert placed["status"] == "filled" and len(fills) == 1
    assert D(quoted["fillable_now"]) == D(fills[0]["qty"]) == 500
    assert D(quoted["arrival_mid"]) == D(fills[0]["receipt"]["arrival_mid"])
    paid = D(fills[0]["receipt"]["avg_price"])  # 271.49724
    assert D(quoted["avg_price_now"]) == paid.quantize(D("0.0001"))
    assert D(quoted["fees"]) == D(fills[0]["fee"])
