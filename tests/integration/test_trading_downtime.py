"""A start catches up the downtime: open orders meet the market they missed while no process
ran, and fill, trigger, trade in auctions and expire at the instants they would have."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from portfolio_helpers import NOVEMBER_2026, SECOND, WEDNESDAY, Boot, at, open_account

from vtrade.bootstrap import Container, build
from vtrade.core.clock import NS_PER_DAY, NS_PER_HOUR, NS_PER_MINUTE, SimulatedClock
from vtrade.core.errors import ConflictError, MarketTakenOver
from vtrade.domain.accounts import Account
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from vtrade.execution import working
from vtrade.execution.working import catch_up_step
from vtrade.settings import ExecutionSettings, Settings

D = Decimal
S = OrderStatus
WEDNESDAY_CLOSE = "2026-11-18T21:00:00Z"  # 16:00 in New York (EST)


def submit(
    app: Container, account: Account, symbol: str, side: Side, qty: int, **kw: object
) -> Order:
    cmd = SubmitOrder(
        id="c", ts_init=0, account_id=account.id, symbol=symbol, side=side, qty=D(qty), **kw
    )
    return app.trading.submit(cmd)


def limit_buy(
    app: Container, account: Account, symbol: str, qty: int, limit: D, tif: TimeInForce
) -> Order:
    fields = {"type": OrderType.LIMIT, "limit_price": limit, "tif": tif}
    return submit(app, account, symbol, Side.BUY, qty, **fields)


def resting(app: Container, account: Account, tif: TimeInForce = TimeInForce.DAY) -> Order:
    """A buy limit for AAPL that the market does not reach within days."""
    bid = app.market.books.quote("AAPL", app.clock.now_ns()).bid
    return limit_buy(app, account, "AAPL", 10, (bid * D("0.8")).quantize(D("0.01")), tif)


def crossed_within(app: Container, symbol: str, start: int, end: int) -> tuple[D, int]:
    """A buy limit the prints reach in (start, end] but not before, and the first instant."""
    prints = app.market.prints(symbol, start, end)
    later = prints.ts > start + (end - start) // 3
    limit = D(repr(float(prints.price[later].min()))).quantize(D("0.01")) + D("0.01")
    first = int(prints.ts[prints.price <= float(limit)][0])
    assert first > app.clock.now_ns(), "the market reaches the limit at once: pick another"
    return limit, first


def test_a_resting_limit_the_market_crossed_during_the_downtime_filled_then(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    now = app.clock.now_ns()
    limit, first = crossed_within(app, "AAPL", now, now + 3 * NS_PER_HOUR)
    order = limit_buy(app, account, "AAPL", 10, limit, TimeInForce.GTC)
    assert order.status is S.ACCEPTED

    restarted = now + 4 * NS_PER_HOUR  # the process ran no more after the order
    again = boot(restarted)

    (fill,) = again.store.list_fills(account.id)
    assert first <= fill.ts_ns < restarted
    assert fill.qty == 10 and fill.price <= limit
    assert again.trading.engine.now_ns == restarted


def test_a_day_order_expires_at_the_close_it_missed(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    order = resting(app, account)

    again = boot(at("2026-11-19T15:00:00Z"))  # Thursday: the process was down over the close

    stored = again.store.get_order(order.id)
    assert stored is not None and stored.status is S.EXPIRED
    assert stored.updated_ns == at(WEDNESDAY_CLOSE)


def test_an_order_queued_for_the_open_trades_in_the_auction_it_missed(boot: Boot) -> None:
    app = boot(at("2026-11-18T03:00:00Z"))  # London is closed
    account = open_account(app)
    order = submit(app, account, "VOD.L", Side.BUY, 1_000)
    assert order.status is S.PENDING_OPEN

    again = boot(at("2026-11-18T10:00:00Z"))

    (fill,) = again.store.list_fills(account.id)
    assert fill.ts_ns == at("2026-11-18T08:00:00Z")
    assert fill.receipt.liquidity == "auction"


def test_a_clean_stop_records_how_far_the_engine_worked(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    resting(app, account, TimeInForce.GTC)
    app.clock.advance(10 * NS_PER_MINUTE)
    app.trading.advance()  # nothing happens, so nothing is committed
    assert app.store.load(0).worked_ns < app.clock.now_ns()

    app.trading.stop()

    assert app.store.load(0).worked_ns == app.clock.now_ns()


def test_a_cli_command_leaves_the_downtime_to_the_server(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    order = resting(app, account)
    url = app.settings.database_url
    settings = Settings(database_url=url, market=NOVEMBER_2026)
    cli = build(settings, SimulatedClock(at("2026-11-19T15:00:00Z")), publishes=False)
    cli.trading.start(catch_up=False)  # as `vtrade keys create --open-account` starts it
    cli.trading.open_account(OpenAccount(id="k", ts_init=0, owner="bob", name="bot"))
    cli.store.close()
    held = app.store.get_order(order.id)
    assert held is not None and held.status is S.ACCEPTED  # the market was left alone

    again = boot(at("2026-11-19T16:00:00Z"))

    stored = again.store.get_order(order.id)
    assert stored is not None and stored.status is S.EXPIRED
    assert stored.updated_ns == at(WEDNESDAY_CLOSE)


def test_an_account_opened_on_a_clock_ahead_of_the_market_opens_when_the_server_sees_it(
    boot: Boot,
) -> None:
    app = boot(at(WEDNESDAY))  # a server in simulated time
    settings = Settings(database_url=app.settings.database_url, market=NOVEMBER_2026)

    def open_on_the_wall_clock(name: str) -> Account:  # as `vtrade keys create` does
        wall = build(settings, SimulatedClock(at("2026-12-04T21:37:07Z")), publishes=False)
        wall.trading.start(catch_up=False)
        opened = wall.trading.open_account(OpenAccount(id=name, ts_init=0, owner="bob", name=name))
        wall.store.close()
        return opened

    def assert_opened_now(app: Container, account: Account) -> None:
        now = app.clock.now_ns()
        assert app.engine.accounts[account.id].created_ns == now
        (deposit,) = app.store.ledger(account.id)
        assert deposit.ts_ns == now and deposit.amount == D(1_000_000)
        assert {a.id: a for a in app.store.load(0).accounts}[account.id].created_ns == now

    before = open_on_the_wall_clock("before-start")
    app = boot(at(WEDNESDAY) + SECOND)  # the server (re)starts after the key was made
    assert_opened_now(app, before)
    meanwhile = open_on_the_wall_clock("while-running")
    app.clock.advance(SECOND)
    assert app.trading.knows(meanwhile.id)  # the running server adopts it
    assert_opened_now(app, meanwhile)


def test_only_the_configured_part_of_a_long_downtime_is_worked(
    fresh_database: Callable[[], str], caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        database_url=fresh_database(),
        market=NOVEMBER_2026,
        execution=ExecutionSettings(catch_up_hours=2),
    )
    app = build(settings, SimulatedClock(at(WEDNESDAY)))
    app.start()
    account = open_account(app)
    order = resting(app, account)
    app.store.close()
    restarted = at("2026-11-20T15:00:00Z")  # Friday

    with caplog.at_level(logging.WARNING, logger="vtrade.trading"):
        again = build(settings, SimulatedClock(restarted))
        again.start()

    stored = again.store.get_order(order.id)
    assert stored is not None and stored.status is S.EXPIRED
    assert stored.updated_ns == at(WEDNESDAY_CLOSE)  # it expired then, though nothing worked
    assert "last worked 2.0 days ago" in caplog.text
    assert "meet only the last 2.0 hours" in caplog.text  # not "0.1 days"
    again.store.close()


@pytest.mark.parametrize(
    ("downtime", "step"),
    [
        (30 * SECOND, SECOND),
        (NS_PER_HOUR, 2 * SECOND),  # a whole number of normal steps
        (NS_PER_DAY, 60 * SECOND),
        (7 * NS_PER_DAY, 60 * SECOND),
    ],
)
def test_a_long_downtime_is_worked_in_coarser_steps(downtime: int, step: int) -> None:
    assert catch_up_step(downtime, SECOND) == step


def test_a_crash_and_a_short_downtime_give_the_fills_of_an_uninterrupted_run(
    fresh_database: Callable[[], str],
) -> None:
    """A short downtime is worked in the normal step, on the same grid: a block that works
    with the market's volume and a resting order fill as if the process had never stopped."""

    def trade(crash: bool) -> list[tuple[int, Decimal, Decimal]]:
        settings = Settings(database_url=fresh_database(), market=NOVEMBER_2026)
        app = build(settings, SimulatedClock(at(WEDNESDAY)))
        app.start()
        whale = open_account(app, balance=10**10)
        bid = app.market.books.quote("MSFT", app.clock.now_ns()).bid
        limit_buy(app, whale, "MSFT", 3_000, bid, TimeInForce.GTC)
        submit(app, whale, "AAPL", Side.BUY, 80_000)  # takes the book, then works on
        for second in range(5, 121, 5):
            if crash and second == 20:
                app = build(settings, SimulatedClock(at(WEDNESDAY) + 80 * SECOND))
                app.start()  # the process that ran until 15s is gone; nobody ran since
            if not crash or not 20 <= second <= 80:
                app.clock.set(at(WEDNESDAY) + second * SECOND)
                app.trading.advance()
        fills = app.store.list_fills(whale.id, limit=100_000)
        app.store.close()
        return sorted((f.ts_ns, f.qty, f.price) for f in fills)

    uninterrupted = trade(crash=False)
    crashed = trade(crash=True)

    during = [f for f in uninterrupted if 15 * SECOND < f[0] - at(WEDNESDAY) <= 80 * SECOND]
    assert len(during) > 5
    assert crashed == uninterrupted


def test_a_start_never_works_before_the_markets_supported_range(
    fresh_database: Callable[[], str],
) -> None:
    url = fresh_database()
    october = NOVEMBER_2026.model_copy(update={"first_day": date(2026, 10, 1)})
    app = build(
        Settings(database_url=url, market=october), SimulatedClock(at("2026-10-29T15:00:00Z"))
    )
    app.start()
    order = resting(app, open_account(app), TimeInForce.GTC)
    app.trading.stop()
    app.store.close()
    restarted = at("2026-11-02T15:00:00Z")

    # the market now starts on 2026-11-01: the downtime is worked from there
    again = build(Settings(database_url=url, market=NOVEMBER_2026), SimulatedClock(restarted))
    again.start()

    held = again.store.get_order(order.id)
    assert held is not None and held.status is S.ACCEPTED
    assert again.trading.engine.now_ns == restarted
    again.store.close()


def test_a_start_with_the_clock_behind_the_database_is_refused_and_changes_nothing(
    boot: Boot,
) -> None:
    """Starting before the instant the engine last worked would trade that time again: fills
    stamped before the orders that made them, nights financed twice."""
    app = boot(at(WEDNESDAY))
    order = resting(app, open_account(app), TimeInForce.GTC)
    app.clock.advance(NS_PER_HOUR)
    app.trading.advance()
    app.trading.stop()
    settings = app.settings

    behind = build(settings, SimulatedClock(at(WEDNESDAY) - NS_PER_DAY))
    with pytest.raises(ConflictError) as refused:
        behind.start()
    behind.store.close()

    assert str(refused.value).startswith(
        "this database's market time is already 2026-11-18T16:00:00Z, later than the clock's "
        "2026-11-17T15:00:00Z"
    )
    assert app.store.load(0).worked_ns == at(WEDNESDAY) + NS_PER_HOUR
    held = app.store.get_order(order.id)
    assert held is not None and held.status is S.ACCEPTED and held.filled_qty == 0
    # a CLI command on a clock behind the server's leaves the market alone: it may start
    cli = build(settings, SimulatedClock(at(WEDNESDAY) - NS_PER_DAY), publishes=False)
    cli.trading.start(catch_up=False)
    cli.store.close()


def test_each_print_is_met_once_across_restarts_and_an_abandoned_catch_up(
    boot: Boot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A symbol's meets with the market tile its timeline: a restart (after a clean stop, in
    a coarse catch-up step) picks up where the last meet ended, and a catch-up that dies after
    a commit leaves every symbol where the next start, in the normal step, picks it up."""
    meets: list[tuple[int, int]] = []
    meet = working._meet

    def recorded(engine: Any, inst: Any, orders: Any, t0: int, t1: int, *rest: Any) -> Any:
        meets.append((t0, t1))
        return meet(engine, inst, orders, t0, t1, *rest)

    monkeypatch.setattr(working, "_meet", recorded)
    app = boot(at(WEDNESDAY))
    resting(app, open_account(app), TimeInForce.GTC)  # AAPL, worked in every step
    app.clock.advance(10 * SECOND + 300_000_000)
    app.trading.advance()
    app.trading.stop()

    boot(at(WEDNESDAY) + NS_PER_HOUR + 10 * SECOND)  # an hour in 2 s steps, then it dies
    coarse = len(meets)
    boot(at(WEDNESDAY) + NS_PER_HOUR + 40 * SECOND)  # 30 s in the normal step

    assert len(meets) > coarse > 1_000
    assert all(t0 < t1 for t0, t1 in meets)
    gaps = [(a, b) for a, b in zip(meets, meets[1:], strict=False) if b[0] != a[1]]
    assert gaps == []
    assert meets[-1][1] > at(WEDNESDAY) + NS_PER_HOUR + 39 * SECOND


@pytest.mark.parametrize("tif", [TimeInForce.DAY, TimeInForce.GTC])
def test_an_order_queued_for_an_open_a_long_downtime_skipped_never_fills_while_closed(
    fresh_database: Callable[[], str], tif: TimeInForce
) -> None:
    """The open it waited for lies before the part of the downtime that is worked: a day order
    expires; a gtc one is routed again as if it arrived then, into the next open's auction.
    (Both took the book at the instant the engine resumed, a closed market.)"""
    settings = Settings(
        database_url=fresh_database(),
        market=NOVEMBER_2026,
        execution=ExecutionSettings(catch_up_hours=24),
    )
    app = build(settings, SimulatedClock(at("2026-11-21T12:00:00Z")))  # a Saturday
    app.start()
    account = open_account(app)
    order = submit(app, account, "AAPL", Side.BUY, 10, tif=tif)
    assert order.status is S.PENDING_OPEN and order.due_ns == at("2026-11-23T14:30:00Z")
    app.store.close()

    # the next Saturday: work resumes on Friday at 12:00, before that day's open
    again = build(settings, SimulatedClock(at("2026-11-28T12:00:00Z")))
    again.start()

    stored = again.store.get_order(order.id)
    fills = again.store.list_fills(account.id)
    assert stored is not None
    if tif is TimeInForce.DAY:
        assert stored.status is S.EXPIRED and not fills
    else:
        (fill,) = fills
        assert fill.ts_ns == at("2026-11-27T14:30:00Z") and fill.receipt.liquidity == "auction"
    again.store.close()


def test_a_second_server_on_the_database_takes_over_and_the_first_commits_nothing_more(
    boot: Boot,
) -> None:
    """Two servers on one database both traded the same block: fills stored twice, filled_qty,
    positions and cash apart. The later start takes the market over; the earlier one's
    commits are refused, and a CLI command beside the server takes nothing over."""
    first = boot(at(WEDNESDAY))
    account = open_account(first, balance=10**10)
    block = submit(first, account, "MSFT", Side.BUY, 60_000)
    assert block.is_open and block.filled_qty  # the rest works over the coming seconds

    second = boot(at(WEDNESDAY) + 20 * SECOND)
    cli = build(
        Settings(database_url=first.settings.database_url, market=NOVEMBER_2026),
        SimulatedClock(at(WEDNESDAY) + 21 * SECOND),
        publishes=False,
    )
    cli.trading.start(catch_up=False)  # as `vtrade keys create` starts
    cli.trading.open_account(OpenAccount(id="k", ts_init=0, owner="bob", name="bot"))
    cli.store.close()
    first.clock.advance(30 * SECOND)
    second.clock.advance(30 * SECOND)

    with pytest.raises(MarketTakenOver, match="another vtrade process started on this database"):
        first.trading.advance()
    second.trading.advance()

    stored = second.store.get_order(block.id)
    fills = [f for f in second.store.list_fills(account.id) if f.order_id == block.id]
    assert stored is not None and stored.filled_qty > block.filled_qty  # it went on
    assert sum(f.qty for f in fills) == stored.filled_qty
    assert len({(f.ts_ns, f.qty, f.price) for f in fills}) == len(fills)  # none twice
