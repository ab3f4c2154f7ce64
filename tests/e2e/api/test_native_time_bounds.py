"""`after`/`until` and page tokens of the native order and fill lists: an instant outside the
range the store can hold is bad input (422), never a 500 (README: "No input produces a 5xx")."""

from __future__ import annotations

import base64

import pytest
from api_support import InProcess, Key


def _buy(api: InProcess, key: Key) -> None:
    response = api.http.post(
        f"/api/v1/accounts/{key.account_id}/orders",
        headers=key.headers,
        json={"symbol": "AAPL", "side": "buy", "qty": 1},
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("route", ["orders", "fills"])
@pytest.mark.parametrize(
    ("name", "value", "listed"),
    [
        ("until", "9999-12-31T23:59:59Z", True),
        ("until", "2300-01-01", True),
        ("after", "0001-01-01", True),
        ("after", "1600-01-01", True),
        ("after", "9999-12-31T23:59:59Z", False),
        ("until", "0001-01-01", False),
    ],
)
def test_a_far_date_filter_answers_without_a_server_error(
    api: InProcess, route: str, name: str, value: str, listed: bool
) -> None:
    """A dashboard's "all time" filter (until=9999-12-31) or "since ever" (after=0001-01-01):
    every date past 2262-04-11 or before 1677-09-21 answers 500 {"code": 50000,
    "message": "internal server error"} (OverflowError: Python int too large to convert to
    SQLite INTEGER). Either a 422 naming the parameter or the right list is fine."""
    key = api.key()
    _buy(api, key)
    response = api.http.get(
        f"/api/v1/accounts/{key.account_id}/{route}",
        headers=key.headers,
        params={name: value, **({"status": "all"} if route == "orders" else {})},
    )
    assert response.status_code in (200, 422), response.text
    body = response.json()
    if response.status_code == 422:
        assert body["code"] == 42210 and name in body["message"]
    else:
        assert len(body[route]) == (1 if listed else 0)


def _with_ts(token: str, ts: int) -> str:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    _, digest, item_id = raw.split(":", 2)
    return base64.urlsafe_b64encode(f"{ts}:{digest}:{item_id}".encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("route", "params"), [("orders", {"status": "all", "limit": 1}), ("fills", {"limit": 1})]
)
def test_an_altered_page_token_is_a_422_not_a_500(
    api: InProcess, route: str, params: dict[str, object]
) -> None:
    key = api.key()
    for _ in range(3):
        _buy(api, key)
    path = f"/api/v1/accounts/{key.account_id}/{route}"
    first = api.http.get(path, headers=key.headers, params=params)
    token = first.json()["next_page_token"]
    assert token is not None
    altered = _with_ts(token, 10**20)  # a token we never gave out
    response = api.http.get(path, headers=key.headers, params={**params, "page_token": altered})
    assert response.status_code == 422, response.text  # (it was a 500)
    assert response.json()["code"] == 42210
    assert "page_token" in response.json()["message"]
