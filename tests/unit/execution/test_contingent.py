"""Bracket, oto and oco orders: legs held for their entry, released for what it filled, and
one-cancels-other pairs that never close more than one of them would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from vtrade.bootstrap import Container
from vtrade.core.errors import ValidationError
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.changes import Changes
from vtrade.domain.commands import CancelOrder, OpenAccount, ReplaceOrder, ResetAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import LEGS, OCO_WITH, PARENT, Order, OrderStatus, OrderType
from vtrade.execution import liquidation

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
S = OrderStatus


def legs_of(entry: Order, changes: Changes) -> list[Order]:
    """The legs of `entry`, from the changes of its submission."""
    made = {o.id: o for o in changes.orders}
    return [made[leg_id] for leg_id in entry.extra[LEGS].split(",")]


def bracket(
    venue: Venue, account: Account, qty: int = 100, side: Side = Side.BUY, **kw: object
) -> tuple[Order, list[Order], Decimal]:
    """A bracket on AAPL around its entry's limit, else its mid: take-profit 5% away, stop-loss
    5% the other way."""
    mid = venue.engine.marks(venue.now).mid("AAPL")
    base = D(str(kw.get("limit_price", mid)))
    up, down = (base * D("1.05")).quantize(D("0.01")), (base * D("0.95")).quantize(D("0.01"))
    tp, sl = (up, down) if side is Side.BUY else (down, up)
    options: dict[str, object] = {
        "order_class": "bracket",
        "take_profit_limit_price": tp,
        "stop_loss_stop_price": sl,
        "tif": "gtc",
        **kw,
    }
    entry, changes = venue.submit(account, "AAPL", side, qty, **options)
    return entry, legs_of(entry, changes), mid


def sell_oco(
    venue: Venue, account: Account, qty: int, take_profit: Decimal, stop: Decimal, **kw: object
) -> tuple[Order, Order, Changes]:
    """A sell oco on AAPL (its take-profit a limit at `take_profit`): the take-profit, its
    stop-loss and the changes of its submission."""
    oco, changes = venue.submit(
        account,
        "AAPL",
        Side.SELL,
        qty,
        type="limit",
        order_class="oco",
        take_profit_limit_price=take_profit,
        stop_loss_stop_price=stop,
        **kw,
    )
    (sl,) = legs_of(oco, changes)
    return oco, sl, changes


def test_a_bracket_s_legs_work_once_its_entry_fills_for_what_it_filled(venue: Venue) -> None:
    account = venue.open()
    entry, (tp, sl), mid = bracket(venue, account)

    assert entry.status is S.FILLED and entry.extra["order_class"] == "bracket"
    assert (tp.side, tp.type, tp.limit_price) == (Side.SELL, OrderType.LIMIT, tp.limit_price)
    assert (sl.side, sl.type) == (Side.SELL, OrderType.STOP) and sl.stop_price < mid
    assert tp.status is sl.status is S.ACCEPTED and tp.qty == sl.qty == 100
    assert tp.extra[PARENT] == sl.extra[PARENT] == entry.id
    assert (tp.extra[OCO_WITH], sl.extra[OCO_WITH]) == (sl.id, tp.id)
    assert venue.engine.held == {}
    # the pair closes the position once: Alpaca's held_for_orders counts 100, not 200
    position = venue.engine.position(account.id, "AAPL")
    assert venue.engine.held_for_orders(position) == 100
    assert venue.engine.holding_ids(position) == [tp.id, sl.id]  # both hold it


def test_legs_are_held_while_the_entry_rests_and_canceled_with_it(venue: Venue) -> None:
    account = venue.open()
    mid = venue.engine.marks(venue.now).mid("AAPL")
    below = (mid * D("0.9")).quantize(D("0.01"))
    entry, (tp, sl), _ = bracket(venue, account, type="limit", limit_price=below)
    assert entry.status is S.ACCEPTED and tp.status is sl.status is S.HELD
    assert set(venue.engine.held) == {tp.id, sl.id}
    assert tp.limit_price > below > sl.stop_price  # sides of the entry's price, not the mid

    venue.advance(60)
    assert tp.status is sl.status is S.HELD and not tp.filled_qty  # held legs never work

    _, changes = venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=entry.id), venue.now
    )
    assert tp.status is sl.status is S.CANCELED and venue.engine.held == {}
    reasons = {e.order_id: e.reason for e in changes.events if isinstance(e, ev.OrderCanceled)}
    assert reasons[tp.id] == reasons[sl.id] == f"its entry order {entry.id} was canceled"


def test_an_oco_s_filled_take_profit_cancels_its_stop_loss(venue: Venue) -> None:
    """A sell oco whose take-profit is marketable fills it at once: its stop-loss is canceled
    before it ever works."""
    account = venue.open()
    bought, _ = venue.submit(account, "AAPL", Side.BUY, 100)
    bid = venue.quote("AAPL").bid
    tp, sl_stop = (bid * D("0.99")).quantize(D("0.01")), (bid * D("0.9")).quantize(D("0.01"))
    oco, sl, changes = sell_oco(venue, account, 100, tp, sl_stop)
    assert oco.status is S.FILLED and oco.type is OrderType.LIMIT and oco.limit_price == tp
    assert sl.status is S.CANCELED and sl.side is Side.SELL and sl.stop_price == sl_stop
    assert venue.engine.position(account.id, "AAPL").qty == 0
    canceled = [e for e in changes.events if isinstance(e, ev.OrderCanceled)]
    assert [(e.order_id, e.reason) for e in canceled] == [
        (sl.id, f"one-cancels-other: {oco.id} filled")
    ]


def test_a_partial_fill_shrinks_the_other_leg_to_what_it_has_left(venue: Venue) -> None:
    """A take-profit larger than the book fills part now: its stop-loss then closes only what
    the take-profit has left, and both shrink together as it works on."""
    account = venue.open(balance=500_000_000)
    bid = venue.quote("AAPL").bid
    oco, sl, _ = sell_oco(
        venue,
        account,
        300_000,
        (bid * D("0.99")).quantize(D("0.01")),
        (bid * D("0.5")).quantize(D("0.01")),
    )
    assert oco.status is S.PARTIALLY_FILLED and sl.is_open
    assert sl.remaining == oco.remaining < 300_000
    venue.advance(30)
    assert sl.remaining == oco.remaining < 300_000 or not sl.is_open


def test_an_entry_ended_after_a_partial_fill_releases_its_legs_for_what_it_filled(
    venue: Venue,
) -> None:
    account = venue.open(balance=500_000_000)
    ask = venue.quote("AAPL").ask
    entry, (tp, sl), _ = bracket(
        venue, account, 300_000, type="limit", limit_price=(ask * D("1.01")).quantize(D("0.01"))
    )
    assert entry.status is S.PARTIALLY_FILLED and tp.status is S.HELD
    venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=entry.id), venue.now
    )
    assert tp.status is sl.status is S.ACCEPTED
    assert tp.qty == sl.qty == entry.filled_qty < 300_000


def test_canceling_a_held_leg_cancels_its_pair_and_leaves_the_entry(venue: Venue) -> None:
    account = venue.open()
    mid = venue.engine.marks(venue.now).mid("AAPL")
    entry, (tp, sl), _ = bracket(
        venue, account, type="limit", limit_price=(mid * D("0.9")).quantize(D("0.01"))
    )
    venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=sl.id), venue.now
    )
    assert tp.status is sl.status is S.CANCELED and entry.is_open


def test_replacing_a_leg_keeps_the_pair_tied(venue: Venue) -> None:
    account = venue.open()
    entry, (tp, sl), mid = bracket(venue, account)
    higher = (mid * D("1.2")).quantize(D("0.01"))
    new, _ = venue.engine.replace(
        ReplaceOrder(
            id="r", ts_init=venue.now, account_id=account.id, order_id=tp.id, limit_price=higher
        ),
        venue.now,
    )
    assert tp.status is S.REPLACED and new.limit_price == higher
    assert sl.extra[OCO_WITH] == new.id and new.extra[OCO_WITH] == sl.id
    assert tp.replaced_by == new.id and new.extra[PARENT] == entry.id
    venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=sl.id), venue.now
    )
    assert new.status is S.CANCELED  # one-cancels-other still


def test_an_oco_replaced_leg_first_then_take_profit_ties_all_to_the_newest(venue: Venue) -> None:
    """The stop-loss replaced, then the take-profit (its entry): the newest stop-loss names
    the newest take-profit as its parent and one-cancels-other, and the pair still works."""
    account = venue.open()
    venue.submit(account, "AAPL", Side.BUY, 100)
    ask = venue.quote("AAPL").ask
    tp_price, sl_price = (ask * D("1.1")).quantize(D("0.01")), (ask * D("0.9")).quantize(D("0.01"))
    oco, sl, _ = sell_oco(venue, account, 100, tp_price, sl_price)

    def replace_price(order: Order, **price: Decimal) -> Order:
        cmd = ReplaceOrder(
            id=f"r-{order.id}", ts_init=venue.now, account_id=account.id, order_id=order.id, **price
        )
        return venue.engine.replace(cmd, venue.now)[0]

    new_sl = replace_price(sl, stop_price=sl_price - D("1"))
    new_tp = replace_price(oco, limit_price=tp_price + D("1"))

    assert (new_sl.extra[PARENT], new_sl.extra[OCO_WITH]) == (new_tp.id, new_tp.id)
    assert new_tp.extra[OCO_WITH] == new_sl.id
    venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=new_tp.id),
        venue.now,
    )
    assert new_sl.status is S.CANCELED  # one-cancels-other still


def test_a_leg_s_quantity_cannot_be_replaced(venue: Venue) -> None:
    account = venue.open()
    _, (tp, _), _ = bracket(venue, account)
    with pytest.raises(ValidationError, match="its quantity follows the others'"):
        venue.engine.replace(
            ReplaceOrder(
                id="r", ts_init=venue.now, account_id=account.id, order_id=tp.id, qty=D(5)
            ),
            venue.now,
        )


def test_a_reset_cancels_held_legs_and_working_pairs(venue: Venue) -> None:
    account = venue.open()
    _, (tp, sl), mid = bracket(venue, account)
    waiting, (held_tp, held_sl), _ = bracket(
        venue, account, type="limit", limit_price=(mid * D("0.9")).quantize(D("0.01"))
    )
    venue.engine.reset_account(
        ResetAccount(id="x", ts_init=venue.now, account_id=account.id), venue.now
    )
    assert {o.status for o in (tp, sl, waiting, held_tp, held_sl)} == {S.CANCELED}
    assert venue.engine.held == {} and venue.engine.open_orders(account.id) == []


EXITS = {"take_profit_limit_price": "999", "stop_loss_stop_price": "1"}  # about AAPL's mid


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"order_class": "bracket", "take_profit_limit_price": "999"}, "needs both"),
        ({"order_class": "oto"}, "takes one exit"),
        ({"order_class": "oto", **EXITS}, "takes one exit"),
        ({"order_class": "bracket", **EXITS, "tif": "ioc"}, "must be day or gtc, not ioc"),
        (
            {"order_class": "bracket", **EXITS, "take_profit_limit_price": "1"},
            "must be above the entry",
        ),
        (
            {"order_class": "bracket", **EXITS, "stop_loss_stop_price": "9999"},
            "must be below the entry",
        ),
        ({"order_class": "oco", **EXITS}, "an oco order is a limit order"),
        (
            {"order_class": "bracket", **EXITS, "take_profit_limit_price": "999.001"},
            "take_profit: limit_price 999.001 must be a multiple of the tick size",
        ),
    ],
)
def test_a_malformed_contingent_order_is_refused_saying_why(
    venue: Venue, options: dict[str, str], message: str
) -> None:
    account = venue.open()
    with pytest.raises(ValidationError, match=message):
        venue.submit(account, "AAPL", Side.BUY, 10, **options)
    assert venue.engine.open_orders(account.id) == [] and venue.engine.held == {}


def test_held_legs_are_stored_and_restored(make_service: Callable[..., Container]) -> None:
    app = make_service()
    account = app.trading.open_account(OpenAccount(id="o", ts_init=0, owner="a", name="m"))
    mid = app.engine.marks(app.engine.now_ns).mid("AAPL")
    entry = app.trading.submit(
        SubmitOrder(
            id="s",
            ts_init=0,
            account_id=account.id,
            symbol="AAPL",
            side=Side.BUY,
            qty=D(10),
            type="limit",
            limit_price=(mid * D("0.9")).quantize(D("0.01")),
            tif="gtc",
            order_class="bracket",
            take_profit_limit_price=(mid * D("1.1")).quantize(D("0.01")),
            stop_loss_stop_price=(mid * D("0.8")).quantize(D("0.01")),
        )
    )
    legs = entry.extra[LEGS].split(",")
    app.trading.stop()

    again = make_service()
    assert sorted(again.engine.held) == sorted(legs)
    assert [o.id for o in again.store.list_orders(account.id, open_only=True)] != []
    again.trading.cancel(CancelOrder(id="c", ts_init=0, account_id=account.id, order_id=entry.id))
    assert {again.store.get_order(i).status for i in legs} == {S.CANCELED}  # type: ignore[union-attr]


def partly_filled_bracket(venue: Venue) -> tuple[Account, Order, list[Order]]:
    """A gtc bracket buying 300,000 AAPL at 1% over the ask: it fills part at once, and its
    legs stay held for the rest."""
    account = venue.open(balance=500_000_000)
    ask = venue.quote("AAPL").ask
    limit = (ask * D("1.01")).quantize(D("0.01"))
    entry, legs, _ = bracket(venue, account, 300_000, type="limit", limit_price=limit)
    assert entry.status is S.PARTIALLY_FILLED and {leg.status for leg in legs} == {S.HELD}
    return account, entry, legs


def test_a_reset_cancels_held_legs_before_their_partly_filled_entry(venue: Venue) -> None:
    """Canceled first, the entry would release its legs for what it filled: they would go on
    working on the reset account and open a short."""
    account, entry, legs = partly_filled_bracket(venue)
    venue.engine.reset_account(
        ResetAccount(id="x", ts_init=venue.now, account_id=account.id), venue.now
    )
    assert {o.status for o in (entry, *legs)} == {S.CANCELED}
    venue.advance(3_600)
    assert venue.engine.open_orders(account.id) == [] and venue.engine.held == {}
    assert venue.engine.position(account.id, "AAPL").qty == 0


def test_a_liquidation_cancels_held_legs_before_their_partly_filled_entry(venue: Venue) -> None:
    account, entry, legs = partly_filled_bracket(venue)
    wiped = replace(venue.engine.view(account.id, venue.now), nav=D(0))  # close everything
    liquidation.liquidate(venue.engine, account, wiped, venue.now)
    assert {o.status for o in (entry, *legs)} == {S.CANCELED}
    venue.advance(3_600)
    assert venue.engine.open_orders(account.id) == [] and venue.engine.held == {}
    assert venue.engine.position(account.id, "AAPL").qty == 0  # closed, not turned short


def test_day_legs_expire_with_their_entry_s_day(make_venue: Callable[..., Venue]) -> None:
    """A day bracket's legs are day orders of its day: released by an entry that expired at
    the close after a partial fill, they expire with it; an oco's stop-loss expires with its
    take-profit. Each shows when it expires, held or not."""
    venue = make_venue(start="2024-03-15T19:59:00Z")  # a minute before New York's close
    account = venue.open(balance=5_000_000_000)
    ask = venue.quote("AAPL").ask
    limit = (ask * D("1.01")).quantize(D("0.01"))
    entry, legs, _ = bracket(venue, account, 3_000_000, type="limit", limit_price=limit, tif="day")
    assert entry.expire_ns == legs[0].expire_ns == legs[1].expire_ns  # shown while held
    bid = venue.quote("AAPL").bid
    oco, stop, _ = sell_oco(
        venue,
        account,
        10,
        (bid * D("1.2")).quantize(D("0.01")),
        (bid * D("0.8")).quantize(D("0.01")),
        tif="day",
    )
    assert stop.expire_ns == oco.expire_ns is not None
    venue.advance(3 * 24 * 3_600)  # over the weekend, past Monday's close
    assert entry.status is S.EXPIRED and 0 < entry.filled_qty < 3_000_000
    assert {leg.status for leg in legs} == {S.EXPIRED} and not legs[0].filled_qty
    assert oco.status is stop.status is S.EXPIRED


def test_a_replacement_keeps_a_contingent_order_s_exits_and_time_in_force(venue: Venue) -> None:
    account = venue.open()
    mid = venue.engine.marks(venue.now).mid("AAPL")
    below = (mid * D("0.9")).quantize(D("0.01"))
    entry, (tp, _), _ = bracket(venue, account, type="limit", limit_price=below)
    above_take_profit = tp.limit_price * D("1.01")  # type: ignore[operator]

    def replace_entry(**change: object) -> None:
        venue.engine.replace(
            ReplaceOrder(
                id="r", ts_init=venue.now, account_id=account.id, order_id=entry.id, **change
            ),
            venue.now,
        )

    with pytest.raises(ValidationError, match="must be above the entry's price"):
        replace_entry(limit_price=above_take_profit.quantize(D("0.01")))
    with pytest.raises(ValidationError, match="share their time in force"):
        replace_entry(tif="day")
    replace_entry(limit_price=below - 1)  # still under its exits
    assert entry.status is S.REPLACED


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"order_class": "oco", **EXITS, "type": "market"}, "an oco order is a limit order"),
        (
            {"order_class": "bracket", **EXITS, "take_profit_limit_price": "-1"},
            "take_profit limit_price must be > 0",
        ),
        ({"order_class": "bracket", **EXITS, "tif": "opg"}, "must be day or gtc, not opg"),
        ({"take_profit_limit_price": "999"}, "belong to bracket, oco and oto orders"),
    ],
)
def test_a_contingent_command_is_malformed_before_any_market_check(
    options: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        SubmitOrder(id="s", ts_init=0, account_id="a", symbol="AAPL", side="buy", qty=1, **options)


def test_legs_released_after_the_position_was_sold_close_only_what_is_left(
    venue: Venue,
) -> None:
    """The trader sold part of what a partly filled entry bought: its legs, released when it
    is canceled, close the rest only; had everything been sold, they would be canceled. They
    never turn the position around."""
    account, entry, (tp, sl) = partly_filled_bracket(venue)
    filled = entry.filled_qty
    venue.submit(account, "AAPL", Side.SELL, filled - 1_000)
    venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=entry.id), venue.now
    )
    assert tp.status is sl.status is S.ACCEPTED and tp.qty == sl.qty == 1_000


def test_legs_are_canceled_when_their_entry_s_position_is_already_closed(venue: Venue) -> None:
    account, entry, (tp, sl) = partly_filled_bracket(venue)
    venue.submit(account, "AAPL", Side.SELL, entry.filled_qty)
    _, changes = venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=entry.id), venue.now
    )
    assert tp.status is sl.status is S.CANCELED
    reasons = {e.reason for e in changes.events if isinstance(e, ev.OrderCanceled)}
    assert f"nothing left to close: the position its entry {entry.id} opened is closed" in reasons
    venue.advance(3_600)
    assert venue.engine.position(account.id, "AAPL").qty == 0


def test_a_bracket_a_venue_rule_rejects_is_kept_as_a_bracket_with_no_legs(venue: Venue) -> None:
    account = venue.open()
    mid = venue.engine.marks(venue.now).mid("AAPL")
    through = (mid * D("1.2")).quantize(D("0.01"))  # beyond the 10% price collar
    entry, changes = venue.submit(
        account,
        "AAPL",
        Side.BUY,
        100,
        type="limit",
        limit_price=through,
        order_class="bracket",
        take_profit_limit_price=(through * D("1.05")).quantize(D("0.01")),
        stop_loss_stop_price=(through * D("0.95")).quantize(D("0.01")),
        tif="gtc",
    )

    assert entry.status is S.REJECTED and entry.reject_reason.startswith("price_collar")
    assert entry.extra == {"order_class": "bracket"}  # what the trader asked for, no legs
    assert [o.id for o in changes.orders] == [entry.id] and venue.engine.held == {}
