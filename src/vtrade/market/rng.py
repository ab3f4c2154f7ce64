"""Deterministic random streams keyed by name: adding an instrument never shifts another's path."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, *keys: str | int) -> np.random.Generator:
    """Return a generator determined only by `seed` and `keys` (stable across runs and machines)."""
    words = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF]
    for key in keys:
        words.append(zlib.crc32(key.encode()) if isinstance(key, str) else key & 0xFFFFFFFF)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


def standard_t(rng: np.random.Generator, dof: float, size: int | tuple[int, ...]) -> np.ndarray:
    """Draw Student-t variates scaled to unit variance."""
    return rng.standard_t(dof, size) * np.sqrt((dof - 2.0) / dof)
