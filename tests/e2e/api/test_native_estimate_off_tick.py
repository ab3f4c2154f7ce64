"""POST /api/v1/estimate refuses a limit price off the instrument's tick as bad input (422
naming the tick), as `POST /orders` and `vtrade estimate` do, with or without an account: it
used to estimate the order and say only "rejected: tick_size" for a fresh account."""

from __future__ import annotations

import pytest
from api_support import InProcess


@pytest.mark.parametrize("own_account", [False, True])
def test_an_estimate_of_a_limit_off_the_tick_answers_422_naming_the_tick(
    api: InProcess, own_account: bool
) -> None:
    key = api.key()
    body = {"symbol": "AAPL", "side": "buy", "qty": "10", "type": "limit", "limit_price": "100.001"}
    if own_account:
        body["account_id"] = key.account_id

    response = api.http.post("/api/v1/estimate", headers=key.headers, json=body)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == 42210
    assert "tick size 0.01" in response.json()["message"]


def test_an_estimate_of_a_limit_on_the_tick_is_answered(api: InProcess) -> None:
    key = api.key()
    body = {"symbol": "AAPL", "side": "buy", "qty": "10", "type": "limit", "limit_price": "100.01"}

    response = api.http.post("/api/v1/estimate", headers=key.headers, json=body)

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] is True
