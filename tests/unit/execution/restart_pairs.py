"""Pairs of runs for restart tests: the same commands at the same simulated instants,
once on a service that keeps going and once on one that restarts (a new container on the same
database, at the instant the previous one had worked to) at chosen checkpoints.

A run is driven through `Run`: `go(t)` moves the clock and lets the market act up to `t`;
`checkpoint(t)` does the same and, in the restarting run, restarts there. Orders are named
by the order they were sent in (ids are salted by each start, so they differ between runs);
`outcome()` describes every order of every account (legs and replacements included, in the
order they were created) by what is meaningful: its status, filled quantity and the
(instant, quantity, price, liquidity, fee) of each of its fills."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from conftest import at
from market_2024 import MARKET_2024
from vtrade.bootstrap import Container, build
from vtrade.core.clock import SimulatedClock, iso
from vtrade.domain.commands import CancelOrder, OpenAccount, ReplaceOrder, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order
from vtrade.settings import ExecutionSettings, Settings

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

Outcome = dict[str, Any]


class Run:
    """One run of a scenario on its own database; `restarts`: whether checkpoints restart."""

    def __init__(self, url: str, start_ns: int, restarts: bool, **execution: Any) -> None:
        self.url, self.restarts, self.execution = url, restarts, execution
        self.containers: list[Container] = []
        self.accounts: list[str] = []
        self.sent: list[str] = []  # order ids, in the order they were sent
        self._build(start_ns)

    def _build(self, t_ns: int, catch_up_hours: int = 0) -> None:
        settings = Settings(
            database_url=self.url,
            market=MARKET_2024,
            execution=ExecutionSettings(catch_up_hours=catch_up_hours, **self.execution),
        )
        container = build(settings, SimulatedClock(t_ns))
        container.engine.advance(t_ns)  # as `make_container` (to the nanosecond)
        container.trading.start()
        self.containers.append(container)

    @property
    def service(self) -> Container:
        return self.containers[-1]

    def now(self) -> int:
        return self.service.clock.now_ns()

    def go(self, t_ns: int) -> None:
        """Let the market act on the open orders up to `t_ns` (committed)."""
        self.service.clock.set(t_ns)
        self.service.trading.advance(t_ns)

    def checkpoint(self, t_ns: int) -> None:
        """Work up to `t_ns`; the restarting run then restarts there."""
        self.go(t_ns)
        if self.restarts:
            self._build(t_ns)

    def down(self, t_ns: int, back_ns: int) -> None:
        """Work up to `t_ns`; the restarting run then stops there and starts again at
        `back_ns`, catching the downtime up (the run that keeps going works up to it)."""
        self.go(t_ns)
        if self.restarts:
            self.service.trading.stop()
            self._build(back_ns, catch_up_hours=168)
        else:
            self.go(back_ns)

    def open(self, balance: int = 10_000_000, profile: str = "realistic") -> int:
        account = self.service.trading.open_account(
            OpenAccount(
                id="o",
                ts_init=0,
                owner=f"owner{len(self.accounts)}",
                name="a",
                profile=profile,
                balance=Decimal(balance),
            )
        )
        self.accounts.append(account.id)
        return len(self.accounts) - 1

    def submit(
        self, account: int, symbol: str, side: Side, qty: Any = None, **kw: Any
    ) -> tuple[int, Order]:
        """Send an order at the clock's instant; its index among those sent, and the order."""
        cmd = SubmitOrder(
            id="s",
            ts_init=0,
            account_id=self.accounts[account],
            symbol=symbol,
            side=side,
            qty=None if qty is None else Decimal(qty),
            **kw,
        )
        order = self.service.trading.submit(cmd)
        self.sent.append(order.id)
        return len(self.sent) - 1, order

    def order_id(self, index: int) -> str:
        """The id of the order sent as `index`, or of the last replacement of it."""
        order_id = self.sent[index]
        while True:
            stored = self.service.store.get_order(order_id)
            if stored is None or stored.replaced_by is None:
                return order_id
            order_id = stored.replaced_by

    def cancel(self, index: int) -> Order:
        account_id = self.service.store.get_order(self.sent[index]).account_id  # type: ignore[union-attr]
        return self.service.trading.cancel(
            CancelOrder(id="c", ts_init=0, account_id=account_id, order_id=self.order_id(index))
        )

    def replace(self, index: int, **kw: Any) -> Order:
        order_id = self.order_id(index)
        account_id = self.service.store.get_order(order_id).account_id  # type: ignore[union-attr]
        return self.service.trading.replace(
            ReplaceOrder(id="r", ts_init=0, account_id=account_id, order_id=order_id, **kw)
        )

    def order(self, index: int) -> Order:
        found = self.service.store.get_order(self.order_id(index))
        assert found is not None
        return found

    def outcome(self) -> Outcome:
        """Every account's orders (in creation order), fills, cash and positions."""
        store = self.service.store
        result: Outcome = {}
        for n, account_id in enumerate(self.accounts):
            orders = store.list_orders(account_id, limit=100_000)
            orders.sort(key=lambda o: (o.created_ns, o.seq, o.id))
            fills = store.list_fills(account_id, limit=1_000_000)
            described = []
            for o in orders:
                mine = sorted(
                    (f for f in fills if f.order_id == o.id), key=lambda f: (f.ts_ns, f.id)
                )
                described.append(
                    {
                        "symbol": o.symbol,
                        "side": str(o.side),
                        "type": str(o.type),
                        "tif": str(o.tif),
                        "created": iso(o.created_ns),
                        "status": str(o.status),
                        "qty": o.qty,
                        "filled_qty": o.filled_qty,
                        "filled_notional": o.filled_notional,
                        "stop_price": o.stop_price,
                        "updated": iso(o.updated_ns),
                        "fills": [
                            (f.ts_ns, f.qty, f.price, f.receipt.liquidity, f.fee) for f in mine
                        ],
                    }
                )
            account = self.service.engine.accounts[account_id]
            positions = {
                p.symbol: (p.qty, p.avg_price)
                for p in self.service.engine.positions_of(account_id)
                if p.qty
            }
            result[f"account{n}"] = {
                "orders": described,
                "cash": account.cash,
                "positions": positions,
            }
        return result

    def close(self) -> None:
        for container in self.containers:
            container.store.close()


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two outcomes first differ, as a readable path and both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            found = first_difference(a.get(key), b.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return f"{path}: {len(a)} items kept going, {len(b)} with the restart"
        return None
    return None if a == b else f"{path}: kept going {a!r}, restarted {b!r}"


Scenario = Callable[[Run], None]


class Pairs:
    """Plays a scenario on a run that keeps going and on one that restarts at its
    checkpoints, each on its own fresh database (`fresh_database`)."""

    def __init__(self, fresh_database: Callable[[], str]) -> None:
        self.fresh_database = fresh_database
        self.made: list[Run] = []

    def play(self, scenario: Scenario, start: str, **execution: Any) -> tuple[Run, Run]:
        pair = []
        for restarts in (False, True):
            run = Run(self.fresh_database(), at(start), restarts, **execution)
            self.made.append(run)
            scenario(run)
            pair.append(run)
        return pair[0], pair[1]

    def close(self) -> None:
        for run in self.made:
            run.close()


def pairs(fresh_database: Callable[[], str]) -> Iterator[Pairs]:
    """The body of each test file's `pairs` fixture."""
    made = Pairs(fresh_database)
    yield made
    made.close()


def assert_same(kept: Run, restarted: Run) -> None:
    """The restarting run gave every order the fills and the end of the one that kept going."""
    a, b = kept.outcome(), restarted.outcome()
    assert a == b, first_difference(a, b)


def quote_of(run: Run, symbol: str) -> Any:
    """The top of the book in `symbol` at the run's instant."""
    return run.service.market.books.quote(symbol, run.now())


def tick_round(price: Decimal, tick: str = "0.01") -> Decimal:
    return price.quantize(Decimal(tick))
