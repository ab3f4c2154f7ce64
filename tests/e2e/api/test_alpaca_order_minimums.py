"""Alpaca's minimums for `/v2/orders`: a notional has at most 9 decimals ("Both notional and
qty fields can take up to 9 decimal point values", Alpaca's support), and an order's
estimated cost basis is at least $1 ($10 for a buy of a coin): 403 `cost basis must be >=
minimal amount of order 1`, with the order's cost basis and how it was estimated. An order
for the whole position on its closing side passes whatever its value, so a bot can always get
out. The clock stands at Wednesday 2026-11-18 15:00Z (10:00 in New York, US regular
session)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from api_support import InProcess, Key

MINIMUM = "cost basis must be >= minimal amount of order"


def post(api: InProcess, key: Key, **fields: Any) -> Any:
    """POST /v2/orders: a day market buy of AAPL, changed by `fields`."""
    body = {"symbol": "AAPL", "side": "buy", "type": "market", "time_in_force": "day", **fields}
    return api.http.post("/v2/orders", headers=key.headers, json=body)


def refused(response: Any) -> str:
    """The message of a 403 in Alpaca's body for an order under the minimum."""
    assert response.status_code == 403, response.text
    assert response.json()["code"] == 40310000
    return str(response.json()["message"])


def kept_orders(api: InProcess, key: Key) -> list[dict[str, Any]]:
    """The account's orders that were placed (a rejected one is a refusal, not an order)."""
    listed = api.http.get("/v2/orders", headers=key.headers, params={"status": "all"}).json()
    return [o for o in listed if o["status"] != "rejected"]


def test_a_notional_with_more_than_nine_decimals_is_refused_naming_the_limit(
    api: InProcess,
) -> None:
    key = api.key()

    response = post(api, key, notional="135.6894144081")

    assert response.status_code == 422, response.text
    assert response.json()["code"] == 40010001
    assert "at most 9 decimals" in response.json()["message"]
    assert kept_orders(api, key) == []


def test_a_notional_with_nine_decimals_is_placed(api: InProcess) -> None:
    response = post(api, api.key(), notional="135.689414408")

    assert response.status_code == 200, response.text


def test_a_notional_under_one_dollar_is_refused_with_alpaca_s_text_and_the_notional(
    api: InProcess,
) -> None:
    key = api.key()

    message = refused(post(api, key, notional="0.50"))

    assert message.startswith(f"{MINIMUM} 1:"), message
    assert "0.5 USD, estimated as its notional" in message
    assert kept_orders(api, key) == []


def test_a_limit_order_s_cost_basis_is_its_limit_price_times_its_qty(api: InProcess) -> None:
    message = refused(post(api, api.key(), type="limit", limit_price="200.00", qty="0.004"))

    assert "0.8 USD, estimated as limit price 200.00 x qty 0.004" in message


@pytest.mark.parametrize(("side", "price"), [("buy", "ask"), ("sell", "bid")])
def test_a_market_order_s_cost_basis_is_its_qty_at_the_latest_ask_or_bid(
    api: InProcess, side: str, price: str
) -> None:
    key = api.key()
    assert post(api, key, qty="1").status_code == 200  # something to sell

    message = refused(post(api, key, side=side, qty="0.001"))

    assert f"estimated as {price} " in message and " x qty 0.001" in message, message


def test_selling_the_whole_position_passes_whatever_its_value(api: InProcess) -> None:
    key = api.key()
    assert post(api, key, qty="1").status_code == 200
    assert post(api, key, side="sell", qty="0.9999").status_code == 200  # 0.0001 left: dust

    refused(post(api, key, side="sell", qty="0.00005"))  # part of it: under the minimum
    sold = post(api, key, side="sell", qty="0.0001")

    assert sold.status_code == 200, sold.text
    positions = api.http.get("/v2/positions", headers=key.headers).json()
    assert positions == []


def test_a_coin_s_buy_needs_ten_dollars_and_its_sale_one(api: InProcess) -> None:
    key = api.key()
    coin = {"symbol": "BTC/USD", "time_in_force": "gtc"}

    message = refused(post(api, key, **coin, notional="5"))
    assert message.startswith(f"{MINIMUM} 10:"), message
    assert post(api, key, **coin, notional="20").status_code == 200

    sale = post(api, key, **coin, side="sell", qty="0.00005")  # about $4.5 of the $20

    assert sale.status_code == 200, sale.text


def test_a_replacement_under_the_minimum_is_refused_and_the_order_stays(api: InProcess) -> None:
    key = api.key()
    bid = api.container.market.quote("AAPL", api.clock.now_ns()).bid
    limit = str((bid * Decimal("0.97")).quantize(Decimal("0.01")))
    placed = post(api, key, type="limit", limit_price=limit, qty="1").json()

    message = refused(
        api.http.patch(f"/v2/orders/{placed['id']}", headers=key.headers, json={"qty": "0.001"})
    )

    assert f"estimated as limit price {limit} x qty 0.001" in message
    again = api.http.get(f"/v2/orders/{placed['id']}", headers=key.headers).json()
    assert again["status"] == "new"
