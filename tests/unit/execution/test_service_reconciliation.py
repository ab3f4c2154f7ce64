"""Property: whatever is traded, cash, positions, fills and the store always reconcile."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vtrade.bootstrap import Container
from vtrade.core.clock import from_ns
from vtrade.domain.accounts import EntryKind
from vtrade.domain.commands import CancelOrder, OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce

D = Decimal
SECOND = 1_000_000_000
CENT = D("0.01")
UNITS = {"AAPL": D(10), "MSFT": D(5), "VOD.L": D(500), "BTC-USD": D("0.01")}
KINDS = ("market", "passive_limit", "marketable_limit", "stop")

submits = st.tuples(
    st.just("submit"),
    st.sampled_from(sorted(UNITS)),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(1, 30),
    st.sampled_from(KINDS),
)
waits = st.tuples(st.just("wait"), st.integers(1, 120))
cancels = st.tuples(st.just("cancel"), st.integers(0, 5))


def order_fields(app: Container, symbol: str, side: Side, kind: str) -> dict[str, Any]:
    """Prices relative to the current touch: resting, crossing, or a stop beyond it."""
    quote = app.market.books.quote(symbol, app.clock.now_ns())
    tick = app.catalog.get(symbol).tick_size
    near, far = (quote.bid, quote.ask) if side is Side.BUY else (quote.ask, quote.bid)
    away = -1 if side is Side.BUY else 1  # the passive direction
    if kind == "passive_limit":
        return {"type": OrderType.LIMIT, "limit_price": near + away * 2 * tick}
    if kind == "marketable_limit":
        return {"type": OrderType.LIMIT, "limit_price": far - away * 2 * tick}
    if kind == "stop":
        return {"type": OrderType.STOP, "stop_price": far - away * 3 * tick}
    return {}


def reconcile(app: Container, account_id: str) -> dict[str, Decimal]:
    """Check the account against the store; return its nonzero positions."""
    account = app.engine.accounts[account_id]
    ledger = app.store.ledger(account_id)
    fills = app.store.list_fills(account_id, limit=100_000)
    orders = app.store.list_orders(account_id, limit=100_000)

    deposits = [e for e in ledger if e.kind is EntryKind.DEPOSIT]
    assert [e.amount for e in deposits] == [account.initial_balance]
    assert account.cash == account.initial_balance + sum(
        (e.amount for e in ledger if e.kind is not EntryKind.DEPOSIT), D(0)
    )
    by_fill: dict[tuple[EntryKind, str], Decimal] = defaultdict(D)
    for entry in ledger:
        if entry.ref:
            by_fill[entry.kind, entry.ref] += entry.amount
    signed: dict[str, Decimal] = defaultdict(D)
    per_order: dict[str, Decimal] = defaultdict(D)
    fees_booked: dict[str, Decimal] = defaultdict(D)
    fees_exact: dict[str, Decimal] = defaultdict(D)
    for f in fills:
        sign = 1 if f.side is Side.BUY else -1
        signed[f.symbol] += sign * f.qty
        per_order[f.order_id] += f.qty
        notional = sum((s.qty * s.price for s in f.receipt.slices), D(0))  # exact, unlike price
        assert f.qty == sum((s.qty for s in f.receipt.slices), D(0))
        assert by_fill[EntryKind.TRADE, f.id] == (-sign * notional * f.fx_rate).quantize(CENT)
        fees_booked[f.order_id] -= by_fill[EntryKind.FEE, f.id]
        fees_exact[f.order_id] += f.fee * f.fx_rate
    assert len({f.id for f in fills}) == len(fills)
    for order in orders:
        assert order.filled_qty == per_order[order.id] <= order.qty
        # an order's fills book its fees converted, rounded to the cent on the order
        assert fees_booked[order.id] == fees_exact[order.id].quantize(CENT)
    held = {p.symbol: p.qty for p in app.engine.positions_of(account_id) if p.qty}
    assert held == {s: q for s, q in signed.items() if q}
    return held


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    profile=st.sampled_from(["realistic", "harsh", "frictionless"]),
    actions=st.lists(st.one_of(submits, waits, cancels), min_size=1, max_size=10),
)
def test_cash_positions_fills_and_the_store_reconcile_after_any_trading(
    build_container: Callable[..., Container],
    fresh_database: Callable[[], str],
    profile: str,
    actions: list[tuple[Any, ...]],
) -> None:
    url = fresh_database()
    app = build_container(database_url=url)
    app.trading.start()
    account = app.trading.open_account(
        OpenAccount(id="c", ts_init=0, owner="prop", name="main", profile=profile)
    )
    for action in actions:
        if action[0] == "wait":
            app.clock.advance(action[1] * SECOND)
            app.trading.advance()
            continue
        if action[0] == "cancel":
            open_orders = app.engine.open_orders(account.id)
            if open_orders:
                victim = open_orders[action[1] % len(open_orders)]
                app.trading.cancel(
                    CancelOrder(id="c", ts_init=0, account_id=account.id, order_id=victim.id)
                )
            continue
        _, symbol, side, size, kind = action
        app.trading.submit(
            SubmitOrder(
                id="c",
                ts_init=0,
                account_id=account.id,
                symbol=symbol,
                side=side,
                qty=size * UNITS[symbol],
                tif=TimeInForce.GTC if kind != "market" else TimeInForce.DAY,
                **order_fields(app, symbol, side, kind),
            )
        )
    held = reconcile(app, account.id)

    app.clock.advance(SECOND)  # restart a second later
    restarted = build_container(start=from_ns(app.clock.now_ns()).isoformat(), database_url=url)
    restarted.trading.start()
    try:
        assert restarted.engine.accounts[account.id].cash == account.cash
        assert reconcile(restarted, account.id) == held
        assert {o.id for o in restarted.engine.open_orders(account.id)} == {
            o.id for o in app.engine.open_orders(account.id)
        }
    finally:
        app.store.close()
        restarted.store.close()
