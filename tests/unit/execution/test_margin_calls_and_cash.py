"""Specification of margin calls and cash: what contracts leave a cash buy, a closing buy
that needs no cash, liquidations that trade what can trade now, and margin checks once a
minute however the clock is advanced."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, TimeInForce
from vtrade.execution.liquidation import PREFIX

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal


def at(text: str) -> int:
    return to_ns(parse_instant(text))


def qty_for(venue: Venue, symbol: str, value: int) -> Decimal:
    """Whole units of `symbol` worth about `value` VCR at its ask."""
    fx = venue.engine.marks(venue.now).fx(venue.catalog.get(symbol).currency)
    return (D(value) / (venue.quote(symbol).ask * fx)).to_integral_value(rounding=ROUND_FLOOR)


def filled(venue: Venue, account: Account, symbol: str, side: Side, qty: Decimal) -> None:
    order, _ = venue.submit(account, symbol, side, qty)
    assert order.status is OrderStatus.FILLED, order.reject_reason


# -- 1. contracts' notional is not cash spent: it must not block a crypto (cash) buy ----------


def test_long_index_and_fx_contracts_do_not_use_up_the_cash_a_crypto_buy_may_spend(
    venue: Venue,
) -> None:
    """README: "the notional of FX, futures and index contracts, which passes through cash, is
    neither borrowed nor lent". A long SPX/NDX/DAX/EUR-USD book worth ~960k borrowed nothing
    (no margin interest is charged: `financing._cash_financed` adds it back), so the account
    still has ~1M of its own cash and ~520k of buying power: a 1 BTC buy (~111k) fills."""
    account = venue.open()
    for symbol, qty in (("SPX", 33), ("NDX", 10), ("DAX", 9), ("EUR/USD", 200_000)):
        filled(venue, account, symbol, Side.BUY, D(qty))
    view = venue.engine.view(account.id, venue.now)
    assert view.nav - view.margin_used > 500_000  # plenty of buying power
    assert account.cash < 50_000  # the contracts' notional passed through cash

    order, _ = venue.submit(account, "BTC-USD", Side.BUY, D(1))

    assert order.status is OrderStatus.FILLED, order.reject_reason


# -- 2. a closing buy is never refused for cash ------------------------------------------------


def test_a_cash_only_accounts_buy_to_cover_queued_for_the_open_is_not_canceled_for_cash(
    venue: Venue,
) -> None:
    """A margin account short AAPL and long seven stocks (cash ~ -400k) turns cash-only (Alpaca
    max_margin_multiplier 1: "a cash-only account keeps what it already borrowed; it only stops
    borrowing more"). After the close it sends a market buy covering its short: accepted
    (`check_account`: an order that reduces exposure is always allowed), queued for Monday's
    open, where it fills: a buy-to-cover adds no exposure and borrows nothing, and no broker
    refuses it for cash (it once was canceled there, leaving the short open)."""
    account = venue.open()
    filled(venue, account, "AAPL", Side.SELL, qty_for(venue, "AAPL", 240_000))
    for symbol in ("MSFT", "NVDA", "AMZN", "GOOGL", "META", "JPM", "XOM"):
        filled(venue, account, symbol, Side.BUY, qty_for(venue, symbol, 235_000))
    assert account.cash < 0
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=None, cash_only=True)
    venue.advance_to(at("2024-03-15T21:00:00Z"))  # after the close
    short = -venue.engine.position(account.id, "AAPL").qty

    cover, _ = venue.submit(account, "AAPL", Side.BUY, short, tif=TimeInForce.GTC)
    assert cover.status is OrderStatus.PENDING_OPEN, cover.reject_reason
    changes = venue.advance_to(at("2024-03-18T13:35:00Z"))  # Monday, after the open

    reasons = [e.reason for e in changes.events if isinstance(e, ev.OrderCanceled)]
    assert cover.status is OrderStatus.FILLED, reasons
    assert venue.engine.position(account.id, "AAPL").qty == 0


# -- 3. a liquidation waiting for a closed market must not shelter the open ones ---------------


def test_a_liquidation_queued_for_a_closed_market_does_not_leave_open_markets_untouched(
    make_venue: Callable[..., Venue],
) -> None:
    """Called on Good Friday 2024 (London and New York shut), the account's London positions
    (needing the most maintenance) are queued for London's next open, Tuesday 2 April, since
    Easter Monday is a London holiday. New York trades all of Monday, but "no new round starts
    while one of them works": the orders waiting for London give way when New York opens, and
    the desk sells what trades now, so the account is out of its call by Monday's close."""
    venue = make_venue(
        start="2024-03-28T14:00:00Z", maintenance_margin=D(1), liquidate_margin_calls=False
    )
    account = venue.open()
    book = {"VOD.L": 249_000, "AZN.L": 245_000, "AAPL": 240_000, "MSFT": 235_000, "AMZN": 230_000}
    for symbol, value in book.items():
        filled(venue, account, symbol, Side.BUY, qty_for(venue, symbol, value))
    venue.advance_to(at("2024-03-29T12:00:00Z"))  # Good Friday: every market of the book shut
    venue.engine.config = replace(venue.engine.config, liquidate_margin_calls=True)
    queued = [o for o in venue.advance(60).orders if o.client_order_id.startswith(PREFIX)]
    assert queued and all(o.symbol.endswith(".L") for o in queued)  # London, for Tuesday

    venue.advance_to(at("2024-04-01T20:00:00Z"))  # Easter Monday: NY traded 13:30-20:00

    view = venue.engine.view(account.id, venue.now)
    assert view.nav >= view.maintenance, (
        f"still called after a full US session: equity {view.nav:.0f} < maintenance "
        f"{view.maintenance:.0f}, US positions untouched"
    )


# -- 4. margin checks once a minute, however the clock is advanced -------------------------


def _liquidation_fills(make_venue: Callable[..., Venue], advances: int) -> list[tuple]:
    """Fills of an hour from Friday 15:00Z for an account called at once, the hour worked in
    `advances` equal calls of `advance`."""
    venue = make_venue(maintenance_margin=D(1), liquidate_margin_calls=False)
    account = venue.open()
    for symbol, value in {"META": 248_000, "MSFT": 245_000, "NVDA": 240_000}.items():
        filled(venue, account, symbol, Side.BUY, qty_for(venue, symbol, value))
    for symbol, value in {"AMZN": 235_000, "GOOGL": 230_000}.items():
        filled(venue, account, symbol, Side.BUY, qty_for(venue, symbol, value))
    venue.engine.config = replace(venue.engine.config, liquidate_margin_calls=True)
    fills = []
    for _ in range(advances):
        changes = venue.advance(3600 / advances)
        fills += [(f.symbol, f.qty, f.price, f.ts_ns) for f in changes.fills]
    return fills


def test_a_margin_call_is_liquidated_at_the_same_minute_however_the_clock_is_advanced(
    make_venue: Callable[..., Venue],
) -> None:
    """README: margin is checked "once a minute", and "fills are the same however often the
    clock is advanced": with no open order, an hour advanced at once still meets the call at
    15:01 and liquidates at 15:01's prices, as the same hour advanced minute by minute does
    (it once ran one check at the hour's end)."""
    at_once = _liquidation_fills(make_venue, 1)
    by_minute = _liquidation_fills(make_venue, 60)

    assert by_minute and by_minute[0][3] == at("2024-03-15T15:01:00Z")
    assert at_once == by_minute
