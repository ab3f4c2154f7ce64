"""The composition root: build every component from `Settings`. Nothing else wires parts."""

from __future__ import annotations

from dataclasses import dataclass

from vtrade.core.bus import InProcessBus
from vtrade.core.clock import Clock, LiveClock
from vtrade.market.catalog import Catalog
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
