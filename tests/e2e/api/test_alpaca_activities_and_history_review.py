"""/v2/account/activities and /v2/account/portfolio/history take what Alpaca (and alpaca-py's
request models) send and answer as Alpaca does (found in session 21's alpaca-py review; the
`was:` comments are what it found)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alpaca.broker.requests import GetAccountActivitiesRequest
from alpaca.trading.enums import ActivityType
from alpaca.trading.models import PortfolioHistory
from alpaca.trading.requests import GetPortfolioHistoryRequest
from api_support import InProcess, Key

from vtrade.core.clock import parse_instant, to_ns


def _buy(api: InProcess, key: Key, symbol: str = "AAPL", qty: str = "10") -> dict[str, Any]:
    order = {"symbol": symbol, "qty": qty, "side": "buy", "type": "market", "time_in_force": "day"}
    response = api.http.post("/v2/orders", headers=key.headers, json=order)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _activities(api: InProcess, key: Key, path: str = "/v2/account/activities", **params: Any):
    return api.http.get(path, headers=key.headers, params=params)


def test_activities_date_as_alpaca_py_serializes_it_lists_that_days_activities(
    api: InProcess,
) -> None:
    """alpaca-py's GetAccountActivitiesRequest types `date` as a datetime: a bot that builds
    its query with it (`client.get("/account/activities", req.to_request_fields())`) sends
    `date=2026-11-18T00:00:00+00:00`, even for a `date` object. That names the day
    2026-11-18, whose activities Alpaca lists; vtrade reads it as the instant and lists only
    what happened in the nanosecond before it: nothing."""
    key = api.key()
    order = _buy(api, key)
    api.step(1)
    sent = GetAccountActivitiesRequest(date=datetime(2026, 11, 18)).to_request_fields()
    assert sent == {"date": "2026-11-18T00:00:00+00:00"}

    by_day = _activities(api, key, date="2026-11-18")
    as_sent = _activities(api, key, **sent)

    assert by_day.status_code == 200 and as_sent.status_code == 200
    fills = [a for a in by_day.json() if a["activity_type"] == "FILL"]
    assert [a["order_id"] for a in fills] == [order["id"]]
    assert as_sent.json() == by_day.json()  # was: []


@pytest.mark.parametrize("types", ["JNLC", "FILL,JNLC", "DIVNRA", "ACATC"])
def test_activity_types_alpaca_knows_filter_to_nothing_instead_of_a_422(
    api: InProcess, types: str
) -> None:
    """Every value of alpaca-py's ActivityType is a valid filter on Alpaca (only an unknown
    type is `422 invalid activity type`): a type the account has none of lists nothing.
    vtrade answers 422 "unknown activity types" for any type it does not emit."""
    assert all(ActivityType(t) for t in types.split(","))  # alpaca-py's own enum values
    key = api.key()
    order = _buy(api, key)
    api.step(1)

    response = _activities(api, key, activity_types=types)

    assert response.status_code == 200, response.text
    expected = [order["id"]] if "FILL" in types else []
    assert [a["order_id"] for a in response.json()] == expected


def test_activities_of_one_type_alpaca_knows_answer_an_empty_list(api: InProcess) -> None:
    """`GET /v2/account/activities/JNLC` (alpaca-trade-api `get_activities("JNLC")`): Alpaca
    answers 200 `[]` for an account without journal entries, not 422."""
    key = api.key()
    response = _activities(api, key, "/v2/account/activities/JNLC")
    assert response.status_code == 200, response.text
    assert response.json() == []


def _step_until(api: InProcess, instant: str, every: float = 900) -> None:
    target = to_ns(parse_instant(instant))
    while api.clock.now_ns() + int(every * 1e9) <= target:
        api.step(every)
    api.step((target - api.clock.now_ns()) / 1e9)


def _ny_day(ts: int) -> str:
    from zoneinfo import ZoneInfo

    return (
        datetime.fromtimestamp(ts, tz=UTC)
        .astimezone(ZoneInfo("America/New_York"))
        .date()
        .isoformat()
    )


@pytest.mark.parametrize(
    ("now", "market_date"),
    [
        ("2026-11-19T13:00:00Z", "2026-11-18"),  # Thursday 08:00 in New York, before the open
        ("2026-11-21T15:00:00Z", "2026-11-20"),  # Saturday: the market date is Friday's
    ],
)
def test_a_one_day_history_outside_the_session_is_the_last_market_dates(
    api: InProcess, now: str, market_date: str
) -> None:
    """alpaca-py (GetPortfolioHistoryRequest.date_end): the period ends at "the current market
    date (rolls over at the market open ...)". Before Thursday's open, or on a weekend,
    `period=1D` is the last session's intraday history. vtrade takes the calendar day, which
    has no regular-session points, and answers empty arrays: a bot reading
    `history.equity[-1]` gets an IndexError."""
    key = api.key()
    _buy(api, key)
    _step_until(api, now)
    response = api.http.get(
        "/v2/account/portfolio/history",
        headers=key.headers,
        params=GetPortfolioHistoryRequest(period="1D", timeframe="15Min").to_request_fields(),
    )
    assert response.status_code == 200, response.text
    history = PortfolioHistory(**response.json())

    assert len(history.timestamp) > 0  # was: 0
    assert {_ny_day(t) for t in history.timestamp} == {market_date}
    assert len(history.equity) == len(history.timestamp)


def test_activities_of_a_date_take_a_page_size_over_100(api: InProcess) -> None:
    """alpaca-py (GetAccountActivitiesRequest): "if `date` is specified, the default behavior
    is to return all results, and there is no maximum page size". vtrade caps `page_size` at
    100 whatever the query, so `date=...&page_size=500` is a 422."""
    key = api.key()
    _buy(api, key)
    api.step(1)

    response = _activities(api, key, date="2026-11-18", page_size=500)

    assert response.status_code == 200, response.text  # was: 422 query.page_size <= 100
    assert [a["activity_type"] for a in response.json() if a["activity_type"] == "FILL"] == ["FILL"]


def test_activities_of_a_date_list_all_of_that_day_by_default(api: InProcess) -> None:
    """With `date` and no `page_size`, Alpaca returns every activity of the day (see above);
    vtrade stops at 100. 60 orders make 60 fills and 60 fee entries on 2026-11-18."""
    key = api.key()
    for _ in range(60):
        _buy(api, key, qty="1")
        api.step(1)
    everything: list[dict[str, Any]] = []
    page = _activities(api, key, page_size=100).json()
    while page:
        everything += page
        page = _activities(api, key, page_size=100, page_token=page[-1]["id"]).json()
    assert sum(a["activity_type"] == "FILL" for a in everything) == 60

    response = _activities(api, key, date="2026-11-18")

    assert response.status_code == 200, response.text
    assert len(response.json()) == len(everything)  # was: 100


def test_intraday_history_resets_profit_loss_each_day_unless_no_reset(api: InProcess) -> None:
    """Alpaca's `pnl_reset` (intraday timeframes) defaults to `per_day`: "reset the
    profit/loss value to the previous day's closing equity for each trading day" (the
    official C# SDK's IntradayProfitLoss; the docs recommend `no_reset` "so that the Profit
    And Loss calculation is continuous"). vtrade ignores `pnl_reset`: a 1W/15Min history
    measures Thursday's points from the base before the window, not from Wednesday's close."""
    key = api.key()
    _buy(api, key, qty="100")
    _step_until(api, "2026-11-20T17:00:00Z")  # Friday, 12:00 in New York

    def history(**params: Any) -> dict[str, Any]:
        response = api.http.get("/v2/account/portfolio/history", headers=key.headers, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        PortfolioHistory(**body)
        return body

    daily = history(period="1W", timeframe="1D")
    by_day = dict(zip(map(_ny_day, daily["timestamp"]), daily["equity"], strict=True))
    wednesday_close = by_day["2026-11-18"]
    per_day = history(period="1W", timeframe="15Min")
    no_reset = history(period="1W", timeframe="15Min", pnl_reset="no_reset")

    thursday = [
        (e, pl)
        for t, e, pl in zip(
            per_day["timestamp"], per_day["equity"], per_day["profit_loss"], strict=True
        )
        if _ny_day(t) == "2026-11-19"
    ]
    assert len(thursday) > 20
    assert [pl for _, pl in thursday] == [round(e - wednesday_close, 2) for e, _ in thursday]
    # no_reset: one base for the whole window (what vtrade answers either way)
    assert no_reset["profit_loss"] == [
        round(e - no_reset["base_value"], 2) for e in no_reset["equity"]
    ]
    assert per_day["profit_loss"] != no_reset["profit_loss"]
