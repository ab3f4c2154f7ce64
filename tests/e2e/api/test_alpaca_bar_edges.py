"""Alpaca bars never look ahead: a day bar is stamped no later than now (a coin's day at
midnight UTC, where it begins), an aggregate such as 5Min is served once its span has passed,
its volume is the sum of its parts as served, and a range that asks for the future or runs
backwards is refused as for quotes and trades."""

from __future__ import annotations

from api_support import InProcess
from api_support import get_ok as get

from vtrade.core.clock import iso

HOUR = 3600


def test_a_coins_day_bar_is_stamped_at_midnight_utc_where_its_day_begins(api: InProcess) -> None:
    """Thursday 02:00Z: bitcoin's Thursday has run two hours. Its bar had been stamped at
    midnight New York, 05:00Z, three hours after the server's clock."""
    key = api.key()
    api.step(11 * HOUR)  # Wednesday 15:00Z -> Thursday 2026-11-19 02:00Z
    now = iso(api.clock.now_ns())
    coins = "/v1beta3/crypto/us"
    days = get(api, key, f"{coins}/bars", symbols="BTC/USD", start="2026-11-17")["bars"]["BTC/USD"]
    snap = get(api, key, f"{coins}/snapshots", symbols="BTC/USD")["snapshots"]["BTC/USD"]
    minutes = get(
        api, key, f"{coins}/bars", symbols="BTC/USD", timeframe="1Min", start="2026-11-19T00:00:00Z"
    )["bars"]["BTC/USD"]

    assert [b["t"] for b in days] == [f"2026-11-{d}T00:00:00Z" for d in (17, 18, 19)]
    assert days[-1]["t"] < now
    assert snap["dailyBar"] == days[-1] and snap["prevDailyBar"] == days[-2]
    assert days[-1]["o"] == minutes[0]["o"] and days[-1]["c"] == minutes[-1]["c"]
    assert days[-1]["v"] == round(sum(m["v"] for m in minutes), 8)


def test_no_day_bar_is_stamped_after_now(api: InProcess) -> None:
    """Wednesday 22:30Z: the euro's Thursday opened at 17:00 New York; its bar, stamped
    Thursday 00:00Z, is not served before then. A US stock's is stamped 05:00Z."""
    key = api.key()
    api.step(7.5 * HOUR)
    now = iso(api.clock.now_ns())
    euro = get(api, key, "/v2/stocks/bars", symbols="EUR/USD,AAPL", start="2026-11-16")["bars"]

    assert euro["EUR/USD"][-1]["t"] == "2026-11-18T00:00:00Z" and euro["EUR/USD"][-1]["t"] < now
    assert euro["AAPL"][-1]["t"] == "2026-11-18T05:00:00Z"


def test_an_aggregate_is_served_once_its_whole_span_has_passed(api: InProcess) -> None:
    key = api.key()
    api.step(3 * 60)  # 15:03Z: the 15:00 five minutes are still forming
    query = {"symbols": "AAPL", "timeframe": "5Min", "start": "2026-11-18T14:30:00Z"}
    forming = get(api, key, "/v2/stocks/bars", **query)["bars"]["AAPL"]
    api.step(2 * 60)
    formed = get(api, key, "/v2/stocks/bars", **query)["bars"]["AAPL"]
    minutes = get(
        api, key, "/v2/stocks/bars", **query | {"timeframe": "1Min", "start": "2026-11-18T15:00Z"}
    )["bars"]["AAPL"]

    assert forming[-1]["t"] == "2026-11-18T14:55:00Z"
    assert formed[:-1] == forming and formed[-1]["t"] == "2026-11-18T15:00:00Z"
    assert formed[-1]["v"] == sum(m["v"] for m in minutes) and len(minutes) == 5
    assert formed[-1]["h"] == max(m["h"] for m in minutes)


def test_an_hours_volume_is_the_sum_of_its_minutes_as_served(api: InProcess) -> None:
    """Each 1Hour (and 2Hour) bar is its 1Min bars grouped: the same open, high, low, close
    and volume. An hour's volume had been the rounded sum of the raw minute volumes, a few
    shares off the sum of the whole-share minutes served."""
    key = api.key()
    day = {"symbols": "AAPL", "start": "2026-11-17", "end": "2026-11-17", "limit": 10_000}
    minutes = get(api, key, "/v2/stocks/bars", **day | {"timeframe": "1Min"})["bars"]["AAPL"]
    for frame, span in (("1Hour", 1), ("2Hour", 2)):
        hours = get(api, key, "/v2/stocks/bars", **day | {"timeframe": frame})["bars"]["AAPL"]
        assert len(hours) > 6
        for bar in hours:
            start = bar["t"][:11] + f"{int(bar['t'][11:13]) + span:02d}"
            parts = [m for m in minutes if bar["t"] <= m["t"] < start]
            assert bar["v"] == sum(m["v"] for m in parts), bar["t"]
            assert (bar["o"], bar["c"]) == (parts[0]["o"], parts[-1]["c"])
            assert bar["h"] == max(m["h"] for m in parts)
            assert bar["l"] == min(m["l"] for m in parts)


def test_a_date_only_end_includes_its_whole_day_of_intraday_bars(api: InProcess) -> None:
    key = api.key()
    day = {"symbols": "AAPL", "timeframe": "1Hour", "start": "2026-11-17", "end": "2026-11-17"}
    hours = get(api, key, "/v2/stocks/bars", **day)["bars"]["AAPL"]
    assert hours[0]["t"] >= "2026-11-17T05:00:00Z" and hours[-1]["t"] >= "2026-11-17T20:00:00Z"
    assert hours[-1]["t"] < "2026-11-18T05:00:00Z"


def test_a_backwards_or_future_range_is_refused_as_for_quotes_and_trades(api: InProcess) -> None:
    key = api.key()
    spans = {
        "backwards": {"start": "2026-11-18T14:00:00Z", "end": "2026-11-18T13:00:00Z"},
        "future": {"start": "2026-11-19T14:00:00Z"},
    }
    for name, span in spans.items():
        for path in ("/v2/stocks/bars", "/v2/stocks/trades", "/v1beta3/crypto/us/bars"):
            symbols = "BTC/USD" if "crypto" in path else "AAPL"
            got = api.http.get(path, headers=key.headers, params={"symbols": symbols, **span})
            assert got.status_code == 422, (name, path, got.text)
            assert "start must not be after end (or now)" in got.json()["message"], got.text


def test_an_aggregates_volume_is_the_sum_of_its_minutes_as_served(api: InProcess) -> None:
    """Each part is rounded as it is served (whole shares, a coin's 8 places), then summed:
    summing unrounded parts had made a 15Min bar's volume differ by a share or two."""
    key = api.key()
    span = {"start": "2026-11-17T14:30:00Z", "end": "2026-11-17T16:29:00Z", "limit": 10_000}
    for path, symbol in (("/v2/stocks/bars", "AAPL"), ("/v1beta3/crypto/us/bars", "BTC/USD")):
        quarters = get(api, key, path, symbols=symbol, timeframe="15Min", **span)["bars"][symbol]
        minutes = get(api, key, path, symbols=symbol, timeframe="1Min", **span)["bars"][symbol]
        parts: dict[str, list[float]] = {}
        for m in minutes:  # keyed by the stamp of the quarter each minute is in
            quarter = int(m["t"][14:16]) // 15 * 15
            parts.setdefault(f"{m['t'][:14]}{quarter:02d}:00Z", []).append(m["v"])

        assert len(quarters) == 8
        for bar in quarters:
            assert len(parts[bar["t"]]) == 15, (symbol, bar["t"])
            assert bar["v"] == round(sum(parts[bar["t"]]), 8), (symbol, bar["t"])


def test_a_range_that_starts_in_the_future_is_refused_as_for_quotes_and_trades(
    api: InProcess,
) -> None:
    """Wednesday 15:00Z: Thursday has not begun. A start there had been a 200 with no bars."""
    key = api.key()
    for timeframe in ("1Min", "15Min", "1Day", "1Week"):
        for path in ("/v2/stocks/bars", "/v2/stocks/quotes", "/v1beta3/crypto/us/bars"):
            symbols = "BTC/USD" if "crypto" in path else "AAPL"
            span = {"start": "2026-11-19T14:00:00Z", "end": "2026-11-19T15:00:00Z"}
            params = {"symbols": symbols, "timeframe": timeframe, **span}
            got = api.http.get(path, headers=key.headers, params=params)
            assert got.status_code == 422, (timeframe, path, got.text)
            assert "start must not be after end (or now)" in got.json()["message"], got.text


def test_a_week_or_month_bar_is_read_whole_whatever_end_cuts_into(api: InProcess) -> None:
    """`end` chooses bars by their stamp, as for an intraday aggregate: the week stamped
    Monday 2026-11-09 holds its whole week when `end` falls on its Tuesday (it had held
    Monday and Tuesday only). A coin's week and month are stamped at midnight UTC."""
    key = api.key()
    stamps = {  # New York midnight is 04:00Z in October (EDT), 05:00Z in November (EST)
        "AAPL": {"1Week": "2026-11-09T05:00:00Z", "1Month": "2026-10-01T04:00:00Z"},
        "BTC/USD": {"1Week": "2026-11-09T00:00:00Z", "1Month": "2026-10-01T00:00:00Z"},
    }
    for path, symbol in (("/v2/stocks/bars", "AAPL"), ("/v1beta3/crypto/us/bars", "BTC/USD")):
        for timeframe, cut, later in (
            ("1Week", "2026-11-10", "2026-11-17"),
            ("1Month", "2026-10-15", "2026-11-17"),
        ):
            query = {"symbols": symbol, "timeframe": timeframe, "start": "2026-10-01"}
            cut_short = get(api, key, path, **query, end=cut)["bars"][symbol]
            whole = get(api, key, path, **query, end=later)["bars"][symbol]

            assert cut_short[-1]["t"] == stamps[symbol][timeframe]
            assert cut_short == whole[: len(cut_short)], (symbol, timeframe)
