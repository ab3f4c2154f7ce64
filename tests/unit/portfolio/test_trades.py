"""Specification of fill analytics: FIFO closed trades, trade statistics, execution costs."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, Receipt
from vtrade.portfolio.trades import (
    ClosedTrade,
    closed_trades,
    execution_costs,
    trade_stats,
)

D = Decimal
BUY, SELL = Side.BUY, Side.SELL
_ids = itertools.count(1)


def receipt(
    *,
    spread: str | int = 0,
    impact: str | int = 0,
    fees: Decimal | str | int = 0,
    fx: Decimal | str | int = 1,
    frictionless: str | int = 0,
    profile: str = "realistic",
    drift: str | int = 0,
) -> Receipt:
    return Receipt(
        arrival_mid=D(100),
        touch=D(100),
        avg_price=D(100),
        spread_cost=D(spread),
        impact_cost=D(impact),
        fees=D(fees),
        fee_breakdown=(("commission", D(fees)),),
        fx_rate=D(fx),
        slices=(),
        profile=profile,
        liquidity="taker",
        frictionless_cost=D(frictionless),
        slippage_bps=D(0),
        drift_cost=D(drift),
    )


def fill(
    side: Side,
    qty: Decimal | str | int,
    price: Decimal | str | int,
    *,
    ts: int,
    symbol: str = "AAPL",
    fee: Decimal | str | int = 0,
    fx: str | int = 1,
    costs: Receipt | None = None,
) -> Fill:
    return Fill(
        id=f"f{next(_ids)}",
        order_id="o1",
        account_id="a1",
        symbol=symbol,
        side=side,
        qty=D(qty),
        price=D(price),
        fee=D(fee),
        fx_rate=D(fx),
        ts_ns=ts,
        profile="realistic",
        receipt=costs or receipt(fees=fee, fx=fx),
    )


def summary(trades: tuple[ClosedTrade, ...]) -> list[tuple[Side, Decimal, Decimal, Decimal]]:
    return [(t.side, t.qty, t.entry_price, t.pnl) for t in trades]


# --- closed trades ------------------------------------------------------------------------------


def test_a_sell_closes_the_oldest_long_lots_first() -> None:
    first = fill(BUY, 10, 100, ts=1)
    second = fill(BUY, 10, 110, ts=2)
    close = fill(SELL, 15, 120, ts=3)

    trades = closed_trades([first, second, close])

    assert summary(trades) == [(BUY, D(10), D(100), D(200)), (BUY, D(5), D(110), D(50))]
    assert [(t.open_fill_id, t.close_fill_id) for t in trades] == [
        (first.id, close.id),
        (second.id, close.id),
    ]
    assert (trades[0].opened_ns, trades[0].closed_ns, trades[0].holding_ns) == (1, 3, 2)


def test_a_fill_larger_than_the_position_flips_it_through_zero() -> None:
    fills = [fill(BUY, 10, 100, ts=1), fill(SELL, 15, 90, ts=2), fill(BUY, 5, 80, ts=3)]

    trades = closed_trades(fills)

    # long 10 closed at a 100 loss; the other 5 sold open a short closed at a 50 gain
    assert summary(trades) == [(BUY, D(10), D(100), D(-100)), (SELL, D(5), D(90), D(50))]
    assert trades[1].exit_price == D(80)


def test_a_short_position_gains_when_the_price_falls() -> None:
    trades = closed_trades([fill(SELL, 3, 50, ts=1), fill(BUY, 3, 45, ts=2)])

    assert summary(trades) == [(SELL, D(3), D(50), D(15))]


def test_lots_still_open_produce_no_trade() -> None:
    assert closed_trades([fill(BUY, 10, 100, ts=1), fill(BUY, 5, 101, ts=2)]) == ()
    assert closed_trades([]) == ()


def test_symbols_are_matched_separately() -> None:
    fills = [
        fill(BUY, 1, 100, ts=1, symbol="AAPL"),
        fill(SELL, 1, 200, ts=2, symbol="MSFT"),
        fill(SELL, 1, 110, ts=3, symbol="AAPL"),
        fill(BUY, 1, 190, ts=4, symbol="MSFT"),
    ]

    trades = closed_trades(fills)

    assert [(t.symbol, t.pnl) for t in trades] == [("AAPL", D(10)), ("MSFT", D(10))]


def test_fills_are_matched_in_timestamp_order_whatever_order_they_come_in() -> None:
    fills = [fill(SELL, 1, 110, ts=3), fill(BUY, 1, 100, ts=1), fill(BUY, 1, 105, ts=2)]

    (trade,) = closed_trades(fills)

    assert (trade.entry_price, trade.pnl) == (D(100), D(10))


def test_a_contracts_pnl_is_converted_at_the_closing_rate_and_fees_each_at_their_own() -> None:
    # UKX (an index, in pounds): 1 GBP = 1.25 VCR when bought, 1.30 VCR when sold
    buy = fill(BUY, 2, 8000, ts=1, symbol="UKX", fee=4, fx="1.25")
    sell = fill(SELL, 2, 8010, ts=2, symbol="UKX", fee=6, fx="1.30")

    (trade,) = closed_trades([buy, sell])

    assert trade.gross_pnl == D("26.00")  # 10 points * 2 * 1.30
    assert trade.fees == D("12.80")  # 4 * 1.25 + 6 * 1.30
    assert trade.pnl == D("13.20")


def test_a_holdings_pnl_is_what_the_sale_fetched_less_what_the_purchase_cost() -> None:
    # VOD.L trades in pence: 1 GBX = 0.0125 VCR when bought, 0.013 VCR when sold
    buy = fill(BUY, 100, 200, ts=1, symbol="VOD.L", fee=40, fx="0.0125")
    sell = fill(SELL, 100, 210, ts=2, symbol="VOD.L", fee=60, fx="0.013")

    (trade,) = closed_trades([buy, sell], holdings={"VOD.L"})

    assert trade.gross_pnl == D("23.00")  # 21,000p * 0.013 - 20,000p * 0.0125
    assert trade.fees == D("1.28")  # 40 * 0.0125 + 60 * 0.013
    assert trade.pnl == D("21.72")


def test_pnl_scales_with_the_contract_multiplier() -> None:
    fills = [fill(SELL, 2, 5000, ts=1, symbol="ES"), fill(BUY, 2, "4990.25", ts=2, symbol="ES")]

    (trade,) = closed_trades(fills, {"ES": D(50)})

    assert trade.pnl == D("975.00")  # 9.75 points * 2 contracts * 50


def test_fees_are_shared_pro_rata_between_the_trades_a_fill_takes_part_in() -> None:
    fills = [
        fill(BUY, 10, 100, ts=1, fee="1.00"),
        fill(SELL, 4, 101, ts=2, fee="0.40"),
        fill(SELL, 6, 101, ts=3, fee="0.60"),
    ]

    trades = closed_trades(fills)

    assert [t.fees for t in trades] == [D("0.80"), D("1.20")]
    assert [t.pnl for t in trades] == [D("3.20"), D("4.80")]


def average_cost_realized(fills: list[Fill]) -> Decimal:
    """Reference: realized P&L of an average-cost position, net of every fee (fx and mult 1)."""
    position, average, realized = D(0), D(0), D(0)
    for f in fills:
        signed = f.qty if f.side is BUY else -f.qty
        realized -= f.fee
        if position == 0 or (position > 0) == (signed > 0):
            average = (average * abs(position) + f.price * f.qty) / (abs(position) + f.qty)
            position += signed
            continue
        closing = min(f.qty, abs(position))
        realized += (f.price - average) * closing * (1 if position > 0 else -1)
        position += signed
        if f.qty > closing:
            average = f.price
    return realized


fill_specs = st.lists(
    st.tuples(
        st.sampled_from([BUY, SELL]),
        st.integers(min_value=1, max_value=50),
        st.decimals(min_value="1", max_value="500", places=2),
        st.decimals(min_value="0", max_value="5", places=2),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(specs=fill_specs, exit_price=st.decimals(min_value="1", max_value="500", places=2))
def test_closed_trade_pnl_of_a_round_trip_ending_flat_equals_average_cost_realized_pnl(
    specs: list[tuple[Side, int, Decimal, Decimal]], exit_price: Decimal
) -> None:
    fills = [
        fill(side, qty, price, ts=i, fee=fee) for i, (side, qty, price, fee) in enumerate(specs)
    ]
    position = sum(f.qty if f.side is BUY else -f.qty for f in fills)
    if position:
        fills.append(fill(SELL if position > 0 else BUY, abs(position), exit_price, ts=len(fills)))

    trades = closed_trades(fills)

    total = sum((t.pnl for t in trades), D(0))
    assert abs(total - average_cost_realized(fills)) <= D("0.01") * len(trades)
    assert sum(t.qty for t in trades) == sum(f.qty for f in fills) / 2


# --- trade statistics ---------------------------------------------------------------------------


def closed(pnl: str | int) -> ClosedTrade:
    return ClosedTrade(
        symbol="AAPL",
        side=BUY,
        qty=D(1),
        entry_price=D(100),
        exit_price=D(100) + D(pnl),
        opened_ns=0,
        closed_ns=1,
        open_fill_id="f1",
        close_fill_id="f2",
        gross_pnl=D(pnl),
        fees=D(0),
        pnl=D(pnl),
    )


def test_trade_stats_match_a_hand_computation() -> None:
    s = trade_stats([closed(100), closed(-50), closed(30), closed(-20), closed(0)])

    assert (s.count, s.wins, s.losses) == (5, 2, 2)
    assert s.win_rate == pytest.approx(0.4)
    assert (s.gross_profit, s.gross_loss, s.net_pnl) == (D(130), D(70), D(60))
    assert s.profit_factor == pytest.approx(130 / 70)
    assert (s.average_win, s.average_loss) == (D(65), D(-35))
    assert (s.largest_win, s.largest_loss) == (D(100), D(-50))
    assert s.expectancy == D(12)


def test_expectancy_is_the_mean_pnl_rounded_to_cents() -> None:
    s = trade_stats([closed(1), closed(1), closed(-1)])

    assert s.expectancy == D("0.33")
    assert s.average_win == D("1.00") and s.average_win.as_tuple().exponent == -2


def test_profit_factor_is_undefined_without_losses_and_zero_without_wins() -> None:
    assert trade_stats([closed(10), closed(5)]).profit_factor is None
    assert trade_stats([closed(-10), closed(0)]).profit_factor == 0.0


def test_no_trades_means_zero_counts_and_no_ratios() -> None:
    s = trade_stats([])

    assert (s.count, s.wins, s.losses) == (0, 0, 0)
    assert (s.gross_profit, s.gross_loss, s.net_pnl) == (D(0), D(0), D(0))
    assert (s.win_rate, s.profit_factor, s.expectancy) == (None, None, None)
    assert (s.average_win, s.average_loss, s.largest_win, s.largest_loss) == (None,) * 4


# --- execution costs ----------------------------------------------------------------------------


def test_execution_costs_total_in_vcr_at_each_receipts_rate_overall_and_per_profile() -> None:
    fills = [
        fill(
            BUY,
            100,
            100,
            ts=1,
            costs=receipt(spread=5, impact=5, fees=1, frictionless=10_000),
        ),
        fill(
            SELL,
            1000,
            200,
            ts=2,
            symbol="VOD.L",
            costs=receipt(
                spread=500, impact=240, fees=300, fx="0.0125", frictionless=200_000, drift=-80
            ),
        ),
        fill(
            BUY,
            10,
            100,
            ts=3,
            costs=receipt(
                spread=1, impact=2, fees="0.5", frictionless=1_000, profile="harsh", drift=3
            ),
        ),
    ]

    c = execution_costs(fills)

    assert c.fills == 3
    assert (c.spread, c.impact, c.fees) == (D("12.25"), D("10.00"), D("5.25"))
    assert c.total == D("27.50")
    assert (c.drift, c.shortfall) == (D("2.00"), D("29.50"))  # drift stays out of total
    assert c.frictionless == D("13500.00")
    assert c.cost_bps == pytest.approx(27.5 / 13_500 * 10_000)
    assert list(c.by_profile) == ["harsh", "realistic"]
    realistic, harsh = c.by_profile["realistic"], c.by_profile["harsh"]
    assert (realistic.fills, realistic.total) == (2, D(24))
    assert realistic.cost_bps == pytest.approx(19.2)
    assert (harsh.fills, harsh.total, harsh.shortfall) == (1, D("3.5"), D("6.50"))
    assert harsh.cost_bps == pytest.approx(35.0)
    assert dict(harsh.by_profile) == {}


def test_price_improvement_lowers_the_total_cost() -> None:
    improved = receipt(spread=2, impact=-3, fees=0, frictionless=1_000)

    c = execution_costs([fill(BUY, 10, 100, ts=1, costs=improved)])

    assert (c.impact, c.total) == (D(-3), D(-1))
    assert c.cost_bps == pytest.approx(-10.0)


def test_no_fills_cost_nothing_and_have_no_cost_in_bps() -> None:
    c = execution_costs([])

    assert (c.fills, c.spread, c.impact, c.fees, c.total, c.frictionless) == (0, *[D(0)] * 5)
    assert c.cost_bps is None
    assert dict(c.by_profile) == {}
