"""Topic names, built in one place so publishers and subscribers always agree."""

from __future__ import annotations

QUOTES = "market.quotes"
TRADES = "market.trades"
BARS = "market.bars"


def quotes(symbol: str) -> str:
    """Topic of one instrument's L1 quotes."""
    return f"{QUOTES}.{symbol}"


def trades(symbol: str) -> str:
    """Topic of one instrument's trade prints."""
    return f"{TRADES}.{symbol}"


def bars(symbol: str, interval: str) -> str:
    """Topic of one instrument's bars of one interval."""
    return f"{BARS}.{interval}.{symbol}"


def matches(pattern: str, topic: str) -> bool:
    """Tell whether `topic` falls under `pattern` (exact, or a prefix ending in `.*`)."""
    if pattern.endswith(".*"):
        return topic.startswith(pattern[:-1])
    return pattern == topic


ORDERS = "orders"
ACCOUNTS = "accounts"


def orders(account_id: str) -> str:
    """Topic of one account's order lifecycle events (accepted, filled, canceled, ...)."""
    return f"{ORDERS}.{account_id}"


def account(account_id: str) -> str:
    """Topic of one account's account-level events (margin calls, resets)."""
    return f"{ACCOUNTS}.{account_id}"


PORTFOLIO = "portfolio"
ALERTS = "alerts"


def portfolio(account_id: str) -> str:
    """Topic of one account's coalesced portfolio valuations."""
    return f"{PORTFOLIO}.{account_id}"


def alerts(account_id: str) -> str:
    """Topic of one account's portfolio alerts (threshold crossings)."""
    return f"{ALERTS}.{account_id}"
