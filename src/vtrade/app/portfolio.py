"""Portfolio service: keeps every account valued as fills and prices arrive, and publishes it.

Fills, resets and new accounts arrive as events. Fills and resets carry absolute state and a
per-account `account_seq`: one no newer than the last applied for its account is a redelivery
(the outbox delivers at least once) and changes nothing. Prices arrive as single ticks
(`on_quote`) or by pulling the market at an instant (`tick`), applied as one batch. On its
own cadences it then streams coalesced `PortfolioValued` deltas and `PortfolioAlert`
crossings on the bus, writes changed accounts to the hot store (hashes plus the NAV
ranking), and takes equity snapshots (every few minutes while an account's markets are
open, and at each daily close) into cold storage.
`rebuild` recreates all of it from the ledger, the last close snapshots and current prices;
at a start it first takes the snapshot of a daily close the process was down over, valuing
each account as it stood at that close.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import numpy as np

from vtrade.app.as_of import as_of
from vtrade.app.ports import EquityStore, HotStore, Store
from vtrade.core import topics
from vtrade.core.bus import InProcessBus
from vtrade.core.clock import Clock, iso
from vtrade.core.errors import VtradeError
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account, Position
from vtrade.domain.changes import Snapshot
from vtrade.domain.market_data import Quote
from vtrade.domain.portfolio import EquityPoint, SnapshotKind
from vtrade.market.books import Touch
from vtrade.market.sessions import Phase, Sessions
from vtrade.portfolio.alerts import AlertConfig, Alerts, Crossing
from vtrade.portfolio.arrays import grow
from vtrade.portfolio.state import money
from vtrade.portfolio.universe import Universe
from vtrade.portfolio.valuation import Columns, Valuation

log = logging.getLogger(__name__)
NAV_BOARD = "nav"


class TouchSource(Protocol):
    def touch(self, symbol: str, t_ns: int) -> Touch: ...


@dataclass(frozen=True, slots=True)
class PortfolioConfig:
    stream_every_ns: int = 250_000_000  # coalescing: at most 4 deltas a second per account
    hot_every_ns: int = 1_000_000_000  # hot store writes of changed accounts
    snapshot_every_ns: int = 300_000_000_000  # intraday equity snapshots
    close_calendar: str = "XNYS"  # whose daily close ends the portfolio day
    alerts: AlertConfig = field(default_factory=AlertConfig)


class PortfolioService:
    """The valuation of every account, fed by events and prices, published on cadences."""

    def __init__(
        self,
        universe: Universe,
        market: TouchSource,
        sessions: Sessions,
        store: Store,
        equity: EquityStore,
        hot: HotStore,
        bus: InProcessBus,
        clock: Clock,
        config: PortfolioConfig | None = None,
    ) -> None:
        self.universe = universe
        self.market = market
        self.sessions = sessions
        self.store = store
        self.equity = equity
        self.hot = hot
        self.bus = bus
        self.clock = clock
        self.config = config or PortfolioConfig()
        self.valuation = Valuation(universe)
        self.alerts = Alerts(self.config.alerts)
        self.version = 0
        self._touch_ts = np.full(universe.size, -1, dtype=np.int64)
        self._unpriceable: set[int] = set()
        self._hot_pending = np.zeros(0, dtype=bool)
        self._snap_pending = np.zeros(0, dtype=bool)
        self._streamed_ns = self._hot_ns = self._snapshot_ns = 0
        self._next_close_ns: int | None = None
        self._unsubscribe: list[Any] = []
        self._applied_seq: dict[str, int] = {}  # last fill, reset or charge applied, per account

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Rebuild from storage (taking the daily close missed while no process ran) and
        follow the account and order events on the bus."""
        self.rebuild(self.clock.now_ns(), close_missed=True)
        for pattern in (f"{topics.ORDERS}.*", f"{topics.ACCOUNTS}.*"):
            self._unsubscribe.append(self.bus.subscribe(pattern, self.on_event))

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    def rebuild(self, t_ns: int, *, close_missed: bool = False) -> None:
        """Recreate the hot state from the ledger, the last close snapshots and prices at t.
        `close_missed` (a start): first take the snapshot of the last daily close before t
        where it is missing, so that the day's P&L runs from that close (a read-only rebuild,
        the CLI's, writes nothing)."""
        snapshot = self.store.load(t_ns)
        close_ns = self.close_before(t_ns) if close_missed else None
        if close_ns is not None:
            try:
                self._snapshot_missed_close(snapshot, close_ns, t_ns)
            except Exception:  # a start must not fail for ever on it: the day runs from before
                log.exception("taking the close snapshot missed at %s failed", iso(close_ns))
        self._applied_seq = dict(snapshot.account_seqs)
        self._value(snapshot.accounts, snapshot.positions, t_ns)
        v = self.valuation
        closes = self.equity.latest(v.ids, t_ns + 1, SnapshotKind.CLOSE.value)
        for account_id, point in closes.items():
            v.day_open[v.index[account_id]] = float(point.nav)
        v.take_dirty()
        self.alerts = Alerts(self.config.alerts)
        self.alerts.prime(v.columns())
        self._fit_masks()
        self._hot_pending[: len(v.ids)] = True  # the hot store may be stale: rewrite it
        self._streamed_ns = self._hot_ns = self._snapshot_ns = t_ns
        self._next_close_ns = self._close_after(t_ns)

    def _value(self, accounts: list[Account], positions: list[Position], t_ns: int) -> None:
        """Make a new valuation of `accounts` holding `positions`, at the prices at `t_ns`."""
        self.valuation = v = Valuation(self.universe)
        self._touch_ts[:] = -1
        self._pull_prices(t_ns)  # nothing is held yet: the FX pairs that convert positions
        for account in accounts:
            v.add_account(account.id, float(account.cash), float(account.initial_balance))
            v.set_cash_only(account.id, account.cash_only)
        for pos in positions:
            if pos.qty:
                self._ensure_price(pos.symbol, t_ns)
                v.set_position(
                    pos.account_id,
                    pos.symbol,
                    float(pos.qty),
                    float(pos.avg_price),
                    float(pos.entry_fx),
                )
        self._pull_prices(t_ns)

    def _snapshot_missed_close(self, snapshot: Snapshot, close_ns: int, t_ns: int) -> None:
        """Take the close snapshot at `close_ns` of the accounts that lack it (the process was
        down over the close), valuing each as it stood then at that instant's prices."""
        ids = [a.id for a in snapshot.accounts]
        taken = self.equity.latest(ids, t_ns + 1, SnapshotKind.CLOSE.value)
        missed = [
            a
            for a in snapshot.accounts
            if a.created_ns <= close_ns
            and snapshot.reset_ns.get(a.id, 0) <= close_ns  # else its day began at the reset
            and (a.id not in taken or taken[a.id].ts_ns < close_ns)
        ]
        if not missed:
            return
        accounts, positions = as_of(self.store, self.universe.catalog, missed, snapshot, close_ns)
        self._value(accounts, positions, close_ns)
        self._save_points(
            self.valuation.columns(), range(len(accounts)), close_ns, SnapshotKind.CLOSE
        )
        log.info("took the close snapshot of %d accounts missed at %s", len(missed), iso(close_ns))

    # -- inputs -----------------------------------------------------------------------------

    def on_event(self, event: object) -> None:
        """Apply an execution event (fills, new accounts, resets, financing); ignore the
        others."""
        v = self.valuation
        if isinstance(event, ev.OrderFilled):
            if event.account_id not in v.index:
                return  # opened before this service followed the bus: rebuild covers it
            if self._stale(event.account_id, event.account_seq):
                return  # redelivered: the account has moved on since
            self._ensure_price(event.symbol, event.ts_event)
            v.set_position(
                event.account_id,
                event.symbol,
                float(event.position_qty),
                float(event.position_avg_price),
                float(event.position_entry_fx),
            )
            v.set_cash(event.account_id, float(event.cash))
            self._applied_seq[event.account_id] = event.account_seq
        elif (
            isinstance(event, ev.FinancingCharged)
            and event.account_id in v.index
            and not self._stale(event.account_id, event.account_seq)
        ):
            v.set_cash(event.account_id, float(event.cash))
            self._applied_seq[event.account_id] = event.account_seq
        elif isinstance(event, ev.AccountRulesChanged) and event.account_id in v.index:
            v.set_cash_only(event.account_id, event.cash_only)
        elif isinstance(event, ev.AccountOpened):
            balance = float(event.balance)
            if event.account_id not in v.index:
                self.alerts.start_account(
                    v.add_account(event.account_id, balance, balance), balance
                )
                self._save_opening(event.account_id, event.ts_event, event.balance)
        elif (
            isinstance(event, ev.AccountReset)
            and event.account_id in v.index
            and not self._stale(event.account_id, event.account_seq)
        ):
            self._applied_seq[event.account_id] = event.account_seq
            balance = float(event.balance)
            v.reset_account(event.account_id, balance, balance)
            ended = self.alerts.start_account(v.index[event.account_id], balance)
            self._publish_alerts(ended, event.ts_event, f"-reset{event.account_seq}")
            self.equity.delete_account(event.account_id, 0)
            self._save_opening(event.account_id, event.ts_event, event.balance)
        self._fit_masks()

    def _save_opening(self, account_id: str, t_ns: int, balance: Decimal) -> None:
        """The first point of a curve (an account opened, or reset): its balance, then (or
        now, for one another process opened on a clock ahead of this one's)."""
        t_ns = min(t_ns, self.clock.now_ns())
        point = EquityPoint(account_id=account_id, ts_ns=t_ns, nav=balance, cash=balance)
        self.equity.save_points([point])

    def on_quote(self, quote: Quote) -> None:
        """Apply one L1 quote at its mid (the single-tick path)."""
        i = self.universe.index_of(quote.symbol)
        self.valuation.mark_one(i, float(quote.bid + quote.ask) / 2)

    def tick(self, t_ns: int) -> int:
        """Price every instrument at `t_ns` (one batch), then publish what is due. A tick past
        the daily close first prices and publishes at the close itself: its snapshot is the
        day's closing value, not the value a step (or a busy server's pause) later."""
        changed = 0
        close = self._next_close_ns
        if close is not None and close < t_ns:
            changed += self._pull_prices(close)
            self.publish(close, force=True)
        changed += self._pull_prices(t_ns)
        self.publish(t_ns)
        return changed

    # -- outputs ----------------------------------------------------------------------------

    def publish(self, t_ns: int, *, force: bool = False) -> None:
        """Stream, alert, write the hot store and snapshot, each when its cadence is due."""
        c = self.config
        if not force and t_ns - self._streamed_ns < c.stream_every_ns:
            return
        self._streamed_ns = t_ns
        changed = self.valuation.take_dirty()
        self._fit_masks()
        self._hot_pending[changed] = self._snap_pending[changed] = True
        cols = self.valuation.columns()
        closing = self._next_close_ns is not None and t_ns >= self._next_close_ns
        if closing:
            assert self._next_close_ns is not None
            self._snapshot(cols, self._next_close_ns, SnapshotKind.CLOSE, everyone=True)
            self.valuation.close_day()  # a new day: every day P&L starts again from here
            self._next_close_ns = self._close_after(t_ns)
            changed = self.valuation.take_dirty()
            self._hot_pending[changed] = True
            cols = self.valuation.columns()
        self.version += 1
        self._stream(cols, changed, t_ns)
        self._alert(cols, changed, t_ns)
        if force or closing or t_ns - self._hot_ns >= c.hot_every_ns:
            self._write_hot(cols, t_ns)
        if not closing and (
            force or t_ns // c.snapshot_every_ns != self._snapshot_ns // c.snapshot_every_ns
        ):
            self._snapshot(cols, t_ns, SnapshotKind.INTRADAY, everyone=False)

    def figures_at(self, t_ns: int) -> dict[str, dict[str, Decimal]]:
        """Each account's published figures (NAV, cash, P&L, exposure, margin) with prices at
        `t_ns`, without publishing: nothing is streamed, alerted, written or snapshotted."""
        self._pull_prices(t_ns)
        figures = _figures(self.valuation.columns())
        return {
            account_id: {name: money(values[a]) for name, values in figures.items()}
            for a, account_id in enumerate(self.valuation.ids)
        }

    def _stream(self, cols: Columns, changed: np.ndarray, t_ns: int) -> None:
        ids = self.valuation.ids
        for a in changed.tolist():
            topic = topics.portfolio(ids[a])
            if not self.bus.has_subscribers(topic):
                continue
            self.bus.publish(
                topic,
                ev.PortfolioValued(
                    id=f"pv-{ids[a]}-{self.version}",
                    ts_init=t_ns,
                    ts_event=t_ns,
                    account_id=ids[a],
                    version=self.version,
                    **{name: money(values[a]) for name, values in _figures(cols).items()},
                ),
            )

    def _alert(self, cols: Columns, changed: np.ndarray, t_ns: int) -> None:
        self._publish_alerts(self.alerts.check(cols, changed), t_ns)

    def _publish_alerts(self, crossings: list[Crossing], t_ns: int, tag: str = "") -> None:
        ids = self.valuation.ids
        for k, crossing in enumerate(crossings):
            account_id = ids[crossing.account]
            self.hot.incr(f"alerts:{crossing.kind.value}")
            self.bus.publish(
                topics.alerts(account_id),
                ev.PortfolioAlert(
                    id=f"al-{account_id}-{self.version}{tag}-{k}",
                    ts_init=t_ns,
                    ts_event=t_ns,
                    account_id=account_id,
                    kind=crossing.kind.value,
                    active=crossing.active,
                    value=crossing.value,
                    threshold=crossing.threshold,
                    message=crossing.message,
                ),
            )

    def _write_hot(self, cols: Columns, t_ns: int) -> None:
        self._hot_ns = t_ns
        n = len(self.valuation.ids)
        pending = np.flatnonzero(self._hot_pending[:n])
        if pending.size == 0:
            return
        self._hot_pending[pending] = False
        ids = self.valuation.ids
        figures = {**_figures(cols), "maintenance": cols.maintenance}
        rounded = {name: np.round(values[pending], 2).tolist() for name, values in figures.items()}
        hashes: dict[str, dict[str, str | int | float]] = {}
        for k, a in enumerate(pending.tolist()):
            fields: dict[str, str | int | float] = {n_: rounded[n_][k] for n_ in rounded}
            fields["ts_ns"], fields["version"] = t_ns, self.version
            hashes[f"portfolio:{ids[a]}"] = fields
        self.hot.put_hashes(hashes)
        self.hot.rank(NAV_BOARD, {ids[a]: rounded["nav"][k] for k, a in enumerate(pending)})

    def _snapshot(self, cols: Columns, t_ns: int, kind: SnapshotKind, *, everyone: bool) -> None:
        self._snapshot_ns = t_ns
        v = self.valuation
        n = len(v.ids)
        if everyone:
            chosen = np.arange(n)
        else:
            chosen = np.flatnonzero(self._snap_pending[:n] | self._holding_open(t_ns, n))
        self._snap_pending[chosen] = False
        v.resync()  # drop the rounding that deltas accumulate, at a moment that is cheap
        self._save_points(cols, chosen.tolist(), t_ns, kind)

    def _save_points(
        self, cols: Columns, accounts: Iterable[int], t_ns: int, kind: SnapshotKind
    ) -> None:
        ids = self.valuation.ids
        points = [
            EquityPoint(
                account_id=ids[a],
                ts_ns=t_ns,
                nav=money(cols.nav[a]),
                cash=money(cols.cash[a]),
                kind=kind,
            )
            for a in accounts
        ]
        if points:
            self.equity.save_points(points)

    # -- internals --------------------------------------------------------------------------

    def _stale(self, account_id: str, seq: int) -> bool:
        """Say whether the account already applied its event `seq` or a later one."""
        return seq <= self._applied_seq.get(account_id, 0)

    def _pull_prices(self, t_ns: int) -> int:
        """Price what values some account: held instruments and the FX pairs that convert
        them (others are priced when first bought, by `_ensure_price`)."""
        ids, prices, stamps = [], [], []
        symbols = self.universe.symbols
        held = self.valuation.holdings.count > 0
        held[list(self.universe.priced_by)] = True
        for i in np.flatnonzero(held).tolist():
            if i in self._unpriceable:
                continue
            symbol = symbols[i]
            try:
                touch = self.market.touch(symbol, t_ns)
            except VtradeError:
                self._unpriceable.add(i)  # e.g. a replay without this symbol
                continue
            if touch.ts != self._touch_ts[i]:
                ids.append(i)
                prices.append(touch.mid)
                stamps.append(touch.ts)
        if not ids:
            return 0
        index = np.array(ids, dtype=np.int64)
        self._touch_ts[index] = stamps
        return self.valuation.mark(index, np.array(prices))

    def _ensure_price(self, symbol: str, t_ns: int) -> None:
        i = self.universe.index_of(symbol)
        if np.isnan(self.valuation.price[i]):
            touch = self.market.touch(symbol, t_ns)
            self.valuation.mark(np.array([i]), np.array([touch.mid]))

    def _holding_open(self, t_ns: int, n: int) -> np.ndarray:
        """Accounts holding anything whose market is open at `t_ns`."""
        u, h = self.universe, self.valuation.holdings
        open_now = np.array(
            [
                self.sessions.for_instrument(u.catalog.get(s)).phase(t_ns) is not Phase.CLOSED
                for s in u.symbols
            ]
        )
        slots = h.abs_qty[: h.size] > 0
        slots &= open_now[h.instrument[: h.size]]
        return np.bincount(h.account[: h.size][slots], minlength=n)[:n] > 0

    def close_before(self, t_ns: int) -> int | None:
        """The last daily close at or before `t_ns` (at `t_ns` too: `_close_after` skips it)."""
        calendar = self.sessions.calendar(self.config.close_calendar)
        return None if calendar.always_open else calendar.last_regular_end(t_ns)

    def _close_after(self, t_ns: int) -> int | None:
        try:
            return self.sessions.calendar(self.config.close_calendar).state(t_ns).next_close
        except ValueError:
            return None

    def _fit_masks(self) -> None:
        n = len(self.valuation.ids)
        if self._hot_pending.shape[0] >= n:
            return
        # new accounts: write and snapshot them
        grow(self, ("_hot_pending", "_snap_pending"), max(1024, 2 * n), fill=True)


def _figures(cols: Columns) -> dict[str, np.ndarray]:
    """The account figures that are streamed (`PortfolioValued` fields) and kept hot."""
    return {
        "nav": cols.nav,
        "cash": cols.cash,
        "day_pnl": cols.day_pnl,
        "unrealized_pnl": cols.unrealized,
        "total_pnl": cols.total_pnl,
        "gross_exposure": cols.gross,
        "net_exposure": cols.net,
        "margin_used": cols.margin,
    }
