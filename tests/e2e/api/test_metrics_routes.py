"""Requests are counted by the whole route template, routers' prefixes included."""

from __future__ import annotations

from pathlib import Path

from api_support import alice_headers, make_container
from fastapi.testclient import TestClient

from vtrade.api.app import create_app


def test_requests_are_counted_by_their_whole_route_template(tmp_path: Path) -> None:
    container, _ = make_container(tmp_path)
    with TestClient(create_app(container, run_steps=False)) as client:
        headers = alice_headers(container)
        account = client.get("/v2/account", headers=headers).json()["id"]
        for path in (
            f"/api/v1/accounts/{account}/orders",
            "/api/v1/instruments/AAPL",
            "/v2/v2/account",  # tidied into /v2/account first
            "/v2/assets/AAPL",
            "/no/such/path",
        ):
            client.get(path, headers=headers)
        counted = [
            line
            for line in client.get("/metrics").text.splitlines()
            if line.startswith("vtrade_http_requests_total{")
        ]

    routes = {line.split('route="')[1].split('"')[0] for line in counted}
    assert {
        "/api/v1/accounts/{account_id}/orders",
        "/api/v1/instruments/{symbol}",
        "/v2/account",
        "/v2/assets/{symbol_or_asset_id}",
        "unmatched",
    } <= routes
    assert not [r for r in routes if r.startswith("/accounts")]  # no prefix left out
    assert 'route="/v2/account",status="200"} 2.0' in "\n".join(counted)
