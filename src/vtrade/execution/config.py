"""Venue rules: leverage per asset class, maintenance margin, position cap, price collars,
overnight financing."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources

from vtrade.core.clock import NS_PER_DAY
from vtrade.domain.accounts import DEFAULT_BALANCE
from vtrade.domain.instruments import AssetClass
from vtrade.execution.validation import Limits


@functools.cache
def packaged_benchmark_rates() -> Mapping[str, Decimal]:
    """The packaged overnight benchmark rates (`data/benchmark_rates.toml`), a year, by
    currency, as fractions (3.88 percent is 0.0388)."""
    text = resources.files("vtrade.execution").joinpath("data/benchmark_rates.toml").read_text()
    table = tomllib.loads(text, parse_float=Decimal)["rates"]
    return {currency: Decimal(rate) / 100 for currency, rate in table.items()}


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
    fx_financing_spread: Decimal = Decimal("0.01")  # a year, the broker's, on FX positions
    index_financing_spread: Decimal = Decimal("0.015")  # a year, on index positions (IBKR's)

    @property
    def contract_financing(self) -> bool:
        """Whether FX and index contracts pay or earn anything overnight."""
        rates = self.benchmark_rates.values()
        return bool(self.fx_financing_spread or self.index_financing_spread or any(rates))

    @property
    def limits(self) -> Limits:
        return Limits(self.leverage, self.max_position_share, self.collars)
