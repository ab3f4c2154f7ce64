"""The WebSocket fan-out shared by the native `/api/v1/ws` and the Alpaca `/stream`.

One `Gateway` per app, made by `gateway_of(conn)` on the first WebSocket and kept in
`state.extras["gateway"]`. It follows the bus only for what someone watches: the first client
on an account's `portfolio`, `orders` or `alerts` channel subscribes that exact topic and the
last to leave unsubscribes it, so the portfolio service still skips unread deltas.

Bus handlers run synchronously on the loop's thread inside the runtime step, so an event is
encoded once per wire format (`Encoder`), never per client, and put on each subscriber's
queue with `put_nowait`; one writer task per client drains it. A client more than
`settings.api.ws_queue` messages behind that sends nothing for `LAG_GRACE_S` (or falls
`HARD_LAG_FACTOR` times that far behind) is closed with 1008 "client too slow: N messages
behind" and counted in `ws_dropped`; nobody waits for it. The grace lets a reading client
take a burst larger than its queue (a bot's batch of orders arrives in one step, before any
writer can run). Order events carry the order as it
stood just after the event and fills their receipt; a replacement's events wait for the old
order's `replaced` (alpaca-compat.md §9). Watched quotes and books are polled every
`max(step_ms, 50)` ms and pushed when changed, yielding between symbols so writers drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import Message
from starlette.websockets import WebSocket

from vtrade.api.auth import Caller
from vtrade.api.state import ApiState, state_of
from vtrade.bootstrap import Container
from vtrade.core import topics
from vtrade.core.errors import VtradeError
from vtrade.domain import events as ev
from vtrade.domain.market_data import BookSnapshot, Quote
from vtrade.domain.orders import Fill, Order, OrderStatus

log = logging.getLogger("vtrade.api.ws")

Frame = str | bytes
Encoder = Callable[[str, Any], Frame | None]  # (channel, update) -> frame, None: not for us

PORTFOLIO, ORDERS, ALERTS, QUOTES, BOOK = "portfolio", "orders", "alerts", "quotes", "book"
ACCOUNT_CHANNELS = (PORTFOLIO, ORDERS, ALERTS)
MARKET_CHANNELS = (QUOTES, BOOK)
CHANNELS = ACCOUNT_CHANNELS + MARKET_CHANNELS
AUTH_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 10.0
SLOW_CLOSE_TIMEOUT_S = 60.0
BOOK_DEPTH = 10
POLICY_VIOLATION = 1008
LAG_GRACE_S = 1.0
HARD_LAG_FACTOR = 16
_HOLD_LIMIT = 10_000
_TOPICS = {PORTFOLIO: topics.portfolio, ORDERS: topics.orders, ALERTS: topics.alerts}


def gateway_of(conn: HTTPConnection) -> Gateway:
    """The app's gateway, made on first use (call it from a WebSocket route, on the loop)."""
    state = state_of(conn)
    found = state.extras.get("gateway")
    if found is None:
        found = state.extras["gateway"] = Gateway(state, asyncio.get_running_loop())
    assert isinstance(found, Gateway)
    return found


async def receive_within(websocket: WebSocket, client: Client, deadline: float) -> Message | None:
    """The next message; None once `deadline` (loop time) passes before the client has
    authenticated. An authenticated client may stay silent as long as it likes."""
    if client.who is not None:
        return await websocket.receive()
    try:
        remaining = deadline - asyncio.get_running_loop().time()
        return await asyncio.wait_for(websocket.receive(), remaining)
    except TimeoutError:
        return None


def auth_deadline() -> float:
    """Loop time by which a new connection must have authenticated."""
    return asyncio.get_running_loop().time() + AUTH_TIMEOUT_S


def close_reason(message: str) -> str:
    """Cut a message to the 123 bytes a WebSocket close reason may hold."""
    raw = message.encode()
    return message if len(raw) <= 123 else raw[:120].decode(errors="ignore") + "..."


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


class Client:
    """One connection: who it is, what it watches, and its bounded queue of frames."""

    def __init__(self, gateway: Gateway, websocket: WebSocket, encoder: Encoder) -> None:
        self.gateway = gateway
        self.websocket = websocket
        self.encoder = encoder
        self.who: Caller | None = None
        self.account: str | None = None  # the account a protocol acts on, once known
        self.subs: set[tuple[str, str]] = set()
        self.open = True
        self.closing = False  # a close is queued behind the last frames
        self.queue: asyncio.Queue[Frame | _Close] = asyncio.Queue()
        self.sent = 0  # frames written so far: progress, for the lag check
        self.lag_check: asyncio.TimerHandle | None = None
        self.writer = asyncio.create_task(self._write())
        self.closer: asyncio.Task[None] | None = None  # closing a client that fell behind

    def send(self, frame: Frame) -> None:
        """Queue a frame without waiting; a client that stays too far behind is dropped."""
        if not self.open:
            return
        self.queue.put_nowait(frame)
        behind = self.queue.qsize()
        if behind > HARD_LAG_FACTOR * self.gateway.limit:
            self.gateway.drop(self)
        elif behind > self.gateway.limit and self.lag_check is None:
            self._watch_lag(self.sent)

    def _watch_lag(self, sent_before: int) -> None:
        self.lag_check = self.gateway.loop.call_later(LAG_GRACE_S, self._check_lag, sent_before)

    def _check_lag(self, sent_before: int) -> None:
        self.lag_check = None
        if not self.open or self.queue.qsize() <= self.gateway.limit:
            return
        if self.sent == sent_before:
            self.gateway.drop(self)  # behind, and nothing went out for a whole grace period
        else:
            self._watch_lag(self.sent)

    def close(self, code: int, reason: str) -> None:
        """Close once the frames queued before have gone out."""
        if not self.open:
            return
        self.queue.put_nowait(_Close(code, close_reason(reason)))
        self.open, self.closing = False, True
        self.gateway.forget(self)

    async def finished(self) -> None:
        """Wait (bounded) until everything queued, and the close, have been sent: a route
        that returns earlier would end the connection without the close frame and reason."""
        if self.closing:
            await asyncio.wait({self.writer}, timeout=CLOSE_TIMEOUT_S)
        if self.closer is not None:
            await asyncio.wait({self.closer}, timeout=SLOW_CLOSE_TIMEOUT_S)

    async def _write(self) -> None:
        ws = self.websocket
        try:
            while True:
                item = await self.queue.get()
                if isinstance(item, _Close):
                    await ws.close(item.code, item.reason)
                    return
                if isinstance(item, bytes):
                    await ws.send_bytes(item)
                else:
                    await ws.send_text(item)
                self.sent += 1
        except Exception as exc:  # the peer went away mid-send: the reader sees it too
            log.debug("websocket send ended: %r", exc)
            self.open = False


@dataclass(slots=True)
class _Held:
    replaced: str  # the order whose `replaced` event releases these
    updates: list[OrderUpdate] = field(default_factory=list)


class OrderUpdate:
    """An order event, the order as it stood just after it, and (for fills) the fill."""

    def __init__(self, event: ev.OrderEvent, order: Order, container: Container) -> None:
        self.event = event
        self.order = order
        self.container = container
        self._fills: list[Fill] | None = None

    @property
    def kind(self) -> str:
        """accepted, fill, partial_fill, canceled, expired, rejected or replaced."""
        e = self.event
        if isinstance(e, ev.OrderFilled):
            return "partial_fill" if e.partial else "fill"
        return _CLOSING[type(e)].value if type(e) in _CLOSING else "accepted"

    def fill(self) -> Fill | None:
        """The fill this event reports, with its receipt (read once, from the ledger)."""
        e = self.event
        if not isinstance(e, ev.OrderFilled):
            return None
        return next((f for f in self.order_fills() if f.id == e.fill_id), None)

    def order_fills(self) -> list[Fill]:
        """The order's fills, newest first."""
        if self._fills is None:
            e = self.event
            self._fills = self.container.store.list_fills(
                e.account_id, order_id=e.order_id, limit=_HOLD_LIMIT
            )
        return self._fills


_CLOSING: dict[type, OrderStatus] = {
    ev.OrderCanceled: OrderStatus.CANCELED,
    ev.OrderExpired: OrderStatus.EXPIRED,
    ev.OrderRejected: OrderStatus.REJECTED,
    ev.OrderReplaced: OrderStatus.REPLACED,
}


class Gateway:
    """Clients, their subscriptions by (channel, account or symbol), and the bus feed."""

    def __init__(self, state: ApiState, loop: asyncio.AbstractEventLoop) -> None:
        s = state.container.settings.api
        self.state = state
        self.container = state.container
        self.metrics = state.metrics
        self.limit = s.ws_queue
        self.market_every_s = max(s.step_ms, 50) / 1000
        self.clients: set[Client] = set()
        self.loop = loop
        self._thread = threading.get_ident()
        self._subs: dict[tuple[str, str], dict[Client, None]] = {}
        self._bus: dict[tuple[str, str], Callable[[], None]] = {}
        self._last: dict[tuple[str, str], object] = {}  # last quote or book pushed
        self._fresh: dict[tuple[str, str], set[Client]] = {}  # new to a quote or book
        self._held: dict[str, _Held] = {}
        self._market: asyncio.Task[None] | None = None

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
            handler = self._on_order if channel == ORDERS else self._on_fanned
            self._bus[(channel, key)] = self.container.bus.subscribe(_TOPICS[channel](key), handler)
        if channel in MARKET_CHANNELS:
            self._fresh.setdefault((channel, key), set()).add(client)
            if self._market is None:
                self._market = self.loop.create_task(self._market_loop())

    def unsubscribe(self, client: Client, channel: str, key: str) -> None:
        client.subs.discard((channel, key))
        self._fresh.get((channel, key), set()).discard(client)
        clients = self._subs.get((channel, key))
        if clients is None:
            return
        clients.pop(client, None)
        if clients:
            return
        del self._subs[(channel, key)]
        self._last.pop((channel, key), None)
        self._fresh.pop((channel, key), None)
        unsubscribe = self._bus.pop((channel, key), None)
        if unsubscribe is not None:
            unsubscribe()

    def subscribers(self, channel: str, key: str) -> int:
        """How many clients watch `channel` for `key`."""
        return len(self._subs.get((channel, key), ()))

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

    def _on_order(self, event: object) -> None:
        if not isinstance(event, ev.OrderEvent):
            return
        account = event.account_id
        update = self._update(event)
        held = self._held.get(account)
        if held is not None:
            if isinstance(event, ev.OrderReplaced) and event.order_id == held.replaced:
                del self._held[account]
                if update is not None:
                    self.fan_out(ORDERS, account, update)
                for each in held.updates:
                    self.fan_out(ORDERS, account, each)
                return
            ours = event.order_id == held.updates[0].event.order_id
            if ours and len(held.updates) < _HOLD_LIMIT:
                if update is not None:
                    held.updates.append(update)
                return
            del self._held[account]  # its `replaced` never came (a redelivery): let it go
            for each in held.updates:
                self.fan_out(ORDERS, account, each)
        if update is None:
            return
        if isinstance(event, ev.OrderAccepted) and update.order.replaces:
            self._held[account] = _Held(update.order.replaces, [update])
            return
        self.fan_out(ORDERS, account, update)

    def _update(self, event: ev.OrderEvent) -> OrderUpdate | None:
        """The order as it stood just after `event` (it may have moved on since)."""
        engine = self.container.engine
        order = engine.orders.get(event.order_id) or engine.by_client_id.get(
            (event.account_id, event.client_order_id)
        )
        if order is None or order.id != event.order_id:
            order = self.container.store.get_order(event.order_id)
        if order is None:
            log.warning("order %s of event %s not found", event.order_id, event.id)
            return None
        patch: dict[str, Any] = {"updated_ns": event.ts_event}
        update = OrderUpdate(event, order, self.container)
        if isinstance(event, ev.OrderAccepted):
            patch.update(
                status=OrderStatus(event.status),
                filled_qty=Decimal(0),
                filled_notional=Decimal(0),
                replaced_by=None,
            )
        elif isinstance(event, ev.OrderFilled):
            patch["status"] = OrderStatus.PARTIALLY_FILLED if event.partial else OrderStatus.FILLED
            patch["filled_qty"] = event.filled_qty
            if order.filled_qty != event.filled_qty:  # filled further since: add up to here
                fills = update.order_fills()
                mine = next((k for k, f in enumerate(fills) if f.id == event.fill_id), 0)
                patch["filled_notional"] = sum((f.qty * f.price for f in fills[mine:]), Decimal(0))
        elif type(event) in _CLOSING:
            patch["status"] = _CLOSING[type(event)]
        update.order = dataclasses.replace(order, **patch)
        return update

    # -- market data --------------------------------------------------------------------------

    async def push_market(self) -> int:
        """Push each watched quote and book that changed since the last push (and the current
        one to clients new to it); return how many went out."""
        now = self.container.clock.now_ns()
        market, pushed = self.container.market, 0
        for key in [k for k in self._subs if k[0] in MARKET_CHANNELS]:
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
                self.fan_out(channel, symbol, snap)
            elif fresh:
                self.fan_out(channel, symbol, snap, only=fresh)
            else:
                continue
            pushed += 1
            await asyncio.sleep(0)  # writers drain before the next symbol: no burst to overflow
        return pushed

    async def _market_loop(self) -> None:
        try:
            while any(k[0] in MARKET_CHANNELS for k in self._subs):
                await asyncio.sleep(self.market_every_s)
                try:
                    await self.push_market()
                except Exception:
                    log.exception("market push failed")
        finally:
            self._market = None


def _seen(snap: Quote | BookSnapshot) -> object:
    """What makes a quote or book different from the last one pushed (not its timestamp)."""
    if isinstance(snap, Quote):
        return (snap.bid, snap.ask, snap.bid_size, snap.ask_size)
    return (snap.bids, snap.asks)
