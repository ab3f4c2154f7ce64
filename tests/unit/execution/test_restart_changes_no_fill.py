"""Restarts change no fill: each scenario sends the same commands at the
same simulated instants to a service that keeps going and to one that restarts (a new
container on the same database, at the instant the previous one worked to) at awkward
instants; every order ends alike, with the same fills (instant, quantity, price, liquidity,
fee), and so do cash and positions. These held when written; they guard the restore."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from restart_pairs import (
    HOUR,
    MINUTE,
    SECOND,
    Pairs,
    Run,
    assert_same,
    quote_of,
    tick_round,
)
from restart_pairs import pairs as _pairs

from conftest import at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderClass, OrderType, TimeInForce
from vtrade.execution.working import last_meet

D = Decimal
LIMIT, GTC = OrderType.LIMIT, TimeInForce.GTC


@pytest.fixture
def pairs(fresh_database: Callable[[], str]) -> Iterator[Pairs]:
    yield from _pairs(fresh_database)


def block_remainder(run: Run) -> None:
    """300,000 AAPL worked at the participation cap; restarts mid-work, one exactly at AAPL's
    meet, one just before it."""
    a = run.open(balance=10**9)
    run.submit(a, "AAPL", Side.BUY, 300_000)
    t = run.now()
    meet = last_meet("AAPL", SECOND, t + 7 * MINUTE)
    run.checkpoint(meet)
    run.checkpoint(meet + SECOND - 1)
    run.checkpoint(t + 13 * MINUTE + 123_456_789)
    run.go(t + 30 * MINUTE)


def trailing_mid_trail(run: Run) -> None:
    """A trailing sell stop (0.15%) restarted every few minutes while it trails, until and
    after it triggers."""
    a = run.open(balance=10**8)
    run.submit(a, "AAPL", Side.BUY, 1000)
    run.submit(a, "AAPL", Side.SELL, 1000, type=OrderType.TRAILING_STOP, trail_percent=D("0.15"))
    t = run.now()
    for k in range(1, 8):
        run.checkpoint(t + k * 7 * MINUTE + k * 111_000_000)
    run.go(t + 3 * HOUR)


def stop_limits(run: Run) -> None:
    """A buy stop-limit whose limit lies under its stop (triggered, then resting unfilled) and
    a sell stop-limit that triggers and fills in part, restarted every five minutes."""
    a = run.open(balance=10**8)
    stop = tick_round(quote_of(run, "AAPL").ask * D("1.0005"))
    run.submit(
        a, "AAPL", Side.BUY, 2000, type=OrderType.STOP_LIMIT, stop_price=stop,
        limit_price=stop - D("0.30"), tif=GTC,
    )  # fmt: skip
    stop = tick_round(quote_of(run, "MSFT").bid * D("0.9995"))
    run.submit(
        a, "MSFT", Side.SELL, 20000, type=OrderType.STOP_LIMIT, stop_price=stop, limit_price=stop
    )
    t = run.now()
    for k in range(1, 12):
        run.checkpoint(t + k * 5 * MINUTE + 333_000_000)
    run.go(t + 2 * HOUR)


def resting_limits(run: Run) -> None:
    """Large limits at the touch, filled in part as the maker over hours, and the day one
    expiring at the close."""
    a = run.open(balance=10**9)
    q = quote_of(run, "AAPL")
    run.submit(a, "AAPL", Side.BUY, 200_000, type=LIMIT, limit_price=q.bid, tif=GTC)
    run.submit(a, "AAPL", Side.SELL, 100_000, type=LIMIT, limit_price=q.ask)
    t = run.now()
    for k in range(1, 10):
        run.checkpoint(t + k * 3 * MINUTE + 1_500_000)
    run.go(t + 6 * HOUR)


def harsh_in_flight(run: Run) -> None:
    """Harsh orders: restarts while a replace (then a cancel) is on its way to the market, and
    while new orders are in flight."""
    a = run.open(balance=10**9, profile="harsh")
    q = quote_of(run, "AAPL")
    block, _ = run.submit(a, "AAPL", Side.BUY, 200_000)
    bid, _ = run.submit(a, "AAPL", Side.BUY, 5000, type=LIMIT, limit_price=q.bid, tif=GTC)
    t = run.now()
    run.go(t + 30 * SECOND)
    run.replace(bid, qty=D(8000), limit_price=q.bid + D("0.05"))
    run.checkpoint(t + 30 * SECOND + 200_000_000)
    run.go(t + 60 * SECOND)
    run.cancel(block)
    run.checkpoint(t + 60 * SECOND + 300_000_000)
    run.submit(a, "MSFT", Side.BUY, 50_000)
    run.checkpoint(t + 60 * SECOND + 500_000_000)
    run.go(t + 10 * MINUTE)


def harsh_cancel_across_the_close(run: Run) -> None:
    """Harsh resting limits whose cancels are sent 0.2 s before the close: restarts at the
    close and just after it, the cancels still on their way."""
    a = run.open(balance=10**10, profile="harsh")
    run.go(at("2024-03-15T19:58:00Z"))
    ask, bid = quote_of(run, "AAPL").ask, quote_of(run, "MSFT").bid
    sell, _ = run.submit(a, "AAPL", Side.SELL, 1_000_000, type=LIMIT, limit_price=ask + D("0.01"))
    buy, _ = run.submit(
        a, "MSFT", Side.BUY, 500_000, type=LIMIT, limit_price=bid - D("0.01"), tif=GTC
    )
    run.go(at("2024-03-15T19:59:59.8Z"))
    run.cancel(sell)
    run.cancel(buy)
    run.checkpoint(at("2024-03-15T20:00:00Z"))
    run.checkpoint(at("2024-03-15T20:00:00.1Z"))
    run.go(at("2024-03-15T20:05:00Z"))


def day_orders_at_the_close(run: Run) -> None:
    """Limits taking the book ten minutes before the close, a resting day bid, a cls order:
    restarts half a second before the close, at it, and just after it."""
    a = run.open(balance=10**9)
    run.go(at("2024-03-15T19:49:00Z"))
    q = quote_of(run, "AAPL")
    run.submit(a, "AAPL", Side.BUY, 400_000, type=LIMIT, limit_price=tick_round(q.ask * D("1.002")))
    run.submit(
        a, "AAPL", Side.SELL, 50_000, type=LIMIT, limit_price=tick_round(q.bid * D("0.99")), tif=GTC
    )
    run.submit(a, "MSFT", Side.BUY, 30_000, type=LIMIT, limit_price=quote_of(run, "MSFT").bid)
    run.submit(a, "MSFT", Side.SELL, 20_000, tif=TimeInForce.CLS)
    run.checkpoint(at("2024-03-15T19:59:59.5Z"))
    run.checkpoint(at("2024-03-15T20:00:00Z"))
    run.checkpoint(at("2024-03-15T20:00:00.9Z"))
    run.go(at("2024-03-15T20:05:00Z"))


def queued_for_the_auctions(run: Run) -> None:
    """opg, cls and market orders sent overnight: restarts in the night, just before and after
    the open, and 10 ms before the close."""
    a = run.open(balance=10**9)
    run.go(at("2024-03-14T21:00:00Z"))
    run.submit(a, "AAPL", Side.BUY, 5000, tif=TimeInForce.OPG)
    run.submit(a, "MSFT", Side.SELL, 3000, tif=TimeInForce.CLS)
    run.submit(a, "AAPL", Side.BUY, 200_000)  # waits for the opening auction
    run.checkpoint(at("2024-03-15T09:00:00Z"))
    run.checkpoint(at("2024-03-15T13:29:59.7Z"))
    run.checkpoint(at("2024-03-15T13:30:00.2Z"))
    run.checkpoint(at("2024-03-15T13:45:00Z"))
    run.submit(a, "AAPL", Side.SELL, 4000, tif=TimeInForce.CLS)
    run.checkpoint(at("2024-03-15T19:59:59.99Z"))
    run.go(at("2024-03-15T20:10:00Z"))


def resting_overnight(run: Run) -> None:
    """gtc limits resting through the closing cross and into the next opening auction:
    restarts just after the close, in the night and just after the open."""
    a = run.open(balance=10**9)
    run.go(at("2024-03-14T19:30:00Z"))
    q = quote_of(run, "AAPL")
    run.submit(a, "AAPL", Side.BUY, 300_000, type=LIMIT, limit_price=q.bid - D("0.20"), tif=GTC)
    run.submit(a, "AAPL", Side.SELL, 300_000, type=LIMIT, limit_price=q.ask + D("0.20"), tif=GTC)
    run.checkpoint(at("2024-03-14T20:00:00.5Z"))
    run.checkpoint(at("2024-03-15T08:00:00Z"))
    run.checkpoint(at("2024-03-15T13:30:00.5Z"))
    run.go(at("2024-03-15T16:00:00Z"))


def bracket_legs(run: Run) -> None:
    """A bracket whose entry fills at once: its take-profit and stop-limit stop-loss work,
    one shrinking as the other fills, with restarts every four minutes."""
    a = run.open(balance=10**9)
    q = quote_of(run, "AAPL")
    run.submit(
        a, "AAPL", Side.BUY, 50_000, tif=GTC, order_class=OrderClass.BRACKET,
        take_profit_limit_price=tick_round(q.ask * D("1.003")),
        stop_loss_stop_price=tick_round(q.bid * D("0.997")),
        stop_loss_limit_price=tick_round(q.bid * D("0.996")),
    )  # fmt: skip
    t = run.now()
    for k in range(1, 20):
        run.checkpoint(t + k * 4 * MINUTE + 7_000_000)
    run.go(t + 4 * HOUR)


def crypto_fee_tiers(run: Run) -> None:
    """BTC-USD bought and sold in blocks on a Saturday: the 30-day volume crosses tiers
    between restarts."""
    a = run.open(balance=10**9)
    t = run.now()
    for k in range(6):
        run.submit(a, "BTC-USD", Side.BUY if k % 2 == 0 else Side.SELL, D("7.3"))
        run.checkpoint(t + (k + 1) * 10 * MINUTE)
    run.go(t + 2 * HOUR)


def same_instant(run: Run) -> None:
    """A restart at the very instant of a block's fill, and a nanosecond later, each followed
    by another block."""
    a = run.open(balance=10**9)
    t = run.now()
    run.submit(a, "AAPL", Side.BUY, 100_000)
    run.checkpoint(t)
    run.submit(a, "AAPL", Side.BUY, 100_000)
    run.checkpoint(t + 1)
    run.submit(a, "AAPL", Side.SELL, 50_000)
    run.go(t + 20 * MINUTE)


def pre_market(run: Run) -> None:
    """Extended-hours limits in the pre-market, a regular-session gtc bid and a market order
    waiting for the open: restarts in the pre-market and around the open."""
    a = run.open(balance=10**9)
    run.go(at("2024-03-15T10:00:00Z"))
    q = quote_of(run, "AAPL")
    run.submit(a, "AAPL", Side.BUY, 3000, type=LIMIT, limit_price=q.ask, extended_hours=True)
    run.submit(a, "AAPL", Side.BUY, 3000, type=LIMIT, limit_price=q.bid, extended_hours=True)
    run.submit(a, "AAPL", Side.BUY, 3000, type=LIMIT, limit_price=q.bid, tif=GTC)
    run.submit(a, "MSFT", Side.BUY, 3000)
    run.checkpoint(at("2024-03-15T11:00:00.3Z"))
    run.checkpoint(at("2024-03-15T13:29:59.9Z"))
    run.checkpoint(at("2024-03-15T13:30:00.9Z"))
    run.go(at("2024-03-15T14:00:00Z"))


def trailing_from_the_pre_market(run: Run) -> None:
    """Trailing stops sent in the pre-market (their stop from the last regular price) trail
    from the open; restarts before the open and every 37 s after it."""
    a = run.open(balance=10**8)
    run.go(at("2024-03-14T19:00:00Z"))
    run.submit(a, "AAPL", Side.BUY, 2000)
    run.submit(a, "MSFT", Side.BUY, 2000)
    run.go(at("2024-03-15T09:00:00Z"))
    trail = OrderType.TRAILING_STOP
    run.submit(a, "AAPL", Side.SELL, 2000, type=trail, trail_price=D("0.40"), tif=GTC)
    run.submit(a, "MSFT", Side.SELL, 2000, type=trail, trail_percent=D("0.1"))
    run.checkpoint(at("2024-03-15T12:00:00Z"))
    run.checkpoint(at("2024-03-15T13:30:00.001Z"))
    for k in range(1, 30):
        run.checkpoint(at("2024-03-15T13:30:00Z") + k * 37 * SECOND)
    run.go(at("2024-03-15T20:30:00Z"))


def notional_blocks(run: Run) -> None:
    """Notional buys worked at the cap (sized down as what is left of the notional buys
    fewer lots), in AAPL and ETH-USD."""
    a = run.open(balance=10**9)
    run.submit(a, "AAPL", Side.BUY, notional=D(60_000_000))
    run.submit(a, "ETH-USD", Side.BUY, notional=D(8_000_000))
    t = run.now()
    for k in range(1, 15):
        run.checkpoint(t + k * 4 * MINUTE + 250_000_000)
    run.go(t + 2 * HOUR)


def fx_crypto_and_london(run: Run) -> None:
    """EUR/USD, ETH-USD and VOD.L blocks (GBX, stamp duty, PTM levy) and a BP.L bid, worked
    through restarts every 13 minutes of a London morning."""
    a = run.open(balance=10**9)
    run.submit(a, "EUR/USD", Side.BUY, 30_000_000)
    run.submit(a, "ETH-USD", Side.BUY, 2000)
    run.submit(a, "VOD.L", Side.BUY, 3_000_000)
    run.submit(
        a, "BP.L", Side.BUY, 200_000, type=LIMIT, limit_price=quote_of(run, "BP.L").bid, tif=GTC
    )
    t = run.now()
    for k in range(1, 10):
        run.checkpoint(t + k * 13 * MINUTE + 17_000_000)
    run.go(t + 3 * HOUR)


def asian_lunch(run: Run) -> None:
    """Nikkei 225 and Hang Seng limits resting through their lunch breaks: restarts in the
    morning, in the break and just after the afternoon opens."""
    a = run.open(balance=10**10)
    run.go(at("2024-03-15T02:00:00Z"))
    for symbol in ("N225", "HSI"):
        q = quote_of(run, symbol)
        low, high = tick_round(q.bid * D("0.998")), tick_round(q.ask * D("1.002"))
        run.submit(a, symbol, Side.BUY, 300, type=LIMIT, limit_price=low, tif=GTC)
        run.submit(a, symbol, Side.SELL, 300, type=LIMIT, limit_price=high, tif=GTC)
    run.checkpoint(at("2024-03-15T02:31:00Z"))
    run.checkpoint(at("2024-03-15T03:30:00.5Z"))
    run.checkpoint(at("2024-03-15T04:20:00Z"))
    run.checkpoint(at("2024-03-15T05:00:00.5Z"))
    run.go(at("2024-03-15T07:00:00Z"))


def fx_and_futures_weekend(run: Run) -> None:
    """EUR/USD and GC market orders sent after Friday's FX close wait for Sunday's open (BTC
    trades at once): restarts on Saturday and around Sunday's open."""
    a = run.open(balance=10**9)
    run.go(at("2024-03-15T21:30:00Z"))
    run.submit(a, "EUR/USD", Side.BUY, 50_000_000)
    run.submit(a, "GC", Side.BUY, 300)
    run.submit(a, "BTC-USD", Side.BUY, D(30))
    run.checkpoint(at("2024-03-16T12:00:00Z"))
    run.checkpoint(at("2024-03-17T21:59:59Z"))
    run.checkpoint(at("2024-03-17T22:00:00.4Z"))
    run.checkpoint(at("2024-03-17T22:10:00Z"))
    run.go(at("2024-03-18T22:10:00Z"))


def short_downtimes_caught_up(run: Run) -> None:
    """A block, a resting bid and a trailing stop through two short downtimes (7 and 20
    minutes) that the restarting run's start catches up (README: a short downtime gives the
    fills of a run that never stopped)."""
    a = run.open(balance=10**9)
    run.submit(a, "AAPL", Side.BUY, 300_000)
    run.submit(a, "MSFT", Side.BUY, 50_000, type=LIMIT, limit_price=quote_of(run, "MSFT").bid)
    trail = OrderType.TRAILING_STOP
    run.submit(a, "MSFT", Side.SELL, 5000, type=trail, trail_percent=D("0.1"), tif=GTC)
    t = run.now()
    run.down(t + 3 * MINUTE, t + 10 * MINUTE + 123_000_000)
    run.down(t + 15 * MINUTE, t + 35 * MINUTE)
    run.go(t + 60 * MINUTE)


def downtime_across_the_close(run: Run) -> None:
    """A resting day bid, a cls order and a block through a downtime from 19:45 to 20:03 that
    the start catches up: the close, its cross and the expiries fall in it."""
    a = run.open(balance=10**9)
    run.go(at("2024-03-15T19:40:00Z"))
    run.submit(a, "AAPL", Side.BUY, 200_000, type=LIMIT, limit_price=quote_of(run, "AAPL").bid)
    run.submit(a, "AAPL", Side.BUY, 20_000, tif=TimeInForce.CLS)
    run.submit(a, "MSFT", Side.BUY, 200_000)
    run.down(at("2024-03-15T19:45:00Z"), at("2024-03-15T20:03:00Z"))
    run.go(at("2024-03-15T20:30:00Z"))


FRIDAY, THURSDAY = "2024-03-15T15:00:00Z", "2024-03-14T15:00:00Z"
SCENARIOS = {
    "block_remainder": (block_remainder, FRIDAY),
    "trailing_mid_trail": (trailing_mid_trail, FRIDAY),
    "stop_limits": (stop_limits, FRIDAY),
    "resting_limits": (resting_limits, FRIDAY),
    "harsh_in_flight": (harsh_in_flight, FRIDAY),
    "harsh_cancel_across_the_close": (harsh_cancel_across_the_close, FRIDAY),
    "day_orders_at_the_close": (day_orders_at_the_close, FRIDAY),
    "queued_for_the_auctions": (queued_for_the_auctions, "2024-03-14T19:00:00Z"),
    "resting_overnight": (resting_overnight, THURSDAY),
    "bracket_legs": (bracket_legs, FRIDAY),
    "crypto_fee_tiers": (crypto_fee_tiers, "2024-03-16T15:00:00Z"),
    "same_instant": (same_instant, FRIDAY),
    "pre_market": (pre_market, "2024-03-15T09:00:00Z"),
    "trailing_from_the_pre_market": (trailing_from_the_pre_market, THURSDAY),
    "notional_blocks": (notional_blocks, FRIDAY),
    "fx_crypto_and_london": (fx_crypto_and_london, "2024-03-15T09:00:00Z"),
    "asian_lunch": (asian_lunch, "2024-03-15T01:00:00Z"),
    "fx_and_futures_weekend": (fx_and_futures_weekend, FRIDAY),
    "short_downtimes_caught_up": (short_downtimes_caught_up, FRIDAY),
    "downtime_across_the_close": (downtime_across_the_close, FRIDAY),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_restart_changes_no_fill(pairs: Pairs, name: str) -> None:
    """The scenario `name` (see its function) gives every order the same fills and end, and
    every account the same cash and positions, with its restarts as without them; and it
    does trade (a scenario whose orders all failed would prove nothing)."""
    scenario, start = SCENARIOS[name]
    kept, restarted = pairs.play(scenario, start)
    traded = [o for acc in kept.outcome().values() for o in acc["orders"] if o["fills"]]
    assert traded
    assert_same(kept, restarted)
