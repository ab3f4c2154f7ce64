"""Crypto is cash-only, as on Alpaca: no pair is shortable, so a sell beyond the holding is
refused through either API. `/v2` shows average prices to a few decimals beyond the tick
(the ledger keeps them exact) and names symbols in its errors as Alpaca spells them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import MarketOrderRequest
from api_support import InProcess, Key, Live


def post(api: InProcess, key: Key, **order: Any) -> Any:
    body = {"type": "market", "time_in_force": "day", **order}
    return api.http.post("/v2/orders", headers=key.headers, json=body)


def decimals(text: str) -> int:
    exponent = Decimal(text).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def test_alpaca_py_cannot_sell_bitcoin_it_does_not_hold(live: Live) -> None:
    key = live.key("alice")
    trading = TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)
    btc = trading.get_asset("BTC/USD")
    assert not isinstance(btc, dict)
    assert (btc.shortable, btc.easy_to_borrow, btc.marginable) == (False, False, False)

    with pytest.raises(APIError) as refused:
        trading.submit_order(
            MarketOrderRequest(symbol="BTC/USD", qty=0.01, side="sell", time_in_force="gtc")
        )

    assert refused.value.status_code == 403
    assert "cannot be sold short: you hold 0" in refused.value.message
    with pytest.raises(APIError) as flat:
        trading.get_open_position("BTC/USD")
    assert flat.value.status_code == 404


def test_a_crypto_sell_within_the_holding_fills_and_beyond_it_is_refused(
    api: InProcess,
) -> None:
    key = api.key()
    assert (
        post(api, key, symbol="ETH/USD", side="buy", qty="0.5", time_in_force="gtc").json()[
            "status"
        ]
        == "filled"
    )

    sold = post(api, key, symbol="ETH/USD", side="sell", qty="0.5", time_in_force="gtc")
    short = post(api, key, symbol="ETH/USD", side="sell", qty="0.1", time_in_force="gtc")

    assert sold.status_code == 200 and sold.json()["status"] == "filled"
    assert short.status_code == 403
    assert short.json() == {
        "code": 40310000,
        "message": "ETH/USD cannot be sold short: you hold 0 and open orders would leave -0.1",
        "rule": "shortable",
        "symbol": "ETH/USD",
    }
    assert api.http.get("/v2/positions/ETH/USD", headers=key.headers).status_code == 404


def test_a_native_crypto_short_sale_is_rejected_by_the_shortability_rule(api: InProcess) -> None:
    key = api.key()

    response = api.http.post(
        f"/api/v1/accounts/{key.account_id}/orders",
        headers=key.headers,
        json={"symbol": "BTC-USD", "side": "sell", "qty": "0.01", "time_in_force": "gtc"},
    )

    assert response.status_code == 403
    body = response.json()
    assert body["details"]["rule"] == "shortable"
    assert body["message"].startswith("order rejected: shortable: BTC-USD cannot be sold short")


def test_no_crypto_pair_is_shortable_or_marginable_while_other_classes_stay_shortable(
    api: InProcess,
) -> None:
    key = api.key()
    listed = api.http.get("/api/v1/instruments", headers=key.headers).json()["instruments"]
    by_class: dict[str, set[tuple[bool, bool]]] = {}
    for i in listed:
        by_class.setdefault(i["asset_class"], set()).add((i["shortable"], i["marginable"]))

    assert by_class.pop("crypto") == {(False, False)}
    # equities, ETFs, FX pairs, futures and indices can be sold short, as at real brokers
    assert by_class == {c: {(True, True)} for c in ("equity", "etf", "fx", "commodity", "index")}
    assets = api.http.get("/v2/assets", headers=key.headers, params={"asset_class": "crypto"})
    pairs = [a for a in assets.json() if a["vtrade_asset_class"] == "crypto"]
    assert pairs and not any(a["shortable"] or a["easy_to_borrow"] for a in pairs)


def test_average_prices_show_four_decimals_beyond_the_tick_and_stay_exact_in_the_ledger(
    api: InProcess,
) -> None:
    key = api.key()
    for qty in ("1", "2", "3"):  # three prices: the average is a repeating decimal
        assert post(api, key, symbol="AAPL", side="buy", qty=qty).status_code == 200
        api.step(60)
    (held,) = [p for p in api.container.engine.positions_of(key.account_id) if p.qty]
    assert decimals(str(held.avg_price)) > 6

    position = api.http.get("/v2/positions/AAPL", headers=key.headers).json()

    assert position["avg_entry_price"] == str(held.avg_price.quantize(Decimal("0.000001")))
    assert Decimal(position["cost_basis"]) == (held.qty * held.avg_price).quantize(Decimal("0.01"))
    (held_after,) = [p for p in api.container.engine.positions_of(key.account_id) if p.qty]
    assert held_after.avg_price == held.avg_price  # nothing stored was rounded


def test_a_london_positions_cost_basis_keeps_the_rate_it_was_bought_at(api: InProcess) -> None:
    key = api.key()
    assert post(api, key, symbol="VOD.L", side="buy", qty="1000").status_code == 200
    api.step(3_600)  # the pound moves
    (fill,) = api.container.store.list_fills(key.account_id)
    rate_now = api.container.engine.marks(api.container.clock.now_ns()).fx("GBX")
    assert rate_now != fill.fx_rate

    position = api.http.get("/v2/positions/VOD.L", headers=key.headers).json()

    cost = (fill.qty * fill.price * fill.fx_rate).quantize(Decimal("0.01"))
    assert Decimal(position["cost_basis"]) == cost
    value = Decimal(position["market_value"])
    assert Decimal(position["unrealized_pl"]) == value - cost  # the pound's move included


def test_a_usd_jpy_position_shows_its_price_move_in_yen_at_todays_rate(api: InProcess) -> None:
    key = api.key()
    assert post(api, key, symbol="USD/JPY", side="buy", qty="100000").status_code == 200
    api.step(3_600)
    (fill,) = api.container.store.list_fills(key.account_id)

    position = api.http.get("/v2/positions/USD%2FJPY", headers=key.headers).json()

    price = Decimal(position["current_price"])
    earned = 100_000 * (price - fill.price) / price  # yen, at today's rate
    assert abs(Decimal(position["unrealized_pl"]) - earned) <= Decimal("0.05")
    cost = (100_000 * fill.price * fill.fx_rate).quantize(Decimal("0.01"))  # about $100,000
    assert earned != 0 and Decimal(position["cost_basis"]) == cost
    account = api.http.get("/v2/account", headers=key.headers).json()
    fee = (fill.fee * fill.fx_rate).quantize(Decimal("0.01"))
    assert abs(Decimal(account["equity"]) - (1_000_000 - fee + earned)) <= Decimal("0.05")


def test_an_orders_filled_avg_price_is_rounded_like_a_positions(api: InProcess) -> None:
    key = api.key()
    big = post(api, key, symbol="AAPL", side="buy", qty="707").json()  # two levels of the book

    order = api.http.get(f"/v2/orders/{big['id']}", headers=key.headers).json()

    exact = api.container.store.get_order(big["id"])
    assert exact is not None and exact.avg_fill_price is not None
    assert decimals(str(exact.avg_fill_price)) > 6
    assert order["filled_avg_price"] == str(
        exact.avg_fill_price.quantize(Decimal("0.000001")).normalize()
    )
    assert decimals(order["filled_avg_price"]) <= 6


def test_a_refusal_on_v2_names_the_pair_as_alpaca_spells_it(api: InProcess) -> None:
    key = api.key()

    off_tick = post(
        api,
        key,
        symbol="BTCUSD",
        side="buy",
        qty="0.01",
        type="limit",
        limit_price="1000.001",
        time_in_force="gtc",
    )
    no_position = api.http.get("/v2/positions/BTCUSD", headers=key.headers)

    assert off_tick.status_code == 422
    assert off_tick.json()["symbol"] == "BTC/USD" and off_tick.json()["rule"] == "tick_size"
    assert no_position.status_code == 404
    assert no_position.json() == {
        "code": 40410000,
        "message": "position does not exist: BTC/USD",
        "symbol": "BTC/USD",
    }
