"""Specification of refusals: a command refused before it changed anything (an unknown order, a
number out of range, a client order id used for another order) is answered with its error,
without rebuilding the engine from the store, and what the market did before it still
commits; its neighbours in a group commit go on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from vtrade.api.batching import OrderBatcher, Placed
from vtrade.bootstrap import Container
from vtrade.core.errors import (
    ConflictError,
    NotFoundError,
    StorageError,
    ValidationError,
    VtradeError,
)
from vtrade.domain.commands import CancelOrder, OpenAccount, ReplaceOrder, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus
from vtrade.execution.validation import OrderOutOfRange

D = Decimal
SECOND = 1_000_000_000
WHALE = D(10**10)  # neither the 25% cap nor buying power binds


class Loads:
    """Counts how often the service rebuilds its engine from the store."""

    def __init__(self, app: Container) -> None:
        self.count = 0
        load = app.store.load

        def counted(*args: Any) -> Any:
            self.count += 1
            return load(*args)

        app.store.load = counted  # type: ignore[method-assign]


def opened(app: Container, balance: Decimal = WHALE) -> str:
    cmd = OpenAccount(id="c-open", ts_init=0, owner="ann", name="main", balance=balance)
    return app.trading.open_account(cmd).id


def order(account_id: str, **kw: Any) -> SubmitOrder:
    values: dict[str, Any] = {
        "id": "c",
        "ts_init": 0,
        "account_id": account_id,
        "symbol": "AAPL",
        "side": Side.BUY,
        "qty": D(10),
    }
    return SubmitOrder(**(values | kw))


def test_a_refused_cancel_commits_the_fills_the_market_gave_meanwhile(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    account = opened(app)
    block = app.trading.submit(order(account, qty=D(80_000)))
    assert block.status is OrderStatus.PARTIALLY_FILLED  # the rest works as the book refills
    filled_at_once = block.filled_qty
    loads = Loads(app)
    app.clock.advance(30 * SECOND)

    with pytest.raises(NotFoundError, match="open order 'no-such-order' not found"):
        app.trading.cancel(
            CancelOrder(id="c", ts_init=0, account_id=account, order_id="no-such-order")
        )

    assert loads.count == 0  # answered without rebuilding the engine
    stored = app.store.get_order(block.id)
    assert stored is not None and stored.filled_qty > filled_at_once
    later = [f for f in app.store.list_fills(account) if f.ts_ns > block.created_ns]
    assert later, "the remainder's fills of those 30 seconds were committed"
    assert stored.filled_qty == app.engine.orders[block.id].filled_qty
    assert stored.filled_qty == sum((f.qty for f in app.store.list_fills(account)), D(0))


def test_a_refused_replacement_leaves_the_old_order_where_it_was(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    account = opened(app)
    bid = app.market.books.quote("AAPL", app.clock.now_ns()).bid
    resting = app.trading.submit(
        order(account, type="limit", limit_price=bid - 1, tif="gtc", client_order_id="keep")
    )
    loads = Loads(app)

    with pytest.raises(OrderOutOfRange):
        app.trading.replace(
            ReplaceOrder(
                id="c", ts_init=0, account_id=account, order_id=resting.id, qty=D(10) ** 13
            )
        )

    assert loads.count == 0
    assert app.engine.orders[resting.id] is resting and resting.status is OrderStatus.ACCEPTED
    assert [o.id for o in app.engine.open_orders(account)] == [resting.id]
    stored = app.store.get_order(resting.id)
    assert stored is not None and stored.status is OrderStatus.ACCEPTED


@pytest.mark.parametrize("holder", ["engine", "store"])
def test_a_replacement_may_not_take_a_client_order_id_another_order_has(
    make_service: Callable[..., Container], holder: str
) -> None:
    app = make_service()
    account = opened(app)
    bid = app.market.books.quote("AAPL", app.clock.now_ns()).bid
    app.trading.submit(order(account, client_order_id="taken"))  # filled: closed
    resting = app.trading.submit(
        order(account, type="limit", limit_price=bid - 1, tif="gtc", client_order_id="keep")
    )
    if holder == "store":  # a restart: the engine knows only open orders, the store all
        app.trading.knows("no-such-account")
    loads = Loads(app)
    engine_orders = dict(app.engine.orders)

    for used in ("taken", "keep"):  # another order's, and the replaced order's own
        cmd = ReplaceOrder(
            id="c", ts_init=0, account_id=account, order_id=resting.id, client_order_id=used
        )
        with pytest.raises(ValidationError, match=f"client_order_id must be unique: '{used}'"):
            app.trading.replace(cmd)
        if holder == "engine" or used == "keep":  # the engine refuses what it knows itself
            with pytest.raises(ValidationError, match="is already used by order") as direct:
                app.engine.replace(cmd, app.clock.now_ns())
            assert direct.value.changed_nothing

    assert loads.count == 0
    assert dict(app.engine.orders) == engine_orders
    stored = app.store.get_order(resting.id)
    assert stored is not None and stored.status is OrderStatus.ACCEPTED
    assert stored.replaced_by is None


def test_refused_orders_in_a_group_commit_get_their_errors_and_the_rest_commit(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    account = opened(app, D(1_000_000))
    first = app.trading.submit(order(account, client_order_id="bot-1"))
    loads = Loads(app)

    results = app.trading.submit_many(
        [
            order(account, qty=D(3)),
            order(account, qty=D(10) ** 13),  # out of range
            order(account, qty=D(4), client_order_id="bot-1"),  # used by `first`
            order("no-such-account"),
            order(account, client_order_id="bot-1"),  # the original again
            order(account, qty=D(6), side=Side.SELL),
        ]
    )

    assert loads.count == 0
    kinds = [type(r) for r in results]
    assert kinds == [Order, OrderOutOfRange, ConflictError, NotFoundError, Order, Order]
    assert isinstance(results[4], Order) and results[4].id == first.id
    placed = [r for r in results if isinstance(r, Order) and r.id != first.id]
    assert [(o.qty, o.status) for o in placed] == [
        (D(3), OrderStatus.FILLED),
        (D(6), OrderStatus.FILLED),
    ]
    assert sorted(o.id for o in app.store.list_orders(account)) == sorted(
        [first.id] + [o.id for o in placed]
    )
    assert app.engine.position(account, "AAPL").qty == 10 + 3 - 6


def test_an_error_after_the_checks_still_fails_the_batch_and_rebuilds_the_engine(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    account = opened(app, D(1_000_000))
    loads = Loads(app)
    broken = app.engine.apply

    def failing(*args: Any) -> Any:
        raise ValidationError("a fee schedule the fill cannot price")

    app.engine.apply = failing  # type: ignore[method-assign]
    with pytest.raises(ValidationError, match="cannot price"):
        app.trading.submit_many([order(account)])
    app.engine.apply = broken  # type: ignore[method-assign]

    assert loads.count == 1  # the engine had changed: it is rebuilt, nothing is kept
    assert app.store.list_orders(account) == []
    assert app.engine.open_orders(account) == []
    assert app.engine.accounts[account].cash == D(1_000_000)


def test_the_order_batcher_answers_each_request_with_its_own_result(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    account = opened(app, D(1_000_000))
    batcher = OrderBatcher(app.trading)
    loads = Loads(app)

    async def together() -> list[Placed | BaseException]:
        sent = [order(account), order(account, qty=D(10) ** 13), order(account, qty=D(2))]
        return await asyncio.gather(*(batcher.submit(c) for c in sent), return_exceptions=True)

    good, bad, other = asyncio.run(together())

    assert batcher.batches == 1 and loads.count == 0  # one transaction, no retries alone
    assert isinstance(good, Placed) and good.order.status is OrderStatus.FILLED and good.created
    assert isinstance(bad, OrderOutOfRange) and isinstance(bad, VtradeError)
    assert isinstance(other, Placed) and other.order.qty == 2
    assert len(app.store.list_orders(account)) == 2


def test_repeats_of_a_client_order_id_sent_together_are_told_from_the_one_that_placed_it(
    make_service: Callable[..., Container],
) -> None:
    app = make_service()
    account = opened(app, D(1_000_000))
    batcher = OrderBatcher(app.trading, max_batch=3)  # a second batch for the fourth

    async def together() -> list[Placed]:
        sent = [order(account, client_order_id="retry-1") for _ in range(4)]
        return await asyncio.gather(*(batcher.submit(c) for c in sent))

    placed = asyncio.run(together())

    assert batcher.batches == 2 and len({p.order.id for p in placed}) == 1
    assert [p.created for p in placed] == [True, False, False, False]


def test_the_order_batcher_does_not_resend_a_batch_whose_commit_failed(
    make_service: Callable[..., Container],
) -> None:
    """A commit that fails may have gone through with its answer lost: each order gets the
    storage error, none is sent again on its own (it could be placed twice)."""
    app = make_service()
    account = opened(app)
    batcher = OrderBatcher(app.trading)
    commit = app.store.commit
    calls = []

    def lost(batch: Any, worked_ns: Any = None) -> None:
        calls.append(batch)
        raise OSError("server closed the connection unexpectedly")

    app.store.commit = lost  # type: ignore[method-assign]

    async def together() -> list[Order | BaseException]:
        sent = [order(account), order(account, qty=D(2))]
        return await asyncio.gather(*(batcher.submit(c) for c in sent), return_exceptions=True)

    results = asyncio.run(together())
    app.store.commit = commit  # type: ignore[method-assign]

    assert len(calls) == 1
    assert all(isinstance(r, StorageError) and "client_order_id" in r.message for r in results)
    assert app.store.list_orders(account) == [] and app.engine.open_orders(account) == []
