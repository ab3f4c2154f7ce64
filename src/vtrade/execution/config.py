"""Venue rules: leverage per asset class, maintenance margin, position cap, price collars."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from vtrade.core.clock import NS_PER_DAY
from vtrade.domain.accounts import DEFAULT_BALANCE
from vtrade.domain.instruments import AssetClass
from vtrade.execution.validation import Limits


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

    @property
    def limits(self) -> Limits:
        return Limits(self.leverage, self.max_position_share, self.collars)
