"""Accounts, positions and the cash ledger."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from vtrade.core.money import CENT
from vtrade.domain.market_data import Side

ACCOUNT_CURRENCY = "VCR"  # 1 VCR = 1 USD
DEFAULT_BALANCE = Decimal(1_000_000)
# The largest opening balance: what `ORDER_BOUNDS` (execution.validation) is sized for.
MAX_BALANCE = Decimal(10**12)


def balance_problem(balance: Decimal) -> str | None:
    """Why `balance` cannot open an account, or None. Cash is kept in whole cents (every
    ledger entry is), so a balance with a fraction of a cent would never equal the cash it
    opens with."""
    if not balance.is_finite() or balance <= 0:
        return f"balance must be a positive amount, got {balance}"
    if balance > MAX_BALANCE:
        return f"balance must be at most {MAX_BALANCE:,} VCR, got {balance:,f}"
    if balance != balance.quantize(CENT):
        return f"balance must be in whole cents (at most 2 decimal places), got {balance}"
    return None


class Profile(StrEnum):
    """How much friction the venue applies; stamped on every fill."""

    FRICTIONLESS = "frictionless"
    REALISTIC = "realistic"
    HARSH = "harsh"

    @classmethod
    def parse(cls, text: str) -> Profile:
        try:
            return cls(text.strip().lower())
        except ValueError:
            allowed = ", ".join(p.value for p in cls)
            raise ValueError(f"unknown realism profile {text!r}; allowed: {allowed}") from None


@dataclass(slots=True, kw_only=True)
class Account:
    id: str
    owner: str
    name: str
    profile: Profile = Profile.REALISTIC
    initial_balance: Decimal = DEFAULT_BALANCE
    cash: Decimal = DEFAULT_BALANCE  # account currency; negative when borrowing on margin
    created_ns: int = 0
    epoch: int = 0  # bumped by each reset, so old orders and fills never leak into a new life
    margin_call: bool = False
    trading_suspended: bool = False  # every new order is refused
    no_shorting: bool = False  # sells may not take a position below zero
    cash_only: bool = False  # no borrowing: every position needs its whole value as margin


@dataclass(slots=True, kw_only=True)
class Position:
    """Signed quantity (short < 0) and average entry price in the quote currency, with the
    FX rate (account currency per quote unit) the open quantity was entered at, averaged as
    the price is: `avg_price * entry_fx` is its cost per unit in the account currency."""

    account_id: str
    symbol: str
    qty: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)  # account currency, since the position opened
    updated_ns: int = 0
    entry_fx: Decimal = Decimal(1)

    @property
    def closing_side(self) -> Side:
        """The side of an order that reduces the position (sell a long, buy back a short)."""
        return Side.SELL if self.qty > 0 else Side.BUY

    def apply(
        self,
        signed_qty: Decimal,
        price: Decimal,
        multiplier: Decimal,
        fx: Decimal = Decimal(1),
        settles_pnl: bool = False,
    ) -> Decimal:
        """Add a fill at `price` and `fx` (account currency per quote unit); return the P&L
        it realized in the account currency, counted in `realized_pnl`: for a holding, what
        the closed quantity fetched less what it cost, each at its own FX rate (a currency's
        move while it was held is realized with it); for a contract that `settles_pnl`, the
        price move in the quote currency at the closing rate. A position opened, from flat or
        by a flip through zero, starts `realized_pnl` afresh: it counts since the position
        opened, and what a flip closed belonged to the position before it."""
        realized = Decimal(0)
        if self.qty and (self.qty > 0) != (signed_qty > 0):
            closing = min(abs(signed_qty), abs(self.qty))
            direction = 1 if self.qty > 0 else -1
            if settles_pnl:
                gained = (price - self.avg_price) * fx
            else:
                gained = price * fx - self.avg_price * self.entry_fx
            realized = (gained * closing * multiplier * direction).quantize(CENT)
        new_qty = self.qty + signed_qty
        opened = new_qty != 0 and (self.qty == 0 or (self.qty > 0) != (new_qty > 0))
        if new_qty == 0:
            self.avg_price, self.entry_fx = Decimal(0), Decimal(1)
        elif opened:
            self.avg_price, self.entry_fx = price, fx
        elif (self.qty > 0) == (signed_qty > 0):
            cost = self.avg_price * self.entry_fx * abs(self.qty) + price * fx * abs(signed_qty)
            self.avg_price = (self.avg_price * abs(self.qty) + price * abs(signed_qty)) / abs(
                new_qty
            )
            if fx != self.entry_fx:  # the same rate (any VCR instrument) averages to itself
                self.entry_fx = cost / (self.avg_price * abs(new_qty))
        self.qty = new_qty
        if opened:
            self.realized_pnl = Decimal(0)
        else:
            self.realized_pnl += realized
        return realized

    def entry_cost(self, multiplier: Decimal) -> Decimal:
        """What the position cost in the account currency at its entry rate, signed (a short's
        is what it took in): what a contract's opening moved through cash."""
        return self.qty * self.avg_price * multiplier * self.entry_fx

    def fx_carry(self, qty: Decimal, multiplier: Decimal, fx: Decimal) -> Decimal:
        """What `qty` of this position (signed as it is) cost at `fx` less what it cost at its
        entry rate: the part of its cost a contract that settles P&L owes back to (or is owed
        by) the quote currency's move, since its cost was paid in VCR at `entry_fx`."""
        return qty * self.avg_price * multiplier * (fx - self.entry_fx)


class EntryKind(StrEnum):
    DEPOSIT = "deposit"
    TRADE = "trade"
    FEE = "fee"
    RESET = "reset"
    INTEREST = "interest"  # on a debit (cash borrowed on margin) held overnight
    BORROW_FEE = "borrow_fee"  # of short stock held overnight
    FINANCING = "financing"  # FX rollover, index financing overnight (either sign)


# the entries of one financing charge's `FinancingCharged` (a midnight's, or an FX rollover's)
FINANCING_KINDS = (EntryKind.INTEREST, EntryKind.BORROW_FEE, EntryKind.FINANCING)


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    """One movement of cash, in the account currency. Cash is the sum of the entries."""

    id: str
    account_id: str
    kind: EntryKind
    amount: Decimal
    ts_ns: int
    ref: str = ""  # fill or order id
    note: str = ""
