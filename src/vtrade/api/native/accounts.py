"""Accounts: list, open, inspect, reset, choose the realism profile and set the rules."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from vtrade.api.auth import account_of, accounts_owned
from vtrade.api.native.common import Owned, Who, account_public, api, command_id
from vtrade.api.native.schemas import (
    AccountCreate,
    AccountList,
    AccountPublic,
    ProfileUpdate,
    RulesUpdate,
)
from vtrade.api.native.types import errors
from vtrade.core.errors import ConflictError, NotFoundError, ValidationError
from vtrade.domain.commands import OpenAccount, ResetAccount

router = APIRouter(tags=["accounts"])


@router.get(
    "/accounts",
    response_model=AccountList,
    summary="List your accounts",
    description="A key sees its one account; a session every account of its user.",
    responses=errors(401, 429),
)
async def list_accounts(request: Request, who: Who) -> AccountList:
    state = api(request)
    if who.principal is not None:
        accounts = [account_of(request, who)]
    else:
        accounts = accounts_owned(request, who.user_id)
    return AccountList(accounts=[account_public(state, a) for a in accounts])


@router.post(
    "/accounts",
    response_model=AccountPublic,
    status_code=201,
    summary="Open an account",
    description=(
        "Open another account for the signed-in user (session only: an API key acts on the "
        "one account it is bound to). Names are unique among the user's accounts."
    ),
    responses=errors(401, 409, 422, 429),
)
async def open_account(
    body: AccountCreate, request: Request, response: Response, who: Who
) -> AccountPublic:
    state = api(request)
    c = state.container
    if who.principal is not None:
        raise ValidationError(
            "an API key acts on the one account it is bound to and cannot open accounts: "
            "open them with a session (POST /api/v1/session) or `vtrade keys create USER "
            "--account NAME`"
        )
    if any(a.name == body.name for a in accounts_owned(request, who.user_id)):
        raise ConflictError(f"you already have an account named {body.name!r}; choose another")
    account = c.trading.open_account(
        OpenAccount(
            id=command_id(),
            ts_init=c.clock.now_ns(),
            owner=who.user_id,
            name=body.name,
            profile=body.profile.value,
            balance=body.balance,
        )
    )
    response.headers["Location"] = f"/api/v1/accounts/{account.id}"
    return account_public(state, account)


@router.get(
    "/account",
    response_model=AccountPublic,
    summary="The key's account",
    description="The account the API key is bound to (a shortcut for bots).",
    responses=errors(401, 404, 429),
)
async def key_account(request: Request, who: Who) -> AccountPublic:
    if who.principal is None:
        raise NotFoundError(
            "a session has no default account: use GET /api/v1/accounts/{account_id}"
        )
    return account_public(api(request), account_of(request, who))


@router.get(
    "/accounts/{account_id}",
    response_model=AccountPublic,
    summary="Get an account",
    responses=errors(401, 404, 429),
)
async def get_account(request: Request, account: Owned) -> AccountPublic:
    return account_public(api(request), account)


@router.post(
    "/accounts/{account_id}/reset",
    response_model=AccountPublic,
    summary="Reset an account",
    description=(
        "Cancel open orders, close every position at no cost and restore the initial "
        "balance. Orders and fills of the old life stay in the history."
    ),
    responses=errors(401, 404, 429),
)
async def reset_account(request: Request, account: Owned) -> AccountPublic:
    state = api(request)
    c = state.container
    c.trading.reset_account(
        ResetAccount(id=command_id(), ts_init=c.clock.now_ns(), account_id=account.id)
    )
    return account_public(state, c.trading.account(account.id))


@router.put(
    "/accounts/{account_id}/profile",
    response_model=AccountPublic,
    summary="Choose the realism profile",
    description=(
        "frictionless (fills at the mid, no fees), realistic (spread, impact, partial fills, "
        "fees) or harsh (more of each). Applies to orders submitted from now on."
    ),
    responses=errors(401, 404, 422, 429),
)
async def set_profile(body: ProfileUpdate, request: Request, account: Owned) -> AccountPublic:
    state = api(request)
    c = state.container
    c.trading.set_profile(account.id, body.profile.value)
    return account_public(state, c.trading.account(account.id))


@router.put(
    "/accounts/{account_id}/rules",
    response_model=AccountPublic,
    summary="Suspend trading, forbid short sales or borrowing",
    description=(
        "The account's own rules, enforced for every new order whatever the API (Alpaca's "
        "`suspend_trade`, `no_shorting` and `max_margin_multiplier` (1: `cash_only`) "
        "configuration settings are the same rules). Open orders are left alone: cancel them "
        "to stop them; a cash-only account keeps what it already borrowed."
    ),
    responses=errors(401, 404, 422, 429),
)
async def set_rules(body: RulesUpdate, request: Request, account: Owned) -> AccountPublic:
    state = api(request)
    changed = state.container.trading.set_rules(
        account.id,
        trading_suspended=body.trading_suspended,
        no_shorting=body.no_shorting,
        cash_only=body.cash_only,
    )
    return account_public(state, changed)
