"""Command handlers: run a command through the engine, commit its changes, then acknowledge.

Nothing is acknowledged before it is committed. Commands may share one transaction (group
commit, `submit_many`), none is acknowledged before that commit. If a command or its commit
fails, the engine is rebuilt from the store as it was before the command (its instant too, so
the market's elapsed time is worked again), and memory never holds what the store does not:
when the store cannot be read either, the engine is marked stale and rebuilt before the next
command or query, which fail while it cannot be; a
command refused before it changed anything (`refusing`) is answered with its error and its
neighbours, and the market's elapsed time, commit as if it had not been sent. Events leave
through the outbox: `relay` publishes what was committed and marks it published (at least
once; consumers deduplicate by event id).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TypeVar

from vtrade.app.ports import Changes, Store
from vtrade.core import topics
from vtrade.core.bus import InProcessBus
from vtrade.core.clock import NS_PER_DAY, NS_PER_HOUR, NS_PER_MICROSECOND, NS_PER_MINUTE, Clock, iso
from vtrade.core.errors import (
    ConflictError,
    MarketTakenOver,
    NotFoundError,
    StorageError,
    VtradeError,
    refusing,
)
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account, Position
from vtrade.domain.commands import (
    CancelOrder,
    OpenAccount,
    ReplaceOrder,
    ResetAccount,
    SubmitOrder,
)
from vtrade.domain.market_data import Side
from vtrade.domain.orders import ORDER_CLASS, Order, OrderClass, OrderType
from vtrade.execution.accounting import view
from vtrade.execution.engine import ExecutionEngine
from vtrade.execution.validation import client_id_taken
from vtrade.execution.working import catch_up_step

T = TypeVar("T")
log = logging.getLogger("vtrade.trading")
_PURGE_EVERY_NS = 10 * NS_PER_MINUTE  # of the simulation's clock
_PURGE_CHUNK = 10_000  # rows per DELETE: ~7 ms on SQLite
CATCH_UP_CHUNK_NS = NS_PER_HOUR  # of market time per commit while catching up
_COMPARED = (
    *("symbol", "side", "type", "tif", "limit_price", "stop_price", "extended_hours"),
    *("trail_price", "trail_percent"),
)


def _exits_asked(cmd: SubmitOrder) -> tuple[str, Decimal | None, Decimal | None, Decimal | None]:
    """The class and exits `cmd` asks for, as `TradingService._exits_of` reads an order's."""
    return (
        cmd.order_class.value,
        cmd.take_profit_limit_price,
        cmd.stop_loss_stop_price,
        cmd.stop_loss_limit_price,
    )


class TradingService:
    """The one place commands meet the engine and the store."""

    def __init__(
        self,
        engine: ExecutionEngine,
        store: Store,
        bus: InProcessBus,
        clock: Clock,
        relay_every: int = 1,
        outbox_retention_ns: int | None = None,
        *,
        relay_account_events: bool = False,
        publishes: bool = True,
    ) -> None:
        """`relay_every`: publish the outbox after every Nth commit (1: at once; 0: only when
        the caller relays). A server relays on a timer instead; acknowledgements never wait
        for the relay. `relay_account_events`: relay at once after opening or resetting an
        account even so (a server: the valuation knows the account before its next request).
        `outbox_retention_ns`: how long published events stay in the outbox for inspection
        before a relay deletes them (None: for ever). `publishes=False`: this process never
        relays, leaving the outbox to the server whose bus has the subscribers (a CLI command
        beside a running server would otherwise mark the server's events published)."""
        self.engine = engine
        self.store = store
        self.bus = bus
        self.clock = clock
        self.relay_every = relay_every if publishes else 0
        self.relay_account_events = relay_account_events and publishes
        self.publishes = publishes
        self.outbox_retention_ns = outbox_retention_ns
        self._commits = 0
        self._next_purge_ns = 0
        self._stale = False  # a rebuild failed: memory may hold what the store does not
        self._stale_at = 0  # and the instant to rebuild at, the failed command's start
        self._works_market = True  # records the engine's instant with each commit (`start`)
        self.commit_failure: str | None = None  # why the last commit failed, until one succeeds
        self._relaying = False  # a relay is delivering: a subscriber's command waits for it
        self._relay_again = False  # and committed events while it did: it goes on to them
        self._unrelayed = False  # this process committed events no relay has published yet

    def start(self, *, catch_up: bool = True) -> None:
        """Migrate the schema and rebuild open orders, positions and cash from the store, as of
        the instant the engine last worked; then (`catch_up`) let the market act on the open
        orders through the downtime since, as a broker keeps working orders while its client
        is away. Without `catch_up` (a CLI command beside a server) this process leaves the
        market to the server: it neither works open orders nor records the engine's instant."""
        self.store.migrate()
        boot = self.store.next_boot()
        self.engine.ids = self.engine.ids.derive(boot)  # never reuse an id
        self._works_market = catch_up
        if catch_up:  # before reading the store: what an earlier server commits after is refused
            self.store.claim_market(boot)
        self._restore(resume=True)
        if catch_up:
            try:
                self.catch_up()
            except StorageError:
                raise
            except Exception:  # a start must not fail for ever on what the downtime holds
                log.exception("catching up failed; the rest of the downtime is skipped")
                self._restore()
        if self.publishes:
            self.relay()

    def catch_up(self) -> None:
        """Work the open orders from the engine's instant to now: fills, triggers, auctions
        and expiries at the instants they happened. A long downtime is worked in coarser
        steps (`catch_up_step`), an hour of market time per commit, so that a failure loses
        no more than that hour's work."""
        began, now = self.engine.now_ns, self._now()
        if now <= began + self.engine.config.step_ns:
            return  # the next step picks it up
        step = catch_up_step(now - began, self.engine.config.step_ns)
        log.info(
            "catching up %.1f hours of downtime in %d ms steps",
            (now - began) / NS_PER_HOUR,
            step // 1_000_000,
        )
        end = began
        while end < now:
            end = min(end + CATCH_UP_CHUNK_NS, now)
            self._transaction(functools.partial(self._worked_until, end, step), record_instant=True)

    def _worked_until(self, end_ns: int, step_ns: int, _: int) -> tuple[None, list[Changes]]:
        # commit with every symbol on the normal grid, where a restart picks it up
        return None, [self.engine.advance(end_ns, step_ns), self.engine.realign()]

    def stop(self) -> None:
        """Record the engine's instant, so that the next start catches up from here rather
        than from the last commit (a crash loses only that shortcut)."""
        if self._stale:
            return
        try:
            self._commit([], record_instant=True)
        except Exception:
            log.exception(
                "recording the engine's instant failed; the next start works from the last commit"
            )

    # -- commands -------------------------------------------------------------------------

    def open_account(self, cmd: OpenAccount) -> Account:
        # the market need not act first: a new account has no orders (and a CLI command that
        # opens one leaves the market to the server, `start`)
        account = self._run(lambda t: self.engine.open_account(cmd, t), market_first=False)
        self._relay_account_events()
        return account

    def reset_account(self, cmd: ResetAccount) -> None:
        self._run(lambda t: (None, self.engine.reset_account(cmd, t)))
        self._relay_account_events()

    def set_rules(
        self,
        account_id: str,
        *,
        trading_suspended: bool | None = None,
        no_shorting: bool | None = None,
        cash_only: bool | None = None,
    ) -> Account:
        """Suspend or resume trading, forbid or allow short sales, forbid or allow borrowing
        (None keeps a rule)."""

        def change(_: int) -> tuple[None, Changes]:
            return None, self.engine.set_rules(
                account_id,
                trading_suspended=trading_suspended,
                no_shorting=no_shorting,
                cash_only=cash_only,
            )

        self._run(change)
        return self.account(account_id)

    def set_profile(self, account_id: str, profile: str) -> None:
        self._run(lambda t: (None, self.engine.set_profile(account_id, profile)))

    def submit(self, cmd: SubmitOrder) -> Order:
        """Submit one order; a repeated client_order_id returns the original order."""
        return _raised(self.submit_many([cmd])[0])

    def submit_many(
        self, cmds: Sequence[SubmitOrder], replayed: set[int] | None = None
    ) -> list[Order | VtradeError]:
        """Submit several orders in one transaction; acknowledge them only after it commits.
        An order refused before it changed anything (a number out of range, a client order id
        used for another order, an unknown account) gets its error in its place, and the
        others go on; any other error fails them all and rebuilds the engine. `replayed` is
        given the positions of the commands answered with an order placed before (a repeated
        `client_order_id`, earlier in this batch too)."""

        def work(t: int) -> tuple[list[Order | VtradeError], list[Changes]]:
            results: list[Order | VtradeError] = []
            if replayed is not None:
                replayed.clear()  # (a retried transaction starts again)
            received = _received_at(self.engine.now_ns, t, len(cmds))
            batch = [self.engine.advance(t)]  # the market acts up to now first
            for i, (cmd, received_ns) in enumerate(zip(cmds, received, strict=True)):
                try:
                    with refusing():
                        order = self._existing(cmd)
                    if order is None:
                        order, changes = self.engine.submit(cmd, t, received_ns)
                        batch.append(changes)
                    elif replayed is not None:
                        replayed.add(i)
                except VtradeError as exc:
                    if not exc.changed_nothing:
                        raise
                    results.append(exc)
                    continue
                results.append(order)
            return results, batch

        return self._transaction(work)

    def cancel(self, cmd: CancelOrder) -> Order:
        return self._run(lambda t: self.engine.cancel(cmd, t))

    def replace(self, cmd: ReplaceOrder) -> Order:
        """Replace an open order. The engine refuses a `client_order_id` used by an order it
        holds; one used by an older order (only in the store) is refused here first."""

        def step(t: int) -> tuple[Order, Changes]:
            with refusing():
                used = self._holder_of(cmd.account_id, cmd.client_order_id)
                if used is not None:
                    raise client_id_taken(cmd.client_order_id or "", used.id)
            return self.engine.replace(cmd, t)

        return self._run(step)

    def advance(self, t_ns: int | None = None) -> Changes:
        """Let time act on open orders up to `t_ns` (default: now); commit what happened."""
        target = self._now() if t_ns is None else t_ns

        def work(_: int) -> tuple[Changes, list[Changes]]:
            changes = self.engine.advance(target)
            return changes, [changes]

        return self._transaction(work)

    # -- outbox ---------------------------------------------------------------------------

    def relay(self, limit: int = 1000) -> int:
        """Publish every committed event to the bus, `limit` at a time; return how many."""
        published = 0
        while True:
            count = self.relay_chunk(limit)
            published += count
            # fewer than asked: that was all of it (spare the store one more query), unless a
            # subscriber committed more meanwhile; none: all of it, or a relay under way goes on
            if count == 0 or (count < limit and not self._relay_again):
                return published

    def relay_committed(self) -> None:
        """Publish what this process committed and no relay has published yet, so that a read
        of what the events feed (the portfolio) sees an acknowledged command at once, not at
        the next timed relay; nothing pending: no query."""
        if self._unrelayed and self.publishes:
            self._relay_after_commit()

    def relay_chunk(self, limit: int) -> int:
        """Publish up to `limit` committed events, oldest first; return how many (fewer than
        `limit`: none is left). Once the outbox is drained, now and then delete events
        published longer ago than the retention. A server relays chunk by chunk, serving
        requests in between.

        A subscriber may send a command while its event is delivered: that command's relay
        (relay_on_commit) is left to the one under way, which goes on to its events once its
        own chunk is marked (relaying there would publish the chunk's unmarked events again,
        out of order, and a bot hedging each fill would hedge it again and again)."""
        if self._relaying:
            self._relay_again = True
            return 0
        self._relaying, self._relay_again = True, False
        # cleared before reading: a commit while this chunk is delivered sets it again
        self._unrelayed = False
        try:
            items = self.store.pending_events(limit)
            for item in items:
                self.bus.publish(_topic(item.event), item.event)
            self.store.mark_published([i.seq for i in items])
        except Exception:
            self._unrelayed = True  # what failed stays in the outbox for the next relay
            raise
        finally:
            self._relaying = False
        if len(items) == limit:
            self._unrelayed = True  # more may wait beyond this chunk
        if len(items) < limit and not self._relay_again:
            self._purge_published()
        return len(items)

    def _purge_published(self) -> None:
        """Delete old published events in chunks, one per relay while a backlog lasts (a
        week of events at once would hold the loop and the write lock); never fail the
        command whose relay this is: its commit has already happened."""
        now = self._now()
        if self.outbox_retention_ns is None or now < self._next_purge_ns:
            return
        self._next_purge_ns = now + _PURGE_EVERY_NS
        try:
            gone = self.store.purge_published(now - self.outbox_retention_ns, _PURGE_CHUNK)
        except Exception:
            log.exception("purging published outbox events failed; retrying in ten minutes")
            return
        if gone == _PURGE_CHUNK:
            self._next_purge_ns = now  # more to delete: go on at the next relay

    # -- internals ------------------------------------------------------------------------

    def _run(self, step: Callable[[int], tuple[T, Changes]], *, market_first: bool = True) -> T:
        """Run one command after letting the market act up to now, in one transaction. If the
        command is refused (before it changed anything), what the market did still commits:
        a bad request must not cost resting orders the liquidity that came meanwhile."""

        def work(t: int) -> tuple[T | VtradeError, list[Changes]]:
            # the market acts up to now first
            elapsed = self.engine.advance(t) if market_first else Changes()
            try:
                result, changes = step(t)
            except VtradeError as exc:
                if not exc.changed_nothing:
                    raise
                return exc, [elapsed]
            return result, [elapsed, changes]

        return _raised(self._transaction(work))

    def _transaction(
        self, work: Callable[[int], tuple[T, list[Changes]]], *, record_instant: bool = False
    ) -> T:
        """Commit what `work` changed at the current instant, or rebuild the engine from the
        store as it was before if anything fails (a refusal is not a failure: `work` returns
        it); publish the outbox after the commit. A failed commit is a `StorageError`."""
        self.ensure_current()
        began = self.engine.now_ns
        try:
            result, batch = work(self._now())
        except Exception:
            self._rebuild(began)
            raise
        try:
            self._commit(batch, record_instant=record_instant)
        except MarketTakenOver:
            log.error("another process took over this database's market; stop this one")
            self._rebuild(began)
            raise
        except Exception as exc:
            log.exception("commit failed")  # the details stay here: they may hold others' rows
            self._rebuild(began)
            self.commit_failure = f"failed at {iso(self.clock.now_ns())} ({type(exc).__name__})"
            raise StorageError(
                f"the database failed while committing ({type(exc).__name__}); nothing is "
                "applied unless the commit itself went through with its answer lost: before "
                "sending an order again, look it up by its client_order_id (or list your recent "
                "orders)"
            ) from exc
        self.commit_failure = None
        self._after_commit()
        return result

    def probe_commit(self) -> str | None:
        """After a failed commit, commit the engine's instant again to see whether the database
        takes writes now (a full disk freed, a server back): None if it does or nothing failed,
        else why not. Reading alone would pass: a full disk still answers SELECT."""
        if self.commit_failure is None:
            return None
        try:
            self._transaction(lambda t: (None, []), record_instant=True)
        except StorageError:
            pass
        return self.commit_failure

    def _rebuild(self, at_ns: int) -> None:
        """Rebuild the engine from the store at `at_ns`, the instant before the failed command;
        if the store cannot be read, mark the engine stale (`ensure_current`)."""
        try:
            self._restore(at_ns or None)  # 0: the engine never worked yet
        except Exception:
            self._stale, self._stale_at = True, at_ns
            log.exception("rebuilding the engine failed; it is rebuilt before the next command")

    def ensure_current(self) -> None:
        """Rebuild a stale engine before anything uses it, or fail as the store does."""
        if not self._stale:
            return
        try:
            self._restore(self._stale_at or None)
        except Exception as exc:
            log.exception("rebuilding the engine failed again")
            raise StorageError(
                f"the database cannot be read ({type(exc).__name__}); try again later"
            ) from exc

    def _commit(self, batch: list[Changes], *, record_instant: bool = False) -> None:
        """Commit the non-empty changes of `batch` with the engine's instant; `record_instant`:
        the instant even if nothing changed (a catch-up's hour, a stop)."""
        batch = [c for c in batch if c]
        if batch or (record_instant and self._works_market):
            self.store.commit(batch, self.engine.now_ns if self._works_market else None)
            self._commits += 1
            self._unrelayed |= any(c.events for c in batch)

    def _relay_account_events(self) -> None:
        if self.relay_account_events and self.relay_every != 1:  # 1: relayed already
            self._relay_after_commit()

    def _after_commit(self) -> None:
        if self.relay_every and self._commits % self.relay_every == 0:
            self._relay_after_commit()

    def _relay_after_commit(self) -> None:
        """Relay, never failing the command whose commit has already happened: what is not
        published stays in the outbox for the next relay."""
        try:
            self.relay()
        except Exception:
            log.exception("relaying the outbox failed; its events go out with the next relay")

    def _holder_of(self, account_id: str, client_order_id: str | None) -> Order | None:
        """The account's order holding `client_order_id` (`Order.holds_client_id`: a rejected
        order does not): a recent one the engine holds, else the one the store has."""
        if not client_order_id:
            return None
        key = (account_id, client_order_id)
        order = self.engine.by_client_id.get(key) or self.store.get_order_by_client_id(*key)
        return order if order is not None and order.holds_client_id else None

    def _existing(self, cmd: SubmitOrder) -> Order | None:
        order = self._holder_of(cmd.account_id, cmd.client_order_id)
        if order is None:  # (a rejected order never executed: sending it again is no replay)
            return None
        # sized alike: by the same notional, or by the same qty (a notional order's qty is
        # the one it resolved to, which a request sized by qty never asked for)
        sized = cmd.notional == order.notional and cmd.qty in (None, order.qty)
        # a trailing stop's stop is the engine's, set from the market, not what was sent
        trailing = order.type is OrderType.TRAILING_STOP
        same = sized and all(
            getattr(cmd, f) == getattr(order, f)
            for f in _COMPARED
            if not (trailing and f == "stop_price")
        )
        if not same or self._exits_of(order) != _exits_asked(cmd):
            raise ConflictError(
                f"client_order_id {cmd.client_order_id!r} is already used by order {order.id} "
                "with different parameters; use a new client_order_id"
            )
        return order

    def maintenance_at(self, account_id: str, t_ns: int) -> Decimal:
        """The maintenance margin of what the account held at `t_ns` (in its current life),
        at the marks then: its positions now, less the fills made since."""
        held = {p.symbol: p.qty for p in self.engine.positions_of(account_id)}
        for f in self.store.list_fills(account_id, limit=1_000_000, since_ns=t_ns + 1):
            bought = f.qty if f.side is Side.BUY else -f.qty
            held[f.symbol] = held.get(f.symbol, Decimal(0)) - bought
        then = [
            Position(account_id=account_id, symbol=symbol, qty=qty)
            for symbol, qty in held.items()
            if qty
        ]
        engine = self.engine
        account = engine.account(account_id)
        return view(account, then, engine.marks(t_ns), engine.margin_rates).maintenance

    def _exits_of(self, order: Order) -> tuple[str, Decimal | None, Decimal | None, Decimal | None]:
        """An order's class and the exits it was placed with (take-profit limit, stop-loss
        stop and limit), read from its legs wherever they are now."""
        cls = order.extra.get(ORDER_CLASS, OrderClass.SIMPLE.value)
        take = stop = stop_limit = None
        if cls == OrderClass.OCO.value:
            take = order.limit_price  # an oco's entry is its take-profit
        for leg_id in order.leg_ids:
            leg = self.engine.held.get(leg_id) or self.engine.orders.get(leg_id)
            leg = leg or self.store.get_order(leg_id)
            if leg is None:
                continue
            if leg.type is OrderType.LIMIT:
                take = leg.limit_price
            else:
                stop, stop_limit = leg.stop_price, leg.limit_price
        return cls, take, stop, stop_limit

    def knows(self, account_id: str) -> bool:
        """Tell whether the engine holds the account; if not, reload the ledger once, since
        another process (the CLI creating a key) may have opened it since this one started."""
        self.ensure_current()
        if account_id not in self.engine.accounts:
            self._restore()
        return account_id in self.engine.accounts

    def _restore(self, at_ns: int | None = None, *, resume: bool = False) -> None:
        """Rebuild the engine from the store, at `at_ns` (default: now, or the engine's own
        instant when later), or at the instant stored with the last commit when that is later:
        a commit whose answer was lost may have gone through, and the market's time it worked
        must not be worked twice. `resume` (a start): at the stored instant (`_resume_at`)."""
        now = self._now()
        # the fills of a month before the earliest instant a start may resume at: the volume
        # behind each fill's fee tier, also during the catch-up of a downtime (`_resume_at`)
        snapshot = self.store.load(now - 31 * NS_PER_DAY - self.engine.config.catch_up_ns)
        if self._works_market:
            self._date_openings_ahead(snapshot.accounts, now)
        if resume:
            at = self._resume_at(snapshot.worked_ns, now)
        elif at_ns is None:
            at = max(now, self.engine.now_ns)
        else:
            at = max(at_ns, snapshot.worked_ns)
        self.engine.restore(snapshot, at)
        self._stale = False

    def _date_openings_ahead(self, accounts: list[Account], now: int) -> None:
        """Date at `now` the accounts another process opened on a clock ahead of this one's
        (`vtrade keys create`, on the wall clock, beside a server in simulated time): their
        opening would lie in this market's future, after their own trades and closes. Such an
        account has not traded: a market's clock never goes back (`_resume_at`)."""
        ahead = [a for a in accounts if a.created_ns > now]
        if ahead:
            self.store.redate_openings([a.id for a in ahead], now)
            for account in ahead:
                account.created_ns = now

    def _resume_at(self, worked_ns: int, now_ns: int) -> int:
        """Where a start picks up: the instant the engine last worked, if before now (a clock
        set back, or a new database, starts now), at most `catch_up_ns` ago and never before
        the market's supported range (`market.first_day`: no session is known there). A
        clock behind that instant is refused: it would trade the market's time again."""
        if worked_ns > now_ns and self._works_market:
            raise ConflictError(
                f"this database's market time is already {iso(worked_ns)}, later than the "
                f"clock's {iso(now_ns)}: starting there would trade that time again (fills "
                "before the orders that made them, nights financed twice); start the clock "
                f"at or after {iso(worked_ns)} (--start), or use another database",
                worked=iso(worked_ns),
                clock=iso(now_ns),
            )
        if not 0 < worked_ns < now_ns:
            return now_ns
        oldest = max(now_ns - self.engine.config.catch_up_ns, self.engine.sessions.first_ns)
        if worked_ns < oldest and self.engine.config.catch_up_ns and self._works_market:
            log.warning(
                "the engine last worked %s ago; open orders meet only the last %s of the "
                "market, and financing is charged for that span only (execution.catch_up_hours, "
                "market.first_day)",
                _span(now_ns - worked_ns),
                _span(now_ns - oldest),
            )
        return max(worked_ns, oldest)

    def _now(self) -> int:
        return self.clock.now_ns()

    def account(self, account_id: str) -> Account:
        self.ensure_current()
        try:
            return self.engine.accounts[account_id]
        except KeyError:
            raise NotFoundError(f"account {account_id!r} not found") from None


def _received_at(previous_ns: int, t_ns: int, count: int) -> list[int]:
    """When each of `count` orders committed together at `t_ns` counts as received: a
    microsecond apart, the last at `t_ns`, none before the previous command's instant (a clock
    that did not move ties them). Alpaca's order list pages by `submitted_at`, exclusive:
    orders of one instant on a page boundary would be skipped."""
    floor = min(previous_ns + 1, t_ns)
    return [max(t_ns - (count - 1 - i) * NS_PER_MICROSECOND, floor) for i in range(count)]


def _topic(event: object) -> str:
    if isinstance(event, ev.OrderEvent):
        return topics.orders(event.account_id)
    account_id = getattr(event, "account_id", "")
    return topics.account(account_id)


def _raised(result: T | VtradeError) -> T:
    """The result of a committed command, or the error that refused it, raised."""
    if isinstance(result, VtradeError):
        raise result
    return result


def _span(ns: int) -> str:
    """A duration in days, or hours under a day (a 1-hour catch-up is not "0.0 days")."""
    if ns >= NS_PER_DAY:
        return f"{ns / NS_PER_DAY:.1f} days"
    return f"{ns / NS_PER_HOUR:.1f} hours"
