"""Settings from the environment (prefix `VTRADE_`, nested with `__`) and CLI flags."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MarketSettings(BaseSettings):
    """The synthetic market: seed, supported date range, catalog file, book depth."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    seed: int = Field(default=42, description="Seed of the synthetic market")
    catalog_path: Path | None = Field(default=None, description="CSV that replaces the catalog")
    first_day: date = date(2006, 1, 1)
    last_day: date = date(2031, 12, 31)
    anchor_day: date = Field(
        default=date(2026, 11, 20), description="Date whose close equals the reference prices"
    )
    book_levels: int = Field(default=20, ge=10, le=100)


def default_database_url() -> str:
    """A SQLite file in the user's home: `~/.vtrade/vtrade.db`."""
    return f"sqlite:///{Path.home() / '.vtrade' / 'vtrade.db'}"


class ExecutionSettings(BaseSettings):
    """Venue rules and fee schedule."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    initial_balance: Decimal = Field(default=Decimal(1_000_000), gt=0)
    max_position_share: Decimal = Field(default=Decimal("0.25"), gt=0, le=1)
    maintenance_margin: Decimal = Field(default=Decimal("0.25"), ge=0, le=1)
    leverage: dict[str, Decimal] = Field(
        default_factory=dict, description='Per asset class, e.g. {"fx": 20}; default 2 (crypto 1)'
    )
    fees_path: Path | None = Field(default=None, description="TOML that replaces the fee file")
    us_equity_plan: str | None = Field(default=None, description="fixed or tiered")
    step_ms: int = Field(default=1000, ge=10, le=60_000)
    outbox_retention_hours: float = Field(
        default=168, ge=0, description="published events stay in the outbox this long"
    )


class PortfolioSettings(BaseSettings):
    """Cadences of the portfolio service and its alert thresholds."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    stream_ms: int = Field(default=250, ge=10, description="Coalescing of streamed deltas")
    hot_ms: int = Field(default=1000, ge=10, description="Hot store writes of changed accounts")
    snapshot_minutes: int = Field(default=5, ge=1, le=1440, description="Intraday snapshots")
    close_calendar: str = Field(default="XNYS", description="Calendar whose close ends the day")
    nav_milestones: tuple[Decimal, ...] = (
        Decimal(1_500_000),
        Decimal(2_000_000),
        Decimal(5_000_000),
        Decimal(10_000_000),
    )
    diversified_groups: int = Field(default=5, ge=1)


class ApiSettings(BaseSettings):
    """The HTTP server: where it listens, how fast each key may call it, how time moves."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    rate_per_second: float = Field(
        default=200.0, ge=0, description="Sustained requests per second per API key; 0: no limit"
    )
    rate_burst: int = Field(default=400, ge=1, description="Requests a key may send at once")
    order_batch: int = Field(
        default=512, ge=1, description="Most orders committed together (1: a commit per order)"
    )
    step_ms: int = Field(
        default=100, ge=5, le=10_000, description="Real time between market and portfolio steps"
    )
    ws_queue: int = Field(
        default=256, ge=8, description="Messages a WebSocket client may lag before it is dropped"
    )
    cookie_secure: bool = Field(default=True, description="Send the session cookie over HTTPS only")


class Settings(BaseSettings):
    """Everything `bootstrap` needs. Unknown keys are errors; nothing is read at import."""

    model_config = SettingsConfigDict(
        env_prefix="VTRADE_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    market: MarketSettings = Field(default_factory=MarketSettings)
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)
    database_url: str = Field(default_factory=default_database_url)
    redis_url: str | None = Field(
        default=None, description="Redis for hot state and rankings (default: in memory)"
    )
    portfolio: PortfolioSettings = Field(default_factory=PortfolioSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
