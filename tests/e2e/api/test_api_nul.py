"""A NUL character (\\u0000) in any text a client sends is refused with a 422 that says where:
PostgreSQL's text cannot hold one (a query naming one failed with a 500), and SQLite stored it."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import PASSWORD, InProcess
from test_ws_native import WS, next_message

ORDER = {"symbol": "AAPL", "side": "buy", "qty": "1", "type": "limit", "limit_price": "100"}
ACC = "/api/v1/accounts/{a}"
NATIVE_ORDER = {**ORDER, "client_order_id": "\0x"}
ALPACA_ORDER = {**ORDER, "time_in_force": "day", "client_order_id": "a\0"}


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        ("POST", f"{ACC}/orders", NATIVE_ORDER, "client_order_id"),
        ("GET", f"{ACC}/orders/x%00y", None, "the path"),
        ("GET", f"{ACC}/orders/by_client_order_id?client_order_id=a%00b", None, "the query string"),
        ("GET", f"{ACC}/fills?order_id=a%00b", None, "the query string"),
        ("POST", "/api/v1/session", {"name": "bo\0b", "password": PASSWORD}, "name"),
        ("POST", "/v2/orders", ALPACA_ORDER, "client_order_id"),
        ("GET", "/v2/orders:by_client_order_id?client_order_id=a%00b", None, "the query string"),
        ("POST", "/v2/watchlists", {"name": "w", "symbols": ["AAPL", "MS\0FT"]}, "symbols[1]"),
    ],
)
def test_a_nul_anywhere_is_a_422_naming_where_it_was(
    api: InProcess, method: str, path: str, body: dict[str, Any] | None, where: str
) -> None:
    key = api.key()

    response = api.http.request(
        method, path.format(a=key.account_id), json=body, headers=key.headers
    )

    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert f"{where} may not contain a NUL character" in message
    assert api.http.get("/v2/orders", headers=key.headers).json() == []  # nothing was placed


def test_a_nul_in_a_websocket_message_is_an_error_and_the_connection_lives_on(
    api: InProcess,
) -> None:
    key = api.key()
    with api.http.websocket_connect(WS, headers=key.headers) as ws:
        next_message(ws)
        ws.send_json({"action": "subscribe", "channels": ["orders"], "account_id": "a\0"})
        error = next_message(ws)["error"]
        assert error["code"] == 42210 and "account_id may not contain a NUL" in error["message"]
        ws.send_json({"action": "ping"})
        assert next_message(ws)["ack"] == "pong"
