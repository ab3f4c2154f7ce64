"""A replacement is a new order to the fee schedule: it pays its own commission minimum.

This is how IB bills a modified order (by order id and version: "minima get re-applied
whenever an order is modified", IB's 2008 clarification, made to stop a capped order being
re-priced all day for one commission). A block filled in slivers without being modified still
pays one minimum (`test_fees.py`)."""

from __future__ import annotations

from decimal import Decimal

from conftest import Venue
from vtrade.domain.commands import ReplaceOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, Order, OrderStatus

D = Decimal


def _commission(fills: list[Fill], order: Order) -> Decimal:
    return sum(
        (
            a
            for f in fills
            if f.order_id == order.id
            for n, a in f.receipt.fee_breakdown
            if n == "commission"
        ),
        D(0),
    )


def test_a_replacement_pays_its_own_commission_minimum(venue: Venue) -> None:
    account = venue.open()
    bid = venue.quote("AAPL").bid
    order, changes = venue.submit(
        account, "AAPL", Side.BUY, 300, type="limit", limit_price=bid, tif="day"
    )
    fills = list(changes.fills)
    while not order.filled_qty:
        fills += venue.advance(1).fills
    assert order.status is OrderStatus.PARTIALLY_FILLED
    first = _commission(fills, order)
    assert first == (D("0.0035") * order.filled_qty).quantize(D("0.01"))  # above the minimum

    replace = ReplaceOrder(
        id="r", ts_init=venue.now, account_id=account.id, order_id=order.id, limit_price=bid
    )
    replacement, changes = venue.engine.replace(replace, venue.now)
    fills += changes.fills
    while replacement.is_open:
        fills += venue.advance(1).fills

    assert replacement.qty == 300 - order.filled_qty and replacement.qty * D("0.0035") < D("0.35")
    assert _commission(fills, replacement) == D("0.35")  # IB Tiered's minimum, again
