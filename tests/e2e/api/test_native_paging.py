"""Native lists page to the end and refuse what they do not understand: bars come in pages
with `next_page_token` (passed back as `page_token`), a page token we did not give out is a
422, and so is any query parameter a route does not take."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import InProcess, Key


def get(api: InProcess, key: Key, path: str, **params: Any) -> Any:
    return api.http.get(f"/api/v1{path}", headers=key.headers, params=params)


def every_page(api: InProcess, key: Key, path: str, **query: Any) -> list[dict[str, Any]]:
    """Follow `next_page_token` from the first page to the last; return each page's body."""
    pages = [get(api, key, path, **query).json()]
    while pages[-1]["next_page_token"] is not None:
        assert len(pages) < 100, "the pages never end"
        pages.append(get(api, key, path, **query, page_token=pages[-1]["next_page_token"]).json())
    return pages


SESSION = {"start": "2026-11-17T14:30:00Z", "end": "2026-11-17T21:00:00Z"}


def test_bars_of_a_range_longer_than_a_page_come_in_pages_with_each_bar_once(
    api: InProcess,
) -> None:
    key = api.key()

    pages = every_page(api, key, "/bars/AAPL", interval="1m", **SESSION)

    assert [len(p["bars"]) for p in pages] == [100, 100, 100, 90]
    stamps = [b["ts"] for p in pages for b in p["bars"]]
    assert len(stamps) == len(set(stamps)) == 390
    assert stamps == sorted(stamps)
    assert stamps[0] == "2026-11-17T14:30:00Z" and stamps[-1] == "2026-11-17T20:59:00Z"
    whole = get(api, key, "/bars/AAPL", interval="1m", limit=1000, **SESSION).json()
    assert whole["next_page_token"] is None
    assert [b for p in pages for b in p["bars"]] == whole["bars"]


def test_a_range_longer_than_one_read_continues_on_the_next_page(api: InProcess) -> None:
    key = api.key()
    # 1h bars are read at most 366 days per request: two years take two reads, even though
    # one page of 10,000 bars could hold them all
    query = {"interval": "1h", "start": "2024-11-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}

    pages = every_page(api, key, "/bars/BTC-USD", limit=10_000, **query)

    assert len(pages) == 2 and 0 < len(pages[0]["bars"]) < 10_000
    stamps = [b["ts"] for p in pages for b in p["bars"]]
    assert len(stamps) == len(set(stamps)) == 730 * 24  # crypto trades every hour
    assert stamps == sorted(stamps)


def test_a_range_starting_before_the_market_begins_with_its_first_bars(api: InProcess) -> None:
    key = api.key()
    first_day = api.container.sessions.first_day.isoformat()
    query = {"interval": "1h", "start": "1990-01-01T00:00:00Z", "end": f"{first_day}T06:00:00Z"}

    page = get(api, key, "/bars/BTC-USD", **query).json()

    assert [b["ts"] for b in page["bars"]] == [f"{first_day}T0{h}:00:00Z" for h in range(6)]
    assert page["next_page_token"] is None


def test_the_latest_bars_and_a_last_page_have_no_next_page_token(api: InProcess) -> None:
    key = api.key()
    latest = get(api, key, "/bars/AAPL", interval="1m", limit=5).json()
    assert len(latest["bars"]) == 5 and latest["next_page_token"] is None
    exact = get(api, key, "/bars/AAPL", interval="1m", limit=390, **SESSION).json()
    assert len(exact["bars"]) == 390 and exact["next_page_token"] is None


def test_a_bars_token_is_only_good_for_the_same_symbol_and_interval(api: InProcess) -> None:
    key = api.key()
    token = get(api, key, "/bars/AAPL", interval="1m", **SESSION).json()["next_page_token"]

    for path, interval in (("/bars/MSFT", "1m"), ("/bars/AAPL", "5m")):
        other = get(api, key, path, interval=interval, page_token=token, **SESSION)
        assert other.status_code == 422
        assert other.json()["message"].startswith("invalid page_token")


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/accounts/{account}/orders", {}),
        ("/accounts/{account}/fills", {}),
        ("/bars/AAPL", SESSION),
    ],
)
@pytest.mark.parametrize("token", ["garbage", "!!!!", "MTIzNA"])  # the last is base64 of "1234"
def test_a_page_token_we_did_not_give_out_is_invalid_input(
    api: InProcess, path: str, query: dict[str, str], token: str
) -> None:
    key = api.key()

    response = get(api, key, path.format(account=key.account_id), page_token=token, **query)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == 42210 and body["message"].startswith("invalid page_token")
    assert "next_page_token of the previous page" in body["message"]


def test_an_order_s_fills_refuse_a_foreign_page_token(api: InProcess) -> None:
    key = api.key()
    order = api.http.post(
        f"/api/v1/accounts/{key.account_id}/orders",
        headers=key.headers,
        json={"symbol": "AAPL", "side": "buy", "qty": 1, "type": "market"},
    ).json()

    response = get(
        api, key, f"/accounts/{key.account_id}/orders/{order['id']}/fills", page_token="garbage"
    )

    assert response.status_code == 422 and "invalid page_token" in response.json()["message"]


def test_sending_next_page_token_back_is_refused_instead_of_repeating_page_one(
    api: InProcess,
) -> None:
    key = api.key()
    first = get(api, key, "/bars/AAPL", interval="1m", **SESSION).json()

    again = get(api, key, "/bars/AAPL", next_page_token=first["next_page_token"], **SESSION)

    assert again.status_code == 422
    body = again.json()
    assert body["message"] == (
        "unknown query parameter next_page_token: GET /api/v1/bars/AAPL takes only end, "
        "interval, limit, page_token, start; pass a page's next_page_token back as page_token"
    )
    assert body["details"] == {
        "unknown": ["next_page_token"],
        "allowed": ["end", "interval", "limit", "page_token", "start"],
    }


@pytest.mark.parametrize(
    ("path", "params", "allowed"),
    [
        (
            "/accounts/{account}/orders",
            {"stauts": "all"},
            "after, direction, limit, nested, page_token",
        ),
        ("/accounts/{account}/fills", {"order": "x"}, "after, direction, limit, order_id"),
        ("/accounts/{account}/positions", {"symbol": "AAPL"}, None),
        ("/instruments", {"class": "crypto"}, "asset_class, search, venue"),
        ("/clock", {"tz": "UTC"}, None),
    ],
)
def test_every_native_route_refuses_query_parameters_it_does_not_take(
    api: InProcess, path: str, params: dict[str, str], allowed: str | None
) -> None:
    key = api.key()
    (name,) = params

    response = get(api, key, path.format(account=key.account_id), **params)

    assert response.status_code == 422
    message = response.json()["message"]
    assert message.startswith(f"unknown query parameter {name}: GET /api/v1/")
    assert (allowed or "takes no query parameters") in message


def test_known_query_parameters_still_work_and_alpaca_routes_ignore_unknown_ones(
    api: InProcess,
) -> None:
    key = api.key()
    listed = get(api, key, f"/accounts/{key.account_id}/orders", status="all", limit=5)
    assert listed.status_code == 200 and listed.json()["next_page_token"] is None
    # Alpaca's SDKs send parameters Alpaca ignores; /v2 keeps ignoring what it does not use
    alpaca = api.http.get("/v2/orders", headers=key.headers, params={"extra": "1"})
    assert alpaca.status_code == 200
