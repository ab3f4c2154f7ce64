"""Web sessions (sign in and out) and `GET /me`."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from vtrade.api.auth import SESSION_COOKIE, account_of, accounts_owned, client_address
from vtrade.api.native.common import Who, account_public, api
from vtrade.api.native.schemas import MePublic, SessionCreate, SessionPublic, UserPublic
from vtrade.api.native.types import errors
from vtrade.app.ports import User
from vtrade.core.clock import NS_PER_SECOND, iso
from vtrade.core.errors import AuthenticationError, ValidationError

router = APIRouter(tags=["session"])


@router.post(
    "/session",
    response_model=SessionPublic,
    status_code=201,
    summary="Sign in",
    description=(
        "Check the user name and password and start a session: the token is set as the "
        "HttpOnly, SameSite=Strict cookie `vtrade_session` (Secure unless the server is "
        "configured for plain HTTP). Send the returned `csrf_token` in the `X-CSRF-Token` "
        "header of every POST, PUT, PATCH and DELETE made with the session."
    ),
    responses=errors(401, 422, 429),
)
async def sign_in(body: SessionCreate, request: Request, response: Response) -> SessionPublic:
    state = api(request)
    client = client_address(request)
    state.limiter.check(f"sign-in:{client}")  # password guessing is rate limited too
    identity = state.container.identity
    # names ignore case: so does their budget, or each spelling of a name would have its own
    async with state.failed_sign_ins.attempt(f"user:{body.name.lower()}", f"address:{client}"):
        # argon2 takes about 100 ms on purpose: in a worker thread, so the event loop goes on
        # serving every other request and stream meanwhile
        token, csrf = await asyncio.to_thread(identity.start_session, body.name, body.password)
    user = identity.session_user(token)
    ttl_ns = identity.session_ttl_ns
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ttl_ns // NS_PER_SECOND,
        path="/",
        httponly=True,
        samesite="strict",
        secure=state.container.settings.api.cookie_secure,
    )
    return SessionPublic(
        user=user_public(user),
        csrf_token=csrf,
        expires_at=iso(identity.clock.now_ns() + ttl_ns),  # real time, as the cookie
    )


@router.delete(
    "/session",
    status_code=204,
    summary="Sign out",
    description="End the session of the cookie (needs the X-CSRF-Token header).",
    responses=errors(401, 422),
)
async def sign_out(request: Request, who: Who) -> Response:
    if who.session_token is None:
        raise ValidationError(
            "no session to end: this request authenticated with an API key "
            "(revoke keys with `vtrade keys revoke`)"
        )
    api(request).container.identity.end_session(who.session_token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get(
    "/me",
    response_model=MePublic,
    summary="Who am I",
    description="The calling user, how it authenticated, and the accounts it may act on: "
    "a key its one account, a session every account of the user.",
    responses=errors(401, 429),
)
async def me(request: Request, who: Who) -> MePublic:
    state = api(request)
    identity = state.container.identity
    user = identity.store.get_user(who.user_id)
    if user is None:  # deleted since the credentials were checked
        raise AuthenticationError("no valid credentials: sign in again")
    if who.principal is not None:
        accounts = [account_of(request, who)]
    else:
        accounts = accounts_owned(request, who.user_id)
    return MePublic(
        user=user_public(user),
        auth="api_key" if who.principal is not None else "session",
        key_id=who.principal.key_id if who.principal else None,
        account_id=who.account_id,
        accounts=[account_public(state, a) for a in accounts],
    )


def user_public(user: User) -> UserPublic:
    return UserPublic(id=user.id, name=user.name, created_at=iso(user.created_ns))
