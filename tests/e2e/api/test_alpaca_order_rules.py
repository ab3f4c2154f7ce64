"""Alpaca's own order rules on `/v2/orders`, which native orders need not follow: a
`client_order_id` is never reused, `time_in_force` is required and limited for crypto and for
fractional orders, fractional orders are never short sales, opg/cls orders have a cut-off, a
replacement must change something. The clock stands at 2026-11-18 15:00Z, 10:00 in New York."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from alpaca.trading.client import TradingClient
from api_support import InProcess, Key, Live

from vtrade.core.clock import parse_instant, to_ns


def post(api: InProcess, key: Key, **body: Any) -> Any:
    order = {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", **body}
    return api.http.post("/v2/orders", headers=key.headers, json=order)


def refused(response: Any, status: int, code: int, *words: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    for word in words:
        assert word in body["message"], body["message"]
    return str(body["message"])


def test_a_client_order_id_is_never_reused_even_for_the_same_order(api: InProcess) -> None:
    key = api.key()
    first = post(api, key, time_in_force="day", client_order_id="once")
    assert first.status_code == 200

    again = post(api, key, time_in_force="day", client_order_id="once")

    refused(again, 422, 40010001, "client_order_id must be unique")
    assert len(api.container.store.list_orders(key.account_id)) == 1


def test_time_in_force_is_required(api: InProcess) -> None:
    refused(post(api, api.key()), 422, 40010001, "time_in_force")


@pytest.mark.parametrize("tif", ["day", "opg", "cls", "fok"])
def test_crypto_orders_are_gtc_or_ioc(api: InProcess, tif: str) -> None:
    response = post(api, api.key(), symbol="BTC/USD", qty="0.01", time_in_force=tif)
    refused(response, 422, 40010001, f"time_in_force {tif}", "crypto", "gtc, ioc")


@pytest.mark.parametrize("tif", ["gtc", "ioc"])
def test_crypto_orders_may_be_gtc_or_ioc(api: InProcess, tif: str) -> None:
    response = post(api, api.key(), symbol="BTC/USD", qty="0.01", time_in_force=tif)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("sizing", [{"qty": "1.5"}, {"notional": "500"}])
def test_fractional_stock_orders_are_day_orders(api: InProcess, sizing: dict[str, str]) -> None:
    order = {"symbol": "AAPL", "side": "buy", "type": "market", "time_in_force": "gtc", **sizing}
    response = api.http.post("/v2/orders", headers=api.key().headers, json=order)
    refused(response, 422, 40010001, "fractional", "day")


def test_fractional_orders_are_never_short_sales(api: InProcess) -> None:
    key = api.key()
    short = post(api, key, side="sell", qty="1.5", time_in_force="day")  # from flat
    assert post(api, key, qty="2", time_in_force="day").status_code == 200
    closing = post(api, key, side="sell", qty="1.5", time_in_force="day")

    refused(short, 403, 40310000, "fractional orders cannot be sold short")
    assert closing.status_code == 200, closing.text


def test_a_limit_price_off_the_penny_grid_answers_alpacas_sub_penny_code(api: InProcess) -> None:
    response = post(api, api.key(), type="limit", limit_price="100.001", time_in_force="day")
    refused(response, 422, 42210000, "100.001")


@pytest.mark.parametrize(("tif", "cut_off"), [("opg", "09:28"), ("cls", "15:50")])
def test_opg_and_cls_orders_have_alpacas_cut_off(api: InProcess, tif: str, cut_off: str) -> None:
    key = api.key()
    if tif == "cls":
        api.clock.set(to_ns(parse_instant("2026-11-18T20:55:00Z")))  # 15:55 in New York

    late = post(api, key, time_in_force=tif)

    refused(late, 422, 42210000, f"{tif} orders", cut_off)
    api.clock.set(to_ns(parse_instant("2026-11-19T00:30:00Z")))  # 19:30: for the next day
    queued = post(api, key, time_in_force=tif)
    assert queued.status_code == 200
    assert queued.json()["status"] == "accepted"  # received, routed at the open


@pytest.mark.parametrize("local", ["12:55", "14:00", "17:30"])
def test_on_an_early_close_day_cls_orders_are_cut_off_ten_minutes_before_its_close(
    api: InProcess, local: str
) -> None:
    key = api.key()
    hour, minute = (int(part) for part in local.split(":"))
    api.clock.set(to_ns(parse_instant(f"2026-11-27T{hour + 5:02d}:{minute:02d}:00Z")))  # EST

    refused(post(api, key, time_in_force="cls"), 422, 42210000, "until 12:50", f"it is {local}")
    api.clock.set(to_ns(parse_instant("2026-11-28T00:30:00Z")))  # 19:30: for the next day
    assert post(api, key, time_in_force="cls").status_code == 200


def test_a_replacement_that_changes_nothing_is_refused(api: InProcess) -> None:
    key = api.key()
    bid = api.container.market.quote("AAPL", api.clock.now_ns()).bid
    placed = post(api, key, type="limit", limit_price=str(bid - Decimal(5)), time_in_force="gtc")

    path = f"/v2/orders/{placed.json()['id']}"
    same = placed.json()["limit_price"]

    for body in ({}, {"limit_price": same}, {"qty": "1", "time_in_force": "gtc"}):
        response = api.http.patch(path, headers=key.headers, json=body)
        refused(response, 422, 40010001, "must change something", "qty", "limit_price")
    kept = api.http.get(path, headers=key.headers).json()
    assert kept["status"] == "new"
    changed = api.http.patch(path, headers=key.headers, json={"qty": "2", "limit_price": same})
    assert changed.status_code == 200 and changed.json()["replaces"] == kept["id"]


def test_a_body_that_is_not_json_says_so(api: InProcess) -> None:
    response = api.http.post(
        "/v2/orders",
        headers={**api.key().headers, "Content-Type": "application/json"},
        content=b'{"symbol": "AAPL",',
    )
    message = refused(response, 422, 40010001, "not valid JSON")
    assert "0:" not in message


def test_an_open_trailing_stop_shows_its_stop_at_once(api: InProcess) -> None:
    key = api.key()
    assert post(api, key, qty="5", time_in_force="day").status_code == 200

    placed = post(
        api, key, side="sell", qty="5", type="trailing_stop", trail_price="2", time_in_force="gtc"
    ).json()

    assert placed["hwm"] is not None and placed["stop_price"] is not None
    assert Decimal(placed["stop_price"]) == Decimal(placed["hwm"]) - 2


def test_a_base_url_with_a_trailing_slash_still_reaches_v2(live: Live) -> None:
    key = live.key()
    client = TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url + "/")
    account = client.get_account()
    assert not isinstance(account, dict) and account.cash is not None


@pytest.mark.parametrize(("side", "away", "says"), [("buy", -1, "greater"), ("sell", 1, "less")])
def test_a_stop_already_through_the_market_is_refused(
    api: InProcess, side: str, away: int, says: str
) -> None:
    key = api.key()
    quote = api.container.market.quote("AAPL", api.clock.now_ns())
    mid = ((quote.bid + quote.ask) / 2).quantize(Decimal("0.01"))
    through = mid + away * Decimal("0.50")
    beyond = mid - away * Decimal("0.50")
    if side == "sell":
        assert post(api, key, qty="1", time_in_force="day").status_code == 200

    refused_stop = post(
        api, key, side=side, type="stop", stop_price=str(through), time_in_force="gtc"
    )
    placed = post(api, key, side=side, type="stop", stop_price=str(beyond), time_in_force="gtc")

    refused(refused_stop, 422, 42210000, f"stop price must be {says} than base_price", str(mid))
    assert placed.status_code == 200 and placed.json()["status"] == "new"


def test_exit_legs_without_a_bracket_are_refused_not_dropped(api: InProcess) -> None:
    response = post(api, api.key(), time_in_force="day", take_profit={"limit_price": "400"})
    refused(response, 422, 40010001, "take_profit", "bracket")


def test_a_trail_finer_than_the_tick_is_refused(api: InProcess) -> None:
    key = api.key()
    assert post(api, key, qty="5", time_in_force="day").status_code == 200
    response = post(
        api, key, side="sell", type="trailing_stop", trail_price="0.001", time_in_force="gtc"
    )
    refused(response, 422, 42210000, "trail_price 0.001", "tick size 0.01")


def test_fx_pairs_are_found_written_together_as_crypto_pairs_are(api: InProcess) -> None:
    key = api.key()
    for written in ("EURUSD", "EUR/USD", "BTCUSD"):
        assert api.http.get(f"/v2/assets/{written}", headers=key.headers).status_code == 200


def test_refusals_spell_the_symbol_as_the_client_wrote_it(api: InProcess) -> None:
    response = post(api, api.key(), symbol="BTC/USD", side="sell", time_in_force="gtc")
    message = refused(response, 403, 40310000, "BTC/USD")
    assert "BTC-USD" not in message
