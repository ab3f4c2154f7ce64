"""POST /api/v1/accounts/{id}/orders with a `client_order_id` used before: "200 with the
original order when client_order_id was used before with the same parameters (409 with
different ones)". The order class and the legs' prices are parameters of the order too."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import InProcess, Key

ENTRY = {"symbol": "MSFT", "side": "buy", "qty": 5, "type": "limit", "limit_price": "100"}
BRACKET = {
    **ENTRY,
    "order_class": "bracket",
    "take_profit_limit_price": "900",
    "stop_loss_stop_price": "50",
}


def _post(api: InProcess, key: Key, body: dict[str, Any]) -> Any:
    return api.http.post(
        f"/api/v1/accounts/{key.account_id}/orders", headers=key.headers, json=body
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # a simple order, then a bracket on the same entry: answered 200 with the simple
        # order (no legs), as if the bracket had been placed
        ({**ENTRY, "client_order_id": "c-1"}, {**BRACKET, "client_order_id": "c-1"}),
        # a bracket, then the same bracket with another take-profit: 200 with the legs at 900
        (
            {**BRACKET, "client_order_id": "c-1"},
            {**BRACKET, "take_profit_limit_price": "950", "client_order_id": "c-1"},
        ),
        # a bracket, then the same bracket with another stop-loss
        (
            {**BRACKET, "client_order_id": "c-1"},
            {**BRACKET, "stop_loss_stop_price": "60", "client_order_id": "c-1"},
        ),
        # a bracket, then the entry alone
        ({**BRACKET, "client_order_id": "c-1"}, {**ENTRY, "client_order_id": "c-1"}),
    ],
    ids=["simple-then-bracket", "other-take-profit", "other-stop-loss", "bracket-then-simple"],
)
def test_a_client_order_id_reused_with_other_legs_is_a_409(
    api: InProcess, first: dict[str, Any], second: dict[str, Any]
) -> None:
    key = api.key()
    placed = _post(api, key, first)
    assert placed.status_code == 201, placed.text
    again = _post(api, key, second)
    # (found: 200 and the first order, without the legs just asked for)
    assert again.status_code == 409, again.text
    body = again.json()
    assert body["code"] == 40910
    assert "c-1" in body["message"]


def test_the_same_bracket_again_is_still_answered_200_with_the_original(api: InProcess) -> None:
    """The control: the identical retry is idempotent."""
    key = api.key()
    placed = _post(api, key, {**BRACKET, "client_order_id": "c-2"})
    again = _post(api, key, {**BRACKET, "client_order_id": "c-2"})
    assert (placed.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == placed.json()["id"]
    assert again.json()["legs"] == placed.json()["legs"] and len(placed.json()["legs"]) == 2
