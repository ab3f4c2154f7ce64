"""Read side of the portfolio: stable result types for the API, the copilot and dashboards.

Live figures come from the valuation (hot state); curves from the equity snapshots plus the
live point; risk from the daily close snapshots; trade statistics and execution costs from
the fills in the ledger. Nothing here scans the ledger per tick: these run per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from vtrade.app.portfolio import NAV_BOARD, PortfolioService
from vtrade.app.ports import Store
from vtrade.core.clock import NS_PER_DAY
from vtrade.domain.market_data import Interval
from vtrade.domain.orders import Fill
from vtrade.domain.portfolio import EquityPoint, SnapshotKind
from vtrade.market.synthetic import SyntheticMarket
from vtrade.portfolio import analytics
from vtrade.portfolio import trades as closed
from vtrade.portfolio.state import AccountState, account_state, money

TRADING_DAYS = 252
MAX_FILLS = 100_000  # per analysis; an account with more is analysed on its latest fills


@dataclass(frozen=True, slots=True, kw_only=True)
class EquityCurve:
    account_id: str
    window: str
    points: tuple[EquityPoint, ...]  # oldest first, the live NAV last


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioReport:
    """Everything a dashboard card or a copilot answer about one account needs."""

    state: AccountState
    curve: EquityCurve
    risk: analytics.RiskMetrics
    by_asset_class: analytics.Exposure
    trades: closed.TradeStats
    costs: closed.ExecutionCosts
    rank: int | None  # 1-based NAV ranking among all accounts


class PortfolioQueries:
    """Answers about accounts, at the portfolio service's current instant."""

    def __init__(
        self,
        portfolio: PortfolioService,
        store: Store,
        market: SyntheticMarket,
        benchmark: str = "SPY",
    ) -> None:
        self.portfolio = portfolio
        self.store = store
        self.market = market
        self.benchmark = benchmark

    def state(self, account_id: str) -> AccountState:
        return account_state(self.portfolio.valuation, account_id)

    def curve(self, account_id: str, window: str = "1d") -> EquityCurve:
        """Equity over the window, downsampled for charting, ending at the live NAV."""
        spec = analytics.parse_window(window)
        now = self.portfolio.clock.now_ns()
        stored = self.portfolio.equity.points(
            account_id, now - spec.duration_ns, now, max_points=spec.max_points - 1
        )
        return EquityCurve(
            account_id=account_id,
            window=window,
            points=(*stored, self._live_point(account_id, now)),
        )

    def risk(self, account_id: str, window: str = "1y") -> analytics.RiskMetrics:
        """Risk over the daily closes of the account's current life in the window, from where
        the window begins (the close before it, or the opening balance of a life that began
        in it) to today's live NAV while today has not closed, with beta against the
        benchmark's daily closes, each at the instant it is known."""
        spec = analytics.parse_window(window)
        now = self.portfolio.clock.now_ns()
        life = self.store.life_start_ns(account_id) or 0
        start = max(now - spec.duration_ns, life)
        closes = (  # none yet at the instant its life began (an opening, a reset)
            self.portfolio.equity.points(account_id, start, now, kind=SnapshotKind.CLOSE.value)
            if start < now
            else []
        )
        base = self._window_base(account_id, start, life)
        points = [*([base] if base is not None else []), *closes]
        bench = self._benchmark_closes(start - 5 * NS_PER_DAY, now)
        moments = [p.ts_ns for p in points if p.kind is not SnapshotKind.CLOSE]  # an opening
        if self._day_under_way(now):  # today's return so far is a period; not after its close
            points.append(self._live_point(account_id, now))
            moments.append(now)
        for t in moments:  # the benchmark as it stood then, not at the close before
            bench.append((t, self.market.touch(self.benchmark, t).mid))
        return analytics.risk_metrics(
            points, periods_per_year=TRADING_DAYS, benchmark=sorted(bench) or None
        )

    def _day_under_way(self, now: int) -> bool:
        """Whether the close calendar's next trading day has begun (its pre-market included),
        so that the live NAV is that day's return so far rather than minutes after a close."""
        days = self.portfolio.sessions.calendar(self.portfolio.config.close_calendar).days
        i = int(np.searchsorted(days.close, now, side="right"))
        return i >= len(days.close) or now >= int(days.start[i])

    def _window_base(self, account_id: str, start: int, life: int) -> EquityPoint | None:
        """The NAV a window's first return runs from: the account's last close before the
        window, else the opening balance of a life that began in the window."""
        before = self.portfolio.equity.latest([account_id], start, SnapshotKind.CLOSE.value)
        point = before.get(account_id)
        if point is not None and point.ts_ns >= life:
            return point
        if life < start:
            return None  # its history before the window is gone: the first close serves
        v = self.portfolio.valuation
        opening = money(float(v.initial[v.account_index(account_id)]))
        return EquityPoint(account_id=account_id, ts_ns=life, nav=opening, cash=opening)

    def _benchmark_closes(self, start: int, end: int) -> list[tuple[int, float]]:
        """The benchmark's daily closes, each at the end of the session it closes: a daily
        bar is labelled at its day's midnight but known only once that session is over."""
        inst = self.portfolio.universe.catalog.get(self.benchmark)
        days = self.portfolio.sessions.for_instrument(inst).days
        bars = self.market.bars(self.benchmark, Interval.D1, start, end)
        at = np.minimum(np.searchsorted(days.day, bars.ts), len(days.day) - 1)
        known = np.where(days.day[at] == bars.ts, days.close[at], -1)  # -1: not a session's
        return [
            (int(k), float(c))
            for k, c in zip(known.tolist(), bars.close.tolist(), strict=True)
            if 0 <= k <= end
        ]

    def exposure_by_asset_class(self, account_id: str) -> analytics.Exposure:
        state = self.state(account_id)
        values = {p.symbol: p.value for p in state.positions}
        catalog = self.portfolio.universe.catalog
        return analytics.exposure(values, lambda s: catalog.get(s).asset_class.value)

    def trade_stats(self, account_id: str) -> closed.TradeStats:
        fills = self._fills(account_id)
        catalog = self.portfolio.universe.catalog
        multipliers = {f.symbol: catalog.get(f.symbol).multiplier for f in fills}
        holdings = {s for s in multipliers if not catalog.get(s).settles_pnl}
        return closed.trade_stats(closed.closed_trades(fills, multipliers, holdings))

    def execution_costs(self, account_id: str) -> closed.ExecutionCosts:
        return closed.execution_costs(self._fills(account_id))

    def leaderboard(self, count: int = 10, offset: int = 0) -> list[tuple[str, Decimal]]:
        """Accounts by NAV, highest first (from the hot store's ranking)."""
        return [
            (member, money(score))
            for member, score in self.portfolio.hot.top(NAV_BOARD, count, offset)
        ]

    def report(self, account_id: str, window: str = "30d") -> PortfolioReport:
        rank = self.portfolio.hot.rank_of(NAV_BOARD, account_id)
        return PortfolioReport(
            state=self.state(account_id),
            curve=self.curve(account_id, window),
            risk=self.risk(account_id, "1y"),
            by_asset_class=self.exposure_by_asset_class(account_id),
            trades=self.trade_stats(account_id),
            costs=self.execution_costs(account_id),
            rank=None if rank is None else rank + 1,
        )

    def _fills(self, account_id: str) -> list[Fill]:
        """The account's fills since its last reset, oldest first: a reset closed what they
        opened without a fill, so older ones would pair with new trades."""
        self.portfolio.valuation.account_index(account_id)  # unknown accounts: NotFoundError
        return sorted(
            self.store.list_fills(account_id, limit=MAX_FILLS, this_life=True),
            key=lambda f: (f.ts_ns, f.id),
        )

    def _live_point(self, account_id: str, now: int) -> EquityPoint:
        state = self.state(account_id)
        return EquityPoint(account_id=account_id, ts_ns=now, nav=state.nav, cash=state.cash)
