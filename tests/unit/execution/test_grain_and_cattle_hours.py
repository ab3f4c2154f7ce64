"""CBOT grains and CME live cattle keep their own hours (session 22's contracts review: they
traded round the clock on the metals and energy schedule, and their day orders lived to 17:00
New York). Grains: Sunday-Friday 19:00-07:45 and Monday-Friday 08:30-13:20 Chicago; live
cattle: Monday-Friday 08:30-13:05 Chicago (CME Group's trading hours)."""

from __future__ import annotations

import pytest

from conftest import Venue, at, make_container
from vtrade.core.clock import iso
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus
from vtrade.market.sessions import Phase

FRIDAY_CT = {  # Friday 2024-03-15 (CDT, UTC-5): instant -> (ZC phase, LE phase)
    "2024-03-15T03:00:00Z": (Phase.REGULAR, Phase.CLOSED),  # 22:00 Thursday: the night session
    "2024-03-15T13:00:00Z": (Phase.CLOSED, Phase.CLOSED),  # 08:00: the grains' break
    "2024-03-15T15:00:00Z": (Phase.REGULAR, Phase.REGULAR),  # 10:00: both trade
    "2024-03-15T18:10:00Z": (Phase.REGULAR, Phase.CLOSED),  # 13:10: cattle closed at 13:05
    "2024-03-15T19:00:00Z": (Phase.CLOSED, Phase.CLOSED),  # 14:00: grains closed at 13:20
    "2024-03-17T23:30:00Z": (Phase.CLOSED, Phase.CLOSED),  # Sunday 18:30: before 19:00
    "2024-03-18T00:30:00Z": (Phase.REGULAR, Phase.CLOSED),  # Sunday 19:30: the grains open
}


@pytest.mark.parametrize(("instant", "phases"), FRIDAY_CT.items())
def test_grains_and_cattle_trade_in_their_own_hours(instant: str, phases: tuple) -> None:
    c = make_container()
    for symbol, phase in zip(("ZC", "LE"), phases, strict=True):
        calendar = c.sessions.for_instrument(c.catalog.get(symbol))
        assert calendar.phase(at(instant)) is phase, (symbol, instant)
    assert c.sessions.for_instrument(c.catalog.get("GC")).phase(at(instant)) is Phase.REGULAR


def test_a_grain_day_order_expires_at_1320_chicago_and_a_market_order_waits_out_the_break() -> None:
    c = make_container(start="2024-03-15T13:00:00Z")  # 08:00 Chicago: the break
    venue = Venue(c)
    account = venue.open()
    order, _ = venue.submit(account, "ZS", Side.BUY, 1)
    assert order.status is OrderStatus.PENDING_OPEN and iso(order.due_ns) == "2024-03-15T13:30:00Z"
    assert iso(order.expire_ns) == "2024-03-15T18:20:00Z"
