"""A foreign holding's day P&L in dollars counts the currency's move since the last close
(review: leveraged multi-currency trader).

Sources: Alpaca's Position model: "unrealized_intraday_pl: Unrealized profit/loss in dollars
for the day" (reference/alpaca-compat.md, Position fields); README (Execution, 5.): "Shares
and coins are holdings bought with VCR: their whole value follows the currency (a London
holding gains when the pound rises)"; api/alpaca/schemas.py position_json's own docstring:
"values and P&L in the account currency ... the currency's move since counts in a holding's
unrealized P&L". The clock of the API fixture stands at Wednesday 2026-11-18 15:00 UTC.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from vtrade.core.clock import parse_instant, to_ns

D = Decimal
LONDON_CLOSE_WEDNESDAY = "2026-11-18T16:30:00Z"  # LSE continuous trading ends 16:30 GMT


def test_unrealized_intraday_pl_of_a_london_holding_counts_the_pounds_move(
    make_api: Any,
) -> None:
    """200,000 VOD.L bought Wednesday; Thursday 15:00 UTC the position is read.

    Its dollar value at the last close was qty x lastday_price (pence) x the VCR value of a
    penny then; now it is qty x current_price x the VCR value of a penny now. GBP/USD rose
    ~0.67% between the two (0.0130282 -> 0.0131154 VCR a penny), worth ~1,560 VCR on this
    ~260,000 VCR holding.

    Wanted: unrealized_intraday_pl = value now - value at the last close (within 50 VCR:
    the rate of a few minutes around the close).
    Found: 655.77, i.e. (current_price - lastday_price) x qty at *today's* rate only, the
    pound's move since the close missing (expected ~2,219.79). position_json values the
    last close at `fx_rate` (today's) instead of the rate at that close, so the positions'
    day P&L does not add up to the account's (equity - last_equity)."""
    api = make_api()
    key = api.key()
    placed = api.http.post(
        "/v2/orders",
        headers=key.headers,
        json={
            "symbol": "VOD.L",
            "qty": "200000",
            "side": "buy",
            "type": "market",
            "time_in_force": "day",
        },
    )
    assert placed.status_code == 200 and placed.json()["status"] == "filled", placed.text
    api.step(24 * 3600)  # Thursday 15:00 UTC

    p = api.http.get("/v2/positions/VOD.L", headers=key.headers).json()
    engine = api.container.engine
    fx_then = engine.marks(to_ns(parse_instant(LONDON_CLOSE_WEDNESDAY))).fx("GBX")
    fx_now = engine.marks(api.clock.now_ns()).fx("GBX")
    assert abs(fx_now / fx_then - 1) > D("0.003")  # the pound did move
    qty, last, now = D(p["qty"]), D(p["lastday_price"]), D(p["current_price"])
    wanted = qty * now * fx_now - qty * last * fx_then

    got = D(p["unrealized_intraday_pl"])
    assert abs(got - wanted) <= 50, f"unrealized_intraday_pl {got}, wanted ~{wanted:.2f}"
