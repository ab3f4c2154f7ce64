"""/v2/account's maintenance_margin for a short stock position: FINRA Rule 4210(c)(2) and
Alpaca's table (https://docs.alpaca.markets/docs/margin-and-short-selling): a short at $5.00
or more needs the greater of $5.00 a share or 30% of its market value."""

from __future__ import annotations

from decimal import Decimal as D

from api_support import InProcess


def test_v2_maintenance_margin_of_a_short_is_30_percent_of_its_market_value(
    api: InProcess,
) -> None:
    key = api.key("alice")
    sold = api.http.post(
        "/v2/orders",
        headers=key.headers,
        json={
            "symbol": "AAPL",
            "qty": "100",
            "side": "sell",
            "type": "market",
            "time_in_force": "day",
        },
    )
    assert sold.status_code == 200, sold.text
    assert sold.json()["status"] == "filled"
    account = api.http.get("/v2/account", headers=key.headers).json()
    short_value = -D(account["short_market_value"])  # about 27,140 at the fixture's 10:00 ET
    assert D(account["long_market_value"]) == 0 and short_value > 0
    required = max(D("0.30") * short_value, D(5) * 100)  # about 8,142
    assert D(account["maintenance_margin"]) == required.quantize(D("0.01"))  # was 25%, about 6,785


def test_a_cash_account_reports_shorting_disabled_and_is_refused_a_short(api: InProcess) -> None:
    """Alpaca: a max_margin_multiplier of 1 makes a cash account, which may not sell short
    (Regulation T); its account says shorting_enabled false."""
    key = api.key("carol")
    before = api.http.get("/v2/account", headers=key.headers).json()
    api.http.patch(
        "/v2/account/configurations", headers=key.headers, json={"max_margin_multiplier": "1"}
    )
    after = api.http.get("/v2/account", headers=key.headers).json()
    sold = api.http.post(
        "/v2/orders",
        headers=key.headers,
        json={
            "symbol": "AAPL",
            "qty": "1",
            "side": "sell",
            "type": "market",
            "time_in_force": "day",
        },
    )
    assert before["shorting_enabled"] is True and after["shorting_enabled"] is False
    assert sold.status_code == 403, sold.text
    assert "short sales need a margin account" in sold.json()["message"]
