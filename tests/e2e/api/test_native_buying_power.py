"""The native API's `buying_power` against the one `/v2/account` reports for the same account
(review: leveraged multi-currency trader).

Sources: README, Execution 1.: "buying power at 2:1 (configurable per asset class ...)";
README (Alpaca section): "`buying_power` (and `/api/v1`'s) leaves out the margin open orders
hold back and is shown to the cent below, so an order sized to it passes the buying-power
check", i.e. one figure under one name; reference/alpaca-compat.md's account example:
cash 100000, multiplier "2", buying_power "200000". `vtrade account` prints /api/v1's figure
under the label "buying power".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

D = Decimal


def test_native_buying_power_of_a_fresh_margin_account_is_what_it_may_buy(make_api: Any) -> None:
    """A fresh 1,000,000 VCR margin account may buy 2,000,000 of stock (2:1), and /v2/account
    says buying_power "2000000".

    Wanted: GET /api/v1/account's `buying_power` (and so `vtrade account`'s "buying power")
    2,000,000.00 too.
    Found: 1,000,000.00: api/native/common.py account_public reports NAV - initial margin
    (excess equity, the margin a new order may use) under the name every broker, and /v2,
    uses for what may be bought with it, so a trader sizing a stock order from the CLI sizes
    it at half what the account allows."""
    api = make_api()
    key = api.key()

    native = api.http.get("/api/v1/account", headers=key.headers).json()
    alpaca = api.http.get("/v2/account", headers=key.headers).json()

    assert D(alpaca["buying_power"]) == 2_000_000
    assert D(native["buying_power"]) == D(alpaca["buying_power"]), native["buying_power"]
