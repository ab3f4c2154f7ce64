"""`/v2/positions`: list, get, close one (all or `qty`/`percentage` of it), close all (§6, §8).

Positions come from the engine (the committed state, current the moment an order fills) and
are marked at the current mid. Closing submits a market order on the opposite side through
the batcher, like any other order.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from vtrade.api.alpaca.common import (
    Ctx,
    CtxDep,
    decimal,
    instrument_or_404,
    insufficient_qty,
    render_order,
)
from vtrade.api.alpaca.orders import cancel_all, submit
from vtrade.api.alpaca.schemas import POSITION_INTENT, alpaca_symbol, intent_of, position_json
from vtrade.core.clock import NS_PER_DAY
from vtrade.core.errors import NotFoundError, RejectedError, ValidationError, VtradeError
from vtrade.domain.accounts import Position
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import Interval, Side
from vtrade.domain.orders import Fill, OrderType, TimeInForce
from vtrade.execution.validation import InsufficientQtyAvailable

router = APIRouter(tags=["alpaca: positions"])


def _day_start(c: Ctx, inst: Instrument, now_ns: int) -> int:
    """Where the instrument's trading day in force now began (now, between days)."""
    day = c.container.sessions.for_instrument(inst).state(now_ns).trading_day
    return now_ns if day is None else day


def _last_day_ended(c: Ctx, inst: Instrument, now_ns: int) -> tuple[int, int] | None:
    """The label and closing instant of the last trading day that ended at or before now:
    the day before the one in force, or between days the one that just ended. Never a later
    day: its bar, labelled at its midnight UTC (for US stocks the evening before it starts),
    holds its whole close."""
    days = c.container.sessions.for_instrument(inst).days
    i = int(np.searchsorted(days.end, now_ns, side="right")) - 1
    return (int(days.day[i]), int(days.close[i])) if i >= 0 else None


def previous_close(c: Ctx, inst: Instrument, now_ns: int) -> tuple[Decimal, Decimal] | None:
    """The close of the last trading day that ended at or before now, and the VCR value of a
    unit of its quote currency then (a holding's value then is at that rate)."""
    last = _last_day_ended(c, inst, now_ns)
    if last is None:
        return None
    day, close_ns = last
    bars = c.container.market.bars(inst.symbol, Interval.D1, day - 14 * NS_PER_DAY, day + 1)
    if not len(bars):
        return None
    price = Decimal(repr(float(bars.close[-1]))).quantize(inst.tick_size)
    return price, c.container.engine.marks(close_ns).fx(inst.currency)


def _json(c: Ctx, pos: Position, now_ns: int, today: list[Fill]) -> dict[str, Any]:
    inst = c.catalog.get(pos.symbol)
    marks = c.container.engine.marks(now_ns)
    price = marks.mid(inst.symbol)  # as the account values it (a mid may be half a tick)
    fx = marks.fx(inst.currency)
    lastday, lastday_fx = previous_close(c, inst, now_ns) or (price, fx)
    return position_json(
        inst,
        pos.qty,
        pos.avg_price,
        price,
        lastday,
        fx,
        lastday_fx=lastday_fx,
        held=c.container.engine.held_for_orders(pos),
        opened_today=_opened_today(c, inst, pos, now_ns, today),
        entry_fx=pos.entry_fx,
    )


def _todays_fills(c: Ctx, positions: list[Position], now_ns: int) -> list[Fill]:
    """The account's fills since the earliest trading day among `positions` began, newest
    first: read once per request, whatever the number of positions."""
    starts = [_day_start(c, c.catalog.get(p.symbol), now_ns) for p in positions]
    since = min(starts, default=now_ns)
    return c.container.store.list_fills(c.account_id, limit=100_000, since_ns=since)


def _opened_today(c: Ctx, inst: Instrument, pos: Position, now_ns: int, today: list[Fill]) -> bool:
    """Whether the position was opened today (not held at the last close, or closed and opened
    again since): its intraday P&L then runs from its entry, not from the last close. Walks
    today's fills back from the position as it is now."""
    since = _day_start(c, inst, now_ns)
    qty = pos.qty
    for fill in today:  # newest first
        if fill.ts_ns < since:
            break
        if fill.symbol == pos.symbol:
            qty -= fill.qty if fill.side is Side.BUY else -fill.qty
            if qty == 0 or (qty > 0) != (pos.qty > 0):
                return True
    return False


def _open_positions(c: Ctx) -> list[Position]:
    held = [p for p in c.container.engine.positions_of(c.account_id) if p.qty]
    return sorted(held, key=lambda p: p.symbol)


def _position(c: Ctx, symbol_or_asset_id: str) -> Position:
    inst = instrument_or_404(c.state, symbol_or_asset_id, "position")
    for pos in _open_positions(c):
        if pos.symbol == inst.symbol:
            return pos
    symbol = alpaca_symbol(inst)
    raise NotFoundError(f"position does not exist: {symbol}", symbol=symbol)


@router.get("/v2/positions", summary="List open positions")
async def list_positions(c: CtxDep) -> list[dict[str, Any]]:
    now = c.now_ns()
    positions = _open_positions(c)
    today = _todays_fills(c, positions, now)
    return [_json(c, p, now, today) for p in positions]


@router.get("/v2/positions/{symbol_or_asset_id:path}", summary="Get an open position")
async def get_position(symbol_or_asset_id: str, c: CtxDep) -> dict[str, Any]:
    """By symbol (`AAPL`, `BTC/USD`) or asset id; 404 when flat."""
    now = c.now_ns()
    pos = _position(c, symbol_or_asset_id)
    return _json(c, pos, now, _todays_fills(c, [pos], now))


def _close_qty(
    c: Ctx, pos: Position, inst: Instrument, qty: str | None, percentage: str | None
) -> Decimal:
    """What to close: `qty`, `percentage` percent of the position, or all of it; never more
    than open orders leave available."""
    held = c.container.engine.held_for_orders(pos)
    existing = abs(pos.qty)
    available = existing - held
    if qty is not None and percentage is not None:
        raise ValidationError("give qty or percentage, not both")
    if qty is not None:
        wanted = decimal(qty, "qty")
        if wanted <= 0:
            raise ValidationError(f"qty must be > 0, got {qty}")
    elif percentage is not None:
        share = decimal(percentage, "percentage")
        if not 0 < share <= 100:
            raise ValidationError(f"percentage must be > 0 and <= 100, got {percentage}")
        lots = (existing * share / 100 / inst.lot_size).to_integral_value(ROUND_FLOOR)
        wanted = lots * inst.lot_size
        if wanted <= 0:
            raise ValidationError(
                f"{percentage}% of {existing} is less than one lot ({inst.lot_size})"
            )
    else:
        wanted = existing
    if wanted > available:
        related = c.container.engine.holding_ids(pos)
        refused = InsufficientQtyAvailable(inst.symbol, wanted, existing, held, related)
        raise insufficient_qty(inst, refused.message, refused.facts)
    return wanted


async def _close(c: Ctx, pos: Position, qty: Decimal) -> dict[str, Any]:
    inst = c.catalog.get(pos.symbol)
    side = pos.closing_side
    cmd = SubmitOrder(
        **c.command_meta(),
        account_id=c.account_id,
        symbol=pos.symbol,
        side=side,
        type=OrderType.MARKET,
        tif=TimeInForce.GTC if inst.calendar == "24/7" else TimeInForce.DAY,
        qty=qty,
        within_position=True,  # the engine checks again, with the orders of its batch
        extra={POSITION_INTENT: intent_of(side, pos.qty)},
    )
    return render_order(c, await submit(c, cmd))


@router.delete("/v2/positions/{symbol_or_asset_id:path}", summary="Close a position")
async def close_position(
    symbol_or_asset_id: str,
    c: CtxDep,
    qty: Annotated[str | None, Query(description="how much to close")] = None,
    percentage: Annotated[str | None, Query(description="share to close, 0-100")] = None,
) -> dict[str, Any]:
    """Submit a market order that closes all of the position, `qty` of it or `percentage`
    percent of it (rounded down to the lot size); return that order."""
    pos = _position(c, symbol_or_asset_id)
    inst = c.catalog.get(pos.symbol)
    return await _close(c, pos, _close_qty(c, pos, inst, qty, percentage))


@router.delete("/v2/positions", summary="Close all positions", status_code=207)
async def close_all_positions(
    c: CtxDep,
    cancel_orders: Annotated[bool, Query(description="cancel open orders first")] = False,
) -> JSONResponse:
    """207 Multi-Status: `[{"symbol", "status", "body"}]`, the body an order or an error."""
    if cancel_orders:
        cancel_all(c)
    results: list[dict[str, Any]] = []
    for pos in _open_positions(c):
        inst = c.catalog.get(pos.symbol)
        symbol = alpaca_symbol(inst)
        try:
            body = await _close(c, pos, _close_qty(c, pos, inst, None, None))
        except VtradeError as exc:
            status = 403 if isinstance(exc, RejectedError) else 422
            code = 40310000 if status == 403 else 40010001
            error = {"code": code, "message": exc.message, **(exc.details or {}), "symbol": symbol}
            results.append({"symbol": symbol, "status": status, "body": error})
            continue
        results.append({"symbol": symbol, "status": 200, "order_id": body["id"], "body": body})
    return JSONResponse(results, status_code=207)
