"""Specification of accounts: opening balance, reset, short positions and margin calls."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

import pytest

from vtrade.bootstrap import Container
from vtrade.domain import events as ev
from vtrade.domain.accounts import EntryKind, Position
from vtrade.domain.commands import OpenAccount, ResetAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
MINUTE = 60_000_000_000
MILLION = D(1_000_000)


def whole(qty: Decimal) -> Decimal:
    return qty.to_integral_value(rounding=ROUND_FLOOR)


def test_a_new_account_starts_with_one_million_vcr(venue: Venue) -> None:
    account = venue.open()
    view = venue.engine.view(account.id, venue.now)

    assert account.cash == account.initial_balance == MILLION
    assert view.nav == MILLION and view.margin_used == 0 and view.buying_power == MILLION


def test_opening_an_account_through_the_service_records_the_deposit(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    account = app.trading.open_account(OpenAccount(id="c1", ts_init=0, owner="ann", name="main"))

    (entry,) = app.store.ledger(account.id)
    assert entry.kind is EntryKind.DEPOSIT and entry.amount == MILLION
    assert app.store.load(0).accounts[0].cash == MILLION


def test_reset_restores_the_balance_cancels_open_orders_and_zeroes_positions(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    seen: list[object] = []
    app.bus.subscribe("accounts.*", seen.append)
    trading = app.trading
    account = trading.open_account(OpenAccount(id="c1", ts_init=0, owner="ann", name="main"))

    def submit(symbol: str, side: Side, qty: int, **kw: object) -> None:
        cmd = SubmitOrder(
            id="c", ts_init=0, account_id=account.id, symbol=symbol, side=side, qty=D(qty), **kw
        )
        trading.submit(cmd)

    submit("AAPL", Side.BUY, 200)
    submit("MSFT", Side.SELL, 100)
    bid = app.market.books.quote("NVDA", app.clock.now_ns()).bid
    submit("NVDA", Side.BUY, 50, type=OrderType.LIMIT, limit_price=bid - 1, tif=TimeInForce.GTC)
    assert account.cash != MILLION and app.engine.open_orders(account.id)

    trading.reset_account(ResetAccount(id="c2", ts_init=0, account_id=account.id))

    assert account.cash == MILLION and account.margin_call is False
    assert app.engine.view(account.id, app.clock.now_ns()).nav == MILLION
    assert app.engine.open_orders(account.id) == []
    assert all(p.qty == 0 for p in app.engine.positions_of(account.id))
    stored = app.store.load(0)
    assert stored.open_orders == []
    assert {p.symbol for p in stored.positions} >= {"AAPL", "MSFT"}
    assert all(p.qty == 0 for p in stored.positions)
    assert stored.accounts[0].cash == MILLION
    orders = app.store.list_orders(account.id)
    assert {o.symbol: o.status for o in orders}["NVDA"] is OrderStatus.CANCELED
    ledger = app.store.ledger(account.id)
    assert ledger[-1].kind is EntryKind.RESET
    assert sum(e.amount for e in ledger) == MILLION
    assert [type(e) for e in seen] == [ev.AccountOpened, ev.AccountReset]


def test_selling_what_you_do_not_hold_opens_a_short_that_a_buy_closes(venue: Venue) -> None:
    account = venue.open()

    _, sold = venue.submit(account, "AAPL", Side.SELL, 100)
    (sale,) = sold.fills
    position = venue.engine.position(account.id, "AAPL")

    assert position.qty == -100 and position.avg_price == sale.price
    assert account.cash == MILLION + (sale.qty * sale.price).quantize(D("0.01")) - sale.fee
    view = venue.engine.view(account.id, venue.now)
    assert view.net < 0 and view.gross == -view.net
    assert view.margin_used == view.gross / 2

    venue.advance(60)
    _, bought = venue.submit(account, "AAPL", Side.BUY, 100)
    (cover,) = bought.fills
    assert position.qty == 0
    assert position.realized_pnl == ((sale.price - cover.price) * 100).quantize(D("0.01"))


def test_a_margin_call_fires_once_when_equity_falls_below_maintenance_and_again_on_recrossing(
    make_venue: Callable[..., Venue],
) -> None:
    # a maintenance rate of 100% of gross exposure: a long book is called once cash is negative
    venue = make_venue(maintenance_margin=D(1), liquidate_margin_calls=False)
    account = venue.open()

    def buy(symbol: str) -> None:
        order, _ = venue.submit(account, symbol, Side.BUY, whole(240_000 / venue.quote(symbol).ask))
        assert order.status is OrderStatus.FILLED

    def calls_over(minutes: int) -> list[ev.MarginCalled]:
        found = []
        for _ in range(minutes):
            changes = venue.advance(60)
            found += [e for e in changes.events if isinstance(e, ev.MarginCalled)]
        return found

    for symbol in ("MSFT", "NVDA", "AMZN", "GOOGL", "META"):
        buy(symbol)  # 1.2M of stock on 1M of equity
    view = venue.engine.view(account.id, venue.now)
    assert view.nav < view.maintenance

    first = calls_over(5)
    assert len(first) == 1  # once per crossing, not once per check
    (call,) = first
    assert call.account_id == account.id and call.equity < call.maintenance
    assert account.margin_call is True

    venue.submit(account, "META", Side.SELL, venue.engine.position(account.id, "META").qty)
    assert calls_over(3) == []
    assert account.margin_call is False  # back above maintenance

    buy("META")
    assert len(calls_over(3)) == 1  # a new crossing, a new call


def test_an_account_called_that_closes_every_position_is_called_no_more_and_again_later(
    make_venue: Callable[..., Venue],
) -> None:
    """Closing everything with orders that fill at once left the flag on (only accounts with a
    position were checked), and the next crossing raised no call."""
    venue = make_venue(maintenance_margin=D(1), liquidate_margin_calls=False)
    account = venue.open()
    symbols = ("MSFT", "NVDA", "AMZN", "GOOGL", "META")

    def calls_over(minutes: int) -> list[ev.MarginCalled]:
        return [
            e
            for _ in range(minutes)
            for e in venue.advance(60).events
            if isinstance(e, ev.MarginCalled)
        ]

    for symbol in symbols:
        venue.submit(account, symbol, Side.BUY, whole(240_000 / venue.quote(symbol).ask))
    assert len(calls_over(2)) == 1 and account.margin_call is True
    for symbol in symbols:
        venue.submit(account, symbol, Side.SELL, venue.engine.position(account.id, symbol).qty)

    assert calls_over(2) == [] and account.margin_call is False
    for symbol in symbols:
        venue.submit(account, symbol, Side.BUY, whole(240_000 / venue.quote(symbol).ask))
    assert len(calls_over(2)) == 1


def test_maintenance_stays_under_the_initial_margin_at_any_leverage(
    make_venue: Callable[..., Venue],
) -> None:
    """The 25% maintenance is Reg T's at 2:1; at 20:1 (initial 5%) it is 2.5%, so an account
    that just used its buying power is not margin-called for it."""
    venue = make_venue(leverage={"fx": D(20)})
    account = venue.open()
    for pair, qty in (("EUR/USD", 200_000), ("GBP/USD", 180_000), ("USD/JPY", 200_000)):
        order, _ = venue.submit(account, pair, Side.BUY, qty)  # each just under the 25% cap
        assert order.status is OrderStatus.FILLED, order.reject_reason

    view = venue.engine.view(account.id, venue.now)
    assert view.maintenance < view.margin_used < view.nav
    assert view.maintenance == pytest.approx(view.margin_used / 2, rel=D("0.001"))
    assert not any(isinstance(e, ev.MarginCalled) for e in venue.advance(120).events)


def test_a_positions_realized_pnl_counts_from_when_it_opened(venue: Venue) -> None:
    account = venue.open()
    venue.submit(account, "MSFT", Side.BUY, 10)
    venue.submit(account, "MSFT", Side.SELL, 10)  # flat, with a loss (spread and fees)
    closed = venue.engine.position(account.id, "MSFT")
    assert closed.qty == 0 and closed.realized_pnl < 0

    venue.submit(account, "MSFT", Side.BUY, 5)  # a new position
    assert venue.engine.position(account.id, "MSFT").realized_pnl == 0

    venue.submit(account, "MSFT", Side.SELL, 2)
    venue.engine.reset_account(
        ResetAccount(id="r", ts_init=venue.now, account_id=account.id), venue.now
    )
    assert venue.engine.position(account.id, "MSFT").realized_pnl == 0


def test_a_flip_starts_the_new_positions_realized_pnl_afresh(venue: Venue) -> None:
    account = venue.open()
    venue.submit(account, "MSFT", Side.BUY, 100)
    venue.submit(account, "MSFT", Side.SELL, 150)  # closes 100, opens a short of 50

    short = venue.engine.position(account.id, "MSFT")
    assert short.qty == -50 and short.realized_pnl == 0


def test_a_foreign_position_keeps_the_rate_it_was_entered_at_and_realizes_the_currency_move() -> (
    None
):
    pos = Position(account_id="a", symbol="VOD.L")
    pos.apply(D(1000), D(80), D(1), fx=D("0.0120"))  # 80p a share with the pound at 1.20
    pos.apply(D(1000), D(90), D(1), fx=D("0.0130"))  # more, dearer and at 1.30
    assert pos.avg_price == 85
    assert pos.avg_price * pos.entry_fx * 2000 == 960 + 1170  # what the shares cost in VCR
    realized = pos.apply(D(-500), D(85), D(1), fx=D("0.0140"))  # no move in pence; the pound up
    assert realized == pos.realized_pnl == D("595.00") - D("532.50")  # fetched less cost
    assert pos.entry_fx == D(2130) / (85 * 2000)  # a sale leaves the rest's rate alone
    pos.apply(D(-1500), D(85), D(1), fx=D("0.0140"))
    assert (pos.qty, pos.avg_price, pos.entry_fx) == (0, 0, 1)


def test_a_usd_jpy_round_trip_earns_its_price_move_in_yen_at_the_closing_rate(
    venue: Venue,
) -> None:
    """A USD/JPY long is long dollars against yen: it earns (sell - buy) yen a dollar, worth
    that divided by the closing rate, however its cost was booked in VCR."""
    account = venue.open()
    _, bought = venue.submit(account, "USD/JPY", Side.BUY, 100_000)
    (buy,) = bought.fills
    venue.advance(5 * 3600)
    mid = venue.engine.marks(venue.now).mid("USD/JPY")
    held = venue.engine.view(account.id, venue.now)
    assert abs(mid - buy.price) > D("0.05")  # the yen moved
    in_yen = 100_000 * (mid - buy.price)
    assert abs(held.nav - (account.initial_balance - buy.fee * buy.fx_rate + in_yen / mid)) < 1
    assert abs(held.values["USD/JPY"] - 100_000) < D("1e-18")  # its exposure: $100,000

    _, sold = venue.submit(account, "USD/JPY", Side.SELL, 100_000)
    (sell,) = sold.fills
    earned = (100_000 * (sell.price - buy.price) * sell.fx_rate).quantize(D("0.01"))
    fees = (buy.fee * buy.fx_rate).quantize(D("0.01")) + (sell.fee * sell.fx_rate).quantize(
        D("0.01")
    )
    assert venue.engine.position(account.id, "USD/JPY").realized_pnl == earned
    assert abs(account.cash - (account.initial_balance + earned - fees)) <= D("0.02")
