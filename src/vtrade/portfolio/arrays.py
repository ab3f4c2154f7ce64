"""Growable numpy columns: the portfolio's arrays keep spare capacity and double when full."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def grow(owner: object, names: Iterable[str], capacity: int, fill: object = 0) -> None:
    """Replace each array attribute `names` of `owner` by one of `capacity` entries that
    starts with the old contents; the new tail holds `fill`."""
    for name in names:
        old = getattr(owner, name)
        arr = np.full(capacity, fill, dtype=old.dtype)
        arr[: old.shape[0]] = old
        setattr(owner, name, arr)
