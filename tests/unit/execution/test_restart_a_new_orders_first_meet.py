"""A restart must not change how a new passive limit meets the market (found by a restart
review). The engine remembered when each symbol's orders last met the market
(`engine.worked`) and never forgot a symbol whose orders had all ended, while a restart
rebuilds it only for symbols with open orders. So in a service that kept running, the first
meet of a new order in a symbol traded yesterday crossed a phase start, and the order was
taken for one the market "reopened through" (`reopened` in `working._meet`): a passive limit
the touch had come through since it was sent became a taker. Now only an order that rested
while the market was closed is one it reopened through, and symbols with no order left are
forgotten, as a restart does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from restart_pairs import MINUTE, SECOND, Pairs, Run, first_difference, quote_of
from restart_pairs import pairs as _pairs

from conftest import at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce
from vtrade.execution.working import last_meet

D = Decimal


@pytest.fixture
def pairs(fresh_database: Callable[[], str]) -> Iterator[Pairs]:
    yield from _pairs(fresh_database)


def _crossing_instant(run: Run, symbol: str, after_ns: int) -> int:
    """The first instant, a millisecond after one of `symbol`'s meets from `after_ns` on, whose
    bid the ask has come down to (or through) by the symbol's next meet: a buy limit at that
    bid is passive when sent (below the mid) and marketable when it first meets the market."""
    books = run.service.market.books
    for k in range(3_600):
        sent = last_meet(symbol, SECOND, after_ns + k * SECOND) + 1_000_000
        meet = last_meet(symbol, SECOND, sent + SECOND)
        if books.quote(symbol, meet).ask <= books.quote(symbol, sent).bid:
            return sent
    raise AssertionError("no such instant in an hour")


def _touched_yesterday_then_bid_today(
    run: Run, yesterday: str, restart: str, today: str, **order: object
) -> None:
    """Another account rests an AAPL bid far below the market for a minute `yesterday`, then
    cancels it; the service restarts at `restart` (in the restarting run); `today` a fresh
    account bids 5,000 AAPL at the bid at an instant the touch comes through that bid before
    AAPL's next meet; the market works it for five minutes."""
    run.go(at(yesterday))
    other = run.open(balance=10**8)
    low = quote_of(run, "AAPL").bid - D(5)
    first, _ = run.submit(
        other, "AAPL", Side.BUY, 100, type=OrderType.LIMIT, limit_price=low, tif=TimeInForce.GTC
    )
    run.go(run.now() + MINUTE)
    run.cancel(first)
    run.checkpoint(at(restart))
    trader = run.open(balance=10**8)
    run.go(_crossing_instant(run, "AAPL", at(today)))
    bid = quote_of(run, "AAPL").bid
    run.submit(trader, "AAPL", Side.BUY, 5000, type=OrderType.LIMIT, limit_price=bid, **order)
    run.go(run.now() + 5 * MINUTE)


def _first_fill(run: Run) -> tuple[int, Decimal, Decimal, str, Decimal]:
    fills: list[tuple[int, Decimal, Decimal, str, Decimal]] = run.outcome()["account1"]["orders"][
        0
    ]["fills"]
    return fills[0]


def _both_rest_as_the_maker(kept: Run, restarted: Run) -> None:
    """The order's first fill is the maker's after the restart, and the same in the run that
    kept going, as are all its fills."""
    first_kept, first_restarted = _first_fill(kept), _first_fill(restarted)
    assert first_restarted[3] == "maker"
    assert first_kept == first_restarted, (first_kept, first_restarted)
    a, b = kept.outcome(), restarted.outcome()
    assert a == b, first_difference(a, b)


def test_a_passive_limit_today_fills_as_after_a_restart_whatever_traded_yesterday(
    pairs: Pairs,
) -> None:
    """Thursday 2024-03-14 15:00: another account's AAPL bid rests a minute and is canceled.
    Friday: the restarting run restarts at 15:00; at 15:00:01.237 (a millisecond after AAPL's
    meet) a new account bids 5,000 AAPL at the bid, 264.95 (ask 264.97); at AAPL's next meet
    (15:00:02.236) the ask is 264.91. After the restart the order rests and its first fill is
    212 shares as the maker at 264.95. The run that kept going took 3,801 shares as a taker
    at once (average 264.9374): AAPL's last meet was still Thursday's, so the order counted
    as one the market had reopened through. Both should be the restart's: the maker's."""
    kept, restarted = pairs.play(
        lambda run: _touched_yesterday_then_bid_today(
            run, "2024-03-14T15:00:00Z", "2024-03-15T15:00:00Z", "2024-03-15T15:00:00Z"
        ),
        "2024-03-14T14:00:00Z",
    )
    _both_rest_as_the_maker(kept, restarted)


def test_a_pre_market_limit_fills_as_after_a_restart_whatever_traded_yesterday(
    pairs: Pairs,
) -> None:
    """The same in the US pre-market, for an extended-hours day limit: Thursday 19:00 another
    account's AAPL bid rests a minute and is canceled; Friday the restarting run restarts at
    09:00 UTC (pre-market); at 09:00:05.237 a new account bids 5,000 AAPL at the bid, 262.50
    (ask 262.58); at AAPL's next meet, 09:00:06.236, the ask is 262.50. After the restart
    the order rests: its first fill is 37 shares as the maker at 09:00:38.236, 580 shares
    in five minutes. The run that kept going
    (AAPL last met on Thursday, before the pre-market began) took 242 shares as a taker at
    its first meet (09:00:06.236), 854 in five minutes."""
    kept, restarted = pairs.play(
        lambda run: _touched_yesterday_then_bid_today(
            run,
            "2024-03-14T19:00:00Z",
            "2024-03-15T09:00:00Z",
            "2024-03-15T09:00:00Z",
            extended_hours=True,
        ),
        "2024-03-14T14:00:00Z",
    )
    _both_rest_as_the_maker(kept, restarted)
