"""Market data and pre-trade estimates through the native API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from api_support import InProcess, Key


def get(api: InProcess, key: Key, path: str, **params: Any) -> Any:
    return api.http.get(f"/api/v1{path}", headers=key.headers, params=params)


def test_market_data_needs_credentials(api: InProcess) -> None:
    for path in ("/instruments", "/clock", "/quotes/AAPL", "/books/AAPL", "/bars/AAPL"):
        assert api.http.get(f"/api/v1{path}").status_code == 401


def test_instruments_filter_by_asset_class_venue_and_search(api: InProcess) -> None:
    key = api.key()
    everything = get(api, key, "/instruments").json()["instruments"]
    assert len(everything) >= 160
    crypto = get(api, key, "/instruments", asset_class="crypto").json()["instruments"]
    assert crypto and {i["asset_class"] for i in crypto} == {"crypto"}
    london = get(api, key, "/instruments", venue="xlon").json()["instruments"]
    assert "VOD.L" in {i["symbol"] for i in london}
    apple = get(api, key, "/instruments", search="apple").json()["instruments"]
    assert [i["symbol"] for i in apple] == ["AAPL"]
    bad = get(api, key, "/instruments", asset_class="bonds")
    assert bad.status_code == 422
    assert "'equity', 'etf', 'crypto', 'fx', 'commodity' or 'index'" in bad.json()["message"]


@pytest.mark.parametrize("symbol", ["BTC-USD", "EUR/USD", "VOD.L", "aapl"])
def test_symbols_with_slashes_dots_and_any_case_resolve(api: InProcess, symbol: str) -> None:
    key = api.key()
    instrument = get(api, key, f"/instruments/{symbol}").json()
    assert instrument["symbol"] == symbol.upper()
    quote = get(api, key, f"/quotes/{symbol}").json()
    assert Decimal(quote["bid"]) < Decimal(quote["ask"])
    assert quote["symbol"] == symbol.upper() and quote["ts"] == "2026-11-18T15:00:00Z"


def test_an_unknown_symbol_is_404_with_suggestions(api: InProcess) -> None:
    key = api.key()
    response = get(api, key, "/quotes/APPL")
    assert response.status_code == 404
    assert "did you mean AAPL" in response.json()["message"]


def test_the_clock_shows_simulated_now_and_each_exchange_phase(api: InProcess) -> None:
    key = api.key()
    clock = get(api, key, "/clock").json()
    assert clock["now"] == "2026-11-18T15:00:00Z"
    phases = {s["calendar"]: s for s in clock["sessions"]}
    assert phases["XNYS"]["phase"] == "regular" and phases["XNYS"]["is_open"]
    assert phases["XNYS"]["next_close"] == "2026-11-18T21:00:00Z"
    assert phases["XNYS"]["day_orders_expire"] == "2026-11-18T21:00:00Z"
    assert phases["FX"]["next_close"] == "2026-11-20T22:00:00Z"  # Friday's
    assert phases["FX"]["day_orders_expire"] == "2026-11-18T22:00:00Z"  # 17:00 New York
    assert phases["XTKS"]["phase"] == "closed"
    assert phases["24/7"]["next_open"] is None and phases["24/7"]["is_open"]
    api.step(7 * 3600)  # 22:00 UTC: New York post-market
    later = {s["calendar"]: s for s in get(api, key, "/clock").json()["sessions"]}
    assert later["XNYS"]["phase"] == "post" and not later["XNYS"]["is_open"]


def test_the_book_has_the_asked_depth_best_first(api: InProcess) -> None:
    key = api.key()
    book = get(api, key, "/books/MSFT", depth=5).json()
    bids = [Decimal(x["price"]) for x in book["bids"]]
    asks = [Decimal(x["price"]) for x in book["asks"]]
    assert len(bids) == len(asks) == 5
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    quote = get(api, key, "/quotes/MSFT").json()
    assert (Decimal(quote["bid"]), Decimal(quote["ask"])) == (bids[0], asks[0])
    too_deep = get(api, key, "/books/MSFT", depth=50)
    assert too_deep.status_code == 422 and "depth must be 1..20" in too_deep.json()["message"]


def test_bars_end_before_now_and_never_show_the_future(api: InProcess) -> None:
    key = api.key()
    minute = get(api, key, "/bars/AAPL", interval="1m", limit=5).json()
    assert [b["ts"] for b in minute["bars"]] == [f"2026-11-18T14:5{m}:00Z" for m in range(5, 10)]
    future = get(
        api,
        key,
        "/bars/AAPL",
        interval="1m",
        start="2026-11-18T14:58:00Z",
        end="2026-11-19T00:00:00Z",
    ).json()
    assert [b["ts"] for b in future["bars"]] == ["2026-11-18T14:58:00Z", "2026-11-18T14:59:00Z"]
    daily = get(api, key, "/bars/AAPL", interval="1d", limit=3).json()["bars"]
    assert [b["ts"][:10] for b in daily] == ["2026-11-13", "2026-11-16", "2026-11-17"]
    for bar in daily:
        assert Decimal(bar["low"]) <= Decimal(bar["open"]) <= Decimal(bar["high"])
    bad = get(api, key, "/bars/AAPL", interval="2m")
    assert bad.status_code == 422 and "'1m', '5m', '15m', '1h' or '1d'" in bad.json()["message"]
    malformed = get(api, key, "/bars/AAPL", start="yesterday")
    assert malformed.status_code == 422 and "ISO 8601" in malformed.json()["message"]


def test_an_estimate_for_a_fresh_account_prices_the_order_without_trading(
    api: InProcess,
) -> None:
    key = api.key()
    response = api.http.post(
        "/api/v1/estimate",
        headers=key.headers,
        json={"symbol": "AAPL", "side": "buy", "qty": 500},
    )
    assert response.status_code == 200
    e = response.json()
    assert e["account_id"] is None and e["profile"] == "realistic" and e["accepted"]
    assert Decimal(e["expected_avg_price"]) > Decimal(e["arrival_mid"])
    assert Decimal(e["total_bps"]) == Decimal(e["spread_bps"]) + Decimal(e["impact_bps"])
    assert Decimal(e["fees"]) > 0 and e["phase"] == "regular"
    orders = api.http.get(
        f"/api/v1/accounts/{key.account_id}/orders",
        headers=key.headers,
        params={"status": "all"},
    )
    assert orders.json()["orders"] == []  # nothing was traded


def test_an_estimate_by_notional_sizes_a_buy_as_the_order_would_be_fees_included(
    api: InProcess,
) -> None:
    key = api.key()
    asked = {"symbol": "BTC-USD", "side": "buy", "notional": "5000", "time_in_force": "gtc"}

    e = api.http.post("/api/v1/estimate", headers=key.headers, json=asked).json()
    placed = api.http.post(
        f"/api/v1/accounts/{key.account_id}/orders", headers=key.headers, json=asked
    ).json()

    assert Decimal(e["qty"]) == Decimal(placed["qty"])  # a fresh account, as the estimate's
    assert Decimal(e["qty"]) * Decimal(e["ask"]) + Decimal(e["fees"]) <= 5000


def test_an_estimate_by_notional_for_your_account_sizes_it_as_your_order(api: InProcess) -> None:
    """With the account's own fees (its volume tier, its profile), as its order is sized."""
    key = api.key()
    orders = f"/api/v1/accounts/{key.account_id}/orders"
    asked = {"symbol": "BTC-USD", "side": "buy", "notional": "5000", "time_in_force": "gtc"}
    api.http.post(orders, headers=key.headers, json={**asked, "notional": "200000"})

    e = api.http.post(
        "/api/v1/estimate", headers=key.headers, json={**asked, "account_id": key.account_id}
    ).json()
    placed = api.http.post(orders, headers=key.headers, json=asked).json()
    tiny = api.http.post(
        "/api/v1/estimate",
        headers=key.headers,
        json={**asked, "notional": "0.01", "account_id": key.account_id},
    )

    assert e["account_id"] == key.account_id and e["accepted"]
    assert Decimal(e["qty"]) == Decimal(placed["qty"])
    assert tiny.status_code == 422 and "less than one lot" in tiny.json()["message"]


def test_an_estimate_never_prices_a_buy_under_the_ask_nor_a_sell_over_the_bid(
    api: InProcess,
) -> None:
    key = api.key()
    for side, worse in (("buy", 1), ("sell", -1)):
        e = api.http.post(
            "/api/v1/estimate",
            headers=key.headers,
            json={"symbol": "AAPL", "side": side, "qty": 500},
        ).json()
        touch = Decimal(e["ask"] if side == "buy" else e["bid"])
        assert (Decimal(e["avg_price_now"]) - touch) * worse >= 0
        assert (Decimal(e["expected_avg_price"]) - touch) * worse >= 0
        assert e["fillable_now"] == "500" and e["resting_qty"] == "0" and e["note"] is None


def test_an_estimate_of_a_limit_far_under_the_market_rests_and_makes_up_no_price(
    api: InProcess,
) -> None:
    key = api.key()
    order = {"symbol": "AAPL", "side": "buy", "qty": "500", "type": "limit", "limit_price": "200"}
    assert Decimal(get(api, key, "/quotes/AAPL").json()["bid"]) > 250  # 200 is far under it

    e = api.http.post("/api/v1/estimate", headers=key.headers, json=order).json()

    assert e["fillable_now"] == "0" and e["avg_price_now"] is None
    assert e["expected_avg_price"] is None  # never a price above the limit
    assert e["schedule"] == []  # no completion within a minute
    assert e["resting_qty"] == "500"
    assert "rests at the limit 200" in e["note"] and "at or through it" in e["note"]
    assert e["accepted"] and Decimal(e["fees"]) > 0 and e["fee_qty"] == "500"
    assert e["spread_bps"] is e["impact_bps"] is e["total_bps"] is None  # no fill: no slippage


def test_an_estimate_against_your_account_counts_what_you_hold(api: InProcess) -> None:
    key = api.key()
    api.http.post(
        f"/api/v1/accounts/{key.account_id}/orders",
        headers=key.headers,
        json={"symbol": "AAPL", "side": "buy", "qty": 800},
    )
    order = {"symbol": "AAPL", "side": "buy", "qty": 200}
    fresh = api.http.post("/api/v1/estimate", headers=key.headers, json=order).json()
    mine = api.http.post(
        "/api/v1/estimate", headers=key.headers, json={**order, "account_id": key.account_id}
    ).json()
    assert fresh["accepted"] and not mine["accepted"]
    assert mine["reason"].startswith("concentration") and mine["account_id"] == key.account_id
    frictionless = api.http.post(
        "/api/v1/estimate", headers=key.headers, json={**order, "profile": "frictionless"}
    ).json()
    assert Decimal(frictionless["fees"]) == Decimal(frictionless["total_bps"]) == 0
    stop = api.http.post(
        "/api/v1/estimate", headers=key.headers, json={**order, "type": "stop", "stop_price": 1}
    )
    assert stop.status_code == 422
    assert stop.json()["message"] == "invalid request: type: Input should be 'market' or 'limit'"
    schema = api.http.get("/openapi.json").json()["components"]["schemas"]["EstimateCreate"]
    assert schema["properties"]["type"]["enum"] == ["market", "limit"]


@pytest.mark.parametrize("account", [False, True])
def test_an_estimate_of_a_fraction_of_a_lot_is_refused_as_the_cli_refuses_it(
    api: InProcess, account: bool
) -> None:
    """VOD.L trades in whole shares: no fill model fills 5.5, so no schedule or fee is made up
    for it (`vtrade estimate VOD.L buy 5.5` exits 2 with the same words)."""
    key = api.key()
    order = {"symbol": "VOD.L", "side": "buy", "qty": "5.5"}
    if account:
        order["account_id"] = key.account_id
    answer = api.http.post("/api/v1/estimate", headers=key.headers, json=order)
    assert answer.status_code == 422, answer.text
    assert answer.json()["message"] == (
        "quantity must be a positive multiple of the lot size 1, got 5.5"
    )
    whole = api.http.post("/api/v1/estimate", headers=key.headers, json={**order, "qty": "5"})
    assert whole.status_code == 200, whole.text
