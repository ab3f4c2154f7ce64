"""What the command modules share: consoles, common options, error handling, the container."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from vtrade import bootstrap
from vtrade.core.clock import Clock, parse_instant, to_ns
from vtrade.core.errors import VtradeError
from vtrade.settings import MarketSettings, Settings

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

SeedOption = typer.Option(None, "--seed", help="Seed of the synthetic market (default 42)")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table")
ReplayOption = typer.Option(
    None, "--replay", help="Use your own OHLCV bars (.csv, .csv.gz, .parquet) instead"
)
AtOption = typer.Option(None, "--at", help="ISO 8601 instant (default: now)")


def friendly_errors(command: F) -> F:
    """Turn expected errors into one line on stderr and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (VtradeError, ValueError) as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def build_container(seed: int | None, clock: Clock | None = None) -> bootstrap.Container:
    """The application on the environment's settings, with the market's seed if given."""
    settings = Settings()
    if seed is not None:
        market = MarketSettings(**{**settings.market.model_dump(), "seed": seed})
        settings = Settings(market=market)
    return bootstrap.build(settings, clock)


def instant_ns(text: str | None, clock: Clock) -> int:
    """The instant `text` (ISO 8601), or now on `clock` if none was given."""
    return to_ns(parse_instant(text)) if text is not None else clock.now_ns()


def print_json(data: object) -> None:
    """Print `data` as indented JSON on stdout (not through rich: no markup, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")
