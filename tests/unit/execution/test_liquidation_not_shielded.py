"""A trader's own order named `liquidation-...` does not shield a margin-called account from
liquidation (found in session 21's margin review: the risk desk took any open order whose
client_order_id had that prefix for its own, and never started).

The venue is Friday 2024-03-15 15:00 UTC (New York's regular session). Maintenance is set to
90% at 2:1 (`maintenance_margin=0.9` scales to 90% of a position's value), so an account
that borrows to hold about 1,950,000 VCR of stock on a 1,000,000 VCR balance is margin-called
at the next minute's check, as the README describes: "an account whose equity falls below
its maintenance gets one `MarginCalled` event per crossing ... and it is liquidated: its open
orders are canceled and market orders (`client_order_id` `liquidation-...`) close its
positions ... until what is left needs at most 90% of its equity"."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.domain import events as ev
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal


def _called_book(make_venue: Callable[..., Venue]) -> tuple[Venue, object]:
    """An account long 3,700 AAPL (~980,000) and 2,000 MSFT (~970,000) on 1,000,000 of
    equity, with maintenance at 90% of value (~1,755,000): below maintenance."""
    venue = make_venue(max_position_share=D(1), maintenance_margin=D("0.9"))
    account = venue.open()
    for symbol, qty in (("AAPL", 3700), ("MSFT", 2000)):
        order, _ = venue.submit(account, symbol, Side.BUY, qty)
        assert order.status is OrderStatus.FILLED, order.reject_reason
    view = venue.engine.view(account.id, venue.now)
    assert view.nav < view.maintenance  # ~999,708 < ~1,755,103
    return venue, account


def test_a_traders_own_order_named_liquidation_does_not_shield_the_account_from_liquidation(
    make_venue: Callable[..., Venue],
) -> None:
    """A bot names its take-profit `liquidation-take-profit` (any client_order_id is allowed;
    nothing reserves the prefix). It is a resting sell limit of 1 AAPL 5% above the market,
    which reduces exposure and is accepted while the account is under water.

    At the next minute's check the risk desk cancels it with the other open orders and sends
    its own market orders, as it does without that order (the same book is cut to
    maintenance <= 90% of equity within the first minute). It had held 3,700 AAPL and 2,000
    MSFT five minutes later, maintenance at 175% of equity."""
    venue, account = _called_book(make_venue)
    ask = venue.quote("AAPL").ask
    mine, _ = venue.submit(
        account,
        "AAPL",
        Side.SELL,
        1,
        type=OrderType.LIMIT,
        limit_price=(ask * D("1.05")).quantize(D("0.01")),
        tif=TimeInForce.GTC,
        client_order_id="liquidation-take-profit",
    )
    assert mine.status is OrderStatus.ACCEPTED, mine.reject_reason

    events = []
    for _ in range(5):
        events += venue.advance(60).events

    assert any(isinstance(e, ev.MarginCalled) for e in events)
    view = venue.engine.view(account.id, venue.now)
    held = {p.symbol: p.qty for p in venue.engine.positions_of(account.id)}
    assert view.maintenance <= D("0.9") * view.nav * D("1.01"), (
        f"never liquidated: equity {view.nav:,.0f}, maintenance {view.maintenance:,.0f}, "
        f"positions {held}"
    )
    assert mine.status is OrderStatus.CANCELED


def test_without_such_an_order_the_same_book_is_liquidated_in_the_first_minute(
    make_venue: Callable[..., Venue],
) -> None:
    """The control for the test above: the same called book, with no order of
    the trader's, is cut within the first minute to maintenance at about 90% of equity."""
    venue, account = _called_book(make_venue)

    venue.advance(60)

    view = venue.engine.view(account.id, venue.now)
    assert view.maintenance <= D("0.9") * view.nav * D("1.01")
