"""An order the market fills while a cancel or replace is on its way: the command lets the
market act first, so the order is filled by the time it is looked for. `/v2` answers as
Alpaca does for a filled order (422, "already in filled state"), never 404 "not found",
which would tell a bot the order never existed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import InProcess, Key, make_container
from fastapi.testclient import TestClient

from vtrade.api.app import create_app
from vtrade.core.clock import NS_PER_SECOND


@pytest.fixture
def before_the_open(tmp_path: Path) -> Iterator[InProcess]:
    container, clock = make_container(tmp_path, start="2026-11-18T14:29:00Z")  # 09:29 NY
    app = create_app(container, run_steps=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield InProcess(container, app, clock, client=client)


def queued_market_buys(api: InProcess, key: Key, count: int) -> list[dict[str, Any]]:
    body = {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"}
    placed = [api.http.post("/v2/orders", json=body, headers=key.headers) for _ in range(count)]
    assert all(p.status_code == 200 for p in placed), [p.text for p in placed]
    api.clock.advance(90 * NS_PER_SECOND)  # past the open, before the server's next step
    return [p.json() for p in placed]


def test_cancel_and_replace_of_an_order_filled_meanwhile_answer_422(
    before_the_open: InProcess,
) -> None:
    api = before_the_open
    key = api.key()
    first, second = queued_market_buys(api, key, 2)

    canceled = api.http.delete(f"/v2/orders/{first['id']}", headers=key.headers)
    replaced = api.http.patch(f"/v2/orders/{second['id']}", json={"qty": "2"}, headers=key.headers)

    for answer, doing in ((canceled, "cancelable"), (replaced, "replaceable")):
        assert answer.status_code == 422, answer.text
        assert answer.json() == {
            "code": 42210000,
            "message": f'order is not {doing}: it is already in "filled" state',
            "status": "filled",
        }
    shown = api.http.get(f"/v2/orders/{first['id']}", headers=key.headers).json()
    assert shown["status"] == "filled"


def test_cancel_all_reports_orders_filled_meanwhile_as_422_items(
    before_the_open: InProcess,
) -> None:
    api = before_the_open
    key = api.key()
    placed = queued_market_buys(api, key, 3)

    answer = api.http.delete("/v2/orders", headers=key.headers)

    assert answer.status_code == 207
    items = answer.json()
    assert sorted(i["id"] for i in items) == sorted(p["id"] for p in placed)
    assert {i["status"] for i in items} == {422}
    assert all('already in "filled" state' in i["body"]["message"] for i in items)


def test_an_opg_order_locked_in_its_auction_answers_422_to_cancel_and_replace(
    tmp_path: Path,
) -> None:
    """From 09:28 New York an on-open order can no longer change (Nasdaq's and NYSE's cut-off,
    which Alpaca applies); a new one is refused, as Alpaca refuses it."""
    container, clock = make_container(tmp_path, start="2026-11-18T14:27:00Z")  # 09:27 NY
    app = create_app(container, run_steps=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = InProcess(container, app, clock, client=client)
        key = api.key()
        body = {
            "symbol": "AAPL",
            "qty": "1",
            "side": "buy",
            "type": "market",
            "time_in_force": "opg",
        }
        placed = api.http.post("/v2/orders", json=body, headers=key.headers).json()
        api.clock.advance(90 * NS_PER_SECOND)  # 09:28:30

        canceled = api.http.delete(f"/v2/orders/{placed['id']}", headers=key.headers)
        replaced = api.http.patch(
            f"/v2/orders/{placed['id']}", json={"qty": "2"}, headers=key.headers
        )
        all_canceled = api.http.delete("/v2/orders", headers=key.headers)
        late = api.http.post("/v2/orders", json=body, headers=key.headers)

    assert canceled.status_code == 422, canceled.text
    assert "can no longer change: the opening auction of AAPL" in canceled.json()["message"]
    assert replaced.status_code == 422 and "09:28" in replaced.json()["message"]
    (item,) = all_canceled.json()
    assert item["id"] == placed["id"] and item["status"] == 422
    assert late.status_code == 422 and "until 09:28 New York" in late.json()["message"]
    assert api.http.get(f"/v2/orders/{placed['id']}", headers=key.headers).json()["status"] in (
        "new",
        "accepted",
    )
