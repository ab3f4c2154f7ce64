"""Order events on their way out of the engine to the `trade_updates` stream: `replaced`
before the replacement's events, each event once, and the order as it stood just after it
(alpaca-compat.md §9)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from api_support import InProcess, Key, get_ok, receive_frame
from starlette.testclient import WebSocketTestSession

from vtrade.domain.commands import OpenAccount

CENT = Decimal("0.01")


def _data(ws: WebSocketTestSession, timeout: float) -> dict[str, Any]:
    message = receive_frame(ws, timeout)
    raw = message["bytes"] if message.get("bytes") is not None else message["text"]
    parsed: dict[str, Any] = json.loads(raw)
    return parsed


def listening(ws: WebSocketTestSession, key: Key) -> None:
    ws.send_json(
        {"action": "authenticate", "data": {"key_id": key.key_id, "secret_key": key.secret}}
    )
    assert _data(ws, 5)["data"]["status"] == "authorized"
    ws.send_json({"action": "listen", "data": {"streams": ["trade_updates"]}})
    assert _data(ws, 5)["stream"] == "listening"


def updates(ws: WebSocketTestSession) -> list[dict[str, Any]]:
    """Every trade update queued now (none more within half a second)."""
    seen = []
    while True:
        try:
            seen.append(_data(ws, 0.5)["data"])
        except TimeoutError:
            return seen


def price(api: InProcess, factor: str, symbol: str = "AAPL") -> str:
    mid = api.container.market.quote(symbol, api.clock.now_ns()).mid
    return str((mid * Decimal(factor)).quantize(CENT))


def post(api: InProcess, key: Key, body: dict[str, Any]) -> dict[str, Any]:
    response = api.http.post("/v2/orders", headers=key.headers, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture
def stream(api: InProcess) -> Iterator[tuple[Key, WebSocketTestSession]]:
    key = api.key()
    with api.http.websocket_connect("/stream") as ws:
        listening(ws, key)
        yield key, ws


def seen(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(u["event"], u["order"]["id"]) for u in events]


# -- ordering around a replace ---------------------------------------------------------------


def test_a_bracket_entry_replaced_through_the_market_streams_replaced_before_the_new_entry(
    api: InProcess, stream: tuple[Key, WebSocketTestSession]
) -> None:
    """alpaca-compat.md §9: `replaced` goes out for the old order, "followed by `new` for the
    replacement". A bot chasing the market re-prices its resting bracket entry so that it
    fills at once, releasing its legs: `replaced` still comes first, so the bot never sees a
    fill of an order it does not know yet while its old order looks open."""
    api_key, ws = stream
    entry = post(
        api,
        api_key,
        {
            "symbol": "AAPL",
            "qty": "10",
            "side": "buy",
            "type": "limit",
            "limit_price": price(api, "0.97"),
            "time_in_force": "gtc",
            "order_class": "bracket",
            "take_profit": {"limit_price": price(api, "1.05")},
            "stop_loss": {"stop_price": price(api, "0.90")},
        },
    )
    api.step(1)
    assert seen(updates(ws)) == [("new", entry["id"])]

    response = api.http.patch(
        f"/v2/orders/{entry['id']}",
        headers=api_key.headers,
        json={"limit_price": price(api, "1.01")},
    )
    assert response.status_code == 200 and response.json()["status"] == "filled"
    api.step(1)
    got = seen(updates(ws))

    new_id = response.json()["id"]
    assert ("fill", new_id) in got  # the replacement filled at once
    assert got[0] == ("replaced", entry["id"]), got  # first: the old order is replaced


def _long_with_an_oco(api: InProcess, key: Key, ws: WebSocketTestSession) -> dict[str, Any]:
    """Buy 10 AAPL and put a sell oco on them (take-profit 5% above the mid, stop-loss 5%
    below), both working; the stream's updates so far read; return the take-profit."""
    post(api, key, {"symbol": "AAPL", "qty": "10", "side": "buy", "type": "market",
                    "time_in_force": "day"})  # fmt: skip
    api.step(1)
    oco = post(
        api,
        key,
        {
            "symbol": "AAPL",
            "qty": "10",
            "side": "sell",
            "type": "limit",
            "time_in_force": "gtc",
            "order_class": "oco",
            "take_profit": {"limit_price": price(api, "1.05")},
            "stop_loss": {"stop_price": price(api, "0.95")},
        },
    )
    api.step(1)
    updates(ws)
    return oco


def test_an_oco_take_profit_replaced_through_the_market_streams_replaced_first(
    api: InProcess, stream: tuple[Key, WebSocketTestSession]
) -> None:
    """The same with an oco exit: the take-profit re-priced through the bid fills at once and
    cancels its stop-loss; the stream reads replaced, new, fill, canceled."""
    key, ws = stream
    oco = _long_with_an_oco(api, key, ws)

    response = api.http.patch(
        f"/v2/orders/{oco['id']}", headers=key.headers, json={"limit_price": price(api, "0.97")}
    )
    assert response.status_code == 200 and response.json()["status"] == "filled"
    api.step(1)
    got = seen(updates(ws))

    assert [e for e, _ in got] == ["replaced", "new", "fill", "canceled"], got
    assert got[0] == ("replaced", oco["id"])


def test_a_harsh_oco_take_profit_replaced_through_the_market_fills_when_the_replace_arrives(
    api: InProcess, stream: tuple[Key, WebSocketTestSession]
) -> None:
    """Under harsh a replace of an oco exit travels too: the take-profit reads
    pending_replace while the replace is on its way, then replaced; its replacement fills on
    arrival and cancels the stop-loss it took over."""
    key, ws = stream
    api.container.trading.set_profile(key.account_id, "harsh")
    oco = _long_with_an_oco(api, key, ws)

    response = api.http.patch(
        f"/v2/orders/{oco['id']}", headers=key.headers, json={"limit_price": price(api, "0.97")}
    )
    assert response.status_code == 200 and response.json()["status"] == "new"
    new_id = response.json()["id"]
    api.step(0)
    assert seen(updates(ws)) == [("pending_replace", oco["id"]), ("new", new_id)]
    api.step(1)
    got = seen(updates(ws))

    assert [e for e, _ in got] == ["replaced", "fill", "canceled"], got
    assert got[:2] == [("replaced", oco["id"]), ("fill", new_id)]


# -- at least once, deduplicated --------------------------------------------------------------


def test_events_relayed_again_after_a_failed_mark_reach_a_listener_once(
    api: InProcess, stream: tuple[Key, WebSocketTestSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox delivers at least once (DESIGN §2: consumers are idempotent by event id).
    When marking a relayed chunk fails (SQLite "database is locked" while the CLI writes, a
    PostgreSQL restart), the next step publishes the same events again; the stream sends
    each once (a `new` carries no id a bot could tell a repeat by, and 3 shares bought must
    not read as 6)."""
    key, ws = stream
    order = post(api, key, {"symbol": "AAPL", "qty": "3", "side": "buy", "type": "market",
                            "time_in_force": "day"})  # fmt: skip
    store = api.container.store
    mark = store.mark_published
    failures = iter([RuntimeError("database is locked")])

    def mark_once_failing(seqs: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        mark(seqs)

    monkeypatch.setattr(store, "mark_published", mark_once_failing)
    with pytest.raises(RuntimeError):  # a server's step logs it and tries again
        api.step(1)
    api.step(1)

    assert seen(updates(ws)) == [("new", order["id"]), ("fill", order["id"])]


# -- the order as it stood just after the event -----------------------------------------------


def test_a_trailing_stops_new_event_shows_the_hwm_and_stop_it_was_accepted_with(
    api: InProcess, stream: tuple[Key, WebSocketTestSession]
) -> None:
    """§9: the streamed order is "exactly as REST, reflecting the state after this event".
    The `new` of a trailing stop shows the hwm and stop_price POST showed, not those the
    market moved it to by the relay (a server relays after the next step's advance: at
    --speed 60 a step is 6 s of market)."""
    key, ws = stream
    post(api, key, {"symbol": "AAPL", "qty": "10", "side": "buy", "type": "market",
                    "time_in_force": "day"})  # fmt: skip
    api.step(1)
    updates(ws)
    trailing = post(api, key, {"symbol": "AAPL", "qty": "10", "side": "sell",
                               "type": "trailing_stop", "trail_percent": "5",
                               "time_in_force": "gtc"})  # fmt: skip
    api.step(600)  # one step that worked ten minutes of market before relaying
    new = next(u for u in updates(ws) if u["order"]["id"] == trailing["id"])

    assert new["event"] == "new" and new["timestamp"] == trailing["updated_at"]
    at_acceptance = (trailing["hwm"], trailing["stop_price"])
    assert (new["order"]["hwm"], new["order"]["stop_price"]) == at_acceptance


def test_a_partial_fill_streamed_with_a_later_replace_shows_no_replaced_by(
    api: InProcess,
) -> None:
    """A PATCH lets the market act first, in its own transaction: the resting order fills
    further, then is replaced. Its partial_fill events show `replaced_by: null`, as GET did
    then: the replacement did not exist yet."""
    key = api.key()
    owner = api.container.trading.account(key.account_id).owner
    api.container.trading.open_account(  # large enough for an order larger than the book
        OpenAccount(id="o", ts_init=0, owner=owner, name="big", balance=Decimal(500_000_000))
    )
    key = api.key("alice", "big")
    ask = api.container.market.quote("AAPL", api.clock.now_ns()).ask
    limit = (ask * Decimal("1.01")).quantize(CENT)
    with api.http.websocket_connect("/stream") as ws:
        listening(ws, key)
        old = post(api, key, {"symbol": "AAPL", "qty": "300000", "side": "buy", "type": "limit",
                              "limit_price": str(limit), "time_in_force": "gtc"})  # fmt: skip
        assert old["status"] == "partially_filled"
        api.step(0)
        updates(ws)
        api.clock.advance(5 * 10**9)  # the book refills; the PATCH's transaction fills more first
        response = api.http.patch(
            f"/v2/orders/{old['id']}", headers=key.headers, json={"limit_price": str(limit + CENT)}
        )
        assert response.status_code == 200
        api.step(0)
        got = updates(ws)

    partials = [u for u in got if u["event"] == "partial_fill" and u["order"]["id"] == old["id"]]
    assert partials, seen(got)
    assert [u["order"]["replaced_by"] for u in partials] == [None] * len(partials)


# -- a cancel under latency ----------------------------------------------------------------------


def test_a_harsh_cancel_is_pending_until_it_reaches_the_market(
    api: InProcess, stream: tuple[Key, WebSocketTestSession]
) -> None:
    """Alpaca's `pending_cancel`: DELETE answers 204 at once, the order reads pending_cancel
    (the stream says so) until the cancel reaches the market half a second later, then it
    is canceled."""
    key, ws = stream
    api.container.trading.set_profile(key.account_id, "harsh")
    order = post(
        api,
        key,
        {
            "symbol": "AAPL",
            "qty": "10",
            "side": "buy",
            "type": "limit",
            "limit_price": price(api, "0.9"),
            "time_in_force": "day",
        },
    )
    api.step(1)
    updates(ws)

    deleted = api.http.delete(f"/v2/orders/{order['id']}", headers=key.headers)
    assert deleted.status_code == 204
    pending = api.http.get(f"/v2/orders/{order['id']}", headers=key.headers).json()
    assert pending["status"] == "pending_cancel" and pending["canceled_at"] is None
    api.step(0)
    assert seen(updates(ws)) == [("pending_cancel", order["id"])]

    api.step(1)
    assert seen(updates(ws)) == [("canceled", order["id"])]
    done = api.http.get(f"/v2/orders/{order['id']}", headers=key.headers).json()
    assert done["status"] == "canceled" and done["canceled_at"] is not None


def test_a_harsh_replace_is_pending_until_it_reaches_the_market(
    api: InProcess, stream: tuple[Key, WebSocketTestSession]
) -> None:
    """Alpaca's `pending_replace`: PATCH answers with the replacement at once; the order it
    replaces reads pending_replace, and works on, until the replace reaches the market half a
    second later; then it is replaced and the replacement works."""
    key, ws = stream
    api.container.trading.set_profile(key.account_id, "harsh")
    body = {"symbol": "AAPL", "qty": "10", "side": "buy", "type": "limit"}
    order = post(api, key, {**body, "limit_price": price(api, "0.9"), "time_in_force": "day"})
    api.step(1)
    updates(ws)

    patched = api.http.patch(
        f"/v2/orders/{order['id']}", headers=key.headers, json={"limit_price": price(api, "0.8")}
    )
    assert patched.status_code == 200, patched.text
    new = patched.json()
    old = api.http.get(f"/v2/orders/{order['id']}", headers=key.headers).json()
    assert old["status"] == "pending_replace" and old["replaced_by"] is None
    api.step(0)
    assert seen(updates(ws)) == [("pending_replace", order["id"]), ("new", new["id"])]

    api.step(1)
    assert seen(updates(ws)) == [("replaced", order["id"])]
    old = api.http.get(f"/v2/orders/{order['id']}", headers=key.headers).json()
    assert old["status"] == "replaced" and old["replaced_by"] == new["id"]


def harsh_key(api: InProcess) -> Key:
    key = api.key()
    api.container.trading.set_profile(key.account_id, "harsh")
    return key


def buy_market(api: InProcess, key: Key, **more: Any) -> dict[str, Any]:
    body = {"symbol": "AAPL", "qty": "10", "side": "buy", "type": "market"}
    return post(api, key, {**body, "time_in_force": "day", **more})


def resting_bid(api: InProcess, key: Key) -> dict[str, Any]:
    body = {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "limit"}
    return post(api, key, {**body, "limit_price": price(api, "0.9"), "time_in_force": "gtc"})


def test_cancel_all_leaves_a_harsh_bracket_entrys_legs_to_it(api: InProcess) -> None:
    """A harsh bracket canceled as it is sent: its market entry reaches the market first and
    fills, the cancel behind it, and its fill releases the legs. Cancel-all had canceled the
    held legs at once while the entry's cancel was on its way: the entry filled and the
    account held 10 AAPL with no exit at all."""
    key = harsh_key(api)
    entry = buy_market(
        api,
        key,
        time_in_force="gtc",
        order_class="bracket",
        take_profit={"limit_price": price(api, "1.2")},
        stop_loss={"stop_price": price(api, "0.8")},
    )
    assert api.http.delete("/v2/orders", headers=key.headers).status_code == 207
    api.step(2)

    got = get_ok(api, key, f"/v2/orders/{entry['id']}", nested="true")
    assert (got["status"], [leg["status"] for leg in got["legs"]]) == ("filled", ["new", "held"])


def test_native_cancel_all_lists_orders_a_cancel_is_on_its_way_to_apart(api: InProcess) -> None:
    """They may still fill: `pending`, not `canceled` (they were listed as canceled, status
    accepted, and `vtrade cancel --all` printed them under "Canceled")."""
    key = harsh_key(api)
    order = resting_bid(api, key)
    api.step(1)

    r = api.http.delete(f"/api/v1/accounts/{key.account_id}/orders", headers=key.headers)

    assert r.status_code == 200 and r.json()["canceled"] == []
    (pending,) = r.json()["pending"]
    assert pending["id"] == order["id"] and pending["cancel_arrives_at"] is not None


def test_stream_snapshots_before_a_harsh_cancel_was_sent_do_not_show_it(api: InProcess) -> None:
    """Each trade update carries the order as it stood just after its event: the market buy's
    `new` did not read pending_cancel, nor its `pending_cancel` the fill half a second later."""
    key = harsh_key(api)
    with api.http.websocket_connect("/stream") as ws:
        listening(ws, key)
        order = buy_market(api, key)
        assert api.http.delete(f"/v2/orders/{order['id']}", headers=key.headers).status_code == 204
        api.step(1)
        got = [(u["event"], u["order"]["status"], u["order"]["filled_qty"]) for u in updates(ws)]

    assert got == [
        ("new", "new", "0"),
        ("pending_cancel", "pending_cancel", "0"),
        ("fill", "filled", "10"),
    ]


def test_updated_at_moves_when_a_harsh_cancel_is_sent(
    api: InProcess, stream: tuple[Key, WebSocketTestSession]
) -> None:
    """GET and the stream agree on the pending_cancel's instant (GET kept the arrival's)."""
    _, ws = stream
    key = api.key()
    api.container.trading.set_profile(key.account_id, "harsh")
    order = resting_bid(api, key)
    api.step(2)
    updates(ws)
    assert api.http.delete(f"/v2/orders/{order['id']}", headers=key.headers).status_code == 204
    api.step(0)
    (streamed,) = [u for u in updates(ws) if u["event"] == "pending_cancel"]

    got = get_ok(api, key, f"/v2/orders/{order['id']}")
    assert got["status"] == "pending_cancel"
    assert got["updated_at"] == streamed["order"]["updated_at"] == streamed["timestamp"]


def test_a_harsh_close_all_names_the_orders_still_being_canceled_and_closes_once_they_are(
    api: InProcess,
) -> None:
    """As on Alpaca, `DELETE /v2/positions?cancel_orders=true` sends the cancels but a close
    cannot use shares an exit still holds while its cancel is on its way: the close's 403
    names that exit in `related_orders`; sent again once the cancel arrived, it closes."""
    key = harsh_key(api)
    buy_market(api, key)
    api.step(1)
    body = {"symbol": "AAPL", "qty": "10", "side": "sell", "type": "limit"}
    exit_order = post(api, key, {**body, "limit_price": price(api, "1.2"), "time_in_force": "gtc"})
    api.step(1)

    first = api.http.delete("/v2/positions", headers=key.headers, params={"cancel_orders": "true"})

    (refused,) = first.json()
    assert refused["status"] == 403
    assert refused["body"]["held_for_orders"] == "10"
    assert refused["body"]["related_orders"] == [exit_order["id"]]
    api.step(1)
    again = api.http.delete("/v2/positions", headers=key.headers)
    (closed,) = again.json()
    assert closed["status"] == 200 and closed["body"]["qty"] == "10"
    assert get_ok(api, key, f"/v2/orders/{exit_order['id']}")["status"] == "canceled"
