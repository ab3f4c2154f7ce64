"""Under a profile with latency (harsh) a replace of an order tied to others (a bracket's,
oto's or oco's) travels to the market as any replace does: the order works on, still tied,
until the replace arrives; then the replacement takes its place in the group. An entry that
filled part meanwhile is not replaced: its held legs are sized by its fills."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from test_contingent import bracket, sell_oco

from vtrade.domain import events as ev
from vtrade.domain.commands import CancelOrder, ReplaceOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import LEGS, OCO_WITH, PARENT, REPLACING_WITH, Order, OrderStatus

if TYPE_CHECKING:
    from conftest import Venue
    from vtrade.domain.accounts import Account

D = Decimal
S = OrderStatus
SECOND = 1_000_000_000


def _replace(venue: Venue, account: Account, order: Order, **prices: Decimal) -> Order:
    cmd = ReplaceOrder(
        id=f"r-{order.id}", ts_init=venue.now, account_id=account.id, order_id=order.id, **prices
    )
    return venue.engine.replace(cmd, venue.now)[0]


def _harsh_oco(venue: Venue) -> tuple[Account, Order, Order]:
    """A harsh account long 100 AAPL with a sell oco on them, arrived: (account, take-profit
    10% above the ask, stop-loss 10% below)."""
    account = venue.open(profile="harsh")
    venue.submit_arrived(account, "AAPL", Side.BUY, 100)
    ask = venue.quote("AAPL").ask
    above, below = ((ask * D(share)).quantize(D("0.01")) for share in ("1.1", "0.9"))
    tp, sl, _ = sell_oco(venue, account, 100, above, below)
    venue.advance(1)
    assert tp.status is S.ACCEPTED and sl.status is S.ACCEPTED
    return account, tp, sl


def test_a_harsh_oco_take_profit_replace_arrives_late_and_ties_the_replacement(
    venue: Venue,
) -> None:
    account, tp, sl = _harsh_oco(venue)
    assert tp.limit_price is not None

    new = _replace(venue, account, tp, limit_price=tp.limit_price + 1)

    # on its way: the take-profit works on, still the stop-loss's one-cancels-other
    assert tp.is_open and tp.extra[REPLACING_WITH] == new.id
    assert sl.extra[OCO_WITH] == tp.id and OCO_WITH not in new.extra
    venue.advance(1)
    assert tp.status is S.REPLACED and tp.replaced_by == new.id
    assert (new.extra[OCO_WITH], sl.extra[OCO_WITH]) == (sl.id, new.id)
    assert new.group_id is not None  # the group is the replacement's now

    cancel = CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=sl.id)
    venue.engine.cancel(cancel, venue.now)
    venue.advance(1)
    assert sl.status is S.CANCELED and new.status is S.CANCELED  # one-cancels-other still


def test_a_harsh_take_profit_replaced_through_the_market_fills_on_arrival_and_cancels_its_stop(
    venue: Venue,
) -> None:
    """Re-priced through the bid, the take-profit's replacement fills when it reaches the
    market, not when sent, and its fill cancels the stop-loss."""
    account, tp, sl = _harsh_oco(venue)
    through = (venue.quote("AAPL").bid * D("0.98")).quantize(D("0.01"))

    new = _replace(venue, account, tp, limit_price=through)
    assert new.is_open and not new.filled_qty and tp.is_open and sl.is_open
    venue.advance(1)

    assert tp.status is S.REPLACED and new.status is S.FILLED and new.filled_qty == 100
    assert sl.status is S.CANCELED


def test_a_harsh_bracket_entry_replace_moves_its_held_legs_when_it_arrives(
    venue: Venue,
) -> None:
    account = venue.open(balance=1_000_000, profile="harsh")
    low = (venue.quote("AAPL").bid * D("0.95")).quantize(D("0.01"))
    entry, (tp, sl), _ = bracket(venue, account, limit_price=low, type="limit")
    venue.advance(1)

    new = _replace(venue, account, entry, limit_price=low + D("0.01"))
    assert (tp.extra[PARENT], sl.extra[PARENT]) == (entry.id, entry.id)
    assert LEGS not in new.extra
    venue.advance(1)

    assert entry.status is S.REPLACED and new.extra[LEGS] == entry.extra[LEGS]
    assert (tp.extra[PARENT], sl.extra[PARENT]) == (new.id, new.id)
    assert tp.status is S.HELD and sl.status is S.HELD


def test_a_harsh_bracket_entry_that_fills_part_before_its_replace_arrives_is_not_replaced(
    make_venue: Callable[..., Venue],
) -> None:
    """A 20,000-share bracket entry resting at the bid fills part as the market trades there.
    Its replace is sent 0.3 s before that first fill (found on a twin venue: the same seed
    and commands give the same fills) and arrives 0.2 s after it: the replacement is canceled,
    saying why, and the entry works on with its legs held for its fills."""

    def resting_entry() -> tuple[Venue, Account, Order, list[Order]]:
        venue = make_venue()
        account = venue.open(balance=100_000_000, profile="harsh")
        bid = venue.quote("AAPL").bid
        entry, legs, _ = bracket(venue, account, 20_000, limit_price=bid, type="limit")
        venue.advance(1)
        assert entry.status is S.ACCEPTED and not entry.filled_qty
        return venue, account, entry, legs

    twin, _, twin_entry, _ = resting_entry()
    while not twin_entry.filled_qty:
        twin.advance(0.1)
    first_fill = twin.now  # within 0.1 s after it

    venue, account, entry, (tp, sl) = resting_entry()
    venue.advance_to(first_fill - SECOND * 4 // 10)
    assert not entry.filled_qty
    assert entry.limit_price is not None
    new = _replace(venue, account, entry, limit_price=entry.limit_price - D("0.01"))
    changes = venue.advance(1)

    assert 0 < entry.filled_qty < 20_000 and entry.is_open
    assert REPLACING_WITH not in entry.extra and entry.replaced_by is None
    (canceled,) = [e for e in changes.events if isinstance(e, ev.OrderCanceled)]
    assert new.status is S.CANCELED and canceled.order_id == new.id
    assert "filled part before the replace arrived" in canceled.reason
    assert (tp.extra[PARENT], sl.extra[PARENT]) == (entry.id, entry.id)
    assert tp.status is S.HELD and sl.status is S.HELD
