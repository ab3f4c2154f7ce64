"""The execution engine: the simulated venue's state machine for accounts and orders.

Plain synchronous Python driven by commands (`submit`, `cancel`, `replace`, account
commands) and by time (`advance`). Each call returns the `Changes` it made; the caller commits
them in one transaction before acknowledging (DESIGN.md §2, §4). State lives in memory and is
rebuilt from the store with `restore`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vtrade.core.errors import NotFoundError, ValidationError
from vtrade.core.ids import IdGenerator
from vtrade.core.messages import Event
from vtrade.domain import events as ev
from vtrade.domain.accounts import (
    DEFAULT_BALANCE,
    Account,
    EntryKind,
    LedgerEntry,
    Position,
    Profile,
)
from vtrade.domain.changes import Changes, Snapshot
from vtrade.domain.commands import CancelOrder, OpenAccount, ReplaceOrder, ResetAccount, SubmitOrder
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, Order, OrderStatus, OrderType, TimeInForce
from vtrade.execution import fills, routing
from vtrade.execution.accounting import CENT, Marks, view
from vtrade.execution.fees import FeeQuote, FeeSchedule
from vtrade.execution.fills import Execution, VenueMarket
from vtrade.execution.profiles import PROFILES
from vtrade.execution.receipts import receipt
from vtrade.execution.validation import (
    CheckContext,
    Limits,
    RuleViolation,
    check_account,
    check_shape,
)
from vtrade.execution.volumes import Volumes
from vtrade.market.catalog import Catalog
from vtrade.market.sessions import Sessions

S = OrderStatus
PRICE_PLACES = Decimal("1e-10")


@dataclass(frozen=True, slots=True)
class ExecutionConfig:
    """Venue rules. Leverage is per asset class (2:1 by default; crypto is cash-only)."""

    leverage: Mapping[AssetClass, Decimal] = field(
        default_factory=lambda: (
            {c: Decimal(2) for c in AssetClass} | {AssetClass.CRYPTO: Decimal(1)}
        )
    )
    maintenance: Decimal = Decimal("0.25")
    max_position_share: Decimal = Decimal("0.25")
    collars: Mapping[AssetClass, Decimal] = field(
        default_factory=lambda: (
            {c: Decimal("0.10") for c in AssetClass}
            | {AssetClass.CRYPTO: Decimal("0.20"), AssetClass.FX: Decimal("0.05")}
        )
    )
    initial_balance: Decimal = DEFAULT_BALANCE
    step_ns: int = 1_000_000_000  # how often working orders meet the market

    @property
    def limits(self) -> Limits:
        return Limits(self.leverage, self.max_position_share, self.collars)


class ExecutionEngine:
    """Accounts, positions and open orders, and the rules that change them."""

    def __init__(
        self,
        catalog: Catalog,
        sessions: Sessions,
        market: VenueMarket,
        fees: FeeSchedule,
        ids: IdGenerator,
        config: ExecutionConfig | None = None,
    ) -> None:
        self.catalog = catalog
        self.sessions = sessions
        self.market = market
        self.fees = fees
        self.ids = ids
        self.config = config or ExecutionConfig()
        self.accounts: dict[str, Account] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self._by_account: dict[str, dict[str, Position]] = defaultdict(dict)
        self.orders: dict[str, Order] = {}  # open orders only
        self.by_client_id: dict[tuple[str, str], Order] = {}  # orders made since start
        self.volumes: dict[str, Volumes] = defaultdict(Volumes)
        self.now_ns = 0
        self._seq = 0

    # -- accounts -------------------------------------------------------------------------

    def open_account(self, cmd: OpenAccount, t_ns: int) -> tuple[Account, Changes]:
        balance = self.config.initial_balance if cmd.balance is None else cmd.balance
        if balance <= 0:
            raise ValidationError(f"balance must be positive, got {balance}")
        account = Account(
            id=self.ids.next("acc"),
            owner=cmd.owner,
            name=cmd.name,
            profile=Profile.parse(cmd.profile),
            initial_balance=balance,
            cash=balance,
            created_ns=t_ns,
        )
        self.accounts[account.id] = account
        entry = self._entry(account, EntryKind.DEPOSIT, balance, t_ns, note="opening balance")
        return account, Changes(accounts=[account], ledger=[entry])

    def reset_account(self, cmd: ResetAccount, t_ns: int) -> Changes:
        """Cancel open orders, close every position at no cost, restore the initial balance."""
        account = self.account(cmd.account_id)
        changes = Changes()
        for order in self.open_orders(account.id):
            changes.merge(self._close(order, S.CANCELED, t_ns, "account reset"))
        for pos in self.positions_of(account.id):
            pos.qty, pos.avg_price, pos.updated_ns = Decimal(0), Decimal(0), t_ns
            changes.positions.append(pos)
        changes.ledger.append(
            self._entry(account, EntryKind.RESET, account.initial_balance - account.cash, t_ns)
        )
        account.cash = account.initial_balance
        account.epoch += 1
        account.margin_call = False
        changes.accounts.append(account)
        changes.events.append(
            ev.AccountReset(**self._meta(t_ns), account_id=account.id, balance=account.cash)
        )
        return changes

    def set_profile(self, account_id: str, profile: str) -> Changes:
        account = self.account(account_id)
        account.profile = Profile.parse(profile)
        return Changes(accounts=[account])

    # -- orders ---------------------------------------------------------------------------

    def submit(self, cmd: SubmitOrder, t_ns: int) -> tuple[Order, Changes]:
        """Validate, route and (where the market allows) execute a new order."""
        order, rejected = self._checked(cmd, t_ns)
        self.by_client_id[(order.account_id, order.client_order_id)] = order
        if rejected is not None:
            return order, rejected
        inst = self.catalog.get(order.symbol)
        arrival = t_ns + PROFILES[self.accounts[order.account_id].profile].latency_ns
        changes = Changes()
        queued = order.due_ns is not None and order.tif is not TimeInForce.CLS
        order.move_to(S.PENDING_OPEN if queued else S.ACCEPTED, t_ns)
        self.orders[order.id] = order
        changes.events.append(
            ev.OrderAccepted(**self._order_meta(order, t_ns), status=order.status.value)
        )
        if routing.executes_now(order, inst, self.sessions.for_instrument(inst), arrival):
            changes.merge(self._execute_now(order, inst, arrival))
        changes.orders.append(order)
        return order, changes

    def preview(self, cmd: SubmitOrder, t_ns: int) -> Order:
        """Run the checks and routing of `submit` without keeping or executing the order."""
        return self._checked(cmd, t_ns)[0]

    def _checked(self, cmd: SubmitOrder, t_ns: int) -> tuple[Order, Changes | None]:
        """Build the order and run every check; a rejected order comes with its changes."""
        account = self.account(cmd.account_id)
        inst = self.catalog.get(cmd.symbol)
        arrival = t_ns + PROFILES[account.profile].latency_ns
        order = self._new_order(cmd, inst, account, t_ns)
        marks = Marks(self.catalog, self.market.touch, arrival)
        order.arrival_mid = marks.mid(inst.symbol)
        try:
            if cmd.qty is None:
                order.qty = _qty_for_notional(cmd.notional, order.arrival_mid, inst)
            check_shape(order, inst)
            routing.route(order, inst, self.sessions.for_instrument(inst), arrival)
            check_account(order, inst, self._check_context(account, order, inst, marks))
        except RuleViolation as exc:
            order.reject_reason = f"{exc.rule}: {exc.message}"
            order.move_to(S.REJECTED, t_ns)
            event = ev.OrderRejected(
                **self._order_meta(order, t_ns), rule=exc.rule, reason=exc.message
            )
            return order, Changes(orders=[order], events=[event])
        return order, None

    def cancel(self, cmd: CancelOrder, t_ns: int) -> tuple[Order, Changes]:
        order = self._own_open_order(cmd.account_id, cmd.order_id)
        return order, self._close(order, S.CANCELED, t_ns, "canceled by the user")

    def replace(self, cmd: ReplaceOrder, t_ns: int) -> tuple[Order, Changes]:
        """Replace an open order by a new one; the old one keeps its fills and ends `replaced`."""
        old = self._own_open_order(cmd.account_id, cmd.order_id)
        trail = {}
        if cmd.trail is not None:
            key = "trail_percent" if old.trail_percent is not None else "trail_price"
            trail[key] = cmd.trail
        submit = SubmitOrder(
            id=self.ids.next("cmd"),
            ts_init=t_ns,
            account_id=old.account_id,
            symbol=old.symbol,
            side=old.side,
            type=old.type,
            tif=cmd.tif or old.tif,
            qty=cmd.qty if cmd.qty is not None else old.remaining,
            limit_price=cmd.limit_price if cmd.limit_price is not None else old.limit_price,
            stop_price=cmd.stop_price if cmd.stop_price is not None else old.stop_price,
            trail_price=trail.get("trail_price", old.trail_price),
            trail_percent=trail.get("trail_percent", old.trail_percent),
            extended_hours=old.extended_hours,
            client_order_id=cmd.client_order_id,
        )
        del self.orders[old.id]  # the new order must not count the old one as open
        try:
            new, changes = self.submit(submit, t_ns)
        finally:
            if old.id not in self.orders:
                self.orders[old.id] = old
        if new.status is S.REJECTED:
            return new, changes
        new.replaces = old.id
        old.replaced_by = new.id
        changes.merge(self._close(old, S.REPLACED, t_ns, f"replaced by {new.id}"))
        return new, changes

    # -- time -----------------------------------------------------------------------------

    def advance(self, t_ns: int) -> Changes:
        """Let the market act on open orders up to `t_ns`: opens, triggers, fills, closes."""
        from vtrade.execution.working import advance

        return advance(self, t_ns)

    # -- state ----------------------------------------------------------------------------

    def restore(self, snapshot: Snapshot, now_ns: int) -> None:
        """Rebuild in-memory state from the store after a (re)start."""
        self.accounts = {a.id: a for a in snapshot.accounts}
        self.positions = {(p.account_id, p.symbol): p for p in snapshot.positions}
        self._by_account = defaultdict(dict)
        for p in snapshot.positions:
            self._by_account[p.account_id][p.symbol] = p
        self.orders = {o.id: o for o in snapshot.open_orders}
        self.by_client_id = {}  # only orders the store has; older ones are looked up there
        self._seq = max((o.seq for o in snapshot.open_orders), default=0)
        self.volumes = defaultdict(Volumes)
        for f in sorted(snapshot.recent_fills, key=lambda f: f.ts_ns):
            inst = self.catalog.get(f.symbol)
            usd = f.qty * f.price * inst.multiplier * f.fx_rate
            self.volumes[f.account_id].add(inst, f.qty, usd, f.ts_ns)
        self.now_ns = now_ns

    def account(self, account_id: str) -> Account:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise NotFoundError(f"account {account_id!r} not found") from None

    def open_orders(self, account_id: str | None = None) -> list[Order]:
        found = [o for o in self.orders.values() if account_id in (None, o.account_id)]
        return sorted(found, key=lambda o: o.seq)

    def positions_of(self, account_id: str) -> list[Position]:
        return list(self._by_account.get(account_id, {}).values())

    def position(self, account_id: str, symbol: str) -> Position:
        held = self._by_account[account_id]
        if symbol not in held:
            held[symbol] = self.positions[(account_id, symbol)] = Position(
                account_id=account_id, symbol=symbol
            )
        return held[symbol]

    def marks(self, t_ns: int) -> Marks:
        return Marks(self.catalog, self.market.touch, t_ns)

    def view(self, account_id: str, t_ns: int):  # type: ignore[no-untyped-def]
        account = self.account(account_id)
        return view(
            account,
            self.positions_of(account_id),
            self.catalog,
            self.marks(t_ns),
            self.config.leverage,
            self.config.maintenance,
        )

    # -- internals ------------------------------------------------------------------------

    def _new_order(self, cmd: SubmitOrder, inst: Instrument, account: Account, t_ns: int) -> Order:
        self._seq += 1
        if (cmd.qty is None) == (cmd.notional is None):
            raise ValidationError("give exactly one of qty and notional")
        if cmd.notional is not None and cmd.type is not OrderType.MARKET:
            raise ValidationError("notional orders must be market orders")
        return Order(
            id=self.ids.next("ord"),
            account_id=account.id,
            client_order_id=cmd.client_order_id or self.ids.next("cid"),
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
            profile=account.profile.value,
            created_ns=t_ns,
            updated_ns=t_ns,
            seq=self._seq,
        )

    def _check_context(
        self, account: Account, order: Order, inst: Instrument, marks: Marks
    ) -> CheckContext:
        others = [o for o in self.open_orders(account.id) if o.id != order.id]
        acct_view = view(
            account,
            self.positions_of(account.id),
            self.catalog,
            marks,
            self.config.leverage,
            self.config.maintenance,
        )
        touch = self.market.touch(inst.symbol, marks.t_ns)
        best = touch.ask if order.side is Side.BUY else touch.bid
        return CheckContext(
            view=acct_view,
            position_qty=self.position(account.id, inst.symbol).qty,
            open_orders=others,
            marks=marks,
            limits=self.config.limits,
            touch_price=Decimal(repr(best)),
        )

    def _execute_now(self, order: Order, inst: Instrument, t_ns: int) -> Changes:
        """Execute what the book allows now; apply ioc/fok rules to what is left."""
        profile = PROFILES[self.accounts[order.account_id].profile]
        if order.tif is TimeInForce.FOK and profile.friction:
            if fills.available(self.market, order, inst, t_ns, profile) < order.qty:
                return self._close(order, S.CANCELED, t_ns, "fill-or-kill: not enough liquidity")
        changes = Changes()
        done = fills.take(self.market, order, inst, t_ns, profile)
        if done is not None:
            changes.merge(self.apply(order, inst, done, t_ns))
        if order.is_open and order.tif in (TimeInForce.IOC, TimeInForce.FOK):
            changes.merge(self._close(order, S.CANCELED, t_ns, "immediate-or-cancel remainder"))
        return changes

    def apply(self, order: Order, inst: Instrument, done: Execution, t_ns: int) -> Changes:
        """Book an execution: the fill, the order, the position, the cash ledger, the event."""
        account = self.accounts[order.account_id]
        profile = PROFILES[account.profile]
        marks = self.marks(t_ns)
        fx = marks.fx(inst.currency)
        qty = done.qty
        notional = sum((s.price * s.qty for s in done.slices), Decimal(0))
        price = (notional / qty).quantize(PRICE_PLACES)
        volumes = self.volumes[account.id]
        if profile.friction:
            fee = self.fees.quote(
                inst, order.side, qty, price, done.liquidity, volumes.context(t_ns), fx
            )
            fee = _scaled(fee, profile.fee_multiplier)
        else:
            fee = FeeQuote(total=Decimal(0), breakdown=())
        volumes.add(inst, qty, notional * inst.multiplier * fx, t_ns)
        fill = Fill(
            id=self.ids.next("fil"),
            order_id=order.id,
            account_id=account.id,
            symbol=inst.symbol,
            side=order.side,
            qty=qty,
            price=price,
            fee=fee.total,
            fx_rate=fx,
            ts_ns=t_ns,
            profile=profile.name.value,
            receipt=receipt(order, inst, done, fee, fx, profile.name.value),
        )
        order.filled_qty += qty
        order.filled_notional += notional
        order.move_to(S.FILLED if order.remaining <= 0 else S.PARTIALLY_FILLED, t_ns)
        sign = Decimal(1) if order.side is Side.BUY else Decimal(-1)
        pos = self.position(account.id, inst.symbol)
        realized = pos.apply(sign * qty, price, inst.multiplier)
        pos.realized_pnl += (realized * fx).quantize(CENT)
        pos.updated_ns = t_ns
        trade = (-sign * notional * inst.multiplier * fx).quantize(CENT)
        fee_vcr = (fee.total * fx).quantize(CENT)
        entries = [self._entry(account, EntryKind.TRADE, trade, t_ns, ref=fill.id)]
        if fee_vcr:
            entries.append(self._entry(account, EntryKind.FEE, -fee_vcr, t_ns, ref=fill.id))
        account.cash += trade - fee_vcr
        if not order.is_open:
            self.orders.pop(order.id, None)
        event = ev.OrderFilled(
            **self._order_meta(order, t_ns),
            fill_id=fill.id,
            side=order.side.value,
            qty=qty,
            price=price,
            fee=fee.total,
            partial=order.status is S.PARTIALLY_FILLED,
            filled_qty=order.filled_qty,
            remaining=order.remaining,
            profile=profile.name.value,
        )
        return Changes(
            accounts=[account],
            orders=[order],
            fills=[fill],
            positions=[pos],
            ledger=entries,
            events=[event],
        )

    def _close(self, order: Order, status: OrderStatus, t_ns: int, reason: str) -> Changes:
        order.move_to(status, t_ns)
        self.orders.pop(order.id, None)
        meta = self._order_meta(order, t_ns)
        event: Event
        if status is S.CANCELED:
            event = ev.OrderCanceled(**meta, reason=reason)
        elif status is S.EXPIRED:
            event = ev.OrderExpired(**meta, reason=reason)
        else:
            event = ev.OrderReplaced(**meta, replaced_by=order.replaced_by or "")
        return Changes(orders=[order], events=[event])

    def _own_open_order(self, account_id: str, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None or order.account_id != account_id:
            raise NotFoundError(f"open order {order_id!r} not found")
        return order

    def _entry(
        self,
        account: Account,
        kind: EntryKind,
        amount: Decimal,
        t_ns: int,
        ref: str = "",
        note: str = "",
    ) -> LedgerEntry:
        return LedgerEntry(
            id=self.ids.next("led"),
            account_id=account.id,
            kind=kind,
            amount=amount,
            ts_ns=t_ns,
            ref=ref,
            note=note,
        )

    def _meta(self, t_ns: int) -> dict[str, Any]:
        return {"id": self.ids.next("evt"), "ts_init": t_ns, "ts_event": t_ns}

    def _order_meta(self, order: Order, t_ns: int) -> dict[str, Any]:
        return {
            **self._meta(t_ns),
            "account_id": order.account_id,
            "order_id": order.id,
            "client_order_id": order.client_order_id,
            "symbol": order.symbol,
        }


def _scaled(fee: FeeQuote, factor: Decimal) -> FeeQuote:
    """Scale a fee quote (the harsh profile pays more), keeping items summing to the total."""
    if factor == 1:
        return fee
    items = tuple((name, (amount * factor).quantize(CENT)) for name, amount in fee.breakdown)
    return FeeQuote(total=sum((a for _, a in items), Decimal(0)), breakdown=items)


def _qty_for_notional(notional: Decimal | None, mid: Decimal, inst: Instrument) -> Decimal:
    if notional is None or notional <= 0:
        raise RuleViolation("quantity", f"notional must be positive, got {notional}")
    qty = fills.floor_lots(notional / (mid * inst.multiplier), inst.lot_size)
    if qty <= 0:
        raise RuleViolation(
            "quantity",
            f"notional {notional} buys less than one lot ({inst.lot_size}) of "
            f"{inst.symbol} at {mid.quantize(inst.tick_size)}",
        )
    return qty
