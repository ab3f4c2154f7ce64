"""Orders and fills of one account: submit, list, get, cancel, replace, and fill receipts."""

from __future__ import annotations

from operator import attrgetter, itemgetter
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from vtrade.api.native.common import (
    Owned,
    after_instant,
    api,
    command_id,
    fill_public,
    instrument,
    one_page,
    order_command,
    order_public,
    read_token,
    token_for,
)
from vtrade.api.native.schemas import (
    CancelAllResult,
    CancelFailure,
    FillList,
    OrderCreate,
    OrderList,
    OrderPublic,
    OrderReplace,
)
from vtrade.api.native.types import Nested, Token, errors
from vtrade.api.nested import Listing, legs_of, live, nested_page, working
from vtrade.api.paging import MAX_PAGE, MAX_SYMBOLS, Ordering, Status, instant
from vtrade.api.state import ApiState
from vtrade.core.errors import IllegalTransitionError, NotFoundError, RejectedError, VtradeError
from vtrade.domain.accounts import Account
from vtrade.domain.commands import CancelOrder, ReplaceOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus

router = APIRouter(prefix="/accounts/{account_id}", tags=["orders"])

OrderId = Annotated[str, Path(description="Order id", max_length=64)]
_SEQ = attrgetter("seq")
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Most items per page (1-{MAX_PAGE})")]
Direction = Annotated[Ordering, Query(description="asc: oldest first; desc: newest first")]
After = Annotated[str | None, Query(description="Only after this instant (ISO 8601, exclusive)")]
Until = Annotated[str | None, Query(description="Only before this instant (ISO 8601, exclusive)")]


@router.post(
    "/orders",
    response_model=OrderPublic,
    status_code=201,
    summary="Submit an order",
    description=(
        "Validate, route and (where the market allows) execute an order. Answers 201 with the "
        "order, or 200 with the original order when `client_order_id` was used before with the "
        "same parameters (409 with different ones). A `client_order_id` sent with an order "
        "that was rejected is free: the order sent with it again is checked as a new one. "
        "An order the venue's rules refuse "
        "(buying power, 25% of NAV concentration cap, lot, tick, session, shortability) is kept "
        "with status `rejected` and answered 403 with its reason and `order_id` in `details`."
    ),
    responses={
        200: {
            "model": OrderPublic,
            "description": "The order placed before with this client_order_id (a retry)",
        },
        **errors(401, 403, 404, 409, 422, 429),
    },
)
async def submit_order(
    body: OrderCreate, request: Request, response: Response, account: Owned
) -> OrderPublic:
    state = api(request)
    c = state.container
    inst = instrument(c.catalog, body.symbol)
    order, created = await state.batcher.submit(
        order_command(body, inst.symbol, account.id, c.clock.now_ns())
    )
    public = order_public(order, c.catalog)
    _refuse_if_rejected(order, public)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/v1/accounts/{account.id}/orders/{order.id}"
    return public


@router.get(
    "/orders",
    response_model=OrderList,
    summary="List orders",
    description=(
        "Orders of the account by status, time, symbols and side; pages by token. `nested`: "
        "a bracket, oto or oco order is one item, its entry with its legs, where the first of "
        "its orders the filters keep stands (an entry filled while its legs work is `open`, "
        "and `closed`); `limit` counts entries, `side` is the entry's."
    ),
    responses=errors(401, 404, 422, 429),
)
async def list_orders(
    request: Request,
    account: Owned,
    status: Annotated[Status, Query(description="open, closed or all")] = "open",
    limit: Limit = 50,
    after: After = None,
    until: Until = None,
    symbols: Annotated[
        str | None,
        Query(max_length=MAX_SYMBOLS, description="Comma-separated symbols, e.g. AAPL,MSFT"),
    ] = None,
    side: Annotated[Side | None, Query(description="buy or sell")] = None,
    direction: Direction = "desc",
    page_token: Token = None,
    nested: Nested = False,
) -> OrderList:
    c = api(request).container
    wanted = None
    if symbols:
        names = [s for s in (part.strip() for part in symbols.split(",")) if s]
        wanted = [instrument(c.catalog, s, "symbols").symbol for s in names]
    # a nested list's token places its rows apart from a flat one's: good for it alone
    of = f"orders {account.id} {status} {wanted} {side} {direction}" + (" nested" if nested else "")
    listing = Listing(
        account_id=account.id,
        status=status,
        symbols=wanted,
        after_ns=after_instant(after),
        until_ns=instant(until, "until"),
        ascending=direction == "asc",
    )
    cursor, chosen = read_token(page_token, of), side.value if side else None
    if nested:
        entries, last = nested_page(c.store, listing, cursor, limit, chosen)
        shown = [order_public(o, c.catalog, legs) for o, legs in entries]
    else:
        found, last = one_page(listing.read(c.store, cursor, limit + 1, chosen), limit)
        shown = [order_public(o, c.catalog) for o in found]
    return OrderList(
        orders=shown,
        next_page_token=token_for(last.created_ns, last.id, of) if last else None,
    )


@router.delete(
    "/orders",
    response_model=CancelAllResult,
    summary="Cancel all open orders",
    description=(
        "Cancel every open order of the account; lists what was canceled, what a cancel is on "
        "its way to (harsh: it may still fill until the cancel arrives) and what not."
    ),
    responses=errors(401, 404, 429),
)
async def cancel_all(request: Request, account: Owned) -> CancelAllResult:
    state = api(request)
    c = state.container
    canceled: list[Order] = []
    pending: list[Order] = []  # a cancel on its way (a profile's latency)
    failed: list[tuple[int, CancelFailure]] = []  # by the order's sequence number
    for order in c.engine.cancelable(account.id):
        if order.status is OrderStatus.CANCELED:  # with its one-cancels-other, just now
            canceled.append(order)
            continue
        try:
            done = _cancel(state, account, order.id)
            (pending if done.is_open else canceled).append(done)
        except VtradeError as exc:
            why = CancelFailure(order_id=order.id, code=exc.code, message=exc.message)
            failed.append((order.seq, why))
    # canceled legs first (`cancelable`), answered in the order placed: by sequence number,
    # which an entry takes before the legs placed with it (`created_ns` ties in one instant)
    return CancelAllResult(
        canceled=[order_public(o, c.catalog) for o in sorted(canceled, key=_SEQ)],
        failed=[why for _, why in sorted(failed, key=itemgetter(0))],
        pending=[order_public(o, c.catalog) for o in sorted(pending, key=_SEQ)],
    )


@router.get(
    "/orders/by_client_order_id",
    response_model=OrderPublic,
    summary="Get an order by client order id",
    responses=errors(401, 404, 422, 429),
)
async def get_by_client_id(
    request: Request,
    account: Owned,
    client_order_id: Annotated[str, Query(min_length=1, max_length=128)],
    nested: Nested = False,
) -> OrderPublic:
    state = api(request)
    order = _by_client_id(state, account.id, client_order_id)
    if order is None:
        raise NotFoundError(f"no order with client_order_id {client_order_id!r}")
    return _shown(state, order, nested)


@router.get(
    "/orders/{order_id}",
    response_model=OrderPublic,
    summary="Get an order",
    responses=errors(401, 404, 429),
)
async def get_order(
    request: Request, account: Owned, order_id: OrderId, nested: Nested = False
) -> OrderPublic:
    state = api(request)
    return _shown(state, _own_order(state, account, order_id), nested)


@router.delete(
    "/orders/{order_id}",
    response_model=OrderPublic,
    summary="Cancel an order",
    description="Cancel an open order; answers the order with status canceled, or, under a "
    "profile with latency (harsh), still open with `cancel_arrives_at`: it may fill until the "
    "cancel arrives. A closed order cannot be canceled (422).",
    responses=errors(401, 404, 422, 429),
)
async def cancel_order(request: Request, account: Owned, order_id: OrderId) -> OrderPublic:
    state = api(request)
    return order_public(_cancel(state, account, order_id), state.container.catalog)


@router.patch(
    "/orders/{order_id}",
    response_model=OrderPublic,
    summary="Replace an order",
    description=(
        "Replace an open order by a new one with the given changes (quantity, prices, trail, "
        "time in force); the old order keeps its fills and ends `replaced`. Answers the new "
        "order; if the venue rejects the new one, 403 and the old order stays open."
    ),
    responses=errors(401, 403, 404, 422, 429),
)
async def replace_order(
    body: OrderReplace, request: Request, account: Owned, order_id: OrderId
) -> OrderPublic:
    state = api(request)
    c = state.container
    old = _own_order(state, account, order_id)
    _require_open(old, "replaced")
    try:
        new = c.trading.replace(
            ReplaceOrder(
                id=command_id(),
                ts_init=c.clock.now_ns(),
                account_id=account.id,
                order_id=old.id,
                qty=body.qty,
                limit_price=body.limit_price,
                stop_price=body.stop_price,
                trail=body.trail,
                tif=body.time_in_force,
                client_order_id=body.client_order_id,
            )
        )
    except NotFoundError:  # it closed (filled, expired) as the market caught up
        _require_open(_own_order(state, account, order_id), "replaced")
        raise
    if new.status is OrderStatus.REJECTED:  # nothing kept: the old order is still the one
        _refuse_replacement(new, order_public(_own_order(state, account, order_id), c.catalog))
    return order_public(new, c.catalog)


@router.get(
    "/orders/{order_id}/fills",
    response_model=FillList,
    summary="Fills of an order, with receipts",
    responses=errors(401, 404, 422, 429),
)
async def order_fills(
    request: Request,
    account: Owned,
    order_id: OrderId,
    limit: Limit = 100,
    direction: Direction = "asc",
    page_token: Token = None,
) -> FillList:
    order = _own_order(api(request), account, order_id)
    return _fills(api(request), account, order.id, None, None, limit, direction, page_token)


@router.get(
    "/fills",
    response_model=FillList,
    summary="Fills with receipts",
    description=(
        "Every fill of the account with its receipt: arrival mid, spread cost, impact cost, "
        "fees and their breakdown, FX rate, slices, profile, liquidity, frictionless cost and "
        "slippage in basis points."
    ),
    responses=errors(401, 404, 422, 429),
)
async def list_fills(
    request: Request,
    account: Owned,
    order_id: Annotated[str | None, Query(max_length=64, description="Only this order")] = None,
    after: After = None,
    until: Until = None,
    limit: Limit = 100,
    direction: Direction = "desc",
    page_token: Token = None,
) -> FillList:
    state = api(request)
    if order_id is not None:
        order_id = _own_order(state, account, order_id).id
    return _fills(state, account, order_id, after, until, limit, direction, page_token)


# -- internals ------------------------------------------------------------------------------


def _fills(
    state: ApiState,
    account: Account,
    order_id: str | None,
    after: str | None,
    until: str | None,
    limit: int,
    direction: str,
    token: str | None,
) -> FillList:
    c = state.container
    of = f"fills {account.id} {order_id} {direction}"
    found, last = one_page(
        c.store.page_fills(
            account.id,
            order_id=order_id,
            after_ns=after_instant(after),
            until_ns=instant(until, "until"),
            cursor=read_token(token, of),
            ascending=direction == "asc",
            limit=limit + 1,
        ),
        limit,
    )
    return FillList(
        fills=[fill_public(f, c.catalog) for f in found],
        next_page_token=token_for(last.ts_ns, last.id, of) if last else None,
    )


def _shown(state: ApiState, order: Order, nested: bool) -> OrderPublic:
    """`order` as answered, with the legs it holds now if `nested`."""
    c = state.container
    legs = legs_of(order, c.store, working(c)) if nested else None
    return order_public(order, c.catalog, legs)


def _by_client_id(state: ApiState, account_id: str, client_order_id: str) -> Order | None:
    c = state.container
    key = (account_id, client_order_id)
    return c.engine.by_client_id.get(key) or c.store.get_order_by_client_id(*key)


def _own_order(state: ApiState, account: Account, order_id: str) -> Order:
    """The account's order (open ones from the engine, which is never behind the store)."""
    order = live(state.container)(order_id)
    if order is None or order.account_id != account.id:
        raise NotFoundError(f"order {order_id!r} not found")
    return order


def _require_open(order: Order, verb: str, held_too: bool = False) -> None:
    """Refuse an order that has ended (or, unless `held_too`, a leg held for its entry)."""
    if not (order.is_open or (held_too and order.status is OrderStatus.HELD)):
        also = ", as can held legs" if held_too else ""
        raise IllegalTransitionError(
            f"order {order.id} is {order.status.value}: only open orders can be {verb}{also}",
            order_id=order.id,
            status=order.status.value,
        )


def _cancel(state: ApiState, account: Account, order_id: str) -> Order:
    c = state.container
    _require_open(_own_order(state, account, order_id), "canceled", held_too=True)
    try:
        return c.trading.cancel(
            CancelOrder(
                id=command_id(),
                ts_init=c.clock.now_ns(),
                account_id=account.id,
                order_id=order_id,
            )
        )
    except NotFoundError:  # it closed (filled, expired) as the market caught up
        _require_open(_own_order(state, account, order_id), "canceled")
        raise


def _refuse_if_rejected(order: Order, public: OrderPublic) -> None:
    if order.status is OrderStatus.REJECTED:
        _refuse(order, public, "order rejected: {reason}")


def _refuse_replacement(refused: Order, still_open: OrderPublic) -> None:
    """A refused replacement is not kept, so the error points at the order that stays open."""
    stays = f"; order {still_open.id} stays open as it was"
    _refuse(refused, still_open, "replacement rejected: {reason}" + stays)


def _refuse(order: Order, shown: OrderPublic, message: str) -> None:
    reason = order.reject_reason or "refused by the venue"
    raise RejectedError(
        message.format(reason=reason),
        order_id=shown.id,
        rule=reason.split(":", 1)[0] if ":" in reason else None,
        reject_reason=reason,
        order=shown.model_dump(mode="json"),
    )
