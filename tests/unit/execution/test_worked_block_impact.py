"""A block worked at the participation cap pays the square-root law's impact, however thin
its slices, and the estimate says about what it then pays (found in session 23's fill-model
review: slices within the touch never moved the mid, so 2,000 ETH worked over hours paid
0.7 bp where the law says 25 and the estimate said 21.8; GC 1.5 against 7.3 and 4.4).

market-realism.md §4.1-4.2: the square-root law prices a metaorder, however it is worked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import Venue, make_container
from vtrade.domain.market_data import Side
from vtrade.execution.estimate import estimate


def _worked(symbol: str, qty: int) -> tuple[float, float, float]:
    """Impact paid (bp of the frictionless cost), the estimate's, the law's."""
    venue = Venue(make_container())
    account = venue.open(balance=10**11)
    quoted = estimate(venue.engine, symbol, Side.BUY, Decimal(qty), venue.now)
    order, changes = venue.submit(account, symbol, Side.BUY, qty)
    fills = list(changes.fills)
    for _ in range(2_000):
        if not order.is_open:
            break
        fills += [f for f in venue.advance(10).fills if f.order_id == order.id]
    assert order.filled_qty == qty
    base = sum((f.receipt.frictionless_cost for f in fills), Decimal(0))
    paid = float(sum((f.receipt.impact_cost for f in fills), Decimal(0)) / base * 10_000)
    m = venue.catalog.get(symbol).market
    law = m.impact_gamma * (qty / m.avg_daily_volume) ** m.impact_alpha * 10_000
    return paid, float(quoted.impact_bps), law


@pytest.mark.parametrize(("symbol", "qty"), [("GC", 1_500), ("AAPL", 300_000)])
def test_a_worked_block_pays_the_square_root_law_and_the_estimate_says_so(
    symbol: str, qty: int
) -> None:
    paid, quoted, law = _worked(symbol, qty)
    # about two thirds of the law (its mean along the ramp), less what fades meanwhile
    assert 0.4 * law <= paid <= law, (paid, law)  # GC paid 0.2x the law
    assert quoted == pytest.approx(paid, rel=0.35)  # GC's estimate was 3x what it paid
