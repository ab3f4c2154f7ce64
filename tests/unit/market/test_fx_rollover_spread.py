"""README: FX is "widest at the New York rollover" (17:00 New York, when FX's trading day
ends, `financing.ROLLOVER`). `profiles.around_the_clock` centres the blow-out on a fixed
21:30 UTC, half-way between the summer (21:00Z) and winter (22:00Z) rollovers: the widest
minute is 16:29 New York in January (before the roll, inside the old day) and 17:29 in July,
and the roll's own minutes are at two-thirds of the peak."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from vtrade import bootstrap
from vtrade.core.clock import parse_instant, to_ns

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize("day", ["2024-01-17", "2024-07-17"])
def test_fx_spreads_are_widest_around_17_00_new_york_in_winter_and_summer(day: str) -> None:
    market = bootstrap.build().market
    days = market.calendar("EUR/USD").days
    d = days.index_on_or_before(to_ns(parse_instant(f"{day}T12:00:00Z")))
    minutes = market.day_minutes("EUR/USD", d)
    widest = int(np.argmax(minutes.spread))
    local = datetime.fromtimestamp(int(minutes.ts[widest]) / 1e9, UTC).astimezone(NEW_YORK)
    from_roll = min(
        abs(local.hour * 60 + local.minute - 17 * 60),
        24 * 60 - abs(local.hour * 60 + local.minute - 17 * 60),
    )
    # found: 16:29 New York on 2024-01-17 (31 min before the roll), 17:29 on 2024-07-17
    assert from_roll <= 10, f"widest EUR/USD minute at {local:%H:%M} New York on {day}"
