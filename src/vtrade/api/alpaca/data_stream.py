"""Alpaca's market-data WebSockets: `/v2/{feed}` (every instrument but crypto pairs) and
`/v1beta3/crypto/{location}` (crypto pairs), as alpaca-py's `StockDataStream` and
`CryptoDataStream` and alpaca-trade-api's `Stream` speak them (what is sent: `data_feed`,
computed once per push for all clients and shared out by `data_fanout`).

The server greets the client (`connected`); the client signs in with `{"action": "auth",
"key": ..., "secret": ...}` within 10 s and is answered `authenticated`, or error 402 and
closed; it then subscribes and unsubscribes by channel (`{"action": "subscribe", "trades":
["AAPL"], "bars": ["*"]}`) and is answered each time with every channel's symbols
(`subscription`). Frames are msgpack, with instants as msgpack timestamps, for a client that
asked for it (`Content-Type: application/msgpack`, as alpaca-py does), else JSON text with
RFC 3339 instants. Errors are Alpaca's: 400 invalid syntax (with what was wrong), 401 not
authenticated, 402 auth failed, 403 already authenticated, 404 auth timeout. A subscription
naming an unknown symbol, or one of the other stream's, changes nothing. Options and news
(`/v1beta1/...`) are not served: a client is greeted and its sign-in answered with error 409
"insufficient subscription", on which alpaca-py stops instead of retrying for ever.
"""

from __future__ import annotations

from typing import Any

import msgpack
import orjson
from fastapi import APIRouter, WebSocket
from starlette.types import Message as WsMessage

from vtrade.api.alpaca.common import find_instrument
from vtrade.api.alpaca.data_fanout import Subscriber, data_hub_of
from vtrade.api.alpaca.data_feed import CRYPTO_CHANNELS, SILENT, STOCK_CHANNELS
from vtrade.api.alpaca.marketdata_crypto import LOCATIONS
from vtrade.api.alpaca.schemas import alpaca_symbol
from vtrade.api.auth import account_of, key_caller
from vtrade.api.gateway.client import POLICY_VIOLATION, Client
from vtrade.api.gateway.hub import gateway_of
from vtrade.api.gateway.receive import auth_deadline, receive_within
from vtrade.api.state import state_of
from vtrade.core.errors import VtradeError
from vtrade.domain.instruments import AssetClass, Instrument

router = APIRouter()
STOCK_FEEDS = ("iex", "sip", "delayed_sip", "boats", "overnight", "otc", "test")
NO_SUBSCRIPTION = 409  # Alpaca's code for a feed the account may not stream
REFUSAL = (
    "insufficient subscription: vtrade streams no options or news; stocks stream on /v2/iex "
    "(or /v2/sip), crypto on /v1beta3/crypto/us"
)
_TRADE_MIRRORS = ("corrections", "cancelErrors")  # follow `trades` on the stock stream
Refusal = tuple[int, str]  # (Alpaca error code, why) for a stream not served


@router.websocket("/v2/{feed}")
async def stock_stream(websocket: WebSocket, feed: str) -> None:
    """Stream stocks, ETFs and every other instrument but crypto pairs."""
    wrong = None if feed in STOCK_FEEDS else (400, f"unknown feed {feed!r}; use /v2/iex or /v2/sip")
    await _serve(websocket, crypto=False, refusal=wrong)


@router.websocket("/v1beta3/crypto/{location}")
async def crypto_stream(websocket: WebSocket, location: str) -> None:
    """Stream crypto pairs."""
    wrong = None if location in LOCATIONS else (400, f"unknown location {location!r}; use us")
    await _serve(websocket, crypto=True, refusal=wrong)


@router.websocket("/v1beta1/{feed}")
@router.websocket("/v1beta2/crypto")  # alpaca-trade-api 3.2's crypto stream, retired by Alpaca
async def refused_stream(websocket: WebSocket) -> None:
    """Options and news: greeted, then refused at sign-in."""
    await _serve(websocket, crypto=False, refusal=(NO_SUBSCRIPTION, REFUSAL))


async def _serve(websocket: WebSocket, crypto: bool, refusal: Refusal | None) -> None:
    packed = "msgpack" in websocket.headers.get("content-type", "")
    gateway = gateway_of(websocket)
    await websocket.accept()
    client = gateway.connect(websocket, lambda _channel, _update: None)  # follows no bus topic
    stream = _Stream(websocket, client, crypto, packed)
    try:
        stream.send([{"T": "success", "msg": "connected"}])
        await stream.run(refusal)
        await client.finished()
    finally:
        stream.stop()
        gateway.disconnect(client)


class _Stream:
    """One client: who signed in, and what it subscribed to (pushed by the `DataHub`)."""

    def __init__(self, websocket: WebSocket, client: Client, crypto: bool, packed: bool) -> None:
        self.websocket = websocket
        self.client = client
        self.crypto = crypto
        self.state = state_of(websocket)
        self.hub = data_hub_of(websocket)
        self.sub = Subscriber(client, packed)
        self.channels = CRYPTO_CHANNELS if crypto else STOCK_CHANNELS
        self.subscribed: dict[str, dict[str, None]] = {ch: {} for ch in self.channels}
        self.symbols: dict[str, str] = {}  # Alpaca's name of a subscribed symbol -> ours

    def send(self, messages: list[dict[str, Any]]) -> None:
        self.sub.send(messages)

    def error(self, code: int, msg: str) -> None:
        self.send([{"T": "error", "code": code, "msg": msg}])

    def stop(self) -> None:
        self.hub.leave(self.sub)

    async def run(self, refusal: Refusal | None) -> None:
        deadline = auth_deadline()
        while self.client.open:
            message = await receive_within(self.websocket, self.client, deadline)
            if message is None:
                self.error(404, "auth timeout")
                self.client.close(POLICY_VIOLATION, "auth timeout")
                return
            if message["type"] == "websocket.disconnect":
                return
            if refusal is not None:
                code, why = refusal
                self.error(code, why)
                self.client.close(POLICY_VIOLATION, why)
                return
            await self._act(_parse(message))

    async def _act(self, msg: dict[str, Any] | None) -> None:
        action = msg.get("action") if msg is not None else None
        if msg is None or not isinstance(action, str):
            self.error(400, 'invalid syntax: send an object with an "action"')
        elif action == "auth":
            await self._auth(msg)
        elif action in ("subscribe", "unsubscribe"):
            if self.client.who is None:
                self.error(401, "not authenticated")
            else:
                self._subscribe(msg, action == "subscribe")
        else:
            allowed = "auth, subscribe or unsubscribe"
            self.error(400, f"invalid syntax: unknown action {action!r}; use {allowed}")

    async def _auth(self, msg: dict[str, Any]) -> None:
        if self.client.who is not None:
            self.error(403, "already authenticated")
            return
        try:
            who = await key_caller(self.websocket, msg.get("key"), msg.get("secret"))
            account = account_of(self.websocket, who)
        except VtradeError:
            self.error(402, "auth failed")
            self.client.close(POLICY_VIOLATION, "auth failed")
            return
        self.client.who, self.client.account = who, account.id
        self.send([{"T": "success", "msg": "authenticated"}])

    def _subscribe(self, msg: dict[str, Any], adding: bool) -> None:
        """Change the subscriptions as asked, all of it or (on an error) none of it."""
        asked: dict[str, list[str]] = {}
        for key, names in msg.items():
            if key == "action" or key in _TRADE_MIRRORS:
                continue
            if key not in self.channels:
                allowed = ", ".join(self.channels)
                self.error(400, f"invalid syntax: unknown channel {key!r}; allowed: {allowed}")
                return
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                self.error(400, f"invalid syntax: {key} must be a list of symbols")
                return
            asked[key] = names
        found = {n: self._instrument(n) for names in asked.values() for n in names if n != "*"}
        unknown = [n for n, inst in found.items() if inst is None]
        if unknown:
            self.error(400, f"invalid syntax: {', '.join(unknown)}: {self._not_here}")
            return
        for channel, names in asked.items():
            for name in names:
                inst = found.get(name)
                key = "*" if inst is None else alpaca_symbol(inst)
                if inst is not None:
                    self.symbols[key] = inst.symbol
                if adding:
                    self.subscribed[channel][key] = None
                else:
                    self.subscribed[channel].pop(key, None)
        self._rewatch()
        self.send([self._acknowledgement()])

    @property
    def _not_here(self) -> str:
        if self.crypto:
            return "not a crypto pair (see GET /v2/assets); others stream on /v2/iex"
        return "no such symbol (see GET /v2/assets); crypto pairs stream on /v1beta3/crypto/us"

    def _instrument(self, name: str) -> Instrument | None:
        inst = find_instrument(self.state, name)
        if inst is None or (inst.asset_class is AssetClass.CRYPTO) != self.crypto:
            return None
        return inst

    def _acknowledgement(self) -> dict[str, Any]:
        ack: dict[str, Any] = {"T": "subscription"}
        ack.update({ch: list(names) for ch, names in self.subscribed.items()})
        if not self.crypto:
            ack.update({mirror: list(self.subscribed["trades"]) for mirror in _TRADE_MIRRORS})
        return ack

    def _rewatch(self) -> None:
        """Follow what the subscriptions name now: a channel new to a symbol starts now."""
        catalog = self.state.container.catalog
        universe = [
            s
            for s in catalog.symbols
            if (catalog.get(s).asset_class is AssetClass.CRYPTO) == self.crypto
        ]
        wanted: dict[tuple[str, str], None] = {}
        for channel, names in self.subscribed.items():
            if channel in SILENT:
                continue
            symbols = universe if "*" in names else [self.symbols[n] for n in names]
            wanted.update(((symbol, channel), None) for symbol in symbols)
        for symbol, channel in [k for k in self.sub.first if k not in wanted]:
            self.hub.unfollow(self.sub, symbol, channel)
        for symbol, channel in wanted:
            self.hub.follow(self.sub, symbol, channel)


def _parse(message: WsMessage) -> dict[str, Any] | None:
    """A client message: msgpack or JSON, one object."""
    raw = message.get("bytes")
    data: object
    try:
        if raw is not None:
            try:
                data = msgpack.unpackb(raw)
            except (ValueError, msgpack.exceptions.UnpackException):
                data = orjson.loads(raw)
        else:
            data = orjson.loads(message.get("text") or "")
    except (ValueError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None
