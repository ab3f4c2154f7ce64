"""Exchange sessions: which phase of the trading day an instant falls in, and what comes next.

Supported calendars: XNYS and XNAS (with optional US pre-/post-market), XLON, XETR, XPAR, XTKS
and XHKG (with lunch breaks) from exchange_calendars; "24/7" (crypto), "FX" (24/5, 17:00 ET
roll) and "GLOBEX" (CME Globex, one simplified schedule). Each calendar is built once into flat
arrays of phase boundaries; queries are a bisection over those (no pandas in the hot path).
Instants are int nanoseconds since the epoch UTC, as everywhere in the hot path.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import numpy as np

from vtrade.core.clock import from_ns, to_ns
from vtrade.market.sessions_build import (
    CALENDAR_NAMES,
    EXTENDED_HOURS_CALENDARS,
    build_day_table,
)
from vtrade.market.sessions_table import DayTable, Phase

if TYPE_CHECKING:
    from vtrade.domain.instruments import Instrument

__all__ = [
    "CALENDAR_NAMES",
    "DayTable",
    "Phase",
    "SessionCalendar",
    "SessionState",
    "Sessions",
]

# Phase codes of the boundary arrays, in the order a day's boundaries are laid out.
_PRE, _REGULAR, _POST, _CLOSED = 0, 1, 2, 3
_PHASE_OF_CODE = (Phase.PRE, Phase.REGULAR, Phase.POST, Phase.CLOSED)
_BEFORE_ALL = np.iinfo(np.int64).min
# Calendars are built this far beyond the supported range so that "next open/close" is
# known for every instant in it.
_MARGIN = timedelta(days=21)


@dataclass(frozen=True, slots=True)
class SessionState:
    """Phase of an instant and the next regular-session boundaries after it.

    `trading_day` is the label (ns) of the day the instant falls in, None between days;
    `next_open` is the start of the next REGULAR period strictly after the instant;
    `next_close` is the end of the current REGULAR period, or else of the next one. Both
    are None on a calendar that never closes ("24/7").
    """

    phase: Phase
    trading_day: int | None
    next_open: int | None
    next_close: int | None


class SessionCalendar:
    """One calendar's trading days, answering phase queries by bisection.

    `days` holds the days that overlap the supported range `[first_ns, last_ns)`; queries
    outside that range raise ValueError. `table` may reach beyond the range (the registry
    builds a few weeks either side) so that next open/close are known near its edges.
    """

    __slots__ = (
        "_day_columns",
        "_day_ends",
        "_day_labels",
        "_day_starts",
        "_edges",
        "_first_ns",
        "_last_ns",
        "_phases",
        "_range_text",
        "_regular_ends",
        "_regular_starts",
        "always_open",
        "days",
        "extended",
        "name",
    )

    name: str
    extended: bool
    always_open: bool
    days: DayTable

    def __init__(
        self,
        name: str,
        table: DayTable,
        *,
        first_ns: int,
        last_ns: int,
        extended: bool = False,
        always_open: bool = False,
    ) -> None:
        if last_ns <= first_ns:
            raise ValueError(f"empty range: first_ns {first_ns} >= last_ns {last_ns}")
        self.name = name
        self.extended = extended
        self.always_open = always_open
        self.days = table.take(table.between(first_ns, last_ns))
        self._first_ns = first_ns
        self._last_ns = last_ns
        self._range_text = f"{from_ns(first_ns).date()}..{from_ns(last_ns - 1).date()}"
        edges, codes = _phase_edges(table)
        self._edges: list[int] = edges.tolist()
        self._phases: list[Phase] = [_PHASE_OF_CODE[c] for c in codes.tolist()]
        regular = np.flatnonzero(codes == _REGULAR)
        self._regular_starts: list[int] = edges[regular].tolist()
        self._regular_ends: list[int] = edges[regular + 1].tolist()
        self._day_starts: list[int] = self.days.start.tolist()
        self._day_ends: list[int] = self.days.end.tolist()
        self._day_columns: dict[str, list[int]] = {
            "start": self._day_starts,
            "open": self.days.open.tolist(),
            "close": self.days.close.tolist(),
            "end": self._day_ends,
        }
        self._day_labels: list[int] = self.days.day.tolist()

    def __repr__(self) -> str:
        return f"SessionCalendar({self.name!r}, {len(self.days)} days, {self._range_text})"

    def phase(self, t_ns: int) -> Phase:
        """Return the phase at instant `t_ns`; raise ValueError outside the supported range."""
        if not self._first_ns <= t_ns < self._last_ns:
            raise self._outside(t_ns)
        return self._phases[bisect_right(self._edges, t_ns) - 1]

    def last_regular_end(self, t_ns: int) -> int | None:
        """The end of the last regular period that ended at or before `t_ns` (None: none)."""
        j = bisect_right(self._regular_ends, t_ns) - 1
        return self._regular_ends[j] if j >= 0 else None

    def phase_start(self, t_ns: int) -> int:
        """The instant the phase `t_ns` is in began (its open, for the regular session)."""
        self.phase(t_ns)  # refuses an instant outside the range
        return self._edges[bisect_right(self._edges, t_ns) - 1]

    def state(self, t_ns: int) -> SessionState:
        """Return the phase at `t_ns`, its trading day and the next regular open and close."""
        phase = self.phase(t_ns)
        i = bisect_right(self._day_starts, t_ns) - 1
        day = self._day_labels[i] if i >= 0 and t_ns < self._day_ends[i] else None
        if self.always_open:
            return SessionState(phase=phase, trading_day=day, next_open=None, next_close=None)
        starts, ends = self._regular_starts, self._regular_ends
        j = bisect_right(starts, t_ns)
        next_open = starts[j] if j < len(starts) else None
        if phase is Phase.REGULAR:
            next_close: int | None = ends[j - 1]
        else:
            next_close = ends[j] if j < len(ends) else None
        return SessionState(
            phase=phase, trading_day=day, next_open=next_open, next_close=next_close
        )

    def next_boundary(self, which: str, t_ns: int) -> int | None:
        """The first day `which` ("start", "open", "close" or "end") strictly after `t_ns`,
        looking from the day on or before it; None past the supported range."""
        column = self._day_columns[which]
        i = max(bisect_right(self._day_starts, t_ns) - 1, 0)
        while i < len(column) and column[i] <= t_ns:
            i += 1
        return column[i] if i < len(column) else None

    def regular_hours(self, day: date) -> tuple[int, int] | None:
        """The regular open and close of the trading day `day` (None: no session that day)."""
        label = to_ns(datetime.combine(day, time(), tzinfo=UTC))
        i = bisect_left(self._day_labels, label)
        if i == len(self._day_labels) or self._day_labels[i] != label:
            return None
        return self._day_columns["open"][i], self._day_columns["close"][i]

    def opens_day(self, t_ns: int) -> bool:
        """Whether `t_ns` is a day's regular open (not the end of a lunch break)."""
        opens = self._day_columns["open"]
        i = bisect_left(opens, t_ns)
        return i < len(opens) and opens[i] == t_ns

    def is_open(self, t_ns: int, extended: bool = False) -> bool:
        """Tell whether `t_ns` is in the regular session, or in pre/post too when `extended`."""
        phase = self.phase(t_ns)
        return phase is Phase.REGULAR or (extended and phase is not Phase.CLOSED)

    def _outside(self, t_ns: int) -> ValueError:
        try:
            shown = f"{from_ns(int(t_ns)).isoformat()} ({t_ns} ns)"
        except (OverflowError, OSError, ValueError):
            shown = f"{t_ns} ns"
        return ValueError(
            f"{self.name}: instant {shown} is outside the supported range {self._range_text}"
        )


class Sessions:
    """Registry of calendars, each built lazily once and cached.

    Supported range default 2006-01-01..2031-12-31: `first_ns` is the first day's midnight
    UTC and `last_ns` the midnight after the last day (exclusive).
    """

    names: tuple[str, ...] = CALENDAR_NAMES

    def __init__(
        self, first_day: date = date(2006, 1, 1), last_day: date = date(2031, 12, 31)
    ) -> None:
        if last_day < first_day:
            raise ValueError(f"last_day {last_day} is before first_day {first_day}")
        self.first_day = first_day
        self.last_day = last_day
        self.first_ns: int = to_ns(datetime.combine(first_day, time(), tzinfo=UTC))
        self.last_ns: int = to_ns(datetime.combine(last_day + timedelta(days=1), time(), UTC))
        self._cache: dict[tuple[str, bool], SessionCalendar] = {}
        self._lock = threading.Lock()

    def outside(self, t_ns: int) -> str | None:
        """Why the market cannot run at `t_ns` (before its first day or after its last), for an
        operator; None within its days."""
        if self.first_ns <= t_ns < self.last_ns:
            return None
        return (
            f"the clock is outside the days the simulated market covers ({self.first_day} "
            f"to {self.last_day}): restart it with --start within them"
        )

    def calendar(self, name: str, extended: bool = False) -> SessionCalendar:
        """Return calendar `name`, with US pre-/post-market when `extended` (XNYS, XNAS only).

        For calendars without extended hours `extended` is ignored and the regular calendar is
        returned. Raise ValueError, listing the allowed names, for an unknown name.
        """
        if name not in CALENDAR_NAMES:
            raise ValueError(f"unknown calendar {name!r}: use one of {', '.join(CALENDAR_NAMES)}")
        key = (name, extended and name in EXTENDED_HOURS_CALENDARS)
        found = self._cache.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._cache.get(key)
            if found is None:
                found = self._build(*key)
                self._cache[key] = found
            return found

    def for_instrument(self, instrument: Instrument) -> SessionCalendar:
        """Return the calendar an instrument trades on, extended if it trades pre/post-market."""
        return self.calendar(instrument.calendar, extended=instrument.extended_hours)

    def _build(self, name: str, extended: bool) -> SessionCalendar:
        table = build_day_table(
            name, self.first_day - _MARGIN, self.last_day + _MARGIN, extended=extended
        )
        return SessionCalendar(
            f"{name}+ext" if extended else name,
            table,
            first_ns=self.first_ns,
            last_ns=self.last_ns,
            extended=extended,
            always_open=name == "24/7",
        )


def _phase_edges(table: DayTable) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted boundary instants and the phase code that holds from each one on.

    Each day contributes start (PRE), open (REGULAR), break start (CLOSED), break end
    (REGULAR), close (POST) and end (CLOSED). Of equal instants the last wins, so empty
    periods vanish; then runs of one phase merge, so back-to-back days (FX) form one period.
    """
    has_break = table.break_start >= 0
    break_start = np.where(has_break, table.break_start, table.close)
    break_end = np.where(has_break, table.break_end, table.close)
    day_edges = np.column_stack(
        [table.start, table.open, break_start, break_end, table.close, table.end]
    )
    day_codes = np.array([_PRE, _REGULAR, _CLOSED, _REGULAR, _POST, _CLOSED], dtype=np.int8)
    edges = np.concatenate([[_BEFORE_ALL], day_edges.ravel()]).astype(np.int64)
    codes = np.concatenate([[_CLOSED], np.tile(day_codes, len(table))]).astype(np.int8)
    last_of_equal = np.append(edges[1:] != edges[:-1], True)
    edges, codes = edges[last_of_equal], codes[last_of_equal]
    first_of_run = np.insert(codes[1:] != codes[:-1], 0, True)
    return edges[first_of_run], codes[first_of_run]
