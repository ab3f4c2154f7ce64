"""A margin-called account is liquidated as a broker's risk desk does it: open orders canceled,
positions needing the most maintenance closed first, only as much as brings the requirement
to 90% of equity, at the next open where the market is closed, and never twice at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.changes import Changes
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType
from vtrade.execution.liquidation import CUSHION, PREFIX

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
# maintenance 100% of value at 2:1: a book worth more than the equity is called at once
CALLED_AT_ONCE = {"maintenance_margin": D(1)}
BOOK = {"META": 248_000, "MSFT": 245_000, "NVDA": 240_000, "AMZN": 235_000, "GOOGL": 230_000}


def buy(venue: Venue, account: Account, symbol: str, value: int) -> Order:
    fx = venue.engine.marks(venue.now).fx(venue.catalog.get(symbol).currency)  # VCR per unit
    qty = (D(value) / (venue.quote(symbol).ask * fx)).to_integral_value(rounding=ROUND_FLOOR)
    order, _ = venue.submit(account, symbol, Side.BUY, qty)
    assert order.status is OrderStatus.FILLED, order.reject_reason
    return order


def liquidations(*changes: Changes) -> list[Order]:
    """The liquidation orders among what `changes` wrote, in the order they were placed."""
    found = {o.id: o for c in changes for o in c.orders if o.client_order_id.startswith(PREFIX)}
    return sorted(found.values(), key=lambda o: o.seq)


def held(venue: Venue, account: Account) -> dict[str, Decimal]:
    return {p.symbol: p.qty for p in venue.engine.positions_of(account.id) if p.qty}


def called(make_venue: Callable[..., Venue]) -> tuple[Venue, Account]:
    """An account holding `BOOK` on a venue that calls it at once, liquidation off so far."""
    venue = make_venue(**CALLED_AT_ONCE, liquidate_margin_calls=False)
    account = venue.open()
    for symbol, value in BOOK.items():
        buy(venue, account, symbol, value)
    return venue, account


def test_the_positions_needing_most_maintenance_close_first_and_only_as_much_as_needed(
    make_venue: Callable[..., Venue],
) -> None:
    venue, account = called(make_venue)
    resting, _ = venue.submit(account, "AAPL", Side.BUY, 10, type=OrderType.LIMIT, limit_price=D(1))
    before = held(venue, account)
    view = venue.engine.view(account.id, venue.now)
    assert view.nav < view.maintenance  # called, not yet liquidated
    venue.engine.config = replace(venue.engine.config, liquidate_margin_calls=True)

    changes = venue.advance(60)

    meta, msft = liquidations(changes)
    assert (meta.symbol, meta.side, meta.qty) == ("META", Side.SELL, before["META"])
    assert msft.symbol == "MSFT" and 0 < msft.qty < before["MSFT"]
    assert meta.status is msft.status is OrderStatus.FILLED
    after = held(venue, account)
    assert "META" not in after and after["MSFT"] == before["MSFT"] - msft.qty
    assert {s: after[s] for s in ("NVDA", "AMZN", "GOOGL")} == {
        s: before[s] for s in ("NVDA", "AMZN", "GOOGL")
    }
    (canceled,) = [e for e in changes.events if isinstance(e, ev.OrderCanceled)]
    assert resting.status is OrderStatus.CANCELED and canceled.order_id == resting.id
    assert "margin-called" in canceled.reason
    assert len([e for e in changes.events if isinstance(e, ev.MarginCalled)]) == 1
    view = venue.engine.view(account.id, venue.now)
    share = view.values["MSFT"] / after["MSFT"]  # maintenance is 100% of value here
    costs = D(1_000)  # of trading out, which the target did not foresee
    assert view.maintenance <= CUSHION * view.nav + costs < view.nav
    assert view.maintenance + share > CUSHION * view.nav - costs  # one share less: not enough

    later = venue.advance(60)
    assert account.margin_call is False and liquidations(later) == []


def test_open_markets_are_liquidated_first_and_closed_ones_at_their_next_open(
    make_venue: Callable[..., Venue],
) -> None:
    """Friday 16:00Z: London closes at 16:30 and the call comes at 17:00, when only New York
    trades. MSFT goes at once; it is not enough, so VOD.L's order waits for Monday's open,
    and the checks in between start no other round."""
    venue = make_venue(start="2024-03-15T16:00:00Z", **CALLED_AT_ONCE, liquidate_margin_calls=False)
    account = venue.open()
    london = {"VOD.L": 249_000, "AZN.L": 245_000, "SHEL.L": 240_000, "HSBA.L": 235_000}
    for symbol, value in (london | {"MSFT": 230_000}).items():
        buy(venue, account, symbol, value)
    before = held(venue, account)
    venue.advance_to(to_ns(parse_instant("2024-03-15T17:00:00Z")))
    venue.engine.config = replace(venue.engine.config, liquidate_margin_calls=True)

    msft, vod = liquidations(venue.advance(60))
    meanwhile = [venue.advance(60) for _ in range(30)]

    assert (msft.symbol, msft.qty, msft.status) == ("MSFT", before["MSFT"], OrderStatus.FILLED)
    assert vod.symbol == "VOD.L" and vod.is_open and not vod.filled_qty
    assert 0 < vod.qty < before["VOD.L"]
    assert {o.id for o in liquidations(*meanwhile)} <= {msft.id, vod.id}  # one round at once
    venue.advance_to(to_ns(parse_instant("2024-03-18T08:01:00Z")))  # Monday, London open
    after = held(venue, account)
    assert vod.status is OrderStatus.FILLED and after["VOD.L"] == before["VOD.L"] - vod.qty
    assert {s: after[s] for s in london if s != "VOD.L"} == {
        s: before[s] for s in london if s != "VOD.L"
    }


def test_margin_calls_alone_leave_the_positions_when_liquidation_is_off(
    make_venue: Callable[..., Venue],
) -> None:
    venue, account = called(make_venue)
    before = held(venue, account)

    advanced = [venue.advance(60) for _ in range(3)]

    calls = [e for c in advanced for e in c.events if isinstance(e, ev.MarginCalled)]
    assert len(calls) == 1 and held(venue, account) == before
    assert liquidations(*advanced) == []


def test_an_account_whose_trading_is_suspended_is_liquidated_all_the_same(
    make_venue: Callable[..., Venue],
) -> None:
    """The suspension stops the account's own orders, not the venue's: its closing orders
    were refused by it, silently, and the account stayed called with its positions."""
    venue, account = called(make_venue)
    venue.engine.set_rules(account.id, trading_suspended=True, no_shorting=None)
    venue.engine.config = replace(venue.engine.config, liquidate_margin_calls=True)

    changes = venue.advance(60)

    closing = liquidations(changes)
    assert closing and all(o.status is OrderStatus.FILLED for o in closing)
    assert "META" not in held(venue, account)
    view = venue.engine.view(account.id, venue.now)
    assert view.nav > view.maintenance
    own = venue.preview(account, "AAPL", Side.BUY, 1)
    assert own.status is OrderStatus.REJECTED and "suspended" in (own.reject_reason or "")
