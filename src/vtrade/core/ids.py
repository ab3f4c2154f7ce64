"""A deterministic id generator."""

from __future__ import annotations

import hashlib
import itertools


class IdGenerator:
    """Make unique, sortable ids; the same seed gives the same sequence (for determinism)."""

    def __init__(self, seed: int | str = 0, prefix: str = "") -> None:
        self._seed = str(seed)
        self._counter = itertools.count(1)
        self._salt = hashlib.blake2b(self._seed.encode(), digest_size=4).hexdigest()
        self._prefix = prefix

    def derive(self, extra: str | int) -> IdGenerator:
        """Return a fresh generator salted with `extra` too (e.g. a persisted start count)."""
        return IdGenerator(f"{self._seed}:{extra}", self._prefix)

    def next(self, kind: str = "") -> str:
        """Return the next id, e.g. `evt-1a2b3c4d-000000000042`."""
        head = kind or self._prefix or "id"
        return f"{head}-{self._salt}-{next(self._counter):012d}"
