"""Venue rules: leverage per asset class, maintenance margin, position cap, price collars,
overnight financing."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any

from vtrade.core.clock import NS_PER_DAY
from vtrade.core.money import is_currency_code
from vtrade.domain.accounts import DEFAULT_BALANCE
from vtrade.domain.instruments import AssetClass
from vtrade.execution.validation import Limits

BENCHMARKS_FILE = "benchmark_rates.toml"
DAY_COUNTS = (360, 365)  # ACT/360 and ACT/365: the money-market years a currency may count
DEFAULT_DAY_COUNT = 360  # a currency with no day count in the file


@functools.cache
def _packaged_benchmarks() -> dict[str, Any]:
    text = resources.files("vtrade.execution").joinpath(f"data/{BENCHMARKS_FILE}").read_text()
    return tomllib.loads(text, parse_float=Decimal)


@functools.cache
def packaged_benchmark_rates() -> Mapping[str, Decimal]:
    """The packaged overnight benchmark rates (`data/benchmark_rates.toml`), a year, by
    currency, as fractions (3.88 percent is 0.0388)."""
    table = _packaged_benchmarks()["rates"]
    return {currency: Decimal(rate) / 100 for currency, rate in table.items()}


@functools.cache
def packaged_day_counts() -> Mapping[str, int]:
    """The days in each currency's money-market year (`data/benchmark_rates.toml`)."""
    return checked_day_counts(_packaged_benchmarks().get("day_count", {}), BENCHMARKS_FILE)


def checked_day_counts(table: Mapping[str, object], source: str) -> dict[str, int]:
    """Return the `[day_count]` table of `source`, refusing a currency that is not a code or
    counts other than 360 or 365 days a year."""
    days: dict[str, int] = {}
    for currency, count in table.items():
        if not is_currency_code(currency):
            raise ValueError(f"day count currency {currency!r} in {source}: use a code like USD")
        if type(count) is not int or count not in DAY_COUNTS:  # not True, nor 365.0
            raise ValueError(
                f"day count of {currency} in {source} is {count!r}; allowed: 360 or 365 (days "
                "a year: ACT/360 or ACT/365)"
            )
        days[currency] = count
    return days


@dataclass(frozen=True, slots=True)
class ExecutionConfig:
    """Venue rules. Leverage is per asset class (2:1 by default; crypto is cash-only)."""

    leverage: Mapping[AssetClass, Decimal] = field(
        default_factory=lambda: (
            {c: Decimal(2) for c in AssetClass} | {AssetClass.CRYPTO: Decimal(1)}
        )
    )
    maintenance: Decimal = Decimal("0.25")
    max_position_share: Decimal = Decimal("0.25")
    collars: Mapping[AssetClass, Decimal] = field(
        default_factory=lambda: (
            {c: Decimal("0.10") for c in AssetClass}
            | {AssetClass.CRYPTO: Decimal("0.20"), AssetClass.FX: Decimal("0.05")}
        )
    )
    initial_balance: Decimal = DEFAULT_BALANCE
    step_ns: int = 1_000_000_000  # how often working orders meet the market
    catch_up_ns: int = 7 * NS_PER_DAY  # the most downtime a start works open orders through
    margin_interest_rate: Decimal = Decimal("0.065")  # a year, on a debit held overnight
    borrow_fee_rate: Decimal = Decimal("0.003")  # a year, on short stock held overnight
    liquidate_margin_calls: bool = True  # see `liquidation`; False: margin calls only
    # a year, by currency: what FX and index contracts are financed at (see `financing`)
    benchmark_rates: Mapping[str, Decimal] = field(
        default_factory=lambda: dict(packaged_benchmark_rates())
    )
    # days in each currency's money-market year: a day of its rate is the rate over them
    day_counts: Mapping[str, int] = field(default_factory=lambda: dict(packaged_day_counts()))
    fx_financing_spread: Decimal = Decimal("0.01")  # a year, the broker's, on FX positions
    index_financing_spread: Decimal = Decimal("0.015")  # a year, on index positions (IBKR's)

    @property
    def contract_financing(self) -> bool:
        """Whether FX and index contracts pay or earn anything overnight."""
        rates = self.benchmark_rates.values()
        return bool(self.fx_financing_spread or self.index_financing_spread or any(rates))

    def days_per_year(self, currency: str) -> int:
        """The days of `currency`'s money-market year: 360 (ACT/360) or 365 (ACT/365)."""
        return self.day_counts.get(currency, DEFAULT_DAY_COUNT)

    @property
    def limits(self) -> Limits:
        return Limits(self.leverage, self.max_position_share, self.collars)
