"""/v2's `notional` is "the dollar amount to buy" (Alpaca), while the engine's is in the quote
currency: a bot's notional of 1000 on VOD.L bought 1,000 pence, GBP 10, a 122nd of what it
meant (session 22's European equities review). /v2 now refuses a notional order on an
instrument not quoted in dollars, keeping nothing, and says what to do instead."""

from __future__ import annotations

from api_support import InProcess


def test_a_v2_notional_order_on_a_pence_quoted_share_is_refused_and_nothing_kept(
    api: InProcess,
) -> None:
    key = api.key("alice")
    body = {"symbol": "VOD.L", "side": "buy", "notional": "1000", "type": "market"}
    r = api.http.post("/v2/orders", headers=key.headers, json={**body, "time_in_force": "day"})
    assert r.status_code == 422, r.text
    assert r.json()["message"] == (
        "notional is in US dollars on /v2, and VOD.L is quoted in GBX: give qty, or use "
        "/api/v1/orders, whose notional is in the quote currency"
    )
    listed = api.http.get("/v2/orders?status=all", headers=key.headers).json()
    assert listed == []
    by_qty = {**body, "qty": "10", "notional": None, "time_in_force": "day"}
    assert api.http.post("/v2/orders", headers=key.headers, json=by_qty).status_code == 200
    dollars = {**body, "symbol": "AAPL", "time_in_force": "day"}
    assert api.http.post("/v2/orders", headers=key.headers, json=dollars).status_code == 200
