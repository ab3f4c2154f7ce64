"""Orders through both APIs: numbers out of range answer 422 with the field, the value and the
range (never a 500) and keep nothing; trailing stops are replaced by their trail and stay on
the tick grid; a stop-limit's limit is collared against its stop."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from alpaca.trading.client import TradingClient
from alpaca.trading.models import Order
from alpaca.trading.requests import ReplaceOrderRequest, TrailingStopOrderRequest
from api_support import InProcess, Key, Live

D = Decimal
HUGE = "99999999999999999999999999999999999999"
ORDER = {"symbol": "AAPL", "side": "buy", "type": "market", "time_in_force": "day"}
OUT_OF_RANGE = [  # (body, what the message says) for POST /v2/orders and the native API
    ({**ORDER, "qty": HUGE}, f"qty {HUGE} is out of range"),
    (
        {**ORDER, "qty": "1", "type": "limit", "limit_price": "1e30"},
        "limit_price 1E+30 is out of range",
    ),
    (
        {**ORDER, "qty": "1", "type": "stop", "stop_price": "1e30"},
        "stop_price 1E+30 is out of range",
    ),
    (
        {**ORDER, "qty": "1", "side": "sell", "type": "trailing_stop", "trail_price": "1e30"},
        "trail_price 1E+30 is out of range: it must be above 0 and below the market price",
    ),
    ({**ORDER, "notional": "1e40"}, "notional 1E+40 is out of range"),
]


def native_orders(key: Key, rest: str = "") -> str:
    return f"/api/v1/accounts/{key.account_id}/orders{rest}"


def all_orders(api: InProcess, key: Key) -> list[dict[str, Any]]:
    listed = api.http.get("/v2/orders", headers=key.headers, params={"status": "all"})
    orders: list[dict[str, Any]] = listed.json()
    return orders


def mid(api: InProcess | Live, symbol: str = "AAPL") -> Decimal:
    return api.container.market.quote(symbol, api.clock.now_ns()).mid


def cents(value: Decimal) -> str:
    return str(value.quantize(D("0.01")))


def post(api: InProcess, key: Key, **fields: Any) -> dict[str, Any]:
    """Submit `ORDER` with `fields` changed; assert it was accepted."""
    order = ORDER | fields
    response = api.http.post("/v2/orders", headers=key.headers, json=order)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- out of range: 422 everywhere, nothing kept -----------------------------------------------
# The cases of a test share one server (a container costs ~100 MB): each is a subtest.


def test_a_number_out_of_range_answers_422_on_both_apis_and_keeps_nothing(
    api: InProcess, subtests: pytest.Subtests
) -> None:
    key = api.key()

    for body, says in OUT_OF_RANGE:
        with subtests.test(says):
            alpaca = api.http.post("/v2/orders", headers=key.headers, json=body)
            native = api.http.post(native_orders(key), headers=key.headers, json=body)

            assert alpaca.status_code == 422 and alpaca.json()["code"] == 40010001
            assert native.status_code == 422 and native.json()["code"] == 42210
            assert says in alpaca.json()["message"] and says in native.json()["message"]
            assert all_orders(api, key) == []


def test_an_estimate_with_a_number_out_of_range_answers_422(
    api: InProcess, subtests: pytest.Subtests
) -> None:
    key = api.key()

    for (body, says), own in itertools.product(OUT_OF_RANGE[:2], [False, True]):
        against = {"account_id": key.account_id} if own else {}
        with subtests.test(says, own_account=own):
            response = api.http.post("/api/v1/estimate", headers=key.headers, json=body | against)

            assert response.status_code == 422 and response.json()["code"] == 42210
            assert says in response.json()["message"]


def test_a_replacement_out_of_range_answers_422_and_the_order_stays_as_it_was(
    api: InProcess, subtests: pytest.Subtests
) -> None:
    key = api.key()
    m = mid(api)
    resting = {
        "limit": post(api, key, qty="2", type="limit", limit_price=cents(m * D("0.97"))),
        "stop": post(api, key, qty="2", type="stop", stop_price=cents(m * D("1.05"))),
        "trailing_stop": post(
            api, key, side="sell", qty="2", type="trailing_stop", trail_price="5"
        ),
    }
    cases = [
        ("limit", {"qty": HUGE}, f"qty {HUGE} is out of range"),
        ("limit", {"limit_price": "1e30"}, "limit_price 1E+30 is out of range"),
        ("stop", {"stop_price": "1e30"}, "stop_price 1E+30 is out of range"),
        ("trailing_stop", {"trail": "1e30"}, "trail_price 1E+30 is out of range"),
    ]

    for (kind, change, says), surface in itertools.product(cases, ["alpaca", "native"]):
        with subtests.test(says, surface=surface):
            old = resting[kind]
            url = f"/v2/orders/{old['id']}"
            response = api.http.patch(
                url if surface == "alpaca" else native_orders(key, f"/{old['id']}"),
                headers=key.headers,
                json=change,
            )

            assert response.status_code == 422, response.text
            assert says in response.json()["message"]
            assert api.http.get(url, headers=key.headers).json() == old
            assert len(all_orders(api, key)) == 3


# -- replacing a trailing stop ----------------------------------------------------------------


def test_a_trailing_stop_is_replaced_by_its_trail_or_its_qty_alone(
    api: InProcess, subtests: pytest.Subtests
) -> None:
    key = api.key()
    post(api, key, qty="3")  # something to sell
    cases: list[tuple[dict[str, str], dict[str, Any], dict[str, str]]] = [
        ({"trail_price": "0.5"}, {"trail": 2}, {"trail_price": "2", "qty": "1"}),
        ({"trail_percent": "2.5"}, {"trail": 2}, {"trail_percent": "2", "qty": "1"}),
        ({"trail_percent": "2.5"}, {"qty": "0.4"}, {"trail_percent": "2.5", "qty": "0.4"}),
    ]
    placed = [post(api, key, side="sell", qty="1", type="trailing_stop", **t) for t, _, _ in cases]
    api.step(5)  # the engine computes each one's stop from its trail

    for old, (_, change, expected) in zip(placed, cases, strict=True):
        with subtests.test(**change):
            url = f"/v2/orders/{old['id']}"
            assert api.http.get(url, headers=key.headers).json()["stop_price"]

            response = api.http.patch(url, headers=key.headers, json=change)

            assert response.status_code == 200, response.text
            new = response.json()
            assert new["replaces"] == old["id"] and new["status"] == "new"
            assert {name: new[name] for name in expected} == expected
            retired = api.http.get(url, headers=key.headers).json()
            assert retired["status"] == "replaced" and retired["replaced_by"] == new["id"]


def test_a_refused_replacement_leaves_no_rejected_order_behind(api: InProcess) -> None:
    key = api.key()
    post(api, key, qty="1")
    old = post(api, key, side="sell", qty="1", type="trailing_stop", trail_price="1")

    for _ in range(3):
        refused = api.http.patch(
            f"/v2/orders/{old['id']}", headers=key.headers, json={"stop_price": "100"}
        )
        assert refused.status_code == 422
        assert refused.json()["message"].startswith("a trailing_stop order takes no stop_price")

    assert [o["status"] for o in all_orders(api, key)] == ["new", "filled"]


def test_alpaca_py_replaces_a_trailing_stop_by_its_trail(live: Live) -> None:
    key = live.key()
    trading = TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)
    old = trading.submit_order(
        TrailingStopOrderRequest(
            symbol="AAPL", qty=1, side="buy", time_in_force="gtc", trail_percent=2.5
        )
    )
    assert isinstance(old, Order)
    live.advance(3)

    new = trading.replace_order_by_id(old.id, ReplaceOrderRequest(trail=2))

    assert isinstance(new, Order)
    assert new.replaces == old.id and new.trail_percent == "2"


# -- on the tick grid, collared against the stop ----------------------------------------------


def test_a_trailing_stops_watermark_and_stop_stay_on_the_tick_grid(api: InProcess) -> None:
    key = api.key()
    post(api, key, qty="1")
    alpaca = post(api, key, side="sell", qty="1", type="trailing_stop", trail_price="0.5")
    native = post(api, key, qty="1", type="trailing_stop", trail_percent="1.7")

    for _ in range(30):
        api.step(1)
        seen = api.http.get(f"/v2/orders/{alpaca['id']}", headers=key.headers).json()
        mine = api.http.get(native_orders(key, f"/{native['id']}"), headers=key.headers).json()
        prices = [seen["hwm"], seen["stop_price"], mine["trail_watermark"], mine["stop_price"]]
        assert all(D(p) % D("0.01") == 0 for p in prices if p is not None), prices


def test_a_stop_limit_away_from_the_market_with_its_limit_near_its_stop_is_accepted(
    api: InProcess, subtests: pytest.Subtests
) -> None:
    """The review's case: sell stop 240 / limit 239 with AAPL at 270."""
    key = api.key()

    for side, sign in (("sell", -1), ("buy", 1)):
        with subtests.test(side=side):
            stop = mid(api) * (1 + sign * D("0.11"))

            order = post(
                api,
                key,
                side=side,
                time_in_force="gtc",
                qty="1",
                type="stop_limit",
                stop_price=cents(stop),
                limit_price=cents(stop + sign),
            )

            assert order["status"] == "new"
