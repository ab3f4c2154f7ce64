"""Client order ids the engine makes for orders sent without one: never one an order of the
account already has, whoever chose it. Two venues built alike make the same ids in the same
order, so the first shows which id the second is about to make."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.domain.accounts import Account
from vtrade.domain.market_data import Side
from vtrade.domain.orders import LEGS, Order

if TYPE_CHECKING:
    from conftest import Venue


def bracket_ids(venue: Venue, account: Account) -> list[str]:
    """The client order ids of a bracket on AAPL sent without one: its entry's, then its legs'."""
    mid = venue.engine.marks(venue.now).mid("AAPL")
    entry, changes = venue.submit(
        account,
        "AAPL",
        Side.BUY,
        10,
        tif="gtc",
        order_class="bracket",
        take_profit_limit_price=(mid * Decimal("1.05")).quantize(Decimal("0.01")),
        stop_loss_stop_price=(mid * Decimal("0.95")).quantize(Decimal("0.01")),
    )
    orders: dict[str, Order] = {o.id: o for o in changes.orders}
    legs = [orders[leg_id] for leg_id in entry.extra[LEGS].split(",")]
    return [entry.client_order_id, *(leg.client_order_id for leg in legs)]


def test_an_order_sent_without_an_id_skips_a_made_id_a_client_chose_earlier(
    make_venue: Callable[..., Venue],
) -> None:
    first, second = make_venue(), make_venue()
    made, _ = first.submit(first.open(), "AAPL", Side.BUY, 1)
    account = second.open()
    chosen, _ = second.submit(account, "AAPL", Side.BUY, 1, client_order_id=made.client_order_id)

    placed, _ = second.submit(account, "AAPL", Side.BUY, 1)

    assert chosen.client_order_id == made.client_order_id
    assert placed.client_order_id
    assert placed.client_order_id != made.client_order_id


def test_a_bracket_s_legs_skip_made_ids_the_account_chose(
    make_venue: Callable[..., Venue],
) -> None:
    first, second = make_venue(), make_venue()
    mine = first.open()
    for chosen in ("x1", "x2"):  # as the second's two chosen orders below, ids apart
        first.submit(mine, "AAPL", Side.BUY, 1, client_order_id=chosen)
    entry_id, take_profit_id, stop_loss_id = bracket_ids(first, mine)
    account = second.open()
    for chosen in (take_profit_id, stop_loss_id):
        second.submit(account, "AAPL", Side.BUY, 1, client_order_id=chosen)

    ids = bracket_ids(second, account)

    assert ids[0] == entry_id  # nothing held it: the made ids go on as before
    assert len(set(ids)) == 3
    assert not {take_profit_id, stop_loss_id} & set(ids)


def test_the_engine_makes_the_same_ids_from_the_same_seed(
    make_venue: Callable[..., Venue],
) -> None:
    first, second = make_venue(), make_venue()

    assert bracket_ids(first, first.open()) == bracket_ids(second, second.open())
