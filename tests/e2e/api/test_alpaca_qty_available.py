"""Alpaca's rule on `/v2/orders`: an order may not reduce a position by more than is available
(the position less what open orders on its closing side hold), so no order crosses through
zero. The refusal is Alpaca's 403 with its numbers, and keeps no order; native `/api/v1`
orders may still flip a position in one go."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.models import Order, Position
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest, ReplaceOrderRequest
from api_support import InProcess, Key, Live


def post(api: InProcess, key: Key, **order: Any) -> Any:
    body = {"type": "market", "time_in_force": "day", **order}
    return api.http.post("/v2/orders", headers=key.headers, json=body)


def rest_limit(api: InProcess | Live, symbol: str, side: str) -> str:
    """A limit price 5% beyond the market on the passive side: the order rests."""
    away = Decimal("1.05") if side == "sell" else Decimal("0.95")
    mid = api.container.market.quote(symbol, api.clock.now_ns()).mid
    return str((mid * away).quantize(Decimal("0.01")))


def holding(api: InProcess, qty: str, symbol: str = "AAPL") -> Key:
    key = api.key()
    side = "buy" if Decimal(qty) > 0 else "sell"
    tif = "gtc" if "/" in symbol else "day"
    filled = post(api, key, symbol=symbol, side=side, qty=qty.lstrip("-"), time_in_force=tif)
    assert filled.status_code == 200 and filled.json()["status"] == "filled"
    return key


def open_orders(api: InProcess, key: Key) -> list[dict[str, Any]]:
    response = api.http.get("/v2/orders", headers=key.headers, params={"status": "all"})
    orders: list[dict[str, Any]] = response.json()
    return orders


def test_a_sell_beyond_what_open_sells_leave_answers_alpacas_403_and_keeps_nothing(
    api: InProcess,
) -> None:
    key = holding(api, "10")
    limit = rest_limit(api, "AAPL", "sell")
    held = post(api, key, symbol="AAPL", side="sell", qty="6", type="limit", limit_price=limit)
    assert held.status_code == 200 and held.json()["status"] == "new"
    before = open_orders(api, key)

    refused = post(api, key, symbol="AAPL", side="sell", qty="5", client_order_id="bot-1")

    assert refused.status_code == 403
    assert refused.json() == {
        "code": 40310000,
        "message": "insufficient qty available for order (requested: 5, available: 4)",
        "available": "4",
        "existing_qty": "10",
        "held_for_orders": "6",
        "related_orders": [held.json()["id"]],  # what to cancel to free them
        "symbol": "AAPL",
    }
    assert open_orders(api, key) == before
    reused = post(api, key, symbol="AAPL", side="sell", qty="4", client_order_id="bot-1")
    assert reused.status_code == 200 and reused.json()["status"] == "filled"


def test_a_sell_through_zero_is_refused_while_closing_first_then_selling_short_is_not(
    api: InProcess,
) -> None:
    key = holding(api, "10")

    refused = post(api, key, symbol="AAPL", side="sell", qty="15")

    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "insufficient qty available for order (requested: 15, available: 10)"
    )
    assert refused.json()["held_for_orders"] == "0"
    assert post(api, key, symbol="AAPL", side="sell", qty="10").status_code == 200
    assert post(api, key, symbol="AAPL", side="sell", qty="5").status_code == 200
    position = api.http.get("/v2/positions/AAPL", headers=key.headers).json()
    assert position["qty"] == "-5" and position["side"] == "short"


def test_a_crypto_refusal_names_the_pair_as_alpaca_spells_it(
    api: InProcess,
) -> None:
    key = holding(api, "0.5", "BTC/USD")

    refused = post(api, key, symbol="BTCUSD", side="sell", qty="0.50001", time_in_force="gtc")

    assert refused.status_code == 403
    body = refused.json()
    assert body["symbol"] == "BTC/USD" and body["available"] == "0.5"
    assert body["message"].endswith("(requested: 0.50001, available: 0.5)")


def test_a_replacement_may_grow_into_its_own_hold_but_not_beyond_the_position(
    api: InProcess,
) -> None:
    key = holding(api, "10")
    limit = rest_limit(api, "AAPL", "sell")
    first = post(api, key, symbol="AAPL", side="sell", qty="6", type="limit", limit_price=limit)

    grown = api.http.patch(f"/v2/orders/{first.json()['id']}", headers=key.headers, json={"qty": 9})
    assert grown.status_code == 200 and grown.json()["qty"] == "9"
    beyond = api.http.patch(
        f"/v2/orders/{grown.json()['id']}", headers=key.headers, json={"qty": 11}
    )

    assert beyond.status_code == 403
    assert beyond.json() == {
        "code": 40310000,
        "message": "insufficient qty available for order (requested: 11, available: 10)",
        "available": "10",
        "existing_qty": "10",
        "held_for_orders": "0",
        "related_orders": [],
        "symbol": "AAPL",
    }
    still = api.http.get(f"/v2/orders/{grown.json()['id']}", headers=key.headers).json()
    assert still["status"] == "new" and still["qty"] == "9"


def test_closing_a_position_still_answers_the_same_403(api: InProcess) -> None:
    key = holding(api, "10")
    limit = rest_limit(api, "AAPL", "sell")
    held = post(api, key, symbol="AAPL", side="sell", qty="6", type="limit", limit_price=limit)

    via_close = api.http.delete("/v2/positions/AAPL", headers=key.headers)
    via_order = post(api, key, symbol="AAPL", side="sell", qty="10")

    assert via_close.status_code == via_order.status_code == 403
    assert via_close.json() == via_order.json()
    assert via_close.json()["related_orders"] == [held.json()["id"]]


def test_native_orders_may_still_flip_a_position_in_one_order(api: InProcess) -> None:
    key = holding(api, "10")

    flipped = api.http.post(
        f"/api/v1/accounts/{key.account_id}/orders",
        headers=key.headers,
        json={"symbol": "AAPL", "side": "sell", "qty": 15},
    )

    assert flipped.status_code == 201 and flipped.json()["status"] == "filled"
    position = api.http.get("/v2/positions/AAPL", headers=key.headers).json()
    assert position["qty"] == "-5"


# -- with the real alpaca-py client ------------------------------------------------------------


@pytest.fixture
def trading(live: Live) -> TradingClient:
    key = live.key("alice")
    return TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)


def test_alpaca_py_reads_the_refusal_of_an_oversell_and_of_its_replacement(
    live: Live, trading: TradingClient
) -> None:
    bought = trading.submit_order(
        MarketOrderRequest(symbol="AAPL", qty=10, side="buy", time_in_force="day")
    )
    assert isinstance(bought, Order)
    resting = trading.submit_order(
        LimitOrderRequest(
            symbol="AAPL",
            qty=6,
            side="sell",
            time_in_force="gtc",
            limit_price=float(rest_limit(live, "AAPL", "sell")),
        )
    )
    assert isinstance(resting, Order)

    with pytest.raises(APIError) as oversold:
        trading.submit_order(
            MarketOrderRequest(symbol="AAPL", qty=5, side="sell", time_in_force="day")
        )
    with pytest.raises(APIError) as regrown:
        trading.replace_order_by_id(resting.id, ReplaceOrderRequest(qty=11))

    assert oversold.value.status_code == 403 and oversold.value.code == 40310000
    assert oversold.value.message == (
        "insufficient qty available for order (requested: 5, available: 4)"
    )
    assert regrown.value.status_code == 403 and regrown.value.code == 40310000
    assert "requested: 11, available: 10" in regrown.value.message
    position = trading.get_open_position("AAPL")
    assert isinstance(position, Position) and position.qty_available == "4"


def test_an_oco_exit_beyond_the_position_answers_the_same_403_as_a_simple_order(
    api: InProcess,
) -> None:
    key = holding(api, "10")
    limit = rest_limit(api, "AAPL", "sell")
    mid = api.container.market.quote("AAPL", api.clock.now_ns()).mid
    stop = str((mid * Decimal("0.95")).quantize(Decimal("0.01")))
    refused = post(
        api,
        key,
        symbol="AAPL",
        side="sell",
        qty="15",
        type="limit",
        limit_price=limit,
        time_in_force="gtc",
        order_class="oco",
        take_profit={"limit_price": limit},
        stop_loss={"stop_price": stop},
    )

    assert refused.status_code == 403
    assert refused.json() == {
        "code": 40310000,
        "message": "insufficient qty available for order (requested: 15, available: 10)",
        "available": "10",
        "existing_qty": "10",
        "held_for_orders": "0",
        "related_orders": [],
        "symbol": "AAPL",
    }
    assert open_orders(api, key)[0]["side"] == "buy"  # nothing kept: the buy that opened it
