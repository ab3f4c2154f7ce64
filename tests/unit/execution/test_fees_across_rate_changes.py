"""Orders that fill across a regulatory rate change (found by the review of the dated fee
rates, README Execution §4: "a fill pays the rate in force on its New York trade date").

Fees are worked out on the order so far, each fill paying the difference. Re-pricing the
earlier fills at a later day's rate let shares sold while FINRA waived its TAF use up the
2027 cap (20,000 shares sold on 4 January 2027 paid $0.04 where they owed $3.90), and told a
notional buy it had spent a CAT fee its fills of 30 August 2024 never paid. The SEC fee and
TAF are now each trade date's, and what an order spent is what its fills charged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import at, market_of
from vtrade.core.errors import DataError
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import TimeInForce
from vtrade.execution.estimate import estimate
from vtrade.execution.fees import FeeContext, FeeSchedule, Liquidity
from vtrade.execution.volumes import trade_date
from vtrade.market.catalog import Catalog

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
CENT = D("0.01")
FIXED = FeeSchedule.load().with_plan("fixed")
MAY_2024 = market_of(date(2024, 5, 1), date(2024, 6, 30))
TURN_OF_2027 = market_of(date(2026, 12, 1), date(2027, 1, 31))
LABOR_DAY_2024 = market_of(date(2024, 8, 1), date(2024, 9, 30))


def _by_date(fills: list[Any]) -> dict[date, dict[str, Decimal]]:
    """Shares, value and the SEC fee and TAF paid by the fills of each New York trade date."""
    out: dict[date, dict[str, Decimal]] = {}
    for fill in fills:
        zero = {"qty": D(0), "value": D(0), "sec_fee": D(0), "taf": D(0)}
        day = out.setdefault(trade_date(fill.ts_ns), zero)
        fees = dict(fill.receipt.fee_breakdown)
        day["qty"] += fill.qty
        day["value"] += fill.qty * fill.price
        day["sec_fee"] += fees.get("sec_fee", D(0))
        day["taf"] += fees.get("finra_taf", D(0))
    return out


def _sold_by_date(
    make_venue: Callable[..., Venue], start: str, market: Any, symbol: str, qty: int, until: str
) -> dict[date, dict[str, Decimal]]:
    """A GTC market sale of `qty` placed at `start`, worked until `until`: its fills by date."""
    venue = make_venue(start, market=market)
    account = venue.open(balance=10**9)
    order, changes = venue.submit(account, symbol, Side.SELL, qty, tif=TimeInForce.GTC)
    assert order.reject_reason is None
    changes.merge(venue.advance_to(at(until)))
    return _by_date([f for f in changes.fills if f.order_id == order.id])


def test_shares_sold_in_2027_pay_the_taf_whatever_the_order_sold_while_it_was_waived() -> None:
    inst = Catalog.load().get("AAPL")
    ctx = FeeContext(
        trade_date=date(2027, 1, 4),
        order_filled_qty=D(50_000),  # sold on 31 December 2026, TAF waived
        order_filled_notional=D(500_000),
    )
    fee = FIXED.quote(inst, Side.SELL, D(20_000), D(10), Liquidity.TAKER, ctx, D(1))
    assert dict(fee.breakdown)["finra_taf"] == D("3.90")  # 20,000 x $0.000195 (was 0.04)


def test_a_gtc_sale_worked_into_2027_pays_the_taf_on_its_2027_shares(
    make_venue: Callable[..., Venue],
) -> None:
    start, until = "2026-12-31T20:59:00Z", "2027-01-04T14:45:00Z"  # from 15:59 New York
    days = _sold_by_date(make_venue, start, TURN_OF_2027, "MSTR", 300_000, until)
    december, january = days[date(2026, 12, 31)], days[date(2027, 1, 4)]
    assert december["taf"] == 0 and december["qty"] * D("0.000195") > D("9.79")  # the set-up
    owed = min(january["qty"] * D("0.000195"), D("9.79")).quantize(CENT, ROUND_UP)
    assert january["taf"] == owed  # it paid 0.00


def test_a_sale_worked_across_22_may_2024_pays_each_days_sec_rate(
    make_venue: Callable[..., Venue],
) -> None:
    """$8.00 per million on the 21st's fills, $27.80 on the 22nd's, each rounded up once."""
    start, until = "2024-05-21T19:50:00Z", "2024-05-22T14:30:00Z"  # from 15:50 New York
    days = _sold_by_date(make_venue, start, MAY_2024, "AAPL", 800_000, until)
    d21, d22 = days[date(2024, 5, 21)], days[date(2024, 5, 22)]
    assert d21["sec_fee"] == (d21["value"] * D("0.000008")).quantize(CENT, ROUND_UP)
    assert d22["sec_fee"] == (d22["value"] * D("0.0000278")).quantize(CENT, ROUND_UP)


def test_what_a_notional_buy_spent_on_fees_is_what_its_fills_paid(
    make_venue: Callable[..., Venue],
) -> None:
    """A GTC notional buy filled on Friday 30 August 2024 (tiered plan, no CAT fee yet) and
    stays open over Labor Day. On Tuesday 3 September what it has spent is still what its
    fills paid (it was said to be $32.51 more: the CAT fee on them, priced again)."""
    venue = make_venue("2024-08-30T19:58:00Z", market=LABOR_DAY_2024)
    account = venue.open(balance=10**10)
    cmd = SubmitOrder(
        id="n",
        ts_init=venue.now,
        account_id=account.id,
        symbol="AAPL",
        side=Side.BUY,
        notional=D(200_000_000),
        tif=TimeInForce.GTC,
    )
    order, changes = venue.engine.submit(cmd, venue.now)
    changes.merge(venue.advance_to(at("2024-08-30T20:30:00Z")))
    paid = sum((f.fee for f in changes.fills if f.order_id == order.id), D(0))
    assert order.is_open and order.filled_qty > 100_000  # worked on after the holiday
    inst = venue.engine.catalog.get("AAPL")

    assert venue.engine.fees_so_far(order, inst, at("2024-08-30T20:30:00Z")) == paid
    assert venue.engine.fees_so_far(order, inst, at("2024-09-03T13:29:00Z")) == paid


def test_an_estimate_for_next_months_open_leaves_the_accounts_month_volume_alone(
    make_venue: Callable[..., Venue],
) -> None:
    """An estimate priced at next month's open had rolled the account's own volumes into
    that month; its next fill of this month rolled them back, empty: May's FX volume lost."""
    venue = make_venue("2024-05-31T20:20:00Z", market=MAY_2024)  # Friday 16:20 New York
    account = venue.open(balance=10**9)
    venue.submit(account, "EUR/USD", Side.BUY, 10_000_000)
    volumes = venue.engine.volumes[account.id]
    first = volumes.month_fx_usd
    assert first > D(10_000_000)
    at_1630 = at("2024-05-31T20:30:00Z")  # the sale waits for Monday 3 June's open
    estimate(venue.engine, "AAPL", Side.SELL, D(100), at_1630, account_id=account.id)
    venue.advance_to(at("2024-05-31T20:40:00Z"))
    venue.submit(account, "EUR/USD", Side.BUY, 10_000_000)

    assert volumes.month == "2024-05"
    assert volumes.month_fx_usd > 2 * first - D(10_000)  # both fills (it held the second's)


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            "{ up_to = 300_000, per_share = 0.0035 },",
            "{ up_to = 300_000, per_share = [{ value = 0.0035 }] },",
            "[us_equity.tiered.tiers[0]], key 'per_share'",
        ),
        (
            "[futures.symbols.MGC]  # Micro Gold\ncommission = 0.25",
            "[futures.symbols.MGC]  # Micro Gold\ncommission = [{ value = 0.25 }]",
            "[futures.symbols.MGC], key 'commission'",
        ),
    ],
)
def test_a_dated_list_where_only_a_number_is_allowed_is_refused_saying_so(
    tmp_path: Path, old: str, new: str, where: str
) -> None:
    text = resources.files("vtrade.execution").joinpath("data/fees.toml").read_text("utf-8")
    assert text.count(old) == 1
    path = tmp_path / "fees.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(DataError, match="only a section's own rates may be") as refused:
        FeeSchedule.load(path)
    assert where in str(refused.value)
