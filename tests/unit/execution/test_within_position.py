"""Specification of Alpaca's rule `SubmitOrder.within_position`: an order reducing a position
may not exceed what is available (the position less what open orders on its closing side
hold), so no order crosses through zero. A refusal keeps nothing and carries the numbers of
Alpaca's 403. Orders that do not ask for the rule (the native API's) may flip a position.

Resting orders are limits a dollar beyond the touch on the passive side: they do not fill.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from vtrade.bootstrap import Container
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.changes import Changes
from vtrade.domain.commands import OpenAccount, ReplaceOrder, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from vtrade.execution.validation import InsufficientQtyAvailable

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
S = OrderStatus
ALPACA = {"within_position": True}


def resting(venue: Venue, side: Side) -> dict[str, Any]:
    """Fields of a gtc limit a dollar beyond the touch on the passive side: it rests."""
    quote = venue.quote("AAPL")
    price = quote.ask + 1 if side is Side.SELL else quote.bid - 1
    return {"type": OrderType.LIMIT, "limit_price": price, "tif": TimeInForce.GTC}


def holding(venue: Venue, qty: int | str) -> Account:
    """A fresh account holding `qty` AAPL (short when negative), bought or sold at market."""
    account = venue.open()
    side = Side.BUY if D(qty) > 0 else Side.SELL
    order, _ = venue.submit(account, "AAPL", side, abs(D(qty)))
    assert order.status is S.FILLED
    assert venue.engine.position(account.id, "AAPL").qty == D(qty)
    return account


def refused(result: tuple[Order, Changes], requested: str, available: str) -> Order:
    """Assert the order was refused by the rule, keeping nothing; return it."""
    order, changes = result
    assert order.status is S.REJECTED
    assert order.reject_reason == (
        "qty_available: insufficient qty available for order "
        f"(requested: {requested}, available: {available})"
    )
    assert not changes  # no order row, no event
    return order


def test_a_sell_beyond_what_open_sells_leave_of_a_long_is_refused_with_the_numbers(
    venue: Venue,
) -> None:
    account = holding(venue, 10)
    held, _ = venue.submit(account, "AAPL", Side.SELL, 6, **resting(venue, Side.SELL), **ALPACA)
    assert held.status is S.ACCEPTED

    order = refused(venue.submit(account, "AAPL", Side.SELL, 5, **ALPACA), "5", "4")

    assert order.extra == {
        "available": "4",
        "existing_qty": "10",
        "held_for_orders": "6",
        "related_orders": held.id,  # the order to cancel to free them
    }
    assert order.id not in venue.engine.orders
    sold, _ = venue.submit(account, "AAPL", Side.SELL, 4, **ALPACA)
    assert sold.status is S.FILLED
    assert venue.engine.position(account.id, "AAPL").qty == 6


def test_a_sell_beyond_a_long_does_not_flip_it_but_closing_then_selling_opens_a_short(
    venue: Venue,
) -> None:
    account = holding(venue, 10)

    order = refused(venue.submit(account, "AAPL", Side.SELL, 15, **ALPACA), "15", "10")

    assert order.extra == {
        "available": "10",
        "existing_qty": "10",
        "held_for_orders": "0",
        "related_orders": "",
    }
    assert venue.engine.position(account.id, "AAPL").qty == 10
    assert venue.submit(account, "AAPL", Side.SELL, 10, **ALPACA)[0].status is S.FILLED
    assert venue.submit(account, "AAPL", Side.SELL, 5, **ALPACA)[0].status is S.FILLED
    assert venue.engine.position(account.id, "AAPL").qty == -5


def test_a_flat_account_sells_short_unlimited_by_the_rule_but_not_what_is_not_shortable(
    venue: Venue,
) -> None:
    account = venue.open()

    short, _ = venue.submit(account, "AAPL", Side.SELL, 5, **ALPACA)
    naked, _ = venue.submit(account, "SOL-USD", Side.SELL, 1, **ALPACA)

    assert short.status is S.FILLED
    assert venue.engine.position(account.id, "AAPL").qty == -5
    assert naked.status is S.REJECTED and naked.reject_reason
    assert naked.reject_reason.startswith("shortable: ")


def test_a_buy_beyond_a_short_is_refused_and_one_that_covers_it_exactly_is_not(
    venue: Venue,
) -> None:
    account = holding(venue, -10)

    order = refused(venue.submit(account, "AAPL", Side.BUY, 15, **ALPACA), "15", "10")

    assert order.extra == {
        "available": "10",
        "existing_qty": "10",
        "held_for_orders": "0",
        "related_orders": "",
    }
    assert venue.submit(account, "AAPL", Side.BUY, 10, **ALPACA)[0].status is S.FILLED
    assert venue.engine.position(account.id, "AAPL").qty == 0


def test_open_buys_hold_part_of_a_short_against_further_buys(venue: Venue) -> None:
    account = holding(venue, -10)
    held, _ = venue.submit(account, "AAPL", Side.BUY, 7, **resting(venue, Side.BUY), **ALPACA)

    order = refused(venue.submit(account, "AAPL", Side.BUY, 4, **ALPACA), "4", "3")

    assert order.extra == {
        "available": "3",
        "existing_qty": "10",
        "held_for_orders": "7",
        "related_orders": held.id,
    }


@pytest.mark.parametrize(("position", "side"), [(10, Side.BUY), (-10, Side.SELL)])
def test_adding_to_a_position_is_not_limited(venue: Venue, position: int, side: Side) -> None:
    account = holding(venue, position)

    order, _ = venue.submit(account, "AAPL", side, 25, **ALPACA)

    assert order.status is S.FILLED
    assert abs(venue.engine.position(account.id, "AAPL").qty) == 35


def test_without_the_rule_a_sell_beyond_a_long_flips_it_in_one_order(venue: Venue) -> None:
    account = holding(venue, 10)

    order, _ = venue.submit(account, "AAPL", Side.SELL, 15)

    assert order.status is S.FILLED
    assert venue.engine.position(account.id, "AAPL").qty == -5


def test_fractional_quantities_are_compared_and_shown_exactly(venue: Venue) -> None:
    account = holding(venue, "2.5")

    order = refused(venue.submit(account, "AAPL", Side.SELL, "2.5001", **ALPACA), "2.5001", "2.5")

    assert order.extra["existing_qty"] == "2.5"
    assert venue.submit(account, "AAPL", Side.SELL, "2.5", **ALPACA)[0].status is S.FILLED


def test_a_notional_sell_is_held_to_the_quantity_it_comes_to(venue: Venue) -> None:
    account = holding(venue, 10)
    mid = venue.quote("AAPL").mid

    cmd = SubmitOrder(
        id="c-notional",
        ts_init=venue.now,
        account_id=account.id,
        symbol="AAPL",
        side=Side.SELL,
        notional=(mid * 15).quantize(D("0.01")),
        within_position=True,
    )
    order, changes = venue.engine.submit(cmd, venue.now)

    assert order.status is S.REJECTED and not changes
    assert order.qty > 10  # derived from the notional at the arrival mid
    assert order.reject_reason == (
        "qty_available: insufficient qty available for order "
        f"(requested: {format(order.qty.normalize(), 'f')}, available: 10)"
    )
    within = SubmitOrder(**{**_fields(cmd), "notional": (mid * 4).quantize(D("0.01"))})
    sold, _ = venue.engine.submit(within, venue.now)
    assert sold.status is S.FILLED and sold.qty < 10


def _fields(cmd: SubmitOrder) -> dict[str, Any]:
    return {name: getattr(cmd, name) for name in SubmitOrder.__dataclass_fields__}


def replace(venue: Venue, account: Account, order: Order, qty: int) -> tuple[Order, Changes]:
    cmd = ReplaceOrder(
        id="c-replace",
        ts_init=venue.now,
        account_id=account.id,
        order_id=order.id,
        qty=D(qty),
        within_position=True,
    )
    return venue.engine.replace(cmd, venue.now)


def test_a_replacement_does_not_count_the_hold_of_the_order_it_replaces(venue: Venue) -> None:
    account = holding(venue, 10)
    first, _ = venue.submit(account, "AAPL", Side.SELL, 6, **resting(venue, Side.SELL), **ALPACA)

    larger, _ = replace(venue, account, first, 9)

    assert larger.status is S.ACCEPTED and larger.qty == 9 and larger.replaces == first.id
    assert first.status is S.REPLACED
    order = refused(replace(venue, account, larger, 11), "11", "10")
    assert order.extra == {
        "available": "10",
        "existing_qty": "10",
        "held_for_orders": "0",
        "related_orders": "",
    }
    assert larger.is_open and venue.engine.orders.get(larger.id) is larger  # left as it was


def test_the_exception_carries_the_numbers_of_alpacas_answer() -> None:
    refusal = InsufficientQtyAvailable("AAPL", D("5.0"), D("10.00"), D("6"), ("o-1", "o-2"))

    assert (refusal.symbol, refusal.requested, refusal.available) == ("AAPL", 5, 4)
    assert (refusal.existing_qty, refusal.held_for_orders) == (10, 6)
    assert refusal.rule == "qty_available"
    assert refusal.message == "insufficient qty available for order (requested: 5, available: 4)"
    assert refusal.facts == {
        "available": "4",
        "existing_qty": "10",
        "held_for_orders": "6",
        "related_orders": "o-1,o-2",
    }


# -- through the trading service: kept nothing, and batches ---------------------------------


class Book:
    """A started service with one account holding 10 AAPL."""

    def __init__(self, app: Container) -> None:
        self.app = app
        self.trading = app.trading
        self.events: list[object] = []
        app.bus.subscribe("orders.*", self.events.append)
        self.account = self.trading.open_account(
            OpenAccount(id="c-open", ts_init=0, owner="ann", name="main")
        )
        assert self.trading.submit(self.cmd(side=Side.BUY, within_position=False)).qty == 10
        self.trading.relay()
        self.events.clear()

    def cmd(self, **kw: Any) -> SubmitOrder:
        values: dict[str, Any] = {
            "id": "c-submit",
            "ts_init": 0,
            "account_id": self.account.id,
            "symbol": "AAPL",
            "side": Side.SELL,
            "qty": D(10),
            "within_position": True,
        }
        return SubmitOrder(**(values | kw))

    def resting_sell(self, qty: int, **kw: Any) -> SubmitOrder:
        ask = self.app.market.books.quote("AAPL", self.app.clock.now_ns()).ask
        fields = {"type": OrderType.LIMIT, "limit_price": ask + 1, "tif": TimeInForce.GTC}
        return self.cmd(qty=D(qty), **(fields | kw))


@pytest.fixture
def book(make_service: Callable[..., Container]) -> Book:
    return Book(make_service())


def test_a_refusal_keeps_no_order_and_its_client_order_id_stays_free(book: Book) -> None:
    refusal = book.trading.submit(book.cmd(qty=D(15), client_order_id="bot-1"))

    assert refusal.status is S.REJECTED
    assert refusal.reject_reason and refusal.reject_reason.startswith("qty_available: ")
    assert book.app.store.get_order(refusal.id) is None
    book.trading.relay()
    assert not [e for e in book.events if isinstance(e, ev.OrderEvent)]
    retried = book.trading.submit(book.cmd(qty=D(10), client_order_id="bot-1"))
    assert retried.status is S.FILLED and retried.id != refusal.id
    assert book.app.store.get_order(retried.id) is not None


def test_the_second_sell_of_a_batch_sees_the_hold_of_the_first(book: Book) -> None:
    first, second = book.trading.submit_many(
        [book.resting_sell(6, client_order_id="s-1"), book.cmd(qty=D(5), client_order_id="s-2")]
    )

    assert first.status is S.ACCEPTED
    assert second.status is S.REJECTED and second.extra == {
        "available": "4",
        "existing_qty": "10",
        "held_for_orders": "6",
        "related_orders": first.id,
    }
    assert book.app.store.get_order(first.id) is not None
    assert book.app.store.get_order(second.id) is None
