"""Fees across fills and months (found in session 23's fee audit): an estimate for an order
that fills next month quotes next month's tier; fees in a quote currency are booked in VCR
to the cent on the order, not fill by fill; harsh futures commissions round on the order."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.core.clock import parse_instant, to_ns
from vtrade.core.money import CENT
from vtrade.domain.accounts import EntryKind
from vtrade.domain.market_data import Side
from vtrade.execution.estimate import estimate
from vtrade.execution.fees import FeeContext, FeeSchedule, Liquidity
from vtrade.market.catalog import Catalog
from vtrade.portfolio.trades import execution_costs

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
MINUTE = 60 * 1_000_000_000
CATALOG = Catalog.load()
FEES = FeeSchedule.load()


def at(text: str) -> int:
    return to_ns(parse_instant(text))


# --- 1. the pre-trade estimate quotes last month's tier for a fill it knows is next month ------


def test_an_estimate_for_an_order_that_fills_next_month_quotes_next_months_tier(
    make_venue: Callable[..., Venue],
) -> None:
    """README (native API, `POST /estimate`): "for your account (its fees at the tier its
    volume gives, as its fill then pays)"; README Execution §4: "monthly volumes restart with
    New York's month". IB Tiered (fees.toml [us_equity.tiered], market-realism.md §2.3):
    <= 300,000 shares a month: $0.0035/share; 300,001 - 3,000,000: $0.0020; LEAN: "Monthly
    volume counters reset when the month rolls over".

    After the close on Friday 31 May 2024 an account that traded 310,000 AAPL shares in May
    asks for an estimate of a 1,000 share market buy. The estimate itself says the order is
    queued for the opening auction of Monday 3 June, where the June volume is 0 and the fill
    pays $0.0035 a share: $3.50 + $0.20 clearing = $3.70 (no CAT fee before September 2024).
    Measured: the estimate quoted May's tier, $2.00 + 0.20 = $2.20, and the fill charged
    $3.70."""
    venue = make_venue("2024-05-31T14:00:00Z")  # Friday 10:00 New York
    account = venue.open(balance=10**10)
    block, _ = venue.submit(account, "AAPL", Side.BUY, 310_000)
    for _ in range(300):
        if not block.is_open:
            break
        venue.advance_to(venue.now + MINUTE)
    assert block.filled_qty == 310_000

    venue.advance_to(at("2024-05-31T21:00:00Z"))  # 17:00 New York: after the close
    quoted = estimate(venue.engine, "AAPL", Side.BUY, D(1000), venue.now, account_id=account.id)
    assert "2024-06-03" in (quoted.note or "")  # it knows the order fills on 3 June

    order, _ = venue.submit(account, "AAPL", Side.BUY, 1000)
    changes = venue.advance_to(at("2024-06-03T13:40:00Z"))
    charged = sum((f.fee for f in changes.fills if f.order_id == order.id), D(0))
    assert order.filled_qty == 1000
    assert charged == D("3.70")  # June's first tier: 1,000 x $0.0035 + clearing
    assert quoted.fees == charged, (quoted.fees, charged)


# --- 2. fees in EUR / GBX booked per fill in VCR drift from the fees charged ---------------------


def test_an_index_orders_fees_in_vcr_add_up_to_its_euro_fees_converted(venue: Venue) -> None:
    """README Execution §4: "every fee of its fills ... adds up to what it would pay filled at
    once", and the FX fix of session 21 (tests/unit/execution/test_fx_fee_rounding.py: "300
    fills of one order were booked 109.70 VCR of fees for a 0.2 bp commission of 109.53 USD"
    is a bug). The same drift remains for schedules in the quote currency (indices in EUR,
    JPY, HKD, GBP; LSE shares in GBX): each fill's fee is converted into VCR and rounded to
    the cent on its own, so an order worked in 1,712 fills of DAX (0.5 bp, EUR) was charged
    1,000.32 VCR in FEE ledger entries (and /v2 FEE activities) while its receipts' fees at
    their own FX rates come to 1,000.69 VCR - the figure the portfolio report's execution
    costs show as "fees paid". Fees charged to the cash, the activities and the report
    agree to the cent."""
    account = venue.open(balance=10**10)
    order, first = venue.submit(account, "DAX", Side.BUY, 1000)
    everything = [first]
    for _ in range(60):
        if not order.is_open:
            break
        everything.append(venue.advance_to(venue.now + MINUTE))
    fills = [f for c in everything for f in c.fills if f.order_id == order.id]
    ids = {f.id for f in fills}
    assert len(fills) > 100  # worked in many slices
    entries = [e for c in everything for e in c.ledger]
    booked = -sum((e.amount for e in entries if e.kind is EntryKind.FEE and e.ref in ids), D(0))
    converted = sum((f.fee * f.fx_rate for f in fills), D(0)).quantize(CENT)
    assert execution_costs(fills).fees == converted == booked  # the report shows the charge


# --- 3. harsh futures commissions are rounded per fill, not on the order so far ---------------


def test_harsh_futures_commission_sliced_adds_up_to_the_order_filled_at_once() -> None:
    """README Execution §4: "every fee of its fills ... adds up to what it would pay filled at
    once (harsh: 25% more commission, on the same basis)". Harsh GC commission: 0.85 x 1.25 =
    1.0625 a contract, so 2 contracts filled at once pay 2.125 -> 2.13. Filled as 1 + 1 the
    second fill must pay 2.13 - 1.06 = 1.07; measured: 1.06 (each fill rounded on its own), a
    cent lost per fill (an MGC order worked in 10 one-contract fills pays 3.10, not 3.13)."""
    gc = CATALOG.get("GC")
    harsh = D("1.25")
    once = FEES.quote(
        gc, Side.BUY, D(2), D(2300), Liquidity.TAKER, FeeContext(commission_multiplier=harsh), D(1)
    )
    first = FEES.quote(
        gc, Side.BUY, D(1), D(2300), Liquidity.TAKER, FeeContext(commission_multiplier=harsh), D(1)
    )
    second = FEES.quote(
        gc,
        Side.BUY,
        D(1),
        D(2300),
        Liquidity.TAKER,
        FeeContext(
            order_filled_qty=D(1), order_filled_notional=D(2300), commission_multiplier=harsh
        ),
        D(1),
    )
    assert dict(once.breakdown)["commission"] == D("2.13")
    assert first.total + second.total == once.total, (first.breakdown, second.breakdown)
