"""Liquidation of a margin-called account, as a broker's risk desk does it (IBKR in real time).

When an account's equity falls below its maintenance margin, its open orders are canceled
(they could add exposure, or close what is being closed a second time) and market orders
close its positions until the requirement left is at most 90% of its equity (the cushion
pays for trading out and for the market moving meanwhile): first those whose market is open,
needing the most maintenance first, then, if they are not enough, those of closed markets,
which fill at their next open. An equity at or below zero closes everything. The orders are
ordinary market orders, `client_order_id` `liquidation-...`, marked as the desk's in
`Order.extra` (a trader's own order named so is not one: it would have shielded the account);
none is placed while another liquidation order of the account works. Orders left waiting for
closed markets give way when the market of another position opens: the desk plans again with
what trades now, rather than leave the account called through a session it could trade (a
Good Friday call queued for
London's Tuesday while New York trades Monday). `ExecutionConfig.liquidate_margin_calls`
turns it off (calls only).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.core.errors import VtradeError
from vtrade.core.money import round_to_increment
from vtrade.domain.accounts import Account, Position
from vtrade.domain.changes import Changes
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce
from vtrade.execution.accounting import AccountView
from vtrade.market.sessions import Phase

if TYPE_CHECKING:
    from vtrade.execution.engine import ExecutionEngine

PREFIX = "liquidation-"
DESK_MARK = {"placed_by": "risk_desk"}  # in the desk's orders' `Order.extra`, never a trader's
CUSHION = Decimal("0.9")  # liquidate until maintenance is at most this share of equity
REASON = "canceled: the account was margin-called and is being liquidated"


def liquidating(engine: ExecutionEngine, account_id: str, t_ns: int) -> bool:
    """Whether a liquidation of the account is under way and `t_ns` adds nothing to it: one
    of its orders works, or those left wait for closed markets and no other position's
    market is open."""
    orders = [o for o in engine.open_orders(account_id) if DESK_MARK.items() <= o.extra.items()]
    if not orders:
        return False
    if any(o.status is not OrderStatus.PENDING_OPEN for o in orders):
        return True
    waiting = {o.symbol for o in orders}
    return not any(
        _open_now(engine, p.symbol, t_ns)
        for p in engine.positions_of(account_id)
        if p.qty and p.symbol not in waiting
    )


def liquidate(engine: ExecutionEngine, account: Account, v: AccountView, t_ns: int) -> Changes:
    """Cancel the account's open orders and close enough of its positions (see the module)."""
    changes = engine.cancel_all(account.id, t_ns, REASON)
    # with no equity left, everything goes: no position frees more than an infinite excess
    excess = v.maintenance - CUSHION * v.nav if v.nav > 0 else Decimal("Infinity")
    rates, marks = engine.margin_rates, engine.marks(t_ns)
    held = [p for p in engine.positions_of(account.id) if p.qty]
    needs = {
        p.symbol: marks.terms(p.symbol, rates).requirement(v.values[p.symbol], p.qty) for p in held
    }
    held.sort(key=lambda p: (not _open_now(engine, p.symbol, t_ns), -needs[p.symbol], p.symbol))
    for pos in held:
        if excess <= 0:
            break
        qty = abs(pos.qty)
        if needs[pos.symbol] > excess:  # part of it frees enough
            inst = engine.catalog.get(pos.symbol)
            # a short of shares is bought back in whole shares, as it was sold
            lot = max(inst.lot_size, Decimal(1)) if pos.qty < 0 and inst.shares else inst.lot_size
            qty = min(qty, round_to_increment(qty * excess / needs[pos.symbol], lot, "up"))
        excess -= needs[pos.symbol] * qty / abs(pos.qty)
        changes.merge(_close(engine, pos, qty, t_ns))
    return changes


def _open_now(engine: ExecutionEngine, symbol: str, t_ns: int) -> bool:
    calendar = engine.sessions.for_instrument(engine.catalog.get(symbol))
    return calendar.phase(t_ns) is Phase.REGULAR


def _close(engine: ExecutionEngine, pos: Position, qty: Decimal, t_ns: int) -> Changes:
    cmd_id = engine.ids.next("cmd")
    cmd = SubmitOrder(
        id=cmd_id,
        ts_init=t_ns,
        account_id=pos.account_id,
        symbol=pos.symbol,
        side=pos.closing_side,
        qty=qty,
        type=OrderType.MARKET,
        tif=TimeInForce.GTC,
        client_order_id=f"{PREFIX}{cmd_id}",
        extra=DESK_MARK,
    )
    try:
        _, changes = engine.submit(cmd, t_ns, liquidating=True)
    except VtradeError:  # a rule no closing order can meet: the call stands, shown as such
        return Changes()
    return changes
