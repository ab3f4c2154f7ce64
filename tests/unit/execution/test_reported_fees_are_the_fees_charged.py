"""Fees in a quote currency, charged to the cash in VCR and reported back.

README Execution §4: "each fill books the order's fees so far converted at their fills' rates,
rounded to the cent, less what its earlier fills booked"; the portfolio report (README
Portfolio: "execution costs: spread, impact and fees") shows what the trader paid.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.domain.accounts import EntryKind
from vtrade.domain.market_data import Side
from vtrade.execution.fees import FeeContext, FeeSchedule, Liquidity
from vtrade.market.catalog import Catalog
from vtrade.portfolio.trades import execution_costs

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
CATALOG = Catalog.load()
FEES = FeeSchedule.load()


def test_the_reported_fees_are_the_fees_charged_to_the_cash(venue: Venue) -> None:
    """A trader adds up the FEE entries of the cash ledger (Alpaca `FEE` activities) and
    expects the portfolio report's execution costs to show the same "fees" to the cent: the
    report is the account of what was paid. 160 small orders in GBX, GBP, EUR and JPY
    (VOD.L, EUR/GBP, DAX, USD/JPY), each charged its fees converted and rounded to the cent.

    The report rounds each order's fees to the cent, as the cash was charged: rounding only
    the total once showed 573.83 VCR for 573.86 charged, a gap growing with the orders."""
    account = venue.open(balance=10**9)
    fills, charged = [], D(0)
    for i in range(40):
        for symbol in ("VOD.L", "EUR/GBP", "DAX", "USD/JPY"):
            qty = {"VOD.L": 1000 + i * 37, "EUR/GBP": 10_000 + i * 1000, "DAX": 1}.get(
                symbol, 10_000
            )
            side = Side.BUY if i % 2 == 0 else Side.SELL
            _, changes = venue.submit(account, symbol, side, qty)
            fills += changes.fills
            charged -= sum((e.amount for e in changes.ledger if e.kind is EntryKind.FEE), D(0))
        venue.advance(5)
    assert all(not o.is_open for o in venue.engine.open_orders(account.id))

    assert execution_costs(fills).fees == charged


def test_a_consideration_of_exactly_10000_pounds_pays_no_ptm_levy() -> None:
    """The Takeover Panel's levy is charged on a consideration *over* GBP
    10,000: 10,000 VOD.L at 100.00 GBX is GBP 10,000.00 exactly and pays none; one penny more
    of consideration pays GBP 1.50 (150 GBX, from 2 December 2024)."""
    inst = CATALOG.get("VOD.L")
    ctx = FeeContext(trade_date=date(2025, 1, 15))
    at = FEES.quote(inst, Side.SELL, D(10_000), D(100), Liquidity.TAKER, ctx, D(1))
    over = FEES.quote(inst, Side.SELL, D(10_000), D("100.0001"), Liquidity.TAKER, ctx, D(1))
    assert "ptm_levy" not in dict(at.breakdown)
    assert dict(over.breakdown)["ptm_levy"] == D(150)
