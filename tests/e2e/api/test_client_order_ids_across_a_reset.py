"""A reset keeps the orders from before it readable, so their client order ids stay taken
(README, "Configuration"): repeating one gets that earlier order back on /api/v1, its
idempotency, and 422 on /v2, as any repeated id does; a new id trades."""

from __future__ import annotations

from api_support import InProcess


def test_a_client_order_id_used_before_a_reset_stays_taken(api: InProcess) -> None:
    key = api.key()
    orders = f"/api/v1/accounts/{key.account_id}/orders"
    body = {"symbol": "AAPL", "side": "buy", "qty": "1", "type": "limit", "limit_price": "1.00"}
    first = api.http.post(orders, headers=key.headers, json=body | {"client_order_id": "bot-1"})
    assert first.status_code == 201, first.text
    reset = api.http.post(f"/api/v1/accounts/{key.account_id}/reset", headers=key.headers)
    assert reset.status_code == 200, reset.text

    again = api.http.post(orders, headers=key.headers, json=body | {"client_order_id": "bot-1"})
    alpaca = api.http.post(
        "/v2/orders",
        headers=key.headers,
        json=body | {"client_order_id": "bot-1", "time_in_force": "day"},
    )
    fresh = api.http.post(orders, headers=key.headers, json=body | {"client_order_id": "bot-2"})

    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["status"] == "canceled"
    assert alpaca.status_code == 422
    assert "client_order_id must be unique" in alpaca.json()["message"]
    assert fresh.status_code == 201 and fresh.json()["status"] in ("new", "accepted")
