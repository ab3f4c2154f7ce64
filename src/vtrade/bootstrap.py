"""The composition root: build every component from `Settings`. Nothing else wires parts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from vtrade.adapters.hot import MemoryHotStore, RedisHotStore
from vtrade.adapters.sql.equity import SqlEquityStore
from vtrade.adapters.sql.identity import SqlIdentityStore
from vtrade.adapters.sql.library_versions import SqlLibraryVersions
from vtrade.adapters.sql.store import SqlStore
from vtrade.adapters.sql.watchlists import SqlAccountSettings, SqlWatchlistStore
from vtrade.app import library_versions
from vtrade.app.identity import IdentityService
from vtrade.app.portfolio import PortfolioConfig, PortfolioService
from vtrade.app.portfolio_queries import PortfolioQueries
from vtrade.app.ports import (
    AccountSettingsStore,
    HotStore,
    LibraryVersionStore,
    WatchlistStore,
)
from vtrade.app.services import TradingService
from vtrade.core.bus import InProcessBus
from vtrade.core.clock import NS_PER_HOUR, Clock, LiveClock
from vtrade.core.errors import VtradeError
from vtrade.core.ids import IdGenerator
from vtrade.domain.instruments import AssetClass
from vtrade.execution import financing, value_dates
from vtrade.execution.accounting import margin_rates
from vtrade.execution.config import ExecutionConfig
from vtrade.execution.engine import ExecutionEngine
from vtrade.execution.fees import FeeSchedule
from vtrade.market.books import FeedTouches, OrderBooks
from vtrade.market.catalog import Catalog
from vtrade.market.replay import ReplayFeed
from vtrade.market.sessions import Sessions
from vtrade.market.synthetic import MarketConfig, SyntheticMarket
from vtrade.portfolio.alerts import AlertConfig
from vtrade.portfolio.universe import Universe
from vtrade.settings import ExecutionSettings, PortfolioSettings, Settings, hidden_url


@dataclass(frozen=True, slots=True)
class Container:
    """The assembled application."""

    settings: Settings
    clock: Clock
    bus: InProcessBus
    catalog: Catalog
    sessions: Sessions
    market: SyntheticMarket
    engine: ExecutionEngine
    store: SqlStore
    trading: TradingService
    portfolio: PortfolioService
    queries: PortfolioQueries
    identity: IdentityService
    watchlists: WatchlistStore
    account_settings: AccountSettingsStore  # client settings (Alpaca account configurations)
    library_versions: LibraryVersionStore  # those the market and the ledger were computed with

    def start(self) -> None:
        """Migrate and load the ledger, publish what was pending, then value every account.
        First a warning names each library (numpy, calendars) whose version differs from the
        one the database was last served with, before the downtime is worked on it, and the
        current ones are recorded."""
        self.store.migrate()  # the table of versions
        library_versions.note_changes(self.library_versions, library_versions.installed())
        self.trading.start()
        self.portfolio.start()


def build(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    relay_on_commit: bool = True,
    publishes: bool = True,
    identity_clock: Clock | None = None,
) -> Container:
    """Assemble the application from settings (read from the environment when not given).

    The database (and Redis, when configured) is connected to once here, so that one that
    cannot be reached fails at once in one line; `container.trading.start()` migrates and
    loads the store.
    `relay_on_commit=False`: the outbox is relayed by the caller (a server, on a timer),
    except after opening or resetting an account, which the valuation must know at once.
    `publishes=False`: never relay (a CLI command on a database a server may be serving: the
    server publishes every event, the command's own included).
    `identity_clock` (default: the wall clock, whatever `clock` is): users, keys and web
    sessions live in real time, as the CLI that makes them and the browser's cookie do; a
    session of a server at speed 60 lasted 7 simulated days, under three real hours.
    """
    settings = settings or Settings()
    clock = clock or LiveClock()
    m = settings.market
    catalog = Catalog.load(m.catalog_path)
    sessions = Sessions(m.first_day, m.last_day)
    market = SyntheticMarket(
        catalog,
        sessions,
        MarketConfig(seed=m.seed, anchor=m.anchor_day, book_levels=m.book_levels),
    )
    engine = ExecutionEngine(
        catalog,
        sessions,
        market,
        _fees(settings.execution, catalog),
        IdGenerator(f"{m.seed}:{clock.now_ns()}"),  # unique across restarts, repeatable in tests
        _execution(settings.execution, catalog),
    )
    bus = InProcessBus()
    hot = _hot_store(settings.redis_url)  # first: a start that fails on it creates no database
    store = _open_store(settings.database_url, clock)
    trading = TradingService(
        engine,
        store,
        bus,
        clock,
        relay_every=1 if relay_on_commit else 0,
        relay_account_events=True,
        publishes=publishes,
        outbox_retention_ns=round(settings.execution.outbox_retention_hours * NS_PER_HOUR),
    )
    portfolio = PortfolioService(
        portfolio_universe(catalog, engine.config),
        market,
        sessions,
        store,
        SqlEquityStore(store.engine),
        hot,
        bus,
        clock,
        portfolio_config(settings.portfolio, engine.config.max_position_share),
    )
    queries = PortfolioQueries(portfolio, store, market)
    identity = IdentityService(
        SqlIdentityStore(store.engine), trading, identity_clock or LiveClock()
    )
    return Container(
        settings,
        clock,
        bus,
        catalog,
        sessions,
        market,
        engine,
        store,
        trading,
        portfolio,
        queries,
        identity,
        SqlWatchlistStore(store.engine),
        SqlAccountSettings(store.engine),
        SqlLibraryVersions(store.engine),
    )


def portfolio_universe(catalog: Catalog, config: ExecutionConfig) -> Universe:
    """The valuation's instrument columns, with the venue's margin rules."""
    return Universe(
        catalog, lambda inst: _floats(margin_rates(inst, config.leverage, config.maintenance))
    )


def portfolio_config(s: PortfolioSettings, position_cap: Decimal) -> PortfolioConfig:
    """The portfolio's settings; `position_cap` is the engine's (its over-cap alert warns of
    the cap the venue enforces, whatever it is set to)."""
    return PortfolioConfig(
        stream_every_ns=s.stream_ms * 1_000_000,
        hot_every_ns=s.hot_ms * 1_000_000,
        snapshot_every_ns=s.snapshot_minutes * 60 * 1_000_000_000,
        close_calendar=s.close_calendar,
        alerts=AlertConfig(
            nav_milestones=tuple(float(m) for m in s.nav_milestones),
            diversified_groups=s.diversified_groups,
            position_cap=float(position_cap),
        ),
    )


def _floats(pair: tuple[Decimal, Decimal]) -> tuple[float, float]:
    return float(pair[0]), float(pair[1])


def _hot_store(redis_url: str | None) -> HotStore:
    return RedisHotStore(redis_url) if redis_url else MemoryHotStore()


def execution_config(s: ExecutionSettings) -> ExecutionConfig:
    """Translate settings into the engine's config (leverage overrides by asset class)."""
    base = ExecutionConfig()
    leverage = dict(base.leverage)
    for name, value in s.leverage.items():
        try:
            leverage[AssetClass(name.lower())] = value
        except ValueError:
            allowed = ", ".join(c.value for c in AssetClass)
            raise ValueError(
                f"unknown asset class {name!r} in leverage; allowed: {allowed}"
            ) from None
    return replace(
        base,
        leverage=leverage,
        maintenance=s.maintenance_margin,
        max_position_share=s.max_position_share,
        initial_balance=s.initial_balance,
        step_ns=s.step_ms * 1_000_000,
        catch_up_ns=int(s.catch_up_hours * NS_PER_HOUR),
        margin_interest_rate=s.margin_interest_percent / 100,
        borrow_fee_rate=s.borrow_fee_percent / 100,
        liquidate_margin_calls=s.liquidate_margin_calls,
        benchmark_rates={
            **base.benchmark_rates,
            **{c: r / 100 for c, r in s.benchmark_rates.items()},
        },
        day_counts={**base.day_counts, **s.day_counts},
        fx_financing_spread=s.fx_financing_spread_percent / 100,
        index_financing_spread=s.index_financing_spread_percent / 100,
    )


def _execution(s: ExecutionSettings, catalog: Catalog) -> ExecutionConfig:
    config = execution_config(s)
    financing.check_rates_cover(config.benchmark_rates, catalog)
    value_dates.packaged_calendars()  # a broken calendar table fails the start, not a roll
    return config


def _fees(s: ExecutionSettings, catalog: Catalog) -> FeeSchedule:
    fees = FeeSchedule.load(s.fees_path)
    fees.check_covers(catalog)
    return fees.with_plan(s.us_equity_plan) if s.us_equity_plan else fees


class DatabaseUnavailableError(VtradeError):
    """The database cannot be opened: a server down or refusing us, a file we cannot create."""

    code = 50320


def open_store(settings: Settings) -> SqlStore:
    """The ledger's database alone, without the market and engines (`vtrade migrate`)."""
    return _open_store(settings.database_url, LiveClock())


def _open_store(url: str, clock: Clock) -> SqlStore:
    """Open the ledger's database and connect once, as `RedisHotStore` does, so that a
    database that cannot be used is named in one line (password hidden) with the reason."""
    try:
        store = SqlStore(_prepare(url), clock=clock)
    except (OSError, SQLAlchemyError) as exc:
        raise _unavailable(url, exc) from exc
    try:
        with store.engine.connect():
            pass
    except (OSError, SQLAlchemyError) as exc:
        store.close()
        raise _unavailable(url, exc) from exc
    return store


def _unavailable(url: str, exc: Exception) -> DatabaseUnavailableError:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = (line.strip() for line in str(cause).splitlines())
    reason = "; ".join(line for line in lines if line)  # drivers' messages span lines
    if url.startswith("sqlite"):
        hint = "point VTRADE_DATABASE_URL at a file this user may create and write"
    else:
        hint = "start the database or point VTRADE_DATABASE_URL at a reachable one"
    shown = hidden_url(url)
    return DatabaseUnavailableError(
        f"database at {shown} could not be opened ({type(cause).__name__}: {reason}); {hint}",
        url=shown,
    )


def _prepare(url: str) -> str:
    """Create the directory of a SQLite file on first use."""
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return url


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
