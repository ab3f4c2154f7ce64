"""Fee tiers by monthly volume (README, Execution §4: "An order pays the tier
its account's volume gives without the order's own fills ... monthly volumes restart with New
York's month"). A gtc order working across a month end must not have its *last* month's fills
taken off *this* month's volume."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from conftest import at
from vtrade.domain.market_data import Side

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal


def test_a_gtc_order_s_fills_of_last_month_do_not_lower_this_month_s_tier(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue("2024-03-28T19:00:00Z")  # Thursday 15:00 New York
    account = venue.open(balance=10**10)
    limit = (venue.quote("AAPL").ask * D("1.05")).quantize(D("0.01"))
    working, _ = venue.submit(
        account, "AAPL", Side.BUY, 8_000_000, type="limit", limit_price=limit, tif="gtc"
    )
    venue.advance_to(at("2024-03-29T12:00:00Z"))  # Good Friday: closed until Monday
    assert working.is_open and working.filled_qty > 300_000  # its March fills

    venue.advance_to(at("2024-04-01T13:00:00Z"))
    other, _ = venue.submit(account, "AAPL", Side.BUY, 400_000, tif="opg")
    changes = venue.advance_to(at("2024-04-01T13:30:05Z"))
    assert other.filled_qty == 400_000  # in the opening auction, before `working` meets April
    month = venue.engine.volumes[account.id]
    assert month.month == "2024-04" and month.month_shares >= 400_000

    april = [f for f in changes.fills if f.order_id == working.id]
    assert april
    fill = april[0]
    commission = next(item for item in fill.receipt.fee_breakdown if item[0] == "commission")[1]
    # April's volume without this order's April fills is 400,000 shares: the 300,001 -
    # 3,000,000 tier, $0.0020 a share. Measured: $0.0035 (its March fills were taken off).
    assert commission <= D("0.0020") * fill.qty + D("0.01"), (fill.qty, commission)
