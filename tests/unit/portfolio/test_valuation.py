"""Specification of the delta valuation: ticks, batches, FX, the reverse index and its columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrade.core.errors import NotFoundError, ValidationError
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.market.catalog import Catalog
from vtrade.portfolio.holdings import Holdings
from vtrade.portfolio.universe import Universe
from vtrade.portfolio.valuation import Valuation

CATALOG = Catalog.load()
RATES = {AssetClass.EQUITY: (0.5, 0.25), AssetClass.CRYPTO: (1.0, 0.5)}


def margin_rates(inst: Instrument) -> tuple[float, float]:
    return RATES.get(inst.asset_class, (0.1, 0.05))


UNIVERSE = Universe(CATALOG, margin_rates)
REFERENCE = {i.symbol: float(i.market.reference_price) for i in CATALOG}


def priced(*ticks: tuple[str, float], skip: tuple[str, ...] = ()) -> Valuation:
    """A valuation with the catalog (less `skip`) at reference prices, then `ticks`."""
    v = Valuation(UNIVERSE)
    batch(v, *((s, p) for s, p in REFERENCE.items() if s not in skip))
    batch(v, *ticks)
    return v


def batch(v: Valuation, *ticks: tuple[str, float]) -> int:
    return v.mark(
        np.array([UNIVERSE.index_of(s) for s, _ in ticks], dtype=np.int64),
        np.array([p for _, p in ticks], dtype=np.float64),
    )


def tick(v: Valuation, symbol: str, price: float) -> None:
    v.mark_one(UNIVERSE.index_of(symbol), price)


def figures(v: Valuation, account: str) -> tuple[float, float, float]:
    a = v.account_index(account)
    return float(v.net[a]), float(v.gross[a]), float(v.cost[a])


def dirty_ids(v: Valuation) -> set[str]:
    return {v.ids[a] for a in v.take_dirty()}


# --- the property: deltas equal a recompute and an independent reference -------------------

HELD = ("AAPL", "MSFT", "BTC-USD", "GC", "CL", "HG", "VOD.L", "HSBA.L", "UKX", "EUR/GBP")
HELD += ("DAX", "SX5E", "N225", "TPX", "EUR/JPY", "GBP/USD", "EUR/USD", "USD/JPY")
FX = ("GBP/USD", "EUR/USD", "USD/JPY")
LATE = ("MSFT", "HSBA.L", "TPX")  # unpriced until a tick prices them
ACCOUNTS = tuple(f"acct-{k}" for k in range(6))
Op = tuple[Any, ...]
Seen = dict[str, tuple[float, float, float]]  # last figures of each account


class Book:
    """The plain-Python reference: prices, cash and positions, valued from scratch."""

    def __init__(self) -> None:
        self.prices = {s: p for s, p in REFERENCE.items() if s not in LATE}
        self.cash: dict[str, float] = {}
        # (qty, avg price, VCR per unit of price when entered): the cost basis keeps its rate
        self.positions: dict[str, dict[str, tuple[float, float, float]]] = {}

    def per_unit(self, symbol: str) -> float:
        """VCR per unit of price: multiplier * the catalog's USD conversion of the currency."""
        inst = CATALOG.get(symbol)
        pair, invert, scale = CATALOG.usd_conversion(inst.currency)
        mid = 1.0 if pair is None else self.prices[pair]
        return float(inst.multiplier) * (float(scale) / mid if invert else float(scale) * mid)

    def valued(self, account: str) -> list[tuple[float, float, float]]:
        """(value, cost, carry) in VCR of each position: the value at today's rate, the cost
        at the rate it was entered at, and for a contract that settles P&L what its cost has
        gained from the rate's move since (NAV = cash + value - carry)."""
        return [
            (
                q * self.prices[s] * self.per_unit(s),
                q * avg * entered,
                q * avg * (self.per_unit(s) - entered) if CATALOG.get(s).settles_pnl else 0.0,
            )
            for s, (q, avg, entered) in self.positions[account].items()
        ]


price_factor = st.integers(500, 2000).map(lambda k: k / 1000)
hundredths = st.integers(-20_000, 20_000).map(lambda k: k / 100)
quantity = st.one_of(st.just(0.0), st.integers(-200, 200).map(float), hundredths)
cash = st.integers(-(10**6), 10**7).map(float)
account = st.sampled_from(ACCOUNTS)
symbol_ticks = st.lists(st.tuples(st.sampled_from(HELD), price_factor), max_size=10)
OPS = st.one_of(
    st.tuples(st.just("add"), account, cash),
    st.tuples(st.just("position"), account, st.sampled_from(HELD), quantity, price_factor),
    st.tuples(st.just("position"), account, st.sampled_from(HELD), quantity, price_factor),
    st.tuples(st.just("cash"), account, cash),
    st.tuples(st.just("tick"), st.sampled_from(HELD), price_factor),
    st.tuples(st.just("batch"), symbol_ticks),
    st.tuples(st.just("batch"), st.lists(st.tuples(st.sampled_from(FX), price_factor), max_size=4)),
    st.tuples(st.just("reset"), account, cash),
)


def apply(v: Valuation, book: Book, op: Op) -> None:
    kind, *args = op
    if kind == "add":
        v.add_account(args[0], args[1], args[1])
        book.cash.setdefault(args[0], args[1])
        book.positions.setdefault(args[0], {})
    elif kind in ("position", "cash", "reset") and args[0] not in book.cash:
        with pytest.raises(NotFoundError):
            v.account_index(args[0])
    elif kind == "position":
        acct, symbol, qty, factor = args
        avg = REFERENCE[symbol] * factor
        if qty and symbol not in book.prices:
            with pytest.raises(ValidationError):
                v.set_position(acct, symbol, qty, avg)
            return
        v.set_position(acct, symbol, qty, avg)  # entered at the current rate
        book.positions[acct].pop(symbol, None)
        if qty:
            book.positions[acct][symbol] = (qty, avg, book.per_unit(symbol))
    elif kind == "cash":
        v.set_cash(args[0], args[1])
        book.cash[args[0]] = args[1]
    elif kind == "tick":
        tick(v, args[0], REFERENCE[args[0]] * args[1])
        book.prices[args[0]] = REFERENCE[args[0]] * args[1]
    elif kind == "batch":
        batch(v, *((s, REFERENCE[s] * f) for s, f in args[0]))
        book.prices.update((s, REFERENCE[s] * f) for s, f in args[0])
    else:
        v.reset_account(args[0], args[1], args[1])
        book.cash[args[0]], book.positions[args[0]] = args[1], {}


def assert_matches(v: Valuation, book: Book, seen: Seen) -> None:
    """Kept figures equal a recompute and the reference; an account that moved is dirty."""
    fresh, dirty = v.recompute(), dirty_ids(v)
    for a, acct in enumerate(v.ids):
        valued = book.valued(acct)
        gross = sum(abs(x) for x, _, _ in valued)
        carry = sum(k for _, _, k in valued)
        want = (sum(x for x, _, _ in valued), gross, sum(c for _, c, _ in valued), carry)
        scales = (gross, gross, sum(abs(c) for _, c, _ in valued), gross)
        kept_now = (*figures(v, acct), float(v.carry[a]))
        for kept, again, expected, scale in zip(kept_now, fresh, want, scales, strict=True):
            tol = 1e-9 * scale + 1e-6  # relative to the book: long and short values may cancel
            assert abs(kept - expected) <= tol and abs(again[a] - expected) <= tol
        held = {UNIVERSE.symbols[i] for i, _ in v.holdings.of_account(a)}
        assert held == set(book.positions[acct])
        now = (book.cash[acct] + want[0] - carry, gross, want[2])  # NAV, gross, cost
        before, seen[acct] = seen.get(acct, now), now
        tol = 1e-9 * (gross + scales[2] + abs(book.cash[acct])) + 1e-6
        assert acct in dirty or all(abs(x - y) <= tol for x, y in zip(now, before, strict=True))


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(OPS, min_size=100, max_size=300))
def test_delta_kept_net_gross_and_cost_equal_a_recompute_and_a_plain_reference(
    steps: list[Op],
) -> None:
    v, book = priced(skip=LATE), Book()
    seen: Seen = {}
    for op in steps:
        apply(v, book, op)
        assert_matches(v, book, seen)


# --- ticks, batches and FX, by hand -----------------------------------------------------------


def with_accounts(v: Valuation, **positions: list[tuple[str, float, float]]) -> Valuation:
    for acct, held in positions.items():
        v.add_account(acct, 0.0, 0.0)
        for symbol, qty, avg in held:
            v.set_position(acct, symbol, qty, avg)
    return v


def test_an_aapl_tick_moves_only_its_holders_nav_by_qty_times_the_price_change() -> None:
    v = with_accounts(
        priced(("AAPL", 200.0)),
        a=[("AAPL", 100, 150.0)],
        b=[("AAPL", -30, 210.0)],
        c=[("MSFT", 10, 400.0)],
    )
    before = {acct: figures(v, acct) for acct in "abc"}
    tick(v, "AAPL", 203.5)
    assert figures(v, "a") == pytest.approx(np.add(before["a"], (350.0, 350.0, 0.0)))
    assert figures(v, "b") == pytest.approx(np.add(before["b"], (-105.0, 105.0, 0.0)))
    assert figures(v, "c") == before["c"]


def test_a_gbp_usd_tick_revalues_a_gbx_holding_but_not_its_cost_at_the_entry_rate() -> None:
    v = with_accounts(priced(("GBP/USD", 1.30), ("VOD.L", 90.0)), a=[("VOD.L", 1000, 80.0)])
    assert figures(v, "a") == pytest.approx((1170.0, 1170.0, 1040.0))  # qty * price * 0.01 * rate
    tick(v, "GBP/USD", 1.35)
    net, gross, cost = figures(v, "a")
    assert (net, gross, cost) == pytest.approx((1170.0 + 45.0, 1170.0 + 45.0, 1040.0))
    assert net - cost == pytest.approx(130.0 + 45.0)  # the pound's rise is unrealized P&L too


def test_a_position_entered_at_another_rate_keeps_that_rate_in_its_cost() -> None:
    v = priced(("GBP/USD", 1.30), ("VOD.L", 90.0))
    v.add_account("a", 0.0, 0.0)
    v.set_position("a", "VOD.L", 1000, 80.0, entry_fx=0.012)  # bought when GBP/USD was 1.20
    assert figures(v, "a") == pytest.approx((1170.0, 1170.0, 960.0))
    v.set_position("a", "VOD.L", 0, 0.0)
    assert figures(v, "a") == pytest.approx((0.0, 0.0, 0.0))


def test_jpy_instruments_convert_through_the_inverted_usd_jpy_rate_and_futures_multiply() -> None:
    v = priced(("USD/JPY", 160.0), ("N225", 40_000.0), ("GC", 4_000.0))
    with_accounts(v, a=[("N225", 2, 38_000.0), ("GC", -3, 3_900.0)])
    assert figures(v, "a") == pytest.approx((500.0 - 1_200_000.0, 1_200_500.0, 475.0 - 1_170_000.0))
    tick(v, "USD/JPY", 200.0)  # values fall with the yen; costs keep the rate they were paid at
    assert figures(v, "a") == pytest.approx((400.0 - 1_200_000.0, 1_200_400.0, 475.0 - 1_170_000.0))


def test_a_batch_that_repeats_an_instrument_applies_its_last_price() -> None:
    v = with_accounts(priced(("AAPL", 200.0)), a=[("AAPL", 100, 150.0)])
    batch(v, ("AAPL", 201.0), ("MSFT", 400.0), ("AAPL", 205.0))
    assert v.price[UNIVERSE.index_of("AAPL")] == 205.0
    assert figures(v, "a")[0] == pytest.approx(20_500.0)


def test_mark_returns_how_many_instruments_changed_value() -> None:
    v = priced(("AAPL", 200.0), ("MSFT", 400.0))
    assert batch(v, ("AAPL", 201.0), ("MSFT", 400.0), ("AAPL", 202.0)) == 1
    assert batch(v) == 0
    in_pounds = sum(i.currency in ("GBP", "GBX") for i in CATALOG)
    assert batch(v, ("GBP/USD", 1.40)) == 1 + in_pounds  # the pair and all it converts
    with pytest.raises(ValidationError):
        v.mark(np.array([1, 2]), np.array([1.0]))


def test_only_holders_of_what_moved_are_dirty_and_take_dirty_forgets_them() -> None:
    v = with_accounts(priced(), a=[("AAPL", 1, 1.0)], b=[("MSFT", 1, 1.0)], c=[])
    assert dirty_ids(v) == {"a", "b", "c"}
    assert dirty_ids(v) == set()
    tick(v, "AAPL", 300.0)
    assert dirty_ids(v) == {"a"}
    assert dirty_ids(v) == set()
    batch(v, *((s, p * 1.01) for s, p in REFERENCE.items() if s != "MSFT"))
    assert dirty_ids(v) == {"a"}


def test_a_usd_jpy_long_earns_its_price_move_in_yen_at_todays_rate() -> None:
    v = with_accounts(priced(("USD/JPY", 150.0)), a=[("USD/JPY", 1000, 150.0)])  # $1,000
    v.take_dirty()
    tick(v, "USD/JPY", 160.0)  # the dollar buys 10 yen more: 10,000 yen, $62.50 at 160
    assert dirty_ids(v) == {"a"}
    columns = v.columns()
    assert columns.nav[0] == pytest.approx(1062.5) and columns.unrealized[0] == pytest.approx(62.5)
    assert figures(v, "a")[0] == pytest.approx(1000.0)  # its exposure: still $1,000 long
    v.resync()
    assert v.columns().nav[0] == pytest.approx(1062.5)


def test_a_position_in_an_instrument_or_currency_without_a_price_is_rejected() -> None:
    v = with_accounts(Valuation(UNIVERSE), a=[])
    batch(v, ("VOD.L", 90.0))  # GBP/USD not yet priced
    for symbol in ("VOD.L", "AAPL"):
        with pytest.raises(ValidationError, match="no price"):
            v.set_position("a", symbol, 10, 1.0)
    assert len(v.holdings) == 0 and figures(v, "a") == (0.0, 0.0, 0.0)
    with pytest.raises(NotFoundError):
        v.set_position("nobody", "AAPL", 1, 1.0)


def test_flattening_an_instrument_priced_before_its_fx_rate_keeps_the_account_finite() -> None:
    v = with_accounts(Valuation(UNIVERSE), a=[])
    batch(v, ("VOD.L", 90.0))  # GBP/USD not yet priced: VOD.L has no VCR value
    v.set_position("a", "VOD.L", 0, 0.0)  # e.g. replaying a flat position
    assert np.isfinite(figures(v, "a")).all()


def test_reapplying_the_same_position_changes_nothing() -> None:
    v = with_accounts(priced(), a=[("AAPL", 100, 150.0), ("VOD.L", -50, 80.0)])
    before, layout = figures(v, "a"), v.holdings.layout_version
    v.set_position("a", "AAPL", 100, 150.0)
    v.set_position("a", "VOD.L", -50, 80.0)
    assert figures(v, "a") == before and len(v.holdings) == 2
    assert v.holdings.layout_version == layout


def test_a_reset_closes_every_position_and_restores_the_balance() -> None:
    v = with_accounts(priced(), a=[("AAPL", 100, 1.0), ("GC", 1, 1.0)], b=[("AAPL", 5, 1.0)])
    v.reset_account("a", 5_000.0, 5_000.0)
    assert figures(v, "a") == (0.0, 0.0, 0.0) and v.holdings.of_account(0) == []
    assert v.cash[0] == 5_000.0 and v.columns().day_pnl[0] == 0.0
    tick(v, "AAPL", 300.0)
    assert figures(v, "a") == (0.0, 0.0, 0.0) and figures(v, "b")[0] == pytest.approx(1_500.0)


def test_compaction_keeps_figures_finite_while_an_instrument_awaits_its_fx_rate() -> None:
    v = Valuation(UNIVERSE)
    batch(v, ("AAPL", 100.0), ("MSFT", 100.0), ("VOD.L", 90.0))  # GBP/USD not yet priced
    for k in range(600):
        with_accounts(v, **{f"x{k}": [("AAPL", 1, 100.0)]})
    for k in range(1, 600):
        v.set_position(f"x{k}", "AAPL", 0, 0.0)
    size = v.holdings.size
    v.set_position("x1", "MSFT", 1, 100.0)  # MSFT's first block: compaction
    assert v.holdings.size < size
    assert np.isfinite(v.recompute()).all() and np.isfinite(v.columns().margin).all()


# --- the reverse index --------------------------------------------------------------------------


def assert_index_matches(h: Holdings, model: dict[tuple[int, int], float]) -> None:
    """Every position where the model has it; the slots outside the blocks hold nothing."""
    assert len(h) == len(model)
    for (a, i), q in model.items():
        assert h.get(a, i) == (q, 10 * q, 3 * q)
    for i in range(h.count.shape[0]):
        block = h.block(i)
        assert sorted(h.account[block].tolist()) == sorted(a for a, j in model if j == i)
        assert (h.instrument[block] == i).all() and h.count[i] <= h.room[i]
        assert (h.side[block] == 2 * h.account[block] + (h.qty[block] < 0)).all()
    assert np.count_nonzero(h.qty[: h.size]) == np.count_nonzero(h.abs_qty[: h.size]) == len(model)
    for a in {a for a, _ in model}:
        held = h.of_account(a)
        assert [i for i, _ in held] == sorted(i for b, i in model if b == a)
        assert all(h.qty[slot] == model[(a, i)] for i, slot in held)


def test_thousands_of_holders_grow_and_compact_the_blocks_and_every_position_stays_put() -> None:
    h, model = Holdings(3), {}
    starts = set()
    for a in range(2_000):
        q = float(a + 1) * (-1) ** a
        h.set(a, 1, q, 10 * q, 3 * q)
        model[(a, 1)] = q
        starts.add(int(h.start[1]))
    assert len(starts) == 10 and h.room[1] == 2_048  # 4, 8, ... 2,048 slots, each move
    assert_index_matches(h, model)
    for a in [*range(1, 2_000, 2), *range(1_998, 0, -2)]:  # all but account 0 leave
        if a % 100:
            h.set(a, 1, 0.0, 0.0)
            del model[(a, 1)]
    assert_index_matches(h, model)
    size, layout = h.size, h.layout_version
    for a in range(50):
        h.set(a, 2, 2.0, 20.0, 6.0)
        model[(a, 2)] = 2.0
    assert h.size < size and h.layout_version > layout  # compacted
    assert_index_matches(h, model)


def test_removing_a_holder_moves_the_blocks_last_holder_into_its_slot_and_unlists_it() -> None:
    h = Holdings(1)
    for a in (10, 11, 12, 13):
        h.set(a, 0, float(a), 10.0 * a, 3.0 * a)
    freed = dict(h.of_account(11))[0]
    assert h.set(11, 0, 0.0, 0.0) == (11.0, 110.0, 33.0)
    assert dict(h.of_account(13))[0] == freed and h.qty[freed] == 13.0
    assert h.account[h.block(0)].tolist() == [10, 13, 12]
    assert h.qty[h.block(0).stop] == 0.0  # the vacated last slot is a hole
    h.set(12, 0, 0.0, 0.0)  # the last holder: nothing moves
    assert h.account[h.block(0)].tolist() == [10, 13] and h.get(13, 0) == (13.0, 130.0, 39.0)
    assert h.set(99, 0, 0.0, 0.0) == (0.0, 0.0, 0.0) and len(h) == 2
    assert h.of_account(11) == h.of_account(99) == [] and [i for i, _ in h.of_account(10)] == [0]


# --- columns ------------------------------------------------------------------------------------


def columns_book() -> Valuation:
    v = priced(
        ("AAPL", 200.0), ("MSFT", 400.0), ("BTC-USD", 50_000.0), ("GC", 4_000.0),
        ("GBP/USD", 1.25), ("VOD.L", 100.0),
    )  # fmt: skip
    v.add_account("a", 50_000.0, 100_000.0)
    v.add_account("b", 1_000_000.0, 1_000_000.0)
    v.add_account("c", -10_000.0, 0.0)
    v.set_position("a", "AAPL", 100, 190.0)  # 20,000 (equity: 50% / 25%)
    v.set_position("a", "BTC-USD", 0.5, 40_000.0)  # 25,000 (crypto: 100% / 50%)
    v.set_position("b", "GC", -2, 4_100.0)  # -800,000 (commodity: 10% / 5%)
    v.set_position("b", "VOD.L", 1_000, 100.0)  # 1,000 * 100p * 0.01 * 1.25 = 1,250
    v.set_position("b", "MSFT", 10, 400.0)  # 4,000
    v.set_position("c", "AAPL", 10, 200.0)  # 2,000 on a negative NAV
    return v


def test_columns_derive_margin_maintenance_weights_groups_and_pnl_per_account() -> None:
    c = columns_book().columns()
    assert c.nav == pytest.approx([95_000.0, 205_250.0, -8_000.0])
    assert c.gross == pytest.approx([45_000.0, 805_250.0, 2_000.0])
    assert c.margin == pytest.approx([35_000.0, 82_625.0, 1_000.0])
    assert c.maintenance == pytest.approx([17_500.0, 41_312.5, 500.0])
    assert c.max_weight == pytest.approx([25_000 / 95_000, 800_000 / 205_250, 0.0])
    assert c.groups_held.tolist() == [2, 3, 1]
    assert c.unrealized == pytest.approx([6_000.0, 20_000.0, 0.0])
    assert c.total_pnl == pytest.approx([-5_000.0, -794_750.0, -8_000.0])
    assert c.day_pnl == pytest.approx(c.total_pnl)  # no close yet: measured from the initial


def test_close_day_makes_the_current_nav_the_base_of_day_pnl() -> None:
    v = columns_book()
    v.close_day()
    assert v.columns().day_pnl == pytest.approx([0.0, 0.0, 0.0])
    tick(v, "AAPL", 201.0)
    c = v.columns()
    assert c.day_pnl == pytest.approx([100.0, 0.0, 10.0])
    assert c.total_pnl == pytest.approx([-4_900.0, -794_750.0, -7_990.0])
