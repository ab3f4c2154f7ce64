"""`POST /v2/orders` has a direct path past FastAPI's machinery (api/alpaca/direct.py): it
answers exactly as the declared route does, and hands everything it does not handle to it.

A body sent as `application/json; charset=utf-8` is JSON to FastAPI but not taken by the
direct path, so the same request with the two content types compares the two paths.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from api_support import InProcess, Key, alice_headers, make_container
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from vtrade.api.alpaca.common import ctx
from vtrade.api.alpaca.direct import DirectOrders, order_route
from vtrade.api.alpaca.orders import OrderRequest
from vtrade.api.app import create_app
from vtrade.api.auth import caller

ORDER = {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}
DIRECT = "application/json"
VIA_FASTAPI = "application/json; charset=utf-8"
# Fields that differ between any two orders, whichever path placed them.
PER_ORDER = {"id", "client_order_id", "created_at", "updated_at", "submitted_at", "filled_at"}


def post(api: InProcess, headers: dict[str, str], body: bytes, content_type: str) -> Any:
    return api.http.post(
        "/v2/orders", content=body, headers={**headers, "content-type": content_type}
    )


def both_ways(api: InProcess, headers: dict[str, str], body: bytes) -> tuple[Any, Any]:
    return post(api, headers, body, DIRECT), post(api, headers, body, VIA_FASTAPI)


def comparable(response: Any) -> tuple[int, Any, str | None]:
    body = response.json()
    if isinstance(body, dict) and "id" in body:
        body = {k: v for k, v in body.items() if k not in PER_ORDER}
    return response.status_code, body, response.headers.get("content-type")


def test_the_route_depends_on_nothing_the_direct_path_does_not_resolve() -> None:
    dependant = order_route().dependant
    assert [d.call for d in dependant.dependencies] == [ctx]
    assert [d.call for d in dependant.dependencies[0].dependencies] == [caller]
    assert [p.field_info.annotation for p in dependant.body_params] == [OrderRequest]
    assert not (dependant.path_params or dependant.query_params or dependant.header_params)
    assert not (dependant.cookie_params or dependant.background_tasks_param_name)


@pytest.mark.parametrize(
    "body",
    [
        ORDER,
        {**ORDER, "qty": "2.0", "client_order_id": ""},
        {**ORDER, "symbol": "NOPE"},
        {**ORDER, "notional": "100"},
        {**ORDER, "order_class": "bracket"},
        {**ORDER, "qty": 10_000_000},
        {**ORDER, "qty": 123456789012345678901234567890},
        {**ORDER, "type": "limit", "limit_price": "150.001"},
        {**ORDER, "side": "hold"},
        {"symbol": "AAPL"},
        [ORDER],
    ],
    ids=[
        "filled",
        "numbers-as-strings",
        "unknown-symbol",
        "qty-and-notional",
        "bracket",
        "no-buying-power",
        "beyond-64-bits",
        "off-tick",
        "bad-side",
        "missing-fields",
        "not-an-object",
    ],
)
def test_both_paths_answer_an_order_alike(api: InProcess, body: object) -> None:
    direct, via_fastapi = both_ways(api, api.key().headers, json.dumps(body).encode())
    assert comparable(direct) == comparable(via_fastapi)


@pytest.mark.parametrize(
    "body", [b"", b"{", b'{"qty": NaN}', "{}".encode("utf-16"), b"\xff", b"[" * 100_000]
)
def test_both_paths_answer_a_body_that_is_not_json_alike(api: InProcess, body: bytes) -> None:
    direct, via_fastapi = both_ways(api, api.key().headers, body)
    assert direct.status_code in (400, 422)
    assert direct.json() == via_fastapi.json() and direct.status_code == via_fastapi.status_code


def test_both_paths_refuse_bad_credentials_alike(api: InProcess) -> None:
    key = api.key()
    basic = base64.b64encode(f"{key.key_id}:{key.secret}".encode()).decode()
    for headers in (
        {},
        {**key.headers, "APCA-API-SECRET-KEY": "x" * 40},
        {**key.headers, "APCA-API-KEY-ID": "PK" + "0" * 18},
        {"Authorization": "Basic !!"},
    ):
        direct, via_fastapi = both_ways(api, headers, orjson.dumps(ORDER))
        assert comparable(direct) == comparable(via_fastapi)
        assert direct.status_code == 401
    accepted = both_ways(api, {"Authorization": f"Basic {basic}"}, orjson.dumps(ORDER))
    assert [r.status_code for r in accepted] == [200, 200]


def test_a_reused_client_order_id_is_refused_alike_on_both_paths(api: InProcess) -> None:
    key = api.key()
    first = post(api, key.headers, orjson.dumps({**ORDER, "client_order_id": "b-1"}), DIRECT)
    again = both_ways(api, key.headers, orjson.dumps({**ORDER, "client_order_id": "b-1"}))
    changed = both_ways(
        api, key.headers, orjson.dumps({**ORDER, "qty": 2, "client_order_id": "b-1"})
    )
    assert first.status_code == 200
    for pair in (again, changed):  # as on Alpaca, even for the same order
        assert comparable(pair[0]) == comparable(pair[1])
        assert pair[0].status_code == 422
        assert pair[0].json()["message"].startswith("client_order_id must be unique")


def test_both_paths_refuse_a_sell_beyond_the_quantity_available_alike(api: InProcess) -> None:
    key = api.key()
    bought = post(api, key.headers, orjson.dumps({**ORDER, "qty": 10}), DIRECT)
    assert bought.json()["status"] == "filled"
    limit = api.container.market.quote("AAPL", api.clock.now_ns()).mid * Decimal("1.05")
    held = {**ORDER, "side": "sell", "qty": 6, "type": "limit", "limit_price": f"{limit:.2f}"}
    holding = post(api, key.headers, orjson.dumps(held), DIRECT).json()
    assert holding["status"] == "new"

    direct, via_fastapi = both_ways(
        api, key.headers, orjson.dumps({**ORDER, "side": "sell", "qty": 5})
    )

    assert comparable(direct) == comparable(via_fastapi)
    assert direct.status_code == 403 and direct.json() == {
        "code": 40310000,
        "message": "insufficient qty available for order (requested: 5, available: 4)",
        "available": "4",
        "existing_qty": "10",
        "held_for_orders": "6",
        "related_orders": [holding["id"]],
        "symbol": "AAPL",
    }


def test_the_direct_path_spends_the_rate_limit_once_per_order(tmp_path: Path) -> None:
    container, _ = make_container(tmp_path, rate_per_second=1, rate_burst=2)
    with TestClient(create_app(container, run_steps=False)) as client:
        headers = alice_headers(container)
        codes = [client.post("/v2/orders", json=ORDER, headers=headers) for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert codes[2].json()["code"] == 42910000 and int(codes[2].headers["Retry-After"]) >= 1


def test_orders_on_the_direct_path_are_counted_under_their_route(api: InProcess) -> None:
    key: Key = api.key()
    api.http.post("/v2/orders", json=ORDER, headers=key.headers)
    api.http.post("/v2/orders", json={**ORDER, "symbol": "NOPE"}, headers=key.headers)
    text = api.http.get("/metrics").text
    assert 'vtrade_http_requests_total{method="POST",route="/v2/orders",status="200"} 1.0' in text
    assert 'vtrade_http_requests_total{method="POST",route="/v2/orders",status="422"} 1.0' in text


class Recorder:
    """The app behind the direct path, standing in for FastAPI: it records what reaches it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def call(api: InProcess, direct: DirectOrders, chunks: list[bytes], **scope: Any) -> list[Message]:
    key = api.key()
    headers = [
        (b"content-type", DIRECT.encode()),
        (b"apca-api-key-id", key.key_id.encode()),
        (b"apca-api-secret-key", key.secret.encode()),
    ]
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    request = {
        "type": "http",
        "method": "POST",
        "path": "/v2/orders",
        "headers": headers,
        "query_string": b"",
        "app": api.app,
        **scope,
    }
    api.http.portal.call(direct, request, receive, send)  # type: ignore[union-attr]
    return sent


def test_a_valid_order_in_several_chunks_never_reaches_fastapi(api: InProcess) -> None:
    fastapi = Recorder()
    body = orjson.dumps(ORDER)
    sent = call(api, DirectOrders(fastapi), [body[:10], body[10:]])
    assert not fastapi.bodies
    assert sent[0]["status"] == 200 and orjson.loads(sent[1]["body"])["symbol"] == "AAPL"


def test_what_the_direct_path_does_not_take_reaches_fastapi_with_its_body(
    api: InProcess,
) -> None:
    fastapi = Recorder()
    direct = DirectOrders(fastapi)
    call(api, direct, [b'{"symbol": ', b'"AAPL"}'])  # not a valid order
    call(api, direct, [orjson.dumps(ORDER)], method="GET")
    call(api, direct, [orjson.dumps(ORDER)], path="/v2/orders/x")
    assert fastapi.bodies == [b'{"symbol": "AAPL"}', orjson.dumps(ORDER), orjson.dumps(ORDER)]
