"""Trading through a running server with an API key: `account`, `positions`, `order` and
`cancel` (`orders` and `fills` are in `client_lists`; HTTP only: the server applies every
trading rule)."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import typer

from vtrade.cli import client_tables as tables
from vtrade.cli.common import choice, error, friendly_errors, options_of, out, print_json, warn
from vtrade.cli.remote import Remote, RemoteError, Server
from vtrade.domain.market_data import Side
from vtrade.domain.orders import (
    BLANK_CLIENT_ORDER_ID,
    OrderType,
    TimeInForce,
    blank_client_order_id,
)
from vtrade.execution.validation import ORDER_BOUNDS, PRICES_NEEDED

MOST_PLACES = 18  # decimals of an amount (no lot or tick is finer)
TRAILS = ("--trail-price", "--trail-percent")
FIELDS = {  # the field of POST /orders each amount is sent as
    "QTY": "qty",
    "--notional": "notional",
    "--limit-price": "limit_price",
    "--stop-price": "stop_price",
    "--trail-price": "trail_price",
    "--trail-percent": "trail_percent",
    "--take-profit": "take_profit_limit_price",
    "--stop-loss": "stop_loss_stop_price",
    "--stop-loss-limit": "stop_loss_limit_price",
}
# The price flags each order type needs (the engine's rule, in flag names); any other price
# flag is refused with it, before the server is called.
NEEDS = {
    kind: tuple(f"--{name.replace('_', '-')}" for name in names)
    for kind, names in PRICES_NEEDED.items()
}


@friendly_errors
@options_of(Server, "server")
def account(*, server: Server) -> None:
    """Show the API key's account: cash, NAV, buying power, margin, profile and rules."""
    with server.connect() as remote:
        data = remote.get("/account", "id")
        if server.as_json:
            print_json(data)
        else:
            out.print(tables.account(data))


@friendly_errors
@options_of(Server, "server")
def positions(*, server: Server) -> None:
    """List the account's open positions, largest first, with their unrealized P&L."""
    with server.connect() as remote:
        data = remote.get(remote.of_account("/positions"), "positions")
        if server.as_json:
            print_json(data)
        elif not data["positions"]:
            out.print("no open positions")
        else:
            out.print(tables.positions(data["positions"]))


@friendly_errors
@options_of(Server, "server")
def order(
    symbol: str = typer.Argument(..., help="Instrument symbol"),
    side: str = typer.Argument(..., help="buy or sell"),
    qty: str | None = typer.Argument(None, help="Quantity, a multiple of the lot (or --notional)"),
    notional: str | None = typer.Option(
        None,
        "--notional",
        help="Amount to trade instead of QTY, in the symbol's quote currency (GBX for a .L "
        "stock, JPY for USD/JPY): market orders",
    ),
    order_type: str | None = typer.Option(
        None, "--type", help="market, limit, stop, stop_limit or trailing_stop (default market)"
    ),
    limit_price: str | None = typer.Option(None, "--limit-price", help="Limit price"),
    stop_price: str | None = typer.Option(None, "--stop-price", help="Stop price"),
    trail_price: str | None = typer.Option(None, "--trail-price", help="Trail in price units"),
    trail_percent: str | None = typer.Option(None, "--trail-percent", help="Trail in percent"),
    tif: str = typer.Option("day", "--tif", help="Time in force: day, gtc, ioc, fok, opg, cls"),
    extended_hours: bool = typer.Option(
        False, "--extended-hours", help="A day limit order may fill in US pre/post-market"
    ),
    client_order_id: str | None = typer.Option(
        None, "--client-order-id", help="Your id; sending it again returns the first order"
    ),
    take_profit: str | None = typer.Option(
        None, "--take-profit", help="Exit: limit price of a take-profit (bracket or oto)"
    ),
    stop_loss: str | None = typer.Option(
        None, "--stop-loss", help="Exit: stop price of a stop-loss (bracket or oto)"
    ),
    stop_loss_limit: str | None = typer.Option(
        None, "--stop-loss-limit", help="Limit price that makes the stop-loss a stop-limit"
    ),
    oco: bool = typer.Option(
        False, "--oco", help="No entry: the take-profit and stop-loss work now, one-cancels-other"
    ),
    *,
    server: Server,
) -> None:
    """Place an order; a --take-profit and a --stop-loss make it a bracket (one of them: an
    oto), whose exits wait until it fills."""
    if blank_client_order_id(client_order_id):
        raise ValueError(f"--client-order-id {BLANK_CLIENT_ORDER_ID}")
    body = order_body(
        symbol,
        choice(side, Side, "side"),
        choice(order_type or ("limit" if oco else "market"), OrderType, "--type"),
        choice(tif, TimeInForce, "--tif"),
        amounts={
            "QTY": qty,
            "--notional": notional,
            "--limit-price": limit_price,
            "--stop-price": stop_price,
            "--trail-price": trail_price,
            "--trail-percent": trail_percent,
            "--take-profit": take_profit,
            "--stop-loss": stop_loss,
            "--stop-loss-limit": stop_loss_limit,
        },
        oco=oco,
    )
    # an id of our own, so that an order whose answer was lost can be sent again safely;
    # random, not the seeded ids of `core.ids`: two runs must never send the same one
    client_order_id = client_order_id or f"cli-{uuid.uuid4().hex}"
    body.update(extended_hours=extended_hours, client_order_id=client_order_id)
    placed_fields = ("id", "client_order_id", "status", "filled_qty")
    with server.connect() as remote:
        try:
            status, placed = remote.call(
                "POST", remote.of_account("/orders"), body=body, expect=placed_fields
            )
        except RemoteError as exc:
            if exc.maybe_acted:
                again = f"send it again with --client-order-id {client_order_id}"
                message = f"{exc}: {again}, which places it at most once"
                raise RemoteError(message, body=exc.body, maybe_acted=True) from None
            raise
        if server.as_json:
            print_json(placed)
            return
        if status == 200:
            out.print(f"client order id {placed['client_order_id']} was sent before: its order is")
        out.print(tables.one_order(placed, *tied_orders(remote, placed)))
        if Decimal(placed["filled_qty"]) > 0:
            _print_receipts(remote, placed)


def tied_orders(remote: Remote, order: dict[str, Any]) -> tuple[list[Any] | None, Any]:
    """The orders tied to `order`: its legs as they stand now (read with it, nested) and its
    one-cancels-other unless one of them; None for what it has not, or what cannot be read,
    with a warning (the view shows its id): what it is tied to was done all the same."""
    ids, legs = order.get("legs") or [], None
    if ids:
        found = _read_tied(remote, order["id"], f"the legs of order {order['id']}", nested="true")
        legs = [leg for leg in found.get("legs") or () if isinstance(leg, dict)] if found else None
    pair = order.get("oco_with")
    if not pair or pair in [*ids, *(leg.get("id") for leg in legs or ())]:
        return legs, None
    return legs, _read_tied(remote, pair, f"order {pair}, tied to one shown")


def _read_tied(remote: Remote, order_id: str, what: str, **params: str) -> Any:
    try:
        return remote.get(_order_path(remote, order_id), "id", **params)
    except RemoteError as exc:
        warn(f"{what} could not be read: {exc}")
        return None


def _order_path(remote: Remote, order_id: str, rest: str = "") -> str:
    return remote.of_account(f"/orders/{quote(order_id, safe='')}{rest}")


def _print_receipts(remote: Remote, placed: dict[str, Any]) -> None:
    """The receipts of a placed order's fills; a failure to read them is a warning: the order
    stands, and an error status would invite sending it again."""
    try:
        receipts = remote.get(_order_path(remote, placed["id"], "/fills"), "fills")
    except RemoteError as exc:
        warn(f"order {placed['id']} was placed ({placed['status']}); its receipts: {exc}")
        return
    if receipts["fills"]:
        out.print(tables.receipts(receipts["fills"]))


@friendly_errors
@options_of(Server, "server")
def cancel(
    order_id: str | None = typer.Argument(None, help="Id of the order to cancel"),
    cancel_all: bool = typer.Option(False, "--all", help="Cancel every open order instead"),
    *,
    server: Server,
) -> None:
    """Cancel an open order, or every open order with --all."""
    if cancel_all == (order_id is not None):
        raise ValueError("give the ORDER_ID of an open order, or --all (not both)")
    if order_id is not None and not order_id.strip():
        raise ValueError("ORDER_ID is empty; `vtrade orders` lists the open ones")
    with server.connect() as remote:
        path = (
            remote.of_account("/orders")
            if order_id is None
            else _order_path(remote, order_id.strip())
        )
        expect = ("canceled",) if cancel_all else ("id",)
        data = remote.call("DELETE", path, expect=expect)[1]
        if server.as_json:
            print_json(data)
        elif order_id is not None:
            out.print(tables.one_order(data, *tied_orders(remote, data)))
        else:
            if data["canceled"]:
                out.print(tables.orders(data["canceled"], "Canceled"))
            if data.get("pending"):  # harsh: they may still fill until their cancels arrive
                out.print(tables.orders(data["pending"], "Cancel on its way"))
            if not (data["canceled"] or data.get("pending") or data["failed"]):
                out.print("no open orders to cancel")
        failed = [] if order_id is not None else data["failed"]
        for failure in failed:
            error(f"order {failure['order_id']} not canceled: {failure['message']}")
        if failed:
            raise typer.Exit(2)


# -- checks of the input, before the server is called ---------------------------------------


def order_body(
    symbol: str,
    side: Side,
    order_type: OrderType,
    tif: TimeInForce,
    *,
    amounts: dict[str, str | None],
    oco: bool,
) -> dict[str, Any]:
    """The JSON of POST /orders for the flags given; amounts are checked numbers, and the
    prices fit the order type (what the market makes of them is the server's to say)."""
    given = {flag: _amount(flag, text) for flag, text in amounts.items() if text is not None}
    if ("QTY" in given) == ("--notional" in given):
        raise ValueError("give a QTY or --notional AMOUNT (one of them)")
    if oco and order_type is not OrderType.LIMIT:
        raise ValueError("--oco places a limit order (its take-profit): leave out --type")
    if oco and "--limit-price" not in given and "--take-profit" in given:
        given["--limit-price"] = given["--take-profit"]  # an oco order is its take-profit
    name = order_type.value
    for flag in NEEDS[order_type]:
        if flag not in given:
            raise ValueError(f"--type {name} needs {flag}")
    for flag in ("--limit-price", "--stop-price"):
        if flag in given and flag not in NEEDS[order_type]:
            raise ValueError(f"--type {name} takes no {flag}")
    trails = [flag for flag in TRAILS if flag in given]
    if order_type is OrderType.TRAILING_STOP and len(trails) != 1:
        raise ValueError(f"--type {name} needs one of --trail-price and --trail-percent")
    if order_type is not OrderType.TRAILING_STOP and trails:
        raise ValueError(f"--type {name} takes no {trails[0]}")
    exits = [flag for flag in ("--take-profit", "--stop-loss") if flag in given]
    if "--stop-loss-limit" in given and "--stop-loss" not in given:
        raise ValueError("--stop-loss-limit goes with --stop-loss (the stop that triggers it)")
    if oco and len(exits) < 2:
        raise ValueError("--oco needs --take-profit and --stop-loss")
    order_class = "oco" if oco else {0: "simple", 1: "oto", 2: "bracket"}[len(exits)]
    return {
        "symbol": symbol,
        "side": side.value,
        "type": name,
        "time_in_force": tif.value,
        "order_class": order_class,
        **{FIELDS[flag]: value for flag, value in given.items()},
    }


def _amount(flag: str, text: str) -> str:
    """A positive finite number, sent exactly as typed in plain digits (`1e3` as 1000): at most
    the server's largest quantity (a percent: below 100), with at most `MOST_PLACES` decimals.
    Sizes are checked before any arithmetic: `1e999999` is refused, not computed."""
    try:
        value: Decimal | None = Decimal(text.strip())
    except InvalidOperation:
        value = None
    percent = flag == "--trail-percent"
    ceiling = Decimal(100) if percent else ORDER_BOUNDS.max_qty
    if (
        value is None
        or not value.is_finite()
        or value <= 0
        or value.adjusted() > ceiling.adjusted()
        or (value >= ceiling if percent else value > ceiling)
    ):
        bound = f"below {ceiling:,f}" if percent else f"at most {ceiling:,f}"
        raise ValueError(f"{flag} must be a number above 0 and {bound}, got {text!r}")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if -(exponent + zeros) > MOST_PLACES:  # decimals, trailing zeros aside
        raise ValueError(f"{flag} has more than {MOST_PLACES} decimals, got {text!r}")
    return format(value, "f")
