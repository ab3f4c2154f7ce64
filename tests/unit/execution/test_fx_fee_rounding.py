"""A fee the schedule writes in USD (FX: IBKR's 0.2 bp, at least USD 2.00) on a pair quoted in
another currency is booked to the account (VCR = USD) as that USD amount, rounded to the cent
once (found in session 21's receipts review: the USD fee was rounded to the cent, converted
into the quote currency and rounded to its cent there, then converted back and rounded again:
2.01 VCR for a USD 2.00 minimum on EUR/GBP, 666.80 VCR for a 0.2 bp commission of 666.81 USD
on USD/CHF)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from vtrade.domain.accounts import EntryKind
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType
from vtrade.execution.estimate import estimate

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
CENT = D("0.01")
WHALE = 10**10


def test_the_usd_2_minimum_on_eur_gbp_costs_2_00_vcr_not_2_01(venue: Venue) -> None:
    account = venue.open(balance=WHALE)
    e = estimate(venue.engine, "EUR/GBP", Side.BUY, D(10_000), venue.now)

    _, changes = venue.submit(account, "EUR/GBP", Side.BUY, 10_000)

    (fill,) = changes.fills
    # the fill is worth about 11,277 USD: 0.2 bp is 0.23 USD, so the 2.00 USD minimum applies
    assert fill.qty * fill.price * fill.fx_rate < 20_000
    (fee,) = [e for e in changes.ledger if e.kind is EntryKind.FEE]
    assert fee.amount == D("-2.00")
    assert e.fees_vcr == D("2.00")


def test_a_0_2_bp_commission_on_usd_chf_is_booked_at_its_usd_amount(venue: Venue) -> None:
    account = venue.open(balance=WHALE)

    _, changes = venue.submit(account, "USD/CHF", Side.BUY, 33_333_333)

    (fill,) = changes.fills
    usd_value = fill.qty * fill.price * fill.fx_rate  # 33,340,747.52 USD
    commission_usd = (usd_value * D("0.00002")).quantize(CENT, rounding=ROUND_HALF_UP)
    assert commission_usd == D("666.81")
    (fee,) = [e for e in changes.ledger if e.kind is EntryKind.FEE]
    assert fee.amount == -commission_usd


def test_the_fees_of_an_eur_gbp_order_worked_in_many_fills_add_up_to_its_usd_commission(
    venue: Venue,
) -> None:
    """README §4: "every fee of its fills ... adds up to what it would pay filled at once".
    In USD (the schedule's currency and VCR) each fill pays its share, rounded to the cent; in
    VCR each fill's share was rounded into pence-of-GBP and back: 300 fills of one order were
    booked 109.70 VCR of fees for a 0.2 bp commission of 109.53 USD."""
    account = venue.open(balance=10**11)
    limit = venue.quote("EUR/GBP").ask + D("0.00002")
    order, changes = venue.submit(
        account, "EUR/GBP", Side.BUY, 2_000_000_000, type=OrderType.LIMIT, limit_price=limit
    )
    fills = list(changes.fills)
    ledger = list(changes.ledger)
    for _ in range(20):
        step = venue.advance(15)
        fills += step.fills
        ledger += step.ledger
    assert len(fills) >= 100 and order.filled_qty

    usd_value = sum((f.qty * f.price * f.fx_rate for f in fills), D(0))
    commission_usd = usd_value * D("0.00002")
    booked = -sum((e.amount for e in ledger if e.kind is EntryKind.FEE), D(0))
    # each fill pays its share at its own rate, to the cent: within a few cents over 300 fills
    assert abs(booked - commission_usd) <= D("0.05")
