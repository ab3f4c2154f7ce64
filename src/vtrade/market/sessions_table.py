"""Trading-day tables: one row per trading day, as flat int64 arrays of ns since the epoch UTC.

`vtrade.market.sessions` re-exports `Phase` and `DayTable`; import them from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

NO_BREAK = -1
"""Value of `break_start`/`break_end` on days without an intraday break."""

_INT_FIELDS = ("day", "start", "open", "close", "end", "break_start", "break_end")


class Phase(StrEnum):
    """Where an instant falls in a calendar's trading day."""

    PRE = "pre"
    REGULAR = "regular"
    POST = "post"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, eq=False)
class DayTable:
    """One row per trading day, numpy int64 arrays of ns since epoch UTC, sorted.

    A day's tradable span is `[start, end)`: `[start, open)` is pre-market, `[open, close)`
    the regular session less the break `[break_start, break_end)` (both -1 when there is
    none), and `[close, end)` post-market. Days do not overlap: `end[i] <= start[i + 1]`.
    The arrays are copied on construction and made read-only; equality is identity.
    """

    calendar: str
    day: np.ndarray
    start: np.ndarray
    open: np.ndarray
    close: np.ndarray
    end: np.ndarray
    break_start: np.ndarray
    break_end: np.ndarray
    early_close: np.ndarray

    def __post_init__(self) -> None:
        n = int(np.shape(self.day)[0]) if np.ndim(self.day) == 1 else -1
        for name in (*_INT_FIELDS, "early_close"):
            dtype = np.bool_ if name == "early_close" else np.int64
            column: np.ndarray = np.array(getattr(self, name), dtype=dtype, copy=True)
            if column.ndim != 1 or column.shape[0] != n:
                raise ValueError(
                    f"DayTable {self.calendar}: column {name} must be 1-d of length {n}"
                )
            column.flags.writeable = False
            object.__setattr__(self, name, column)
        self._validate()

    def _validate(self) -> None:
        has_break = self.break_start >= 0
        problems = {
            "day labels must strictly increase": np.any(np.diff(self.day) <= 0),
            "need start <= open < close <= end": np.any(
                (self.start > self.open) | (self.open >= self.close) | (self.close > self.end)
            ),
            "break must be both -1 or open < break_start < break_end < close": np.any(
                has_break != (self.break_end >= 0)
            )
            or np.any(
                has_break
                & (
                    (self.break_start <= self.open)
                    | (self.break_end <= self.break_start)
                    | (self.close <= self.break_end)
                )
            ),
            "days must not overlap": np.any(self.end[:-1] > self.start[1:]),
        }
        for message, failed in problems.items():
            if failed:
                raise ValueError(f"DayTable {self.calendar}: {message}")

    def __len__(self) -> int:
        return int(self.day.shape[0])

    def locate(self, t_ns: int) -> int:
        """Return the index of the day with `start <= t_ns < end`, or -1 if t is between days."""
        i = int(np.searchsorted(self.start, t_ns, side="right")) - 1
        return i if i >= 0 and t_ns < int(self.end[i]) else -1

    def index_on_or_before(self, t_ns: int) -> int:
        """Return the index of the last day with `start <= t_ns`, or -1 if there is none."""
        return int(np.searchsorted(self.start, t_ns, side="right")) - 1

    def between(self, start_ns: int, end_ns: int) -> slice:
        """Return the rows whose `[start, end)` overlaps `[start_ns, end_ns)` (empty if empty)."""
        lo = int(np.searchsorted(self.end, start_ns, side="right"))
        if end_ns <= start_ns:
            return slice(lo, lo)
        hi = int(np.searchsorted(self.start, end_ns, side="left"))
        return slice(lo, max(lo, hi))

    def take(self, rows: slice) -> DayTable:
        """Return a new table holding only `rows`."""
        return DayTable(
            calendar=self.calendar,
            day=self.day[rows],
            start=self.start[rows],
            open=self.open[rows],
            close=self.close[rows],
            end=self.end[rows],
            break_start=self.break_start[rows],
            break_end=self.break_end[rows],
            early_close=self.early_close[rows],
        )
