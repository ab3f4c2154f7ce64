"""The channel names both WebSocket protocols subscribe to."""

from __future__ import annotations

PORTFOLIO, ORDERS, ALERTS, QUOTES, BOOK = "portfolio", "orders", "alerts", "quotes", "book"
ACCOUNT_CHANNELS = (PORTFOLIO, ORDERS, ALERTS)
MARKET_CHANNELS = (QUOTES, BOOK)
CHANNELS = ACCOUNT_CHANNELS + MARKET_CHANNELS
