"""The venue's state as the commands outside trading change it: accounts opened, reset and
given their own rules and profile, and all of it rebuilt from the store after a (re)start."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from vtrade.core.errors import ValidationError, refusing
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account, EntryKind, Profile, balance_problem
from vtrade.domain.changes import Changes, Snapshot
from vtrade.domain.commands import OpenAccount, ResetAccount
from vtrade.domain.orders import Fill, OrderStatus
from vtrade.execution import working
from vtrade.execution.booking import Bookkeeper
from vtrade.execution.fees import Liquidity
from vtrade.execution.open_orders import OpenOrders
from vtrade.execution.profiles import rules_named
from vtrade.execution.recent_orders import RecentOrders
from vtrade.execution.volumes import Volumes
from vtrade.market.book import MEMORY_NS

S = OrderStatus


class VenueState(Bookkeeper):
    """Accounts' commands, and the restore of everything the bookkeeper holds."""

    # -- accounts -------------------------------------------------------------------------

    def open_account(self, cmd: OpenAccount, t_ns: int) -> tuple[Account, Changes]:
        with refusing():
            balance = self.config.initial_balance if cmd.balance is None else cmd.balance
            problem = balance_problem(balance)
            if problem:
                raise ValidationError(problem)
            profile = Profile.parse(cmd.profile)
        account = Account(
            id=self.ids.next("acc"),
            owner=cmd.owner,
            name=cmd.name,
            profile=profile,
            initial_balance=balance,
            cash=balance,
            created_ns=t_ns,
        )
        self.accounts[account.id] = account
        entry = self.entry(account, EntryKind.DEPOSIT, balance, t_ns, note="opening balance")
        opened = ev.AccountOpened(
            **self.event_meta(t_ns),
            account_id=account.id,
            owner=account.owner,
            profile=account.profile.value,
            balance=balance,
        )
        return account, Changes(accounts=[account], ledger=[entry], events=[opened])

    def reset_account(self, cmd: ResetAccount, t_ns: int) -> Changes:
        """Cancel open orders, close every position at no cost, restore the initial balance."""
        with refusing():
            account = self.account(cmd.account_id)
        changes = self.cancel_all(account.id, t_ns, "account reset")
        for pos in self.positions_of(account.id):
            pos.qty, pos.avg_price, pos.updated_ns = Decimal(0), Decimal(0), t_ns
            pos.realized_pnl, pos.entry_fx = Decimal(0), Decimal(1)
            changes.positions.append(pos)
        changes.ledger.append(
            self.entry(account, EntryKind.RESET, account.initial_balance - account.cash, t_ns)
        )
        account.cash = account.initial_balance
        account.epoch += 1
        self.volumes.pop(account.id, None)  # a new life starts at the lowest fee tier
        self.headroom.pop(account.id, None)  # what it had to spare is its old life's
        account.margin_call = False
        changes.accounts.append(account)
        changes.events.append(
            ev.AccountReset(
                **self.event_meta(t_ns),
                account_id=account.id,
                balance=account.cash,
                account_seq=self.next_account_seq(account.id),
            )
        )
        return changes

    def set_rules(
        self,
        account_id: str,
        *,
        trading_suspended: bool | None,
        no_shorting: bool | None,
        cash_only: bool | None = None,
    ) -> Changes:
        """Change the account's own rules (None keeps one); open orders are left alone, and
        so is a loan a cash-only account already has (it only stops borrowing more)."""
        with refusing():
            account = self.account(account_id)
        if trading_suspended is not None:
            account.trading_suspended = trading_suspended
        if no_shorting is not None:
            account.no_shorting = no_shorting
        if cash_only is not None:
            account.cash_only = cash_only
        changed = ev.AccountRulesChanged(
            **self.event_meta(self.now_ns),
            account_id=account.id,
            trading_suspended=account.trading_suspended,
            no_shorting=account.no_shorting,
            cash_only=account.cash_only,
        )
        return Changes(accounts=[account], events=[changed])

    def set_profile(self, account_id: str, profile: str) -> Changes:
        with refusing():
            account, parsed = self.account(account_id), Profile.parse(profile)
        account.profile = parsed
        return Changes(accounts=[account])

    # -- state ----------------------------------------------------------------------------

    def restore(self, snapshot: Snapshot, now_ns: int) -> None:
        """Rebuild in-memory state from the store after a (re)start."""
        self.accounts = {a.id: a for a in snapshot.accounts}
        self.positions = {(p.account_id, p.symbol): p for p in snapshot.positions}
        self._by_account = defaultdict(dict)
        for p in snapshot.positions:
            self._by_account[p.account_id][p.symbol] = p
        self.held = {o.id: o for o in snapshot.open_orders if o.status is S.HELD}
        self.orders = OpenOrders([o for o in snapshot.open_orders if o.status is not S.HELD])
        self.by_client_id = RecentOrders()  # the store has every older order
        self._seq = max((o.seq for o in snapshot.open_orders), default=0)
        self.account_seqs = dict(snapshot.account_seqs)
        self.volumes = defaultdict(Volumes)
        for f in sorted(snapshot.recent_fills, key=lambda f: f.ts_ns):
            if f.ts_ns < snapshot.reset_ns.get(f.account_id, 0) or f.id in snapshot.before_reset:
                continue  # before the account's last reset: not this life's volume
            if not rules_named(f.profile).friction:
                continue  # traded for free: earns no fee tier
            inst = self.catalog.get(f.symbol)
            self.volumes[f.account_id].add(inst, f.qty, f.price, f.fx_rate, f.ts_ns, f.order_id)
        self._replay_consumption(snapshot.recent_fills, now_ns)
        self.crossed = working.crossed_in(snapshot.recent_fills, now_ns)
        self.clearings = {}  # cleared again for the orders still to cross
        self.filled = set()  # the periodic check finds those the store's fills put under
        self.headroom = {}
        self.now_ns = now_ns
        # Each symbol last met the market on the normal step's grid at or before now (a
        # catch-up realigns there before it commits): its next meet, in whatever step, picks
        # up from there, so no print of that window is skipped or met twice.
        self.worked_ns = now_ns - self.config.step_ns
        self.worked = {
            symbol: working.last_meet(symbol, self.config.step_ns, now_ns)
            for symbol in self.orders.by_symbol()
        }

    def _replay_consumption(self, recent_fills: list[Fill], now_ns: int) -> None:
        """Give the books back what our orders took (fills in store order, which is the order
        they were taken in): levels not yet refilled, the mid still displaced. Without it a
        restart, or a rollback that reloads the store, would change every later fill's price."""
        books = self.market.books
        books.forget_consumption()
        for f in recent_fills:
            if (
                f.ts_ns >= now_ns - MEMORY_NS
                and f.receipt.liquidity == Liquidity.TAKER.value
                and rules_named(f.profile).friction
            ):
                books.replay(
                    f.symbol, f.side, [(s.price, s.qty) for s in f.receipt.slices], f.ts_ns
                )
