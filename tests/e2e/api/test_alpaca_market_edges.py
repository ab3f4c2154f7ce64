"""Alpaca market data at its edges: before a session opens and over a weekend, prices on the
tick grid, symbols named twice, a date-only end, deep pages, and errors under
`/v1beta3/crypto` in Alpaca's shape."""

from __future__ import annotations

from typing import Any

from api_support import InProcess
from api_support import get_ok as get

HOUR = 3600


def _decimals(x: float) -> int:
    text = repr(x)
    return len(text.split(".")[1]) if "." in text else 0


def test_a_day_bar_is_not_served_before_its_session_opens_and_the_last_print_outlives_a_weekend(
    api: InProcess,
) -> None:
    """Wednesday 15:00Z -> Thursday 03:00Z (six hours before the pre-market) -> Monday 08:00Z:
    Thursday's and Monday's bars are still in the future; the snapshot's last trade is
    Friday's, two days back."""
    key = api.key()
    week = {"symbols": "AAPL", "timeframe": "1Day", "start": "2026-11-16"}
    api.step(12 * HOUR)  # Thursday 2026-11-19 03:00Z

    days = get(api, key, "/v2/stocks/bars", **week)["bars"]["AAPL"]
    snap = get(api, key, "/v2/stocks/AAPL/snapshot")

    assert [b["t"][:10] for b in days] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert snap["dailyBar"] == days[-1] and snap["prevDailyBar"] == days[-2]

    api.step(4 * 24 * HOUR + 5 * HOUR)  # Monday 2026-11-23 08:00Z
    days = get(api, key, "/v2/stocks/bars", **week)["bars"]["AAPL"]
    snap = get(api, key, "/v2/stocks/AAPL/snapshot")

    assert days[-1]["t"] == "2026-11-20T05:00:00Z"  # Friday's, complete
    assert snap["dailyBar"] == days[-1]
    assert snap["latestTrade"] is not None and snap["latestTrade"]["t"] < "2026-11-21T01:00:00Z"
    latest = get(api, key, "/v2/stocks/trades/latest", symbols="AAPL")["trades"]
    assert latest["AAPL"] == snap["latestTrade"]


def test_quote_and_trade_prices_lie_on_the_tick_grid_and_crypto_sizes_on_eight_places(
    api: InProcess,
) -> None:
    key = api.key()
    since = {"start": "2026-11-18T14:30:00Z"}
    quotes = get(api, key, "/v2/stocks/quotes", symbols="AAPL", **since)["quotes"]["AAPL"]
    trades = get(api, key, "/v2/stocks/trades", symbols="AAPL", **since)["trades"]["AAPL"]
    coins = "/v1beta3/crypto/us/trades"
    btc = get(api, key, coins, symbols="BTC/USD", **since)["trades"]["BTC/USD"]
    book = get(api, key, "/v1beta3/crypto/us/latest/orderbooks", symbols="BTC/USD")

    assert len(quotes) > 100 and len(trades) > 100 and len(btc) > 100
    assert max(_decimals(q[side]) for q in quotes for side in ("bp", "ap")) <= 2
    assert max(_decimals(t["p"]) for t in trades) <= 2
    assert all(isinstance(t["s"], int) for t in trades)
    assert max(_decimals(t["s"]) for t in btc) <= 8
    levels = book["orderbooks"]["BTC/USD"]["b"] + book["orderbooks"]["BTC/USD"]["a"]
    assert max(_decimals(level["s"]) for level in levels) <= 8


def test_a_symbol_named_twice_is_served_once_and_its_pages_end(api: InProcess) -> None:
    key = api.key()
    since = {"start": "2026-11-18T14:50:00Z"}
    once = get(api, key, "/v2/stocks/trades", symbols="AAPL", **since)
    twice = get(api, key, "/v2/stocks/trades", symbols="AAPL,aapl", **since)
    assert twice == once and once["next_page_token"] is None

    pages, token, seen = 0, None, []
    while True:
        page = get(api, key, "/v2/stocks/trades", symbols="AAPL,AAPL", limit=50, **since)
        if token is not None:
            page = get(
                api,
                key,
                "/v2/stocks/trades",
                symbols="AAPL,AAPL",
                limit=50,
                page_token=token,
                **since,
            )
        seen += page["trades"].get("AAPL", [])
        token, pages = page["next_page_token"], pages + 1
        if token is None or pages > 100:
            break
    assert seen == once["trades"]["AAPL"] and pages == -(-len(seen) // 50)


def test_newest_first_pages_resume_where_they_left_off(api: InProcess) -> None:
    key = api.key()
    query = {"symbols": "AAPL,MSFT", "start": "2026-11-18T14:55:00Z", "sort": "desc"}
    whole = get(api, key, "/v2/stocks/quotes", **query)["quotes"]
    paged: dict[str, list[Any]] = {}
    token = None
    for _ in range(200):
        extra = {"page_token": token} if token else {}
        page = get(api, key, "/v2/stocks/quotes", limit=37, **query, **extra)
        for name, rows in page["quotes"].items():
            paged.setdefault(name, []).extend(rows)
        token = page["next_page_token"]
        if token is None:
            break
    assert paged == whole and len(whole["AAPL"]) > 37
    assert whole["AAPL"][0]["t"] > whole["AAPL"][-1]["t"]


def test_a_date_only_end_includes_its_day_for_quotes_and_trades_as_for_bars(
    api: InProcess,
) -> None:
    key = api.key()
    day = {"symbols": "AAPL", "start": "2026-11-17", "end": "2026-11-17", "limit": 10_000}
    trades = get(api, key, "/v2/stocks/trades", **day)
    desc = get(api, key, "/v2/stocks/trades", sort="desc", **day)

    assert trades["trades"]["AAPL"][0]["t"].startswith("2026-11-17")
    assert desc["trades"]["AAPL"][0]["t"] < "2026-11-18T05:00:00Z"  # before midnight New York
    assert desc["trades"]["AAPL"][0]["t"] > "2026-11-17T20:00:00Z"  # the post-market's prints


def test_a_symbol_without_data_in_the_span_is_left_out_and_pairs_are_named_as_alpaca_does(
    api: InProcess,
) -> None:
    """At 14:30-15:00Z Tokyo is closed: N225 printed nothing, so it has no key at all."""
    key = api.key()
    since = {"start": "2026-11-18T14:30:00Z"}
    trades = get(api, key, "/v2/stocks/trades", symbols="AAPL,N225", **since)["trades"]
    coins = get(api, key, "/v1beta3/crypto/us/latest/quotes", symbols="BTCUSD,ETH/USD")

    assert list(trades) == ["AAPL"]
    assert list(coins["quotes"]) == ["BTC/USD", "ETH/USD"]


def test_errors_under_v1beta3_crypto_are_in_alpacas_shape(api: InProcess) -> None:
    key = api.key()
    stock = api.http.get("/v1beta3/crypto/us/bars", headers=key.headers, params={"symbols": "AAPL"})
    bad_loc = api.http.get(
        "/v1beta3/crypto/mars/trades", headers=key.headers, params={"symbols": "BTC/USD"}
    )
    missing = api.http.get("/v1beta3/crypto/us/trades", headers=key.headers)

    assert stock.status_code == 422
    assert stock.json() == {
        "code": 40010001,
        "message": "AAPL is not a crypto pair; its market data is under /v2/stocks",
    }
    assert bad_loc.status_code == 422 and set(bad_loc.json()) == {"code", "message"}
    assert "allowed: us, us-1, eu-1" in bad_loc.json()["message"]
    assert missing.status_code == 422 and missing.json()["code"] == 40010001
    assert "symbols" in missing.json()["message"]
