"""The closing cross wastes no volume on our orders that will not cross: an MOC canceled
at the close for want of cash is not counted when the clearing is made, an MOC cannot be
canceled once the cross it is due in has printed, and a frictionless order (which takes no
liquidity) is not counted at all."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import SECOND, at, printed_cross
from vtrade.core.errors import ConflictError
from vtrade.domain import events as ev
from vtrade.domain.commands import CancelOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, OrderStatus, OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
WHALE = 10_000_000_000
US_CLOSE = at("2024-03-15T20:00:00Z")
LONDON_CLOSE = at("2024-03-15T16:30:00Z")


def _crossed(fills: list[Fill]) -> dict[str, Fill]:
    return {f.order_id: f for f in fills if f.receipt.auction == "close"}


def test_a_moc_buy_canceled_for_cash_at_the_close_does_not_starve_the_books_limit(
    make_venue: Callable[..., Venue],
) -> None:
    """A cash-only account (266.5M VCR) sends a 1M-share AAPL MOC buy at 19:45 (accepted:
    the ask is 265.64); another account's 3M-share buy limit at 275 rests in the book and
    still wants about 2.48M when the cross (2,294,977 at 267.50) prints. At the close the MOC
    costs more cash than the account has and is canceled: the limit crosses the whole print
    (it crossed 1,294,977, leaving the MOC a volume it never took)."""
    venue = make_venue("2024-03-15T19:45:00Z", max_position_share=D(1))
    printed = printed_cross(venue, "AAPL", US_CLOSE)[2].to_integral_value(ROUND_FLOOR)
    poor = venue.open(balance=266_500_000)
    venue.engine.set_rules(poor.id, trading_suspended=None, no_shorting=None, cash_only=True)
    moc, _ = venue.submit(poor, "AAPL", Side.BUY, 1_000_000, tif=TimeInForce.CLS)
    assert moc.status is OrderStatus.ACCEPTED, moc.reject_reason
    rich = venue.open(balance=WHALE)
    limit, _ = venue.submit(
        rich, "AAPL", Side.BUY, 3_000_000, type=OrderType.LIMIT, limit_price=D("275")
    )

    changes = venue.advance_to(US_CLOSE - 2 * SECOND)  # before the cross prints
    wanted = limit.remaining
    changes = venue.advance_to(US_CLOSE + 5 * SECOND)

    canceled = [e.reason for e in changes.events if isinstance(e, ev.OrderCanceled)]
    assert moc.status is OrderStatus.CANCELED and not moc.filled_qty, canceled
    assert any("needs cash" in r for r in canceled)
    crossed = _crossed(changes.fills)
    total = sum((f.qty for f in crossed.values()), D(0))
    assert limit.id in crossed and wanted > printed  # it wanted all of the print
    assert total == printed, (
        f"the limit crossed {crossed[limit.id].qty} at {crossed[limit.id].price}; "
        f"{printed - total} of the {printed} printed were reserved for a MOC that was "
        "canceled at the close"
    )


def test_a_london_moc_cannot_be_canceled_once_its_cross_printed(
    make_venue: Callable[..., Venue],
) -> None:
    """The feed prints VOD.L's cross (5,106,916 at 90.40) at 16:29:59, a second before the
    16:30 close the cls orders cross at. A 2M-share MOC sell is entered at 16:15; a 20M sell
    limit at 89.90 at 16:29:57 joins the cross as it prints, leaving the MOC its 2M. A cancel
    of the MOC at 16:29:59.9 is refused (409): its auction has run (it was accepted, and the
    2M reserved for it were never crossed). Together they cross the whole print."""
    venue = make_venue("2024-03-15T16:15:00Z")
    printed = printed_cross(venue, "VOD.L", LONDON_CLOSE)[2].to_integral_value(ROUND_FLOOR)
    account = venue.open(balance=WHALE)
    moc, _ = venue.submit(account, "VOD.L", Side.SELL, 2_000_000, tif=TimeInForce.CLS)
    venue.advance_to(LONDON_CLOSE - 3 * SECOND)
    limit, _ = venue.submit(
        account, "VOD.L", Side.SELL, 20_000_000, type=OrderType.LIMIT, limit_price=D("89.9")
    )
    joined = _crossed(venue.advance_to(LONDON_CLOSE - SECOND // 10).fills)
    assert limit.id in joined and limit.remaining > printed
    cancel = CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=moc.id)
    with pytest.raises(ConflictError, match="closing cross of VOD.L it is due in has printed"):
        venue.engine.cancel(cancel, venue.now)

    later = _crossed(venue.advance_to(LONDON_CLOSE + 5 * SECOND).fills)

    total = sum((f.qty for f in (joined | later).values()), D(0))
    assert moc.filled_qty == 2_000_000
    assert total == printed, (
        f"our orders crossed {total} of the {printed} printed (the limit "
        f"{joined[limit.id].qty} at {joined[limit.id].price}); {printed - total} stayed "
        f"reserved for the MOC canceled before the close, while {limit.remaining} of the "
        "limit expired"
    )


def test_a_frictionless_accounts_moc_does_not_starve_a_realistic_accounts_limit(
    make_venue: Callable[..., Venue],
) -> None:
    """A frictionless account's 5M-share AAPL MOC sell crosses all of it at the official
    price, as a frictionless order takes no liquidity; a realistic account's 3M-share sell limit
    at 262 still crosses the whole print (it crossed nothing: the MOC's 5M were counted ahead
    of it)."""
    venue = make_venue("2024-03-15T19:45:00Z")
    printed = printed_cross(venue, "AAPL", US_CLOSE)[2].to_integral_value(ROUND_FLOOR)
    toy = venue.open(balance=WHALE, profile="frictionless")
    moc, _ = venue.submit(toy, "AAPL", Side.SELL, 5_000_000, tif=TimeInForce.CLS)
    assert moc.status is OrderStatus.ACCEPTED, moc.reject_reason
    real = venue.open(balance=WHALE)
    limit, _ = venue.submit(
        real, "AAPL", Side.SELL, 3_000_000, type=OrderType.LIMIT, limit_price=D("262")
    )

    crossed = _crossed(venue.advance_to(US_CLOSE + 5 * SECOND).fills)

    assert crossed[moc.id].qty == 5_000_000  # the frictionless order, uncapped
    got = crossed[limit.id].qty if limit.id in crossed else D(0)
    assert got == printed, f"the realistic limit crossed {got} of the {printed} printed"
