"""Overnight financing: interest on what an account borrows, and the borrow fee of its shorts.

At each New York midnight an account with a debit (negative cash: it borrows on margin; the
notional of its FX, futures and index contracts is not borrowed) pays a day's interest on
it, and one short stocks or ETFs pays a day's borrow fee on their market value, each at its
annual rate over 360 days (the US money-market convention), so a weekend costs three days.
What is flat or in cash by midnight pays nothing, as at a broker: intraday
leverage is free. Frictionless accounts pay neither.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.core.clock import from_ns, to_ns
from vtrade.core.money import CENT
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account, EntryKind
from vtrade.domain.changes import Changes
from vtrade.domain.instruments import AssetClass
from vtrade.execution.profiles import rules_named
from vtrade.market.sessions_build import NEW_YORK

if TYPE_CHECKING:
    from vtrade.execution.engine import ExecutionEngine

DAYS_PER_YEAR = Decimal(360)
_LENT = (AssetClass.EQUITY, AssetClass.ETF)  # what a short borrows: shares from a lender


def next_charge(t_ns: int) -> int:
    """The first New York midnight strictly after `t_ns`."""
    day = from_ns(t_ns).astimezone(NEW_YORK).date() + timedelta(days=1)
    return to_ns(datetime.combine(day, time(), NEW_YORK))


def charge(engine: ExecutionEngine, t_ns: int) -> Changes:
    """Charge every account a day's financing at the midnight `t_ns`."""
    changes = Changes()
    config = engine.config
    if not (config.margin_interest_rate or config.borrow_fee_rate):
        return changes
    marks = engine.marks(t_ns)
    for account_id in sorted(engine.accounts):  # the same order after a restart
        account = engine.accounts[account_id]
        if not rules_named(account.profile.value).friction:
            continue
        borrowed = max(-_cash_financed(engine, account), Decimal(0))
        interest = borrowed * config.margin_interest_rate / DAYS_PER_YEAR
        short_value = sum(
            (
                marks.value(marks.instrument(p.symbol), -p.qty)
                for p in engine.positions_of(account.id)
                if p.qty < 0 and marks.instrument(p.symbol).asset_class in _LENT
            ),
            Decimal(0),
        )
        borrow_fee = short_value * config.borrow_fee_rate / DAYS_PER_YEAR
        changes.merge(
            _post(engine, account, interest.quantize(CENT), borrow_fee.quantize(CENT), t_ns)
        )
    return changes


def _cash_financed(engine: ExecutionEngine, account: Account) -> Decimal:
    """The account's cash as a lender sees it: without what its open contracts (FX, futures,
    indices: `Instrument.settles_pnl`) moved through it. Their cost passes through cash so
    that NAV counts only their P&L, but nobody lends a contract's notional: a long future
    borrows nothing and a short one deposits nothing."""
    cash = account.cash
    for p in engine.positions_of(account.id):
        inst = engine.catalog.get(p.symbol)
        if p.qty and inst.settles_pnl:
            cash += p.qty * p.avg_price * inst.multiplier * p.entry_fx
    return cash


def _post(
    engine: ExecutionEngine, account: Account, interest: Decimal, borrow_fee: Decimal, t_ns: int
) -> Changes:
    """Debit the day's interest and borrow fee, with the event that tells the portfolio."""
    if not interest and not borrow_fee:
        return Changes()
    entries = [
        engine.entry(account, kind, -amount, t_ns, note=note)
        for kind, amount, note in (
            (EntryKind.INTEREST, interest, "margin interest, one day"),
            (EntryKind.BORROW_FEE, borrow_fee, "stock borrow fee, one day"),
        )
        if amount
    ]
    account.cash -= interest + borrow_fee
    charged = ev.FinancingCharged(
        **engine.event_meta(t_ns),
        account_id=account.id,
        interest=interest,
        borrow_fee=borrow_fee,
        cash=account.cash,
        account_seq=engine.next_account_seq(account.id),
    )
    return Changes(accounts=[account], ledger=entries, events=[charged])
