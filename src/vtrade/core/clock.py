"""Injected time sources.

Nothing outside this module reads the wall clock. Engines take a `Clock` and ask it for
`now_ns()` (integer nanoseconds since the Unix epoch, UTC), the hot-path representation.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol

NS_PER_MICROSECOND = 1_000
NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_HOUR = 3_600 * NS_PER_SECOND
NS_PER_DAY = 86_400 * NS_PER_SECOND
# The fastest a simulated clock runs: a simulated year in about half a real minute. Faster, it
# leaves the market's days within minutes, and at 1e12 its instants overflowed what a
# datetime and the database hold (OverflowError)
MAX_SPEED = 1_000_000.0


def to_ns(moment: datetime) -> int:
    """Convert an aware datetime to integer nanoseconds since the epoch."""
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * 1_000


def from_ns(ns: int) -> datetime:
    """Convert ns since the epoch to an aware UTC datetime (microsecond precision)."""
    seconds, rest = divmod(ns, NS_PER_SECOND)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rest // 1_000)


def iso(ns: int) -> str:
    """Format ns since the epoch as ISO 8601 UTC with a Z suffix."""
    return from_ns(ns).isoformat().replace("+00:00", "Z")


def end_of_shown(ns: int) -> int:
    """The last nanosecond of the microsecond `iso` shows `ns` in: an exclusive lower bound
    (`after`) set to a time we showed must exclude what was shown with it."""
    return ns - ns % 1000 + 999


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive value is taken as UTC. Raise ValueError if malformed."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(
            f"malformed time {text!r}: use ISO 8601, e.g. 2024-03-15T14:30:00Z or 2024-03-15"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Clock(Protocol):
    """A source of the current instant."""

    def now_ns(self) -> int:
        """Return the current instant in nanoseconds since the epoch, UTC."""
        ...

    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""
        ...


class LiveClock:
    """Wall-clock time."""

    def now_ns(self) -> int:
        return time.time_ns()

    def now(self) -> datetime:
        return from_ns(self.now_ns())


class SimulatedClock:
    """Time that starts at any instant and runs at any speed, or only when advanced by hand.

    With `speed=None` the clock stands still until `advance`/`set` moves it. With a speed (at
    most `MAX_SPEED`) it runs `speed` simulated seconds per real second from `start`, measured
    on the monotonic timer it is given (injectable for tests).
    """

    def __init__(
        self,
        start_ns: int,
        speed: float | None = None,
        monotonic_ns: _MonotonicNs | None = None,
    ) -> None:
        if speed is not None and not 0 < speed <= MAX_SPEED:  # NaN too
            raise ValueError(f"speed must be positive and at most {MAX_SPEED:,.0f}, got {speed:g}")
        self._lock = threading.Lock()
        self._anchor_sim = start_ns
        self._speed = speed
        self._monotonic = monotonic_ns or time.monotonic_ns
        self._anchor_real = self._monotonic()

    @property
    def speed(self) -> float | None:
        return self._speed

    def now_ns(self) -> int:
        with self._lock:
            if self._speed is None:
                return self._anchor_sim
            elapsed = self._monotonic() - self._anchor_real
            return self._anchor_sim + int(elapsed * self._speed)

    def now(self) -> datetime:
        return from_ns(self.now_ns())

    def advance(self, ns: int) -> int:
        """Move simulated time forward by `ns` and return the new instant."""
        if ns < 0:
            raise ValueError("a clock cannot move backwards")
        return self.set(self.now_ns() + ns)

    def set(self, instant_ns: int) -> int:
        """Jump to `instant_ns` (not earlier than now) and return it."""
        current = self.now_ns()
        if instant_ns < current:
            raise ValueError("a clock cannot move backwards")
        with self._lock:
            self._anchor_sim = instant_ns
            self._anchor_real = self._monotonic()
        return instant_ns


class _MonotonicNs(Protocol):
    def __call__(self) -> int: ...
