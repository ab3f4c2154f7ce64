"""Who is calling: API key pairs (bots) or a web session (the dashboard).

Keys arrive as Alpaca sends them (`APCA-API-KEY-ID` + `APCA-API-SECRET-KEY`) or as HTTP
Basic `key:secret`. A session is the `vtrade_session` cookie; requests that change state
must echo the session's CSRF token in `X-CSRF-Token`. Every failure is the same 401.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass

from fastapi import Request
from starlette.requests import HTTPConnection

from vtrade.api.state import ApiState, state_of
from vtrade.app.identity import Principal
from vtrade.core.errors import AuthenticationError, NotFoundError
from vtrade.domain.accounts import Account

SESSION_COOKIE = "vtrade_session"
CSRF_HEADER = "x-csrf-token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_MISSING = (
    "missing credentials: send APCA-API-KEY-ID and APCA-API-SECRET-KEY headers "
    "(or HTTP Basic key:secret), or sign in for a session"
)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated party: a user, and through a key the one account it may use."""

    user_id: str
    principal: Principal | None  # set for API keys
    session_token: str | None = None

    @property
    def account_id(self) -> str | None:
        """The account a key is bound to (None for a session, which may use all its own)."""
        return self.principal.account_id if self.principal else None

    @property
    def rate_key(self) -> str:
        return self.principal.key_id if self.principal else self.user_id


async def authenticate(conn: HTTPConnection, method: str = "GET") -> Caller:
    """Identify the caller of a request or WebSocket handshake, and spend its rate limit."""
    pair = _key_pair(conn)
    if pair is not None:
        return await key_caller(conn, *pair)
    state = state_of(conn)
    who = _from_session(state, conn, method)
    if who is None:
        raise AuthenticationError(_MISSING)
    state.limiter.check(who.rate_key)
    return who


async def caller(request: Request) -> Caller:
    """FastAPI dependency: the authenticated caller of this request."""
    return await authenticate(request, request.method)


async def key_caller(conn: HTTPConnection, key_id: object, secret: object) -> Caller:
    """Authenticate an API key pair (from headers, or a WebSocket message) and spend its
    rate limit. A key's first use pays argon2 (about a second by design): it runs in a
    worker thread so the event loop keeps serving everyone else meanwhile."""
    if not isinstance(key_id, str) or not isinstance(secret, str) or not key_id or not secret:
        raise AuthenticationError("send the key id and secret of an API key as strings")
    state = state_of(conn)
    identity, failed = state.container.identity, state.failed_sign_ins
    # refused before the secret is looked at: once a guesser is slowed, a right guess tells
    # it nothing either
    attempt = (f"key:{key_id[:64]}", f"address:{client_address(conn)}")
    failed.check(*attempt)
    principal = identity.remembered_key(key_id, secret)
    if principal is None:
        async with failed.attempt(*attempt):
            # the attempt before this one may have just verified this very pair
            principal = identity.remembered_key(key_id, secret)
            if principal is None:
                principal = await asyncio.to_thread(identity.verify_key, key_id, secret)
    state.limiter.check(principal.key_id)
    return Caller(principal.user_id, principal)


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


def account_of(conn: HTTPConnection, who: Caller, account_id: str | None = None) -> Account:
    """The account `who` acts on: a key's own account, or one of a session user's accounts.

    A foreign or unknown id answers exactly like a missing account (404, never 403).
    """
    state = state_of(conn)
    wanted = account_id or who.account_id
    if wanted is None:
        raise NotFoundError("no account given: name one of your accounts")
    if who.principal is not None and wanted == who.principal.account_id:
        state.runtime.adopt(wanted)  # a key made by the CLI since we started: its account too
    elif who.principal is None and wanted not in state.container.trading.engine.accounts:
        state.runtime.adopt_owned(who.user_id)  # or the account that key was made for
    return state.container.identity.require_account(who.principal or who.user_id, wanted)


def accounts_owned(conn: HTTPConnection, user_id: str) -> list[Account]:
    """A session user's accounts, oldest first, those made by the CLI since we started too."""
    state = state_of(conn)
    state.runtime.adopt_owned(user_id)
    return state.container.identity.accounts_of(user_id)


def _key_pair(conn: HTTPConnection) -> tuple[str, str] | None:
    headers = conn.headers
    key_id, secret = headers.get("apca-api-key-id"), headers.get("apca-api-secret-key")
    if key_id is None and secret is None:
        key_id, secret = _basic(headers.get("authorization", ""))
    if key_id is None or secret is None:
        return None
    return key_id, secret


def _basic(header: str) -> tuple[str | None, str | None]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationError("malformed Basic credentials: send base64(key:secret)") from None
    key_id, sep, secret = decoded.partition(":")
    if not sep:
        raise AuthenticationError("malformed Basic credentials: send base64(key:secret)")
    return key_id, secret


def _from_session(state: ApiState, conn: HTTPConnection, method: str) -> Caller | None:
    token = conn.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    identity = state.container.identity
    if method in _SAFE:
        user = identity.session_user(token)
    else:
        user = identity.check_csrf(token, conn.headers.get(CSRF_HEADER, ""))
    return Caller(user.id, None, token)
