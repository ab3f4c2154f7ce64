"""A deterministic id generator."""

from __future__ import annotations

import hashlib
import itertools

_SMALL = 1 << 48


class IdGenerator:
    """Make unique, sortable ids; the same seed gives the same sequence (for determinism).

    Ids are shaped as UUIDs (8-4-4-4-12 hex digits) because API clients such as alpaca-py
    check order and account ids with `UUID(...)`: the seed's salt, a code of the kind, then
    the counter, so ids of one kind from one generator sort in creation order.
    """

    def __init__(self, seed: int | str = 0, prefix: str = "") -> None:
        self._seed = str(seed)
        self._counter = itertools.count(1)
        self._salt = _hex(self._seed, 4)
        self._prefix = prefix
        self._heads: dict[str, str] = {}  # kind -> "salt-code-" (the code is a hash: made once)

    def derive(self, extra: str | int) -> IdGenerator:
        """Return a fresh generator salted with `extra` too (e.g. a persisted start count)."""
        return IdGenerator(f"{self._seed}:{extra}", self._prefix)

    def head(self, kind: str = "") -> str:
        """What every id of `kind` from this generator starts with ("salt-code-")."""
        head = self._heads.get(kind)
        if head is None:
            head = self._heads[kind] = f"{self._salt}-{_hex(kind or self._prefix or 'id', 2)}-"
        return head

    def next(self, kind: str = "") -> str:
        """Return the next id, e.g. `1a2b3c4d-9f0e-0000-0000-00000000002a`."""
        n = next(self._counter)
        head = self.head(kind)
        if n < _SMALL:  # the first 2**48 ids: the counter's first 8 hex digits are zeros
            return f"{head}0000-0000-{n:012x}"
        count = f"{n:020x}"
        return f"{head}{count[:4]}-{count[4:8]}-{count[8:]}"


def _hex(text: str, size: int) -> str:
    return hashlib.blake2b(text.encode(), digest_size=size).hexdigest()
