"""What `/v2` does with doubtful input: a filter value outside Alpaca's enums or a page token
we did not give out is a 422 that says what is allowed, calendar bounds written as RFC 3339
instants mean the dates they are written with, and parameters the SDKs send that we do not
use are still ignored."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import InProcess, Key


def get(api: InProcess, key: Key, path: str, **params: Any) -> Any:
    return api.http.get(path, headers=key.headers, params=params)


def test_an_asset_class_outside_alpacas_enum_is_refused_naming_the_allowed_ones(
    api: InProcess,
) -> None:
    key = api.key()

    bogus = get(api, key, "/v2/assets", asset_class="bogus")

    assert bogus.status_code == 422
    assert bogus.json() == {
        "code": 40010001,
        "message": "asset_class 'bogus' is not one of us_equity, us_option, crypto, crypto_perp",
    }


def test_every_asset_class_of_alpacas_enum_is_a_valid_filter(api: InProcess) -> None:
    key = api.key()
    equities = get(api, key, "/v2/assets", asset_class="us_equity").json()
    assert equities and {a["class"] for a in equities} == {"us_equity"}
    assert get(api, key, "/v2/assets", asset_class="US_EQUITY").json() == equities
    crypto = get(api, key, "/v2/assets", asset_class="crypto").json()
    assert "BTC/USD" in {a["symbol"] for a in crypto}
    for none_here in ("us_option", "crypto_perp"):
        listed = get(api, key, "/v2/assets", asset_class=none_here)
        assert listed.status_code == 200 and listed.json() == []


def test_an_exchange_outside_alpacas_enum_is_refused(api: InProcess) -> None:
    key = api.key()
    mic = get(api, key, "/v2/assets", exchange="XNAS")
    assert mic.status_code == 422
    assert mic.json()["message"].startswith("exchange 'XNAS' is not one of AMEX, ARCA, ASCX")
    nasdaq = get(api, key, "/v2/assets", exchange="NASDAQ").json()
    assert nasdaq and {a["exchange"] for a in nasdaq} == {"NASDAQ"}


@pytest.mark.parametrize("path", ["/v2/account/activities", "/v2/account/activities/FILL"])
@pytest.mark.parametrize("token", ["garbage", "20261118150000000::no-such-activity"])
def test_an_activities_page_token_that_names_no_activity_is_invalid(
    api: InProcess, path: str, token: str
) -> None:
    key = api.key()

    response = get(api, key, path, page_token=token)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == 40010001
    assert body["message"].startswith(f"invalid page_token {token!r}: pass the id of the last")


def test_an_activities_page_token_from_the_previous_page_still_pages(api: InProcess) -> None:
    key = api.key()
    api.http.post(
        "/v2/orders",
        headers=key.headers,
        json={"symbol": "AAPL", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"},
    )
    everything = get(api, key, "/v2/account/activities").json()
    first = get(api, key, "/v2/account/activities", page_size=1).json()

    rest = get(api, key, "/v2/account/activities", page_token=first[0]["id"]).json()

    assert len(everything) >= 2 and [*first, *rest] == everything


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "TVNGVHwxNzk1MDE0MDAwMDAwMDAwMDAw",  # base64 of "MSFT|1795014000000000000": not asked for
    ],
)
def test_a_bars_page_token_we_did_not_give_for_these_symbols_is_invalid(
    api: InProcess, token: str
) -> None:
    key = api.key()

    response = get(api, key, "/v2/stocks/bars", symbols="AAPL", timeframe="1Min", page_token=token)

    assert response.status_code == 422
    assert response.json()["message"].startswith("invalid page_token: pass the next_page_token")


def test_day_bars_are_stamped_at_midnight_new_york_and_start_and_end_are_inclusive(
    api: InProcess,
) -> None:
    """As Alpaca: `"t": "2026-11-16T05:00:00Z"`; a date means that day's bar, at either end."""
    key = api.key()
    query = {"symbols": "AAPL", "timeframe": "1Day"}

    two = get(api, key, "/v2/stocks/bars", start="2026-11-16", end="2026-11-17", **query).json()
    summer = get(api, key, "/v2/stocks/bars", start="2026-07-01", end="2026-07-01", **query)

    assert [b["t"] for b in two["bars"]["AAPL"]] == ["2026-11-16T05:00:00Z", "2026-11-17T05:00:00Z"]
    assert [b["t"] for b in summer.json()["bars"]["AAPL"]] == ["2026-07-01T04:00:00Z"]  # EDT


def test_todays_day_bar_is_served_as_far_as_the_session_has_gone(api: InProcess) -> None:
    """The clock stands at 2026-11-18 15:00Z, half an hour into the session: today's bar is
    the first 30 minutes, as the minute bars show them; no start means today, as on Alpaca."""
    key = api.key()
    days = get(api, key, "/v2/stocks/bars", symbols="AAPL", timeframe="1Day").json()
    minutes = get(
        api, key, "/v2/stocks/bars", symbols="AAPL", timeframe="1Min", start="2026-11-18T14:30:00Z"
    ).json()["bars"]["AAPL"]

    (today,) = days["bars"]["AAPL"]
    assert today["t"] == "2026-11-18T05:00:00Z" and len(minutes) == 30
    assert today["o"] == minutes[0]["o"] and today["c"] == minutes[-1]["c"]
    assert today["h"] == max(m["h"] for m in minutes) and today["l"] == min(m["l"] for m in minutes)
    assert today["v"] == pytest.approx(sum(m["v"] for m in minutes), abs=len(minutes))
    assert all(isinstance(m["v"], int) for m in minutes)  # shares trade whole on the tape


def test_bars_page_tokens_still_page_and_sort_must_be_asc_or_desc(api: InProcess) -> None:
    key = api.key()
    query = {"symbols": "AAPL", "timeframe": "1Min", "start": "2026-11-18T14:30:00Z"}
    first = get(api, key, "/v2/stocks/bars", limit=10, **query).json()
    assert len(first["bars"]["AAPL"]) == 10 and first["next_page_token"]
    second = get(api, key, "/v2/stocks/bars", page_token=first["next_page_token"], **query)
    assert second.status_code == 200
    assert second.json()["bars"]["AAPL"][0]["t"] == "2026-11-18T14:40:00Z"
    sideways = get(api, key, "/v2/stocks/bars", sort="sideways", **query)
    assert sideways.status_code == 422 and "'asc' or 'desc'" in sideways.json()["message"]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-11-25T00:00:00Z", "2026-11-30T00:00:00Z"),
        ("2026-11-25T00:00:00+00:00", "2026-11-30T23:59:59Z"),
        ("2026-11-25T00:00:00-05:00", "2026-11-30T20:00:00-05:00"),
    ],
)
def test_calendar_bounds_written_as_instants_mean_the_dates_they_are_written_with(
    api: InProcess, start: str, end: str
) -> None:
    key = api.key()
    by_date = get(api, key, "/v2/calendar", start="2026-11-25", end="2026-11-30").json()

    by_instant = get(api, key, "/v2/calendar", start=start, end=end).json()

    assert [d["date"] for d in by_date] == ["2026-11-25", "2026-11-27", "2026-11-30"]
    assert by_instant == by_date  # midnight UTC is not the evening before in New York


def test_a_malformed_calendar_bound_is_refused_saying_which_forms_work(api: InProcess) -> None:
    key = api.key()
    response = get(api, key, "/v2/calendar", start="25/11/2026")
    assert response.status_code == 422
    assert response.json()["message"] == (
        "start: malformed date '25/11/2026'; use YYYY-MM-DD or RFC 3339, e.g. 2024-01-02 or "
        "2024-01-02T00:00:00Z"
    )


def test_alpaca_routes_ignore_parameters_they_do_not_use(api: InProcess) -> None:
    key = api.key()
    for path in ("/v2/orders", "/v2/positions", "/v2/assets", "/v2/account/activities"):
        response = get(api, key, path, not_a_parameter="1")
        assert response.status_code == 200, path


def test_a_one_day_history_is_today_based_on_yesterdays_close_as_last_equity_is(
    api: InProcess,
) -> None:
    key = api.key()
    order = {"symbol": "AAPL", "qty": "100", "side": "buy", "type": "market"}
    assert api.http.post("/v2/orders", headers=key.headers, json=order | {"time_in_force": "day"})
    for _ in range(48):  # a day later, past one close
        api.step(1800)

    account = get(api, key, "/v2/account").json()
    history = get(api, key, "/v2/account/portfolio/history", period="1D", timeframe="5Min").json()

    assert history["base_value"] == float(account["last_equity"])
    assert history["base_value_asof"] == "2026-11-18"  # the close it is
    assert history["timestamp"][0] >= 1795064400  # 2026-11-19 00:00 in New York


def test_an_intraday_bar_stamped_at_end_is_included_whole_not_cut(api: InProcess) -> None:
    """`end` is inclusive, as on Alpaca, and bars are chosen by their stamp: the one stamped
    at `end` (or the one `start` or `end` cuts into, for an aggregate) is read whole."""
    key = api.key()
    query = {"symbols": "AAPL", "start": "2026-11-17T14:00:00Z"}
    hours = {"timeframe": "1Hour", **query}
    to_the_hour = get(api, key, "/v2/stocks/bars", end="2026-11-17T16:00:00Z", **hours).json()
    later = get(api, key, "/v2/stocks/bars", end="2026-11-17T18:00:00Z", **hours).json()
    cut = {"timeframe": "15Min", "start": "2026-11-17T15:05:00Z", "end": "2026-11-17T15:35:00Z"}
    quarters = get(api, key, "/v2/stocks/bars", symbols="AAPL", **cut).json()["bars"]["AAPL"]
    whole = get(api, key, "/v2/stocks/bars", timeframe="15Min", **query).json()["bars"]["AAPL"]

    bars = to_the_hour["bars"]["AAPL"]
    assert [b["t"][11:16] for b in bars] == ["14:00", "15:00", "16:00"]
    assert bars == later["bars"]["AAPL"][:3]  # whole hours, as a later end shows them
    assert [b["t"][11:16] for b in quarters] == ["15:15", "15:30"]
    assert quarters == [b for b in whole if b["t"][11:16] in ("15:15", "15:30")]


def test_a_position_closed_and_opened_again_today_counts_its_intraday_pl_from_its_entry(
    api: InProcess,
) -> None:
    key = api.key()

    def trade(side: str) -> None:
        order = {"symbol": "AAPL", "qty": "10", "side": side, "type": "market"}
        response = api.http.post(
            "/v2/orders", headers=key.headers, json=order | {"time_in_force": "day"}
        )
        assert response.status_code == 200, response.text

    trade("buy")
    for _ in range(48):  # held over a close, into the next day's session
        api.step(1800)
    trade("sell")
    trade("buy")  # the same quantity again: no net change today, yet a new position

    position = get(api, key, "/v2/positions/AAPL").json()
    assert position["unrealized_intraday_pl"] == position["unrealized_pl"]


@pytest.mark.parametrize(
    ("period", "timeframe"),
    [(None, "1D"), ("6D", "1Min"), ("1W", "15Min"), ("4W", "15Min"), ("1M", "1D"), ("1A", "1D")],
)
def test_the_default_timeframe_follows_the_period_asked_for(
    api: InProcess, period: str | None, timeframe: str
) -> None:
    """Alpaca: 1Min under 7 days, 15Min under 30, else 1D; the default period is 1M. (The
    whole days ending today were measured instead: 1W gave 1Min, 1M and no period 15Min.)"""
    key = api.key()
    query = {} if period is None else {"period": period}

    history = get(api, key, "/v2/account/portfolio/history", **query).json()

    assert history["timeframe"] == timeframe
