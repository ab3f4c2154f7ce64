"""Specification of determinism: the same seed and commands at the same instants give the same
fills, to the last digit."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal


def session(venue: Venue) -> list[tuple[Any, ...]]:
    """A morning of mixed trading; every fill as plain values."""
    trader, whale = venue.open(), venue.open(balance=10**10)
    changes = []
    changes.append(venue.submit(trader, "AAPL", Side.BUY, 500)[1])
    changes.append(venue.submit(trader, "VOD.L", Side.BUY, 10_000)[1])
    changes.append(venue.submit(trader, "BTC-USD", Side.BUY, "0.5")[1])  # crypto: no shorts
    changes.append(venue.submit(trader, "BTC-USD", Side.SELL, "0.25")[1])
    changes.append(venue.submit(whale, "AAPL", Side.BUY, 80_000)[1])  # works over later steps
    bid = venue.quote("MSFT").bid
    changes.append(
        venue.submit(
            trader,
            "MSFT",
            Side.BUY,
            300,
            type=OrderType.LIMIT,
            limit_price=bid,
            tif=TimeInForce.GTC,
        )[1]
    )
    ask = venue.quote("TSLA").ask
    changes.append(
        venue.submit(
            trader, "TSLA", Side.BUY, 100, type=OrderType.STOP, stop_price=ask + D("0.30")
        )[1]
    )
    changes.append(venue.advance(90))
    changes.append(venue.submit(trader, "AAPL", Side.SELL, 250)[1])
    changes.append(venue.advance(90))
    return [
        (f.id, f.order_id, f.symbol, f.side, f.qty, f.price, f.fee, f.fx_rate, f.ts_ns, f.receipt)
        for c in changes
        for f in c.fills
    ]


def test_two_fresh_venues_with_the_same_seed_and_commands_fill_identically(
    make_venue: Callable[..., Venue],
) -> None:
    first = session(make_venue())
    second = session(make_venue())

    assert len(first) > 10  # immediate, working and triggered fills
    assert first == second


def _working_fills(venue: Venue, increment_ms: int) -> list[tuple[Any, ...]]:
    """A block worked over 30 s, the clock advanced in increments of `increment_ms`."""
    whale = venue.open(balance=10**10)
    order, _ = venue.submit(whale, "AAPL", Side.BUY, 80_000)
    end = venue.now + 30_000_000_000
    fills = []
    while venue.now < end:
        changes = venue.advance_to(min(end, venue.now + increment_ms * 1_000_000))
        fills += [(f.qty, f.price, f.ts_ns) for f in changes.fills]
    return fills


def test_working_orders_fill_the_same_however_often_the_clock_is_advanced(
    make_venue: Callable[..., Venue],
) -> None:
    per_second = _working_fills(make_venue(), 1_000)
    per_frame = _working_fills(make_venue(), 16)  # e.g. a caller submitting every 16 ms

    assert len(per_second) > 10
    assert per_frame == per_second
