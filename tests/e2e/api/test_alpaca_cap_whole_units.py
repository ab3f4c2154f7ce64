"""On `/v2/orders`, a refusal by the 25%-of-NAV cap names the largest quantity that fits as
one the same API takes: a whole one where Alpaca's rules allow no fraction (a short sale, an
order other than a day order), so a bot that resends that quantity gets its order."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from api_support import InProcess

FITS = re.compile(r"at most ([0-9.]+) more fit")


def post(api: InProcess, headers: dict[str, str], **order: Any) -> Any:
    return api.http.post("/v2/orders", headers=headers, json=order)


def suggested(response: Any) -> str:
    assert response.status_code == 403, response.text
    found = FITS.search(response.json()["message"])
    assert found is not None, response.text
    return found.group(1)


def test_v2_a_short_sale_over_the_cap_names_a_quantity_that_v2_accepts(api: InProcess) -> None:
    key = api.key()
    order = {"symbol": "AAPL", "side": "sell", "type": "market", "time_in_force": "day"}
    fits = suggested(post(api, key.headers, qty="2000", **order))
    assert Decimal(fits) == Decimal(fits).to_integral_value()
    again = post(api, key.headers, qty=fits, **order)
    assert again.status_code == 200, (fits, again.text)


def test_v2_a_gtc_limit_over_the_cap_names_a_quantity_that_v2_accepts(api: InProcess) -> None:
    key = api.key()
    bid = Decimal(api.http.get("/api/v1/quotes/AAPL", headers=key.headers).json()["bid"])
    order = {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "limit_price": str(bid - 2),
        "time_in_force": "gtc",
    }
    fits = suggested(post(api, key.headers, qty="2000", **order))
    assert Decimal(fits) == Decimal(fits).to_integral_value()
    again = post(api, key.headers, qty=fits, **order)
    assert again.status_code == 200, (fits, again.text)


def test_v2_a_gtc_replacement_over_the_cap_names_a_quantity_that_v2_accepts(
    api: InProcess,
) -> None:
    key = api.key()
    bid = Decimal(api.http.get("/api/v1/quotes/AAPL", headers=key.headers).json()["bid"])
    order = {"symbol": "AAPL", "side": "buy", "type": "limit", "time_in_force": "gtc"}
    placed = post(api, key.headers, qty="10", limit_price=str(bid - 2), **order)
    assert placed.status_code == 200, placed.text
    path = f"/v2/orders/{placed.json()['id']}"
    fits = suggested(api.http.patch(path, headers=key.headers, json={"qty": "2000"}))
    assert Decimal(fits) == Decimal(fits).to_integral_value()
    again = api.http.patch(path, headers=key.headers, json={"qty": fits})
    assert again.status_code == 200, (fits, again.text)
