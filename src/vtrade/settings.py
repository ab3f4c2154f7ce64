"""Settings from the environment (prefix `VTRADE_`, nested with `__`) and CLI flags."""

from __future__ import annotations

from datetime import date
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


class Settings(BaseSettings):
    """Everything `bootstrap` needs. Unknown keys are errors; nothing is read at import."""

    model_config = SettingsConfigDict(
        env_prefix="VTRADE_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    market: MarketSettings = Field(default_factory=MarketSettings)
