"""Alpaca shows a working stop-loss leg `held`: it sends the take-profit limit of a pair to the
market (`new`) and holds the stop at the broker until the stop triggers (alpaca-py's
`OrderStatus.HELD`, added for exactly these legs)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vtrade.api.alpaca.schemas import order_status
from vtrade.domain.market_data import Side
from vtrade.domain.orders import (
    CANCEL_DUE,
    OCO_WITH,
    PARENT,
    Order,
    OrderStatus,
    OrderType,
    TimeInForce,
)

S = OrderStatus


def _order(type_: OrderType, status: OrderStatus, **extra: str) -> Order:
    stop = Decimal(90) if type_ in (OrderType.STOP, OrderType.STOP_LIMIT) else None
    limit = Decimal(110) if type_ in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None
    return Order(
        id="o-1",
        account_id="a",
        client_order_id="c",
        symbol="AAPL",
        side=Side.SELL,
        type=type_,
        tif=TimeInForce.GTC,
        qty=Decimal(10),
        stop_price=stop,
        limit_price=limit,
        status=status,
        extra=dict(extra),
    )


@pytest.mark.parametrize("type_", [OrderType.STOP, OrderType.STOP_LIMIT])
@pytest.mark.parametrize("tie", [{PARENT: "entry"}, {OCO_WITH: "take-profit"}])
def test_a_working_stop_loss_leg_is_held(type_: OrderType, tie: dict[str, str]) -> None:
    assert order_status(_order(type_, S.ACCEPTED, **tie)) == "held"


def test_a_triggered_stop_loss_is_new_and_its_fills_show() -> None:
    stop = _order(OrderType.STOP, S.ACCEPTED, **{PARENT: "entry"})
    stop.triggered = True
    assert order_status(stop) == "new"
    stop.status = S.FILLED
    assert order_status(stop) == "filled"


@pytest.mark.parametrize(
    ("order", "shown"),
    [
        (_order(OrderType.LIMIT, S.ACCEPTED, **{OCO_WITH: "stop"}), "new"),  # the take-profit
        (_order(OrderType.STOP, S.ACCEPTED), "new"),  # a stop of its own
        (_order(OrderType.STOP, S.CANCELED, **{OCO_WITH: "tp"}), "canceled"),
        (_order(OrderType.STOP, S.ACCEPTED, **{OCO_WITH: "tp", CANCEL_DUE: "1"}), "pending_cancel"),
    ],
)
def test_other_orders_show_their_own_status(order: Order, shown: str) -> None:
    assert order_status(order) == shown
