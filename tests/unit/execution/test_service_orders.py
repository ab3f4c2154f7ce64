"""Specification of the trading service: idempotency, cancel/replace, the order lifecycle and
commit-before-acknowledge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from vtrade.adapters.sql import SqlStore
from vtrade.adapters.sql.tables import outbox
from vtrade.app.ports import Changes
from vtrade.app.services import TradingService
from vtrade.bootstrap import Container
from vtrade.core.errors import (
    ConflictError,
    IllegalTransitionError,
    NotFoundError,
    StorageError,
)
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.commands import CancelOrder, OpenAccount, ReplaceOrder, ResetAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce
from vtrade.execution.routing import in_flight

D = Decimal
S = OrderStatus
SECOND = 1_000_000_000


class Desk:
    """A started service with one account, recording every event it publishes."""

    def __init__(self, app: Container) -> None:
        self.app = app
        self.trading = app.trading
        self.events: list[object] = []
        app.bus.subscribe("orders.*", self.events.append)
        self.account: Account = self.trading.open_account(
            OpenAccount(id="c-open", ts_init=0, owner="ann", name="main")
        )

    def cmd(self, **kw: Any) -> SubmitOrder:
        values: dict[str, Any] = {
            "id": "c-submit",
            "ts_init": 0,
            "account_id": self.account.id,
            "symbol": "AAPL",
            "side": Side.BUY,
            "qty": D(10),
        }
        return SubmitOrder(**(values | kw))

    def submit(self, **kw: Any) -> Order:
        return self.trading.submit(self.cmd(**kw))

    def resting(self, **kw: Any) -> Order:
        """A buy limit a dollar under the bid: accepted, not filled."""
        bid = self.app.market.books.quote("AAPL", self.app.clock.now_ns()).bid
        values = {"type": OrderType.LIMIT, "limit_price": bid - 1, "tif": TimeInForce.GTC}
        return self.submit(**(values | kw))

    def of_type(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def desk(make_service: Callable[..., Container]) -> Desk:
    return Desk(make_service())


# -- idempotent client order ids --------------------------------------------------------------


def test_the_same_client_order_id_with_the_same_parameters_returns_the_same_order(
    desk: Desk,
) -> None:
    first = desk.submit(client_order_id="abc")
    again = desk.submit(client_order_id="abc")

    assert again is first or again.id == first.id
    assert first.status is S.FILLED
    assert len(desk.app.store.list_orders(desk.account.id)) == 1
    assert len(desk.app.store.list_fills(desk.account.id)) == 1
    assert len(desk.of_type(ev.OrderAccepted)) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"qty": D(11)},
        {"side": Side.SELL},
        {"symbol": "MSFT"},
        {"type": OrderType.LIMIT, "limit_price": D("100.00")},
        {"tif": TimeInForce.GTC},
    ],
)
def test_the_same_client_order_id_with_different_parameters_is_a_conflict(
    desk: Desk, change: dict[str, Any]
) -> None:
    first = desk.submit(client_order_id="abc")

    with pytest.raises(ConflictError, match=f"already used by order {first.id}"):
        desk.submit(client_order_id="abc", **change)
    assert len(desk.app.store.list_orders(desk.account.id)) == 1


@pytest.mark.parametrize("trail", [{"trail_percent": D(2)}, {"trail_price": D(3)}])
def test_the_same_trailing_stop_again_returns_it_and_another_trail_is_a_conflict(
    desk: Desk, trail: dict[str, Any]
) -> None:
    """The engine sets a trailing stop's stop from the market: the same order sent again (with
    no stop, as sent first) is the same order; a different trail is not."""
    fields = {"type": OrderType.TRAILING_STOP, "tif": TimeInForce.GTC, **trail}
    first = desk.submit(client_order_id="t1", **fields)
    assert first.stop_price is not None

    again = desk.submit(client_order_id="t1", **fields)

    assert again.id == first.id
    doubled = {k: v * 2 for k, v in trail.items()}
    with pytest.raises(ConflictError, match=f"already used by order {first.id}"):
        desk.submit(client_order_id="t1", **(fields | doubled))


def test_the_same_client_order_id_with_a_different_notional_is_a_conflict(desk: Desk) -> None:
    desk.submit(client_order_id="n1", qty=None, notional=D(1000))

    with pytest.raises(ConflictError):
        desk.submit(client_order_id="n1", qty=None, notional=D(50_000))


def test_an_order_sized_by_qty_and_one_by_notional_are_different_parameters(desk: Desk) -> None:
    """Whatever quantity a notional came to, a request for that many shares asks for another
    order (a fixed quantity whatever the price), and the other way round."""
    by_value = desk.submit(client_order_id="v", qty=None, notional=D(1000))
    desk.submit(client_order_id="q", qty=D(3))

    with pytest.raises(ConflictError, match="different parameters"):
        desk.submit(client_order_id="v", qty=by_value.qty)
    with pytest.raises(ConflictError, match="different parameters"):
        desk.submit(client_order_id="q", qty=None, notional=D(1000))
    assert len(desk.app.store.list_orders(desk.account.id)) == 2


# -- cancel and replace -----------------------------------------------------------------------


def test_cancel_closes_an_open_order_and_a_second_cancel_finds_nothing(desk: Desk) -> None:
    order = desk.resting()

    canceled = desk.trading.cancel(
        CancelOrder(id="c", ts_init=0, account_id=desk.account.id, order_id=order.id)
    )

    assert canceled.status is S.CANCELED
    stored = desk.app.store.get_order(order.id)
    assert stored is not None and stored.status is S.CANCELED
    assert [e.order_id for e in desk.of_type(ev.OrderCanceled)] == [order.id]
    with pytest.raises(NotFoundError):
        desk.trading.cancel(
            CancelOrder(id="c", ts_init=0, account_id=desk.account.id, order_id=order.id)
        )


def test_an_order_of_another_account_cannot_be_canceled(desk: Desk) -> None:
    order = desk.resting()
    other = desk.trading.open_account(OpenAccount(id="c", ts_init=0, owner="bob", name="b"))

    with pytest.raises(NotFoundError):
        desk.trading.cancel(CancelOrder(id="c", ts_init=0, account_id=other.id, order_id=order.id))
    assert order.status is S.ACCEPTED


def test_replace_ends_the_old_order_replaced_and_the_new_one_carries_replaces(
    desk: Desk,
) -> None:
    old = desk.resting(client_order_id="v1")
    new_price = old.limit_price - D("0.50") if old.limit_price else None

    new = desk.trading.replace(
        ReplaceOrder(
            id="c",
            ts_init=0,
            account_id=desk.account.id,
            order_id=old.id,
            qty=D(20),
            limit_price=new_price,
            client_order_id="v2",
        )
    )

    assert new.id != old.id and new.replaces == old.id and old.replaced_by == new.id
    assert old.status is S.REPLACED and new.status is S.ACCEPTED
    assert (new.qty, new.limit_price, new.type, new.tif) == (
        D(20),
        new_price,
        OrderType.LIMIT,
        TimeInForce.GTC,
    )
    stored_old, stored_new = (desk.app.store.get_order(i) for i in (old.id, new.id))
    assert stored_old is not None and stored_old.status is S.REPLACED
    assert stored_new is not None and stored_new.replaces == old.id
    assert [e.replaced_by for e in desk.of_type(ev.OrderReplaced)] == [new.id]
    assert [o.id for o in desk.app.engine.open_orders(desk.account.id)] == [new.id]


def test_a_rejected_replacement_leaves_the_original_order_working(desk: Desk) -> None:
    old = desk.resting()

    new = desk.trading.replace(
        ReplaceOrder(
            id="c",
            ts_init=0,
            account_id=desk.account.id,
            order_id=old.id,
            limit_price=D("9999.00"),  # far outside the price collar
        )
    )

    assert new.status is S.REJECTED and new.reject_reason is not None
    assert new.reject_reason.startswith("price_collar:")
    assert old.status is S.ACCEPTED and old.replaced_by is None
    assert [o.id for o in desk.app.engine.open_orders(desk.account.id)] == [old.id]


def test_a_refused_replacement_is_not_kept_so_retries_leave_no_rejected_orders(
    desk: Desk,
) -> None:
    """Alpaca answers a failed replace with an error and creates no order (§9:
    `order_replace_rejected` concerns the old order); its client order id stays free."""
    old = desk.resting()

    def replace(limit_price: Decimal) -> Order:
        return desk.trading.replace(
            ReplaceOrder(
                id="c",
                ts_init=0,
                account_id=desk.account.id,
                order_id=old.id,
                limit_price=limit_price,
                client_order_id="v2",
            )
        )

    refused = [replace(D("9999.00")) for _ in range(3)]  # far outside the price collar
    assert {o.status for o in refused} == {S.REJECTED}
    assert [o.id for o in desk.app.store.list_orders(desk.account.id)] == [old.id]
    assert desk.of_type(ev.OrderRejected) == []

    assert old.limit_price is not None
    accepted = replace(old.limit_price - 1)
    assert accepted.status is S.ACCEPTED and accepted.client_order_id == "v2"
    assert old.status is S.REPLACED


# -- lifecycle --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.FILLED, S.CANCELED),
        (S.FILLED, S.PARTIALLY_FILLED),
        (S.CANCELED, S.FILLED),
        (S.REJECTED, S.ACCEPTED),
        (S.EXPIRED, S.PARTIALLY_FILLED),
        (S.REPLACED, S.ACCEPTED),
        (S.PARTIALLY_FILLED, S.PENDING_OPEN),
        (S.PARTIALLY_FILLED, S.ACCEPTED),
    ],
)
def test_an_illegal_lifecycle_transition_raises_and_leaves_the_status_alone(
    start: OrderStatus, target: OrderStatus
) -> None:
    order = Order(
        id="o",
        account_id="a",
        client_order_id="c",
        symbol="AAPL",
        side=Side.BUY,
        type=OrderType.MARKET,
        tif=TimeInForce.DAY,
        qty=D(1),
        status=start,
    )

    with pytest.raises(IllegalTransitionError, match=f"from {start.value} to {target.value}"):
        order.move_to(target, 1)
    assert order.status is start


def test_a_filled_order_cannot_move_again(desk: Desk) -> None:
    order = desk.submit()
    assert order.status is S.FILLED

    with pytest.raises(IllegalTransitionError):
        order.move_to(S.CANCELED, desk.app.clock.now_ns())
    with pytest.raises(NotFoundError):
        desk.trading.cancel(
            CancelOrder(id="c", ts_init=0, account_id=desk.account.id, order_id=order.id)
        )


# -- commit before acknowledge ----------------------------------------------------------------


class FlakyStore:
    """The real store, whose next commit can be made to fail (a full disk, a lost server) or
    to go through with its answer lost, and whose loads can fail while `down` (the server
    still away)."""

    def __init__(self, inner: SqlStore) -> None:
        self.inner = inner
        self.fail_next = False
        self.lose_answer = False
        self.down = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def commit(self, batch: Sequence[Changes], worked_ns: int | None = None) -> None:
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk full")
        self.inner.commit(batch, worked_ns)
        if self.lose_answer:  # it went through; the connection dropped before the answer
            self.lose_answer = False
            raise OSError("server closed the connection unexpectedly")

    def load(self, *args: Any) -> Any:
        if self.down:
            raise OSError("server closed the connection")
        return self.inner.load(*args)

    def pending_events(self, *args: Any) -> Any:
        if self.down:
            raise OSError("server closed the connection")
        return self.inner.pending_events(*args)


def flaky(app: Container) -> tuple[TradingService, FlakyStore]:
    store = FlakyStore(app.store)
    return TradingService(app.engine, store, app.bus, app.clock), store  # type: ignore[arg-type]


def test_a_failed_commit_acknowledges_nothing_and_keeps_no_state(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    store = FlakyStore(app.store)
    trading = TradingService(app.engine, store, app.bus, app.clock)  # type: ignore[arg-type]
    account = trading.open_account(OpenAccount(id="c", ts_init=0, owner="ann", name="main"))
    cmd = SubmitOrder(
        id="c", ts_init=0, account_id=account.id, symbol="AAPL", side=Side.BUY, qty=D(10)
    )

    store.fail_next = True
    with pytest.raises(StorageError, match=r"committing \(OSError\)") as failed:
        trading.submit(cmd)

    assert "disk full" not in failed.value.message  # no database detail: it may hold others'
    assert app.store.list_orders(account.id) == []
    assert app.engine.open_orders(account.id) == []
    assert app.engine.accounts[account.id].cash == D(1_000_000)
    assert all(p.qty == 0 for p in app.engine.positions_of(account.id))


def test_retrying_a_client_order_id_after_a_failed_commit_submits_it_for_real(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    store = FlakyStore(app.store)
    trading = TradingService(app.engine, store, app.bus, app.clock)  # type: ignore[arg-type]
    account = trading.open_account(OpenAccount(id="c", ts_init=0, owner="ann", name="main"))
    cmd = SubmitOrder(
        id="c",
        ts_init=0,
        account_id=account.id,
        symbol="AAPL",
        side=Side.BUY,
        qty=D(10),
        client_order_id="retry-me",
    )
    store.fail_next = True
    with pytest.raises(StorageError):
        trading.submit(cmd)

    order = trading.submit(cmd)

    assert app.store.get_order(order.id) is not None
    assert app.engine.position(account.id, "AAPL").qty == order.filled_qty == 10


def test_while_the_store_cannot_be_read_after_a_failed_commit_nothing_phantom_is_kept(
    make_service: Callable[..., Container],
) -> None:
    """The commit fails and so does the rebuild: the engine is stale. Commands and queries
    fail until the store answers again; then the engine is rebuilt first, so the failed order
    never reaches the ledger and cash, positions and fills reconcile."""
    app = make_service()
    trading, store = flaky(app)
    account = trading.open_account(OpenAccount(id="c", ts_init=0, owner="ann", name="main"))
    buy = SubmitOrder(
        id="c", ts_init=0, account_id=account.id, symbol="AAPL", side=Side.BUY, qty=D(200)
    )
    store.fail_next = store.down = True
    with pytest.raises(StorageError, match=r"committing \(OSError\)"):
        trading.submit(buy)
    with pytest.raises(StorageError, match="cannot be read"):
        trading.account(account.id)

    store.down = False
    order = trading.submit(replace(buy, qty=D(50)))

    assert order.filled_qty == 50
    assert app.engine.position(account.id, "AAPL").qty == 50
    fills = app.store.list_fills(account.id)
    assert sum(f.qty for f in fills) == 50
    spent = sum((f.qty * f.price + f.fee for f in fills), D(0))
    assert trading.account(account.id).cash == D(1_000_000) - spent.quantize(D("0.01"))


@pytest.mark.parametrize(
    "failure",
    [
        "commit",  # the commit fails: the market's time since the last one is worked again
        "answer",  # the commit went through, its answer was lost: that time is not worked twice
        "rebuild",  # the commit fails and so does the rebuild: the next command rebuilds
    ],
)
def test_a_block_works_on_across_a_failure_as_if_nothing_had_failed(
    fresh_database: Callable[[], str], build_container: Callable[..., Container], failure: str
) -> None:
    def fills_of(failure: str | None) -> list[tuple[int, Decimal, Decimal]]:
        app = build_container(database_url=fresh_database())
        app.trading.start()
        trading, store = flaky(app)
        account = trading.open_account(
            OpenAccount(id="c", ts_init=0, owner="a", name="m", balance=D(10**10))
        )
        cmd = SubmitOrder(
            id="c", ts_init=0, account_id=account.id, symbol="AAPL", side=Side.BUY, qty=D(400_000)
        )
        order = trading.submit(cmd)
        assert order.status is S.PARTIALLY_FILLED
        # in another stock: the block's own flow lifts AAPL's book away from a bid below it
        bid = app.market.books.quote("MSFT", app.clock.now_ns()).bid
        resting = trading.submit(  # at the bid: filled by the sellers that reach it, print by print
            replace(
                cmd,
                symbol="MSFT",
                qty=D(100_000),
                type=OrderType.LIMIT,
                limit_price=bid,
                tif=TimeInForce.GTC,
            )
        )
        app.clock.advance(30 * SECOND)
        if failure is not None:
            store.fail_next = failure != "answer"
            store.lose_answer = failure == "answer"
            store.down = failure == "rebuild"
            with pytest.raises(StorageError):
                trading.advance()
            store.down = False
        app.clock.advance(30 * SECOND)
        trading.advance()
        fills = app.store.list_fills(account.id)
        app.store.close()
        assert [f for f in fills if f.order_id == resting.id]
        return sorted((f.ts_ns, f.qty, f.price) for f in fills)

    assert fills_of(failure) == fills_of(None)


def test_a_committed_command_is_answered_though_its_relay_fails(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    trading, store = flaky(app)
    account = trading.open_account(OpenAccount(id="c", ts_init=0, owner="ann", name="main"))
    store.down = True  # the relay right after the commit cannot read the outbox

    order = trading.submit(
        SubmitOrder(
            id="c", ts_init=0, account_id=account.id, symbol="AAPL", side=Side.BUY, qty=D(10)
        )
    )
    store.down = False

    assert order.status is S.FILLED and app.store.get_order(order.id) is not None
    assert trading.relay() > 0  # what was not published goes out with the next relay


def test_an_arrival_that_fills_nothing_is_still_stored(desk: Desk) -> None:
    """A harsh limit resting on arrival is stored as arrived: a restart does not have it
    arrive a second time."""
    desk.trading.set_profile(desk.account.id, "harsh")
    order = desk.resting()
    assert in_flight(order)
    desk.app.clock.advance(SECOND)
    desk.trading.advance()

    stored = desk.app.store.get_order(order.id)
    assert stored is not None and not in_flight(stored) and stored.due_ns is None


def test_an_order_is_never_filled_at_an_instant_before_it_was_submitted(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    desk = Desk(app)
    app.clock.advance(3600 * SECOND)  # an hour passes without an advance (a quiet hour)
    order = desk.resting(limit_price=app.market.books.quote("AAPL", app.clock.now_ns()).bid)
    app.clock.advance(30 * SECOND)

    changes = app.trading.advance()

    assert all(f.ts_ns >= order.created_ns for f in changes.fills)


# -- the outbox -------------------------------------------------------------------------------


def test_relaying_deletes_events_published_longer_ago_than_the_retention(
    make_service: Callable[..., Container],
) -> None:
    desk = Desk(make_service(outbox_retention_hours=1))
    desk.resting()
    store: SqlStore = desk.app.store  # type: ignore[assignment]
    with store.engine.connect() as conn:
        kept = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
    assert kept > 0 and desk.of_type(ev.OrderAccepted)  # published, kept for now

    desk.app.clock.advance(2 * 3_600 * SECOND)  # the retention passed: the next relay purges
    desk.trading.relay()
    with store.engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
    assert left == 0


def test_a_bot_trading_from_inside_its_event_callback_gets_each_event_once_in_order(
    desk: Desk,
) -> None:
    """A bot hedging each AAPL fill with MSFT: its order's relay ran inside the relay that
    delivered the fill, before that one marked its chunk, and published the fill again (a
    hedge per delivery: 108 MSFT orders for one fill, until the recursion limit)."""
    seen: list[ev.Event] = []

    def hedge(event: ev.Event) -> None:
        seen.append(event)
        if isinstance(event, ev.OrderFilled) and event.symbol == "AAPL":
            desk.submit(symbol="MSFT", qty=D(5))

    desk.app.bus.subscribe("orders.*", hedge)
    desk.trading.submit_many([desk.cmd(), desk.cmd(symbol="SPY")])

    ids = [e.id for e in seen]
    assert len(ids) == len(set(ids))  # each event once
    filled = [e.symbol for e in seen if isinstance(e, ev.OrderFilled)]
    assert filled == ["AAPL", "SPY", "MSFT"]  # in commit order: the hedge committed last
    assert len(desk.app.engine.positions_of(desk.account.id)) == 3
    assert desk.app.store.pending_events(100) == []  # the hedge's events went out too


def test_a_server_relays_account_events_at_once_and_order_events_when_asked(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    service = TradingService(
        app.engine, app.store, app.bus, app.clock, relay_every=0, relay_account_events=True
    )
    seen: list[object] = []
    app.bus.subscribe("accounts.*", seen.append)
    app.bus.subscribe("orders.*", seen.append)
    account = service.open_account(OpenAccount(id="c-open", ts_init=0, owner="ann", name="m"))
    assert [type(e) for e in seen] == [ev.AccountOpened]
    service.submit(
        SubmitOrder(
            id="c-1", ts_init=0, account_id=account.id, symbol="AAPL", side=Side.BUY, qty=D(1)
        )
    )
    assert len(seen) == 1  # order events wait for the caller's relay
    service.reset_account(ResetAccount(id="c-reset", ts_init=0, account_id=account.id))
    assert type(seen[-1]) is ev.AccountReset and ev.OrderAccepted in map(type, seen)


def test_relay_committed_publishes_what_a_server_left_unrelayed_and_else_reads_nothing(
    make_service: Callable[..., Container], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_service()
    service = TradingService(
        app.engine, app.store, app.bus, app.clock, relay_every=0, relay_account_events=True
    )
    seen: list[object] = []
    app.bus.subscribe("orders.*", seen.append)
    account = service.open_account(OpenAccount(id="c-open", ts_init=0, owner="ann", name="m"))
    service.submit(
        SubmitOrder(
            id="c-1", ts_init=0, account_id=account.id, symbol="AAPL", side=Side.BUY, qty=D(1)
        )
    )
    assert seen == []

    service.relay_committed()

    assert ev.OrderFilled in map(type, seen)
    reads: list[int] = []
    pending = app.store.pending_events
    monkeypatch.setattr(
        app.store, "pending_events", lambda limit=1000: reads.append(limit) or pending(limit)
    )
    service.relay_committed()
    assert reads == []  # nothing committed since: no query


def test_an_order_refused_by_an_account_rule_is_not_kept_and_its_client_id_stays_free(
    desk: Desk,
) -> None:
    desk.trading.set_rules(desk.account.id, trading_suspended=True)
    refused = desk.submit(client_order_id="bot-1")
    assert refused.status is S.REJECTED
    assert refused.reject_reason and refused.reject_reason.startswith("trading_suspended:")
    assert desk.app.store.get_order(refused.id) is None and not desk.of_type(ev.OrderRejected)

    desk.trading.set_rules(desk.account.id, trading_suspended=False)
    retried = desk.submit(client_order_id="bot-1")
    assert retried.status is not S.REJECTED and retried.id != refused.id


def test_a_failing_purge_never_fails_the_command_whose_relay_ran_it(
    make_service: Callable[..., Container], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = Desk(make_service(outbox_retention_hours=1))

    def busy(before_ns: int, limit: int = 10_000) -> int:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(desk.app.store, "purge_published", busy)
    desk.app.clock.advance(2 * 3_600 * SECOND)
    order = desk.submit()  # committed, then relayed (and the purge fails, logged)
    assert desk.app.store.get_order(order.id) is not None


# -- orders committed together ----------------------------------------------------------------


def test_orders_committed_together_are_received_a_microsecond_apart_and_page_without_loss(
    desk: Desk,
) -> None:
    """Alpaca's order list pages by `submitted_at`, exclusive: a bot asks for the orders before
    the last one it got. Orders of one group commit once shared one instant, and those on a
    page boundary were skipped."""
    desk.app.clock.advance(SECOND)
    t = desk.app.clock.now_ns()
    bid = desk.app.market.books.quote("AAPL", t).bid
    limit = {"type": OrderType.LIMIT, "limit_price": bid - 1, "tif": TimeInForce.GTC}
    cmds = [desk.cmd(client_order_id=f"batch-{i}", **limit) for i in range(30)]

    placed = desk.trading.submit_many(cmds)

    created = [o.created_ns for o in placed if isinstance(o, Order)]
    assert created == [t - (29 - i) * 1_000 for i in range(30)]  # the last at the commit
    seen: list[str] = []
    until = None
    while page := desk.app.store.page_orders(
        desk.account.id, status="open", limit=7, until_ns=until, ascending=False
    ):
        seen += [o.client_order_id for o in page]
        until = page[-1].created_ns // 1_000 * 1_000  # as Alpaca's submitted_at shows it
    assert sorted(seen) == sorted(c.client_order_id or "" for c in cmds)
