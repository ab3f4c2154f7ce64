"""Group commit for orders arriving over HTTP.

Every order submitted while the event loop is busy joins one batch, which the engine runs
and the store commits in one transaction (`TradingService.submit_many`); each request is
answered once that commit is done. Under load this turns many small commits into a few
large ones; a lone order still goes through at once (the batch runs on the next loop turn).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import NamedTuple

from vtrade.app.services import TradingService
from vtrade.core.errors import StorageError
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.orders import Order


class Placed(NamedTuple):
    order: Order
    created: bool  # False: the order a repeated client_order_id placed before


class OrderBatcher:
    """Collect concurrent submissions into one transaction per event-loop turn."""

    def __init__(
        self,
        trading: TradingService,
        max_batch: int = 512,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        """`on_batch(size)` is told the size of every batch (for metrics)."""
        self.trading = trading
        self.max_batch = max_batch
        self.on_batch = on_batch
        self._pending: list[tuple[SubmitOrder, asyncio.Future[Placed]]] = []
        self._scheduled = False
        self.batches = 0
        self.orders = 0

    async def submit(self, cmd: SubmitOrder) -> Placed:
        """Submit an order with whatever else arrives now; return it once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Placed] = loop.create_future()
        self._pending.append((cmd, future))
        if len(self._pending) >= self.max_batch:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(self.flush)
        return await future

    def flush(self) -> None:
        """Run and commit everything pending now."""
        self._scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        self.batches += 1
        self.orders += len(batch)
        if self.on_batch is not None:
            self.on_batch(len(batch))
        replayed: set[int] = set()
        try:
            orders = self.trading.submit_many([cmd for cmd, _ in batch], replayed)
        except StorageError as exc:  # the database failed: retrying could place them twice
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except Exception:  # a failure, not a refusal: retry them one by one, so it stays alone
            for cmd, future in batch:
                self._one(cmd, future)
            return
        for i, ((_, future), result) in enumerate(zip(batch, orders, strict=True)):
            if future.done():
                continue
            if isinstance(result, Exception):  # refused alone; its neighbours committed
                future.set_exception(result)
            else:
                future.set_result(Placed(result, i not in replayed))

    def _one(self, cmd: SubmitOrder, future: asyncio.Future[Placed]) -> None:
        replayed: set[int] = set()
        try:
            (result,) = self.trading.submit_many([cmd], replayed)
            if isinstance(result, Exception):
                raise result
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(Placed(result, not replayed))
