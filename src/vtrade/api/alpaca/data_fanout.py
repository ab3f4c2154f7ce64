"""Alpaca's market-data streams share one computation: each (symbol, channel) that any client
follows is computed once per push (`data_feed`) and shared out to every client following it
(the protocol: `data_stream`), as the gateway's `MarketFeed` does for the native `quotes`.

Every `max(step_ms, 50)` ms one task computes each followed symbol, yielding to the loop
between symbols, and encodes each message once per wire format its clients use (msgpack with
msgpack timestamps, or JSON with RFC 3339 instants). A client is sent the items from its own
subscription instant on (Alpaca replays nothing), and the day's bar and the order book when
they differ from the ones it was last sent: in frames of `FRAME_MESSAGES` messages, each sent
as soon as it is full (the last of a push at its end), `MAX_MESSAGES_PER_PUSH` at most per
push. A client that falls too far behind is dropped by its gateway `Client`; one following a
symbol that fails is sent error 500 and closed.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import msgpack
import orjson
from starlette.requests import HTTPConnection

from vtrade.api.alpaca import data_feed
from vtrade.api.alpaca.data_feed import Feed, Message
from vtrade.api.gateway.client import Client, Frame
from vtrade.api.state import state_of
from vtrade.bootstrap import Container
from vtrade.core.clock import iso
from vtrade.core.errors import VtradeError

log = logging.getLogger("vtrade.api.ws")

Key = tuple[str, str]  # (our symbol, channel)
FRAME_MESSAGES = 1_000  # alpaca-py refuses frames over 1 MiB
MAX_MESSAGES_PER_PUSH = 10_000  # in all (`data_feed.MAX_PER_PUSH`: per symbol and channel)
INTERNAL_ERROR = 1011  # WebSocket close code: the server met an error it cannot go past
_PACKER = msgpack.Packer()


@dataclass(eq=False)
class Subscriber:
    """One client of the streams: its connection, its wire format, and per (symbol, channel)
    it follows the earliest instant it is sent for and the day's bar or book last sent."""

    client: Client
    packed: bool  # msgpack, else JSON text
    first: dict[Key, int] = field(default_factory=dict)
    seen: dict[Key, Message] = field(default_factory=dict)

    def send(self, messages: list[Message]) -> None:
        """Send protocol messages (greeting, acknowledgement, error)."""
        self.send_encoded([_encode(m, self.packed) for m in messages])

    def send_encoded(self, pieces: list[bytes]) -> None:
        """Send encoded messages in frames of at most `FRAME_MESSAGES`."""
        for frame in _frames(pieces, self.packed):
            self.client.send(frame)


def data_hub_of(conn: HTTPConnection) -> DataHub:
    """The app's streams hub, made on first use (call it on the loop)."""
    state = state_of(conn)
    found = state.extras.get("alpaca_data")
    if found is None:
        found = state.extras["alpaca_data"] = DataHub(state.container)
    assert isinstance(found, DataHub)
    return found


class DataHub:
    """The symbols followed, who follows each channel of them, and the task that pushes
    while anyone does."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.every_s = max(container.settings.api.step_ms, 50) / 1000
        self._feeds: dict[str, Feed] = {}  # by our symbol
        self._subs: dict[Key, dict[Subscriber, None]] = {}
        self._task: asyncio.Task[None] | None = None

    def follow(self, sub: Subscriber, symbol: str, channel: str) -> None:
        """Send `sub` what `channel` of `symbol` brings from now on."""
        key = (symbol, channel)
        if key in sub.first:
            return
        now = self.container.clock.now_ns()
        sub.first[key] = data_feed.first(channel, now)
        feed = self._feeds.get(symbol)
        if feed is None:
            feed = self._feeds[symbol] = Feed(self.container.catalog.get(symbol))
        data_feed.start(feed, channel, now)
        self._subs.setdefault(key, {})[sub] = None
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._poll())

    def unfollow(self, sub: Subscriber, symbol: str, channel: str) -> None:
        """Stop sending `sub` `channel` of `symbol`; stop computing it if nobody follows it."""
        key = (symbol, channel)
        sub.first.pop(key, None)
        sub.seen.pop(key, None)
        subs = self._subs.get(key)
        if subs is None:
            return
        subs.pop(sub, None)
        if subs:
            return
        del self._subs[key]
        feed = self._feeds[symbol]
        data_feed.stop(feed, channel)
        if not feed.cursor:
            del self._feeds[symbol]

    def leave(self, sub: Subscriber) -> None:
        """Stop everything `sub` follows (idempotent)."""
        for symbol, channel in list(sub.first):
            self.unfollow(sub, symbol, channel)

    async def push(self) -> None:
        """Compute each followed symbol once; queue to every client its share."""
        market = self.container.market
        now = self.container.clock.now_ns()
        outbox = _Outbox()
        for symbol, feed in list(self._feeds.items()):
            if self._feeds.get(symbol) is not feed:
                continue  # nobody follows it any more
            try:
                pushed = data_feed.push(market, feed, now)
            except Exception as exc:  # e.g. the clock left the market's years: say so, stop
                self._fail(symbol, exc)
                continue
            for channel, messages in pushed.items.items():
                if messages:
                    self._share_items((symbol, channel), messages, outbox)
            for channel, (at, latest) in pushed.latest.items():
                self._share_latest((symbol, channel), at, latest, outbox)
            outbox.send(whole_frames_only=True)
            if pushed.items or pushed.latest:  # it read the market (not so while time stands)
                await asyncio.sleep(0)  # between symbols, the engine and others go on
        outbox.send(whole_frames_only=False)

    def _share_items(self, key: Key, messages: list[Message], outbox: _Outbox) -> None:
        """Items to each follower of `key`: those from its subscription instant on."""
        encoded = _Encoded(messages)
        for sub in self._subs.get(key, ()):
            pieces = encoded.pieces(sub.packed)
            first = sub.first[key]
            if first > messages[0]["t"]:  # it subscribed after this span began
                pieces = pieces[bisect.bisect_left(messages, first, key=_instant) :]
            outbox.add(sub, pieces)

    def _share_latest(self, key: Key, at: int, latest: Message, outbox: _Outbox) -> None:
        """The day's bar or book standing at `at` to each follower of `key` subscribed by
        then that was not sent this one yet."""
        encoded = _Encoded([latest])
        for sub in self._subs.get(key, ()):
            if at >= sub.first[key] and sub.seen.get(key) is not latest:
                sub.seen[key] = latest
                outbox.add(sub, encoded.pieces(sub.packed))

    def _fail(self, symbol: str, exc: Exception) -> None:
        """Tell the followers of `symbol` why their stream stops, and close them."""
        log.exception("market-data stream of %s stopped", symbol)
        reason = exc.message if isinstance(exc, VtradeError) else "see the server's log"
        failed = {sub: None for key, subs in self._subs.items() if key[0] == symbol for sub in subs}
        for sub in failed:
            sub.send([{"T": "error", "code": 500, "msg": f"internal error: {reason}"}])
            sub.client.close(INTERNAL_ERROR, "internal error")
            self.leave(sub)

    async def _poll(self) -> None:
        try:
            while self._subs:
                await asyncio.sleep(self.every_s)
                try:
                    await self.push()
                except Exception:
                    log.exception("market-data push failed")
        finally:
            self._task = None


class _Outbox:
    """What one push has for each client, sent a frame at a time as soon as a frame is full:
    the clients' writes (and the compression of their frames) spread over the push instead of
    coming all at once at its end. At most `MAX_MESSAGES_PER_PUSH` per client: the rest of a
    push (after a jump of the clock) is dropped."""

    def __init__(self) -> None:
        self._pending: dict[Subscriber, list[bytes]] = {}
        self._sent: dict[Subscriber, int] = {}
        self._full: dict[Subscriber, None] = {}  # clients with a whole frame pending

    def add(self, sub: Subscriber, pieces: list[bytes]) -> None:
        if not pieces:
            return
        pending = self._pending.setdefault(sub, [])
        pending.extend(pieces)
        if len(pending) >= FRAME_MESSAGES:
            self._full[sub] = None

    def send(self, whole_frames_only: bool) -> None:
        """Send what is pending: only whole frames, or everything (at the end of a push)."""
        for sub in list(self._full if whole_frames_only else self._pending):
            pending = self._pending[sub]
            ready = len(pending)
            if whole_frames_only:
                ready -= ready % FRAME_MESSAGES
            sent = self._sent.get(sub, 0)
            allowed = min(ready, MAX_MESSAGES_PER_PUSH - sent)
            sub.send_encoded(pending[:allowed])
            self._sent[sub] = sent + allowed
            del pending[:ready]
        self._full.clear()


class _Encoded:
    """Messages encoded once per wire format, when a client first needs that one."""

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        self._by_format: dict[bool, list[bytes]] = {}

    def pieces(self, packed: bool) -> list[bytes]:
        found = self._by_format.get(packed)
        if found is None:
            stamp = msgpack.Timestamp.from_unix_nano if packed else iso
            found = [_encode({**m, "t": stamp(m["t"])}, packed) for m in self.messages]
            self._by_format[packed] = found
        return found


def _instant(message: Message) -> int:
    t: int = message["t"]
    return t


def _encode(message: Message, packed: bool) -> bytes:
    encoded: bytes = msgpack.packb(message) if packed else orjson.dumps(message)
    return encoded


def _frames(pieces: list[bytes], packed: bool) -> Iterator[Frame]:
    """Encoded messages as frames of at most `FRAME_MESSAGES`: msgpack arrays, or JSON text."""
    for i in range(0, len(pieces), FRAME_MESSAGES):
        part = pieces[i : i + FRAME_MESSAGES]
        if packed:
            yield _PACKER.pack_array_header(len(part)) + b"".join(part)
        else:
            yield (b"[" + b",".join(part) + b"]").decode()
