"""A bracket's legs keep the `created_at` they were placed with (found in session 20's review
of contingent orders on `/v2`)."""

from __future__ import annotations

from decimal import Decimal

from api_support import InProcess


def test_a_held_leg_keeps_its_created_at_once_its_entry_fills(api: InProcess) -> None:
    """An order's `created_at` is when it was created and never changes: alpaca-compat.md §3.1
    lists it as a required datetime of the Order, §8 says only `updated_at` is bumped on each
    change. A bracket's legs are created with the bracket (they are in the POST response,
    `held`), so releasing them when the entry fills must not restamp `created_at`: a bot that
    keys or sorts its orders by `created_at` (or pages by it) sees the same leg move in time.
    The release is kept apart (`Order.sent_ns`): a leg meets only what prints after it."""
    key = api.key()
    api.step(7 * 3600)  # 22:00 UTC: New York closed, the entry waits for the open
    mid = api.container.market.quote("AAPL", api.clock.now_ns()).mid
    body = {
        "symbol": "AAPL",
        "qty": "10",
        "side": "buy",
        "type": "market",
        "time_in_force": "day",
        "order_class": "bracket",
        "take_profit": {"limit_price": str((mid * Decimal("1.2")).quantize(Decimal("0.01")))},
        "stop_loss": {"stop_price": str((mid * Decimal("0.8")).quantize(Decimal("0.01")))},
    }
    placed = api.http.post("/v2/orders", headers=key.headers, json=body).json()
    assert [leg["status"] for leg in placed["legs"]] == ["held", "held"]
    created = {leg["id"]: leg["created_at"] for leg in placed["legs"]}

    api.step(16 * 3600 + 31 * 60)  # 14:31 UTC next day: the entry filled at the open
    now = api.http.get(
        f"/v2/orders/{placed['id']}", headers=key.headers, params={"nested": "true"}
    ).json()
    assert now["status"] == "filled"
    assert [leg["status"] for leg in now["legs"]] == ["new", "held"]  # the stop until it triggers
    assert {leg["id"]: leg["created_at"] for leg in now["legs"]} == created
