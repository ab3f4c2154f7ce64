"""POST /api/v1/estimate routes the order as its `time_in_force` and `extended_hours` say, as
placing the same body does (session 22's estimate review: it estimated another order, e.g. an
extended-hours limit in the pre-market as waiting for the open while the order filled at once,
an ioc remainder as working on, a fok the book could not fill whole as filling its first
level, a cls order as filling now)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from api_support import InProcess, Key, make_container
from fastapi.testclient import TestClient

from vtrade.api.app import create_app

D = Decimal
PRE_MARKET = "2026-11-18T12:00:00Z"  # Wednesday 07:00 New York: US pre-market


@pytest.fixture
def make_api_at(tmp_path: Path) -> Iterator[Callable[[str], InProcess]]:
    """`make_api_at("2026-11-18T12:00:00Z")`: an in-process API whose clock starts there."""
    clients: list[TestClient] = []

    def make(start: str) -> InProcess:
        where = tmp_path / f"api{len(clients)}"
        where.mkdir()
        container, clock = make_container(where, start)
        app = create_app(container, run_steps=False)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return InProcess(container, app, clock, client=client)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _place(api: InProcess, key: Key, body: dict[str, Any]) -> tuple[Any, Any]:
    orders = f"/api/v1/accounts/{key.account_id}/orders"
    placed = api.http.post(orders, headers=key.headers, json=body)
    assert placed.status_code in (200, 201), placed.text
    order = placed.json()
    fills = api.http.get(f"{orders}/{order['id']}/fills", headers=key.headers).json()["fills"]
    return order, fills


def test_an_extended_hours_limit_in_pre_market_is_estimated_as_the_order_that_fills_now(
    make_api_at: Callable[[str], InProcess],
) -> None:
    api = make_api_at(PRE_MARKET)
    key = api.key()
    probe = api.http.post(
        "/api/v1/estimate", headers=key.headers, json={"symbol": "AAPL", "side": "buy", "qty": "10"}
    ).json()
    assert probe["phase"] == "pre"
    body = {
        "symbol": "AAPL",
        "side": "buy",
        "qty": "10",
        "type": "limit",
        "limit_price": str(D(probe["ask"]) + D("0.10")),  # marketable in the pre-market book
        "extended_hours": True,
    }
    quoted = api.http.post("/api/v1/estimate", headers=key.headers, json=body)
    assert quoted.status_code == 200, quoted.text
    e = quoted.json()

    order, fills = _place(api, key, body)

    assert order["status"] == "filled"  # the venue fills it in the pre-market book at once
    assert D(fills[0]["qty"]) == 10
    # the estimate should say the same: fillable now, at the price it gets, nothing resting
    assert D(e["fillable_now"]) == 10, e["note"]
    assert D(e["resting_qty"]) == 0
    assert e["avg_price_now"] is not None
    assert D(e["avg_price_now"]) == D(fills[0]["receipt"]["avg_price"]).quantize(D("0.0001"))


def _first_bid(api: InProcess) -> Any:
    book = api.container.market.books.book("AAPL", api.clock.now_ns(), 5)
    return book.bids[0]


def _beyond_the_first_bid(api: InProcess, key: Key, best: Any, tif: str) -> tuple[Any, Any, Any]:
    """Estimate, then place, a sell limit at the best bid for 200 more than that level shows:
    (the estimate, the order, its fills)."""
    body = {
        "symbol": "AAPL",
        "side": "sell",
        "qty": str(best.size + 200),
        "type": "limit",
        "limit_price": str(best.price),
        "time_in_force": tif,
    }
    e = api.http.post("/api/v1/estimate", headers=key.headers, json=body).json()
    return (e, *_place(api, key, body))


def test_an_ioc_limit_is_not_promised_that_its_unfilled_part_works_on(api: InProcess) -> None:
    key = api.key()
    best = _first_bid(api)
    e, order, fills = _beyond_the_first_bid(api, key, best, "ioc")

    filled = sum((D(f["qty"]) for f in fills), D(0))
    assert order["status"] == "canceled" and filled == best.size  # IOC: the rest is canceled
    assert D(e["fillable_now"]) == filled
    # the estimate says the rest "works on ... and rests at the limit": an IOC never does
    assert D(e["resting_qty"]) == 0, e["note"]


def test_a_fok_limit_the_book_cannot_fill_whole_is_estimated_to_fill_nothing(
    api: InProcess,
) -> None:
    key = api.key()
    e, order, fills = _beyond_the_first_bid(api, key, _first_bid(api), "fok")

    assert order["status"] == "canceled" and fills == []  # all or nothing: nothing
    # the estimate promises the first level's fill and its fees
    assert D(e["fillable_now"]) == 0, (e["fillable_now"], e["avg_price_now"], e["fees"])


def test_a_cls_market_order_is_not_estimated_to_fill_now(api: InProcess) -> None:
    """time_in_force cls: the order waits for the closing auction (21:00Z), at the official
    close; the estimate says all of it fills now, at the ask."""
    key = api.key()
    body = {"symbol": "AAPL", "side": "buy", "qty": "10", "time_in_force": "cls"}
    e = api.http.post("/api/v1/estimate", headers=key.headers, json=body).json()
    order, fills = _place(api, key, body)

    assert order["status"] != "filled" and fills == []  # it waits for the close
    assert D(e["fillable_now"]) == 0, (e["fillable_now"], e["avg_price_now"], e["note"])


def test_an_opg_order_in_the_session_waits_for_the_next_opening_auction(api: InProcess) -> None:
    key = api.key()
    body = {"symbol": "AAPL", "side": "buy", "qty": "10", "time_in_force": "opg"}
    e = api.http.post("/api/v1/estimate", headers=key.headers, json=body).json()
    order, fills = _place(api, key, body)
    assert order["status"] == "pending_open" and fills == []
    assert D(e["fillable_now"]) == 0 and e["note"].startswith("queued for the opening auction")
