"""The native API's idempotency (POST /api/v1/accounts/{id}/orders): the same
`client_order_id` with the same parameters answers 200 with the original order, with
different ones 409 ("use a new client_order_id"). An order sized by `notional` and one sized by
`qty` are different orders, even for the quantity the notional came to."""

from __future__ import annotations

from api_support import InProcess


def test_a_retry_sized_by_qty_is_not_the_notional_order_its_client_order_id_placed(
    api: InProcess,
) -> None:
    """The second request asks for a fixed number of shares whatever the price: 409, naming
    the id, and still one order."""
    key = api.key()
    url = f"/api/v1/accounts/{key.account_id}/orders"
    by_value = {"symbol": "AAPL", "side": "buy", "notional": "500", "client_order_id": "n1"}
    first = api.http.post(url, headers=key.headers, json=by_value)
    assert first.status_code == 201, first.text
    resolved = first.json()["qty"]

    by_qty = {"symbol": "AAPL", "side": "buy", "qty": resolved, "client_order_id": "n1"}
    again = api.http.post(url, headers=key.headers, json=by_qty)

    assert again.status_code == 409, again.text
    assert "n1" in again.json()["message"]
    listed = api.http.get(url, headers=key.headers, params={"status": "all"}).json()["orders"]
    assert len(listed) == 1


def test_the_same_notional_request_again_answers_the_original_order(api: InProcess) -> None:
    key = api.key()
    url = f"/api/v1/accounts/{key.account_id}/orders"
    by_value = {"symbol": "AAPL", "side": "buy", "notional": "500", "client_order_id": "n1"}
    first = api.http.post(url, headers=key.headers, json=by_value)

    again = api.http.post(url, headers=key.headers, json=by_value)

    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
