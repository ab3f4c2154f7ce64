"""A start after a downtime over the daily close takes the close snapshot it missed, valuing each
account as it stood at the close (before what the start's catch-up traded or charged later), so
that the day's P&L, and Alpaca's `last_equity`, run from that close."""

from __future__ import annotations

from decimal import Decimal

from portfolio_helpers import BUY, SELL, WEDNESDAY, Boot, D, at, near, open_account, state, trade

from vtrade.bootstrap import Container
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce

XNYS_CLOSE = at("2026-11-18T21:00:00Z")  # Wednesday, 16:00 in New York
THURSDAY = at("2026-11-19T15:00:00Z")  # 10:00 in New York: the process was down over the close


def sell_limit(app: Container, account_id: str, symbol: str, qty: int, limit: str) -> None:
    order = app.trading.submit(
        SubmitOrder(
            id="c",
            ts_init=0,
            account_id=account_id,
            symbol=symbol,
            side=SELL,
            qty=D(qty),
            type=OrderType.LIMIT,
            limit_price=D(limit),
            tif=TimeInForce.GTC,
        )
    )
    assert order.status is OrderStatus.ACCEPTED


def navs_at_close(app: Container, ids: list[str]) -> dict[str, Decimal]:
    """The engine's exact NAVs at the close, of the positions and cash held now."""
    return {account_id: app.engine.view(account_id, XNYS_CLOSE).nav for account_id in ids}


def test_a_start_after_a_missed_close_snapshots_it_and_counts_the_day_from_it(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    holder, idle = open_account(app), open_account(app)
    trade(app, holder, "AAPL", BUY, 100)
    trade(app, holder, "BTC-USD", BUY, "0.5")
    ids = [holder.id, idle.id]
    expected = navs_at_close(app, ids)  # nothing trades between now and the close

    again = boot(THURSDAY)

    closes = again.portfolio.equity.latest(ids, THURSDAY + 1, "close")
    assert set(closes) == set(ids)
    for account_id, point in closes.items():
        assert point.ts_ns == XNYS_CLOSE
        assert near(point.nav, expected[account_id]), (account_id, point.nav, expected)
        now = state(again, account_id)
        assert near(now.day_pnl, now.nav - point.nav)
        assert near(now.nav - now.day_pnl, point.nav)  # Alpaca's last_equity
    assert state(again, holder.id).day_pnl != state(again, holder.id).total_pnl
    once_more = boot(THURSDAY + 60 * 1_000_000_000)
    assert len(once_more.portfolio.equity.points(holder.id, 0, 2**62, kind="close")) == 1


def test_the_missed_close_values_accounts_before_what_the_catch_up_did_after_it(
    boot: Boot,
) -> None:
    app = boot(at(WEDNESDAY))
    flipper, short = open_account(app), open_account(app)
    trade(app, flipper, "DAX", BUY, 2)  # a contract that settles P&L: its entry price counts
    sell_limit(app, flipper.id, "DAX", 3, "23450")  # reached on Thursday morning only
    trade(app, short, "AAPL", SELL, 100)  # charged a night's borrow fee after the close
    ids = [flipper.id, short.id]
    expected = navs_at_close(app, ids)
    cash_before = {a: app.engine.accounts[a].cash for a in ids}

    again = boot(THURSDAY)

    later = [f.ts_ns for f in again.store.list_fills(flipper.id) if f.ts_ns > XNYS_CLOSE]
    assert later and max(later) < THURSDAY
    assert [(p.symbol, p.qty) for p in again.engine.positions_of(flipper.id) if p.qty] == [
        ("DAX", -1)
    ]
    assert again.engine.accounts[short.id].cash < cash_before[short.id]  # the borrow fee
    closes = again.portfolio.equity.latest(ids, THURSDAY + 1, "close")
    for account_id in ids:
        point = closes[account_id]
        assert point.ts_ns == XNYS_CLOSE
        assert near(point.nav, expected[account_id]), (account_id, point.nav, expected)
        assert near(point.cash, cash_before[account_id])
        now = state(again, account_id)
        assert near(now.day_pnl, now.nav - point.nav)
