"""Valuation: every account's NAV and exposure, moved by price deltas through the reverse index.

A price change of instrument i moves each holder's value by `qty * ΔE_i`, where E_i is the
instrument's value per unit in VCR (price * multiplier * FX rate). An FX tick changes E of
every instrument quoted in that currency, so it goes through the same path; the cost basis
stays at the rate each position was entered at (the engine's `Position.entry_fx`), so no tick
moves it. Only the holders of what moved are touched: one contiguous slice per instrument,
and one scatter per slice, since each account keeps its long and its short value side by side
(net = long - short, gross = long + short).

Per-account columns kept by delta: long value and short value; the cost basis (VCR) changes
only with positions. Margin,
maintenance, allocation and per-position figures are derived from them and the index on read
(one account) or in one vectorized pass (all accounts, see `Columns`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vtrade.core.errors import NotFoundError, ValidationError
from vtrade.portfolio.arrays import Floats, Ints, grow
from vtrade.portfolio.holdings import Holdings
from vtrade.portfolio.universe import Universe

_NO_RATE_MOVE = np.zeros(1)  # a price tick leaves every FX rate as it is


@dataclass(frozen=True, slots=True)
class Columns:
    """Account-level figures for every account (VCR), computed in one vectorized pass."""

    nav: Floats
    cash: Floats
    net: Floats
    gross: Floats
    unrealized: Floats
    total_pnl: Floats  # NAV less the initial balance
    day_pnl: Floats
    margin: Floats  # initial requirement of the positions
    maintenance: Floats
    max_weight: Floats  # largest |position value| / NAV
    groups_held: Ints  # allocation groups with a position


def to_cents(amounts: Floats) -> Floats:
    """`amounts` rounded to the cent as `state.money` rounds one (its decimal text, half to
    even): an amount whose text ends in a half cent, 1,000,093.995, is a binary hair below
    it, which plain rounding takes down."""
    c = amounts * 100.0
    whole = np.floor(c)
    half = np.abs(c - whole - 0.5) < 1e-6
    return np.where(half, whole + (whole % 2 == 1), np.round(c)) / 100.0


class Valuation:
    """Accounts, their positions and the latest prices, as arrays."""

    def __init__(self, universe: Universe) -> None:
        # compiled loops load here (~0.5 s, once per process), not at import: commands that
        # value no portfolio (`vtrade --help`) do not wait for numba
        from vtrade.portfolio import kernels

        self.kernels = kernels
        self.universe = universe
        n = universe.size
        self.price = np.full(n, np.nan)
        self.fx = np.full(len(universe.fx_links), np.nan)  # VCR per unit of each currency
        for link in universe.fx_links:
            if link.pair < 0:
                self.fx[link.currency] = link.scale
        self.unit_value = np.zeros(n)  # E: VCR per unit at the current price
        # C: VCR per unit of a holding's cost_qty, which is in VCR at the rate the position was
        # entered at (qty * avg price * entry FX): the multiplier, which no tick moves
        self.unit_cost = universe.multiplier.astype(np.float64)
        self.entry_fx: dict[tuple[int, int], float] = {}  # (account, instrument) -> its rate
        # R: VCR per quote unit (multiplier * FX rate), which revalues a contract's FX carry
        self.unit_rate = np.zeros(n)
        self.holdings = Holdings(n)
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.cash = np.zeros(0)
        self.sides = np.zeros(0)  # [2a] long value, [2a + 1] short value (positive), VCR
        self.cost = np.zeros(0)
        # FX carry of the contracts that settle P&L (`Instrument.settles_pnl`): what their cost
        # is worth at today's rates less what was paid for it; NAV = cash + net - carry
        self.carry = np.zeros(0)
        self.initial = np.zeros(0)
        self.day_open = np.zeros(0)  # NAV at the previous close, the base of day P&L
        self.cash_only = np.zeros(0, dtype=bool)  # its margin is all of its positions' value
        self.dirty = np.zeros(0, dtype=bool)
        self.moved = np.zeros(n, dtype=bool)  # instruments re-priced since `take_dirty`
        self.ticks = 0  # price updates applied (after coalescing)

    @property
    def net(self) -> Floats:
        """Net value of every account's positions (capacity-long; the first n are used)."""
        return self.sides[0::2] - self.sides[1::2]

    @property
    def gross(self) -> Floats:
        return self.sides[0::2] + self.sides[1::2]

    # -- accounts and positions -------------------------------------------------------------

    def add_account(self, account_id: str, cash: float, initial: float) -> int:
        """Start valuing an account (idempotent: a known account keeps its state)."""
        if account_id in self.index:
            return self.index[account_id]
        a = len(self.ids)
        if a == self.cash.shape[0]:
            self._grow_accounts(max(1024, 2 * a))
        self.ids.append(account_id)
        self.index[account_id] = a
        self.cash[a], self.initial[a], self.day_open[a] = cash, initial, initial
        self.dirty[a] = True
        return a

    def set_cash_only(self, account_id: str, cash_only: bool) -> None:
        a = self.account_index(account_id)
        self.cash_only[a], self.dirty[a] = cash_only, True

    def account_index(self, account_id: str) -> int:
        try:
            return self.index[account_id]
        except KeyError:
            raise NotFoundError(f"account {account_id!r} is not valued") from None

    def set_cash(self, account_id: str, cash: float) -> None:
        a = self.account_index(account_id)
        self.cash[a] = cash
        self.dirty[a] = True

    def set_position(
        self,
        account_id: str,
        symbol: str,
        qty: float,
        avg_price: float,
        entry_fx: float | None = None,
    ) -> None:
        """Set a position to what a fill left (absolute, so a repeated event changes nothing):
        `qty` at `avg_price` (quote currency) entered at `entry_fx` (VCR per quote unit;
        default: the current rate)."""
        a = self.account_index(account_id)
        i = self.universe.index_of(symbol)
        rate = float(self.fx[self.universe.currency[i]])
        if qty and not np.isfinite(rate * self.price[i]):
            raise ValidationError(f"no price for {symbol} yet: mark it before valuing positions")
        entry_fx = rate if entry_fx is None else entry_fx
        cost_qty = qty * avg_price * entry_fx if qty else 0.0  # flat: no rate needed
        settles = bool(self.universe.settles_pnl[i])
        carry_qty = qty * avg_price if settles else 0.0
        old_qty, old_cost, old_carry = self.holdings.set(a, i, qty, cost_qty, carry_qty)
        if qty:
            self.entry_fx[(a, i)] = entry_fx
        else:
            self.entry_fx.pop((a, i), None)
        e, c = _finite(self.unit_value[i]), self.unit_cost[i]  # e: flat while unpriced
        self.sides[2 * a + (old_qty < 0)] -= abs(old_qty) * e
        self.sides[2 * a + (qty < 0)] += abs(qty) * e
        self.cost[a] += (cost_qty - old_cost) * c
        if settles:
            r = _finite(self.unit_rate[i])
            self.carry[a] += (carry_qty - old_carry) * r - (cost_qty - old_cost) * c
        self.dirty[a] = True

    def reset_account(self, account_id: str, cash: float, initial: float) -> None:
        """Close every position at no cost and restore the balance (an account reset)."""
        a = self.account_index(account_id)
        for i, _ in self.holdings.of_account(a):
            self.holdings.set(a, i, 0.0, 0.0)
            self.entry_fx.pop((a, i), None)
        self.cash[a], self.initial[a], self.day_open[a] = cash, initial, initial
        self.sides[2 * a] = self.sides[2 * a + 1] = self.cost[a] = self.carry[a] = 0.0
        self.dirty[a] = True

    def close_day(self) -> None:
        """Make the current NAVs the base of the next day's P&L (at each daily close)."""
        n = len(self.ids)
        self.day_open[:n] = self.cash[:n] + self.net[:n] - self.carry[:n]
        self.dirty[:n] = True  # every day P&L changed

    # -- prices -----------------------------------------------------------------------------

    def mark_one(self, i: int, price: float) -> None:
        """Apply one instrument's new price (the single-tick path)."""
        if i in self.universe.priced_by or np.isnan(self.price[i]):
            self.mark(np.array([i]), np.array([price]))
            return
        fx = self.fx[self.universe.currency[i]]
        new = price * self.universe.multiplier[i] * fx
        delta = new - self.unit_value[i]
        self.price[i], self.unit_value[i] = price, new
        self.ticks += 1
        if delta:
            one = np.array([i], dtype=np.int64)  # the compiled loop's exact types
            self._move_holders(one, np.array([delta], dtype=np.float64), _NO_RATE_MOVE)

    def mark(self, instruments: Ints, prices: Floats) -> int:
        """Apply a batch of prices (repeats of an instrument: the last wins); return how many
        instruments changed value."""
        if instruments.shape != prices.shape:
            raise ValidationError("instruments and prices must have the same length")
        if instruments.size == 0:
            return 0
        instruments = instruments.astype(np.int64, copy=False)  # the compiled loop's index type
        prices = prices.astype(np.float64, copy=False)
        last, first_in_reverse = np.unique(instruments[::-1], return_index=True)
        new_price = self.price.copy()
        new_price[last] = prices[::-1][first_in_reverse]
        self.ticks += int(last.size)
        new_fx = self.fx.copy()
        for i in last:
            for link in self.universe.priced_by.get(int(i), ()):
                new_fx[link.currency] = self.universe.fx_rate(link, new_price)
        moved_fx = np.flatnonzero(new_fx != self.fx)
        repriced = [self.universe.in_currency[c] for c in moved_fx]
        touched = np.union1d(last, np.concatenate([last[:0], *repriced]))
        touched = touched[np.isfinite(new_price[touched])]
        u = self.universe
        rate = new_fx[u.currency[touched]]
        new_value = new_price[touched] * u.multiplier[touched] * rate
        new_rate = u.multiplier[touched] * rate
        d_value = new_value - self.unit_value[touched]
        d_rate = new_rate - self.unit_rate[touched]
        d_value[~np.isfinite(d_value)] = 0.0  # first prices: nobody holds them yet
        d_rate[~np.isfinite(d_rate)] = 0.0
        self.price, self.fx = new_price, new_fx
        self.unit_value[touched], self.unit_rate[touched] = new_value, new_rate
        moved = (d_value != 0) | (d_rate != 0)
        touched, d_value, d_rate = touched[moved], d_value[moved], d_rate[moved]
        self._move_holders(touched, d_value, d_rate)
        return int(touched.size)

    def _move_holders(self, instruments: Ints, d_value: Floats, d_rate: Floats) -> None:
        h = self.holdings
        self.kernels.move_holders(
            self.sides, self.carry, h.side, h.account, h.abs_qty, h.carry_qty,
            h.start, h.count, instruments, d_value, d_rate,
        )  # fmt: skip
        self.moved[instruments] = True  # their holders are marked changed when someone asks

    # -- reads ------------------------------------------------------------------------------

    def take_dirty(self) -> Ints:
        """Indexes of the accounts changed since the last call (and forget them)."""
        h = self.holdings
        moved = np.flatnonzero(self.moved)
        if moved.size:
            self.moved[moved] = False
            self.kernels.mark_holders(self.dirty, h.account, h.start, h.count, moved)
        changed = np.flatnonzero(self.dirty[: len(self.ids)])
        self.dirty[changed] = False
        return changed

    def columns(self) -> Columns:
        """Every account's figures at the current prices, in one pass over the index."""
        n, h, u = len(self.ids), self.holdings, self.universe
        nav = self.cash[:n] + self.net[:n] - self.carry[:n]
        margin, maintenance, largest = np.zeros(n), np.zeros(n), np.zeros(n)
        held = np.zeros((n, len(u.groups)), dtype=bool)
        self.kernels.position_figures(
            h.account[: h.size], h.instrument[: h.size], h.qty[: h.size], self.unit_value,
            u.initial, u.maintenance, u.short_rule, u.group, margin, maintenance, largest, held,
        )  # fmt: skip
        # a cash-only account borrows nothing: every rate is 1 (priced positions, as above)
        margin = np.where(self.cash_only[:n], self.gross[:n], margin)
        max_weight = np.divide(largest, nav, out=np.zeros(n), where=nav > 0)
        unrealized = self.net[:n] - self.cost[:n] - self.carry[:n]
        shown = to_cents(nav)  # the P&L as the rounded NAV shows it (`state.account_state`)
        return Columns(
            nav=nav,
            cash=self.cash[:n].copy(),
            net=self.net[:n].copy(),
            gross=self.gross[:n].copy(),
            unrealized=unrealized,
            total_pnl=shown - to_cents(self.initial[:n]),
            day_pnl=shown - to_cents(self.day_open[:n]),
            margin=margin,
            maintenance=maintenance,
            max_weight=max_weight,
            groups_held=held.sum(axis=1, dtype=np.int64),
        )

    def recompute(self) -> tuple[Floats, Floats, Floats, Floats]:
        """(net, gross, cost, carry) of every account from scratch: the reference the deltas
        must equal, and what `resync` restores to drop accumulated rounding."""
        n = len(self.ids)
        sides, cost, carry = self._recompute_sides()
        net = sides[0 : 2 * n : 2] - sides[1 : 2 * n : 2]
        gross = sides[0 : 2 * n : 2] + sides[1 : 2 * n : 2]
        return net, gross, cost[:n], carry[:n]

    def resync(self) -> None:
        n = len(self.ids)
        sides, cost, carry = self._recompute_sides()
        self.sides[: 2 * n], self.cost[:n], self.carry[:n] = sides[: 2 * n], cost[:n], carry[:n]

    def _recompute_sides(self) -> tuple[Floats, Floats, Floats]:
        h, n = self.holdings, len(self.ids)
        inst = h.instrument[: h.size]
        sides = _sum_by(
            h.side[: h.size], h.abs_qty[: h.size] * np.nan_to_num(self.unit_value[inst]), 2 * n
        )
        costs = h.cost_qty[: h.size] * self.unit_cost[inst]
        cost = _sum_by(h.account[: h.size], costs, n)
        carries = h.carry_qty[: h.size] * np.nan_to_num(self.unit_rate[inst])
        carries -= np.where(self.universe.settles_pnl[inst], costs, 0.0)
        return sides, cost, _sum_by(h.account[: h.size], carries, n)

    def _grow_accounts(self, capacity: int) -> None:
        grow(self, ("cash", "cost", "carry", "initial", "day_open", "cash_only", "dirty"), capacity)
        grow(self, ("sides",), 2 * capacity)  # long and short value per account


def _sum_by(accounts: Ints, weights: Floats, n: int) -> Floats:
    """Per-account sums of `weights` (length at least `n`)."""
    return np.asarray(np.bincount(accounts, weights, minlength=n), dtype=np.float64)


def _finite(value: float) -> float:
    return float(value) if np.isfinite(value) else 0.0
