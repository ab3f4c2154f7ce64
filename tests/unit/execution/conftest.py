"""Fixtures for the execution engine: a venue driven at explicit simulated instants.

The market is narrowed to 2024 (anchored mid-year) so that each fresh container builds its
synthetic market in about a tenth of a second; every test gets fresh books and fresh state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from market_2024 import FRIDAY as FRIDAY_REGULAR
from market_2024 import MARKET_2024
from vtrade.bootstrap import Container, build
from vtrade.core.clock import SimulatedClock, parse_instant, to_ns
from vtrade.domain.accounts import Account
from vtrade.domain.changes import Changes
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Quote, Side
from vtrade.domain.orders import Order, OrderType
from vtrade.execution.profiles import rules_of
from vtrade.execution.working import phase
from vtrade.market.intraday import AUCTION, Prints
from vtrade.settings import ExecutionSettings, MarketSettings, Settings

SECOND = 1_000_000_000
# AAPL on 2024-03-25, sent at 09:29:55 New York: a buy resting inside the pre-market spread
# (ask 275.95), above the open (275.89)
EXTENDED_BUY_BEFORE_THE_OPEN = {
    "type": OrderType.LIMIT,
    "limit_price": Decimal("275.91"),
    "extended_hours": True,
}


def at(text: str) -> int:
    """Nanoseconds of an ISO instant."""
    return to_ns(parse_instant(text))


def market_of(first: date, last: date) -> MarketSettings:
    """A narrow synthetic market (fast to build) from `first` to `last`, anchored inside it:
    for another year than the 2024 the fixtures use."""
    return MarketSettings(first_day=first, last_day=last, anchor_day=first + (last - first) / 2)


def make_container(
    start: str = FRIDAY_REGULAR,
    database_url: str = "sqlite:///:memory:",
    market: MarketSettings = MARKET_2024,
    **execution: Any,
) -> Container:
    """Build the application at `start` on a simulated clock; engine time starts there too."""
    settings = Settings(
        database_url=database_url,
        market=market,
        execution=ExecutionSettings(**execution),
    )
    container = build(settings, SimulatedClock(at(start)))
    container.engine.advance(at(start))  # a fresh engine's working clock starts at `start`
    return container


class Venue:
    """The engine of a fresh container, driven by commands at explicit instants."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.engine = container.engine
        self.market = container.market
        self.catalog = container.catalog
        self.now = container.engine.now_ns

    def open(self, balance: Decimal | int | None = None, profile: str = "realistic") -> Account:
        account, _ = self.engine.open_account(
            OpenAccount(
                id="cmd-open",
                ts_init=self.now,
                owner="tester",
                name="main",
                profile=profile,
                balance=None if balance is None else Decimal(balance),
            ),
            self.now,
        )
        return account

    def submit(
        self,
        account: Account,
        symbol: str,
        side: Side,
        qty: Decimal | int | str | None = None,
        **kw: Any,
    ) -> tuple[Order, Changes]:
        """Submit at the venue's current instant (sized by `qty`, or `notional=` in `kw`)."""
        cmd = SubmitOrder(
            id="cmd-submit",
            ts_init=self.now,
            account_id=account.id,
            symbol=symbol,
            side=side,
            qty=None if qty is None else Decimal(qty),
            **kw,
        )
        return self.engine.submit(cmd, self.now)

    def submit_arrived(self, *args: Any, **kw: Any) -> tuple[Order, Changes]:
        """`submit`, then let the order reach the market: a profile with latency (harsh) has
        it arrive that much later, and the venue's clock moves there."""
        order, changes = self.submit(*args, **kw)
        latency = rules_of(order).latency_ns
        if latency and order.is_open:
            changes.merge(self.advance_to(self.now + latency))
        return order, changes

    def preview(
        self, account: Account, symbol: str, side: Side, qty: Decimal | int | str, **kw: Any
    ) -> Order:
        cmd = SubmitOrder(
            id="cmd-preview",
            ts_init=self.now,
            account_id=account.id,
            symbol=symbol,
            side=side,
            qty=Decimal(qty),
            **kw,
        )
        return self.engine.preview(cmd, self.now)

    def advance_to(self, t_ns: int) -> Changes:
        changes = self.engine.advance(t_ns)
        self.now = t_ns
        return changes

    def advance_to_phase(self, symbol: str) -> Changes:
        """Advance to the next instant at which `symbol`'s working orders meet the market
        (from there, every whole step is one); see `working.phase`."""
        step = self.engine.config.step_ns
        shift = phase(symbol, step)
        return self.advance_to(((self.now - shift) // step + 1) * step + shift)

    def advance(self, seconds: float) -> Changes:
        return self.advance_to(self.now + int(seconds * SECOND))

    def quote(self, symbol: str, t_ns: int | None = None) -> Quote:
        """Top of our book (after our own consumption) at `t_ns` (default: now)."""
        return self.market.books.quote(symbol, self.now if t_ns is None else t_ns)


@pytest.fixture
def build_container() -> Callable[..., Container]:
    """`make_container` itself, for tests that build several containers (e.g. per example)."""
    return make_container


@pytest.fixture
def make_venue() -> Callable[..., Venue]:
    """Factory of venues: `make_venue(start=..., market=..., **execution_settings)`."""

    def make(
        start: str = FRIDAY_REGULAR, market: MarketSettings = MARKET_2024, **execution: Any
    ) -> Venue:
        return Venue(make_container(start, market=market, **execution))

    return make


@pytest.fixture
def venue(make_venue: Callable[..., Venue]) -> Venue:
    """A fresh venue on Friday 2024-03-15 15:00 UTC (US and London regular sessions)."""
    return make_venue()


@pytest.fixture
def make_service(fresh_database: Callable[[], str]) -> Iterator[Callable[..., Container]]:
    """Factory of started containers on one database (a restart = call again), on SQLite and
    on PostgreSQL."""
    url = fresh_database()
    built: list[Container] = []

    def make(start: str = FRIDAY_REGULAR, **execution: Any) -> Container:
        container = make_container(start, url, **execution)
        container.trading.start()
        built.append(container)
        return container

    yield make
    for container in built:
        container.store.close()


def printed_cross(venue: Venue, symbol: str, close_ns: int) -> tuple[int, Decimal, Decimal]:
    """The closing cross the feed printed in `symbol` in the minute up to `close_ns`: its
    instant, price and volume (raises ValueError on a day without one: a weekend)."""
    window = venue.market.prints(symbol, close_ns - 60 * SECOND, close_ns)
    (i,) = np.flatnonzero(window.side == AUCTION)
    price = Decimal(repr(round(float(window.price[i]), 2)))
    return int(window.ts[i]), price, Decimal(repr(float(window.size[i])))


def cross_above_last_print(
    make_venue: Callable[..., Venue], symbol: str
) -> tuple[Venue, Prints, int]:
    """A venue at 19:59 on the first March 2024 day whose closing cross in `symbol` printed
    over 2.5 cents above the continuous print before it: the venue, the last minute's prints
    and the cross's index among them."""
    for day in range(11, 29):
        close = at(f"2024-03-{day}T20:00:00Z")
        venue = make_venue(f"2024-03-{day}T19:59:00Z")
        window = venue.market.prints(symbol, close - 60 * SECOND, close)
        crosses = np.flatnonzero(window.side == AUCTION)
        if crosses.size and window.price[crosses[0]] > window.price[crosses[0] - 1] + 0.025:
            return venue, window, int(crosses[0])
    raise AssertionError("no day whose closing cross printed above the print before it")


def open_below_last_minutes(
    make_venue: Callable[..., Venue], symbol: str
) -> tuple[Venue, Decimal, Decimal]:
    """A venue at 19:58 on the first March 2024 day whose next official open in `symbol` lies
    over 5 cents below every print of its last two minutes: the venue, their lowest price
    and that open."""
    for day in range(11, 28):
        venue = make_venue(f"2024-03-{day}T19:58:00Z")
        close = at(f"2024-03-{day}T20:00:00Z")
        low = Decimal(repr(float(venue.market.prints(symbol, venue.now, close).price.min())))
        opening = venue.market.official_price(symbol, close + 20 * 3600 * SECOND, "open")
        if low - opening > Decimal("0.05"):
            return venue, low, opening
    raise AssertionError("no day whose next open gapped below its last two minutes")
