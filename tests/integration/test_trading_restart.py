"""Crash and restart on a SQLite file: what was acknowledged survives, open orders keep working,
nothing fills twice, and the outbox delivers what was committed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from market_2024 import FRIDAY, MARKET_2024
from vtrade.app.services import TradingService
from vtrade.bootstrap import Container, build
from vtrade.core.clock import SimulatedClock, from_ns, parse_instant, to_ns
from vtrade.core.errors import ConflictError
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.commands import OpenAccount, ResetAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from vtrade.settings import Settings

D = Decimal
S = OrderStatus
SECOND = 1_000_000_000

Boot = Callable[[int], Container]


def at(text: str) -> int:
    return to_ns(parse_instant(text))


@pytest.fixture
def boot(fresh_database: Callable[[], str]) -> Iterator[Boot]:
    """Start the application on one database (SQLite, then PostgreSQL) at an instant; calling
    it again is a restart (the previous process is simply dropped, as in a crash)."""
    url = fresh_database()
    started: list[Container] = []

    def start(t_ns: int) -> Container:
        app = build(Settings(database_url=url, market=MARKET_2024), SimulatedClock(t_ns))
        app.trading.start()
        started.append(app)
        return app

    yield start
    for app in started:
        app.store.close()


def open_account(app: Container, balance: int | None = None) -> Account:
    return app.trading.open_account(
        OpenAccount(
            id="c",
            ts_init=0,
            owner="ann",
            name="main",
            balance=None if balance is None else D(balance),
        )
    )


def submit(app: Container, account: Account, symbol: str, side: Side, qty: Any, **kw: Any) -> Order:
    cmd = SubmitOrder(
        id="c", ts_init=0, account_id=account.id, symbol=symbol, side=side, qty=D(qty), **kw
    )
    return app.trading.submit(cmd)


def wait(app: Container, seconds: int) -> None:
    app.clock.advance(seconds * SECOND)
    app.trading.advance()


def a_busy_morning(app: Container) -> tuple[Account, dict[str, Order]]:
    """Orders in every state a restart must carry: filled, resting, working, stops."""
    trader, whale = open_account(app), open_account(app, balance=10**10)
    bid = app.market.books.quote("MSFT", app.clock.now_ns()).bid
    orders = {
        "filled": submit(app, trader, "AAPL", Side.BUY, 100),
        "resting": submit(
            app,
            trader,
            "MSFT",
            Side.BUY,
            50,
            type=OrderType.LIMIT,
            limit_price=bid - D("0.50"),
            tif=TimeInForce.GTC,
        ),
        "stop": submit(
            app, trader, "AAPL", Side.SELL, 50, type=OrderType.STOP, stop_price=D("200.00")
        ),
        "trailing": submit(
            app,
            trader,
            "AAPL",
            Side.SELL,
            50,
            type=OrderType.TRAILING_STOP,
            trail_percent=D("2"),
            tif=TimeInForce.GTC,
        ),
        "block": submit(app, whale, "AAPL", Side.BUY, 80_000),
    }
    wait(app, 20)
    return whale, orders


def fills_by_order(app: Container, account_ids: list[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for account_id in account_ids:
        for fill in app.store.list_fills(account_id, limit=100_000):
            found[fill.order_id].append(fill)
    return found


def test_orders_acknowledged_before_a_restart_are_all_present_after_it(boot: Boot) -> None:
    app = boot(at(FRIDAY))
    _, orders = a_busy_morning(app)
    before = {name: (o.id, o.status, o.filled_qty) for name, o in orders.items()}
    open_before = {o.id for o in app.engine.open_orders()}
    assert orders["block"].status is S.PARTIALLY_FILLED

    again = boot(app.clock.now_ns() + SECOND)

    for order_id, status, filled in before.values():
        stored = again.store.get_order(order_id)
        assert stored is not None
        assert (stored.status, stored.filled_qty) == (status, filled)
    assert {o.id for o in again.engine.open_orders()} == open_before


def test_open_orders_keep_working_after_a_restart_and_nothing_fills_twice(boot: Boot) -> None:
    app = boot(at(FRIDAY))
    whale, orders = a_busy_morning(app)
    trader_id = orders["filled"].account_id
    block_before = orders["block"].filled_qty

    again = boot(app.clock.now_ns() + SECOND)
    for _ in range(20):
        wait(again, 30)

    block = again.store.get_order(orders["block"].id)
    assert block is not None and block.filled_qty > block_before
    assert block.status is S.FILLED
    fills = fills_by_order(again, [trader_id, whale.id])
    every_fill = [f for found in fills.values() for f in found]
    assert len({f.id for f in every_fill}) == len(every_fill)
    for account_id in (trader_id, whale.id):
        for order in again.store.list_orders(account_id, limit=1000):
            filled = sum((f.qty for f in fills[order.id]), D(0))
            assert order.filled_qty == filled <= order.qty
    whale_position = again.engine.position(whale.id, "AAPL").qty
    assert whale_position == sum((f.qty for f in fills[orders["block"].id]), D(0)) == 80_000


def test_a_client_order_id_stays_idempotent_across_a_restart(boot: Boot) -> None:
    app = boot(at(FRIDAY))
    account = open_account(app)
    first = submit(app, account, "AAPL", Side.BUY, 10, client_order_id="once")

    again = boot(app.clock.now_ns() + SECOND)

    assert submit(again, account, "AAPL", Side.BUY, 10, client_order_id="once").id == first.id
    with pytest.raises(ConflictError):
        submit(again, account, "AAPL", Side.BUY, 11, client_order_id="once")
    assert len(again.store.list_fills(account.id)) == 1


def test_events_committed_before_a_crash_are_published_after_the_restart(boot: Boot) -> None:
    app = boot(at(FRIDAY))
    silent = TradingService(app.engine, app.store, app.bus, app.clock, relay_every=0)
    account = silent.open_account(OpenAccount(id="c", ts_init=0, owner="ann", name="main"))
    order = silent.submit(
        SubmitOrder(
            id="c", ts_init=0, account_id=account.id, symbol="AAPL", side=Side.BUY, qty=D(10)
        )
    )
    assert len(app.store.pending_events()) == 3  # committed, never relayed: then the crash

    seen: list[object] = []
    restarted = build(app.settings, SimulatedClock(app.clock.now_ns() + SECOND))
    restarted.bus.subscribe("orders.*", seen.append)
    restarted.trading.start()

    assert [type(e) for e in seen] == [ev.OrderAccepted, ev.OrderFilled]
    assert all(getattr(e, "order_id", None) == order.id for e in seen)
    assert restarted.store.pending_events() == []
    restarted.store.close()


# -- known defects ----------------------------------------------------------------------------


def test_a_day_order_still_expires_at_the_close_after_a_restart(boot: Boot) -> None:
    app = boot(at(FRIDAY))
    account = open_account(app)
    bid = app.market.books.quote("AAPL", app.clock.now_ns()).bid
    order = submit(
        app,
        account,
        "AAPL",
        Side.BUY,
        10,
        type=OrderType.LIMIT,
        limit_price=(bid * D("0.95")).quantize(D("0.01")),
    )

    again = boot(app.clock.now_ns() + SECOND)
    again.clock.set(at("2024-03-15T20:00:01Z"))
    again.trading.advance()

    stored = again.store.get_order(order.id)
    assert stored is not None and stored.status is S.EXPIRED


@pytest.mark.parametrize(
    ("submitted", "fields", "auction"),
    [
        (FRIDAY, {"tif": TimeInForce.CLS}, "2024-03-15T20:00:00Z"),
        ("2024-03-16T15:00:00Z", {}, "2024-03-18T13:30:00Z"),
    ],
    ids=["cls", "pending_open"],
)
def test_an_order_queued_for_an_auction_still_executes_in_it_after_a_restart(
    boot: Boot, submitted: str, fields: dict[str, Any], auction: str
) -> None:
    app = boot(at(submitted))
    account = open_account(app)
    order = submit(app, account, "AAPL", Side.BUY, 10, **fields)
    assert order.due_ns == at(auction)

    again = boot(app.clock.now_ns() + SECOND)
    again.clock.set(at(auction) + 60 * SECOND)
    again.trading.advance()

    (fill,) = again.store.list_fills(account.id)
    assert fill.ts_ns == at(auction) and fill.receipt.liquidity == "auction"


def test_an_order_waiting_for_its_market_is_routed_at_the_open_after_a_restart(
    boot: Boot,
) -> None:
    app = boot(at("2024-03-16T15:00:00Z"))  # Saturday
    account = open_account(app)
    bid = app.market.books.quote("AAPL", app.clock.now_ns()).bid
    limit = {"type": OrderType.LIMIT, "limit_price": (bid * D("0.9")).quantize(D("0.01"))}
    order = submit(app, account, "AAPL", Side.BUY, 10, tif=TimeInForce.GTC, **limit)

    again = boot(app.clock.now_ns() + SECOND)
    waiting = again.store.get_order(order.id)
    seen: list[object] = []
    again.bus.subscribe("orders.*", seen.append)
    again.clock.set(at("2024-03-18T13:30:00Z") + 60 * SECOND)  # Monday's open
    again.trading.advance()

    assert waiting is not None and waiting.status is S.PENDING_OPEN
    routed = [e for e in seen if isinstance(e, ev.OrderRouted)]
    assert [(e.order_id, e.ts_event) for e in routed] == [(order.id, at("2024-03-18T13:30:00Z"))]
    stored = again.store.get_order(order.id)
    assert stored is not None and stored.status is S.ACCEPTED


def test_a_trailing_stop_keeps_its_ratcheted_stop_across_a_restart(boot: Boot) -> None:
    app = boot(at(FRIDAY))
    _, orders = a_busy_morning(app)
    trailing = orders["trailing"]
    assert trailing.watermark is not None and trailing.stop_price is not None

    again = boot(app.clock.now_ns() + SECOND)

    stored = again.store.get_order(trailing.id)
    assert stored is not None
    assert (stored.watermark, stored.stop_price) == (trailing.watermark, trailing.stop_price)


def test_a_restart_at_the_same_simulated_instant_issues_fresh_ids(boot: Boot) -> None:
    app = boot(at(FRIDAY))
    first = open_account(app)
    submit(app, first, "AAPL", Side.BUY, 10)

    again = boot(at(FRIDAY))  # a simulated clock configured to start at the same instant
    second = open_account(again)
    order = submit(again, second, "AAPL", Side.BUY, 10)

    assert second.id != first.id
    assert order.status is S.FILLED
    assert from_ns(again.clock.now_ns()) == from_ns(at(FRIDAY))


def test_a_restart_does_not_change_the_prices_of_later_fills(
    fresh_database: Callable[[], str],
) -> None:
    """The book remembers what our orders took and how far they pushed the mid; a restart
    rebuilds that memory from the fills, so a block keeps paying what it would have paid."""

    def work_a_block(restart: bool) -> list[tuple[int, bool, Decimal, Decimal]]:
        settings = Settings(database_url=fresh_database(), market=MARKET_2024)
        app = build(settings, SimulatedClock(at(FRIDAY)))
        app.trading.start()
        whale = open_account(app, balance=10**10)
        bid = app.market.books.quote("MSFT", app.clock.now_ns()).bid
        resting = {"type": OrderType.LIMIT, "limit_price": bid, "tif": TimeInForce.GTC}
        submit(app, whale, "MSFT", Side.BUY, 3_000, **resting)  # the market comes to it
        block = submit(app, whale, "AAPL", Side.BUY, 80_000)
        wait(app, 5)
        if restart:
            app.store.close()
            app = build(settings, SimulatedClock(app.clock.now_ns()))
            app.trading.start()
        for _ in range(10):
            wait(app, 5)
        submit(app, whale, "MSFT", Side.BUY, 5_000)  # walks a book the resting fills left
        app.store.close()
        return sorted(
            (f.ts_ns, f.order_id == block.id, f.qty, f.price)
            for f in app.store.list_fills(whale.id, limit=100_000)
        )

    uninterrupted = work_a_block(restart=False)
    restarted = work_a_block(restart=True)

    assert len(uninterrupted) > 5
    assert restarted == uninterrupted


@pytest.mark.parametrize("restart", [False, True])
def test_a_reset_account_starts_again_at_the_first_fee_tier(boot: Boot, restart: bool) -> None:
    """Crypto fees fall with 30-day volume; a reset starts a new life whose volume is nil, in
    memory and after a restart (which rebuilds the volumes from the fills since the reset)."""
    app = boot(at(FRIDAY))
    trader = open_account(app)

    def taker_bps(order: Order) -> Decimal:
        fill = app.store.list_fills(trader.id, order_id=order.id)[0]
        return fill.fee / (fill.qty * fill.price) * 10_000

    first = submit(app, trader, "BTC-USD", Side.BUY, "0.5")  # some 55,000 USD: under 100,000
    wait(app, 1)
    second = submit(app, trader, "BTC-USD", Side.BUY, "0.01")
    assert round(taker_bps(first)) == 60 and round(taker_bps(second)) == 25
    app.trading.reset_account(ResetAccount(id="r", ts_init=0, account_id=trader.id))
    if restart:
        app = boot(app.clock.now_ns())
    wait(app, 1)
    third = submit(app, trader, "BTC-USD", Side.BUY, "0.01")

    assert round(taker_bps(third)) == 60
