"""`/v2/orders` never reuses a `client_order_id`, even for the same order (alpaca-compat.md
§6: 422, code 40010001): also when two requests with one id join one group commit, where both
pass the API's look-up of the store before either is placed."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from api_support import InProcess


def both_at_once(api: InProcess, headers: dict[str, str], *bodies: dict[str, Any]) -> list[Any]:
    """POST every body to /v2/orders on one event loop, so they join one batch."""

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            await c.get("/v2/account", headers=headers)  # the key is verified (and cached) first
            return list(
                await asyncio.gather(
                    *(c.post("/v2/orders", headers=headers, json=b) for b in bodies)
                )
            )

    return asyncio.run(go())


def test_v2_the_same_client_order_id_twice_in_one_batch_places_one_and_refuses_one(
    api: InProcess,
) -> None:
    key = api.key()
    body = dict(symbol="AAPL", qty="1", side="buy", type="market", time_in_force="day")
    body["client_order_id"] = "bot-dup-1"
    first, second = both_at_once(api, key.headers, body, dict(body))
    assert first.status_code == 200, first.text
    assert second.status_code == 422, second.text
    assert second.json()["code"] == 40010001
    assert first.json()["id"] in second.json()["message"]
    listed = api.http.get("/v2/orders?status=all", headers=key.headers).json()
    assert [o["client_order_id"] for o in listed] == ["bot-dup-1"]
