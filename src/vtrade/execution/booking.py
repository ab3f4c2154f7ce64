"""Bookkeeping: the engine's state, and how an execution becomes fills, positions and cash.

`apply` books one execution: the fill with its receipt, the order's progress, the position
(average price, realized P&L), the cash ledger (trade and fee entries in VCR at the FX mid)
and the `OrderFilled` event, all as one `Changes`.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from operator import attrgetter
from typing import Any

from vtrade.core.errors import NotFoundError
from vtrade.core.ids import IdGenerator
from vtrade.core.messages import Event
from vtrade.core.money import CENT
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account, EntryKind, LedgerEntry, Position
from vtrade.domain.changes import Changes
from vtrade.domain.instruments import Instrument
from vtrade.domain.margin import LOW_PRICE_PER_SHARE
from vtrade.domain.market_data import Side
from vtrade.domain.orders import PARENT, Fill, Order, OrderStatus, OrderType
from vtrade.execution import contingent
from vtrade.execution.accounting import (
    ONE,
    AccountView,
    Known,
    MarginRates,
    Marks,
    holding_ids,
    open_quantity,
    view,
)
from vtrade.execution.auctions import AuctionKey, Clearing
from vtrade.execution.config import ExecutionConfig
from vtrade.execution.fees import FeeQuote, FeeSchedule, Liquidity
from vtrade.execution.fills import Execution, VenueMarket, market_price
from vtrade.execution.open_orders import OpenOrders
from vtrade.execution.profiles import rules_of
from vtrade.execution.receipts import receipt
from vtrade.execution.recent_orders import RecentOrders
from vtrade.execution.volumes import Volumes
from vtrade.market.catalog import Catalog
from vtrade.market.sessions import Sessions

S = OrderStatus
PRICE_PLACES = Decimal("1e-10")
# an average price keeps a millionth of a tick at least: a coin ticking in 1e-9 (SHIB) has 5
# significant digits at 1e-10, and its billions of units drifted cents from the cash they moved
TICK_FRACTION = Decimal("1e-6")
_BY_SEQ = attrgetter("seq")  # submission order (every working step sorts the open orders)


class Bookkeeper:
    """Accounts, positions and open orders in memory, and the booking of executions."""

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
        self.margin_rates = MarginRates(self.config.leverage, self.config.maintenance)
        self.accounts: dict[str, Account] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self._by_account: dict[str, dict[str, Position]] = defaultdict(dict)
        self.orders = OpenOrders()
        self.held: dict[str, Order] = {}  # legs of contingent orders held for their entries
        self.by_client_id = RecentOrders()
        # client order ids chosen in the shape of the made ones (`made_client_id` skips them)
        self.chosen_like_made: set[tuple[str, str]] = set()
        self.volumes: dict[str, Volumes] = defaultdict(Volumes)
        self.now_ns = 0
        self.worked_ns = 0  # when the engine (re)started: prints before it count for none
        self.worked: dict[str, int] = {}  # when each symbol's orders last met the market
        # what our orders crossed in each auction, by order, and how each clears our orders
        # (`working._cross`): opg/cls orders and orders resting in the book share it
        self.crossed: dict[AuctionKey, dict[str, Decimal]] = {}
        self.clearings: dict[AuctionKey, Clearing] = {}
        # accounts with a fill since their last margin check that may have taken them under
        # their maintenance, wherever it came from (at submission, in a step, an auction): the
        # next step checks them. What each had to spare at its last check, less the most its
        # fills since could have taken (`_may_be_called`), spares the others that check.
        self.filled: set[str] = set()
        self.headroom: dict[str, Decimal] = {}
        self._seq = 0
        self.account_seqs: dict[str, int] = {}  # the last `account_seq` given, per account
        self._marks: dict[int, Marks] = {}  # by instant, see `marks`
        self._known = Known()  # what marks derived from touches that still stand

    def _may_be_called(
        self, account_id: str, inst: Instrument, value: Decimal, qty: Decimal, fee: Decimal
    ) -> bool:
        """Whether a fill worth up to `value` (VCR, at its price or the mid) that paid `fee`
        may have taken the account under its maintenance: what it had to spare at its last
        check, less its fills since, may not cover the fill's worst case: the maintenance of
        its value (at the venue's rate, or all of it, plus a short's $2.50 a share), its
        slippage (under its value) and its fee."""
        spare = self.headroom.get(account_id)
        if spare is None:
            return True
        rate = max(self.margin_rates.of(inst)[1], ONE)
        worst = value * (rate + 1) + fee + (LOW_PRICE_PER_SHARE * qty if inst.shares else 0)
        self.headroom[account_id] = spare - worst
        return spare <= worst

    def account(self, account_id: str) -> Account:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise NotFoundError(f"account {account_id!r} not found") from None

    def open_orders(self, account_id: str | None = None) -> list[Order]:
        if account_id is not None:
            return self.orders.of(account_id)
        return sorted(self.orders.values(), key=_BY_SEQ)

    def cancelable(self, account_id: str) -> list[Order]:
        """The account's held legs, then its open orders, oldest first: canceled in that order,
        an entry that filled part finds its legs gone and releases none to work on after.
        Under a profile with latency an entry's legs are left to it: it may fill until its
        cancel arrives, and then they are released for what it filled, or canceled with it."""
        legs = [leg for leg in contingent.held_of(self, account_id) if not self._follows(leg)]
        return [*legs, *self.orders.of(account_id)]

    def _follows(self, leg: Order) -> bool:
        entry = self.orders.get(leg.extra.get(PARENT, ""))
        return entry is not None and rules_of(entry).latency_ns > 0

    def cancel_all(self, account_id: str, t_ns: int, reason: str) -> Changes:
        """Cancel every held leg and open order of the account (a reset, a liquidation)."""
        changes = Changes()
        for order in self.cancelable(account_id):
            if order.status is S.HELD:
                changes.merge(contingent.cancel_held(self, order, t_ns, reason))
            elif order.is_open:  # (its one-cancels-other may have gone with an earlier one)
                changes.merge(self.close_order(order, S.CANCELED, t_ns, reason))
        return changes

    def orders_counted(
        self, account_id: str, excluding: tuple[str | None, ...] = ()
    ) -> list[Order]:
        """The account's open orders, but `excluding`, as checks add them up: a
        one-cancels-other pair closes what one of them does, so it counts once."""
        mine = (o for o in self.orders.of(account_id) if o.id not in excluding)
        return contingent.counted_once(mine)

    def positions_of(self, account_id: str) -> list[Position]:
        return list(self._by_account.get(account_id, {}).values())

    def held_for_orders(self, pos: Position) -> Decimal:
        """How much of a position open orders on its closing side have spoken for (what they
        have left to fill, at most the position): Alpaca's `held_for_orders`."""
        held = open_quantity(self.orders_counted(pos.account_id), pos.symbol, pos.closing_side)
        return min(held, abs(pos.qty))

    def holding_ids(self, pos: Position) -> list[str]:
        """The ids of the open orders holding a position (`held_for_orders`): Alpaca's
        `related_orders`."""
        return holding_ids(self.orders_counted(pos.account_id), pos.symbol, pos.closing_side)

    def position(self, account_id: str, symbol: str) -> Position:
        held = self._by_account[account_id]
        if symbol not in held:
            held[symbol] = self.positions[(account_id, symbol)] = Position(
                account_id=account_id, symbol=symbol
            )
        return held[symbol]

    def next_account_seq(self, account_id: str) -> int:
        """Number the account's next fill, reset or financing charge: 1, 2, ... (see
        `Snapshot.account_seqs`)."""
        seq = self.account_seqs[account_id] = self.account_seqs.get(account_id, 0) + 1
        return seq

    def marks(self, t_ns: int) -> Marks:
        """Marks at `t_ns`, shared by the commands of a batch: the feed's untouched touch at an
        instant does not change. `forget_marks` (each `advance`) starts afresh."""
        marks = self._marks.get(t_ns)
        if marks is None:
            if len(self._marks) >= 8:
                self._marks.clear()
            marks = Marks(self.catalog, self.market.touch, t_ns, self._known)
            self._marks[t_ns] = marks
        return marks

    def forget_marks(self) -> None:
        self._marks.clear()

    def view(self, account_id: str, t_ns: int) -> AccountView:
        account = self.account(account_id)
        return view(
            account,
            self.positions_of(account_id),
            self.marks(t_ns),
            self.margin_rates,
        )

    def taker_fees_vcr(self, marks: Marks, order: Order, qty: Decimal, price: Decimal) -> Decimal:
        """The fees, in VCR, of `order` taking `qty` at `price` at the `marks`' instant, as its
        account pays them (none under the frictionless profile)."""
        if qty <= 0:
            return Decimal(0)
        inst = marks.instrument(order.symbol)
        fx = marks.fx(inst.currency)
        quote = self.fee_quote(order, inst, qty, price, Liquidity.TAKER, marks.t_ns, fx)
        return (quote.total * fx).quantize(CENT)

    def taker_fee(
        self, order: Order, inst: Instrument, t_ns: int, qty: Decimal, price: Decimal
    ) -> Decimal:
        """The fees, in the quote currency, of `order` taking `qty` at `price` (a notional
        buy spends them out of its notional)."""
        fx = self.marks(t_ns).fx(inst.currency)
        return self.fee_quote(order, inst, qty, price, Liquidity.TAKER, t_ns, fx).total

    def fees_so_far(self, order: Order, inst: Instrument, t_ns: int) -> Decimal:
        """The fees (quote currency) `order`'s fills have paid: what they charged in VCR
        (`Order.fees_vcr`, exact) at the rate of `t_ns`; exactly that for a dollar-quoted
        instrument. (Priced again they would pay today's rates, not their days'.)"""
        if not order.fees_vcr:
            return Decimal(0)
        return order.fees_vcr / self.marks(t_ns).fx(inst.currency)

    def notional_left(self, order: Order, inst: Instrument, t_ns: int) -> Decimal:
        """What is left of a notional order's notional (quote currency): a buy's less what
        its fills and their fees spent, a sale's less what its fills raised."""
        assert order.notional is not None
        used = order.filled_notional * inst.multiplier
        if order.side is Side.BUY:
            used += self.fees_so_far(order, inst, t_ns)
        return order.notional - used

    def trade_costs_vcr(self, marks: Marks, order: Order, qty: Decimal) -> Decimal:
        """What executing `qty` of `order` now costs its account in VCR against the mid: the
        fees, and what its expected price pays beyond the mid (a market order's walk of the
        book, a limit's worst: its limit). Frictionless orders fill at the mid, free."""
        if not rules_of(order).friction:
            return Decimal(0)
        inst = marks.instrument(order.symbol)
        mid = expected = marks.mid(inst.symbol)
        if order.type is OrderType.MARKET and order.due_ns is None:  # not waiting for an open
            expected = market_price(self.market, order, inst, marks.t_ns, rules_of(order), qty)
        elif order.type is OrderType.LIMIT and order.limit_price is not None:
            expected = order.limit_price
        beyond = expected - mid if order.side is Side.BUY else mid - expected
        slippage = max(beyond, Decimal(0)) * qty * inst.multiplier * marks.fx(inst.currency)
        return slippage + self.taker_fees_vcr(marks, order, qty, expected)

    def fee_quote(
        self,
        order: Order,
        inst: Instrument,
        qty: Decimal,
        price: Decimal,
        liquidity: Liquidity,
        t_ns: int,
        fx: Decimal,
        account_id: str | None = None,
    ) -> FeeQuote:
        """The fees of a fill of `order`, as its profile and the volumes of its account (or
        of `account_id`: an estimate's scratch order for a real account) price them."""
        profile = rules_of(order)
        if not profile.friction:
            return FeeQuote(total=Decimal(0), breakdown=())
        volumes = self.volumes[account_id or order.account_id]
        ctx = volumes.context(t_ns, order, inst, fx, profile.fee_multiplier)
        return self.fees.quote(inst, order.side, qty, price, liquidity, ctx, fx)

    def apply(self, order: Order, inst: Instrument, done: Execution, t_ns: int) -> Changes:
        """Book an execution: the fill, the order, the position, the cash ledger, the event."""
        account = self.accounts[order.account_id]
        profile = rules_of(order)
        marks = self.marks(t_ns)
        fx = marks.fx(inst.currency)
        qty = done.qty
        notional = sum((s.price * s.qty for s in done.slices), Decimal(0))
        price = (notional / qty).quantize(min(PRICE_PLACES, inst.tick_size * TICK_FRACTION))
        fee = self.fee_quote(order, inst, qty, price, done.liquidity, t_ns, fx)
        if profile.friction:  # volume traded for free earns no fee tier
            self.volumes[account.id].add(inst, qty, price, fx, t_ns, order.id)
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
        closed = Decimal(0)
        if inst.settles_pnl and pos.qty and (pos.qty > 0) != (sign > 0):
            # a contract's closed part pays back its cost at the rate it was paid at, to the
            # cent, and its P&L at today's, as realized: the rate's move on the cost was never
            # the account's exposure, and cash moves by exactly the P&L the position reports
            closed = min(qty, abs(pos.qty)) * (1 if pos.qty > 0 else -1)
            cost_back = (closed * pos.avg_price * inst.multiplier * pos.entry_fx).quantize(CENT)
        realized = pos.apply(sign * qty, price, inst.multiplier, fx, inst.settles_pnl)
        pos.updated_ns = t_ns
        opened = notional * (qty - abs(closed)) / qty  # what a flip opens past zero
        trade = (-sign * opened * inst.multiplier * fx).quantize(CENT)
        if closed:
            trade += cost_back + realized
        before = order.fees_vcr.quantize(CENT)
        order.fees_vcr += fee.total * fx
        fee_vcr = order.fees_vcr.quantize(CENT) - before
        entries = [self.entry(account, EntryKind.TRADE, trade, t_ns, ref=fill.id)]
        if fee_vcr:
            entries.append(self.entry(account, EntryKind.FEE, -fee_vcr, t_ns, ref=fill.id))
        account.cash += trade - fee_vcr
        worth = marks.value(inst, qty, max(price, marks.mid(inst.symbol)))
        if self._may_be_called(account.id, inst, worth, qty, fee_vcr):
            self.filled.add(account.id)
        if not order.is_open:
            self.orders.pop(order.id, None)
        event = ev.OrderFilled(
            **self.order_meta(order, t_ns),
            fill_id=fill.id,
            side=order.side.value,
            qty=qty,
            price=price,
            fee=fee.total,
            partial=order.status is S.PARTIALLY_FILLED,
            filled_qty=order.filled_qty,
            remaining=order.remaining,
            profile=profile.name.value,
            fx_rate=fx,
            position_qty=pos.qty,
            position_avg_price=pos.avg_price,
            position_realized_pnl=pos.realized_pnl,
            position_entry_fx=pos.entry_fx,
            cash=account.cash,
            account_seq=self.next_account_seq(account.id),
        )
        changes = Changes(
            accounts=[account],
            orders=[order],
            fills=[fill],
            positions=[pos],
            ledger=entries,
            events=[event],
        )
        if order.extra:  # it may release legs, or shrink its one-cancels-other
            changes.merge(contingent.after_fill(self, order, t_ns))
        return changes

    def route_order(self, order: Order, t_ns: int) -> Changes:
        """An order waiting for its market (`pending_open`) reaches it at `t_ns` and works."""
        order.move_to(S.ACCEPTED, t_ns)
        return Changes(orders=[order], events=[ev.OrderRouted(**self.order_meta(order, t_ns))])

    def close_order(self, order: Order, status: OrderStatus, t_ns: int, reason: str) -> Changes:
        order.move_to(status, t_ns)
        self.orders.pop(order.id, None)
        meta = self.order_meta(order, t_ns)
        event: Event
        if status is S.CANCELED:
            event = ev.OrderCanceled(**meta, reason=reason)
        elif status is S.EXPIRED:
            event = ev.OrderExpired(**meta, reason=reason)
        else:
            event = ev.OrderReplaced(**meta, replaced_by=order.replaced_by or "")
        changes = Changes(orders=[order], events=[event])
        if order.extra and status is not S.REPLACED:  # its legs, its one-cancels-other
            changes.merge(contingent.after_close(self, order, t_ns))
        return changes

    def entry(
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

    def event_meta(self, t_ns: int) -> dict[str, Any]:
        return {"id": self.ids.next("evt"), "ts_init": t_ns, "ts_event": t_ns}

    def accepted(self, order: Order, t_ns: int) -> ev.OrderAccepted:
        """The event of `order` accepted (or pending its market) at `t_ns`."""
        return ev.OrderAccepted(
            **self.order_meta(order, t_ns),
            status=order.status.value,
            stop_price=order.stop_price,
            watermark=order.watermark,
        )

    def order_meta(self, order: Order, t_ns: int) -> dict[str, Any]:
        return {
            **self.event_meta(t_ns),
            "account_id": order.account_id,
            "order_id": order.id,
            "client_order_id": order.client_order_id,
            "symbol": order.symbol,
        }
