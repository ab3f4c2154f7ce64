"""Pre-trade estimates: what an order would cost and how it would fill, without trading."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from fastapi import APIRouter, Request

from vtrade.api.auth import account_of
from vtrade.api.native.common import Who, api, at, command_id, instrument
from vtrade.api.native.schemas_market import EstimateCreate, EstimatePublic, ScheduleStep
from vtrade.api.native.types import errors
from vtrade.bootstrap import Container
from vtrade.core.errors import ValidationError
from vtrade.domain.accounts import Profile
from vtrade.domain.commands import SubmitOrder
from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus
from vtrade.execution.estimate import estimate as run_estimate
from vtrade.execution.estimate import fresh_account_fee
from vtrade.execution.profiles import RealismProfile, rules_named
from vtrade.execution.validation import RuleViolation

router = APIRouter(tags=["orders"])


@router.post(
    "/estimate",
    response_model=EstimatePublic,
    summary="Estimate an order",
    description=(
        "What a market or limit order would cost now and how it would fill, without "
        "trading: the fillable part and its price from the current book (never past a "
        "limit), the expected price of what is expected to fill, spread and impact in basis "
        "points, fees, the fill schedule of a market order's remainder (a limit's rests at "
        "the limit: `resting_qty`, `note`), and whether the venue's checks accept it — "
        "against `account_id` when given (one of yours), else against a fresh 1,000,000 VCR "
        "account."
    ),
    responses=errors(401, 404, 422, 429),
)
async def estimate(body: EstimateCreate, request: Request, who: Who) -> EstimatePublic:
    c = api(request).container
    inst = instrument(c.catalog, body.symbol)
    account = account_of(request, who, body.account_id) if body.account_id else None
    if account is not None and body.profile is not None and body.profile != account.profile:
        raise ValidationError(
            f"profile is for a fresh account; account {account.id} trades {account.profile} "
            "(change it with PUT /api/v1/accounts/{account_id}/profile)",
            field="profile",
        )
    profile = account.profile if account else body.profile or Profile.REALISTIC
    now = c.clock.now_ns()
    qty = body.qty
    if qty is None:
        qty = _qty_for(body.notional, inst, body.side, c, now, rules_named(profile))
    e = run_estimate(
        c.engine,
        inst.symbol,
        body.side,
        qty,
        now,
        order_type=body.type,
        limit_price=body.limit_price,
        profile=profile,
    )
    accepted, reason = e.accepted, e.reason
    if account is not None:
        preview = c.engine.preview(
            SubmitOrder(
                id=command_id(),
                ts_init=now,
                account_id=account.id,
                symbol=inst.symbol,
                side=body.side,
                type=body.type,
                tif=body.time_in_force,
                qty=qty,
                limit_price=body.limit_price,
                extended_hours=body.extended_hours,
            ),
            now,
        )
        accepted = preview.status is not OrderStatus.REJECTED
        reason = None if accepted else preview.reject_reason
    return EstimatePublic(
        symbol=e.symbol,
        side=e.side,
        qty=e.qty,
        profile=e.profile,
        account_id=account.id if account else None,
        phase=e.phase,  # type: ignore[arg-type]  # a Phase value
        next_open=at(e.next_open),
        next_close=at(e.next_close),
        bid=e.bid,
        ask=e.ask,
        arrival_mid=e.shown(e.arrival_mid).normalize(),
        fillable_now=e.fillable_now,
        avg_price_now=None if e.avg_price_now is None else e.shown(e.avg_price_now).normalize(),
        expected_avg_price=e.expected_avg_price,
        spread_bps=e.spread_bps,
        impact_bps=e.impact_bps,
        total_bps=None if e.spread_bps is None else e.spread_bps + (e.impact_bps or 0),
        fees=e.fees,
        fees_vcr=e.fees_vcr,
        fee_qty=e.fee_qty,
        currency=e.currency,
        fx_rate=e.fx_rate.quantize(Decimal("0.00000001")).normalize(),
        schedule=[ScheduleStep(minutes=m, cumulative_qty=q) for m, q in e.schedule],
        volume_pace=e.volume_pace,
        accepted=accepted,
        reason=reason,
        resting_qty=e.resting_qty,
        note=e.note,
    )


def _qty_for(
    notional: Decimal | None,
    inst: Instrument,
    side: Side,
    c: Container,
    now: int,
    rules: RealismProfile,
) -> Decimal:
    """The whole lots `notional` comes to now, as the venue sizes notional orders: a buy
    spends its fees out of it, those of a fresh account under the profile's `rules`."""
    fee = partial(fresh_account_fee, c.engine, inst, side, rules, now)
    try:
        return c.engine.notional_qty(inst, side, notional, now, fee)
    except RuleViolation as exc:
        raise ValidationError(exc.message, field="notional") from None
