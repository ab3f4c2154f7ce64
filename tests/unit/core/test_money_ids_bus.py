from __future__ import annotations

from decimal import Decimal

import pytest

from vtrade.core import topics
from vtrade.core.bus import InProcessBus
from vtrade.core.ids import IdGenerator
from vtrade.core.money import (
    cents_adding_up,
    decimals_of,
    is_multiple,
    largest_fitting,
    round_to_increment,
    to_decimal,
)


@pytest.mark.parametrize(
    ("value", "inc", "mode", "expected"),
    [
        ("101.237", "0.01", "nearest", "101.24"),
        ("101.237", "0.01", "down", "101.23"),
        ("101.231", "0.01", "up", "101.24"),
        ("4080.06", "0.10", "nearest", "4080.10"),
        ("0.123456", "0.0001", "down", "0.1234"),
        ("37", "25", "nearest", "25"),
    ],
)
def test_rounding_lands_on_the_increment_grid(value, inc, mode, expected):
    result = round_to_increment(Decimal(value), Decimal(inc), mode)
    assert result == Decimal(expected)
    assert is_multiple(result, Decimal(inc))


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["0.005", "0.005", "0.005", "0.005"], ["0.01", "0.01", "0.00", "0.00"]),
        (["1.004", "2.004", "3.004"], ["1.01", "2.00", "3.00"]),
        (["-0.006", "0.013", "5"], ["0.00", "0.01", "5.00"]),
        (["10.25", "-0.25"], ["10.25", "-0.25"]),
    ],
)
def test_cents_adding_up_rounds_each_part_yet_keeps_their_sum(parts, expected):
    exact = [Decimal(p) for p in parts]
    rounded = cents_adding_up(exact)
    assert rounded == [Decimal(e) for e in expected]
    assert sum(rounded) == sum(exact).quantize(Decimal("0.01"))


def test_to_decimal_rejects_non_numbers_and_infinities():
    assert to_decimal(1.1) == Decimal("1.1")
    with pytest.raises(ValueError, match="number"):
        to_decimal("abc", "price")
    with pytest.raises(ValueError, match="finite"):
        to_decimal("Infinity", "price")


def test_decimals_of_counts_places():
    assert decimals_of(Decimal("0.01")) == 2
    assert decimals_of(Decimal("0.00001")) == 5
    assert decimals_of(Decimal("25")) == 0


def test_id_generator_is_deterministic_per_seed():
    a, b, c = IdGenerator(7), IdGenerator(7), IdGenerator(8)
    assert [a.next("evt") for _ in range(3)] == [b.next("evt") for _ in range(3)]
    assert a.next("evt") != c.next("evt")


def test_bus_delivers_by_exact_topic_and_prefix_pattern():
    bus = InProcessBus()
    seen: list[tuple[str, object]] = []
    bus.subscribe(topics.quotes("AAPL"), lambda m: seen.append(("exact", m)))
    bus.subscribe(topics.QUOTES + ".*", lambda m: seen.append(("all", m)))
    assert bus.publish(topics.quotes("AAPL"), 1) == 2
    assert bus.publish(topics.quotes("MSFT"), 2) == 1
    assert bus.publish(topics.trades("AAPL"), 3) == 0
    assert seen == [("exact", 1), ("all", 1), ("all", 2)]


def test_a_failing_handler_does_not_block_the_others():
    bus = InProcessBus()
    seen: list[int] = []

    def broken(_: object) -> None:
        raise RuntimeError("boom")

    bus.subscribe("t", broken)
    bus.subscribe("t", seen.append)
    assert bus.publish("t", 5) == 1
    assert seen == [5]
    assert bus.handler_failures == 1


def test_unsubscribe_stops_delivery():
    bus = InProcessBus()
    seen: list[int] = []
    stop = bus.subscribe("t", seen.append)
    stop()
    bus.publish("t", 1)
    assert seen == []


@pytest.mark.parametrize("edge", ["0", "0.01", "7.35", "10.00"])
def test_largest_fitting_finds_the_last_multiple_that_fits(edge: str) -> None:
    fits = lambda q: q <= Decimal(edge)  # noqa: E731
    assert largest_fitting(fits, Decimal(0), Decimal(10), Decimal("0.01")) == Decimal(edge)
