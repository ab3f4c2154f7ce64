"""`/v2/account/activities` and `/v2/account/portfolio/history` over a night: the margin
interest charged at New York midnight is an `INT` activity, as is the financing of an index
position (so the activities add up to the cash), and intraday history keeps to the regular
session unless `extended_hours` is asked for."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from alpaca.trading.models import NonTradeActivity
from api_support import InProcess, Key

from vtrade.api.alpaca.common import NEW_YORK
from vtrade.domain.accounts import EntryKind


def get(api: InProcess, key: Key, path: str, **params: Any) -> Any:
    answer = api.http.get(path, headers=key.headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def trade(api: InProcess, key: Key, symbol: str, qty: int, side: str) -> None:
    order = {"symbol": symbol, "qty": str(qty), "side": side, "type": "market"}
    placed = api.http.post(
        "/v2/orders", headers=key.headers, json={**order, "time_in_force": "day"}
    )
    assert placed.json().get("status") == "filled", placed.text


def hold_until(api: InProcess, iso_instant: str) -> None:
    """Step the server half an hour at a time up to `iso_instant`."""
    until = int(datetime.fromisoformat(iso_instant).timestamp() * 1e9)
    while api.clock.now_ns() < until:
        api.step(min(1800, (until - api.clock.now_ns()) / 1e9))


def cash_moved(activity: dict[str, Any]) -> Decimal:
    """What an activity moved through cash: a fill its notional in cents (as the ledger books
    it: its price may have more decimals than a cent), any other its net amount."""
    if activity["activity_type"] != "FILL":
        return Decimal(activity["net_amount"])
    notional = (Decimal(activity["price"]) * Decimal(activity["qty"])).quantize(Decimal("0.01"))
    return -notional if activity["side"] == "buy" else notional


def test_margin_interest_is_an_int_activity_and_activities_add_up_to_the_cash(
    api: InProcess,
) -> None:
    key = api.key()
    for symbol in ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL"):  # 120% of the cash: on margin
        ask = api.container.market.quote(symbol, api.clock.now_ns()).ask
        trade(api, key, symbol, int(240_000 / ask), "buy")
    trade(api, key, "SPY", 100, "sell")  # a short, which pays a borrow fee overnight
    hold_until(api, "2026-11-19T06:00:00+00:00")  # 01:00 in New York
    (charged,) = [
        e for e in api.container.store.ledger(key.account_id) if e.kind is EntryKind.INTEREST
    ]

    everything = get(api, key, "/v2/account/activities")
    only_int = get(api, key, "/v2/account/activities", activity_types="INT")
    by_path = get(api, key, "/v2/account/activities/INT")

    (interest,) = [a for a in everything if a["activity_type"] == "INT"]
    assert only_int == by_path == [interest]
    assert Decimal(interest["net_amount"]) == charged.amount < 0
    assert interest["description"] == "margin interest, one day"
    assert interest["date"] == "2026-11-19"
    parsed = NonTradeActivity(**interest)
    assert parsed.net_amount == float(charged.amount)
    assert {"INT", "FEE", "CSD", "FILL"} <= {a["activity_type"] for a in everything}
    cash = Decimal(get(api, key, "/v2/account")["cash"])
    assert sum(map(cash_moved, everything)) == cash

    reset = api.http.post(f"/api/v1/accounts/{key.account_id}/reset", headers=key.headers)
    assert reset.status_code == 200, reset.text
    after = get(api, key, "/v2/account/activities")
    assert sum(map(cash_moved, after)) == Decimal(get(api, key, "/v2/account")["cash"])


def _ny_minutes(ts: int) -> int:
    moment = datetime.fromtimestamp(ts, tz=UTC).astimezone(NEW_YORK)
    return moment.hour * 60 + moment.minute


REGULAR = (9 * 60 + 30, 16 * 60)  # New York minutes of the day
EXTENDED = (4 * 60, 20 * 60)


def _overlaps(ts: int, frame_minutes: int, hours: tuple[int, int]) -> bool:
    start = _ny_minutes(ts)
    return start < hours[1] and start + frame_minutes > hours[0]


@pytest.mark.parametrize(("timeframe", "minutes"), [("15Min", 15), ("1H", 60)])
def test_intraday_history_keeps_to_the_regular_session_unless_extended_hours(
    api: InProcess, timeframe: str, minutes: int
) -> None:
    key = api.key()
    trade(api, key, "AAPL", 100, "buy")
    hold_until(api, "2026-11-19T15:00:00+00:00")  # through a night to 10:00 the next day
    query = {"timeframe": timeframe, "start": "2026-11-18T14:00:00Z"}

    regular = get(api, key, "/v2/account/portfolio/history", **query)
    extended = get(api, key, "/v2/account/portfolio/history", extended_hours="true", **query)
    not_extended = get(api, key, "/v2/account/portfolio/history", extended_hours="false", **query)
    every = get(api, key, "/v2/account/portfolio/history", intraday_reporting="continuous", **query)

    assert not_extended == regular
    assert regular["timestamp"] and all(
        _overlaps(t, minutes, REGULAR) for t in regular["timestamp"]
    )
    stamps = extended["timestamp"]
    assert all(_overlaps(t, minutes, EXTENDED) for t in stamps)
    outside = [t for t in stamps if not _overlaps(t, minutes, REGULAR)]
    assert any(_ny_minutes(t) < REGULAR[0] for t in outside)  # pre-market
    assert any(_ny_minutes(t) >= REGULAR[1] for t in outside)  # post-market
    assert set(regular["timestamp"]) <= set(stamps) <= set(every["timestamp"])
    assert regular["equity"][-1] == extended["equity"][-1]  # both end at the live equity


def test_an_index_position_s_financing_is_an_int_activity_of_either_sign(api: InProcess) -> None:
    long, short = api.key("ann"), api.key("bob")
    trade(api, long, "SPX", 20, "buy")
    trade(api, short, "SPX", 20, "sell")
    hold_until(api, "2026-11-19T06:00:00+00:00")  # 01:00 in New York

    paid, earned = (
        [a for a in get(api, key, "/v2/account/activities") if a["activity_type"] == "INT"]
        for key in (long, short)
    )

    assert [a["description"] for a in paid + earned] == ["index financing, one day"] * 2
    assert Decimal(paid[0]["net_amount"]) < 0 < Decimal(earned[0]["net_amount"])
    for key in (long, short):
        cash = Decimal(get(api, key, "/v2/account")["cash"])
        assert sum(map(cash_moved, get(api, key, "/v2/account/activities"))) == cash
