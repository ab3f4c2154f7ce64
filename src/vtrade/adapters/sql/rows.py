"""Map domain objects to table rows (plain dicts for executemany) and rows back to objects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from vtrade.adapters.sql.codec import decode_extra, decode_receipt, encode_extra, encode_receipt
from vtrade.domain.accounts import Account, EntryKind, LedgerEntry, Position, Profile
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, Order, OrderStatus, OrderType, TimeInForce

Values = dict[str, Any]


def account_row(a: Account) -> Values:
    return {
        "id": a.id,
        "owner": a.owner,
        "name": a.name,
        "profile": str(a.profile),
        "initial_balance": a.initial_balance,
        "cash": a.cash,
        "created_ns": a.created_ns,
        "epoch": a.epoch,
        "margin_call": a.margin_call,
        "trading_suspended": a.trading_suspended,
        "no_shorting": a.no_shorting,
        "cash_only": a.cash_only,
    }


def account_from(r: Row[Any]) -> Account:
    return Account(
        id=r.id,
        owner=r.owner,
        name=r.name,
        profile=Profile(r.profile),
        initial_balance=r.initial_balance,
        cash=r.cash,
        created_ns=r.created_ns,
        epoch=r.epoch,
        margin_call=bool(r.margin_call),
        trading_suspended=bool(r.trading_suspended),
        no_shorting=bool(r.no_shorting),
        cash_only=bool(r.cash_only),
    )


def order_row(o: Order) -> Values:
    return {
        "id": o.id,
        "account_id": o.account_id,
        "client_order_id": o.client_order_id,
        "symbol": o.symbol,
        "side": str(o.side),
        "type": str(o.type),
        "tif": str(o.tif),
        "qty": o.qty,
        "notional": o.notional,
        "limit_price": o.limit_price,
        "stop_price": o.stop_price,
        "trail_price": o.trail_price,
        "trail_percent": o.trail_percent,
        "extended_hours": o.extended_hours,
        "status": str(o.status),
        "filled_qty": o.filled_qty,
        "filled_notional": o.filled_notional,
        "triggered": o.triggered,
        "watermark": o.watermark,
        "arrival_mid": o.arrival_mid,
        "replaces": o.replaces,
        "replaced_by": o.replaced_by,
        "group_id": o.group_id,
        "reject_reason": o.reject_reason,
        "profile": o.profile,
        "created_ns": o.created_ns,
        "updated_ns": o.updated_ns,
        "seq": o.seq,
        "extra": encode_extra(o.extra) if o.extra else "{}",
        "due_ns": o.due_ns,
        "expire_ns": o.expire_ns,
        "allowance": o.allowance,
        "fees_vcr": o.fees_vcr,
    }


def order_from(r: Row[Any]) -> Order:
    return Order(
        id=r.id,
        account_id=r.account_id,
        client_order_id=r.client_order_id,
        symbol=r.symbol,
        side=Side(r.side),
        type=OrderType(r.type),
        tif=TimeInForce(r.tif),
        qty=r.qty,
        notional=r.notional,
        limit_price=r.limit_price,
        stop_price=r.stop_price,
        trail_price=r.trail_price,
        trail_percent=r.trail_percent,
        extended_hours=bool(r.extended_hours),
        status=OrderStatus(r.status),
        filled_qty=r.filled_qty,
        filled_notional=r.filled_notional,
        triggered=bool(r.triggered),
        watermark=r.watermark,
        arrival_mid=r.arrival_mid,
        replaces=r.replaces,
        replaced_by=r.replaced_by,
        group_id=r.group_id,
        reject_reason=r.reject_reason,
        profile=r.profile,
        created_ns=r.created_ns,
        updated_ns=r.updated_ns,
        seq=r.seq,
        extra=decode_extra(r.extra) if r.extra != "{}" else {},
        due_ns=r.due_ns,
        expire_ns=r.expire_ns,
        allowance=r.allowance,
        fees_vcr=r.fees_vcr,
    )


def fill_row(f: Fill) -> Values:
    return {
        "id": f.id,
        "order_id": f.order_id,
        "account_id": f.account_id,
        "symbol": f.symbol,
        "side": str(f.side),
        "qty": f.qty,
        "price": f.price,
        "fee": f.fee,
        "fx_rate": f.fx_rate,
        "ts_ns": f.ts_ns,
        "profile": f.profile,
        "receipt": encode_receipt(f.receipt),
    }


def fill_from(r: Row[Any]) -> Fill:
    return Fill(
        id=r.id,
        order_id=r.order_id,
        account_id=r.account_id,
        symbol=r.symbol,
        side=Side(r.side),
        qty=r.qty,
        price=r.price,
        fee=r.fee,
        fx_rate=r.fx_rate,
        ts_ns=r.ts_ns,
        profile=r.profile,
        receipt=decode_receipt(r.receipt),
    )


def position_row(p: Position) -> Values:
    return {
        "account_id": p.account_id,
        "symbol": p.symbol,
        "qty": p.qty,
        "avg_price": p.avg_price,
        "realized_pnl": p.realized_pnl,
        "updated_ns": p.updated_ns,
        "entry_fx": p.entry_fx,
    }


def position_from(r: Row[Any]) -> Position:
    return Position(
        account_id=r.account_id,
        symbol=r.symbol,
        qty=r.qty,
        avg_price=r.avg_price,
        realized_pnl=r.realized_pnl,
        updated_ns=r.updated_ns,
        entry_fx=r.entry_fx,
    )


def ledger_row(e: LedgerEntry) -> Values:
    return {
        "id": e.id,
        "account_id": e.account_id,
        "kind": str(e.kind),
        "amount": e.amount,
        "ts_ns": e.ts_ns,
        "ref": e.ref,
        "note": e.note,
    }


def ledger_from(r: Row[Any]) -> LedgerEntry:
    return LedgerEntry(
        id=r.id,
        account_id=r.account_id,
        kind=EntryKind(r.kind),
        amount=r.amount,
        ts_ns=r.ts_ns,
        ref=r.ref,
        note=r.note,
    )
