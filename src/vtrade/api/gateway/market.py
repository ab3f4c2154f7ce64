"""The `quotes` and `book` channels: watched quotes and books are polled every
`max(step_ms, 50)` ms and pushed when changed, yielding between symbols so writers drain."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from vtrade.api.gateway.channels import MARKET_CHANNELS, QUOTES
from vtrade.api.gateway.client import Client
from vtrade.core.errors import VtradeError
from vtrade.domain.market_data import BookSnapshot, Quote

if TYPE_CHECKING:
    from vtrade.api.gateway.hub import Gateway

log = logging.getLogger("vtrade.api.ws")

BOOK_DEPTH = 10


class MarketFeed:
    """What each watched quote or book last pushed, the clients new to it, and the task that
    polls them while anyone watches."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.every_s = max(gateway.container.settings.api.step_ms, 50) / 1000
        self._last: dict[tuple[str, str], object] = {}  # last quote or book pushed
        self._fresh: dict[tuple[str, str], set[Client]] = {}  # new to a quote or book
        self._task: asyncio.Task[None] | None = None

    def watch(self, client: Client, key: tuple[str, str]) -> None:
        """Send `client` the current quote or book at the next poll; poll while anyone watches."""
        self._fresh.setdefault(key, set()).add(client)
        if self._task is None:
            self._task = self.gateway.loop.create_task(self._poll())

    def unwatch(self, client: Client, key: tuple[str, str]) -> None:
        """`client` no longer waits for the current quote or book of `key`."""
        self._fresh.get(key, set()).discard(client)

    def forget(self, key: tuple[str, str]) -> None:
        """Nobody watches `key` any more."""
        self._last.pop(key, None)
        self._fresh.pop(key, None)

    async def push(self) -> int:
        """Push each watched quote and book that changed since the last push (and the current
        one to clients new to it); return how many went out."""
        container = self.gateway.container
        now = container.clock.now_ns()
        market, pushed = container.market, 0
        for key in self.gateway.watched(MARKET_CHANNELS):
            fresh = self._fresh.pop(key, set())
            channel, symbol = key
            try:
                snap = (
                    market.quote(symbol, now)
                    if channel == QUOTES
                    else market.book(symbol, now, BOOK_DEPTH)
                )
            except VtradeError as exc:
                log.warning("no %s for %s: %s", channel, symbol, exc.message)
                continue
            seen = _seen(snap)
            if self._last.get(key) != seen:
                self._last[key] = seen
                self.gateway.fan_out(channel, symbol, snap)
            elif fresh:
                self.gateway.fan_out(channel, symbol, snap, only=fresh)
            else:
                continue
            pushed += 1
            await asyncio.sleep(0)  # writers drain before the next symbol: no burst to overflow
        return pushed

    async def _poll(self) -> None:
        try:
            while self.gateway.watched(MARKET_CHANNELS):
                await asyncio.sleep(self.every_s)
                try:
                    await self.push()
                except Exception:
                    log.exception("market push failed")
        finally:
            self._task = None


def _seen(snap: Quote | BookSnapshot) -> object:
    """What makes a quote or book different from the last one pushed (not its timestamp)."""
    if isinstance(snap, Quote):
        return (snap.bid, snap.ask, snap.bid_size, snap.ask_size)
    return (snap.bids, snap.asks)
