"""The simulated market of 2024 that tests replaying dated 2024 instants configure."""

from __future__ import annotations

from datetime import date

from vtrade.settings import MarketSettings

FRIDAY = "2024-03-15T15:00:00Z"  # Friday, 11:00 New York (regular session), 15:00 London
MARKET_2024 = MarketSettings(
    first_day=date(2024, 1, 1), last_day=date(2024, 12, 31), anchor_day=date(2024, 6, 28)
)
