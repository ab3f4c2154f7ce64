"""When a margin call is found.

README (Execution, 1.): "once a minute (and after each of its fills; ...) an account whose
equity falls below its maintenance gets one `MarginCalled` event per crossing ... and ... it
is liquidated".
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from vtrade.domain import events as ev
from vtrade.domain.changes import Changes
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
# maintenance at 100% of value at 2:1 (the settings' stress value): ~1.2M of stock on 1M of
# equity is under maintenance the moment it is bought, while 2:1 buying power still allows it
STRESS = {"maintenance_margin": D(1)}
BOOK = {"META": 248_000, "MSFT": 245_000, "NVDA": 240_000, "AMZN": 235_000, "GOOGL": 230_000}


def _calls(*changes: Changes) -> list[ev.MarginCalled]:
    return [e for c in changes for e in c.events if isinstance(e, ev.MarginCalled)]


def test_a_fill_at_submission_that_puts_the_account_under_maintenance_is_called_at_once(
    make_venue: Callable[..., Venue],
) -> None:
    """The trader's own market order fills at once and takes equity (~1.0M) below maintenance
    (~1.2M). A trader expects the call (and the desk's liquidation) right after that fill, as
    the README promises ("after each of its fills"), as IBKR's real-time margining does.

    A fill at submission marks its account for the next step's check, as a working
    order's fill does: it is not left to the periodic check a minute later."""
    venue = make_venue(**STRESS, liquidate_margin_calls=False)
    account = venue.open()
    submitted = []
    for symbol, value in BOOK.items():
        qty = (D(value) / venue.quote(symbol).ask).to_integral_value(rounding=ROUND_FLOOR)
        order, changes = venue.submit(account, symbol, Side.BUY, qty)
        assert order.status is OrderStatus.FILLED, order.reject_reason
        submitted.append(changes)
    view = venue.engine.view(account.id, venue.now)
    assert view.nav < view.maintenance  # under water since the last fill

    next_step = venue.advance(1)  # one engine step (1 s) after the fill

    assert len(_calls(*submitted, next_step)) == 1
    assert account.margin_call is True


def test_a_fill_after_a_check_that_found_room_to_spare_is_checked_when_it_may_use_it(
    make_venue: Callable[..., Venue],
) -> None:
    """What an account had to spare at its last check spares small fills the next check;
    a fill whose worst case could use it up is checked all the same: here the first buy
    leaves the account above its maintenance (checked, no call), the second takes it under
    and is called at the next step."""
    venue = make_venue(**STRESS, liquidate_margin_calls=False)
    account = venue.open()
    (first_symbol, first_value), *rest = BOOK.items()
    qty = (D(first_value) / venue.quote(first_symbol).ask).to_integral_value(ROUND_FLOOR)
    venue.submit(account, first_symbol, Side.BUY, qty)
    checked = venue.advance(1)
    assert not _calls(checked) and account.id in venue.engine.headroom
    assert venue.engine.headroom[account.id] > 0  # room to spare, and known

    submitted = []
    for symbol, value in rest:
        qty = (D(value) / venue.quote(symbol).ask).to_integral_value(ROUND_FLOOR)
        order, changes = venue.submit(account, symbol, Side.BUY, qty)
        assert order.status is OrderStatus.FILLED, order.reject_reason
        submitted.append(changes)
    view = venue.engine.view(account.id, venue.now)
    assert view.nav < view.maintenance

    assert len(_calls(*submitted, venue.advance(1))) == 1
    assert account.margin_call is True
