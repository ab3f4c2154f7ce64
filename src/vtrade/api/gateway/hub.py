"""The `Gateway`: the app's WebSocket clients, their subscriptions by (channel, account or
symbol), and the bus topics followed for them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Callable

from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from vtrade.api.gateway.channels import ALERTS, MARKET_CHANNELS, ORDERS, PORTFOLIO
from vtrade.api.gateway.client import (
    POLICY_VIOLATION,
    SLOW_CLOSE_TIMEOUT_S,
    Client,
    Encoder,
    Frame,
)
from vtrade.api.gateway.market import MarketFeed
from vtrade.api.gateway.orders import OrderFeed
from vtrade.api.state import ApiState, state_of
from vtrade.core import topics
from vtrade.domain import events as ev

log = logging.getLogger("vtrade.api.ws")

_TOPICS = {PORTFOLIO: topics.portfolio, ORDERS: topics.orders, ALERTS: topics.alerts}


def gateway_of(conn: HTTPConnection) -> Gateway:
    """The app's gateway, made on first use (call it from a WebSocket route, on the loop)."""
    state = state_of(conn)
    found = state.extras.get("gateway")
    if found is None:
        found = state.extras["gateway"] = Gateway(state, asyncio.get_running_loop())
    assert isinstance(found, Gateway)
    return found


class Gateway:
    """Clients, their subscriptions by (channel, account or symbol), and the bus feed."""

    def __init__(self, state: ApiState, loop: asyncio.AbstractEventLoop) -> None:
        self.state = state
        self.container = state.container
        self.metrics = state.metrics
        self.limit = state.container.settings.api.ws_queue
        self.clients: set[Client] = set()
        self.loop = loop
        self._thread = threading.get_ident()
        self._subs: dict[tuple[str, str], dict[Client, None]] = {}
        self._bus: dict[tuple[str, str], Callable[[], None]] = {}
        self._orders = OrderFeed(self.container, functools.partial(self.fan_out, ORDERS))
        self._market = MarketFeed(self)
        self.container.identity.ended.append(self._credentials_ended)

    # -- clients ------------------------------------------------------------------------------

    def connect(self, websocket: WebSocket, encoder: Encoder) -> Client:
        """Register an accepted WebSocket; its writer task starts now."""
        client = Client(self, websocket, encoder)
        self.clients.add(client)
        self.metrics.ws_clients.inc()
        return client

    def disconnect(self, client: Client) -> None:
        """Forget a connection that has ended (idempotent)."""
        if client not in self.clients:
            return
        self.clients.discard(client)
        self.metrics.ws_clients.dec()
        client.open = False
        self.forget(client)
        if not client.writer.done():
            client.writer.cancel()

    def _credentials_ended(self, kind: str, value: str) -> None:
        """A key was revoked or a session signed out (from a request's thread): close the
        connections they authenticated, on the loop."""
        if threading.get_ident() == self._thread:
            self._close_ended(kind, value)
            return
        try:
            self.loop.call_soon_threadsafe(self._close_ended, kind, value)
        except RuntimeError:  # this app's loop has stopped: it has no connection left
            pass

    def _close_ended(self, kind: str, value: str) -> None:
        for client in list(self.clients):
            who = client.who
            if who is None:
                continue
            if kind == "key" and who.principal is not None and who.principal.key_id == value:
                client.close(POLICY_VIOLATION, "the API key was revoked")
            elif kind == "session" and who.session_token == value:
                client.close(POLICY_VIOLATION, "the session was signed out")

    def forget(self, client: Client) -> None:
        """Drop every subscription of `client`."""
        for channel, key in list(client.subs):
            self.unsubscribe(client, channel, key)

    def drop(self, client: Client) -> None:
        """Close a client that fell `limit` messages behind, without waiting for it."""
        if not client.open:
            return
        client.open = False
        reason = f"client too slow: {self.limit} messages behind"
        self.metrics.ws_dropped.inc()
        log.warning("dropping websocket client: %s", reason)
        self.forget(client)
        client.writer.cancel()
        client.closer = self.loop.create_task(self._close_slow(client, reason))

    async def _close_slow(self, client: Client, reason: str) -> None:
        # The close frame waits behind what the socket already holds; if the peer never
        # reads, the server's keepalive ends the connection.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                client.websocket.close(POLICY_VIOLATION, reason), SLOW_CLOSE_TIMEOUT_S
            )

    # -- subscriptions ------------------------------------------------------------------------

    def subscribe(self, client: Client, channel: str, key: str) -> None:
        """Send `client` the updates of `channel` for an account id or a symbol."""
        if not client.open or (channel, key) in client.subs:
            return
        clients = self._subs.setdefault((channel, key), {})
        clients[client] = None
        client.subs.add((channel, key))
        if channel in _TOPICS and (channel, key) not in self._bus:
            handler = self._orders.on_order if channel == ORDERS else self._on_fanned
            self._bus[(channel, key)] = self.container.bus.subscribe(_TOPICS[channel](key), handler)
        if channel in MARKET_CHANNELS:
            self._market.watch(client, (channel, key))

    def unsubscribe(self, client: Client, channel: str, key: str) -> None:
        client.subs.discard((channel, key))
        self._market.unwatch(client, (channel, key))
        clients = self._subs.get((channel, key))
        if clients is None:
            return
        clients.pop(client, None)
        if clients:
            return
        del self._subs[(channel, key)]
        self._market.forget((channel, key))
        unsubscribe = self._bus.pop((channel, key), None)
        if unsubscribe is not None:
            unsubscribe()

    def subscribers(self, channel: str, key: str) -> int:
        """How many clients watch `channel` for `key`."""
        return len(self._subs.get((channel, key), ()))

    def watched(self, channels: tuple[str, ...]) -> list[tuple[str, str]]:
        """The (channel, key) pairs of `channels` that someone watches."""
        return [k for k in self._subs if k[0] in channels]

    # -- fan-out ------------------------------------------------------------------------------

    def fan_out(
        self, channel: str, key: str, update: object, only: set[Client] | None = None
    ) -> None:
        """Encode `update` once per wire format and queue it for every subscriber (or those
        of them in `only`)."""
        clients = self._subs.get((channel, key))
        if not clients:
            return
        frames: dict[Encoder, Frame | None] = {}
        batch: list[tuple[Client, Frame]] = []
        for client in clients:
            if only is not None and client not in only:
                continue
            encoder = client.encoder
            if encoder not in frames:
                try:
                    frames[encoder] = encoder(channel, update)
                except Exception:
                    log.exception("encoding %s for %s failed", channel, key)
                    frames[encoder] = None
            frame = frames[encoder]
            if frame is not None:
                batch.append((client, frame))
        if batch:
            self._deliver(batch)

    def _deliver(self, batch: list[tuple[Client, Frame]]) -> None:
        if threading.get_ident() != self._thread:  # a step run by hand from another thread
            self.loop.call_soon_threadsafe(self._deliver, batch)
            return
        for client, frame in batch:
            client.send(frame)

    def _on_fanned(self, event: object) -> None:
        if isinstance(event, ev.PortfolioValued):
            self.fan_out(PORTFOLIO, event.account_id, event)
        elif isinstance(event, ev.PortfolioAlert):
            self.fan_out(ALERTS, event.account_id, event)
