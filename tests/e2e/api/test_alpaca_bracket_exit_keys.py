"""The exits of a `/v2` bracket order (`take_profit: {limit_price}`, `stop_loss: {stop_price,
limit_price}`): an exit sent needs its price and takes no other key, and a refusal names the
key at fault and the keys allowed (DESIGN.md §6: a 4xx "says what was wrong and what is
allowed"), 422 in Alpaca's body, leaving no order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from api_support import InProcess, Key


def bracket(api: InProcess, **exits: Any) -> dict[str, Any]:
    """A day bracket buying 1 AAPL at the market, its exits 5% either side, or as `exits`."""
    mid = api.container.engine.marks(api.clock.now_ns()).mid("AAPL")
    take, stop = (str((mid * Decimal(k)).quantize(Decimal("0.01"))) for k in ("1.05", "0.95"))
    return {
        "symbol": "AAPL",
        "qty": "1",
        "side": "buy",
        "time_in_force": "day",
        "order_class": "bracket",
        "take_profit": {"limit_price": take},
        "stop_loss": {"stop_price": stop},
        **exits,
    }


def refusal(api: InProcess, key: Key, body: dict[str, Any]) -> str:
    """The message of the 422 refusing `body`, once no order is left behind."""
    response = api.http.post("/v2/orders", headers=key.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == 40010001
    listed = api.http.get("/v2/orders", headers=key.headers, params={"status": "all"})
    assert listed.json() == []
    return str(response.json()["message"])


def test_a_misspelt_take_profit_key_is_refused_naming_it_and_the_key_allowed(
    api: InProcess,
) -> None:
    key = api.key()
    body = bracket(api)
    body["take_profit"] = {"limit_prce": body["take_profit"]["limit_price"]}

    message = refusal(api, key, body)

    assert "limit_prce" in message and "allowed: limit_price" in message, message


@pytest.mark.parametrize(
    ("exits", "needed"),
    [
        ({"stop_loss": {}}, "stop_loss.stop_price is required"),
        ({"stop_loss": {"limit_price": "1"}}, "stop_loss.stop_price is required"),
        ({"take_profit": {}}, "take_profit.limit_price is required"),
    ],
)
def test_an_exit_sent_without_its_price_is_refused_naming_the_price(
    api: InProcess, exits: dict[str, Any], needed: str
) -> None:
    assert needed in refusal(api, api.key(), bracket(api, **exits))


def test_a_stop_loss_key_it_does_not_take_is_refused_with_the_keys_it_does(
    api: InProcess,
) -> None:
    body = bracket(api)
    body["stop_loss"] = {**body["stop_loss"], "trail_percent": "2"}

    message = refusal(api, api.key(), body)

    assert "trail_percent" in message and "stop_price, limit_price" in message, message
