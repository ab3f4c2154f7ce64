"""Order events on their way out of the engine to the `trade_updates` stream: `replaced`
before the replacement's events, each event once, and the order as it stood just after it
(alpaca-compat.md §9)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from api_support import InProcess, Key, receive_frame
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


def test_an_oco_take_profit_replaced_through_the_market_streams_replaced_first(
    api: InProcess, stream: tuple[Key, WebSocketTestSession]
) -> None:
    """The same with an oco exit: the take-profit re-priced through the bid fills at once and
    cancels its stop-loss; the stream reads replaced, new, fill, canceled."""
    key, ws = stream
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

    response = api.http.patch(
        f"/v2/orders/{oco['id']}", headers=key.headers, json={"limit_price": price(api, "0.97")}
    )
    assert response.status_code == 200 and response.json()["status"] == "filled"
    api.step(1)
    got = seen(updates(ws))

    assert [e for e, _ in got] == ["replaced", "new", "fill", "canceled"], got
    assert got[0] == ("replaced", oco["id"])


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
