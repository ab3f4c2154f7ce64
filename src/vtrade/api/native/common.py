"""What the native routers share: the owned-account dependency, the check of query
parameters, instants, page tokens, and the translation of domain objects into response
models."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from vtrade.api.auth import Caller, account_of, caller
from vtrade.api.native.schemas import (
    AccountPublic,
    FeePart,
    FillPublic,
    OrderCreate,
    OrderPublic,
    ReceiptPublic,
    SlicePublic,
)
from vtrade.api.paging import INT64_MAX, INT64_MIN, instant, storable
from vtrade.api.state import ApiState, state_of
from vtrade.core.clock import end_of_shown, iso
from vtrade.core.errors import NotFoundError, ValidationError
from vtrade.core.money import cents, spendable_cents
from vtrade.domain.accounts import ACCOUNT_CURRENCY, Account
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.instruments import Instrument
from vtrade.domain.orders import (
    OCO_WITH,
    ORDER_CLASS,
    PARENT,
    REPLACING_WITH,
    Fill,
    Order,
    OrderClass,
)
from vtrade.execution.profiles import last_change_ns
from vtrade.market.catalog import Catalog
from vtrade.portfolio.state import AccountState

Who = Annotated[Caller, Depends(caller)]
PRICE_PLACES = Decimal("0.000001")


async def owned_account(
    request: Request,
    who: Who,
    account_id: Annotated[str, Path(description="One of your account ids", max_length=64)],
) -> Account:
    """The account in the path, if the caller may act on it (else 404)."""
    return account_of(request, who, account_id)


Owned = Annotated[Account, Depends(owned_account)]


def api(request: Request) -> ApiState:
    return state_of(request)


async def known_query(request: Request) -> None:
    """Refuse query parameters the route does not take (422 naming the ones it does), so a
    misspelt filter, or `next_page_token` sent back instead of `page_token`, is not ignored."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = query_names(route)
    unknown = sorted({name for name in request.query_params if name not in allowed})
    if not unknown:
        return
    takes = f"takes only {', '.join(sorted(allowed))}" if allowed else "takes no query parameters"
    hint = (
        "; pass a page's next_page_token back as page_token"
        if "next_page_token" in unknown and "page_token" in allowed
        else ""
    )
    names = ", ".join(unknown)
    raise ValidationError(
        f"unknown query parameter{'s' if len(unknown) > 1 else ''} {names}: "
        f"{request.method} {request.url.path} {takes}{hint}",
        unknown=unknown,
        allowed=sorted(allowed),
    )


def query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters a route declares, its dependencies' included (a walk over a
    handful of nodes: cheaper than a cache keyed by routes, which are not hashable)."""
    names: set[str] = set()
    pending: list[Dependant] = [route.dependant]
    while pending:
        dependant = pending.pop()
        names.update(param.alias for param in dependant.query_params)
        pending.extend(dependant.dependencies)
    return frozenset(names)


def command_id() -> str:
    """A fresh id for a command."""
    return uuid.uuid4().hex


def order_command(body: OrderCreate, symbol: str, account_id: str, now: int) -> SubmitOrder:
    """The command `body` asks for, on `symbol` (the catalog's spelling), for the account."""
    return SubmitOrder(
        id=command_id(),
        ts_init=now,
        account_id=account_id,
        symbol=symbol,
        side=body.side,
        type=body.type,
        tif=body.time_in_force,
        qty=body.qty,
        notional=body.notional,
        limit_price=body.limit_price,
        stop_price=body.stop_price,
        trail_price=body.trail_price,
        trail_percent=body.trail_percent,
        extended_hours=body.extended_hours,
        client_order_id=body.client_order_id,
        order_class=body.order_class,
        take_profit_limit_price=body.take_profit_limit_price,
        stop_loss_stop_price=body.stop_loss_stop_price,
        stop_loss_limit_price=body.stop_loss_limit_price,
    )


def at(ns: int | None) -> str | None:
    """An instant as ISO 8601 UTC with Z (None stays None)."""
    return None if ns is None else iso(ns)


def after_instant(text: str | None) -> int | None:
    """Parse the exclusive lower bound `after`, past the whole microsecond it names (see
    `end_of_shown`): paging forward from an item's shown time does not repeat the item."""
    after = instant(text, "after")
    return None if after is None else storable(end_of_shown(after))


def instrument(catalog: Catalog, symbol: str, field: str = "symbol") -> Instrument:
    """The instrument a request body names; an unknown symbol is invalid input (422)."""
    try:
        return catalog.get(symbol)
    except NotFoundError as exc:
        raise ValidationError(f"{field}: {exc.message}", field=field, symbol=symbol) from None


# -- page tokens ----------------------------------------------------------------------------


T = TypeVar("T")


def token_for(ts_ns: int, item_id: str, of: str) -> str:
    """An opaque token naming the last item of a page of the list `of` (what it lists, and
    the query that orders and filters it): `read_token` refuses it for any other list."""
    raw = f"{ts_ns}:{_list_digest(of)}:{item_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_token(token: str | None, of: str) -> tuple[int, str] | None:
    """Decode a page token that `token_for` made for the list `of`; 422 if it is not one."""
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        ts, digest, item_id = raw.split(":", 2)
        if digest != _list_digest(of) or not item_id or not INT64_MIN <= int(ts) <= INT64_MAX:
            raise ValueError(token)
        return int(ts), item_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_token() from None


def _list_digest(of: str) -> str:
    return hashlib.blake2b(of.encode(), digest_size=6).hexdigest()


def one_page(found: list[T], limit: int) -> tuple[list[T], T | None]:
    """A page of `limit` items out of `found` (read with one more than `limit`) and its last
    item when more follow: the last page has no token, even when it is full."""
    if len(found) > limit:
        return found[:limit], found[limit - 1]
    return found, None


def bad_token() -> ValidationError:
    """The 422 for a page token we did not give out (for this list)."""
    return ValidationError(
        "invalid page_token: pass the next_page_token of the previous page of the same list",
        parameter="page_token",
    )


# -- presenters -----------------------------------------------------------------------------


def _q(value: Decimal | None, places: Decimal = PRICE_PLACES) -> Decimal | None:
    return None if value is None else value.quantize(places).normalize()


def order_public(
    order: Order, catalog: Catalog, legs: Sequence[Order] | None = None
) -> OrderPublic:
    """An order as clients see it, with its fills summarized: its `legs` by id, or the orders
    given (a nested listing's)."""
    avg = order.avg_fill_price
    ids = order.leg_ids
    return OrderPublic(
        id=order.id,
        client_order_id=order.client_order_id,
        account_id=order.account_id,
        symbol=order.symbol,
        asset_class=catalog.get(order.symbol).asset_class.value,
        side=order.side,
        type=order.type,
        time_in_force=order.tif,
        status=order.status,
        qty=order.qty.normalize(),  # a replacement's, the rest of the old: 198, not 198.0000
        notional=order.notional,
        filled_qty=order.filled_qty.normalize(),
        remaining_qty=order.remaining.normalize() if order.is_open else Decimal(0),
        filled_avg_price=_q(avg),
        filled_notional=order.filled_notional.normalize(),
        limit_price=order.limit_price,
        stop_price=order.stop_price,
        trail_price=order.trail_price,
        trail_percent=order.trail_percent,
        trail_watermark=order.watermark,
        extended_hours=order.extended_hours,
        arrival_mid=_q(order.arrival_mid),
        reject_reason=order.reject_reason,
        replaces=order.replaces,
        replaced_by=order.replaced_by,
        profile=order.profile,
        created_at=iso(order.created_ns),
        updated_at=iso(last_change_ns(order)),
        expires_at=at(order.expire_ns),
        cancel_arrives_at=at(order.cancel_due_ns) if order.is_open else None,
        replacing_with=order.extra.get(REPLACING_WITH) if order.is_open else None,
        order_class=OrderClass(order.extra.get(ORDER_CLASS, OrderClass.SIMPLE.value)),
        parent_id=order.extra.get(PARENT),
        legs=ids if legs is None else [order_public(leg, catalog) for leg in legs],
        oco_with=order.extra.get(OCO_WITH),
    )


def fill_public(fill: Fill, catalog: Catalog) -> FillPublic:
    """A fill with its full receipt."""
    inst = catalog.get(fill.symbol)
    r = fill.receipt
    frictionless, drift, spread, impact = r.costs_in_cents(fill.side)
    return FillPublic(
        id=fill.id,
        order_id=fill.order_id,
        account_id=fill.account_id,
        symbol=fill.symbol,
        side=fill.side,
        qty=fill.qty.normalize(),
        price=_q(fill.price) or Decimal(0),
        fee=fill.fee,
        currency=inst.currency,
        fx_rate=fill.fx_rate,
        value_vcr=cents(fill.qty * fill.price * inst.multiplier * fill.fx_rate),
        profile=fill.profile,
        filled_at=iso(fill.ts_ns),
        receipt=ReceiptPublic(
            arrival_mid=_q(r.arrival_mid) or Decimal(0),
            touch=r.touch,
            avg_price=_q(r.avg_price) or Decimal(0),
            spread_cost=spread,
            impact_cost=impact,
            fees=r.fees,
            fee_breakdown=[FeePart(name=k, amount=v) for k, v in r.fee_breakdown],
            fx_rate=r.fx_rate,
            slices=[SlicePublic(price=s.price, qty=s.qty.normalize()) for s in r.slices],
            profile=r.profile,
            liquidity=r.liquidity,  # type: ignore[arg-type]  # taker, maker or auction
            frictionless_cost=frictionless,
            slippage_bps=r.slippage_bps,
            drift_cost=drift,
            auction=r.auction,  # type: ignore[arg-type]  # open, close or None
        ),
    )


def account_public(state: ApiState, account: Account) -> AccountPublic:
    """An account's figures at current marks, straight from the engine (no lag)."""
    engine = state.container.engine
    now = state.container.clock.now_ns()
    view = engine.view(account.id, now)
    excess = engine.excess_margin(account.id, now)
    return AccountPublic(
        id=account.id,
        name=account.name,
        profile=account.profile,
        currency=ACCOUNT_CURRENCY,
        initial_balance=account.initial_balance,
        cash=cents(account.cash),
        nav=cents(view.nav),
        gross_exposure=cents(view.gross),
        margin_used=cents(view.margin_used),
        buying_power=spendable_cents(excess * engine.stock_leverage(account.id)),
        excess_margin=spendable_cents(excess),
        margin_call=account.margin_call,
        trading_suspended=account.trading_suspended,
        no_shorting=account.no_shorting,
        cash_only=account.cash_only,
        open_orders=len(engine.open_orders(account.id)),
        created_at=iso(account.created_ns),
    )


def valued(state: ApiState, account_id: str) -> AccountState:
    """The account's hot state."""
    return state.container.queries.state(account_id)
