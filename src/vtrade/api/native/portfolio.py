"""Positions and the live portfolio: hot state, equity curve, allocation and metrics."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from vtrade.api.native.common import Owned, api, at, instrument, valued
from vtrade.api.native.schemas_portfolio import (
    AllocationPublic,
    CostsPublic,
    EquityPointPublic,
    ExposurePublic,
    GroupWeightPublic,
    HistoryPublic,
    MetricsPublic,
    PortfolioPublic,
    PositionList,
    PositionPublic,
    RiskPublic,
    TradeStatsPublic,
)
from vtrade.api.native.types import errors
from vtrade.api.state import ApiState
from vtrade.app.portfolio import NAV_BOARD
from vtrade.core.clock import iso
from vtrade.core.errors import NotFoundError
from vtrade.core.money import cents
from vtrade.domain.accounts import ACCOUNT_CURRENCY, Account, Position
from vtrade.domain.instruments import Instrument
from vtrade.portfolio.state import AccountState, PositionValue
from vtrade.portfolio.trades import ExecutionCosts
from vtrade.portfolio.universe import allocation_group

router = APIRouter(prefix="/accounts/{account_id}", tags=["portfolio"])

Window = Literal["1d", "7d", "30d", "1y"]


async def relayed_account(request: Request, account: Owned) -> Account:
    """The owned account, once the events of commands already acknowledged have reached the
    portfolio: its hot state is fed by the outbox relay, which a server runs on a timer, and
    a read right after an order's answer must show its fill (read-your-writes)."""
    api(request).container.trading.relay_committed()
    return account


Relayed = Annotated[Account, Depends(relayed_account)]


@router.get(
    "/positions",
    response_model=PositionList,
    summary="Open positions",
    description="Quantity and entry price from the ledger; value, weight and unrealized P&L "
    "from the live portfolio (largest first).",
    responses=errors(401, 404, 429),
)
async def list_positions(request: Request, account: Relayed) -> PositionList:
    return PositionList(positions=_positions(api(request), account))


@router.get(
    "/positions/{symbol:path}",
    response_model=PositionPublic,
    summary="One open position",
    responses=errors(401, 404, 422, 429),
)
async def get_position(
    request: Request,
    account: Relayed,
    symbol: Annotated[str, Path(description="Symbol, e.g. AAPL, BTC-USD, EUR/USD, VOD.L")],
) -> PositionPublic:
    state = api(request)
    inst = instrument(state.container.catalog, symbol)
    for p in _positions(state, account):
        if p.symbol == inst.symbol:
            return p
    raise NotFoundError(f"no open position in {inst.symbol}", symbol=inst.symbol)


@router.get(
    "/portfolio",
    response_model=PortfolioPublic,
    summary="Live portfolio",
    description="NAV, cash, exposures, margin, day P&L, positions with weights and the "
    "allocation, from the hot state that every tick updates by delta.",
    responses=errors(401, 404, 429),
)
async def portfolio(request: Request, account: Relayed) -> PortfolioPublic:
    state = api(request)
    s = valued(state, account.id)
    return PortfolioPublic(
        account_id=account.id,
        as_of=iso(state.container.clock.now_ns()),
        currency=ACCOUNT_CURRENCY,
        profile=account.profile.value,
        nav=s.nav,
        cash=s.cash,
        long_exposure=cents((s.gross_exposure + s.net_exposure) / 2),
        short_exposure=cents((s.net_exposure - s.gross_exposure) / 2),
        net_exposure=s.net_exposure,
        gross_exposure=s.gross_exposure,
        margin_used=s.margin_used,
        margin_available=s.margin_available,
        maintenance_margin=s.maintenance,
        margin_call=account.margin_call,
        day_pnl=s.day_pnl,
        day_pnl_pct=round(s.day_pnl_pct, 8),
        unrealized_pnl=s.unrealized_pnl,
        realized_pnl=s.realized_pnl,
        total_pnl=s.total_pnl,
        positions=[_from_hot(state, account, p) for p in s.positions],
        allocation=[
            GroupWeightPublic(group=g.group, value=g.value, weight=round(g.weight, 6))
            for g in s.allocation
        ],
    )


@router.get(
    "/portfolio/history",
    response_model=HistoryPublic,
    summary="Equity curve",
    description="NAV over the window (1d, 7d, 30d or 1y), downsampled for charting, ending "
    "at the live NAV.",
    responses=errors(401, 404, 422, 429),
)
async def history(
    request: Request,
    account: Relayed,
    window: Annotated[Window, Query(description="1d, 7d, 30d or 1y")] = "1d",
) -> HistoryPublic:
    state = api(request)
    valued(state, account.id)
    curve = state.container.queries.curve(account.id, window)
    points = curve.points
    first, last = (points[0].nav, points[-1].nav) if points else (None, None)
    return HistoryPublic(
        account_id=account.id,
        window=window,
        base_value=first,
        period_return=_rounded(float(last / first - 1)) if first and last is not None else None,
        points=[
            EquityPointPublic(ts=iso(p.ts_ns), nav=p.nav, cash=p.cash, kind=p.kind.value)
            for p in points
        ],
    )


@router.get(
    "/portfolio/allocation",
    response_model=AllocationPublic,
    summary="Allocation",
    description="Exposure by sector (equities) or asset-class group, by asset class and by "
    "instrument; weights are shares of the gross exposure.",
    responses=errors(401, 404, 429),
)
async def allocation(request: Request, account: Relayed) -> AllocationPublic:
    state = api(request)
    s = valued(state, account.id)
    by_class = state.container.queries.exposure_by_asset_class(account.id)
    gross = sum((abs(p.value) for p in s.positions), Decimal(0))
    return AllocationPublic(
        account_id=account.id,
        as_of=iso(state.container.clock.now_ns()),
        nav=s.nav,
        cash_weight=round(float(s.cash / s.nav), 6) if s.nav > 0 else 0.0,
        gross=by_class.gross,
        net=by_class.net,
        long=by_class.long,
        short=by_class.short,
        by_group=[
            GroupWeightPublic(group=g.group, value=g.value, weight=round(g.weight, 6))
            for g in s.allocation
        ],
        by_asset_class=[
            ExposurePublic(group=name, gross=g.gross, net=g.net, weight=round(g.weight, 6))
            for name, g in by_class.groups.items()
        ],
        by_symbol=[
            GroupWeightPublic(
                group=p.symbol,
                value=abs(p.value),
                weight=round(float(abs(p.value) / gross), 6) if gross else 0.0,
            )
            for p in s.positions
        ],
    )


@router.get(
    "/portfolio/metrics",
    response_model=MetricsPublic,
    summary="Risk, trade statistics and execution costs",
    description=(
        "Risk over daily closes in the window (return, volatility, Sharpe, Sortino, "
        "drawdowns, beta against SPY), win/loss statistics of closed trades, and what "
        "spread, impact and fees cost against the frictionless price."
    ),
    responses=errors(401, 404, 422, 429),
)
async def metrics(
    request: Request,
    account: Relayed,
    window: Annotated[Window, Query(description="Risk window: 1d, 7d, 30d or 1y")] = "1y",
) -> MetricsPublic:
    state = api(request)
    valued(state, account.id)
    q = state.container.queries
    risk, trades = q.risk(account.id, window), q.trade_stats(account.id)
    return MetricsPublic(
        account_id=account.id,
        as_of=iso(state.container.clock.now_ns()),
        rank=_rank(state, account.id),
        risk=RiskPublic(
            window=window,
            periods=risk.periods,
            total_return=risk.total_return,
            volatility=risk.volatility,
            sharpe=risk.sharpe,
            sortino=risk.sortino,
            max_drawdown=risk.max_drawdown,
            max_drawdown_peak_at=at(risk.max_drawdown_peak_ns),
            max_drawdown_trough_at=at(risk.max_drawdown_trough_ns),
            current_drawdown=risk.current_drawdown,
            beta=risk.beta,
            correlation=risk.correlation,
        ),
        trades=TradeStatsPublic(
            count=trades.count,
            wins=trades.wins,
            losses=trades.losses,
            win_rate=_rounded(trades.win_rate),
            gross_profit=trades.gross_profit,
            gross_loss=trades.gross_loss,
            net_pnl=trades.net_pnl,
            profit_factor=_rounded(trades.profit_factor),
            average_win=trades.average_win,
            average_loss=trades.average_loss,
            largest_win=trades.largest_win,
            largest_loss=trades.largest_loss,
            expectancy=trades.expectancy,
        ),
        execution_costs=_costs(q.execution_costs(account.id)),
    )


# -- internals ------------------------------------------------------------------------------


def _rounded(value: float | None, places: int = 6) -> float | None:
    """A ratio as a reader wants it (0.333333, not 0.3333333333333333), as weights are."""
    return None if value is None else round(value, places)


def _rank(state: ApiState, account_id: str) -> int | None:
    rank = state.container.portfolio.hot.rank_of(NAV_BOARD, account_id)
    return None if rank is None else rank + 1


def _costs(c: ExecutionCosts) -> CostsPublic:
    return CostsPublic(
        fills=c.fills,
        spread=c.spread,
        impact=c.impact,
        fees=c.fees,
        total=c.total,
        drift=c.drift,
        shortfall=c.shortfall,
        frictionless=c.frictionless,
        cost_bps=_rounded(c.cost_bps, 4),
        by_profile={name: _costs(sub) for name, sub in c.by_profile.items()},
    )


def _positions(state: ApiState, account: Account) -> list[PositionPublic]:
    """Open positions: the ledger's quantities, valued by the hot state where it agrees."""
    c = state.container
    held = [p for p in c.engine.positions_of(account.id) if p.qty]
    try:
        hot: AccountState | None = valued(state, account.id)
    except NotFoundError:
        hot = None
    by_symbol = {p.symbol: p for p in hot.positions} if hot else {}
    view = c.engine.view(account.id, c.clock.now_ns()) if held else None
    out = []
    for pos in held:
        value = by_symbol.get(pos.symbol)
        if value is not None and value.qty == pos.qty:
            out.append(_from_hot(state, account, value))
        else:  # the portfolio has not seen the latest fill yet: value it at the marks now
            assert view is not None
            out.append(_from_marks(state, pos, view.nav))
    out.sort(key=lambda p: (-abs(p.market_value), p.symbol))
    return out


def _from_hot(state: ApiState, account: Account, p: PositionValue) -> PositionPublic:
    c = state.container
    inst = c.catalog.get(p.symbol)
    held = c.engine.positions.get((account.id, p.symbol))
    same = held is not None and held.qty == p.qty
    avg = held.avg_price if held is not None and same else p.avg_price
    fx = c.engine.marks(c.clock.now_ns()).fx(inst.currency)
    entry_fx = held.entry_fx if held is not None and same else fx
    return _public(
        inst,
        qty=p.qty,
        avg=avg,
        price=p.price,
        value=p.value,
        cost=_cost_basis(inst, p.qty, avg, fx, entry_fx),
        realized=held.realized_pnl if held is not None else Decimal(0),
        weight=p.weight,
        group=p.group,
    )


def _cost_basis(
    inst: Instrument, qty: Decimal, avg: Decimal, fx: Decimal, entry_fx: Decimal
) -> Decimal:
    """A holding's cost at the rate it was entered at, so its unrealized P&L (value less
    cost) counts the currency's move since, as /v2 and the portfolio's own figure do; a
    contract's at today's rate: it earns its price move only (`Instrument.settles_pnl`).
    Rounded once: a difference of two rounded figures was a cent off what /v2 shows."""
    rate = fx if inst.settles_pnl else entry_fx
    return cents(qty * avg * inst.multiplier * rate)


def _from_marks(state: ApiState, pos: Position, nav: Decimal) -> PositionPublic:
    c = state.container
    inst = c.catalog.get(pos.symbol)
    marks = c.engine.marks(c.clock.now_ns())
    price = marks.mid(inst.symbol)
    value = cents(marks.value(inst, pos.qty, price))
    cost = _cost_basis(inst, pos.qty, pos.avg_price, marks.fx(inst.currency), pos.entry_fx)
    return _public(
        inst,
        qty=pos.qty,
        avg=pos.avg_price,
        price=price,
        value=value,
        cost=cost,
        realized=pos.realized_pnl,
        weight=float(abs(value) / nav) if nav > 0 else 0.0,
        group=allocation_group(inst),
    )


def _public(
    inst: Instrument,
    *,
    qty: Decimal,
    avg: Decimal,
    price: Decimal,
    value: Decimal,
    cost: Decimal,
    realized: Decimal,
    weight: float,
    group: str,
) -> PositionPublic:
    places = inst.tick_size / 100
    unrealized = value - cost
    return PositionPublic(
        symbol=inst.symbol,
        asset_class=inst.asset_class.value,
        side="long" if qty > 0 else "short",
        qty=qty.normalize(),  # the ledger keeps lot places: "100.0000" reads "100"
        avg_entry_price=avg.quantize(places).normalize(),
        current_price=price.quantize(places).normalize(),
        currency=inst.currency,
        market_value=value,
        cost_basis=cost,
        unrealized_pnl=unrealized,
        unrealized_pnl_pct=round(float(unrealized / abs(cost)), 6) if cost else None,
        realized_pnl=cents(realized),
        weight=round(weight, 6),
        group=group,
    )
