"""The execution engine: the simulated venue's state machine for accounts and orders.

Plain synchronous Python driven by commands (`submit`, `cancel`, `replace`, account
commands) and by time (`advance`). Each call returns the `Changes` it made; the caller commits
them in one transaction before acknowledging (DESIGN.md §2, §4). State lives in memory and is
rebuilt from the store with `restore`.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from functools import partial

from vtrade.core.clock import NS_PER_MINUTE
from vtrade.core.errors import ConflictError, NotFoundError, ValidationError, refusing
from vtrade.domain import events as ev
from vtrade.domain.accounts import (
    Account,
    EntryKind,
    Profile,
    balance_problem,
)
from vtrade.domain.changes import Changes, Snapshot
from vtrade.domain.commands import CancelOrder, OpenAccount, ReplaceOrder, ResetAccount, SubmitOrder
from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import Side
from vtrade.domain.orders import (
    OCO_WITH,
    ORDER_CLASS,
    Fill,
    Order,
    OrderClass,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from vtrade.execution import contingent, fills, routing, working
from vtrade.execution.accounting import AccountView, Marks, view
from vtrade.execution.booking import Bookkeeper
from vtrade.execution.fees import Liquidity
from vtrade.execution.open_orders import OpenOrders
from vtrade.execution.profiles import RealismProfile, rules_named, rules_of
from vtrade.execution.recent_orders import RecentOrders
from vtrade.execution.validation import (
    AccountRuleViolation,
    CheckContext,
    OrderOutOfRange,
    RuleViolation,
    check_account,
    check_notional,
    check_shape,
    client_id_taken,
    pays_cash,
    pending_cash,
    pending_margin,
)
from vtrade.execution.volumes import Volumes
from vtrade.market.book import MEMORY_NS
from vtrade.market.books import to_price
from vtrade.market.sessions import Phase

S = OrderStatus
LAST_PRICE_LOOKBACK_NS = 15 * NS_PER_MINUTE  # how far before a close to find its price


class ExecutionEngine(Bookkeeper):
    """Commands and time acting on the bookkeeper's state, under the venue's rules."""

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

    # -- orders ---------------------------------------------------------------------------

    def submit(
        self,
        cmd: SubmitOrder,
        t_ns: int,
        received_ns: int | None = None,
        *,
        liquidating: bool = False,
    ) -> tuple[Order, Changes]:
        """Validate, route and (where the market allows) execute a new order. An error raised
        by the checks is a refusal (`changed_nothing`); one raised later is not. `received_ns`
        (at most `t_ns`): when it was received, its `created_ns` (default `t_ns`). A
        `liquidating` order is the venue's own, closing a margin-called account's position:
        the account's suspension of its trading does not stop it."""
        with refusing():
            legs = self._leg_commands(cmd, t_ns)
            order, rejected = self._checked(cmd, t_ns, liquidating=liquidating)
        if received_ns is not None:
            order.created_ns = min(received_ns, t_ns)
        if rejected is not None:  # kept when a venue's rule refused it, but its id stays free
            return order, rejected
        self.by_client_id[(order.account_id, order.client_order_id)] = order
        if legs:
            return order, self._open_with_legs(order, legs, cmd.order_class, t_ns)
        return order, self.open_order(order, t_ns)

    def _leg_commands(self, cmd: SubmitOrder, t_ns: int) -> list[SubmitOrder]:
        """The legs of a contingent order, checked as its entry will be (`ValidationError`
        naming the leg at fault); none for a simple order."""
        if cmd.order_class is OrderClass.SIMPLE:
            return []
        if cmd.order_class is not OrderClass.OCO:  # (an oco's sides `SubmitOrder` checks)
            base = self._entry_price(cmd.symbol, cmd.limit_price, cmd.stop_price, t_ns)
            tp, sl = cmd.take_profit_limit_price, cmd.stop_loss_stop_price
            contingent.check_sides(cmd.side, base, tp, sl)
        legs = []
        for name, leg in contingent.leg_commands(cmd):
            try:
                self.check_shape_of(leg, t_ns)
            except RuleViolation as exc:
                raise ValidationError(f"{name}: {exc.message}", field=name) from None
            legs.append(leg)
        return legs

    def _entry_price(
        self, symbol: str, limit: Decimal | None, stop: Decimal | None, t_ns: int
    ) -> Decimal:
        """What a contingent entry's exits must lie on either side of: its limit, else its
        stop, else the mid."""
        return limit or stop or self.marks(t_ns).mid(symbol)

    def _open_with_legs(
        self, entry: Order, leg_cmds: list[SubmitOrder], order_class: OrderClass, t_ns: int
    ) -> Changes:
        """Open a contingent order's entry with its legs held for it (an oco's stop-loss
        opens beside it)."""
        account, inst = self.account(entry.account_id), self.catalog.get(entry.symbol)
        legs = [self._new_order(c, inst, account, t_ns) for c in leg_cmds]
        calendar = self.sessions.for_instrument(inst)
        for leg in legs:
            leg.arrival_mid = entry.arrival_mid
            # a day leg expires with its entry's day, held or working (day or gtc: no refusal)
            routing.route(leg, inst, calendar, t_ns + rules_of(leg).latency_ns)
            self.by_client_id[(leg.account_id, leg.client_order_id)] = leg
        changes = contingent.hold(self, entry, legs, order_class, t_ns)
        changes.merge(self.open_order(entry, t_ns))
        if entry.extra[ORDER_CLASS] == OrderClass.OCO.value:
            changes.merge(contingent.open_oco_leg(self, entry, legs[0], t_ns))
        return changes

    def open_order(self, order: Order, t_ns: int) -> Changes:
        """Accept an order that passed every check; execute what the market allows now, or,
        under a profile with latency, when the order reaches the market (`arrive`): others
        may trade in between."""
        inst = self.catalog.get(order.symbol)
        calendar = self.sessions.for_instrument(inst)
        arrival = t_ns + rules_of(order).latency_ns
        changes = Changes()
        waits = routing.waits_for_market(order, calendar, arrival)
        order.move_to(S.PENDING_OPEN if waits else S.ACCEPTED, t_ns)
        now = routing.executes_now(order, inst, calendar, arrival)
        if now and arrival > t_ns:
            order.due_ns, now = arrival, False  # in flight (`routing.in_flight`)
        if order.type is OrderType.TRAILING_STOP and order.stop_price is None:
            if order.watermark is None:  # outside its session: from the session's last price
                order.watermark = self._last_regular_price(inst, t_ns)
            working.start_trailing(order, inst.tick_size)  # its stop is known (and shown) at once
        self.orders[order.id] = order
        changes.events.append(
            ev.OrderAccepted(**self.order_meta(order, t_ns), status=order.status.value)
        )
        if now:
            changes.merge(self._execute_now(order, inst, arrival))
        changes.orders.append(order)
        return changes

    def _last_regular_price(self, inst: Instrument, t_ns: int) -> Decimal | None:
        """The last price printed in the regular session, when `t_ns` is outside it (a
        trailing stop works only there: an after-hours mid is not its market); else None."""
        calendar = self.sessions.for_instrument(inst)
        if calendar.phase(t_ns) is Phase.REGULAR:
            return None
        end = calendar.last_regular_end(t_ns)
        if end is None:
            return None
        prints = self.market.prints(inst.symbol, end - LAST_PRICE_LOOKBACK_NS, end)
        if not prints.price.shape[0]:
            return None
        return to_price(float(prints.price[-1]), inst.tick_size)

    def arrive(self, order: Order, t_ns: int) -> Changes:
        """An order in flight reaches the market at `t_ns`: execute it as `_open` would have.
        If its session closed meanwhile (a restart after a downtime), it is routed as a new
        order would be then: queued for the open, resting, or canceled (ioc, fok). So is an
        order pending an open that passed while the engine was down. One that waited for its
        market and meets it now is routed first (`route_order`)."""
        self.orders.clear_due(order)
        order.updated_ns = t_ns  # its participation counts the volume from here, not before
        changes = Changes(orders=[order])  # no longer in flight, filled or not
        inst = self.catalog.get(order.symbol)
        calendar = self.sessions.for_instrument(inst)
        if routing.executes_now(order, inst, calendar, t_ns):
            if order.status is S.PENDING_OPEN:
                changes.merge(self.route_order(order, t_ns))
            changes.merge(self._execute_now(order, inst, t_ns))
            return changes
        try:
            routing.route(order, inst, calendar, t_ns)
        except RuleViolation as exc:
            changes.merge(self.close_order(order, S.CANCELED, t_ns, exc.message))
            return changes
        self.orders.recount(order)
        if not routing.waits_for_market(order, calendar, t_ns):
            if order.status is S.PENDING_OPEN:
                changes.merge(self.route_order(order, t_ns))
        elif order.status is not S.PENDING_OPEN:
            order.move_to(S.PENDING_OPEN, t_ns)
        return changes

    def check_shape_of(self, cmd: SubmitOrder, t_ns: int) -> None:
        """Run only the order-shape checks of `submit` on `cmd` (`check_shape`, raising its
        `RuleViolation`), on the order as `submit` would build it; nothing is kept and no id
        or sequence number is used."""
        account = self.account(cmd.account_id)
        inst = self.catalog.get(cmd.symbol)
        _check_sizing(cmd)
        order = _order_from(cmd, inst, account, t_ns, id="", client_order_id="", seq=0)
        self._size_as_sent(order, cmd, inst, t_ns)
        check_shape(order, inst)

    def margin_for_orders(self, account_id: str, t_ns: int) -> Decimal:
        """The margin (VCR) the account's open orders hold back for the exposure they would
        add, as a new order's buying-power check counts it."""
        marks = self.marks(t_ns)
        return pending_margin(
            self.orders_counted(account_id),
            marks,
            self.config.limits,
            self.view(account_id, t_ns),
            cash_only=self.account(account_id).cash_only,
        )

    def cash_for_orders(self, account_id: str, t_ns: int, excluding: str = "") -> Decimal:
        """The cash (VCR) the account's open cash-only buys hold back, fees included, as a new
        cash-only order's check counts it; all but the order `excluding` names."""
        marks = self.marks(t_ns)
        fees = partial(self.taker_fees_vcr, marks)
        cash_only = self.account(account_id).cash_only
        others = self.orders_counted(account_id, excluding=(excluding,))
        return pending_cash(others, marks, fees, cash_only=cash_only)

    def preview(self, cmd: SubmitOrder, t_ns: int) -> Order:
        """Run the checks and routing of `submit` without keeping or executing the order."""
        return self._checked(cmd, t_ns)[0]

    def _checked(
        self, cmd: SubmitOrder, t_ns: int, *, liquidating: bool = False
    ) -> tuple[Order, Changes | None]:
        """Build the order and run every check; a rejected order comes with its changes (none
        when an account rule refused it: such an order is not kept). A number out of range
        (`OrderOutOfRange`) is raised: malformed input, refused before anything is kept."""
        account = self.account(cmd.account_id)
        inst = self.catalog.get(cmd.symbol)
        # priced and checked as submitted (what the trader saw); routed for when it arrives
        order = self._new_order(cmd, inst, account, t_ns)
        arrival = t_ns + rules_of(order).latency_ns
        marks = self.marks(t_ns)
        try:
            self._size_as_sent(order, cmd, inst, t_ns)
            check_shape(order, inst)
            routing.route(order, inst, self.sessions.for_instrument(inst), arrival)
            ctx = self._check_context(account, order, inst, marks, cmd.within_position, liquidating)
            check_account(order, inst, ctx)
        except OrderOutOfRange:
            raise
        except RuleViolation as exc:
            order.reject_reason = f"{exc.rule}: {exc.message}"
            order.move_to(S.REJECTED, t_ns)
            if cmd.order_class is not OrderClass.SIMPLE:  # no legs were made: it says its class
                order.extra[ORDER_CLASS] = cmd.order_class.value
            if isinstance(exc, AccountRuleViolation):
                order.extra.update(exc.facts)  # for the caller's answer: nothing is kept
                return order, Changes()
            event = ev.OrderRejected(
                **self.order_meta(order, t_ns), rule=exc.rule, reason=exc.message
            )
            return order, Changes(orders=[order], events=[event])
        return order, None

    def _size_as_sent(self, order: Order, cmd: SubmitOrder, inst: Instrument, t: int) -> None:
        """Give a new order its arrival mid (the benchmark of its costs: the mid it was
        submitted at, so a latency's move shows as drift), and a notional order its quantity,
        at `t`."""
        order.arrival_mid = self.marks(t).mid(inst.symbol)
        if cmd.qty is None:
            fee = partial(self.taker_fee, order, inst, t)
            order.qty = self.notional_qty(inst, cmd.side, cmd.notional, t, fee, rules_of(order))

    def notional_qty(
        self,
        inst: Instrument,
        side: Side,
        notional: Decimal | None,
        t_ns: int,
        fee: fills.FeeOf | None = None,
        profile: RealismProfile | None = None,
    ) -> Decimal:
        """The whole lots `notional` comes to at the price a `side` order meets now (the ask
        for a buy, the bid for a sell), so a small order spends (or raises) no more than it;
        a buy's `fee` (quote currency, of a quantity at a price) is spent out of it too. A buy
        too large for the touch, under a `profile` with friction, is sized at the average
        price its walk of the book pays (`fills.walk_price`) instead: it spends no more
        either (sized smaller, it walks less)."""
        price = fills.opposite_price(self.market.touch(inst.symbol, t_ns), side, inst)
        buy_fee = fee if side is Side.BUY else None
        qty = _qty_for_notional(notional, price, inst, buy_fee)
        if side is Side.BUY and profile is not None:
            unit = fills.unit_for(qty, inst)
            walked = fills.walk_price(self.market, inst, side, qty, t_ns, profile, unit)
            if walked > price:
                qty = _qty_for_notional(notional, walked, inst, buy_fee)
        return qty

    def cancel(self, cmd: CancelOrder, t_ns: int) -> tuple[Order, Changes]:
        """Cancel an open order, or a held leg (with the leg it is one-cancels-other with)."""
        held = self.held.get(cmd.order_id)
        if held is not None and held.account_id == cmd.account_id:
            return held, contingent.cancel_held(self, held, t_ns, "canceled by the user")
        with refusing():
            order = self._own_open_order(cmd.account_id, cmd.order_id)
            self._check_unlocked(order, t_ns)
        return order, self.close_order(order, S.CANCELED, t_ns, "canceled by the user")

    def replace(self, cmd: ReplaceOrder, t_ns: int) -> tuple[Order, Changes]:
        """Replace an open order by a new one; the old one keeps its fills and ends `replaced`.
        A replacement the checks refuse is not kept (Alpaca answers a failed replace with an
        error and no new order): it comes back `rejected` with no changes, and the old order
        stays open as it was. A `client_order_id` another order of the account has (the old
        one included) is refused before anything changes."""
        with refusing():
            held = self.held.get(cmd.order_id)
            if held is not None and held.account_id == cmd.account_id:
                raise ValidationError(
                    f"order {cmd.order_id} is a leg held until its entry order fills: it can be "
                    "replaced once it works (or canceled now)"
                )
            old = self._own_open_order(cmd.account_id, cmd.order_id)
            self._check_unlocked(old, t_ns)
            _check_replaceable(old, cmd)
            limit, stop = cmd.limit_price or old.limit_price, cmd.stop_price or old.stop_price
            base = self._entry_price(old.symbol, limit, stop, t_ns)
            contingent.check_replaceable(self, old, cmd, base)
            self._check_client_id_free(cmd.account_id, cmd.client_order_id)
        del self.orders[old.id]  # the new order must not count the old one as open
        try:
            with refusing():  # the old order is back in place before this error leaves
                replacement = _replacement(old, cmd, self.ids.next("cmd"), t_ns)
                new, refused = self._checked(replacement, t_ns)
            if refused is not None:
                return new, Changes()
            if old.type is OrderType.TRAILING_STOP:
                # the market's best since the old order started still counts (a tighter trail
                # gives a tighter stop), and a triggered one is a market order: it stays live
                new.watermark, new.triggered = old.watermark, old.triggered
            else:  # a triggered stop-limit is a live limit order: a new limit keeps it live
                new.triggered = old.triggered and new.stop_price == old.stop_price
            self.by_client_id[(new.account_id, new.client_order_id)] = new
            changes = self.open_order(new, t_ns)
        finally:
            self.orders[old.id] = old
        new.replaces = old.id
        old.replaced_by = new.id
        changes.orders += contingent.relink(self, old, new)
        changes.merge(self.close_order(old, S.REPLACED, t_ns, f"replaced by {new.id}"))
        return new, changes

    def _check_client_id_free(self, account_id: str, client_order_id: str | None) -> None:
        """Refuse a client order id used by an order the engine knows in the account: an open
        one, or one placed since the last restore (the store holds older ones, which the
        trading service looks up)."""
        if not client_order_id:
            return
        used = self.by_client_id.get((account_id, client_order_id)) or next(
            (o for o in self.orders.of(account_id) if o.client_order_id == client_order_id),
            None,
        )
        if used is not None:
            raise client_id_taken(client_order_id, used.id)

    # -- time -----------------------------------------------------------------------------

    def realign(self) -> Changes:
        """After working in a coarser step, let every symbol meet the market up to its last
        instant on the normal step's grid (`working.realign`)."""
        return working.realign(self, self.config.step_ns)

    def advance(self, t_ns: int, step_ns: int | None = None) -> Changes:
        """Let the market act on open orders up to `t_ns`: opens, triggers, fills, closes.
        Working orders meet the market every `step_ns` (default: the configured step)."""
        self.forget_marks()  # a new batch: nothing is assumed about the feed's earlier answers
        return working.advance(self, t_ns, step_ns or self.config.step_ns)

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
            usd = f.qty * f.price * inst.multiplier * f.fx_rate
            self.volumes[f.account_id].add(inst, f.qty, usd, f.ts_ns)
        self._replay_consumption(snapshot.recent_fills, now_ns)
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

    # -- internals ------------------------------------------------------------------------

    def _new_order(self, cmd: SubmitOrder, inst: Instrument, account: Account, t_ns: int) -> Order:
        self._seq += 1
        _check_sizing(cmd)
        return _order_from(
            cmd,
            inst,
            account,
            t_ns,
            id=self.ids.next("ord"),
            client_order_id=cmd.client_order_id or self.ids.next("cid"),
            seq=self._seq,
        )

    def _check_context(
        self,
        account: Account,
        order: Order,
        inst: Instrument,
        marks: Marks,
        within_position: bool,
        liquidating: bool = False,
    ) -> CheckContext:
        """What the checks of `order` read. A `liquidating` order is the venue's own: the
        account's suspension of its trading does not stop it."""
        pair = order.extra.get(OCO_WITH)  # what it closes, its one-cancels-other closes too
        others = self.orders_counted(account.id, excluding=(order.id, pair))

        def account_view() -> AccountView:  # only orders that add exposure need it
            return view(
                account,
                self.positions_of(account.id),
                marks,
                self.margin_rates,
            )

        cash = pays_cash(inst, account.cash_only)  # borrows nothing for it
        cash_market_buy = cash and order.side is Side.BUY and order.type is OrderType.MARKET
        if cash_market_buy:  # its cash must cover the walk of the book its fill takes
            price = fills.market_price(self.market, order, inst, marks.t_ns, rules_of(order))
        else:
            price = fills.opposite_price(
                self.market.touch(inst.symbol, marks.t_ns), order.side, inst
            )
        return CheckContext(
            account_view=account_view,
            position_qty=self.position(account.id, inst.symbol).qty,
            open_orders=others,
            marks=marks,
            limits=self.config.limits,
            market_price=price,
            trade_costs=partial(self.trade_costs_vcr, marks),
            trading_suspended=account.trading_suspended and not liquidating,
            no_shorting=account.no_shorting,
            cash_only=account.cash_only,
            within_position=within_position,
            fees_vcr=partial(self.taker_fees_vcr, marks) if cash else None,
        )

    def _execute_now(self, order: Order, inst: Instrument, t_ns: int) -> Changes:
        """Execute what the book allows now; apply ioc/fok rules to what is left."""
        profile = rules_of(order)
        if order.tif is TimeInForce.FOK and profile.friction:
            if fills.available(self.market, order, inst, t_ns, profile) < order.qty:
                return self.close_order(
                    order, S.CANCELED, t_ns, "fill-or-kill: not enough liquidity"
                )
        changes = Changes()
        done = fills.take(self.market, order, inst, t_ns, profile)
        if done is not None:
            changes.merge(self.apply(order, inst, done, t_ns))
        if order.is_open and order.tif in (TimeInForce.IOC, TimeInForce.FOK):
            changes.merge(
                self.close_order(order, S.CANCELED, t_ns, "immediate-or-cancel remainder")
            )
        return changes

    def _check_unlocked(self, order: Order, t_ns: int) -> None:
        """Refuse to cancel or replace an auction order its exchange has locked in."""
        locked = routing.auction_lock(order, self.catalog.get(order.symbol), t_ns)
        if locked is not None:
            raise ConflictError(f"order {order.id} can no longer change: {locked}")

    def _own_open_order(self, account_id: str, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None or order.account_id != account_id:
            raise NotFoundError(f"open order {order_id!r} not found")
        return order


# The prices a replacement may change, by the type of the order it replaces (which it keeps).
_REPLACEABLE_PRICES = {
    OrderType.MARKET: (),
    OrderType.LIMIT: ("limit_price",),
    OrderType.STOP: ("stop_price",),
    OrderType.STOP_LIMIT: ("limit_price", "stop_price"),
    OrderType.TRAILING_STOP: ("trail",),
}


def _check_replaceable(old: Order, cmd: ReplaceOrder) -> None:
    """Refuse, as malformed input, a replacement setting a price the order's type has none
    of: it keeps the type, so a limit order given a stop_price could never be it."""
    allowed = _REPLACEABLE_PRICES[old.type]
    for name in ("limit_price", "stop_price", "trail"):
        if getattr(cmd, name) is not None and name not in allowed:
            changes = ", ".join(("qty", "time_in_force", *allowed, "client_order_id"))
            raise ValidationError(
                f"a {old.type.value} order takes no {name}: its replacement keeps its type and "
                f"may change {changes}",
                field=name,
            )


def _replacement(old: Order, cmd: ReplaceOrder, cmd_id: str, t_ns: int) -> SubmitOrder:
    """The order that replaces `old`: its fields, changed where `cmd` says. A trailing stop
    carries its trail (`cmd.trail` in the old one's unit), never the stop the engine computed
    from it: `replace` gives the new order the old one's watermark, and its stop follows from
    that with the new trail."""
    trail_price, trail_percent = old.trail_price, old.trail_percent
    if cmd.trail is not None and trail_percent is not None:
        trail_percent = cmd.trail
    elif cmd.trail is not None:
        trail_price = cmd.trail
    stop_price = cmd.stop_price
    if stop_price is None and old.type is not OrderType.TRAILING_STOP:
        stop_price = old.stop_price
    return SubmitOrder(
        id=cmd_id,
        ts_init=t_ns,
        account_id=old.account_id,
        symbol=old.symbol,
        side=old.side,
        type=old.type,
        tif=cmd.tif or old.tif,
        qty=cmd.qty if cmd.qty is not None else old.remaining,
        limit_price=cmd.limit_price if cmd.limit_price is not None else old.limit_price,
        stop_price=stop_price,
        trail_price=trail_price,
        trail_percent=trail_percent,
        extended_hours=old.extended_hours,
        client_order_id=cmd.client_order_id,
        within_position=cmd.within_position,
        extra=old.extra,
    )


def _qty_for_notional(
    notional: Decimal | None, price: Decimal, inst: Instrument, fee: fills.FeeOf | None
) -> Decimal:
    """The whole lots `notional` buys at `price`, its `fee` (a buy's) paid out of it."""
    assert notional is not None  # `_new_order` refused an order with neither qty nor notional
    check_notional(notional)  # before dividing by it
    qty, paid = fills.lots_after_fees(notional, price, inst, fee)
    if qty <= 0:
        after = f" after fees of {paid}" if paid else ""
        raise RuleViolation(
            "quantity",
            f"notional {notional} comes to less than one lot ({inst.lot_size}) of "
            f"{inst.symbol} at {price}{after}",
        )
    return qty


def _check_sizing(cmd: SubmitOrder) -> None:
    if (cmd.qty is None) == (cmd.notional is None):
        raise ValidationError("give exactly one of qty and notional")
    if cmd.notional is not None and cmd.type is not OrderType.MARKET:
        raise ValidationError("notional orders must be market orders")


def _order_from(
    cmd: SubmitOrder,
    inst: Instrument,
    account: Account,
    t_ns: int,
    *,
    id: str,
    client_order_id: str,
    seq: int,
) -> Order:
    """The order `cmd` asks for, as it arrives at `t_ns` (a notional order is sized later)."""
    return Order(
        id=id,
        account_id=account.id,
        client_order_id=client_order_id,
        symbol=inst.symbol,
        side=cmd.side,
        type=cmd.type,
        tif=cmd.tif,
        qty=cmd.qty if cmd.qty is not None else Decimal(0),
        notional=cmd.notional,
        limit_price=cmd.limit_price,
        stop_price=cmd.stop_price,
        trail_price=cmd.trail_price,
        trail_percent=cmd.trail_percent,
        extended_hours=cmd.extended_hours,
        extra=dict(cmd.extra),
        profile=account.profile.value,
        created_ns=t_ns,
        updated_ns=t_ns,
        seq=seq,
    )
