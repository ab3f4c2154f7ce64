"""Settings from the environment (prefix `VTRADE_`, nested with `__`) and CLI flags.

`load_settings` is how entry points read them: an unknown `VTRADE_…` variable or a bad value
raises `SettingsError`, whose `problems` are one readable line each.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from vtrade.adapters.hot.redis import redact
from vtrade.core.errors import ValidationError
from vtrade.core.money import is_currency_code
from vtrade.domain.accounts import DEFAULT_BALANCE, balance_problem
from vtrade.execution.config import checked_day_counts

PREFIX = "VTRADE_"
NESTED = "__"
DATABASE_URLS = "use sqlite:///path.db or postgresql://user:pass@host/db"
# Variables of the test suite (tests/conftest.py, .ci/run), not settings: never refused.
_TEST_VARIABLES = re.compile(r"VTRADE_(REQUIRE_SERVICES|TEST_\w+)", re.IGNORECASE)
# Variables of the commands that trade through a running server (`vtrade account`, `vtrade
# order`...): its address and the API key to send. Not settings of this process, and a shell
# that exports them runs `vtrade serve` or `vtrade keys` too: never refused.
CLIENT_URL, CLIENT_KEY_ID, CLIENT_SECRET = "VTRADE_URL", "VTRADE_KEY_ID", "VTRADE_SECRET"
CLIENT_TIMEOUT = "VTRADE_TIMEOUT"  # seconds a trading command waits for an answer
CLIENT_VARIABLES = (CLIENT_URL, CLIENT_KEY_ID, CLIENT_SECRET, CLIENT_TIMEOUT)


class MarketSettings(BaseModel):
    """The synthetic market: seed, supported date range, catalog file, book depth."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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


MIN_LEVERAGE, MAX_LEVERAGE = Decimal(1), Decimal(100)


def _yearly_percent(default: str, description: str) -> Any:
    """A rate in percent a year, 0 to 100."""
    return Field(default=Decimal(default), ge=0, le=100, description=description)


T = typing.TypeVar("T")


def _by_currency_code(value: Mapping[str, T], what: str) -> dict[str, T]:
    """`value` keyed by upper-case currency codes, in any case as given
    (VTRADE_EXECUTION__BENCHMARK_RATES__USD arrives as "usd"); refuse one given twice (one
    would silently overwrite the other) or a key that is not a code."""
    upper = {currency.upper(): item for currency, item in value.items()}
    if len(upper) < len(value):
        codes = sorted(value, key=str.upper)
        twice = [c for c in codes if sum(o.upper() == c.upper() for o in codes) > 1]
        raise ValueError(f"{what} set twice, as {' and '.join(twice)}: set it once")
    for currency in upper:
        if not is_currency_code(currency):
            raise ValueError(f"{what} currency {currency!r}: use a code like USD")
    return upper


class ExecutionSettings(BaseModel):
    """Venue rules and fee schedule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_balance: Decimal = Field(
        default=DEFAULT_BALANCE, description="VCR, in whole cents, at most 1e12"
    )
    max_position_share: Decimal = Field(default=Decimal("0.25"), gt=0, le=1)
    maintenance_margin: Decimal = Field(
        default=Decimal("0.25"),
        ge=0,
        le=1,  # above 0.5 maintenance exceeds the initial margin: a stress setting
        description="maintenance at 2:1; it scales with the initial margin (FX at 20:1: 2.5%)",
    )
    liquidate_margin_calls: bool = Field(
        default=True,
        description="close positions of an account whose equity falls below its maintenance "
        "(false: only a MarginCalled event)",
    )
    leverage: dict[str, Decimal] = Field(
        default_factory=dict, description='Per asset class, e.g. {"fx": 20}; default 2 (crypto 1)'
    )
    fees_path: Path | None = Field(default=None, description="TOML that replaces the fee file")
    us_equity_plan: str | None = Field(default=None, description="fixed or tiered")
    step_ms: int = Field(default=1000, ge=10, le=60_000)
    margin_interest_percent: Decimal = _yearly_percent(
        "6.5", "a year, on cash borrowed on margin overnight (0: none)"
    )
    borrow_fee_percent: Decimal = _yearly_percent(
        "0.3", "a year, on the value of short stock and ETFs held overnight (0: none)"
    )
    benchmark_rates: dict[str, Decimal] = Field(
        default_factory=dict,
        description='percent a year by currency, over the packaged ones, e.g. {"USD": 4.5}: '
        "what FX and index contracts are financed at overnight",
    )
    day_counts: dict[str, int] = Field(
        default_factory=dict,
        description="days in a currency's money-market year (360 or 365), over the packaged "
        'ones, e.g. {"PLN": 365}: what its FX and index financing divides a year\'s rate by',
    )
    fx_financing_spread_percent: Decimal = _yearly_percent(
        "1.0", "a year: the broker's spread on an FX position's overnight rollover"
    )
    index_financing_spread_percent: Decimal = _yearly_percent(
        "1.5", "a year: over the benchmark for a long index position, under it for a short"
    )
    catch_up_hours: float = Field(
        default=168,
        ge=0,
        le=24 * 366,
        description="the most downtime a start works open orders through (0: none, as if the "
        "market had stood still)",
    )
    outbox_retention_hours: float = Field(
        default=168, ge=0, description="published events stay in the outbox this long"
    )

    @field_validator("initial_balance")
    @classmethod
    def _balance_allowed(cls, value: Decimal) -> Decimal:
        problem = balance_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("benchmark_rates")
    @classmethod
    def _rates_in_range(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        value = _by_currency_code(value, "benchmark rate")
        for currency, percent in value.items():
            if not (percent.is_finite() and -100 <= percent <= 100):
                raise ValueError(
                    f"benchmark rate of {currency} is {percent}%; allowed: -100 to 100 (percent "
                    "a year)"
                )
        return value

    @field_validator("day_counts")
    @classmethod
    def _day_counts_allowed(cls, value: dict[str, int]) -> dict[str, int]:
        return checked_day_counts(
            _by_currency_code(value, "day count"), "VTRADE_EXECUTION__DAY_COUNTS"
        )

    @field_validator("leverage")
    @classmethod
    def _leverage_in_range(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for name, times in value.items():
            if not (times.is_finite() and MIN_LEVERAGE <= times <= MAX_LEVERAGE):
                raise ValueError(
                    f"leverage of {name} is {times}; allowed: {MIN_LEVERAGE} (cash only) "
                    f"to {MAX_LEVERAGE}"
                )
        return value


class PortfolioSettings(BaseModel):
    """Cadences of the portfolio service and its alert thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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


class Listening(BaseModel):
    """Where the HTTP server listens: the part of `ApiSettings` the trading commands read
    too (`served_address`), other keys ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535, description="0: any free port")


class ApiSettings(Listening):
    """The HTTP server: where it listens, how fast each key may call it, how time moves."""

    model_config = ConfigDict(extra="forbid", frozen=True)
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
    ws_compression: bool = Field(
        default=True,
        description="Compress WebSocket frames for clients that ask (permessage-deflate): "
        "fewer bytes, more CPU per client",
    )


class Settings(BaseSettings):
    """Everything `bootstrap` needs. Unknown keys are errors, and so are unknown `VTRADE_…`
    environment variables; nothing is read at import.

    The sections are plain models, not settings of their own: as settings they would also read
    unprefixed variables (`PORT`, `SEED`, `HOST`…) from the environment.
    """

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_nested_delimiter=NESTED, extra="forbid", frozen=True
    )

    market: MarketSettings = Field(default_factory=MarketSettings)
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)
    database_url: str = Field(default_factory=default_database_url)
    redis_url: str | None = Field(
        default=None, description="Redis for hot state and rankings (default: in memory)"
    )
    portfolio: PortfolioSettings = Field(default_factory=PortfolioSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            backend: str | None = make_url(value).get_backend_name()
        except (ArgumentError, ValueError):  # ValueError: e.g. a port that is not a number
            backend = None
        if backend is None:
            raise ValueError(f"is not a database URL; {DATABASE_URLS}")
        if backend not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(f"is not a SQLite or PostgreSQL URL; {DATABASE_URLS}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read the flags (init arguments) over the environment, refusing unknown variables."""
        return (init_settings, _KnownVariables(settings_cls), dotenv_settings, file_secret_settings)


class SettingsError(ValidationError):
    """Settings that cannot be used: unknown variables or bad values, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems), problems=list(problems))
        self.problems = tuple(problems)


def load_settings(
    overrides: Mapping[str, Any] | None = None, *, flags: Mapping[str, str] | None = None
) -> Settings:
    """Read the settings from the environment with `overrides` (CLI flags) over them.

    `flags` names the flag behind an override by its path (`{"market.seed": "--seed"}`), for
    messages. Raise `SettingsError` naming each unknown variable or bad value in one line.
    """
    try:
        return Settings(**(overrides or {}))
    except PydanticValidationError as exc:
        raise SettingsError([_problem(e, flags or {}) for e in exc.errors()]) from None


class _Served(BaseSettings):
    """The settings of `vtrade serve`'s address alone (`VTRADE_API__HOST`, `__PORT`, or
    `VTRADE_API` as JSON); every other variable is left unread."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_nested_delimiter=NESTED, extra="ignore", frozen=True
    )

    api: Listening = Field(default_factory=Listening)


def served_address() -> Listening:
    """The host and port `vtrade serve` listens on by the environment, read and checked as it
    reads them, with no other setting (a bad value of one the caller does not use stops
    nothing); `SettingsError` for a bad host or port."""
    try:
        return _Served().api
    except PydanticValidationError as exc:
        raise SettingsError([_problem(e, {}) for e in exc.errors()]) from None


def variable_names() -> tuple[list[str], list[str]]:
    """The environment variables that are settings: exact names, and the prefixes of those
    that take any key (`VTRADE_EXECUTION__LEVERAGE__FX`)."""
    names: list[str] = []
    keyed: list[str] = []
    for field, info in Settings.model_fields.items():
        name = _variable((field,))
        names.append(name)
        section = info.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            for sub, sub_info in section.model_fields.items():
                names.append(_variable((field, sub)))
                if typing.get_origin(sub_info.annotation) is dict:
                    keyed.append(_variable((field, sub)) + NESTED)
    return names, keyed


class _KnownVariables(EnvSettingsSource):
    """The environment source, refusing `VTRADE_…` variables that are no setting (typos)."""

    def __call__(self) -> dict[str, Any]:
        check_variable_names(self.env_vars)
        return super().__call__()


def check_variable_names(environ: Iterable[str] | None = None) -> None:
    """Refuse (`SettingsError`) `VTRADE_…` variables that are no setting and none of the
    trading commands' (typos), in `environ` (default: the process's environment)."""
    names, keyed = variable_names()
    unknown = sorted(
        name.upper()
        for name in (os.environ if environ is None else environ)
        if name.upper().startswith(PREFIX)
        and name.upper() not in names
        and not name.upper().startswith(tuple(keyed))
        and not _TEST_VARIABLES.fullmatch(name)
        and name.upper() not in CLIENT_VARIABLES
    )
    if unknown:
        known = [*names, *CLIENT_VARIABLES]  # a trading command's too: VTRADE_SECERT is a typo
        raise SettingsError([_unknown(name, "environment variable", known) for name in unknown])


def _unknown(name: str, what: str, names: list[str]) -> str:
    """Name an unknown setting, the closest valid names (if any) and where all are listed."""
    close = _closest(name, names)
    hint = f"did you mean {' or '.join(close)}? Every" if close else "every"
    return f"unknown {what} {name}; {hint} setting is listed under Configuration in README.md"


def _closest(name: str, names: list[str]) -> list[str]:
    """The valid names closest to `name` (those nearly as close as the closest one)."""
    suffixes = {n.removeprefix(PREFIX): n for n in names}
    wanted = name.upper().removeprefix(PREFIX)
    close = difflib.get_close_matches(wanted, suffixes, n=3, cutoff=0.6)
    if not close:
        return []
    ratios = [difflib.SequenceMatcher(None, wanted, c).ratio() for c in close]
    return [suffixes[c] for c, r in zip(close, ratios, strict=True) if r >= ratios[0] - 0.1]


def _variable(path: Sequence[object]) -> str:
    return PREFIX + NESTED.join(str(part).upper() for part in path)


def _problem(error: ErrorDetails, flags: Mapping[str, str]) -> str:
    """One line for one pydantic error: the variable (or flag), the value, what is wrong."""
    if error["type"] == "extra_forbidden":
        path = [str(part) for part in error["loc"]]
        name = flags.get(".".join(path)) or _variable(path)
        return _unknown(name, "setting", variable_names()[0])
    fields, inner = _split(error["loc"])
    name = flags.get(".".join(fields)) or _variable(fields)
    value = error["input"]
    if fields[-1:] in (["database_url"], ["redis_url"]) and isinstance(value, str):
        value = hidden_url(value)
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    where = "".join(f" (item {part!r})" for part in inner)
    message = error["msg"]
    if error["type"] == "value_error":
        return f"{name}{where} {shown} {message.removeprefix('Value error, ')}"
    return f"{name}{where} {shown} is invalid: {message[:1].lower()}{message[1:]}"


def hidden_url(url: str) -> str:
    """`url` with its password hidden (`***` if it cannot even be split into parts)."""
    try:
        parsed = make_url(url)
        secret = {key: "***" for key in parsed.query if key.lower() == "password"}  # libpq's
        shown = parsed.update_query_dict(secret).render_as_string(hide_password=True)
        return shown.replace("%2A%2A%2A", "***")  # as the query's value, not percent-encoded
    except (ArgumentError, ValueError):
        pass
    try:
        return redact(url)
    except ValueError:
        return "***"


def _split(loc: tuple[int | str, ...]) -> tuple[list[str], list[int | str]]:
    """Split an error's location into the setting's fields and the key or item within its
    value (of a mapping or a list); union branches are dropped."""
    fields: list[str] = []
    known: dict[str, Any] = dict(Settings.model_fields)
    annotation: Any = None
    for part in loc:
        if not (isinstance(part, str) and part in known):
            container = typing.get_origin(annotation) in (dict, tuple, list)
            return fields or [str(part)], [part] if fields and container else []
        fields.append(part)
        annotation = known[part].annotation
        is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        known = dict(annotation.model_fields) if is_model else {}
    return fields, []
