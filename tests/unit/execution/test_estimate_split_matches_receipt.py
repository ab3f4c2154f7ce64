"""The estimate splits spread and impact as the receipt of the same order, filled at the same
instant, splits them (found in session 21's receipts review).

After a block (here another account's) took the top of the book and it has not refilled, the
receipt measures the spread to the quoted touch and counts the emptied levels as impact
(`fills.take`: `best = min(quoted, taken[0].price)`), while the estimate takes the book's best
remaining level as the touch (`estimate._taking`: `Execution(now, now[0].price, ...)`): for 500
AAPL the estimate said spread 3.39 bp + impact 0.17 bp, the fill's receipt 0.38 bp + 3.19 bp."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.domain.market_data import Side
from vtrade.execution.estimate import estimate

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
BP = D("0.01")
WHALE = 10**10


def test_after_a_block_the_estimate_splits_spread_and_impact_as_the_fill_does(
    venue: Venue,
) -> None:
    whale, trader = venue.open(balance=WHALE), venue.open(balance=WHALE)
    venue.submit(whale, "AAPL", Side.BUY, 50_000)
    venue.advance(1)

    e = estimate(venue.engine, "AAPL", Side.BUY, D(500), venue.now)
    _, changes = venue.submit(trader, "AAPL", Side.BUY, 500)

    (fill,) = changes.fills
    r = fill.receipt
    assert e.fillable_now == fill.qty == 500
    assert e.arrival_mid == r.arrival_mid
    assert e.avg_price_now == r.avg_price  # the same slices
    base = fill.qty * r.arrival_mid / 10_000
    spread_bps = (r.spread_cost / base).quantize(BP)  # to the quoted ask
    impact_bps = (r.impact_cost / base).quantize(BP)  # the levels the block emptied
    assert impact_bps > spread_bps
    assert e.spread_bps == spread_bps
    assert e.impact_bps == impact_bps
