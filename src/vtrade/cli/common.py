"""What the command modules share: consoles, common options, error handling, the container."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import os
import sys
import typing
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, TypeVar

import typer
from rich.console import Console

from vtrade import bootstrap
from vtrade.core.clock import MAX_SPEED, Clock, parse_instant, to_ns
from vtrade.core.errors import VtradeError
from vtrade.market.sessions import Sessions
from vtrade.settings import Settings, SettingsError, load_settings

PIPED_WIDTH = 200  # a table piped to a file or a pager keeps every digit (Rich assumes 80)


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    sized = stream.isatty() or "COLUMNS" in os.environ  # a terminal (or the user) says how wide
    return Console(stderr=stderr, width=None if sized else PIPED_WIDTH)


out = _console()
err = _console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
E = TypeVar("E", bound=Enum)

SeedOption = typer.Option(None, "--seed", help="Seed of the synthetic market (default 42)")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table")
ReplayOption = typer.Option(
    None, "--replay", help="Use your own OHLCV bars (.csv, .csv.gz, .parquet) instead"
)
AtOption = typer.Option(None, "--at", help="ISO 8601 instant (default: now)")


def friendly_errors(command: F) -> F:
    """Turn expected errors into one `error:` line per problem on stderr and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SettingsError as exc:
            for problem in exc.problems:
                error(problem)
            raise typer.Exit(2) from None
        except (VtradeError, ValueError) as exc:
            error(str(exc))
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def options_of(group: type, name: str) -> Callable[[F], F]:
    """Give a command the options `group` declares, a dataclass whose fields default to
    typer options, after its own, and call it with them as one `group` in its parameter
    `name`: options several commands take are declared once."""
    hints = typing.get_type_hints(group)
    kind = inspect.Parameter.KEYWORD_ONLY
    added = [
        inspect.Parameter(f.name, kind, default=f.default, annotation=hints[f.name])
        for f in dataclasses.fields(group)
    ]

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != name]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {p.name: kwargs.pop(p.name) for p in added}
            return command(*args, **kwargs, **{name: group(**given)})

        parameters = [*own, *added]
        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper  # type: ignore[return-value]

    return decorate


def error(message: str) -> None:
    """Print one `error:` line on stderr (as is: no markup, no wrapping)."""
    _stderr_line("error", message)


def warn(message: str) -> None:
    """Print one `warning:` line on stderr: something failed, but the command did its work."""
    _stderr_line("warning", message)


def _stderr_line(kind: str, message: str) -> None:
    err.print(f"{kind}: {message}", markup=False, highlight=False, soft_wrap=True)


def one_of(text: str, allowed: Sequence[str], what: str) -> str:
    """The one of `allowed` that `text` names (in any case), or a `ValueError` listing them."""
    wanted = text.strip().lower()
    if wanted not in allowed:
        raise ValueError(f"unknown {what} {text!r}; allowed: {', '.join(allowed)}")
    return wanted


def choice(text: str, enum: type[E], what: str) -> E:
    """The member of `enum` that `text` names (in any case), or a `ValueError` listing them."""
    return enum(one_of(text, [str(m.value) for m in enum], what))


def settings(
    *, seed: int | None = None, database_url: str | None = None, redis_url: str | None = None
) -> Settings:
    """The environment's settings with the flags that were given over them; every command
    reads its settings here, so unknown variables and bad values are refused alike."""
    overrides: dict[str, Any] = {}
    flags: dict[str, str] = {}  # which flag set a value, for messages
    if seed is not None:
        overrides["market"], flags["market.seed"] = {"seed": seed}, "--seed"
    for name, value in (("database_url", database_url), ("redis_url", redis_url)):
        if value is not None:
            overrides[name], flags[name] = value, "--" + name.replace("_", "-")
    return load_settings(overrides, flags=flags)


def build_container(seed: int | None, clock: Clock | None = None) -> bootstrap.Container:
    """The application on the environment's settings, with the market's seed if given."""
    return bootstrap.build(settings(seed=seed), clock)


def instant_ns(
    text: str | None, clock: Clock, *, option: str = "--at", sessions: Sessions | None = None
) -> int:
    """The instant `text` (ISO 8601), or now on `clock` if none was given; with `sessions`,
    an instant outside the dates the market covers is refused in the option's terms."""
    t_ns = to_ns(parse_instant(text)) if text is not None else clock.now_ns()
    if sessions is not None:
        within(t_ns, sessions, f"{option} {text}" if text is not None else "now")
    return t_ns


def check_speed(speed: float | None) -> None:
    """Refuse a `--speed` the simulated clock cannot run at, in the flag's terms."""
    if speed is not None and not 0 < speed <= MAX_SPEED:  # NaN too
        raise ValueError(f"--speed must be positive and at most {MAX_SPEED:,.0f}, got {speed:g}")


def within(t_ns: int, sessions: Sessions, what: str) -> None:
    """Refuse an instant outside the supported days, saying which days those are."""
    if not sessions.first_ns <= t_ns < sessions.last_ns:
        side = "before" if t_ns < sessions.first_ns else "after"
        raise ValueError(
            f"{what} is {side} the days the simulated market covers: "
            f"{sessions.first_day} to {sessions.last_day} (UTC)"
        )


def print_json(data: object) -> None:
    """Print `data` as indented JSON on stdout (not through rich: no markup, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")
