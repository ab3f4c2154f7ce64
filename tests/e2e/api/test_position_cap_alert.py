"""The portfolio's `position_over_cap` alert (the native WebSocket's `alerts`
channel) against the position cap the engine enforces (`VTRADE_EXECUTION__MAX_POSITION_SHARE`,
25% by default, settable from 0 to 1). The clock stands at Wednesday 2026-11-18 15:00 UTC."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from api_support import InProcess

from vtrade.domain import events as ev

D = Decimal


def test_the_over_cap_alert_uses_the_configured_position_cap(
    make_api: Callable[..., InProcess],
) -> None:
    """With the cap set to 50%, the engine accepts a 1,470 AAPL buy (~399,000, 39.9% of NAV).

    Wanted: no `position_over_cap` alert: the position is within the account's cap.
    Found in the review: the alert fires, "a position is 39.9% of NAV (cap 25%)", threshold 0.25:
    `bootstrap.portfolio_config` never passes `max_position_share` to `AlertConfig`, whose
    `position_cap` stays at its 0.25 default (a cap set to 10% likewise alerts only at 25%)."""
    api = make_api(max_position_share=D("0.5"))
    key = api.key()
    alerts: list[ev.PortfolioAlert] = []
    api.container.bus.subscribe("alerts.*", alerts.append)
    bought = api.http.post(
        "/v2/orders",
        headers=key.headers,
        json={
            "symbol": "AAPL",
            "qty": "1470",
            "side": "buy",
            "type": "market",
            "time_in_force": "day",
        },
    )
    assert bought.status_code == 200 and bought.json()["status"] == "filled", bought.text

    api.step(1)
    api.step(1)

    over = [a for a in alerts if a.kind == "position_over_cap" and a.active]
    assert not over, [(a.message, a.threshold) for a in over]
