"""Fixtures of the integration tests that run the assembled application."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from order_desk import Desk, start_desk
from portfolio_helpers import NOVEMBER_2026, Boot

from vtrade.bootstrap import Container, build
from vtrade.core.clock import SimulatedClock
from vtrade.settings import Settings


@pytest.fixture
def boot(fresh_database: Callable[[], str]) -> Iterator[Boot]:
    """Start the application on one database at an instant; again: a restart on it."""
    url = fresh_database()
    started: list[Container] = []

    def start(t_ns: int, redis_url: str | None = None) -> Container:
        settings = Settings(database_url=url, market=NOVEMBER_2026, redis_url=redis_url)
        app = build(settings, SimulatedClock(t_ns))
        app.start()
        started.append(app)
        return app

    yield start
    for app in started:
        app.portfolio.stop()
        app.portfolio.hot.close()
        app.store.close()


@pytest.fixture
def desk(fresh_database: Callable[[], str]) -> Iterator[Desk]:
    """An account of a started application, on SQLite, then PostgreSQL."""
    started = start_desk(fresh_database())
    yield started
    started.app.store.close()
