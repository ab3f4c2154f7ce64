"""What `/v2/orders` checks before an order exists, as Alpaca does: a malformed order answers
422 and leaves nothing behind (no order listed or streamed, its client_order_id still free),
an order a trading rule refuses (403) is kept as rejected but leaves its client_order_id
free, a replacement keeps the rules of a new order (a client_order_id used by another order
is refused with the old order left open), crypto orders take only Alpaca's crypto order types,
and `after` is exclusive at the microsecond the API shows. The clock stands at 2026-11-18
15:00Z, 10:00 in New York."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from api_support import InProcess, Key
from test_alpaca_order_rules import post, refused
from test_ws_alpaca import authenticate, frame


def mid(api: InProcess, symbol: str = "AAPL") -> Decimal:
    quote = api.container.market.quote(symbol, api.clock.now_ns())
    return ((quote.bid + quote.ask) / 2).quantize(Decimal("0.01"))


def resting(api: InProcess, key: Key, **body: Any) -> dict[str, Any]:
    """A buy limit 3% under the market (gtc unless told): it rests."""
    price = (mid(api) * Decimal("0.97")).quantize(Decimal("0.01"))
    fields = {"type": "limit", "limit_price": str(price), "time_in_force": "gtc", **body}
    placed = post(api, key, **fields)
    assert placed.status_code == 200, placed.text
    return dict(placed.json())


def all_orders(api: InProcess, key: Key, **params: Any) -> list[dict[str, Any]]:
    query = {"status": "all", **params}
    return list(api.http.get("/v2/orders", headers=key.headers, params=query).json())


def patch(api: InProcess, key: Key, order_id: str, **body: Any) -> Any:
    return api.http.patch(f"/v2/orders/{order_id}", headers=key.headers, json=body)


# -- malformed orders keep nothing --------------------------------------------------------

MALFORMED = [
    ({"type": "limit", "time_in_force": "day"}, 40010001, "needs limit_price"),
    ({"type": "limit", "limit_price": "100.001", "time_in_force": "day"}, 42210000, "tick"),
    ({"type": "trailing_stop", "time_in_force": "gtc"}, 40010001, "exactly one of trail"),
    (
        {"type": "trailing_stop", "trail_price": "2", "trail_percent": "1", "time_in_force": "gtc"},
        40010001,
        "exactly one of trail",
    ),
    ({"type": "market", "extended_hours": True, "time_in_force": "day"}, 40010001, "extended"),
    (
        {"type": "limit", "limit_price": "100", "extended_hours": True, "time_in_force": "gtc"},
        40010001,
        "extended_hours needs a day limit order",
    ),
]


@pytest.mark.parametrize(("body", "code", "says"), MALFORMED)
def test_a_malformed_order_answers_422_and_leaves_no_order_behind(
    api: InProcess, body: dict[str, Any], code: int, says: str
) -> None:
    key = api.key()

    response = post(api, key, client_order_id="retry-me", **body)

    refused(response, 422, code, says)
    assert all_orders(api, key) == []
    lookup = api.http.get(
        "/v2/orders:by_client_order_id", headers=key.headers, params={"client_order_id": "retry-me"}
    )
    assert lookup.status_code == 404
    corrected = resting(api, key, client_order_id="retry-me")  # the id is still free
    assert [o["id"] for o in all_orders(api, key)] == [corrected["id"]]


def test_a_malformed_order_streams_nothing(api: InProcess) -> None:
    key = api.key()
    with api.http.websocket_connect("/stream") as ws:
        authenticate(ws, key)
        ws.send_json({"action": "listen", "data": {"streams": ["trade_updates"]}})
        frame(ws)
        refused(post(api, key, type="limit", time_in_force="day"), 422, 40010001)
        api.step(1)
        placed = resting(api, key)
        api.step(1)
        first = frame(ws)[1]["data"]
    assert first["event"] == "new" and first["order"]["id"] == placed["id"]


def test_an_order_a_trading_rule_refuses_is_still_kept_as_rejected(api: InProcess) -> None:
    key = api.key()
    response = post(api, key, qty="50000", time_in_force="day", client_order_id="whale")

    refused(response, 403, 40310000, "buying power")
    (kept,) = all_orders(api, key, status="closed")
    assert kept["status"] == "rejected" and kept["client_order_id"] == "whale"


def test_an_order_a_trading_rule_refuses_leaves_its_client_order_id_free(
    api: InProcess,
) -> None:
    """On Alpaca a 403 creates no order: a bot sends its corrected order under the same id."""
    key = api.key()
    post(api, key, qty="50000", time_in_force="day", client_order_id="whale")

    corrected = post(api, key, qty="5", time_in_force="day", client_order_id="whale")
    again = post(api, key, qty="5", time_in_force="day", client_order_id="whale")
    lookup = api.http.get(
        "/v2/orders:by_client_order_id", headers=key.headers, params={"client_order_id": "whale"}
    )

    assert corrected.status_code == 200, corrected.text
    refused(again, 422, 40010001, "client_order_id must be unique")
    assert lookup.json()["id"] == corrected.json()["id"]
    statuses = sorted(o["status"] for o in all_orders(api, key))
    assert statuses == ["filled", "rejected"]


# -- replacements -------------------------------------------------------------------------


def test_a_replacement_taking_another_orders_client_order_id_is_refused_and_changes_nothing(
    api: InProcess,
) -> None:
    key = api.key()
    first = resting(api, key, client_order_id="first")
    second = resting(api, key, client_order_id="second")

    response = patch(api, key, second["id"], qty="3", client_order_id="first")

    refused(response, 422, 40010001, "client_order_id must be unique", "first")
    kept = api.http.get(f"/v2/orders/{second['id']}", headers=key.headers).json()
    assert kept["status"] == "new" and kept["replaced_by"] is None and kept["qty"] == "1"
    assert {o["id"] for o in all_orders(api, key)} == {first["id"], second["id"]}
    moved = patch(api, key, second["id"], qty="3", client_order_id="third")
    assert moved.status_code == 200 and moved.json()["client_order_id"] == "third"


def test_a_replacement_keeping_its_own_client_order_id_gets_a_new_one(api: InProcess) -> None:
    key = api.key()
    old = resting(api, key, client_order_id="mine")

    response = patch(api, key, old["id"], qty="3", client_order_id="mine")

    assert response.status_code == 200, response.text
    assert response.json()["client_order_id"] not in ("", "mine")
    retired = api.http.get(f"/v2/orders/{old['id']}", headers=key.headers).json()
    assert retired["status"] == "replaced" and retired["client_order_id"] == "mine"
    again = patch(api, key, response.json()["id"], qty="4", client_order_id="mine")
    refused(again, 422, 40010001, "client_order_id must be unique")  # the old order's now


def test_a_stop_replaced_through_the_market_is_refused_and_does_not_fill(api: InProcess) -> None:
    key = api.key()
    above = mid(api) + Decimal("0.50")
    stop = post(api, key, type="stop", stop_price=str(above), time_in_force="gtc").json()
    below = mid(api) - Decimal("0.50")

    response = patch(api, key, stop["id"], stop_price=str(below))

    refused(response, 422, 42210000, "stop price must be greater than base_price")
    kept = api.http.get(f"/v2/orders/{stop['id']}", headers=key.headers).json()
    assert kept["status"] == "new" and kept["filled_qty"] == "0"
    assert api.http.get("/v2/positions", headers=key.headers).json() == []


def test_a_fractional_order_may_not_be_replaced_by_a_gtc_one(api: InProcess) -> None:
    key = api.key()
    day = resting(api, key, qty="1.5", time_in_force="day")

    response = patch(api, key, day["id"], time_in_force="gtc")

    refused(response, 422, 40010001, "fractional orders must be day orders")
    kept = api.http.get(f"/v2/orders/{day['id']}", headers=key.headers).json()
    assert kept["status"] == "new" and kept["time_in_force"] == "day"


# -- crypto -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{"type": "stop", "stop_price": "1000000"}, {"type": "trailing_stop", "trail_percent": "5"}],
)
def test_crypto_orders_are_not_stop_or_trailing_stop_orders(
    api: InProcess, body: dict[str, str]
) -> None:
    key = api.key()
    response = post(api, key, symbol="BTC/USD", qty="0.01", time_in_force="gtc", **body)
    refused(response, 422, 40010001, "invalid order type for crypto order", body["type"])
    assert all_orders(api, key) == []


def test_a_crypto_stop_limit_keeps_its_stop_beyond_the_market(api: InProcess) -> None:
    key = api.key()
    market = mid(api, "BTC-USD")

    def stop_limit(stop: Decimal) -> Any:
        return post(
            api,
            key,
            symbol="BTC/USD",
            qty="0.01",
            type="stop_limit",
            stop_price=str(stop),
            limit_price=str(stop + 10),
            time_in_force="gtc",
        )

    through = stop_limit(market - 100)
    beyond = stop_limit(market + 100)

    refused(through, 422, 42210000, "stop price must be greater than base_price")
    assert beyond.status_code == 200 and beyond.json()["status"] == "new", beyond.text


# -- after is exclusive -------------------------------------------------------------------


def test_after_excludes_the_order_and_fill_it_names_at_the_shown_microsecond(
    api: InProcess,
) -> None:
    key = api.key()
    placed = []
    for _ in range(3):
        api.clock.advance(1_000_000_123)  # a second and some nanoseconds the API does not show
        order = post(api, key, time_in_force="day")
        assert order.status_code == 200 and order.json()["status"] == "filled"
        placed.append(order.json())
    ids = [o["id"] for o in placed]

    seen, after = [], None
    while True:  # as a bot pages: after = the last one's submitted_at
        params = {"direction": "asc", "limit": 1, **({"after": after} if after else {})}
        page = all_orders(api, key, **params)
        if not page:
            break
        seen.append(page[0]["id"])
        after = page[0]["submitted_at"]
    until = all_orders(api, key, direction="asc", until=placed[2]["submitted_at"])
    fills = api.http.get(
        "/v2/account/activities/FILL",
        headers=key.headers,
        params={"after": placed[0]["filled_at"], "direction": "asc"},
    ).json()

    assert seen == ids
    assert [o["id"] for o in until] == ids[:2]
    assert [f["order_id"] for f in fills] == ids[1:]


def test_buying_power_leaves_out_what_open_orders_hold_on_both_apis(api: InProcess) -> None:
    """A bot sizing its next order from buying power must not be refused: an open buy limit
    holds back its margin (half its value at 2:1), as the next order's check counts it."""
    key = api.key()
    before = api.http.get("/v2/account", headers=key.headers).json()
    order = resting(api, key, qty="100")
    held = Decimal(order["limit_price"]) * 100 / 2

    after = api.http.get("/v2/account", headers=key.headers).json()
    native = api.http.get(f"/api/v1/accounts/{key.account_id}", headers=key.headers).json()

    assert Decimal(before["buying_power"]) == 2_000_000
    assert Decimal(after["buying_power"]) == 2_000_000 - 2 * held
    assert Decimal(after["regt_buying_power"]) == 2_000_000 - 2 * held
    assert Decimal(native["excess_margin"]) == 1_000_000 - held
    assert Decimal(native["buying_power"]) == Decimal(after["buying_power"])


def test_non_marginable_buying_power_is_the_cash_a_crypto_buy_may_spend(api: InProcess) -> None:
    """Cash less what open crypto buys will take, with their fees: a crypto order sized to it
    passes the cash check, and one a dollar over it does not."""
    key = api.key()
    for symbol in ("AAPL", "MSFT", "NVDA", "AMZN"):  # 96% of the cash into stocks
        ask = api.container.market.quote(symbol, api.clock.now_ns()).ask
        qty = int(240_000 / ask)
        bought = post(api, key, symbol=symbol, qty=str(qty), time_in_force="day")
        assert bought.status_code == 200, bought.text
    btc = api.container.market.quote("BTC-USD", api.clock.now_ns())
    price = (btc.bid * Decimal("0.97")).quantize(Decimal("0.01"))
    limit = {"symbol": "BTC/USD", "type": "limit", "limit_price": str(price)}
    resting_btc = post(api, key, **limit, qty="0.1", time_in_force="gtc")
    assert resting_btc.status_code == 200, resting_btc.text

    account = api.http.get("/v2/account", headers=key.headers).json()
    free = Decimal(account["non_marginable_buying_power"])

    assert free < Decimal(account["cash"]) - price / 10  # the open buy and its fee are held
    assert free < Decimal(account["buying_power"]) / 2
    fits = (free * Decimal("0.99") / price).quantize(Decimal("0.0001"))
    over = ((free + 1) / price).quantize(Decimal("0.0001"))
    ok = post(api, key, **limit, qty=str(fits), time_in_force="gtc")
    assert ok.status_code == 200, ok.text
    refused = post(api, key, **limit, qty=str(over), time_in_force="gtc")
    assert refused.status_code == 403 and "not marginable" in refused.text
