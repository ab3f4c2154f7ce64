"""Specification of the threshold alerts: one crossing per flip, with a hysteresis band."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal

import numpy as np
import pytest

from vtrade.portfolio.alerts import AlertConfig, AlertKind, Alerts, Crossing
from vtrade.portfolio.valuation import Columns

CONFIG = AlertConfig()  # cap 25%, 5 groups, milestones 1.5M/2M/5M/10M, band 0.5%
MAINTENANCE = 100_000.0
EVERYONE = np.arange(3, dtype=np.int64)
MOVER = np.array([1], dtype=np.int64)  # account 1 moves; accounts 0 and 2 stay quiet


def columns(
    nav: float = 1_000_000.0,
    *,
    weight: float = 0.1,
    maintenance: float = 0.0,
    groups: int = 2,
) -> Columns:
    """Three accounts: 0 and 2 quiet (below every threshold), 1 with the given figures."""

    def three(value: float, quiet: float) -> np.ndarray:
        return np.array([quiet, value, quiet], dtype=np.float64)

    navs = three(nav, 1_000_000.0)
    zeros = np.zeros(3)
    return Columns(
        nav=navs,
        cash=navs.copy(),
        net=zeros,
        gross=zeros,
        unrealized=zeros,
        total_pnl=zeros,
        day_pnl=zeros,
        margin=zeros,
        maintenance=three(maintenance, 0.0),
        max_weight=three(weight, 0.1),
        groups_held=np.array([2, groups, 2], dtype=np.int64),
    )


def over_cap(weight: float) -> Columns:
    return columns(weight=weight)


def margin(nav: float) -> Columns:
    return columns(nav, maintenance=MAINTENANCE)


def diversified(groups: float) -> Columns:
    return columns(groups=int(groups))


def milestone(nav: float) -> Columns:
    return columns(nav)


# (value, expected crossing: None, True (active) or False (cleared)) in order
Path = list[tuple[float, bool | None]]

# fmt: off
PATHS: dict[AlertKind, tuple[Callable[[float], Columns], Decimal, Path]] = {
    AlertKind.POSITION_OVER_CAP: (
        over_cap,
        Decimal("0.25"),
        # band: clears only below 0.25 * 0.995 = 0.24875
        [(0.20, None), (0.30, True), (0.40, None), (0.26, None), (0.2490, None),
         (0.2495, None), (0.251, None), (0.2480, False), (0.20, None), (0.2490, None),
         (0.26, True)],
    ),
    AlertKind.MARGIN_CALL: (
        margin,
        Decimal("100000"),
        # band: clears only above 100_000 * 1.005 = 100_500
        [(200_000, None), (90_000, True), (80_000, None), (100_200, None), (100_400, None),
         (99_000, None), (100_600, False), (150_000, None), (100_100, None), (99_999, True)],
    ),
    AlertKind.DIVERSIFIED: (
        diversified,
        Decimal("5"),
        # a count of groups has no band: one group less clears it
        [(3, None), (5, True), (6, None), (5, None), (4, False), (4, None), (3, None),
         (5, True)],
    ),
    AlertKind.NAV_MILESTONE: (
        milestone,
        Decimal("1500000"),
        # band: clears only below 1_500_000 * 0.995 = 1_492_500
        [(1_400_000, None), (1_600_000, True), (1_700_000, None), (1_495_000, None),
         (1_493_000, None), (1_510_000, None), (1_490_000, False), (1_450_000, None),
         (1_499_000, None), (1_500_000, True)],
    ),
}
# fmt: on


@pytest.mark.parametrize("kind", list(PATHS), ids=lambda k: k.value)
def test_each_alert_fires_once_per_crossing_and_clears_once_beyond_the_band(
    kind: AlertKind,
) -> None:
    make, threshold, path = PATHS[kind]
    alerts = Alerts(CONFIG)
    alerts.prime(make(path[0][0]))

    for value, expected in path:
        crossings = alerts.check(make(value), EVERYONE)

        if expected is None:
            assert crossings == [], f"{kind} at {value}"
            continue
        (crossing,) = crossings
        assert (crossing.account, crossing.kind, crossing.active) == (1, kind, expected)
        assert crossing.threshold == threshold
        assert crossing.value == Decimal(repr(round(float(value), 6)))
        assert crossing.message


def test_only_the_accounts_checked_can_fire() -> None:
    alerts = Alerts(CONFIG)
    alerts.prime(columns())
    everything = columns(2_100_000, weight=0.5, maintenance=3_000_000, groups=7)

    assert alerts.check(everything, np.array([0, 2], dtype=np.int64)) == []
    kinds = {c.kind for c in alerts.check(everything, MOVER)}
    assert kinds == set(AlertKind)


def milestones(crossings: list[Crossing]) -> list[tuple[Decimal, bool]]:
    return [(c.threshold, c.active) for c in crossings if c.kind is AlertKind.NAV_MILESTONE]


def test_a_jump_over_two_milestones_reports_both_crossings() -> None:
    alerts = Alerts(CONFIG)
    alerts.prime(milestone(1_000_000))

    up = alerts.check(milestone(2_300_000), MOVER)
    again = alerts.check(milestone(2_400_000), MOVER)
    down = alerts.check(milestone(1_000_000), MOVER)

    assert milestones(up) == [(Decimal(1_500_000), True), (Decimal(2_000_000), True)]
    assert again == []
    assert milestones(down) == [(Decimal(1_500_000), False), (Decimal(2_000_000), False)]
    assert all(c.value == Decimal("1000000.0") for c in down)


def test_a_fall_into_the_band_of_a_lower_milestone_clears_only_the_higher_one() -> None:
    alerts = Alerts(CONFIG)
    alerts.prime(milestone(2_100_000))

    inside = alerts.check(milestone(1_495_000), MOVER)  # 2M cleared, 1.5M within its band
    below = alerts.check(milestone(1_400_000), MOVER)

    assert milestones(inside) == [(Decimal(2_000_000), False)]
    assert milestones(below) == [(Decimal(1_500_000), False)]


def test_prime_adopts_the_current_flags_without_alerting() -> None:
    alerts = Alerts(CONFIG)
    everything = columns(2_100_000, weight=0.5, maintenance=3_000_000, groups=7)

    alerts.prime(everything)

    assert alerts.check(everything, EVERYONE) == []
    assert list(alerts.over_cap[:3]) == [False, True, False]
    assert list(alerts.margin_call[:3]) == [False, True, False]
    assert list(alerts.diversified[:3]) == [False, True, False]
    assert list(alerts.milestone[:3]) == [0, 2, 0]
    cleared = alerts.check(columns(), EVERYONE)
    assert {(c.kind, c.active) for c in cleared} == {(k, False) for k in AlertKind}
    assert len(cleared) == 5  # two milestones, and one of each other kind


def test_accounts_added_after_priming_start_with_every_flag_down() -> None:
    alerts = Alerts(CONFIG)
    alerts.prime(columns())
    grown = columns()
    four = Columns(
        **{
            f.name: np.append(getattr(grown, f.name), getattr(grown, f.name)[1])
            for f in fields(grown)
        }
    )
    four.max_weight[3] = 0.3

    (crossing,) = alerts.check(four, np.array([3], dtype=np.int64))

    assert (crossing.account, crossing.kind, crossing.active) == (
        3,
        AlertKind.POSITION_OVER_CAP,
        True,
    )


def test_a_new_or_reset_account_starts_with_its_balance_adopted_silently() -> None:
    alerts = Alerts(CONFIG)
    alerts.prime(columns(2_100_000, weight=0.5, maintenance=3_000_000, groups=7))

    alerts.start_account(1, 1_000_000)  # reset to its balance: every flag down
    alerts.start_account(3, 10_000_000)  # a fund opened above every milestone
    rich = Columns(**{f.name: np.append(getattr(columns(), f.name), 0) for f in fields(Columns)})
    rich.nav[3] = 10_000_000

    assert alerts.check(rich, np.arange(4, dtype=np.int64)) == []
    assert milestones(alerts.check(milestone(1_600_000), MOVER)) == [(Decimal(1_500_000), True)]
