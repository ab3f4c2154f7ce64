"""FINRA Rule 4210(c)(2): the maintenance margin of stock sold short, in account currency.

A short of a US-listed stock or ETF needs the greater of 30% of its value or $5.00 a share when
it trades at $5.00 a share or more, and the greater of all its value or $2.50 a share below
that. It is a floor under the venue's own maintenance rate (`MarginRates`), which a long and
every other short use alone. The portfolio engine applies the same rule to floats
(`portfolio.kernels.short_stock_maintenance`).
"""

from __future__ import annotations

from decimal import Decimal

from vtrade.domain.instruments import Instrument

LOW_PRICE = 5  # a share below it is low-priced
SHORT_RATE = Decimal("0.30")
PER_SHARE = 5
LOW_PRICE_PER_SHARE = Decimal("2.50")
MIN_EQUITY_TO_SHORT = Decimal(2_000)  # FINRA 4210(b): no short sale under it


def short_rule_applies(inst: Instrument) -> bool:
    """Stock and ETFs quoted in dollars: what a US broker lends to short sellers."""
    return inst.shares and inst.currency == "USD"


def short_minimum(inst: Instrument, value: Decimal, shares: Decimal) -> Decimal:
    """The rule's requirement for a short of `shares` of `inst` worth `value`; 0 where the
    rule does not apply (the venue's rates alone then)."""
    return short_stock_maintenance(value, shares) if short_rule_applies(inst) else Decimal(0)


def short_stock_maintenance(value: Decimal, shares: Decimal) -> Decimal:
    """The rule's requirement for a short of `shares` worth `value` (both unsigned)."""
    if value >= LOW_PRICE * shares:
        return max(SHORT_RATE * value, PER_SHARE * shares)
    return max(value, LOW_PRICE_PER_SHARE * shares)
