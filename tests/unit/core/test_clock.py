from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from vtrade.core.clock import (
    NS_PER_SECOND,
    SimulatedClock,
    from_ns,
    parse_instant,
    to_ns,
)


class FakeMonotonic:
    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


def test_ns_round_trips_through_datetime():
    moment = datetime(2024, 3, 15, 14, 30, 0, 123456, tzinfo=UTC)
    assert from_ns(to_ns(moment)) == moment


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        to_ns(datetime(2024, 1, 1))  # noqa: DTZ001


def test_parse_instant_accepts_z_offsets_and_dates():
    assert parse_instant("2024-03-15T14:30:00Z") == datetime(2024, 3, 15, 14, 30, tzinfo=UTC)
    assert parse_instant("2024-03-15") == datetime(2024, 3, 15, tzinfo=UTC)
    est = parse_instant("2024-03-15T09:30:00-05:00")
    assert est.tzinfo == timezone(timedelta(hours=-5))


def test_parse_instant_explains_the_format_on_bad_input():
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_instant("15/03/2024")


def test_simulated_clock_stands_still_until_advanced():
    clock = SimulatedClock(1_000)
    assert clock.now_ns() == 1_000
    assert clock.advance(500) == 1_500
    assert clock.now_ns() == 1_500


def test_simulated_clock_runs_at_its_speed():
    mono = FakeMonotonic()
    clock = SimulatedClock(0, speed=60.0, monotonic_ns=mono)
    mono.ns = 2 * NS_PER_SECOND
    assert clock.now_ns() == 120 * NS_PER_SECOND


def test_simulated_clock_never_moves_backwards():
    clock = SimulatedClock(10)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(5)


def test_speed_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        SimulatedClock(0, speed=0)


@pytest.mark.parametrize("speed", [1e12, 1e300, float("inf"), float("nan"), -2.0])
def test_a_speed_beyond_the_maximum_or_not_a_number_is_refused(speed: float) -> None:
    """At 1e12 a clock's instants overflowed a datetime and the database (OverflowError)."""
    with pytest.raises(ValueError, match="speed must be positive and at most 1,000,000"):
        SimulatedClock(0, speed=speed)


def test_the_maximum_speed_runs() -> None:
    mono = FakeMonotonic()
    clock = SimulatedClock(0, speed=1_000_000.0, monotonic_ns=mono)
    mono.ns = 2 * NS_PER_SECOND
    assert clock.now_ns() == 2_000_000 * NS_PER_SECOND
