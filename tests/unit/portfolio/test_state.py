"""Specification of one account's state: NAV, exposure, margin, P&L, positions and allocation."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from vtrade.core.errors import NotFoundError
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.market.catalog import Catalog
from vtrade.portfolio.state import AccountState, account_state, money, nav_of
from vtrade.portfolio.universe import Universe
from vtrade.portfolio.valuation import Valuation

D = Decimal
CATALOG = Catalog.load()


def margin_rates(inst: Instrument) -> tuple[float, float]:
    """Equities 50% initial / 25% maintenance, crypto 100% / 50%."""
    return (1.0, 0.5) if inst.asset_class is AssetClass.CRYPTO else (0.5, 0.25)


UNIVERSE = Universe(CATALOG, margin_rates)


def mark(v: Valuation, *prices: tuple[str, float]) -> None:
    v.mark(np.array([UNIVERSE.index_of(s) for s, _ in prices]), np.array([p for _, p in prices]))


def alice() -> Valuation:
    """A hand-built account: 50,000.004 cash, 100,000 initial, three positions.

    AAPL     100 @ 180  at 200          value 20,000  cost 18,000  unrealized 2,000
    BTC-USD  0.5 @ 40,000 at 50,000     value 25,000  cost 20,000  unrealized 5,000
    VOD.L  -1000 @ 110p at 100p, GBP/USD 1.25: value -1,250  cost -1,375  unrealized 125
    """
    v = Valuation(UNIVERSE)
    mark(v, ("AAPL", 200.0), ("BTC-USD", 50_000.0), ("GBP/USD", 1.25), ("VOD.L", 100.0))
    v.add_account("alice", 50_000.004, 100_000.0)
    v.set_position("alice", "AAPL", 100, 180.0)
    v.set_position("alice", "BTC-USD", 0.5, 40_000.0)
    v.set_position("alice", "VOD.L", -1_000, 110.0)
    return v


def test_account_state_reports_nav_cash_exposure_and_margin_of_a_hand_built_account() -> None:
    s = account_state(alice(), "alice")
    assert s.account_id == "alice"
    assert s.nav == D("93750.00")  # 50,000.004 + 20,000 + 25,000 - 1,250
    assert s.cash == D("50000.00")
    assert s.net_exposure == D("43750.00")
    assert s.gross_exposure == D("46250.00")
    assert s.margin_used == D("35625.00")  # 20,000 * 0.5 + 25,000 * 1.0 + 1,250 * 0.5
    assert s.margin_available == D("58125.00")  # NAV less the initial margin
    assert s.maintenance == D("17812.50")  # 20,000 * 0.25 + 25,000 * 0.5 + 1,250 * 0.25


def test_realized_pnl_is_total_pnl_less_unrealized_pnl() -> None:
    s = account_state(alice(), "alice")
    assert s.total_pnl == D("-6250.00")  # NAV 93,750.004 less 100,000
    assert s.unrealized_pnl == D("7125.00")  # 2,000 + 5,000 + 125
    assert s.realized_pnl == D("-13375.00")  # -6,249.996 - 7,125, rounded once


def test_positions_come_largest_first_with_values_unrealized_pnl_and_weights_of_nav() -> None:
    s = account_state(alice(), "alice")
    assert [p.symbol for p in s.positions] == ["BTC-USD", "AAPL", "VOD.L"]
    btc, aapl, vod = s.positions
    assert (btc.qty, btc.avg_price, btc.price) == (D("0.5"), D("40000"), D("50000"))
    assert (btc.value, btc.unrealized_pnl) == (D("25000.00"), D("5000.00"))
    assert (aapl.value, aapl.unrealized_pnl) == (D("20000.00"), D("2000.00"))
    assert (vod.qty, vod.avg_price, vod.price) == (D(-1000), D(110), D(100))  # pence
    assert (vod.value, vod.unrealized_pnl) == (D("-1250.00"), D("125.00"))
    nav = 93_750.004
    assert [p.weight for p in s.positions] == pytest.approx(
        [25_000 / nav, 20_000 / nav, 1_250 / nav]
    )
    assert btc.group == "Crypto: Layer 1 Crypto" and aapl.group == "Information Technology"
    assert vod.group == "Communication Services"


def test_allocation_sums_gross_exposure_by_group_largest_first_with_class_names() -> None:
    v = alice()
    mark(v, ("MSFT", 400.0))
    v.set_position("alice", "MSFT", 10, 400.0)  # Information Technology: 20,000 + 4,000
    allocation = account_state(v, "alice").allocation
    assert [(g.group, g.value) for g in allocation] == [
        ("Crypto: Layer 1 Crypto", D("25000.00")),
        ("Information Technology", D("24000.00")),
        ("Communication Services", D("1250.00")),
    ]
    gross = 25_000 + 24_000 + 1_250  # weights are shares of gross exposure, not of NAV
    assert [g.weight for g in allocation] == pytest.approx(
        [25_000 / gross, 24_000 / gross, 1_250 / gross]
    )


def test_allocation_names_other_classes_by_class_and_category() -> None:
    v = Valuation(UNIVERSE)
    mark(v, ("GC", 4_000.0), ("SPY", 600.0), ("EUR/USD", 1.1), ("UKX", 9_000.0), ("GBP/USD", 1.25))
    v.add_account("bob", 0.0, 0.0)
    for symbol in ("GC", "SPY", "EUR/USD", "UKX"):
        v.set_position("bob", symbol, 1, 1.0)
    assert {g.group for g in account_state(v, "bob").allocation} == {
        "Commodity: Precious Metals",
        "ETF: US Equity",
        "FX: FX Majors",
        "Index: Equity Index",
    }


def test_every_money_figure_is_rounded_to_the_cent() -> None:
    s = account_state(alice(), "alice")
    amounts = [getattr(s, f) for f in AccountState.__dataclass_fields__]
    amounts += [x for p in s.positions for x in (p.value, p.unrealized_pnl)]
    amounts += [g.value for g in s.allocation]
    decimals = [x for x in amounts if isinstance(x, Decimal)]
    assert len(decimals) == 11 + 2 * 3 + 3
    assert all(x.as_tuple().exponent == -2 for x in decimals)
    assert (money(0.0049), money(0.0151), money(-1.234)) == (D("0.00"), D("0.02"), D("-1.23"))


def test_day_pnl_is_measured_from_the_initial_balance_then_from_the_last_close() -> None:
    v = alice()
    s = account_state(v, "alice")
    assert s.day_pnl == D("-6250.00") and s.day_pnl_pct == pytest.approx(-6_249.996 / 100_000)
    v.close_day()
    v.mark_one(UNIVERSE.index_of("AAPL"), 201.5)
    s = account_state(v, "alice")
    assert s.day_pnl == D("150.00") and s.day_pnl_pct == pytest.approx(150 / 93_750.004)
    assert s.total_pnl == D("-6100.00")


def test_an_account_without_positions_has_no_positions_allocation_or_margin() -> None:
    v = Valuation(UNIVERSE)
    v.add_account("carol", 1_000.0, 1_000.0)
    s = account_state(v, "carol")
    assert (s.nav, s.margin_used, s.margin_available) == (D("1000.00"), D("0.00"), D("1000.00"))
    assert s.positions == () and s.allocation == () and s.day_pnl_pct == 0.0
    assert nav_of(v, "carol") == 1_000.0


def test_weights_are_zero_when_nav_is_not_positive() -> None:
    v = alice()
    v.set_cash("alice", -60_000.0)  # NAV -16,250
    s = account_state(v, "alice")
    assert s.nav == D("-16250.00") and all(p.weight == 0.0 for p in s.positions)
    assert nav_of(v, "alice") == pytest.approx(-16_250.0)


def test_the_state_of_an_unknown_account_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        account_state(alice(), "mallory")
    with pytest.raises(NotFoundError):
        nav_of(alice(), "mallory")


def test_whole_position_quantities_read_in_plain_notation() -> None:
    vod = account_state(alice(), "alice").positions[2]
    assert str(vod.qty) == "-1000"


def test_a_short_of_us_stock_needs_finras_short_maintenance_in_state_and_columns() -> None:
    """FINRA 4210(c)(2), as the execution engine's `AccountView` applies it: 30% (at least
    $5 a share) at $5 or more, all of the value (at least $2.50 a share) below $5."""
    v = Valuation(UNIVERSE)
    mark(v, ("AAPL", 200.0), ("AMC", 4.0), ("MSFT", 400.0))
    v.add_account("bob", 100_000.0, 100_000.0)
    v.set_position("bob", "AAPL", -100, 200.0)  # 20,000: 30% is 6,000 (25% would be 5,000)
    v.set_position("bob", "AMC", -1_000, 4.0)  # 4,000: all of it
    v.set_position("bob", "MSFT", 10, 400.0)  # a long keeps 25%: 1,000
    assert account_state(v, "bob").maintenance == D("11000.00")
    assert v.columns().maintenance == pytest.approx([11_000.0])


def test_streamed_total_pnl_matches_the_portfolio_state_for_the_same_nav() -> None:
    """GET /portfolio shows total P&L as the rounded NAV less the initial balance (94.00 for a
    NAV of 1,000,093.995); PortfolioValued and the hot figures (app.portfolio._figures) showed
    93.99 next to a NAV of 1,000,094.00 (review of this session's change)."""
    v = Valuation(UNIVERSE)
    v.add_account("demo", 1_000_093.995, 1_000_000.0)
    state = account_state(v, "demo")
    cols = v.columns()
    assert money(cols.day_pnl[0]) == state.day_pnl
    streamed_nav, streamed_total = money(cols.nav[0]), money(cols.total_pnl[0])
    assert (state.nav, state.total_pnl) == (streamed_nav, streamed_total)
