"""Specification of equity-curve analytics: returns, risk, drawdowns, exposure, downsampling."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrade.core.errors import ValidationError
from vtrade.domain.portfolio import EquityPoint
from vtrade.portfolio.analytics import (
    CURVE_WINDOWS,
    CurveWindow,
    downsample,
    exposure,
    parse_window,
    period_return,
    returns,
    risk_metrics,
)

D = Decimal
DAY = 86_400 * 10**9
Prices = list[tuple[int, Decimal | int]]  # a benchmark price series: (ts_ns, price)


def curve(*navs: Decimal | str | int | float, step: int = 1) -> list[EquityPoint]:
    """Equity points at ts 0, step, 2*step... with the given NAVs."""
    return [
        EquityPoint(account_id="a1", ts_ns=i * step, nav=D(str(nav)), cash=D(0))
        for i, nav in enumerate(navs)
    ]


positive_navs = st.lists(
    st.decimals(min_value="0.01", max_value="10000000", places=2), min_size=0, max_size=60
)


# --- returns ------------------------------------------------------------------------------------


def test_returns_are_the_relative_change_from_one_nav_to_the_next() -> None:
    assert returns([D(100), D(110), D(99)]) == (0.1, -0.1)


def test_returns_of_fewer_than_two_navs_are_empty() -> None:
    assert returns([]) == ()
    assert returns([D(100)]) == ()


def test_a_period_starting_at_zero_or_negative_nav_counts_as_a_zero_return() -> None:
    assert returns([D(0), D(50), D(-10), D(-5)]) == (0.0, -1.2, 0.0)


def test_period_return_compares_the_first_point_at_start_with_the_last_before_end() -> None:
    points = curve(100, 110, 120, 90, 150)  # ts 0..4

    assert period_return(points, 1, 4) == pytest.approx(90 / 110 - 1)
    assert period_return(points, 1, 5) == pytest.approx(150 / 110 - 1)
    assert period_return(points, -10, 100) == pytest.approx(0.5)


def test_period_return_is_none_for_an_empty_period_and_zero_for_a_single_point() -> None:
    points = curve(100, 110, 120)

    assert period_return(points, 5, 9) is None
    assert period_return([], 0, 9) is None
    assert period_return(points, 1, 2) == 0.0


# --- risk metrics -------------------------------------------------------------------------------


def test_max_drawdown_is_the_largest_fall_from_a_running_peak_with_its_times() -> None:
    points = curve(100, 120, 90, 110, 60, 130, 117)  # peaks 100 120 120 120 120 130 130

    m = risk_metrics(points, periods_per_year=252)

    assert m.max_drawdown == pytest.approx(0.5)  # 120 -> 60
    assert (m.max_drawdown_peak_ns, m.max_drawdown_trough_ns) == (1, 4)
    assert m.current_drawdown == pytest.approx(0.1)  # 130 -> 117
    assert m.total_return == pytest.approx(0.17)


def test_a_drawdown_starts_at_the_latest_time_the_peak_was_reached() -> None:
    m = risk_metrics(curve(100, 90, 100, 80), periods_per_year=252)

    assert m.max_drawdown == pytest.approx(0.2)
    assert (m.max_drawdown_peak_ns, m.max_drawdown_trough_ns) == (2, 3)


def test_sharpe_sortino_and_volatility_match_a_hand_computation() -> None:
    points = curve(100, 110, "104.5", "114.95")  # returns +10%, -5%, +10%
    mean = 0.05
    sample_std = math.sqrt((0.05**2 + 0.1**2 + 0.05**2) / 2)
    downside = math.sqrt((0 + 0.05**2 + 0) / 3)  # over all three periods, target 0

    m = risk_metrics(points, periods_per_year=252)

    assert m.periods == 3
    assert m.volatility == pytest.approx(sample_std * math.sqrt(252))
    assert m.sharpe == pytest.approx(mean / sample_std * math.sqrt(252))
    assert m.sortino == pytest.approx(mean / downside * math.sqrt(252))


def test_the_annual_risk_free_rate_is_spread_evenly_over_the_periods() -> None:
    points = curve(100, 110, "104.5", "114.95")
    sample_std = math.sqrt((0.05**2 + 0.1**2 + 0.05**2) / 2)

    m = risk_metrics(points, periods_per_year=12, risk_free=0.12)

    assert m.sharpe == pytest.approx((0.05 - 0.01) / sample_std * math.sqrt(12))


def test_an_empty_curve_has_no_return_and_no_risk_figures() -> None:
    m = risk_metrics([], periods_per_year=252, benchmark=[(0, 100)])

    assert m.periods == 0
    assert m.total_return is None
    assert (m.volatility, m.sharpe, m.sortino, m.beta, m.correlation) == (None,) * 5
    assert (m.max_drawdown, m.current_drawdown) == (0.0, 0.0)
    assert m.max_drawdown_peak_ns is None and m.max_drawdown_trough_ns is None


def test_a_single_point_has_a_zero_return_and_undefined_volatility() -> None:
    m = risk_metrics(curve(100), periods_per_year=252)

    assert m.total_return == 0.0
    assert (m.volatility, m.sharpe, m.sortino) == (None, None, None)
    assert m.max_drawdown == 0.0


@pytest.mark.parametrize(
    "navs",
    [(100, 100, 100, 100), (100, 110, 121, "133.1")],
    ids=["flat", "constant-growth"],
)
def test_constant_returns_have_zero_volatility_and_no_sharpe_or_sortino(
    navs: Sequence[str | int],
) -> None:
    m = risk_metrics(curve(*navs), periods_per_year=252)

    assert m.volatility == 0.0
    assert m.sharpe is None and m.sortino is None
    assert m.max_drawdown == 0.0 and m.current_drawdown == 0.0


def test_a_curve_that_never_falls_has_a_sharpe_but_no_sortino() -> None:
    m = risk_metrics(curve(100, 101, 105, 106), periods_per_year=252)

    assert m.sharpe is not None and m.sharpe > 0
    assert m.sortino is None


def test_a_first_nav_that_is_not_positive_leaves_the_total_return_undefined() -> None:
    assert risk_metrics(curve(0, 100), periods_per_year=252).total_return is None


def test_points_are_taken_in_timestamp_order() -> None:
    points = curve(100, 120, 60)

    assert risk_metrics(points[::-1], periods_per_year=252) == risk_metrics(
        points, periods_per_year=252
    )


@pytest.mark.parametrize("periods", [0, -1, math.inf, math.nan])
def test_periods_per_year_must_be_a_positive_number(periods: float) -> None:
    with pytest.raises(ValidationError, match="periods_per_year"):
        risk_metrics(curve(100, 101), periods_per_year=periods)


def test_beta_and_correlation_of_a_curve_moving_twice_the_benchmark() -> None:
    points = curve(100, 120, 96, step=10)  # +20%, -20%
    benchmark: Prices = [(0, 50), (10, 55), (20, D("49.5"))]  # +10%, -10%

    m = risk_metrics(points, periods_per_year=252, benchmark=benchmark)

    assert m.beta == pytest.approx(2.0)
    assert m.correlation == pytest.approx(1.0)


def test_a_curve_moving_against_the_benchmark_has_negative_beta_and_correlation() -> None:
    points = curve(100, 90, 99, 89.1)  # -10%, +10%, -10%
    benchmark: Prices = [(0, 100), (1, 110), (2, 99), (3, D("108.9"))]

    m = risk_metrics(points, periods_per_year=252, benchmark=benchmark)

    assert m.beta == pytest.approx(-1.0)
    assert m.correlation == pytest.approx(-1.0)


def test_each_point_is_paired_with_the_last_benchmark_price_at_or_before_it() -> None:
    points = curve(100, 100, 120, 96, step=10)  # ts 0 has no benchmark price yet
    # unordered on purpose
    benchmark: Prices = [(12, 999), (20, 55), (5, 50), (29, D("49.5")), (31, 1)]

    m = risk_metrics(points, periods_per_year=252, benchmark=benchmark)

    # aligned: ts 10 -> 50 (ts 5), ts 20 -> 55 (same ts), ts 30 -> 49.5 (ts 29)
    assert m.beta == pytest.approx(2.0)
    assert m.correlation == pytest.approx(1.0)


def test_beta_is_undefined_without_a_benchmark_or_with_too_little_overlap() -> None:
    points = curve(100, 120, 96)

    assert risk_metrics(points, periods_per_year=252).beta is None
    late = risk_metrics(points, periods_per_year=252, benchmark=[(2, 100)])
    assert (late.beta, late.correlation) == (None, None)
    empty = risk_metrics(points, periods_per_year=252, benchmark=[])
    assert (empty.beta, empty.correlation) == (None, None)


def test_a_benchmark_that_does_not_move_explains_nothing() -> None:
    m = risk_metrics(curve(100, 120, 96), periods_per_year=252, benchmark=[(0, 10)])

    assert (m.beta, m.correlation) == (None, None)


def test_a_flat_curve_has_zero_beta_and_undefined_correlation() -> None:
    benchmark: Prices = [(0, 50), (1, 55), (2, D("49.5"))]

    m = risk_metrics(curve(100, 100, 100), periods_per_year=252, benchmark=benchmark)

    assert m.beta == 0.0
    assert m.correlation is None


@settings(max_examples=200, deadline=None)
@given(navs=positive_navs)
def test_drawdowns_of_positive_navs_lie_between_zero_and_one(navs: list[Decimal]) -> None:
    m = risk_metrics(curve(*navs), periods_per_year=252)

    assert 0.0 <= m.current_drawdown <= m.max_drawdown < 1.0
    if m.max_drawdown > 0:
        assert m.max_drawdown_peak_ns is not None and m.max_drawdown_trough_ns is not None
        assert m.max_drawdown_peak_ns < m.max_drawdown_trough_ns


@settings(max_examples=200, deadline=None)
@given(navs=positive_navs, bench=positive_navs)
def test_every_risk_figure_is_finite_or_none(navs: list[Decimal], bench: list[Decimal]) -> None:
    benchmark: Prices = [(i, price) for i, price in enumerate(bench)]

    m = risk_metrics(curve(*navs), periods_per_year=252, risk_free=0.03, benchmark=benchmark)

    figures = [
        m.total_return,
        m.volatility,
        m.sharpe,
        m.sortino,
        m.max_drawdown,
        m.current_drawdown,
        m.beta,
        m.correlation,
    ]
    assert all(f is None or math.isfinite(f) for f in figures)
    assert m.correlation is None or -1.0 <= m.correlation <= 1.0


# --- exposure -----------------------------------------------------------------------------------


def classify(symbol: str) -> str:
    return "fx" if "/" in symbol else "equity"


def test_exposure_sums_gross_and_net_and_weights_groups_by_their_share_of_gross() -> None:
    values = {"AAPL": D("600"), "MSFT": D("-200"), "EUR/USD": D("200")}

    e = exposure(values, classify)

    assert (e.gross, e.net, e.long, e.short) == (D("1000.00"), D("600.00"), D(800), D(-200))
    assert list(e.groups) == ["equity", "fx"]
    equity, fx = e.groups["equity"], e.groups["fx"]
    assert (equity.gross, equity.net) == (D(800), D(400)) and equity.weight == pytest.approx(0.8)
    assert (fx.gross, fx.net) == (D(200), D(200)) and fx.weight == pytest.approx(0.2)


def test_exposure_money_is_quantized_to_cents() -> None:
    e = exposure({"AAPL": D("100.004"), "MSFT": D("-0.006")}, classify)

    assert e.gross == D("100.01") and e.gross.as_tuple().exponent == -2
    assert e.net == D("100.00")


def test_groups_are_ordered_by_gross_then_by_name() -> None:
    e = exposure({"A": D(1), "B": D(-1), "C": D(5)}, lambda symbol: symbol)

    assert list(e.groups) == ["C", "A", "B"]


def test_no_positions_means_no_exposure_and_no_groups() -> None:
    e = exposure({}, classify)

    assert (e.gross, e.net, e.long, e.short) == (D(0), D(0), D(0), D(0))
    assert dict(e.groups) == {}


def test_a_group_of_flat_positions_has_zero_weight() -> None:
    e = exposure({"AAPL": D(0)}, classify)

    assert e.groups["equity"].weight == 0.0


@given(
    values=st.dictionaries(
        st.sampled_from(["AAPL", "MSFT", "EUR/USD", "GBP/USD", "ES"]),
        st.decimals(min_value="-1000000", max_value="1000000", places=2),
    )
)
def test_group_weights_sum_to_one_whenever_there_is_exposure(values: dict[str, Decimal]) -> None:
    e = exposure(values, classify)

    total = sum(g.weight for g in e.groups.values())
    assert total == pytest.approx(1.0 if e.gross else 0.0)
    assert e.gross == e.long - e.short and abs(e.net) <= e.gross


# --- windows and downsampling -------------------------------------------------------------------


def test_curve_windows_name_their_duration_and_point_budget() -> None:
    assert CURVE_WINDOWS == {
        "1d": CurveWindow(DAY, 390),
        "7d": CurveWindow(7 * DAY, 672),
        "30d": CurveWindow(30 * DAY, 720),
        "1y": CurveWindow(365 * DAY, 365),
    }
    duration_ns, max_points = CURVE_WINDOWS["7d"]
    assert (duration_ns, max_points) == (7 * DAY, 672)


@pytest.mark.parametrize("text", ["7d", "7D", " 7d "])
def test_parse_window_accepts_a_known_name_in_any_case(text: str) -> None:
    assert parse_window(text) == CURVE_WINDOWS["7d"]


def test_parse_window_rejects_an_unknown_name_and_lists_the_allowed_ones() -> None:
    with pytest.raises(ValidationError, match="1d, 7d, 30d, 1y") as raised:
        parse_window("2d")

    assert raised.value.details["allowed"] == ["1d", "7d", "30d", "1y"]


def test_downsample_keeps_the_last_point_of_each_equal_time_bucket_and_the_first() -> None:
    points = curve(*range(10))  # ts 0..9; buckets of 3 ns: 0-2, 3-5, 6-9

    kept = downsample(points, 3)

    assert [p.ts_ns for p in kept] == [0, 2, 5, 9]


def test_downsample_skips_empty_buckets() -> None:
    ts = [0, 1, 2, 98, 99, 100]  # buckets of 25 ns: 0-24, 25-49 (empty), 50-74 (empty), 75-100
    points = [EquityPoint(account_id="a", ts_ns=t, nav=D(1), cash=D(0)) for t in ts]

    assert [p.ts_ns for p in downsample(points, 4)] == [0, 2, 100]


def test_downsample_returns_a_series_that_is_already_small_enough_unchanged() -> None:
    points = curve(1, 2, 3)

    assert downsample(points, 3) == tuple(points)
    assert downsample([], 5) == ()


def test_downsample_of_points_at_one_instant_keeps_the_first_and_last() -> None:
    points = [EquityPoint(account_id="a", ts_ns=7, nav=D(n), cash=D(0)) for n in range(5)]

    assert downsample(points, 2) == (points[0], points[-1])


def test_downsample_needs_room_for_at_least_one_point() -> None:
    with pytest.raises(ValidationError, match="max_points"):
        downsample(curve(1, 2, 3), 0)


@settings(max_examples=300, deadline=None)
@given(
    ts=st.lists(st.integers(min_value=0, max_value=10**15), max_size=200).map(sorted),
    max_points=st.integers(min_value=1, max_value=50),
)
def test_downsample_keeps_first_and_last_in_order_within_budget(
    ts: list[int], max_points: int
) -> None:
    points = [EquityPoint(account_id="a", ts_ns=t, nav=D(i), cash=D(0)) for i, t in enumerate(ts)]

    kept = downsample(points, max_points)

    assert len(kept) <= max_points + 1 and len(kept) <= len(points)
    if points:
        assert kept[0] is points[0] and kept[-1] is points[-1]
    order = [int(p.nav) for p in kept]  # nav holds the input index
    assert order == sorted(set(order))
