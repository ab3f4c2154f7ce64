"""The estimate for an account quotes the fees its fill then pays: its own volume tier
(found in session 20's fee review)."""

from __future__ import annotations

from decimal import Decimal

from api_support import InProcess


def test_an_estimate_for_your_account_quotes_the_fee_tier_its_fill_then_pays(
    api: InProcess,
) -> None:
    """README, Execution §4: "An order pays the tier its account's volume gives without the
    order's own fills (the tier the estimate quotes ...)", and POST /estimate is "for your
    account or a fresh one" (`account_id`). After $200,000 of BTC this account is in the
    $100k-$1M crypto tier (20 bp taker), so the estimate for its next 0.01 BTC buy must quote
    what that fill then charges, not a fresh account's 60 bp."""
    key = api.key()
    orders = f"/api/v1/accounts/{key.account_id}/orders"
    bulk = {"symbol": "BTC-USD", "side": "buy", "notional": "200000", "time_in_force": "gtc"}
    placed = api.http.post(orders, headers=key.headers, json=bulk).json()
    for _ in range(60):
        if placed["status"] == "filled":
            break
        api.step(10)
        placed = api.http.get(f"{orders}/{placed['id']}", headers=key.headers).json()
    assert placed["status"] == "filled"

    small = {"symbol": "BTC-USD", "side": "buy", "qty": "0.01"}
    quoted = api.http.post(
        "/api/v1/estimate", headers=key.headers, json={**small, "account_id": key.account_id}
    ).json()
    order = api.http.post(orders, headers=key.headers, json=small).json()
    fills = api.http.get(f"{orders}/{order['id']}/fills", headers=key.headers).json()["fills"]
    charged = sum(Decimal(f["fee"]) for f in fills)

    assert quoted["account_id"] == key.account_id
    assert order["status"] == "filled"
    assert Decimal(quoted["fees"]) == charged, (quoted["fees"], charged)
