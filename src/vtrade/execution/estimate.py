"""Pre-trade estimates: what an order would cost and how it would fill, without trading.

The estimate walks a snapshot of the book (nothing is consumed), prices fees on the fillable
part, projects the remainder over the session at the profile's participation in the expected
(profile-weighted average) volume, and runs the venue's own checks against a fresh account.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from vtrade.core.clock import NS_PER_MINUTE
from vtrade.core.ids import IdGenerator
from vtrade.domain.accounts import Profile
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType
from vtrade.execution import fills
from vtrade.execution.engine import ExecutionEngine
from vtrade.execution.fees import FeeContext, Liquidity
from vtrade.execution.profiles import PROFILES
from vtrade.market import profiles as intraday_profiles

BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class Estimate:
    symbol: str
    side: Side
    qty: Decimal
    profile: str
    phase: str
    next_open: int | None
    next_close: int | None
    bid: Decimal
    ask: Decimal
    arrival_mid: Decimal
    fillable_now: Decimal
    avg_price_now: Decimal | None  # of the fillable part
    expected_avg_price: Decimal  # the impact formula on the whole order
    spread_bps: Decimal
    impact_bps: Decimal
    fees: Decimal  # quote currency, on the whole order at the expected price
    fees_vcr: Decimal
    currency: str
    fx_rate: Decimal
    schedule: tuple[tuple[int, Decimal], ...]  # (minutes from now, cumulative qty)
    accepted: bool
    reason: str | None


def estimate(
    engine: ExecutionEngine,
    symbol: str,
    side: Side,
    qty: Decimal,
    t_ns: int,
    *,
    order_type: OrderType = OrderType.MARKET,
    limit_price: Decimal | None = None,
    profile: Profile = Profile.REALISTIC,
) -> Estimate:
    """Estimate `qty` of `symbol` bought or sold at `t_ns` under `profile`."""
    inst = engine.catalog.get(symbol)
    marks = engine.marks(t_ns)
    mid = marks.mid(inst.symbol)
    fx = marks.fx(inst.currency)
    book = engine.market.books.book(inst.symbol, t_ns, engine.market.books.levels)
    levels = book.asks if side is Side.BUY else book.bids
    sign = 1 if side is Side.BUY else -1
    got, cost = Decimal(0), Decimal(0)
    for level in levels:
        if limit_price is not None and (level.price - limit_price) * sign > 0:
            break
        take = min(level.size, qty - got)
        got += take
        cost += take * level.price
        if got >= qty:
            break
    rules = PROFILES[profile]
    m = inst.market
    spread = Decimal(repr(m.typical_spread_bps / 2)) if rules.friction else Decimal(0)
    impact = Decimal(repr(fills.impact(inst, qty))) * BPS if rules.friction else Decimal(0)
    touch = (book.asks[0].price + book.bids[0].price) / 2
    expected = touch * (1 + sign * (spread + impact) / BPS)
    fee = engine.fees.quote(inst, side, qty, expected, Liquidity.TAKER, FeeContext(), fx)
    fee_total = fee.total * rules.fee_multiplier if rules.friction else Decimal(0)
    state = engine.sessions.for_instrument(inst).state(t_ns)
    accepted, reason = _check(engine, symbol, side, qty, order_type, limit_price, profile, t_ns)
    return Estimate(
        symbol=inst.symbol,
        side=side,
        qty=qty,
        profile=profile.value,
        phase=state.phase.value,
        next_open=state.next_open,
        next_close=state.next_close,
        bid=book.bids[0].price,
        ask=book.asks[0].price,
        arrival_mid=mid,
        fillable_now=got if rules.friction else qty,
        avg_price_now=(cost / got) if got else None,
        expected_avg_price=expected.quantize(inst.tick_size / 100),
        spread_bps=spread.quantize(Decimal("0.01")),
        impact_bps=impact.quantize(Decimal("0.01")),
        fees=fee_total.quantize(Decimal("0.01")),
        fees_vcr=(fee_total * fx).quantize(Decimal("0.01")),
        currency=inst.currency,
        fx_rate=fx,
        schedule=_schedule(engine, inst.symbol, qty - got, t_ns, rules.participation)
        if rules.friction
        else (),
        accepted=accepted,
        reason=reason,
    )


def _check(
    engine: ExecutionEngine,
    symbol: str,
    side: Side,
    qty: Decimal,
    order_type: OrderType,
    limit_price: Decimal | None,
    profile: Profile,
    t_ns: int,
) -> tuple[bool, str | None]:
    """Run the venue's checks for a fresh account, on a scratch engine (nothing is traded)."""
    scratch = ExecutionEngine(
        engine.catalog, engine.sessions, engine.market, engine.fees, IdGenerator(0), engine.config
    )
    account, _ = scratch.open_account(
        OpenAccount(id="est", ts_init=t_ns, owner="estimate", name="fresh", profile=profile.value),
        t_ns,
    )
    order = scratch.preview(
        SubmitOrder(
            id="est",
            ts_init=t_ns,
            account_id=account.id,
            symbol=symbol,
            side=side,
            type=order_type,
            qty=qty,
            limit_price=limit_price,
        ),
        t_ns,
    )
    if order.status is OrderStatus.REJECTED:
        return False, order.reject_reason
    return True, None


def _schedule(
    engine: ExecutionEngine, symbol: str, remaining: Decimal, t_ns: int, participation: Decimal
) -> tuple[tuple[int, Decimal], ...]:
    """Cumulative quantity over the coming minutes at `participation` of expected volume."""
    if remaining <= 0:
        return ()
    inst = engine.catalog.get(symbol)
    days = engine.sessions.for_instrument(inst).days
    d = max(days.index_on_or_before(t_ns), 0)
    if t_ns >= days.close[d]:
        d += 1
    start, close = max(int(days.open[d]), t_ns), int(days.close[d])
    minutes = np.arange(int(days.open[d]), close, NS_PER_MINUTE, dtype=np.int64)
    x = np.arange(minutes.shape[0]) / max(minutes.shape[0], 1)
    weights = intraday_profiles.regular(intraday_profiles.kind_of(inst.calendar), x, minutes).volume
    per_minute = inst.market.avg_daily_volume * weights / weights.sum() * float(participation)
    ahead = per_minute[minutes >= start]
    cumulative = np.cumsum(ahead)
    marks = []
    wait = int((start - t_ns) // NS_PER_MINUTE)
    for minutes_ahead in (1, 5, 15, 30, 60, 120, 240, 390):
        if minutes_ahead > cumulative.shape[0]:
            break
        done = min(float(remaining), float(cumulative[minutes_ahead - 1]))
        marks.append((wait + minutes_ahead, Decimal(repr(round(done, 4)))))
        if done >= float(remaining):
            break
    return tuple(marks)
