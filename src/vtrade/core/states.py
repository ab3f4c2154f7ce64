"""Explicit state machines: anything with states moves only along its transition table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Generic, TypeVar

from vtrade.core.errors import IllegalTransitionError

S = TypeVar("S", bound=Enum)


class TransitionTable(Generic[S]):
    """Allowed moves between states; `check` raises on anything else."""

    def __init__(self, name: str, moves: Mapping[S, Iterable[S]]) -> None:
        self.name = name
        self._moves = {state: frozenset(targets) for state, targets in moves.items()}

    def allows(self, current: S, target: S) -> bool:
        return target in self._moves.get(current, frozenset())

    def check(self, current: S, target: S) -> None:
        """Raise IllegalTransitionError unless `current -> target` is in the table."""
        if not self.allows(current, target):
            allowed = ", ".join(sorted(s.value for s in self._moves.get(current, ()))) or "none"
            raise IllegalTransitionError(
                f"{self.name} cannot go from {current.value} to {target.value}; "
                f"allowed from {current.value}: {allowed}"
            )

    def is_terminal(self, state: S) -> bool:
        return not self._moves.get(state)
