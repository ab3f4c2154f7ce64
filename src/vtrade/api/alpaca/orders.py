"""`/v2/orders`: submit, list, get (by id or client id), replace and cancel (§6, §8).

Orders submitted here are the same orders as through `/api/v1`: they go through the batcher
into the one engine. A malformed order answers 422 before it reaches the engine (nothing is
kept, as on Alpaca); the engine's rejections answer 403 (a trading rule refused the order:
buying power, position cap, shortability, session), and are kept as `rejected`. Unlike
native orders, they follow Alpaca's rule that an order may not reduce a position by more than
is available (`within_position`): no order crosses through zero.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field, model_validator

from vtrade.api.alpaca.common import (
    Ctx,
    CtxDep,
    after_instant,
    csv_list,
    find_instrument,
    instant,
    instrument_or_422,
    json_response,
    optional_decimal,
    render_order,
    render_with,
)
from vtrade.api.alpaca.order_rules import (
    check_new_order,
    check_shape_first,
    position_intent,
    refusal,
    whole_units_only,
)
from vtrade.api.alpaca.schemas import (
    POSITION_INTENT,
    TERMINAL_STATUSES,
    alpaca_symbol,
    order_status,
)
from vtrade.api.errors import alpaca_status
from vtrade.api.inputs import Body, ClientOrderIdIn
from vtrade.api.nested import Listing, nested_page
from vtrade.core.errors import (
    ConflictError,
    IllegalTransitionError,
    NotFoundError,
    ValidationError,
    VtradeError,
)
from vtrade.domain.commands import CancelOrder, ReplaceOrder, SubmitOrder
from vtrade.domain.instruments import AssetClass
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderClass, OrderStatus, OrderType, TimeInForce
from vtrade.execution.validation import InsufficientQtyAvailable, client_id_taken
from vtrade.market.catalog import Catalog

router = APIRouter(tags=["alpaca: orders"])


class OrderRequest(Body):
    """A new order as Alpaca clients send it; numbers may be JSON numbers or strings."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "symbol": "AAPL",
                    "qty": "1",
                    "side": "buy",
                    "type": "limit",
                    "time_in_force": "day",
                    "limit_price": "150.25",
                    "client_order_id": "bot-1",
                }
            ]
        },
    )

    symbol: str = Field(min_length=1, max_length=32)
    qty: Decimal | None = None
    notional: Decimal | None = None
    side: Literal["buy", "sell"]
    type: Literal["market", "limit", "stop", "stop_limit", "trailing_stop"] = "market"
    time_in_force: Literal["day", "gtc", "opg", "cls", "ioc", "fok"]  # required, as on Alpaca
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_price: Decimal | None = None
    trail_percent: Decimal | None = None
    extended_hours: bool = False
    client_order_id: ClientOrderIdIn = Field(None, max_length=128)
    order_class: Literal["", "simple", "bracket", "oco", "oto", "mleg"] | None = None
    take_profit: dict[str, Any] | None = None
    stop_loss: dict[str, Any] | None = None
    position_intent: (
        Literal["buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close"] | None
    ) = None

    @model_validator(mode="before")
    @classmethod
    def _no_options(cls, data: Any) -> Any:
        """Refuse a multi-leg options order before the fields: it has no symbol or side of its
        own, and "symbol: Field required" did not say what was wrong."""
        if isinstance(data, dict) and data.get("order_class") == "mleg":
            raise ValueError(
                "order_class mleg (multi-leg options) is not supported: vtrade trades no "
                "options; use simple, bracket, oco or oto"
            )
        return data


class ReplaceRequest(Body):
    """Changes to an open order; absent fields keep the old order's values."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"qty": "3", "limit_price": "151"}]}
    )

    qty: Decimal | None = None
    time_in_force: Literal["day", "gtc", "opg", "cls", "ioc", "fok"] | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail: Decimal | None = None
    client_order_id: ClientOrderIdIn = Field(None, max_length=128)


def _changes(body: ReplaceRequest, old: Order) -> bool:
    """Tell whether the replacement asks for anything the open order does not already have."""
    trail = old.trail_percent if old.trail_percent is not None else old.trail_price
    same = {
        "qty": old.remaining,
        "time_in_force": old.tif.value,
        "limit_price": old.limit_price,
        "stop_price": old.stop_price,
        "trail": trail,
        "client_order_id": old.client_order_id,
    }
    given = {name: getattr(body, name) for name in same}
    return any(v is not None and v != same[name] for name, v in given.items())


def _as_new_order(old: Order, body: ReplaceRequest, client_order_id: str | None) -> OrderRequest:
    """The replacement as a new order, for Alpaca's rules (`check_new_order`): the old order's
    fields, changed where `body` says. A triggered stop-limit is a live limit order while it
    keeps its stop, whose side of the market is then not checked again. A notional order
    given no qty stays one (the engine sizes it by what is left of its notional)."""
    stop_price = old.stop_price if body.stop_price is None else body.stop_price
    live_limit = old.triggered and stop_price == old.stop_price
    if live_limit or old.type is OrderType.TRAILING_STOP:
        stop_price = None  # a trailing stop's is the engine's, not the client's
    return OrderRequest(
        symbol=old.symbol,
        qty=body.qty if body.qty is not None or old.notional is not None else old.remaining,
        notional=old.notional if body.qty is None else None,
        side=old.side.value,
        type="limit" if live_limit else old.type.value,
        time_in_force=body.time_in_force or old.tif.value,
        limit_price=old.limit_price if body.limit_price is None else body.limit_price,
        stop_price=stop_price,
        extended_hours=old.extended_hours,
        client_order_id=client_order_id,
    )


def raise_if_rejected(order: Order, catalog: Catalog) -> None:
    """Turn an order the engine rejected into the Alpaca error for it (403 or 422)."""
    if order.status is not OrderStatus.REJECTED:
        return
    rule, _, message = (order.reject_reason or "rejected: order rejected").partition(": ")
    # the refusal's own facts (the engine put them in `extra`), none of the order's links
    facts = {k: order.extra[k] for k in InsufficientQtyAvailable.FACTS if k in order.extra}
    raise refusal(rule, message, catalog.get(order.symbol), facts)


def owned_order(c: Ctx, order_id: str) -> Order:
    """The caller's order with this id; 404 for unknown, malformed or foreign ids."""
    order = c.container.store.get_order(order_id.strip().lower())
    if order is None or order.account_id != c.account_id:
        raise NotFoundError(f"order not found: {order_id!r}")
    return order


def _check_open(order: Order, doing: str) -> None:
    status = order_status(order)
    if status in TERMINAL_STATUSES:
        raise IllegalTransitionError(
            f'order is not {doing}: it is already in "{status}" state', status=status
        )


async def submit(c: Ctx, cmd: SubmitOrder) -> Order:
    """Submit through the batcher, unless malformed (422, nothing kept); raise the Alpaca
    error if the engine rejected the order. An order the engine answers as a retry of one
    already placed is a reused `client_order_id` (422): the same id in one batch as another
    order passes `check_new_order`, which reads the store before either is placed."""
    check_shape_first(c, cmd)
    order, created = await c.state.batcher.submit(cmd)
    if not created and cmd.client_order_id is not None:
        raise client_id_taken(cmd.client_order_id, order.id)
    raise_if_rejected(order, c.catalog)
    return order


def _order_class(body: OrderRequest) -> OrderClass:
    """The order's class; take_profit or stop_loss on a simple order is refused (a bot that
    forgot order_class would otherwise get an order with no exit)."""
    order_class = OrderClass(body.order_class or "simple")
    legs = [name for name in ("take_profit", "stop_loss") if getattr(body, name)]
    if legs and order_class is OrderClass.SIMPLE:
        raise ValidationError(
            f"{' and '.join(legs)} belong to bracket, oco and oto orders: set order_class, "
            "or place the exit as its own order"
        )
    return order_class


# The keys of each exit, the one it needs first.
_EXIT_KEYS = {"take_profit": ("limit_price",), "stop_loss": ("stop_price", "limit_price")}


def _exit_prices(body: OrderRequest, name: str) -> list[Decimal | None]:
    """The prices of the exit `name` (`take_profit` or `stop_loss`), in `_EXIT_KEYS` order;
    Nones if it was not sent. An exit sent must have its price and no key it does not take:
    a misspelt key would otherwise leave the exit looking unsent."""
    keys, leg = _EXIT_KEYS[name], getattr(body, name)
    if leg is None:
        return [None] * len(keys)
    unknown = sorted(set(leg) - set(keys))
    if unknown:
        raise ValidationError(
            f"{name} takes no {', '.join(unknown)}; allowed: {', '.join(keys)}", field=name
        )
    prices = [optional_decimal(leg.get(key), f"{name}.{key}") for key in keys]
    if prices[0] is None:
        raise ValidationError(f"{name}.{keys[0]} is required", field=name)
    return prices


@router.post("/v2/orders", summary="Submit an order", response_class=JSONResponse)
async def post_order(body: OrderRequest, c: CtxDep) -> Response:
    """Submit an order (market, limit, stop, stop_limit, trailing_stop) sized by `qty` or, for
    market orders, by `notional`, under Alpaca's rules (`order_rules`): a reused
    `client_order_id` answers 422, whatever the order. A bracket, oto or oco order
    (`order_class`, with `take_profit` and/or `stop_loss`) answers with its `legs`."""
    order_class = _order_class(body)
    if (body.qty is None) == (body.notional is None):
        raise ValidationError("give exactly one of qty and notional")
    inst = instrument_or_422(c.state, body.symbol)
    if order_class is not OrderClass.SIMPLE and inst.asset_class is AssetClass.CRYPTO:
        raise ValidationError(
            f"crypto orders are simple orders, as on Alpaca: {alpaca_symbol(inst)} takes no "
            f"{order_class.value} order (place its exits as orders of their own)"
        )
    intent = position_intent(c, body, inst)
    side = Side(body.side)
    [take_profit] = _exit_prices(body, "take_profit")
    stop_loss, stop_loss_limit = _exit_prices(body, "stop_loss")
    cmd = SubmitOrder(  # first: it refuses a malformed contingent order before Alpaca's rules
        **c.command_meta(),
        account_id=c.account_id,
        symbol=inst.symbol,
        side=side,
        type=OrderType(body.type),
        tif=TimeInForce(body.time_in_force),
        qty=body.qty,
        notional=body.notional,
        limit_price=body.limit_price,
        stop_price=body.stop_price,
        trail_price=body.trail_price,
        trail_percent=body.trail_percent,
        extended_hours=body.extended_hours,
        client_order_id=body.client_order_id or None,
        order_class=order_class,
        take_profit_limit_price=take_profit,
        stop_loss_stop_price=stop_loss,
        stop_loss_limit_price=stop_loss_limit,
        within_position=True,  # Alpaca's rules; the direct path builds its orders here too
        whole_units=whole_units_only(c, body, inst),
        extra={POSITION_INTENT: intent},
    )
    check_new_order(c, body, inst)
    return json_response(render_order(c, await submit(c, cmd), nested=True))


@router.get("/v2/orders", summary="List orders")
async def list_orders(
    c: CtxDep,
    status: Annotated[Literal["open", "closed", "all"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[
        str | None, Query(description="only orders submitted after (exclusive)")
    ] = None,
    until: Annotated[
        str | None, Query(description="only orders submitted before (exclusive)")
    ] = None,
    direction: Annotated[Literal["asc", "desc"], Query()] = "desc",
    nested: Annotated[
        bool, Query(description="legs of bracket, oco and oto orders under their entry")
    ] = False,
    side: Annotated[Literal["buy", "sell"] | None, Query()] = None,
    symbols: Annotated[str | None, Query(description="comma-separated symbols")] = None,
) -> list[dict[str, Any]]:
    """The account's orders, newest first unless `direction=asc`; `nested`: legs under their
    entry order instead of listed apart."""
    wanted = []
    for text in csv_list(symbols):
        inst = find_instrument(c.state, text)
        wanted.append(inst.symbol if inst else text.upper())
    listing = Listing(
        account_id=c.account_id,
        status=status,
        symbols=wanted or None,
        after_ns=after_instant(after),
        until_ns=instant(until, "until"),
        ascending=direction == "asc",
    )
    store = c.container.store
    if not nested:
        return [render_order(c, o) for o in listing.read(store, None, limit, side)]
    entries, _ = nested_page(store, listing, None, limit, side)
    return [render_with(c, o, legs) for o, legs in entries]


@router.get("/v2/orders:by_client_order_id", summary="Get an order by its client order id")
async def get_by_client_id(
    client_order_id: Annotated[str, Query(max_length=128)], c: CtxDep
) -> dict[str, Any]:
    order = c.container.store.get_order_by_client_id(c.account_id, client_order_id)
    if order is None:
        raise NotFoundError(f"order not found: client_order_id {client_order_id!r}")
    return render_order(c, order)


@router.get("/v2/orders/{order_id}", summary="Get an order")
async def get_order(
    order_id: str, c: CtxDep, nested: Annotated[bool, Query()] = False
) -> dict[str, Any]:
    return render_order(c, owned_order(c, order_id), nested)


@router.patch("/v2/orders/{order_id}", summary="Replace an open order")
async def replace_order(order_id: str, body: ReplaceRequest, c: CtxDep) -> dict[str, Any]:
    """Replace an open order by a new one (new id, `replaces` = old id); the old order ends
    `replaced` with `replaced_by`. Terminal orders answer 422."""
    old = owned_order(c, order_id)
    _check_open(old, "replaceable")
    if not _changes(body, old):
        raise ValidationError(
            "a replacement must change something: give a new qty, time_in_force, limit_price, "
            "stop_price, trail or client_order_id"
        )
    # the old order's own id is no change (see `_changes`): the new order gets a new one
    client_order_id = body.client_order_id or None
    if client_order_id == old.client_order_id:
        client_order_id = None
    as_new, inst = _as_new_order(old, body, client_order_id), c.catalog.get(old.symbol)
    check_new_order(c, as_new, inst)
    cmd = ReplaceOrder(
        **c.command_meta(),
        account_id=c.account_id,
        order_id=old.id,
        qty=body.qty,
        limit_price=body.limit_price,
        stop_price=body.stop_price,
        trail=body.trail,
        tif=TimeInForce(body.time_in_force) if body.time_in_force else None,
        client_order_id=client_order_id,
        within_position=True,
        whole_units=whole_units_only(c, as_new, inst),
    )
    with _closed_meanwhile(c, old.id, "replaceable"):
        new = c.container.trading.replace(cmd)
    raise_if_rejected(new, c.catalog)
    return render_order(c, new)


@router.delete(
    "/v2/orders/{order_id}",
    status_code=204,
    response_class=Response,
    summary="Cancel an open order",
)
async def cancel_order(order_id: str, c: CtxDep) -> Response:
    """204 with an empty body; 404 for an unknown order, 422 for a terminal one."""
    order = owned_order(c, order_id)
    _check_open(order, "cancelable")
    with _closed_meanwhile(c, order.id, "cancelable"):
        c.container.trading.cancel(
            CancelOrder(**c.command_meta(), account_id=c.account_id, order_id=order.id)
        )
    return Response(status_code=204)


@contextlib.contextmanager
def _closed_meanwhile(c: Ctx, order_id: str, doing: str) -> Iterator[None]:
    """A command lets the market act first: an order open when checked may fill or expire
    then, and the engine no longer finds it open. Say so (422, as for any terminal order),
    not that it does not exist."""
    try:
        yield
    except NotFoundError:
        _check_open(owned_order(c, order_id), doing)
        raise


def cancel_all(c: Ctx) -> list[dict[str, Any]]:
    """Cancel every open order of the account; one result per order, as Alpaca's 207 lists."""
    results: list[dict[str, Any]] = []
    for order in c.container.engine.cancelable(c.account_id):
        if order.status is OrderStatus.CANCELED:  # with its one-cancels-other, just now
            results.append({"id": order.id, "status": 200, "body": render_order(c, order)})
            continue
        try:
            with _closed_meanwhile(c, order.id, "cancelable"):
                done = c.container.trading.cancel(
                    CancelOrder(**c.command_meta(), account_id=c.account_id, order_id=order.id)
                )
        # it filled or expired as the market acted, or its auction has locked it in
        except (IllegalTransitionError, ConflictError) as exc:
            status, code = alpaca_status(exc.code)
            results.append(
                {"id": order.id, "status": status, "body": {"code": code, "message": exc.message}}
            )
            continue
        except VtradeError as exc:
            body = {"code": 50010000, "message": f"failed to cancel order: {exc.message}"}
            results.append({"id": order.id, "status": 500, "body": body})
            continue
        results.append({"id": order.id, "status": 200, "body": render_order(c, done)})
    return results


@router.delete("/v2/orders", summary="Cancel all open orders", status_code=207)
async def cancel_orders(c: CtxDep) -> JSONResponse:
    """207 Multi-Status: `[{"id", "status", "body"}]`, `[]` when nothing was open."""
    return JSONResponse(cancel_all(c), status_code=207)
