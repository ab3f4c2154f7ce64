"""The composition root: build every component from `Settings`. Nothing else wires parts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vtrade.core.bus import InProcessBus
from vtrade.core.clock import Clock, LiveClock
from vtrade.market.books import FeedTouches, OrderBooks
from vtrade.market.catalog import Catalog
from vtrade.market.replay import ReplayFeed
from vtrade.market.sessions import Sessions
from vtrade.market.synthetic import MarketConfig, SyntheticMarket
from vtrade.settings import Settings


@dataclass(frozen=True, slots=True)
class Container:
    """The assembled application."""

    settings: Settings
    clock: Clock
    bus: InProcessBus
    catalog: Catalog
    sessions: Sessions
    market: SyntheticMarket


def build(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    """Assemble the application from settings (read from the environment when not given)."""
    settings = settings or Settings()
    m = settings.market
    catalog = Catalog.load(m.catalog_path)
    sessions = Sessions(m.first_day, m.last_day)
    market = SyntheticMarket(
        catalog,
        sessions,
        MarketConfig(seed=m.seed, anchor=m.anchor_day, book_levels=m.book_levels),
    )
    return Container(settings, clock or LiveClock(), InProcessBus(), catalog, sessions, market)


@dataclass(frozen=True, slots=True)
class Replay:
    """A replay of the user's own bars, with books for the symbols the catalog knows."""

    feed: ReplayFeed
    books: OrderBooks


def build_replay(paths: Sequence[Path | str], container: Container) -> Replay:
    """Load OHLCV files; symbols in the catalog quote with their own tick and spread."""
    symbols = ReplayFeed.from_files(paths).symbols()
    known = [container.catalog.get(s) for s in symbols if s in container.catalog]
    feed = ReplayFeed.from_files(
        paths,
        spreads_bps={i.symbol: i.market.typical_spread_bps for i in known},
        tick_sizes={i.symbol: i.tick_size for i in known},
    )
    books = OrderBooks(
        FeedTouches(feed.quote), container.catalog.get, container.market.books.levels
    )
    return Replay(feed, books)
