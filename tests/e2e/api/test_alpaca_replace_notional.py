"""PATCH /v2/orders/{id} of a notional order that gives no qty keeps it a notional order
(found in session 21's order-types review: it answered `notional: null`)."""

from __future__ import annotations

from api_support import InProcess


def test_v2_replace_of_a_queued_notional_order_keeps_its_notional(api: InProcess) -> None:
    """On /v2 a PATCH that only renames the order (a new client_order_id) answers an order
    with `notional: null`: Alpaca's notional order became a fixed-quantity one."""
    key = api.key()
    api.step(7 * 3600)  # 2026-11-18 22:00Z, 17:00 New York: AAPL is closed until tomorrow
    placed = api.http.post(
        "/v2/orders",
        headers=key.headers,
        json={
            "symbol": "AAPL",
            "notional": "1000",
            "side": "buy",
            "type": "market",
            "time_in_force": "day",
            "client_order_id": "n1",
        },
    )
    assert placed.status_code == 200, placed.text
    assert placed.json()["status"] == "accepted" and placed.json()["notional"] == "1000"

    replaced = api.http.patch(
        f"/v2/orders/{placed.json()['id']}", headers=key.headers, json={"client_order_id": "n2"}
    )

    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["client_order_id"] == "n2"
    assert replaced.json()["notional"] == "1000"
