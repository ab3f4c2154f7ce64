"""The execution engine: the simulated venue's state machine for accounts and orders.

Plain synchronous Python driven by commands (`submit`, `cancel`, `replace`, account
commands) and by time (`advance`). Each call returns the `Changes` it made; the caller commits
them in one transaction before acknowledging (DESIGN.md §2, §4). State lives in memory
(`booking.Bookkeeper`), changed by account commands and rebuilt from the store with `restore`
(`state.VenueState`); a new order is built in `new_orders`, replaced in `replacing`, and
contingent orders' legs are in `contingent`.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from vtrade.core.clock import NS_PER_MINUTE
from vtrade.core.errors import ConflictError, NotFoundError, refusing
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.changes import Changes
from vtrade.domain.commands import CancelOrder, ReplaceOrder, SubmitOrder
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Side
from vtrade.domain.orders import (
    CANCEL_DUE,
    OCO_WITH,
    ORDER_CLASS,
    Order,
    OrderClass,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from vtrade.execution import contingent, fills, new_orders, replacing, routing, working
from vtrade.execution.accounting import AccountView, Marks, view
from vtrade.execution.profiles import RealismProfile, rules_of
from vtrade.execution.state import VenueState
from vtrade.execution.validation import (
    AccountRuleViolation,
    CheckContext,
    OrderOutOfRange,
    RuleViolation,
    check_account,
    check_shape,
    client_id_taken,
    pays_cash,
    pending_cash,
    pending_margin,
)
from vtrade.market.books import to_price
from vtrade.market.sessions import Phase

S = OrderStatus
LAST_PRICE_LOOKBACK_NS = 15 * NS_PER_MINUTE  # how far before a close to find its price


class ExecutionEngine(VenueState):
    """Orders and time acting on the venue's state, under its rules."""

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
            legs = contingent.checked_legs(self, cmd, t_ns)
            order, rejected = self.checked(cmd, t_ns, liquidating=liquidating)
        if received_ns is not None:
            order.created_ns = min(received_ns, t_ns)
        if rejected is not None:  # kept when a venue's rule refused it, but its id stays free
            return order, rejected
        self.by_client_id[(order.account_id, order.client_order_id)] = order
        if legs:
            return order, contingent.open_with_legs(self, order, legs, cmd.order_class, t_ns)
        return order, self.open_order(order, t_ns)

    def entry_price(
        self, symbol: str, limit: Decimal | None, stop: Decimal | None, t_ns: int
    ) -> Decimal:
        """What a contingent entry's exits must lie on either side of: its limit, else its
        stop, else the mid."""
        return limit or stop or self.marks(t_ns).mid(symbol)

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
        changes.events.append(self.accepted(order, t_ns))
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
        """An order in flight reaches the market at `t_ns`: execute it as `open_order` would have.
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
        new_orders.check_sizing(cmd)
        order = new_orders.order_from(cmd, inst, account, t_ns, id="", client_order_id="", seq=0)
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

    def excess_margin(self, account_id: str, t_ns: int) -> Decimal:
        """The margin (VCR) a new order may use: NAV less the initial margin of the positions
        and of what open orders would add (never below 0)."""
        view = self.view(account_id, t_ns)
        return max(view.buying_power - self.margin_for_orders(account_id, t_ns), Decimal(0))

    def stock_leverage(self, account_id: str) -> Decimal:
        """How many VCR of stock a VCR of excess margin buys: the venue's equity leverage, or
        1 for a cash-only account (its buying power as brokers quote it is excess x this)."""
        if self.account(account_id).cash_only:
            return Decimal(1)
        return self.config.leverage.get(AssetClass.EQUITY, Decimal(1))

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
        return self.checked(cmd, t_ns)[0]

    def checked(
        self, cmd: SubmitOrder, t_ns: int, *, liquidating: bool = False
    ) -> tuple[Order, Changes | None]:
        """Build the order and run every check; a rejected order comes with its changes (none
        when an account rule refused it: such an order is not kept). A number out of range
        (`OrderOutOfRange`) is raised: malformed input, refused before anything is kept."""
        account = self.account(cmd.account_id)
        inst = self.catalog.get(cmd.symbol)
        # priced and checked as submitted (what the trader saw); routed for when it arrives
        order = self.new_order(cmd, inst, account, t_ns)
        arrival = t_ns + rules_of(order).latency_ns
        marks = self.marks(t_ns)
        try:
            self._size_as_sent(order, cmd, inst, t_ns)
            check_shape(order, inst)
            routing.route(order, inst, self.sessions.for_instrument(inst), arrival)
            ctx = self._check_context(account, order, inst, marks, cmd, liquidating)
            check_account(order, inst, ctx)
        except OrderOutOfRange:
            raise
        except RuleViolation as exc:
            order.reject_reason = f"{exc.rule}: {exc.message}"
            order.move_to(S.REJECTED, t_ns)
            if isinstance(exc, AccountRuleViolation):
                order.extra.update(exc.facts)  # for the caller's answer: nothing is kept
                return order, Changes()
            if cmd.order_class is not OrderClass.SIMPLE:  # kept with no legs: it says its class
                order.extra[ORDER_CLASS] = cmd.order_class.value
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
        qty = new_orders.qty_for_notional(notional, price, inst, buy_fee)
        if side is Side.BUY and profile is not None:
            unit = fills.unit_for(qty, inst)
            walked = fills.walk_price(self.market, inst, side, qty, t_ns, profile, unit)
            if walked > price:
                qty = new_orders.qty_for_notional(notional, walked, inst, buy_fee)
        return qty

    def cancel(self, cmd: CancelOrder, t_ns: int) -> tuple[Order, Changes]:
        """Cancel an open order, or a held leg (with the leg it is one-cancels-other with).
        Under a profile with latency the cancel travels to the market as the order did: the
        order may fill until it arrives (`working` closes it then)."""
        held = self.held.get(cmd.order_id)
        if held is not None and held.account_id == cmd.account_id:
            return held, contingent.cancel_held(self, held, t_ns, "canceled by the user")
        with refusing():
            order = self.own_open_order(cmd.account_id, cmd.order_id)
            self.check_unlocked(order, t_ns)
            replacing.check_not_being_replaced(order)
        latency = rules_of(order).latency_ns
        if latency:
            return order, self._send_cancel(order, t_ns, t_ns + latency)
        return order, self.close_order(order, S.CANCELED, t_ns, "canceled by the user")

    def _send_cancel(self, order: Order, t_ns: int, reaches_ns: int) -> Changes:
        """Send a cancel that reaches the market at `reaches_ns`; one already on its way
        stands (a second cancel arrives after it, to find the order gone)."""
        if order.cancel_due_ns is not None:
            return Changes()
        order.extra[CANCEL_DUE] = str(reaches_ns)
        self.orders.recount(order)
        sent = ev.OrderCancelRequested(**self.order_meta(order, t_ns), reaches_ns=reaches_ns)
        return Changes(orders=[order], events=[sent])

    def replace(self, cmd: ReplaceOrder, t_ns: int) -> tuple[Order, Changes]:
        """Replace an open order by a new one (`replacing.replace`)."""
        return replacing.replace(self, cmd, t_ns)

    def check_client_id_free(self, account_id: str, client_order_id: str | None) -> None:
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

    def made_client_id(self, account_id: str) -> str:
        """Make a client order id for an order sent without one. A client may have chosen the
        generator's next id for an order of its own (ids are a counter): skip the ids of this
        generator's shape the account chose, or the order would fail on the store's unique
        index and be lost. Only ids chosen since the generator was made can have its shape (a
        start salts it anew), so the engine's memory of them is enough: no store read."""
        made = self.ids.next("cid")
        while (account_id, made) in self.chosen_like_made:
            made = self.ids.next("cid")
        return made

    def _remember_chosen(self, account_id: str, client_order_id: str | None) -> None:
        """Remember a client order id the client chose in the shape of the made ones."""
        if client_order_id and client_order_id.startswith(self.ids.head("cid")):
            self.chosen_like_made.add((account_id, client_order_id))

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

    # -- helpers (`replacing` and `contingent` call the public ones) -----------------------

    def new_order(self, cmd: SubmitOrder, inst: Instrument, account: Account, t_ns: int) -> Order:
        """Build the order `cmd` asks for with its ids and sequence number, unchecked."""
        self._seq += 1
        new_orders.check_sizing(cmd)
        self._remember_chosen(account.id, cmd.client_order_id)
        return new_orders.order_from(
            cmd,
            inst,
            account,
            t_ns,
            id=self.ids.next("ord"),
            client_order_id=cmd.client_order_id or self.made_client_id(account.id),
            seq=self._seq,
        )

    def _check_context(
        self,
        account: Account,
        order: Order,
        inst: Instrument,
        marks: Marks,
        cmd: SubmitOrder,
        liquidating: bool = False,
    ) -> CheckContext:
        """What the checks of `order` read, with the API rules its `cmd` asks for. A
        `liquidating` order is the venue's own: the account's suspension of its trading does
        not stop it."""
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
            within_position=cmd.within_position,
            whole_units=cmd.whole_units,
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

    def check_unlocked(self, order: Order, t_ns: int) -> None:
        """Refuse to cancel or replace an auction order its exchange has locked in, or will
        have when the change reaches it (a profile's latency after it is sent)."""
        inst = self.catalog.get(order.symbol)
        for at in (t_ns, t_ns + rules_of(order).latency_ns):
            locked = routing.auction_lock(order, inst, at) or working.cross_printed(
                self, order, inst, at
            )
            if locked is not None:
                raise ConflictError(f"order {order.id} can no longer change: {locked}")

    def own_open_order(self, account_id: str, order_id: str) -> Order:
        """The open order `order_id` of the account (`NotFoundError` if it has none such)."""
        order = self.orders.get(order_id)
        if order is None or order.account_id != account_id:
            raise NotFoundError(f"open order {order_id!r} not found")
        return order
