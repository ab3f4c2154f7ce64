"""Specification of the open-order index: by id, and per account in submission order."""

from __future__ import annotations

from decimal import Decimal

from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderType, TimeInForce
from vtrade.execution.open_orders import OpenOrders


def order(order_id: str, account_id: str, seq: int) -> Order:
    return Order(
        id=order_id,
        account_id=account_id,
        client_order_id=order_id,
        tif=TimeInForce.DAY,
        symbol="AAPL",
        side=Side.BUY,
        qty=Decimal(1),
        type=OrderType.MARKET,
        seq=seq,
    )


def test_an_accounts_open_orders_come_back_oldest_first_and_without_other_accounts() -> None:
    book = OpenOrders([order("o3", "a", 3), order("o1", "a", 1), order("o2", "b", 2)])

    assert [o.id for o in book.of("a")] == ["o1", "o3"]
    assert [o.id for o in book.of("b")] == ["o2"]
    assert book.of("nobody") == []


def test_removed_orders_leave_both_indexes() -> None:
    book = OpenOrders()
    book["o1"] = order("o1", "a", 1)
    book["o2"] = order("o2", "a", 2)

    assert book.pop("o1") is not None
    del book["o2"]

    assert book.pop("o1") is None
    assert not book
    assert book.of("a") == []


def test_the_next_instant_is_the_earliest_due_or_expiry_of_an_open_order() -> None:
    book = OpenOrders()
    first, second = order("o1", "a", 1), order("o2", "b", 2)
    first.due_ns, first.expire_ns = 50, 100
    second.expire_ns = 100
    book["o1"], book["o2"] = first, second

    assert book.next_instant(0) == 50
    assert book.next_instant(50) == 100
    book.clear_due(first)  # its auction ran
    assert first.due_ns is None and book.next_instant(0) == 100
    del book["o1"]
    assert book.next_instant(0) == 100  # the other order still expires then
    book.pop("o2")
    assert book.next_instant(0) is None
