"""Redelivered events in the portfolio service, on SQLite and on PostgreSQL: the outbox
delivers at least once, so an old fill or reset can arrive again after newer ones; it must
change nothing, live or after a restart."""

from __future__ import annotations

from typing import Any

from portfolio_helpers import (
    BUY,
    SECOND,
    SELL,
    WEDNESDAY,
    Boot,
    D,
    aapl_qty,
    at,
    filled_events,
    near,
    open_account,
    run,
    state,
    trade,
)

from vtrade.core import topics
from vtrade.domain import events as ev
from vtrade.domain.commands import ResetAccount, SubmitOrder


def test_redelivered_older_fills_do_not_regress_a_position(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    fills = filled_events(app, account)
    for side, qty in ((BUY, 100), (BUY, 50), (SELL, 30)):
        trade(app, account, "AAPL", side, qty)
        run(app, 1)

    for old in fills[:-1]:
        app.bus.publish(topics.orders(account.id), old)
    run(app, 1)

    assert aapl_qty(app, account.id) == 120 == app.engine.position(account.id, "AAPL").qty
    assert near(state(app, account.id).cash, app.engine.account(account.id).cash)


def test_a_redelivered_fill_of_the_same_instant_does_not_regress_a_position(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    fills = filled_events(app, account)
    orders = [
        SubmitOrder(id=f"c{k}", ts_init=0, account_id=account.id, symbol="AAPL", side=BUY, qty=q)
        for k, q in enumerate((D(100), D(50)))
    ]
    app.trading.submit_many(orders)  # one transaction: both fills at the same instant
    assert [f.position_qty for f in fills] == [100, 150]
    assert fills[0].ts_event == fills[1].ts_event

    app.bus.publish(topics.orders(account.id), fills[0])

    assert aapl_qty(app, account.id) == 150


def test_a_redelivered_fill_does_not_roll_back_cash_moved_by_a_later_fill(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    fills = filled_events(app, account)
    trade(app, account, "AAPL", BUY, 100)
    run(app, 1)
    trade(app, account, "MSFT", BUY, 100)  # later: cash moved on

    app.bus.publish(topics.orders(account.id), fills[0])  # the latest AAPL fill, again

    assert state(app, account.id).cash == app.engine.account(account.id).cash


def test_a_fill_redelivered_after_a_reset_does_not_bring_the_position_back(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    fills = filled_events(app, account)
    trade(app, account, "AAPL", BUY, 100)
    app.clock.advance(SECOND)
    app.trading.reset_account(ResetAccount(id="c", ts_init=0, account_id=account.id))

    app.bus.publish(topics.orders(account.id), fills[-1])

    assert state(app, account.id).positions == ()


def test_a_reset_redelivered_after_later_fills_does_not_wipe_them(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    resets: list[Any] = []
    app.bus.subscribe(topics.account(account.id), resets.append)
    trade(app, account, "AAPL", BUY, 100)
    app.clock.advance(SECOND)
    app.trading.reset_account(ResetAccount(id="c", ts_init=0, account_id=account.id))
    trade(app, account, "AAPL", BUY, 40)
    run(app, 10)
    app.portfolio.publish(app.clock.now_ns(), force=True)  # a snapshot of the new life
    [reset] = [e for e in resets if isinstance(e, ev.AccountReset)]

    app.bus.publish(topics.account(account.id), reset)

    assert aapl_qty(app, account.id) == 40
    assert state(app, account.id).cash == app.engine.account(account.id).cash
    assert app.portfolio.equity.points(account.id, 0, app.clock.now_ns() + 1) != []


def test_fills_and_resets_number_each_account_in_order_across_restarts(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account, other = open_account(app), open_account(app)
    seen: list[Any] = []
    for a in (account, other):
        app.bus.subscribe(topics.orders(a.id), seen.append)
        app.bus.subscribe(topics.account(a.id), seen.append)
    trade(app, account, "AAPL", BUY, 100)
    trade(app, other, "MSFT", BUY, 10)
    app.trading.reset_account(ResetAccount(id="c", ts_init=0, account_id=account.id))
    trade(app, account, "AAPL", BUY, 10)

    again = boot(app.clock.now_ns())
    again.bus.subscribe(topics.orders(account.id), seen.append)
    trade(again, account, "MSFT", BUY, 5)

    numbered = [
        (e.account_id, type(e).__name__, e.account_seq)
        for e in seen
        if isinstance(e, ev.OrderFilled | ev.AccountReset)
    ]
    assert numbered == [
        (account.id, "OrderFilled", 1),
        (other.id, "OrderFilled", 1),
        (account.id, "AccountReset", 2),
        (account.id, "OrderFilled", 3),
        (account.id, "OrderFilled", 4),
    ]
    assert again.store.load(0).account_seqs == {account.id: 4, other.id: 1}


def test_a_fill_redelivered_after_a_restart_changes_nothing(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    fills = filled_events(app, account)
    trade(app, account, "AAPL", BUY, 100)
    trade(app, account, "AAPL", BUY, 50)
    trade(app, account, "MSFT", BUY, 10)

    again = boot(app.clock.now_ns())  # the rebuild starts the guard from the store
    for old in fills:
        again.bus.publish(topics.orders(account.id), old)

    assert aapl_qty(again, account.id) == 150
    assert state(again, account.id).cash == again.engine.account(account.id).cash
