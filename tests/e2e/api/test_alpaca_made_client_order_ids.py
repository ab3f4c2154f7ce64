"""`/v2/orders` without a `client_order_id`: the server makes one (alpaca-compat.md §6: "auto-
generate a UUID string when it is absent; it must be unique"), and never one an order of the
account already has, even one its owner chose for itself."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from api_support import InProcess, Key, make_container
from fastapi.testclient import TestClient

from vtrade.api.app import create_app


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Callable[[str], InProcess]]:
    """Fresh in-process servers, each on its own database under `tmp_path / name`. Two
    servers started alike (same seed, same clock) make the same ids in the same order."""
    with contextlib.ExitStack() as stack:

        def make(name: str) -> InProcess:
            folder = tmp_path / name
            folder.mkdir()
            container, clock = make_container(folder)
            app = create_app(container, run_steps=False)
            client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
            return InProcess(container, app, clock, client=client)

        yield make


def resting_limit(api: InProcess) -> dict[str, Any]:
    """A buy limit of 1 AAPL 3% under the bid: it rests (well inside the collar)."""
    bid = api.container.market.quote("AAPL", api.clock.now_ns()).bid
    price = (bid * Decimal("0.97")).quantize(Decimal("0.01"))
    return {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "qty": "1",
        "limit_price": str(price),
        "time_in_force": "day",
    }


def post(api: InProcess, key: Key, body: dict[str, Any]) -> Any:
    return api.http.post("/v2/orders", headers=key.headers, json=body)


def test_an_order_sent_without_a_client_order_id_is_placed_even_if_its_made_id_was_taken(
    server: Callable[[str], InProcess],
) -> None:
    """A bot that sends no id (most alpaca-py bots) gets its order placed whatever ids its
    earlier orders were given by their owner. A first server shows which id the second order
    without one gets; on a second server started alike, the first order takes that very id
    as its own. The second order, sent without an id, is placed (200, status new) with an id
    of its own, and both orders are listed with distinct ids."""
    first = server("first")
    key = first.key()
    body = resting_limit(first)
    assert post(first, key, {**body, "client_order_id": "mine"}).status_code == 200
    made = post(first, key, body).json()["client_order_id"]  # the second order's made id

    second = server("second")
    key = second.key()
    taken = post(second, key, {**body, "client_order_id": made})
    assert taken.status_code == 200, taken.text

    placed = post(second, key, body)  # no client_order_id: one must be made for it

    assert placed.status_code == 200, placed.text
    assert placed.json()["status"] == "new"
    assert placed.json()["client_order_id"] != made
    listed = second.http.get("/v2/orders", headers=key.headers, params={"status": "all"}).json()
    assert len(listed) == 2
    assert len({o["client_order_id"] for o in listed}) == 2
