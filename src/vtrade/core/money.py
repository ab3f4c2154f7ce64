"""Decimal helpers for prices and quantities on tick and lot grids, and currency codes."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal

Rounding = Literal["nearest", "down", "up"]
_MODES = {"nearest": ROUND_HALF_EVEN, "down": ROUND_FLOOR, "up": ROUND_CEILING}
CENT = Decimal("0.01")
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def is_currency_code(text: str) -> bool:
    """Whether `text` is a currency code as the tables key them: three upper-case letters."""
    return _CURRENCY_CODE.fullmatch(text) is not None


def cents(value: Decimal) -> Decimal:
    """Round a money amount to the cent (half to even)."""
    return value.quantize(CENT)


def spendable_cents(value: Decimal) -> Decimal:
    """A limit one may spend up to, to the cent below: rounded to the nearest, an order sized
    to it could ask a fraction of a cent more than there is, and be refused."""
    return value.quantize(CENT, rounding=ROUND_FLOOR)


def cents_adding_up(parts: Sequence[Decimal]) -> list[Decimal]:
    """`parts` to the cent, adding up to their exact sum to the cent: rounded one by one they
    can miss it by a cent or two, so those cents go to (or come from) the parts whose own
    rounding lost (or gained) the most."""
    rounded = [cents(p) for p in parts]
    short = cents(sum(parts, Decimal(0))) - sum(rounded, Decimal(0))
    step = CENT if short > 0 else -CENT
    by_loss = sorted(range(len(parts)), key=lambda i: (parts[i] - rounded[i]) * step, reverse=True)
    for i in by_loss[: int(abs(short) / CENT)]:
        rounded[i] += step
    return rounded


def to_decimal(value: object, what: str = "value") -> Decimal:
    """Convert an int, str, float or Decimal to a finite Decimal (floats via their repr)."""
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{what} must be finite, got {value!r}")
    return result


def round_to_increment(value: Decimal, increment: Decimal, mode: Rounding = "nearest") -> Decimal:
    """Round `value` to a multiple of `increment` (a tick or a lot)."""
    if increment <= 0:
        raise ValueError(f"increment must be positive, got {increment}")
    steps = (value / increment).quantize(Decimal(1), rounding=_MODES[mode])
    return (steps * increment).quantize(increment)


def largest_fitting(
    fits: Callable[[Decimal], bool], low: Decimal, high: Decimal, increment: Decimal
) -> Decimal:
    """The largest multiple of `increment` from `low` (which fits) to `high` that `fits`, by
    bisection: `fits` must hold up to some size and fail beyond it (a larger order never
    costs less, never moves the price less)."""
    while low < high:
        middle = low + round_to_increment((high - low) / 2, increment, "up")
        if fits(middle):
            low = middle
        else:
            high = middle - increment
    return low


def is_multiple(value: Decimal, increment: Decimal) -> bool:
    """Tell whether `value` lies exactly on the grid of `increment`."""
    return (value % increment) == 0


@functools.lru_cache(maxsize=1024)
def decimals_of(increment: Decimal) -> int:
    """Number of decimal places an increment needs (0.01 -> 2, 25 -> 0). Remembered: a
    stream asks it for every tick it sends (equal increments need the same places)."""
    exponent = increment.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
