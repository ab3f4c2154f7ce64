"""Pre-trade estimates: what an order would cost and how it would fill, without trading."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from fastapi import APIRouter, Request

from vtrade.api.auth import account_of
from vtrade.api.native.common import Who, api, at, instrument, order_command
from vtrade.api.native.schemas_market import EstimateCreate, EstimatePublic, ScheduleStep
from vtrade.api.native.types import errors
from vtrade.bootstrap import Container
from vtrade.core.errors import ValidationError
from vtrade.domain.accounts import Profile
from vtrade.domain.instruments import Instrument
from vtrade.domain.orders import Order, OrderStatus
from vtrade.execution.estimate import estimate as run_estimate
from vtrade.execution.estimate import fresh_account_fee
from vtrade.execution.profiles import rules_named
from vtrade.execution.validation import RuleViolation, check_lots, check_tick

router = APIRouter(tags=["orders"])


@router.post(
    "/estimate",
    response_model=EstimatePublic,
    summary="Estimate an order",
    description=(
        "What a market or limit order would cost now and how it would fill, without "
        "trading, routed as its time_in_force and extended_hours say: the fillable part "
        "and its price from the current book (never past a "
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
    if c.engine.now_ns < now:  # the market acts up to now first, as an order placed now sees
        c.trading.advance(now)  # it (between a server's steps: 30 s at --speed 300)
    if body.qty is not None:  # a fraction of a lot no fill model fills: refused, as the CLI does
        check_lots(body.qty, inst)
    if body.limit_price is not None:  # nor is a limit off the tick an order the venue takes
        check_tick(body.limit_price, inst, "limit_price")
    # against the account, the order as it would be placed: by notional, sized with its fees
    preview = _preview(body, inst, account.id, c, now) if account is not None else None
    qty = body.qty
    if qty is None:
        qty = preview.qty if preview is not None else _qty_for(body, inst, c, now, profile)
    e = run_estimate(
        c.engine,
        inst.symbol,
        body.side,
        qty,
        now,
        order_type=body.type,
        limit_price=body.limit_price,
        profile=profile,
        account_id=account.id if account else None,
        tif=body.time_in_force,
        extended_hours=body.extended_hours,
    )
    accepted, reason = e.accepted, e.reason
    if preview is not None:
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


def _preview(
    body: EstimateCreate, inst: Instrument, account_id: str, c: Container, now: int
) -> Order:
    """The venue's checks of the order for the account, as `submit` would run them; a
    notional under one lot once its fees are paid is refused as bad input."""
    order = c.engine.preview(order_command(body, inst.symbol, account_id, now), now)
    reason = order.reject_reason or ""
    if body.qty is None and reason.startswith("quantity: "):
        raise ValidationError(reason.removeprefix("quantity: "), field="notional")
    return order


def _qty_for(
    body: EstimateCreate, inst: Instrument, c: Container, now: int, profile: Profile
) -> Decimal:
    """The whole lots `body.notional` comes to now for a fresh account, as the venue sizes
    notional orders: a buy spends its fees out of it, under the `profile`'s rules."""
    rules = rules_named(profile)
    fee = partial(fresh_account_fee, c.engine, inst, body.side, rules, now)
    try:
        return c.engine.notional_qty(inst, body.side, body.notional, now, fee, rules)
    except RuleViolation as exc:
        raise ValidationError(exc.message, field="notional") from None
