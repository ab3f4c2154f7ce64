"""The portfolio service in the assembled application, on SQLite and on PostgreSQL: valuations
that agree with the engine, a rebuild that equals the live state, day P&L from the last close,
equity snapshots, coalesced streams, alerts once per crossing, the hot store, and resets
(redelivery: test_portfolio_redelivery.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from portfolio_helpers import (
    BUY,
    CENT,
    SECOND,
    SELL,
    WEDNESDAY,
    Boot,
    D,
    aapl_qty,
    at,
    near,
    open_account,
    run,
    state,
    trade,
)

from vtrade.adapters.hot import RedisHotStore
from vtrade.app.as_of import as_of
from vtrade.bootstrap import Container
from vtrade.core import topics
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.commands import ResetAccount
from vtrade.portfolio.state import nav_of

XNYS_CLOSE = at("2026-11-18T21:00:00Z")


def jump(app: Container, t_ns: int) -> None:
    app.clock.set(t_ns)
    app.portfolio.tick(t_ns)


# (account, symbol, side, qty): USD, GBX, crypto, FX and a euro index, longs and shorts,
# flips through flat
# fmt: off
MIXED = [
    (0, "AAPL", BUY, 100), (1, "BTC-USD", BUY, "0.5"), (2, "EUR/USD", BUY, 100_000),
    (0, "VOD.L", BUY, 20_000), (0, "MSFT", BUY, 40), (2, "USD/JPY", SELL, 50_000),
    (2, "DAX", BUY, 2), (2, "EUR/GBP", BUY, 60_000),
    (1, "ETH-USD", BUY, 10), (0, "AAPL", SELL, 30), (2, "GBP/USD", SELL, 40_000),
    (1, "BTC-USD", SELL, "0.2"), (0, "VOD.L", SELL, 5_000), (2, "EUR/USD", SELL, 150_000),
    (0, "AAPL", SELL, 120),
]
# fmt: on


def a_mixed_session(app: Container, after_each: Callable[[list[str]], None]) -> list[str]:
    """Three accounts trading between ticks; `after_each` runs after every trade's ticks."""
    accounts = [open_account(app) for _ in range(3)]
    ids = [a.id for a in accounts]
    for k, symbol, side, qty in MIXED:
        trade(app, accounts[k], symbol, side, qty)
        run(app, 7)
        after_each(ids)
    run(app, 120)
    after_each(ids)
    return ids


def test_each_account_nav_equals_the_engine_exact_view_at_the_same_mids(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    checked: list[str] = []

    def agrees(ids: list[str]) -> None:
        t = app.clock.now_ns()
        for account_id in ids:
            exact = app.engine.view(account_id, t).nav
            valued = D(repr(nav_of(app.portfolio.valuation, account_id)))
            assert near(valued, exact, exact * CENT / 1_000_000), (account_id, valued, exact)
            checked.append(account_id)

    ids = a_mixed_session(app, agrees)

    assert len(checked) == 3 * (len(MIXED) + 1)
    assert all(app.engine.positions_of(i) for i in ids)
    assert app.portfolio.valuation.ticks > 1000  # many prices moved on the way


def test_a_rebuild_after_a_restart_equals_the_live_state(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    ids = a_mixed_session(app, lambda _: None)

    again = boot(app.clock.now_ns())

    for account_id in ids:
        live, rebuilt = state(app, account_id), state(again, account_id)
        for name in ("nav", "cash", "day_pnl", "unrealized_pnl", "gross_exposure"):
            assert near(getattr(rebuilt, name), getattr(live, name)), (account_id, name)
        assert [(p.symbol, p.qty, p.avg_price, p.price) for p in rebuilt.positions] == [
            (p.symbol, p.qty, p.avg_price, p.price) for p in live.positions
        ]
        assert all(
            near(r.value, p.value) for r, p in zip(rebuilt.positions, live.positions, strict=True)
        )


def a_day_of_trading(app: Container) -> tuple[Account, Account]:
    """A holder of AAPL, SPX and bitcoin, and an account flat again, poorer by the fees."""
    holder, flat = open_account(app), open_account(app)
    for symbol, qty in (("AAPL", 100), ("SPX", 10), ("BTC-USD", "0.5")):
        trade(app, holder, symbol, BUY, qty)
    trade(app, flat, "AAPL", BUY, 100)
    trade(app, flat, "AAPL", SELL, 100)
    return holder, flat


def test_day_pnl_runs_from_the_previous_close_and_a_rebuild_reads_it_back(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    holder, flat = a_day_of_trading(app)
    ids = [holder.id, flat.id]
    jump(app, XNYS_CLOSE - 30 * SECOND)
    assert state(app, flat.id).day_pnl < 0 and state(app, holder.id).day_pnl != 0

    jump(app, XNYS_CLOSE + 30 * SECOND)

    closes = app.portfolio.equity.latest(ids, app.clock.now_ns() + 1, "close")
    assert set(closes) == set(ids)
    at_close = app.portfolio.figures_at(XNYS_CLOSE)  # valued at the close, not 30 s later
    for account_id, point in closes.items():
        assert point.ts_ns == XNYS_CLOSE
        assert point.nav == at_close[account_id]["nav"]
        assert state(app, account_id).day_pnl == 0
    run(app, 600, every=10)  # post-market and crypto keep moving; no second close today
    for account_id, point in closes.items():
        now = state(app, account_id)
        assert near(now.day_pnl, now.nav - point.nav)
        assert len(app.portfolio.equity.points(account_id, 0, 2**62, kind="close")) == 1

    again = boot(app.clock.now_ns())

    for account_id, point in closes.items():
        index = again.portfolio.valuation.index[account_id]
        assert again.portfolio.valuation.day_open[index] == float(point.nav)
        assert near(state(again, account_id).day_pnl, state(app, account_id).day_pnl)


def intraday(app: Container, account_id: str, after_ns: int) -> int:
    """Intraday snapshots of an account taken after `after_ns` (up to now)."""
    end = app.clock.now_ns() + 1
    return len(app.portfolio.equity.points(account_id, after_ns + 1, end, kind="intraday"))


def test_intraday_snapshots_follow_accounts_holding_open_markets(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    us, index, idle = open_account(app), open_account(app), open_account(app)
    trade(app, us, "AAPL", BUY, 100)  # trades pre- and post-market too
    trade(app, index, "SPX", BUY, 10)  # regular hours only, in USD
    app.portfolio.publish(app.clock.now_ns(), force=True)  # the first snapshot of new accounts
    regular = app.clock.now_ns()

    run(app, 30 * 60, every=30)

    assert [intraday(app, a.id, regular) for a in (us, index, idle)] == [6, 6, 0]

    jump(app, XNYS_CLOSE + 60 * SECOND)  # the close snapshot; SPX stops moving after it
    after_close = app.clock.now_ns()
    run(app, 30 * 60, every=30)

    assert [intraday(app, a.id, after_close) for a in (us, index, idle)] == [6, 0, 0]


def quote_storm(app: Container, seconds: float) -> None:
    """Every 10 ms: an AAPL quote a cent away from the previous one, then a tick."""
    for k in range(round(seconds * 100)):
        t = app.clock.advance(10_000_000)
        quote = app.market.books.quote("AAPL", t)
        shift = CENT * (k % 2)
        app.portfolio.on_quote(replace(quote, bid=quote.bid + shift, ask=quote.ask + shift))
        app.portfolio.tick(t)


def test_streamed_valuations_are_coalesced_versioned_and_only_for_subscribers(
    boot: Boot,
) -> None:
    app = boot(at(WEDNESDAY))
    watched, unwatched = open_account(app), open_account(app)
    for account in (watched, unwatched):
        trade(app, account, "AAPL", BUY, 100)
    received: list[Any] = []
    left: list[Any] = []
    app.bus.subscribe(topics.portfolio(watched.id), received.append)
    leave = app.bus.subscribe(topics.portfolio(unwatched.id), left.append)
    quote_storm(app, 1)
    leave()
    seen_before_leaving = len(left)
    start = app.clock.now_ns()

    quote_storm(app, 5)

    every = app.portfolio.config.stream_every_ns
    assert every == 250_000_000
    assert seen_before_leaving > 0 and len(left) == seen_before_leaving
    assert all(isinstance(m, ev.PortfolioValued) for m in received)
    assert {m.account_id for m in received} == {watched.id}
    stamps = [m.ts_event for m in received]
    assert all(b - a >= every for a, b in zip(stamps, stamps[1:], strict=False))
    assert 5 * SECOND // every - 1 <= len([t for t in stamps if t > start]) <= 5 * SECOND // every
    versions = [m.version for m in received]
    assert versions == sorted(set(versions))
    assert received[-1].cash == state(app, watched.id).cash


def test_alerts_reach_the_account_topic_once_per_crossing(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    alerts: list[Any] = []
    app.bus.subscribe(topics.alerts(account.id), alerts.append)
    trade(app, account, "AAPL", BUY, 860)  # about 24% of NAV: legal at the 25% cap
    for symbol, qty in (("JPM", 100), ("XOM", 100), ("PFE", 200), ("BTC-USD", "0.1")):
        run(app, 1)
        assert alerts == [], symbol  # fewer than 5 groups so far
        trade(app, account, symbol, BUY, qty)
    run(app, 2)
    trade(app, account, "GLD", BUY, 20)  # a 6th group
    run(app, 5)
    assert [(a.kind, a.active) for a in alerts] == [("diversified", True)]
    assert alerts[0].value == 5

    v, aapl = app.portfolio.valuation, app.portfolio.universe.index_of("AAPL")
    market = float(v.price[aapl])
    for rise in (1.35, 1.40):  # a synthetic price makes AAPL about 30% of NAV, then more
        v.mark(np.array([aapl]), np.array([market * rise]))
        for _ in range(2):
            app.portfolio.publish(app.clock.now_ns(), force=True)
    over = [a for a in alerts if a.kind == "position_over_cap"]
    assert [(a.active, a.threshold) for a in over] == [(True, D("0.25"))]
    assert D("0.28") < over[0].value < D("0.30")
    assert {a.account_id for a in alerts} == {account.id}

    run(app, 1)  # the market's price again: back under the cap

    assert [(a.kind, a.active) for a in alerts[-2:]] == [
        ("position_over_cap", True),
        ("position_over_cap", False),
    ]
    assert app.portfolio.hot.counter("alerts:diversified") == 1
    again = boot(app.clock.now_ns())
    repeated: list[Any] = []
    again.bus.subscribe(topics.alerts(account.id), repeated.append)
    run(again, 5)
    assert repeated == []  # a restart adopts the flags silently


@pytest.fixture(params=["memory", "redis"])
def redis_or_memory(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (the in-memory hot store), or the test Redis, cleared before and after."""
    if request.param == "memory":
        yield None
        return
    url: str = request.getfixturevalue("redis_url")
    namespace = RedisHotStore(url)  # the application's namespace on the test database
    namespace.clear()
    yield url
    namespace.clear()
    namespace.close()


HOLDINGS = ((500_000, "AAPL", 10), (2_000_000, "VOD.L", 1000), (10**6, "BTC-USD", "0.5"))
HOLDINGS += ((10_000_000, "EUR/USD", 10_000),)


def test_the_hot_store_holds_every_account_and_ranks_them_by_nav(
    boot: Boot, redis_or_memory: str | None
) -> None:
    app = boot(at(WEDNESDAY), redis_url=redis_or_memory)
    accounts = []
    for balance, symbol, qty in HOLDINGS:
        accounts.append(open_account(app, balance))
        trade(app, accounts[-1], symbol, BUY, qty)
    run(app, 3)

    app.portfolio.publish(app.clock.now_ns(), force=True)

    hot = app.portfolio.hot
    for account in accounts:
        fields = hot.get_hash(f"portfolio:{account.id}")
        now = state(app, account.id)
        for name in ("nav", "cash", "day_pnl"):
            assert isinstance(fields[name], str)
            assert near(D(fields[name]), getattr(now, name)), (account.id, name)
    ranked = sorted(accounts, key=lambda a: -state(app, a.id).nav)
    top = hot.top("nav", 10)
    assert [member for member, _ in top] == [a.id for a in ranked]
    assert all(near(D(repr(score)), state(app, m).nav) for m, score in top)
    assert hot.counter("alerts:nav_milestone") == 0  # opened at 10M: reached nothing


def test_an_account_reset_zeroes_its_positions_in_the_valuation(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    account, other = open_account(app), open_account(app)
    for symbol, qty in (("AAPL", 100), ("VOD.L", 10_000), ("BTC-USD", "0.5")):
        trade(app, account, symbol, BUY, qty)
    trade(app, other, "AAPL", BUY, 100)
    run(app, 10)
    app.portfolio.publish(app.clock.now_ns(), force=True)  # snapshots of both
    app.clock.advance(SECOND)
    reset_ns = app.clock.now_ns()

    app.trading.reset_account(ResetAccount(id="c", ts_init=0, account_id=account.id))
    app.trading.relay()
    run(app, 30)

    after = state(app, account.id)
    assert after.positions == () and after.allocation == ()
    assert after.nav == after.cash == D(1_000_000)
    assert after.gross_exposure == after.day_pnl == after.total_pnl == 0
    assert aapl_qty(app, other.id) == 100
    equity = app.portfolio.equity
    assert equity.points(account.id, 0, reset_ns) == []  # the old curve is forgotten
    (first, *_) = equity.points(account.id, 0, reset_ns + 1)
    assert (first.ts_ns, first.nav) == (reset_ns, D(1_000_000))  # the new one starts there
    assert equity.points(other.id, 0, reset_ns) != []
    assert state(boot(app.clock.now_ns()), account.id).positions == ()


def test_a_london_position_realizes_only_its_fees_while_the_pound_moves(boot: Boot) -> None:
    """Its cost stays at the rate it was bought at: the pound's move since is unrealized P&L,
    in the portfolio, in the engine's position and through a restart."""
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    trade(app, account, "VOD.L", BUY, 10_000)
    fill = app.store.list_fills(account.id)[0]
    rate = app.engine.marks(app.clock.now_ns()).fx("GBX")
    run(app, 3_600, every=60)
    assert app.engine.marks(app.clock.now_ns()).fx("GBX") != rate  # the pound moved
    fees = (fill.fee * fill.fx_rate).quantize(CENT)

    after = state(app, account.id)
    assert near(after.realized_pnl, -fees)
    (held,) = after.positions
    cost = (fill.qty * fill.price * fill.fx_rate).quantize(CENT)
    assert near(held.unrealized_pnl, held.value - cost)
    assert app.engine.position(account.id, "VOD.L").entry_fx == fill.fx_rate
    assert near(state(boot(app.clock.now_ns()), account.id).realized_pnl, -fees)


@pytest.mark.parametrize("symbol", ["VOD.L", "USD/JPY", "DAX"])
def test_a_round_trips_trade_pnl_is_what_the_account_made(boot: Boot, symbol: str) -> None:
    """A share in pence, an FX pair in yen, an index in euros: bought, held an hour while the
    currency moves, sold. The closed trade's P&L, net of fees, is the change in cash."""
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    qty = {"VOD.L": 10_000, "USD/JPY": 100_000, "DAX": 2}[symbol]
    trade(app, account, symbol, BUY, qty)
    run(app, 3_600, every=60)
    trade(app, account, symbol, SELL, qty)

    stats = app.queries.trade_stats(account.id)
    made = app.engine.accounts[account.id].cash - D(1_000_000)
    assert stats.count == 1 and near(stats.net_pnl, made, D("0.02")) and made != 0


def test_trade_statistics_and_costs_count_only_the_fills_since_the_last_reset(
    boot: Boot,
) -> None:
    """A reset closes positions without fills: a buy before it must not pair with a sell after
    it as one round trip, nor count in the new life's execution costs."""
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    trade(app, account, "AAPL", BUY, 100)
    run(app, 120)
    app.trading.reset_account(ResetAccount(id="c", ts_init=0, account_id=account.id))
    app.trading.relay()
    run(app, 60)
    bought = trade(app, account, "AAPL", BUY, 100)
    run(app, 60)
    sold = trade(app, account, "AAPL", SELL, 100)
    new_life = [f for o in (bought, sold) for f in app.store.list_fills(account.id, order_id=o.id)]
    round_trip = sum(
        (f.qty * f.price * (1 if f.side is SELL else -1) - f.fee for f in new_life), D(0)
    )

    stats = app.queries.trade_stats(account.id)
    costs = app.queries.execution_costs(account.id)
    assert stats.count == 1 and stats.net_pnl == round_trip.quantize(CENT)
    assert costs.fills == 2 and costs.fees == sum((f.fee for f in new_life), D(0))
    assert boot(app.clock.now_ns()).queries.trade_stats(account.id) == stats  # after a restart


def test_fills_at_the_instant_of_a_reset_belong_to_the_life_they_were_made_in(boot: Boot) -> None:
    """With the clock standing still, fills before a reset and after it share its instant:
    the ledger's order, not the time, says which life each belongs to (round trips, costs,
    fee-tier volume and a replay of positions), live and after a restart."""
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    old = trade(app, account, "AAPL", BUY, 100)
    app.trading.reset_account(ResetAccount(id="c", ts_init=0, account_id=account.id))
    app.trading.relay()
    bought = trade(app, account, "AAPL", BUY, 40)
    sold = trade(app, account, "AAPL", SELL, 40)
    kept = trade(app, account, "AAPL", BUY, 7)
    new_life = [
        f for o in (bought, sold, kept) for f in app.store.list_fills(account.id, order_id=o.id)
    ]
    assert {f.ts_ns for f in new_life} == {f.ts_ns for f in app.store.list_fills(account.id)}

    costs = app.queries.execution_costs(account.id)
    assert costs.fills == len(new_life) and old.id not in {f.order_id for f in new_life}
    assert app.queries.trade_stats(account.id).count == 1
    instant = app.clock.now_ns()
    run(app, 1)
    trade(app, account, "AAPL", BUY, 3)  # a later fill: `as_of` the instant replays fills
    restarted = boot(app.clock.now_ns())
    assert restarted.queries.execution_costs(account.id).fills == len(new_life) + 1
    assert restarted.engine.volumes[account.id] == app.engine.volumes[account.id]
    snapshot = restarted.store.load(0)
    _, positions = as_of(restarted.store, restarted.catalog, snapshot.accounts, snapshot, instant)
    assert [(p.symbol, p.qty) for p in positions] == [("AAPL", D(7))]


def test_after_the_close_the_hot_store_shows_day_pnl_from_the_new_base(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    _, flat = a_day_of_trading(app)
    jump(app, XNYS_CLOSE + 30 * SECOND)

    run(app, 5)
    app.portfolio.publish(app.clock.now_ns(), force=True)

    assert state(app, flat.id).day_pnl == 0
    assert D(app.portfolio.hot.get_hash(f"portfolio:{flat.id}")["day_pnl"]) == 0


def test_a_nights_financing_reaches_the_valuation(boot: Boot) -> None:
    app = boot(at(WEDNESDAY))
    short = open_account(app)
    trade(app, short, "AAPL", SELL, 100)
    cash_before = state(app, short.id).cash

    app.clock.set(at("2026-11-19T05:00:00Z") + SECOND)  # past midnight in New York
    charged = app.trading.advance()
    app.trading.relay()
    app.portfolio.tick(app.clock.now_ns())

    (fee,) = [e for e in charged.events if isinstance(e, ev.FinancingCharged)]
    assert fee.borrow_fee > 0
    assert near(state(app, short.id).cash, cash_before - fee.borrow_fee)
    again = boot(app.clock.now_ns())
    assert near(state(again, short.id).cash, state(app, short.id).cash)


def test_a_cash_only_accounts_margin_is_all_of_its_positions_value_live_and_after_a_restart(
    boot: Boot,
) -> None:
    app = boot(at(WEDNESDAY))
    account = open_account(app)
    trade(app, account, "AAPL", BUY, 100)
    run(app, 1)
    on_margin = state(app, account.id)
    assert on_margin.margin_used < on_margin.gross_exposure  # 2:1

    app.trading.set_rules(account.id, cash_only=True)
    app.trading.relay()
    run(app, 1)

    for running in (app, boot(app.clock.now_ns())):  # live, then rebuilt
        now = state(running, account.id)
        assert near(now.margin_used, now.gross_exposure)
        engine = running.engine.view(account.id, running.clock.now_ns())
        assert near(now.margin_used, engine.margin_used, D("0.05"))
