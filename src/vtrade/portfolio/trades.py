"""Analytics of fills: FIFO round trips, their statistics, and what execution cost.

Pure and deterministic: no I/O and no clock. Money is `Decimal` in the account currency (VCR)
quantized to cents, converted from the quote currency at each fill's FX rate; ratios are floats.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from vtrade.core.money import cents
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill

ZERO = Decimal(0)
ONE = Decimal(1)
BPS = Decimal(10_000)


# --- closed trades ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosedTrade:
    """An opening lot, or the part of it one later fill closed, with its P&L in VCR."""

    symbol: str
    side: Side  # side of the opening fill: BUY for a long trade, SELL for a short one
    qty: Decimal
    entry_price: Decimal  # quote currency
    exit_price: Decimal  # quote currency
    opened_ns: int
    closed_ns: int
    open_fill_id: str
    close_fill_id: str
    # price difference * qty * multiplier at the closing fill's FX rate (a contract); for a
    # holding, what the close fetched less what the entry cost, each at its own rate
    gross_pnl: Decimal
    fees: Decimal  # pro-rata share of both fills' fees, each at its own fill's FX rate
    pnl: Decimal  # gross_pnl - fees

    @property
    def holding_ns(self) -> int:
        return self.closed_ns - self.opened_ns


@dataclass(slots=True)
class _Lot:
    fill: Fill
    remaining: Decimal
    sign: int  # +1 long, -1 short


def closed_trades(
    fills: Iterable[Fill],
    multipliers: Mapping[str, Decimal] | None = None,
    holdings: Collection[str] = (),
) -> tuple[ClosedTrade, ...]:
    """Match fills per symbol first-in first-out into closed trades.

    Each fill first closes the oldest open lots on the other side of its symbol; whatever is
    left of it opens a new lot, so a fill larger than the position flips it through zero. One
    closed trade is emitted per (opening lot, closing fill) match, in the order fills close
    lots. `multipliers` gives contract multipliers by symbol (1 when absent); `holdings` are
    the symbols bought with VCR (shares, coins: not `Instrument.settles_pnl`), whose trades
    realize their currency's move too. Fills are taken in timestamp order (ties keep their
    given order); lots still open produce no trade.
    """
    multipliers = multipliers or {}
    books: dict[str, deque[_Lot]] = {}
    trades: list[ClosedTrade] = []
    for fill in sorted(fills, key=lambda f: f.ts_ns):
        if fill.qty <= 0:
            continue
        sign = 1 if fill.side is Side.BUY else -1
        lots = books.setdefault(fill.symbol, deque())
        left = fill.qty
        while left > 0 and lots and lots[0].sign != sign:
            lot = lots[0]
            qty = min(left, lot.remaining)
            multiplier = multipliers.get(fill.symbol, ONE)
            trades.append(_match(lot, fill, qty, multiplier, fill.symbol in holdings))
            lot.remaining -= qty
            left -= qty
            if lot.remaining == 0:
                lots.popleft()
        if left > 0:
            lots.append(_Lot(fill, left, sign))
    return tuple(trades)


def _match(lot: _Lot, close: Fill, qty: Decimal, multiplier: Decimal, holding: bool) -> ClosedTrade:
    opening = lot.fill
    entry_fx = opening.fx_rate if holding else close.fx_rate
    moved = close.price * close.fx_rate - opening.price * entry_fx
    gross = moved * qty * lot.sign * multiplier
    fees = (
        opening.fee * qty / opening.qty * opening.fx_rate
        + close.fee * qty / close.qty * close.fx_rate
    )
    gross_pnl, fees = cents(gross), cents(fees)
    return ClosedTrade(
        symbol=close.symbol,
        side=opening.side,
        qty=qty,
        entry_price=opening.price,
        exit_price=close.price,
        opened_ns=opening.ts_ns,
        closed_ns=close.ts_ns,
        open_fill_id=opening.id,
        close_fill_id=close.id,
        gross_pnl=gross_pnl,
        fees=fees,
        pnl=gross_pnl - fees,
    )


# --- trade statistics ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeStats:
    """Win/loss statistics of closed trades (money in VCR); None where there is nothing to say."""

    count: int
    wins: int  # trades with P&L above zero
    losses: int  # trades with P&L below zero; break-even trades are neither
    win_rate: float | None  # wins / count
    gross_profit: Decimal  # sum of winning P&L
    gross_loss: Decimal  # sum of losing P&L, as a positive amount
    net_pnl: Decimal
    profit_factor: float | None  # gross profit / gross loss; None without losses
    average_win: Decimal | None
    average_loss: Decimal | None  # negative
    largest_win: Decimal | None
    largest_loss: Decimal | None  # the most negative P&L
    expectancy: Decimal | None  # mean P&L per trade


def trade_stats(trades: Sequence[ClosedTrade]) -> TradeStats:
    """Summarize closed trades: counts, win rate, profit factor, averages, extremes, expectancy."""
    won = [t.pnl for t in trades if t.pnl > 0]
    lost = [t.pnl for t in trades if t.pnl < 0]
    profit = sum(won, ZERO)
    loss = -sum(lost, ZERO)
    net = sum((t.pnl for t in trades), ZERO)
    count = len(trades)
    return TradeStats(
        count=count,
        wins=len(won),
        losses=len(lost),
        win_rate=len(won) / count if count else None,
        gross_profit=cents(profit),
        gross_loss=cents(loss),
        net_pnl=cents(net),
        profit_factor=float(profit / loss) if lost else None,
        average_win=cents(profit / len(won)) if won else None,
        average_loss=cents(-loss / len(lost)) if lost else None,
        largest_win=max(won) if won else None,
        largest_loss=min(lost) if lost else None,
        expectancy=cents(net / count) if count else None,
    )


# --- execution costs ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionCosts:
    """What trading cost, in VCR at each receipt's FX rate, overall and per realism profile."""

    fills: int
    spread: Decimal  # half-spread paid crossing from the mid to the touch
    impact: Decimal  # walking the book beyond the touch (negative for price improvement)
    fees: Decimal
    total: Decimal  # spread + impact + fees: the friction paid over the frictionless cost
    drift: Decimal  # the market's move from arrival mids while orders waited (either sign)
    shortfall: Decimal  # total + drift: implementation shortfall against the arrival mids
    frictionless: Decimal  # traded notional at the arrival mid, no fees
    cost_bps: float | None  # total / frictionless in basis points; None with no notional
    by_profile: Mapping[str, ExecutionCosts]  # same figures per profile, by name; empty inside


def execution_costs(fills: Iterable[Fill]) -> ExecutionCosts:
    """Total the spread, impact and fees of fills against their frictionless notional."""
    overall = _CostSums()
    per_profile: dict[str, _CostSums] = {}
    for fill in fills:
        overall.add(fill)
        per_profile.setdefault(fill.receipt.profile, _CostSums()).add(fill)
    by_profile = {name: per_profile[name].result({}) for name in sorted(per_profile)}
    return overall.result(by_profile)


@dataclass(slots=True)
class _CostSums:
    fills: int = 0
    spread: Decimal = ZERO
    impact: Decimal = ZERO
    drift: Decimal = ZERO
    frictionless: Decimal = ZERO
    # each order's fees in VCR: the cash is charged an order's fees to the cent, not each
    # fill's, so the report rounds per order too and shows what the ledger charged
    fees: dict[str, Decimal] = field(default_factory=dict)

    def add(self, fill: Fill) -> None:
        r = fill.receipt
        self.fills += 1
        self.spread += r.spread_cost * r.fx_rate
        self.impact += r.impact_cost * r.fx_rate
        self.fees[fill.order_id] = self.fees.get(fill.order_id, ZERO) + r.fees * r.fx_rate
        self.drift += r.drift_cost * r.fx_rate
        self.frictionless += r.frictionless_cost * r.fx_rate

    def result(self, by_profile: dict[str, ExecutionCosts]) -> ExecutionCosts:
        spread, impact = cents(self.spread), cents(self.impact)
        fees = sum((cents(f) for f in self.fees.values()), ZERO)
        paid = self.spread + self.impact + sum(self.fees.values(), ZERO)
        drift = cents(self.drift)
        return ExecutionCosts(
            fills=self.fills,
            spread=spread,
            impact=impact,
            fees=fees,
            total=spread + impact + fees,
            drift=drift,
            shortfall=spread + impact + fees + drift,
            frictionless=cents(self.frictionless),
            cost_bps=float(paid / self.frictionless * BPS) if self.frictionless > 0 else None,
            by_profile=MappingProxyType(by_profile),
        )
