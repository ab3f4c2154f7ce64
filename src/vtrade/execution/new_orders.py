"""A new order from its command: sized by quantity or by notional, and built as it arrives."""

from __future__ import annotations

from decimal import Decimal

from vtrade.core.errors import ValidationError
from vtrade.domain.accounts import Account
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.instruments import Instrument
from vtrade.domain.orders import Order, OrderType
from vtrade.execution import fills
from vtrade.execution.validation import RuleViolation, check_notional


def qty_for_notional(
    notional: Decimal | None, price: Decimal, inst: Instrument, fee: fills.FeeOf | None
) -> Decimal:
    """The whole lots `notional` buys at `price`, its `fee` (a buy's) paid out of it."""
    assert notional is not None  # `check_sizing` refused an order with neither qty nor notional
    check_notional(notional)  # before dividing by it
    qty, paid = fills.lots_after_fees(notional, price, inst, fee)
    if qty <= 0:
        after = f" after fees of {paid}" if paid else ""
        raise RuleViolation(
            "quantity",
            f"notional {notional} comes to less than one lot ({inst.lot_size}) of "
            f"{inst.symbol} at {price}{after}",
        )
    return qty


def check_sizing(cmd: SubmitOrder) -> None:
    """Refuse an order sized by both qty and notional, or by neither, or a notional one that
    is not a market order."""
    if (cmd.qty is None) == (cmd.notional is None):
        raise ValidationError("give exactly one of qty and notional")
    if cmd.notional is not None and cmd.type is not OrderType.MARKET:
        raise ValidationError("notional orders must be market orders")


def order_from(
    cmd: SubmitOrder,
    inst: Instrument,
    account: Account,
    t_ns: int,
    *,
    id: str,
    client_order_id: str,
    seq: int,
) -> Order:
    """The order `cmd` asks for, as it arrives at `t_ns` (a notional order is sized later)."""
    return Order(
        id=id,
        account_id=account.id,
        client_order_id=client_order_id,
        symbol=inst.symbol,
        side=cmd.side,
        type=cmd.type,
        tif=cmd.tif,
        qty=cmd.qty if cmd.qty is not None else Decimal(0),
        notional=cmd.notional,
        limit_price=cmd.limit_price,
        stop_price=cmd.stop_price,
        trail_price=cmd.trail_price,
        trail_percent=cmd.trail_percent,
        extended_hours=cmd.extended_hours,
        extra=dict(cmd.extra),
        profile=account.profile.value,
        created_ns=t_ns,
        updated_ns=t_ns,
        seq=seq,
    )
