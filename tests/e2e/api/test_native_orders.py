"""Orders through the native API: fills with receipts, resting orders, replace and cancel,
idempotent client order ids, rejections with their numbers, and helpful 422s."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from api_support import InProcess, Key, make_container
from fastapi.testclient import TestClient

from vtrade.api.app import create_app


def orders_url(key: Key, rest: str = "") -> str:
    return f"/api/v1/accounts/{key.account_id}/orders{rest}"


def submit(api: InProcess, key: Key, **order: Any) -> Any:
    return api.http.post(orders_url(key), headers=key.headers, json=order)


def submit_bracket(api: InProcess, key: Key, symbol: str, entry_price: Decimal) -> Any:
    """A gtc bracket buying 10 at `entry_price`, exits 20 above and 20 below it."""
    return submit(
        api,
        key,
        symbol=symbol,
        side="buy",
        type="limit",
        qty="10",
        limit_price=str(entry_price),
        time_in_force="gtc",
        order_class="bracket",
        take_profit_limit_price=str(entry_price + 20),
        stop_loss_stop_price=str(entry_price - 20),
    )


def below_market(api: InProcess, key: Key, symbol: str, share: str = "0.97") -> str:
    """A limit price on the tick grid, `share` of the current bid (rests, within the collar)."""
    quote = api.http.get(f"/api/v1/quotes/{symbol}", headers=key.headers).json()
    tick = Decimal(
        api.http.get(f"/api/v1/instruments/{symbol}", headers=key.headers).json()["tick_size"]
    )
    price = (Decimal(quote["bid"]) * Decimal(share) / tick).to_integral_value() * tick
    return str(price)


def resting_limit(api: InProcess, key: Key, symbol: str) -> Any:
    """A limit buy of 1 below the market: it rests."""
    limit_price = below_market(api, key, symbol)
    return submit(
        api, key, symbol=symbol, side="buy", type="limit", qty=1, limit_price=limit_price
    ).json()


def test_a_market_order_fills_at_once_with_a_receipt_and_a_position(api: InProcess) -> None:
    key = api.key()
    response = submit(api, key, symbol="AAPL", side="buy", qty=100)
    assert response.status_code == 201
    order = response.json()
    assert response.headers["Location"] == orders_url(key, f"/{order['id']}")
    assert order["status"] == "filled" and order["filled_qty"] == "100"
    assert order["reject_reason"] is None and Decimal(order["filled_avg_price"]) > 0

    fills = api.http.get(orders_url(key, f"/{order['id']}/fills"), headers=key.headers).json()
    (fill,) = fills["fills"]
    receipt = fill["receipt"]
    assert fill["qty"] == "100" and fill["price"] == order["filled_avg_price"]
    assert receipt["profile"] == "realistic" and receipt["liquidity"] == "taker"
    assert receipt["auction"] is None  # it took the book: no auction's
    assert Decimal(receipt["spread_cost"]) > 0 and Decimal(receipt["fees"]) > 0
    assert sum(Decimal(p["amount"]) for p in receipt["fee_breakdown"]) == Decimal(fill["fee"])
    assert sum(Decimal(s["qty"]) for s in receipt["slices"]) == 100
    assert Decimal(receipt["frictionless_cost"]) == 100 * Decimal(receipt["arrival_mid"])
    assert Decimal(receipt["slippage_bps"]) >= 0

    account_fills = api.http.get(
        f"/api/v1/accounts/{key.account_id}/fills", headers=key.headers
    ).json()
    assert [f["id"] for f in account_fills["fills"]] == [fill["id"]]
    position = api.http.get(
        f"/api/v1/accounts/{key.account_id}/positions/AAPL", headers=key.headers
    ).json()
    assert position["qty"] == "100" and position["side"] == "long"
    assert position["avg_entry_price"] == order["filled_avg_price"]
    assert 0 < position["weight"] < 0.05


def test_a_limit_order_rests_is_replaced_and_then_canceled(api: InProcess) -> None:
    key = api.key()
    price = below_market(api, key, "MSFT")
    placed = submit(
        api,
        key,
        symbol="MSFT",
        side="buy",
        type="limit",
        qty="10",
        limit_price=price,
        time_in_force="gtc",
    ).json()
    assert placed["status"] == "accepted" and placed["remaining_qty"] == "10"

    lower = below_market(api, key, "MSFT", "0.96")
    replaced = api.http.patch(
        orders_url(key, f"/{placed['id']}"),
        headers=key.headers,
        json={"qty": 20, "limit_price": lower},
    )
    assert replaced.status_code == 200
    new = replaced.json()
    assert new["replaces"] == placed["id"] and new["status"] == "accepted"
    assert new["qty"] == "20" and Decimal(new["limit_price"]) == Decimal(lower)
    old = api.http.get(orders_url(key, f"/{placed['id']}"), headers=key.headers).json()
    assert old["status"] == "replaced" and old["replaced_by"] == new["id"]

    canceled = api.http.delete(orders_url(key, f"/{new['id']}"), headers=key.headers)
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    again = api.http.delete(orders_url(key, f"/{new['id']}"), headers=key.headers)
    assert again.status_code == 422
    assert "is canceled: only open orders can be canceled" in again.json()["message"]
    open_orders = api.http.get(orders_url(key), headers=key.headers).json()["orders"]
    assert open_orders == []


def test_cancel_all_cancels_every_open_order(api: InProcess) -> None:
    key = api.key()
    for symbol in ("MSFT", "NVDA"):
        resting_limit(api, key, symbol)
    result = api.http.delete(orders_url(key), headers=key.headers).json()
    assert sorted(o["symbol"] for o in result["canceled"]) == ["MSFT", "NVDA"]
    assert result["failed"] == []
    assert {o["status"] for o in result["canceled"]} == {"canceled"}


def test_a_repeated_client_order_id_returns_the_original_order(api: InProcess) -> None:
    key = api.key()
    first = submit(api, key, symbol="AAPL", side="buy", qty=5, client_order_id="bot-1")
    second = submit(api, key, symbol="AAPL", side="buy", qty="5", client_order_id="bot-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    fills = api.http.get(f"/api/v1/accounts/{key.account_id}/fills", headers=key.headers)
    assert len(fills.json()["fills"]) == 1  # traded once
    by_client = api.http.get(
        orders_url(key, "/by_client_order_id"),
        headers=key.headers,
        params={"client_order_id": "bot-1"},
    )
    assert by_client.json()["id"] == first.json()["id"]

    different = submit(api, key, symbol="AAPL", side="buy", qty=6, client_order_id="bot-1")
    assert different.status_code == 409
    assert "already used by order" in different.json()["message"]


def test_an_order_over_a_quarter_of_nav_is_rejected_with_its_numbers_and_kept(
    api: InProcess,
) -> None:
    key = api.key()
    response = submit(api, key, symbol="AAPL", side="buy", qty=2000)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == 40310 and body["details"]["rule"] == "concentration"
    assert "% of NAV" in body["message"] and "limit is 25%" in body["message"]
    order_id = body["details"]["order_id"]
    kept = api.http.get(orders_url(key, f"/{order_id}"), headers=key.headers).json()
    assert kept["status"] == "rejected" and kept["reject_reason"].startswith("concentration")
    closed = api.http.get(orders_url(key), headers=key.headers, params={"status": "closed"})
    assert [o["id"] for o in closed.json()["orders"]] == [order_id]


def test_a_rejected_orders_client_order_id_is_free_for_the_corrected_order(
    api: InProcess,
) -> None:
    key = api.key()
    too_big = submit(api, key, symbol="AAPL", side="buy", qty=2000, client_order_id="bot-7")
    again = submit(api, key, symbol="AAPL", side="buy", qty=2000, client_order_id="bot-7")
    lookup = {"client_order_id": "bot-7"}
    newest_refused = api.http.get(
        orders_url(key, "/by_client_order_id"), headers=key.headers, params=lookup
    ).json()
    corrected = submit(api, key, symbol="AAPL", side="buy", qty=20, client_order_id="bot-7")
    retried = submit(api, key, symbol="AAPL", side="buy", qty=20, client_order_id="bot-7")
    taken = submit(api, key, symbol="AAPL", side="buy", qty=21, client_order_id="bot-7")
    holder = api.http.get(
        orders_url(key, "/by_client_order_id"), headers=key.headers, params=lookup
    ).json()

    refused = [r.json()["details"]["order_id"] for r in (too_big, again)]
    assert (too_big.status_code, again.status_code) == (403, 403)
    assert refused[0] != refused[1] and newest_refused["id"] == refused[1]  # checked again
    assert (corrected.status_code, retried.status_code, taken.status_code) == (201, 200, 409)
    assert retried.json()["id"] == corrected.json()["id"] == holder["id"]
    listed = api.http.get(orders_url(key), headers=key.headers, params={"status": "all"})
    by_id = {o["id"]: o for o in listed.json()["orders"]}
    assert {o["client_order_id"] for o in by_id.values()} == {"bot-7"}
    assert [by_id[i]["status"] for i in refused] == ["rejected", "rejected"]
    assert by_id[holder["id"]]["status"] == "filled"


def test_a_replacement_setting_a_price_its_type_has_none_of_is_malformed_input(
    api: InProcess,
) -> None:
    key = api.key()
    price = below_market(api, key, "MSFT")
    placed = submit(
        api, key, symbol="MSFT", side="buy", type="limit", qty="10", limit_price=price
    ).json()

    for field, value in (("stop_price", price), ("trail", "1")):
        refused = api.http.patch(
            orders_url(key, f"/{placed['id']}"), headers=key.headers, json={field: value}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["message"] == (
            f"a limit order takes no {field}: its replacement keeps its type and may change "
            "qty, time_in_force, limit_price, client_order_id"
        )
    kept = api.http.get(orders_url(key, f"/{placed['id']}"), headers=key.headers).json()
    assert kept["status"] == "accepted"
    halved = api.http.patch(
        orders_url(key, f"/{placed['id']}"), headers=key.headers, json={"limit_price": price}
    )
    assert halved.json()["qty"] == "10"  # the rest of the old order, as it was sent


def test_a_refused_replacement_points_at_the_order_that_stays_open(api: InProcess) -> None:
    key = api.key()
    price = below_market(api, key, "AAPL")
    placed = submit(
        api, key, symbol="AAPL", side="buy", type="limit", qty=10, limit_price=price
    ).json()

    refused = api.http.patch(
        orders_url(key, f"/{placed['id']}"), headers=key.headers, json={"qty": 2000}
    )

    assert refused.status_code == 403
    body = refused.json()
    assert body["details"]["rule"] == "concentration"
    assert body["message"].startswith("replacement rejected: concentration")
    assert f"order {placed['id']} stays open as it was" in body["message"]
    assert body["details"]["order_id"] == placed["id"]
    assert body["details"]["order"]["status"] == "accepted"
    assert body["details"]["order"]["qty"] == "10"
    listed = api.http.get(orders_url(key), headers=key.headers, params={"status": "all"})
    assert [(o["id"], o["status"]) for o in listed.json()["orders"]] == [(placed["id"], "accepted")]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ({"symbol": "APPL", "side": "buy", "qty": 1}, "unknown symbol 'APPL'; did you mean"),
        ({"symbol": "AAPL", "side": "buy", "qty": -3}, "qty: Input should be greater than 0"),
        ({"symbol": "AAPL", "side": "buy", "qty": 1, "notional": 100}, "exactly one of qty"),
        ({"symbol": "AAPL", "side": "buy"}, "exactly one of qty and notional"),
        ({"symbol": "AAPL", "side": "hold", "qty": 1}, "side: Input should be 'buy' or 'sell'"),
        (
            {"symbol": "AAPL", "side": "buy", "qty": 1, "time_in_force": "week"},
            "'day', 'gtc', 'ioc', 'fok', 'opg' or 'cls'",
        ),
        ({"symbol": "AAPL", "side": "buy", "qty": 1, "type": "limit"}, "needs limit_price"),
        ({"symbol": "AAPL", "side": "buy", "qty": "lots"}, "qty: Input should be a valid decimal"),
        ({"symbol": "AAPL", "side": "buy", "qty": "NaN"}, "qty: Input should be a finite"),
        ({"symbol": "AAPL", "side": "buy", "quantity": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_orders_are_refused_with_422_saying_what_is_allowed(
    api: InProcess, order: dict[str, Any], expected: str
) -> None:
    key = api.key()
    response = submit(api, key, **order)
    assert response.status_code == 422
    assert response.json()["code"] == 42210
    assert expected in response.json()["message"]
    listed = api.http.get(orders_url(key), headers=key.headers, params={"status": "all"})
    assert listed.json()["orders"] == []


def test_orders_page_through_a_batch_that_shares_one_instant(api: InProcess) -> None:
    key = api.key()
    ids = [submit(api, key, symbol="AAPL", side="buy", qty=1).json()["id"] for _ in range(5)]
    seen: list[str] = []
    token = None
    while True:
        params: dict[str, Any] = {"status": "all", "limit": 2, "direction": "asc"}
        if token:
            params["page_token"] = token
        page = api.http.get(orders_url(key), headers=key.headers, params=params).json()
        seen += [o["id"] for o in page["orders"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert seen == sorted(ids)
    assert len(set(seen)) == 5
    filtered = api.http.get(
        orders_url(key), headers=key.headers, params={"status": "all", "symbols": "MSFT,NVDA"}
    )
    assert filtered.json()["orders"] == []
    bad = api.http.get(orders_url(key), headers=key.headers, params={"page_token": "nonsense"})
    assert bad.status_code == 422 and "page_token" in bad.json()["message"]


def test_a_full_last_page_has_no_token_and_a_token_serves_only_its_own_list(
    api: InProcess,
) -> None:
    key = api.key()
    for _ in range(4):
        submit(api, key, symbol="AAPL", side="buy", qty=1)
    asc = {"status": "all", "limit": 2, "direction": "asc"}
    first = api.http.get(orders_url(key), headers=key.headers, params=asc).json()
    token = first["next_page_token"]
    last = api.http.get(orders_url(key), headers=key.headers, params={**asc, "page_token": token})
    assert len(last.json()["orders"]) == 2 and last.json()["next_page_token"] is None

    fills_url = f"/api/v1/accounts/{key.account_id}/fills"
    for url, params in [(orders_url(key), {**asc, "direction": "desc"}), (fills_url, {})]:
        other = api.http.get(url, headers=key.headers, params={**params, "page_token": token})
        assert other.status_code == 422 and "of the same list" in other.json()["message"]


def test_an_auction_fills_receipt_names_its_auction(api: InProcess) -> None:
    """A cls order fills in the closing auction (New York's winter close, 21:00 UTC): its
    receipt says `auction` liquidity, and which auction, `close`."""
    key = api.key()
    order = submit(api, key, symbol="AAPL", side="buy", qty=10, time_in_force="cls").json()
    api.step(6 * 3600 + 60)  # from 15:00 to a minute past the close

    fills = api.http.get(orders_url(key, f"/{order['id']}/fills"), headers=key.headers).json()
    (fill,) = fills["fills"]
    assert fill["filled_at"].startswith("2026-11-18T21:00:00")
    assert (fill["receipt"]["liquidity"], fill["receipt"]["auction"]) == ("auction", "close")


def test_after_an_items_shown_time_lists_what_came_after_it_only(api: InProcess) -> None:
    key = api.key()
    api.clock.advance(500_000_500)  # times are kept to the ns, shown to the us
    earlier = submit(api, key, symbol="AAPL", side="buy", qty=1).json()
    api.step(1.0012345)  # it arrives and fills
    later = submit(api, key, symbol="AAPL", side="buy", qty=1).json()
    api.step(1.0012345)
    fills_url = f"/api/v1/accounts/{key.account_id}/fills"
    first_fill = api.http.get(fills_url, headers=key.headers).json()["fills"][-1]
    assert first_fill["order_id"] == earlier["id"]

    orders = api.http.get(
        orders_url(key),
        headers=key.headers,
        params={"status": "all", "after": earlier["created_at"]},
    ).json()["orders"]
    fills = api.http.get(
        fills_url, headers=key.headers, params={"after": first_fill["filled_at"]}
    ).json()["fills"]

    assert [o["id"] for o in orders] == [later["id"]]
    assert [f["order_id"] for f in fills] == [later["id"]]


def test_a_notional_order_buys_whole_lots_worth_the_amount(api: InProcess) -> None:
    key = api.key()
    order = submit(api, key, symbol="SPY", side="buy", notional="10000").json()
    assert order["notional"] == "10000" and order["status"] == "filled"
    assert 0 < Decimal(order["filled_notional"]) <= Decimal("10010")


def test_a_replacement_taking_another_orders_client_order_id_is_refused_even_after_a_restart(
    api: InProcess, tmp_path: Path
) -> None:
    key = api.key()
    taken = submit(api, key, symbol="AAPL", side="buy", qty=1, client_order_id="taken").json()
    price = below_market(api, key, "AAPL")
    placed = submit(
        api, key, symbol="AAPL", side="buy", type="limit", qty=10, limit_price=price
    ).json()
    container, _ = make_container(tmp_path)  # the same database, as after a restart

    with TestClient(create_app(container, run_steps=False)) as restarted:
        answers = [
            client.patch(
                orders_url(key, f"/{placed['id']}"),
                headers=key.headers,
                json={"qty": 5, "client_order_id": "taken"},
            )
            for client in (api.http, restarted)
        ]
        kept = restarted.get(orders_url(key, f"/{placed['id']}"), headers=key.headers).json()

    used = f"client_order_id must be unique: 'taken' is already used by order {taken['id']}"
    for response in answers:
        assert response.status_code == 422, response.text
        assert response.json()["code"] == 42210 and used in response.json()["message"]
    assert kept["status"] == "accepted" and kept["qty"] == "10" and kept["replaced_by"] is None


def test_a_bracket_holds_its_legs_until_its_entry_fills(api: InProcess) -> None:
    """The entry rests below the market: its take-profit and stop-loss are held; canceling
    the stop-loss cancels the take-profit with it, and the entry works on alone."""
    key = api.key()
    entry_price = Decimal(below_market(api, key, "MSFT", "0.9"))
    placed = submit_bracket(api, key, "MSFT", entry_price)
    assert placed.status_code == 201
    entry = placed.json()
    assert entry["order_class"] == "bracket" and len(entry["legs"]) == 2
    take_id, stop_id = entry["legs"]
    stop = api.http.get(orders_url(key, f"/{stop_id}"), headers=key.headers).json()
    assert stop["status"] == "held" and stop["type"] == "stop" and stop["side"] == "sell"
    assert stop["parent_id"] == entry["id"] and stop["oco_with"] == take_id

    canceled = api.http.delete(orders_url(key, f"/{stop_id}"), headers=key.headers)
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    take = api.http.get(orders_url(key, f"/{take_id}"), headers=key.headers).json()
    assert take["status"] == "canceled"
    still = api.http.get(orders_url(key, f"/{entry['id']}"), headers=key.headers).json()
    assert still["status"] == "accepted"


def test_cancel_all_answers_in_the_order_the_orders_were_placed(api: InProcess) -> None:
    """Held legs are canceled before their entries, but the answer lists orders as placed:
    an earlier limit, then the bracket's entry, then its take-profit and stop-loss."""
    key = api.key()
    first = resting_limit(api, key, "MSFT")
    entry_price = Decimal(below_market(api, key, "NVDA", "0.9"))
    entry = submit_bracket(api, key, "NVDA", entry_price).json()
    result = api.http.delete(orders_url(key), headers=key.headers).json()
    assert [o["id"] for o in result["canceled"]] == [first["id"], entry["id"], *entry["legs"]]
    assert {o["status"] for o in result["canceled"]} == {"canceled"}


def test_cancel_all_keeps_each_entry_with_its_legs_when_orders_share_an_instant(
    api: InProcess,
) -> None:
    """Orders placed while the clock stands still (a paused simulated clock, a batch) share
    their `created_at`: the answer still lists them as placed, a bracket's legs right after
    its entry and before the limit placed after it, then a second bracket with its own."""
    key = api.key()
    first = submit_bracket(api, key, "NVDA", Decimal(below_market(api, key, "NVDA", "0.9")))
    limit = resting_limit(api, key, "MSFT")
    second = submit_bracket(api, key, "AAPL", Decimal(below_market(api, key, "AAPL", "0.9")))
    entries = [first.json(), second.json()]
    assert len({o["created_at"] for o in [*entries, limit]}) == 1  # one instant

    result = api.http.delete(orders_url(key), headers=key.headers).json()

    assert [o["id"] for o in result["canceled"]] == [
        entries[0]["id"],
        *entries[0]["legs"],
        limit["id"],
        entries[1]["id"],
        *entries[1]["legs"],
    ]


def test_a_bracket_take_profit_below_a_buy_entry_is_refused_saying_so(api: InProcess) -> None:
    key = api.key()
    refused = submit(
        api,
        key,
        symbol="MSFT",
        side="buy",
        qty="1",
        order_class="bracket",
        take_profit_limit_price="1",
        stop_loss_stop_price="0.5",
    )
    assert refused.status_code == 422
    assert "take_profit limit_price 1 must be above the entry's price" in refused.json()["message"]


@pytest.mark.parametrize("blank", [" ", "   ", "\t", "\u00a0\u2003", "\u200b", " \u2060\ufeff"])
def test_a_client_order_id_of_blanks_only_is_refused_on_submit_and_replace(
    api: InProcess, blank: str
) -> None:
    key = api.key()
    price = below_market(api, key, "MSFT")
    placed = submit(api, key, symbol="MSFT", side="buy", type="limit", qty=1, limit_price=price)

    refused = submit(api, key, symbol="AAPL", side="buy", qty=1, client_order_id=blank)
    replaced = api.http.patch(
        orders_url(key, f"/{placed.json()['id']}"),
        headers=key.headers,
        json={"client_order_id": blank},
    )

    for answer in (refused, replaced):
        assert answer.status_code == 422, answer.text
        assert answer.json()["message"] == (
            "invalid request: client_order_id: is blank: give one with a visible character, or "
            "leave it out to have one made"
        )
    every = api.http.get(orders_url(key), headers=key.headers, params={"status": "all"})
    assert [o["id"] for o in every.json()["orders"]] == [placed.json()["id"]]
