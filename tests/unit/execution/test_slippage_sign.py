"""A fill at its arrival mid shows a slippage of 0.00 bp, never -0.00 (found in session 21's
receipts review: a sale at the arrival mid, every frictionless sale, got Decimal('-0.00'),
which `vtrade demo --json` printed and the database kept)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.domain.market_data import Side
from vtrade.views_trade import fill_dict

if TYPE_CHECKING:
    from conftest import Venue

WHALE = 10**10


def test_a_frictionless_sale_at_the_mid_shows_zero_slippage_not_minus_zero(venue: Venue) -> None:
    account = venue.open(balance=WHALE, profile="frictionless")

    _, changes = venue.submit(account, "AAPL", Side.SELL, 100)

    r = changes.fills[0].receipt
    assert r.avg_price == r.arrival_mid == Decimal("264.95")
    assert r.slippage_bps == 0
    assert not r.slippage_bps.is_signed()
    assert fill_dict(changes.fills[0])["receipt"]["slippage_bps"] == "0.00"
