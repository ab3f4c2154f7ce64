"""Helpers shared by the synthetic-market book and liquidity tests."""

from __future__ import annotations

from decimal import Decimal

from vtrade.domain.market_data import BookLevel, BookSnapshot


def sizes(levels: tuple[BookLevel, ...] | list[BookLevel]) -> list[Decimal]:
    return [level.size for level in levels]


def prices(levels: tuple[BookLevel, ...] | list[BookLevel]) -> list[Decimal]:
    return [level.price for level in levels]


def walk(levels: tuple[BookLevel, ...], qty: Decimal) -> list[BookLevel]:
    """Slices an aggressive order of `qty` would take from displayed `levels`, best first."""
    out, left = [], qty
    for level in levels:
        if left <= 0:
            break
        take = min(level.size, left)
        out.append(BookLevel(price=level.price, size=take))
        left -= take
    assert left <= 0, "quantity exceeds the visible book"
    return out


def average_price(slices: list[BookLevel]) -> Decimal:
    return sum(s.price * s.size for s in slices) / sum(s.size for s in slices)


def on_grid(value: Decimal, step: Decimal) -> bool:
    return value % step == 0


def assert_well_formed(book: BookSnapshot, depth: int, tick: Decimal) -> None:
    assert len(book.bids) == depth and len(book.asks) == depth
    bid_prices, ask_prices = prices(book.bids), prices(book.asks)
    assert all(a > b for a, b in zip(bid_prices, bid_prices[1:], strict=False))
    assert all(a < b for a, b in zip(ask_prices, ask_prices[1:], strict=False))
    assert bid_prices[0] < ask_prices[0]
    assert ask_prices[0] - bid_prices[0] >= tick
    assert all(s > 0 for s in sizes(book.bids) + sizes(book.asks))
    assert all(on_grid(p, tick) for p in bid_prices + ask_prices)
