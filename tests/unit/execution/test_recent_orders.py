"""Specification of the bounded cache of recent orders by client order id."""

from __future__ import annotations

import pytest
from test_open_orders import order

from vtrade.execution.recent_orders import RecentOrders


def test_it_keeps_at_most_a_quarter_over_capacity_and_always_the_newest() -> None:
    recent = RecentOrders(capacity=8)
    for k in range(100):
        recent[("a", f"c{k}")] = order(f"o{k}", "a", k)
        assert len(recent) <= 10
    assert all(recent.get(("a", f"c{k}")) is not None for k in range(92, 100))
    assert recent.get(("a", "c0")) is None


def test_setting_a_key_again_makes_it_the_newest() -> None:
    recent = RecentOrders(capacity=2)
    recent[("a", "old")] = order("o1", "a", 1)
    recent[("a", "mid")] = order("o2", "a", 2)
    recent[("a", "old")] = order("o3", "a", 3)
    recent[("b", "new")] = order("o4", "b", 4)  # pushes out "mid", older than "old" now
    found = recent.get(("a", "old"))
    assert recent.get(("a", "mid")) is None and found is not None and found.id == "o3"


def test_a_capacity_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="capacity must be >= 1"):
        RecentOrders(capacity=0)
