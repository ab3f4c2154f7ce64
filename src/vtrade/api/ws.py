"""The native WebSocket `/api/v1/ws`: live portfolio, orders and fills, alerts, quotes, books.

Protocol (JSON text frames both ways):

Authenticate on the handshake with the same credentials as HTTP (`APCA-API-KEY-ID` and
`APCA-API-SECRET-KEY` headers, HTTP Basic, or the `vtrade_session` cookie of a signed-in
browser), or, where headers cannot be set, send first, within 10 s::

    {"action": "auth", "key_id": "PK...", "secret": "..."}

Either way the server answers ``{"ack": "auth", "user_id": .., "account_id": ..}`` (the key's
account, or null for a session). Wrong credentials, a cross-site session handshake or a first
message that is not `auth` get an error and a close with code 1008 and the reason.

Then, any number of times::

    {"action": "subscribe", "channels": ["portfolio", "orders", "alerts"], "account_id": ".."}
    {"action": "subscribe", "channels": ["quotes", "book"], "symbols": ["AAPL", "MSFT"]}
    {"action": "unsubscribe", "channels": ["quotes"], "symbols": ["MSFT"]}
    {"action": "ping"}

`account_id` may be left out with a key (its own account); a session names one of its
accounts. Answers: ``{"ack": "subscribe", "channels": [..], "account_id": .., "symbols": [..]}``
(likewise `unsubscribe`), ``{"ack": "pong", "ts": ..}``. Messages pushed:

- ``{"channel": "portfolio", "account_id", "version", "ts", "snapshot", "data": {nav, cash,
  day_pnl, unrealized_pnl, total_pnl, gross_exposure, net_exposure, margin_used}}``: the
  current figures on subscribing (`snapshot` true), then coalesced deltas as prices move;
  `version` only grows.
- ``{"channel": "orders", "account_id", "event", "ts", "data": {"order": {..}, "fill": {..,
  "receipt": {..}}, "reason": ..}}``, `event` one of accepted, routed (an order that waited
  for its market, `pending_open`, reached it), partial_fill, fill, canceled, expired,
  rejected, replaced; `order` is the order just after the event (as
  `GET /api/v1/accounts/{id}/orders/{order_id}` shows it), `fill` only on fills.
- ``{"channel": "alerts", "account_id", "ts", "data": {kind, active, value, threshold,
  message}}``.
- ``{"channel": "quotes", "symbol", "data": {ts, bid, ask, bid_size, ask_size, mid,
  spread_bps}}`` and ``{"channel": "book", "symbol", "data": {ts, bids: [{price, size}],
  asks: [..]}}``: on subscribing, then whenever they change, at most every `max(step_ms, 50)` ms.

Errors: ``{"error": {"code": .., "message": ..}}`` with the native API's codes (42210 bad
message, unknown action or channel; 40410 unknown symbol or account; 40100 not authorized,
followed by a close 1008). A client more than `ws_queue` messages behind is closed with 1008
"client too slow: N messages behind". Decimals are strings; times ISO 8601 UTC.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, WebSocket

from vtrade.api.auth import SESSION_COOKIE, Caller, account_of, authenticate, key_caller
from vtrade.api.gateway.channels import ACCOUNT_CHANNELS, CHANNELS, MARKET_CHANNELS, PORTFOLIO
from vtrade.api.gateway.client import POLICY_VIOLATION, Client
from vtrade.api.gateway.hub import Gateway, gateway_of
from vtrade.api.gateway.orders import OrderUpdate
from vtrade.api.gateway.receive import auth_deadline, receive_within
from vtrade.api.inputs import refuse_nul
from vtrade.api.native.common import fill_public, order_public, valued
from vtrade.api.native.types import plain
from vtrade.api.state import state_of
from vtrade.core.clock import iso
from vtrade.core.errors import AuthenticationError, NotFoundError, ValidationError, VtradeError
from vtrade.domain import events as ev
from vtrade.domain.market_data import BookSnapshot, Quote
from vtrade.market.catalog import Catalog

router = APIRouter()
log = logging.getLogger("vtrade.api.ws")
MAX_SYMBOLS = 200
_FIGURES = (
    "nav",
    "cash",
    "day_pnl",
    "unrealized_pnl",
    "total_pnl",
    "gross_exposure",
    "net_exposure",
    "margin_used",
)
_HEADERS = ("apca-api-key-id", "apca-api-secret-key", "authorization")


@router.websocket("/api/v1/ws")
async def native_stream(websocket: WebSocket) -> None:
    """Serve one native WebSocket client (protocol in the module docstring)."""
    gateway = gateway_of(websocket)
    await websocket.accept()
    client = gateway.connect(websocket, encode)
    try:
        if await _handshake(websocket, client):
            await _serve(websocket, gateway, client)
        await client.finished()
    finally:
        gateway.disconnect(client)


async def _handshake(websocket: WebSocket, client: Client) -> bool:
    """Authenticate from the handshake if it carries credentials; False if refused."""
    has_key = any(h in websocket.headers for h in _HEADERS)
    if not has_key and SESSION_COOKIE not in websocket.cookies:
        return True  # a browser: the first message authenticates
    try:
        who = await authenticate(websocket)
        if who.session_token is not None and not _same_origin(websocket):
            raise AuthenticationError(
                "cross-site WebSocket refused: a session may only connect from this server's "
                "own pages; bots authenticate with an API key"
            )
    except VtradeError as exc:
        _refuse(client, exc)
        return False
    _welcome(client, who)
    return True


async def _serve(websocket: WebSocket, gateway: Gateway, client: Client) -> None:
    deadline = auth_deadline()
    while client.open:
        message = await receive_within(websocket, client, deadline)
        if message is None:
            _refuse(client, AuthenticationError(_AUTH_FIRST + " within 10 s of connecting"))
            return
        if message["type"] == "websocket.disconnect":
            return
        try:
            await _act(websocket, gateway, client, _first_is_auth(client, message))
        except AuthenticationError as exc:
            _refuse(client, exc)
            return
        except VtradeError as exc:
            client.send(_error(exc))


def _first_is_auth(client: Client, message: Mapping[str, Any]) -> dict[str, Any]:
    """The message parsed; before authentication, one that is not even a message is no `auth`
    either: refused and closed, as any other first message that is not `auth` is."""
    try:
        return _parse(message)
    except VtradeError:
        if client.who is None:
            raise AuthenticationError(_AUTH_FIRST) from None
        raise


_AUTH_FIRST = 'authenticate first: send {"action": "auth", "key_id": "...", "secret": "..."}'
_ACTIONS = "auth, subscribe, unsubscribe, ping"


async def _act(websocket: WebSocket, gateway: Gateway, client: Client, msg: dict[str, Any]) -> None:
    action = msg.get("action")
    if action == "auth":
        if client.who is not None:
            raise ValidationError("already authenticated on this connection")
        _welcome(client, await key_caller(websocket, msg.get("key_id"), msg.get("secret")))
    elif client.who is None:
        raise AuthenticationError(_AUTH_FIRST)
    elif action == "subscribe":
        _subscribe(websocket, gateway, client, msg)
    elif action == "unsubscribe":
        _unsubscribe(websocket, gateway, client, msg)
    elif action == "ping":
        client.send(_dumps({"ack": "pong", "ts": iso(gateway.container.clock.now_ns())}))
    else:
        raise ValidationError(f"unknown action {action!r}; allowed: {_ACTIONS}")


def _subscribe(websocket: WebSocket, gateway: Gateway, client: Client, msg: dict[str, Any]) -> None:
    channels, symbols, account_id = _request(msg, gateway.container.catalog)
    assert client.who is not None
    account = None
    if any(c in ACCOUNT_CHANNELS for c in channels):
        account = account_of(websocket, client.who, account_id).id
    for channel in channels:
        for key in [account] if channel in ACCOUNT_CHANNELS else symbols:
            assert key is not None
            gateway.subscribe(client, channel, key)
    client.send(
        _dumps(
            {"ack": "subscribe", "channels": channels, "account_id": account, "symbols": symbols}
        )
    )
    if account is not None and PORTFOLIO in channels:
        client.send(_portfolio_snapshot(websocket, gateway, account))


def _unsubscribe(
    websocket: WebSocket, gateway: Gateway, client: Client, msg: dict[str, Any]
) -> None:
    channels, symbols, account_id = _request(msg, gateway.container.catalog)
    if account_id is not None and any(c in ACCOUNT_CHANNELS for c in channels):
        assert client.who is not None
        account_of(websocket, client.who, account_id)  # another's answers as a missing one
    for channel, key in list(client.subs):
        if channel not in channels:
            continue
        if channel in ACCOUNT_CHANNELS and account_id not in (None, key):
            continue
        if channel in MARKET_CHANNELS and key not in symbols:
            continue
        gateway.unsubscribe(client, channel, key)
    client.send(
        _dumps(
            {
                "ack": "unsubscribe",
                "channels": channels,
                "account_id": account_id,
                "symbols": symbols,
            }
        )
    )


_REQUEST_KEYS = frozenset({"action", "channels", "symbols", "account_id"})


def _request(msg: dict[str, Any], catalog: Catalog) -> tuple[list[str], list[str], str | None]:
    """Validate channels, symbols and account_id of a (un)subscribe message."""
    unknown_keys = sorted(set(msg) - _REQUEST_KEYS)
    if unknown_keys:
        allowed = ", ".join(sorted(_REQUEST_KEYS))
        raise ValidationError(f"unknown key {unknown_keys[0]!r}; a (un)subscribe takes {allowed}")
    channels = msg.get("channels")
    if (
        not isinstance(channels, list)
        or not channels
        or not all(isinstance(c, str) for c in channels)
    ):
        raise ValidationError(f"channels must be a non-empty list of: {', '.join(CHANNELS)}")
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ValidationError(f"unknown channel {unknown[0]!r}; allowed: {', '.join(CHANNELS)}")
    channels = list(dict.fromkeys(channels))
    raw = msg.get("symbols", [])
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise ValidationError('symbols must be a list of instrument symbols, like ["AAPL"]')
    if len(raw) > MAX_SYMBOLS:
        raise ValidationError(f"at most {MAX_SYMBOLS} symbols per message, got {len(raw)}")
    symbols = list(dict.fromkeys(_symbol(s, catalog) for s in raw))
    wants_market = any(c in MARKET_CHANNELS for c in channels)
    if wants_market and not symbols:
        raise ValidationError('the quotes and book channels need symbols, like ["AAPL"]')
    if symbols and not wants_market:
        raise ValidationError("symbols go with the quotes and book channels")
    account_id = msg.get("account_id")
    if account_id is not None and not isinstance(account_id, str):
        raise ValidationError("account_id must be a string (one of your account ids)")
    return channels, symbols, account_id


def _symbol(text: str, catalog: Catalog) -> str:
    if text in catalog:  # any case; a coin also as BTC/USD
        return catalog.get(text).symbol
    raise NotFoundError(
        f"unknown symbol {text!r}; GET /api/v1/instruments lists the symbols", symbol=text
    )


def _welcome(client: Client, who: Caller) -> None:
    client.who = who
    client.send(_dumps({"ack": "auth", "user_id": who.user_id, "account_id": who.account_id}))


def _refuse(client: Client, exc: VtradeError) -> None:
    client.send(_error(exc))
    client.close(POLICY_VIOLATION, exc.message)


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


def _parse(message: Mapping[str, Any]) -> dict[str, Any]:
    raw = message.get("text")
    if raw is None:
        raw = message.get("bytes") or b""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise ValidationError('messages are JSON objects like {"action": "subscribe", ...}')
    refuse_nul(data)
    return data


def _portfolio_snapshot(websocket: WebSocket, gateway: Gateway, account_id: str) -> str:
    gateway.container.trading.relay_committed()  # what was acknowledged is in it, as on REST
    s = valued(state_of(websocket), account_id)
    return _dumps(
        {
            "channel": "portfolio",
            "account_id": account_id,
            "version": gateway.container.portfolio.version,
            "ts": iso(gateway.container.clock.now_ns()),
            "snapshot": True,
            "data": {name: plain(getattr(s, name)) for name in _FIGURES},
        }
    )


# -- encoding (once per event, shared by every native client) ----------------------------------


def encode(channel: str, update: object) -> str | None:
    """Render a gateway update as a native message."""
    if isinstance(update, ev.PortfolioValued):
        return _dumps(
            {
                "channel": "portfolio",
                "account_id": update.account_id,
                "version": update.version,
                "ts": _iso(update.ts_event),
                "snapshot": False,
                "data": {name: plain(getattr(update, name)) for name in _FIGURES},
            }
        )
    if isinstance(update, OrderUpdate):
        return _dumps(_order_message(update))
    if isinstance(update, ev.PortfolioAlert):
        data = {
            "kind": update.kind,
            "active": update.active,
            "value": plain(update.value),
            "threshold": plain(update.threshold),
            "message": update.message,
        }
        return _dumps(
            {
                "channel": "alerts",
                "account_id": update.account_id,
                "ts": iso(update.ts_event),
                "data": data,
            }
        )
    if isinstance(update, Quote | BookSnapshot):
        return _dumps(_market(update))
    return None


def _order_message(update: OrderUpdate) -> dict[str, Any]:
    catalog = update.container.catalog
    event = update.event
    data: dict[str, Any] = {"order": order_public(update.order, catalog).model_dump(mode="json")}
    fill = update.fill()
    if fill is not None:
        data["fill"] = fill_public(fill, catalog).model_dump(mode="json")
    if isinstance(event, ev.OrderCanceled | ev.OrderExpired):
        data["reason"] = event.reason
    elif isinstance(event, ev.OrderRejected):
        data["reason"] = f"{event.rule}: {event.reason}"
    return {
        "channel": "orders",
        "account_id": event.account_id,
        "event": update.kind,
        "ts": iso(event.ts_event),
        "data": data,
    }


def _market(snap: Quote | BookSnapshot) -> dict[str, Any]:
    if isinstance(snap, Quote):
        mid = snap.mid
        spread = float((snap.ask - snap.bid) / mid) * 1e4 if mid else 0.0
        data: dict[str, Any] = {
            "ts": iso(snap.ts_event),
            "bid": plain(snap.bid),
            "ask": plain(snap.ask),
            "bid_size": plain(snap.bid_size),
            "ask_size": plain(snap.ask_size),
            "mid": plain(mid.normalize() if mid else Decimal(0)),
            "spread_bps": round(spread, 3),
        }
        return {"channel": "quotes", "symbol": snap.symbol, "data": data}
    data = {
        "ts": iso(snap.ts_event),
        "bids": [{"price": plain(lv.price), "size": plain(lv.size)} for lv in snap.bids],
        "asks": [{"price": plain(lv.price), "size": plain(lv.size)} for lv in snap.asks],
    }
    return {"channel": "book", "symbol": snap.symbol, "data": data}


@functools.lru_cache(maxsize=4)
def _iso(ns: int) -> str:
    """`iso`, once per instant: one publish pass stamps every account's delta alike."""
    return iso(ns)


def _error(exc: VtradeError) -> str:
    return _dumps({"error": {"code": exc.code, "message": exc.message}})


def _dumps(value: dict[str, Any]) -> str:
    return orjson.dumps(value).decode()
