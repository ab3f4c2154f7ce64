"""`MemoryHotStore`: the `HotStore` port in process memory, answering exactly as Redis would.

This module also holds the input checks and the value encoding that every hot store adapter
shares, so the memory store (the default, and the fake of unit tests) and the Redis store
refuse the same input and return the same strings, orders and errors.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
from collections.abc import Mapping, Sequence

from vtrade.app.ports import HotValue
from vtrade.core.errors import ConflictError, ValidationError

__all__ = ["INT64_MAX", "INT64_MIN", "MemoryHotStore"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
HASH, BOARD, COUNTER = "hash", "ranking board", "counter"
_NAMESPACE = re.compile(r"[A-Za-z0-9_.-]+")


# -- checks shared by every hot store adapter ---------------------------------------------


def check_namespace(namespace: str) -> str:
    """Return `namespace` when it can prefix keys without overlapping another namespace."""
    if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace):
        raise ValidationError(
            f"namespace {namespace!r} is not allowed; allowed: letters, digits, '_', '.' and "
            "'-' (no ':', so that no namespace's keys fall under another's prefix)"
        )
    return namespace


def check_name(kind: str, name: str) -> str:
    """Return `name` (a key of `kind`) as a plain string; refuse empty and non-strings."""
    if not isinstance(name, str) or not name:
        raise ValidationError(f"{kind} name must be a non-empty string, got {name!r}")
    return str.__str__(name)


def check_names(kind: str, names: Sequence[str]) -> list[str]:
    """Return `names` as plain strings; refuse a bare string where a sequence is expected."""
    if isinstance(names, str):
        raise ValidationError(
            f"expected a sequence of {kind} names, got the single string {names!r}; "
            "wrap it in a list"
        )
    return [check_name(kind, name) for name in names]


def check_members(board: str, members: Sequence[str]) -> list[str]:
    """Return ranking `members` as plain strings (an empty member is allowed, as in Redis)."""
    if isinstance(members, str):
        raise ValidationError(
            f"expected a sequence of members of board {board!r}, got the single string "
            f"{members!r}; wrap it in a list"
        )
    for member in members:
        if not isinstance(member, str):
            raise ValidationError(f"members of board {board!r} must be strings, got {member!r}")
    return [str.__str__(member) for member in members]


def encode_value(key: str, field: str, value: HotValue) -> str:
    """Return the string Redis stores for `value`: `str(int)`, `repr(float)` (as redis-py)."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(
            f"field {field!r} of hash {key!r} is {value!r} ({type(value).__name__}); "
            "allowed: str, int or float (store a bool as 0/1 or text)"
        )
    return int.__repr__(value) if isinstance(value, int) else float.__repr__(value)


def encode_hashes(items: Mapping[str, Mapping[str, HotValue]]) -> dict[str, dict[str, str]]:
    """Check every key and field of `items` and encode every value as Redis stores it."""
    encoded: dict[str, dict[str, str]] = {}
    for key, fields in items.items():
        key = check_name(HASH, key)
        row: dict[str, str] = {}
        for field, value in fields.items():
            if not isinstance(field, str):
                raise ValidationError(f"field names of hash {key!r} must be strings: {field!r}")
            row[str.__str__(field)] = encode_value(key, field, value)
        encoded[key] = row
    return encoded


def check_scores(board: str, scores: Mapping[str, float]) -> dict[str, float]:
    """Return `scores` as floats (as Redis keeps them); refuse non-numbers and NaN."""
    checked: dict[str, float] = {}
    for member, score in scores.items():
        if not isinstance(member, str):
            raise ValidationError(f"members of board {board!r} must be strings, got {member!r}")
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise ValidationError(
                f"score of {member!r} on board {board!r} is {score!r}; allowed: a number"
            )
        try:
            value = float(score)
        except OverflowError:
            raise ValidationError(
                f"score of {member!r} on board {board!r} is too large for a float: {score}"
            ) from None
        if math.isnan(value):
            raise ValidationError(
                f"score of {member!r} on board {board!r} is NaN; allowed: a number or ±inf"
            )
        checked[str.__str__(member)] = value
    return checked


def check_window(count: int, offset: int) -> None:
    """Refuse a `count` or `offset` that is not an integer in 0..2**63-1."""
    for name, value in (("count", count), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT64_MAX:
            raise ValidationError(f"{name} must be an integer >= 0, got {value!r}")


def check_increment(counter: str, by: int) -> int:
    """Return `by` when it is an integer Redis accepts (signed 64 bits)."""
    if isinstance(by, bool) or not isinstance(by, int) or not INT64_MIN <= by <= INT64_MAX:
        raise ValidationError(
            f"increment of counter {counter!r} is {by!r}; allowed: an integer in -2**63..2**63-1"
        )
    return int(by)


def counter_overflow(counter: str, by: int) -> ValidationError:
    """Build the error of an increment that would leave the signed 64-bit range."""
    return ValidationError(
        f"incrementing counter {counter!r} by {by} would leave the signed 64-bit range "
        "-2**63..2**63-1; the counter is unchanged"
    )


def wrong_kind(key: str, kind: str) -> ConflictError:
    """Build the error of a key used as a `kind` while it holds another kind of value."""
    return ConflictError(
        f"key {key!r} holds another kind of value (a hash, ranking board or counter), so it "
        f"cannot be used as a {kind}; use a distinct key for each kind"
    )


# -- the store ----------------------------------------------------------------------------


def _ranked(entry: tuple[str, float]) -> tuple[float, str]:
    return entry[1], entry[0]


class MemoryHotStore:
    """Keep hot state in dicts, with Redis's answers: string hash values, ZREVRANGE order.

    A key holds one kind of value (hash, ranking board or counter), as in Redis; a board
    emptied by `unrank` disappears. One lock makes every operation atomic across threads.
    """

    def __init__(self, namespace: str = "vtrade") -> None:
        self.namespace = check_namespace(namespace)
        self._lock = threading.Lock()
        self._hashes: dict[str, dict[str, str]] = {}
        self._boards: dict[str, dict[str, float]] = {}
        self._counters: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"MemoryHotStore(namespace={self.namespace!r})"

    # -- hashes ---------------------------------------------------------------------------

    def put_hashes(self, items: Mapping[str, Mapping[str, HotValue]]) -> None:
        """Set fields of many hashes; like a Redis pipeline, a key of another kind is
        refused after every other hash of the batch has been written."""
        encoded = encode_hashes(items)
        refused: list[str] = []
        with self._lock:
            for key, fields in encoded.items():
                if not fields:
                    continue
                if key in self._boards or key in self._counters:
                    refused.append(key)
                    continue
                self._hashes.setdefault(key, {}).update(fields)
        if refused:
            raise wrong_kind(refused[0], HASH)

    def get_hash(self, key: str) -> dict[str, str]:
        """Return all fields of one hash (empty when absent)."""
        key = check_name(HASH, key)
        with self._lock:
            return self._read_hash(key)

    def get_hashes(self, keys: Sequence[str]) -> list[dict[str, str]]:
        """Return the fields of each hash, in the order of `keys` (empty when absent)."""
        names = check_names(HASH, keys)
        with self._lock:
            return [self._read_hash(key) for key in names]

    def _read_hash(self, key: str) -> dict[str, str]:
        if key in self._boards or key in self._counters:
            raise wrong_kind(key, HASH)
        return dict(self._hashes.get(key, {}))

    def delete(self, keys: Sequence[str]) -> None:
        """Remove the hashes, boards or counters named by `keys`; absent keys are ignored."""
        names = check_names("key", keys)
        with self._lock:
            for key in names:
                self._hashes.pop(key, None)
                self._boards.pop(key, None)
                self._counters.pop(key, None)

    # -- rankings -------------------------------------------------------------------------

    def rank(self, board: str, scores: Mapping[str, float]) -> None:
        """Set members' scores on a ranking board (adding members that are new)."""
        board = check_name(BOARD, board)
        checked = check_scores(board, scores)
        if not checked:
            return
        with self._lock:
            if self._board(board) is None:
                self._boards[board] = {}
            self._boards[board].update(checked)

    def top(self, board: str, count: int, offset: int = 0) -> list[tuple[str, float]]:
        """Return `count` entries from `offset`: highest score first, ties by member
        in reverse lexicographic order (as ZREVRANGE)."""
        board = check_name(BOARD, board)
        check_window(count, offset)
        if count == 0:
            return []
        with self._lock:
            entries = self._board(board)
            if not entries:
                return []
            best = heapq.nlargest(offset + count, entries.items(), key=_ranked)
        return best[offset:]

    def rank_of(self, board: str, member: str) -> int | None:
        """Return the 0-based position from the top (as ZREVRANK), or None when absent."""
        board = check_name(BOARD, board)
        (member,) = check_members(board, [member])
        with self._lock:
            entries = self._board(board)
            if not entries or member not in entries:
                return None
            mine = (entries[member], member)
            return sum(1 for entry in entries.items() if _ranked(entry) > mine)

    def unrank(self, board: str, members: Sequence[str]) -> None:
        """Remove `members` from a board (absent ones are ignored); an emptied board is gone."""
        board = check_name(BOARD, board)
        names = check_members(board, members)
        if not names:
            return
        with self._lock:
            entries = self._board(board)
            if entries is None:
                return
            for member in names:
                entries.pop(member, None)
            if not entries:
                del self._boards[board]

    def _board(self, board: str) -> dict[str, float] | None:
        if board in self._hashes or board in self._counters:
            raise wrong_kind(board, BOARD)
        return self._boards.get(board)

    # -- counters -------------------------------------------------------------------------

    def incr(self, counter: str, by: int = 1) -> int:
        """Add `by` atomically (an absent counter starts at 0) and return the new value."""
        counter = check_name(COUNTER, counter)
        by = check_increment(counter, by)
        with self._lock:
            value = self._read_counter(counter) + by
            if not INT64_MIN <= value <= INT64_MAX:
                raise counter_overflow(counter, by)
            self._counters[counter] = value
            return value

    def counter(self, counter: str) -> int:
        """Return a counter's value (0 when absent)."""
        counter = check_name(COUNTER, counter)
        with self._lock:
            return self._read_counter(counter)

    def _read_counter(self, counter: str) -> int:
        if counter in self._hashes or counter in self._boards:
            raise wrong_kind(counter, COUNTER)
        return self._counters.get(counter, 0)

    # -- lifecycle ------------------------------------------------------------------------

    def clear(self) -> None:
        """Remove everything this store holds (other stores are separate objects)."""
        with self._lock:
            self._hashes.clear()
            self._boards.clear()
            self._counters.clear()

    def close(self) -> None:
        """Release nothing: the data lives as long as the store object."""
