"""/metrics counts "orders by event" (README, Operations); `replaced` is one of the order
events the API streams (`/api/v1/ws` event `replaced`), so a replacement counts too."""

from __future__ import annotations

from api_support import InProcess


def _counter(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def test_a_replaced_order_is_counted_by_event(api: InProcess) -> None:
    key = api.key()
    base = f"/api/v1/accounts/{key.account_id}/orders"
    placed = api.http.post(
        base,
        headers=key.headers,
        json={"symbol": "AAPL", "side": "buy", "qty": 5, "type": "limit", "limit_price": "200"},
    )
    assert placed.status_code == 201
    replaced = api.http.patch(
        f"{base}/{placed.json()['id']}", headers=key.headers, json={"limit_price": "201"}
    )
    assert replaced.status_code == 200 and replaced.json()["replaces"] == placed.json()["id"]
    api.step(1)
    text = api.http.get("/metrics").text
    assert _counter(text, 'vtrade_orders_total{event="accepted"}') == 2.0
    # (found: no vtrade_orders_total{event="replaced"} series at all)
    assert _counter(text, 'vtrade_orders_total{event="replaced"}') == 1.0
