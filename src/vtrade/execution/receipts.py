"""Receipts: why a fill cost what it did."""

from __future__ import annotations

from decimal import Decimal

from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, Receipt
from vtrade.execution.fees import FeeQuote, Liquidity
from vtrade.execution.fills import Execution

BPS = Decimal(10_000)


def receipt(
    order: Order,
    inst: Instrument,
    execution: Execution,
    fee: FeeQuote,
    fx_rate: Decimal,
    profile: str,
) -> Receipt:
    """Split the cost of `execution` against the arrival mid into the market's drift since
    then, the spread and the impact (they add up to what the slices cost), and fees."""
    qty = execution.qty
    sign = 1 if order.side is Side.BUY else -1
    notional = sum((s.price * s.qty for s in execution.slices), Decimal(0))
    avg = notional / qty
    # an auction's benchmark is its official price (the order waited for it, not the mid it
    # was submitted at); a stop's arrival is reset to the mid when it triggered
    auction = execution.liquidity is Liquidity.AUCTION
    arrival = execution.mid if auction or order.arrival_mid is None else order.arrival_mid
    mult = inst.multiplier
    # A touch through the quoted mid (a book another account's block moved, not refilled
    # yet) is where the market was when the order met it: the move is drift, and no spread
    # is paid. So the costs add up to what the slices cost, with no spread below zero. A
    # resting limit's touch is its own price: it earns the spread (a cost below zero) when it
    # rests on its side of the mid, and its drift is the market's move to the mid at the fill.
    mid = execution.mid
    if (execution.touch - mid) * sign < 0 and execution.liquidity is not Liquidity.MAKER:
        mid = execution.touch
    spread_cost = (execution.touch - mid) * sign * qty * mult + 0  # `+ 0`: no -0
    # from the notional, not the average: exact (an average of slices need not be)
    impact_cost = (notional - execution.touch * qty) * sign * mult + 0
    drift_cost = (mid - arrival) * sign * qty * mult + 0
    return Receipt(
        arrival_mid=arrival,
        touch=execution.touch,
        avg_price=avg,
        spread_cost=spread_cost,
        impact_cost=impact_cost,
        fees=fee.total,
        fee_breakdown=fee.breakdown,
        fx_rate=fx_rate,
        slices=execution.slices,
        profile=profile,
        liquidity=execution.liquidity.value,
        frictionless_cost=qty * arrival * mult,
        slippage_bps=((avg - arrival) * sign / arrival * BPS).quantize(Decimal("0.01")) + 0,
        drift_cost=drift_cost,
        auction=execution.auction,
    )
