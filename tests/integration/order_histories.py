"""Random order histories of brackets, otos, ocos and simple orders, placed, replaced (often
in bursts, as a bot trailing its exit does), canceled, filled and expired, and the nested
listing and legs of one order as `api.nested` gives them and as they were before orders knew
their group (`nested_before_groups`)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import nested_before_groups as old
from order_desk import Desk

from vtrade.api import nested
from vtrade.core.errors import VtradeError
from vtrade.domain.commands import CancelOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderClass, OrderType, TimeInForce

D = Decimal
SYMBOLS = ("AAPL", "MSFT")


def _open_orders(desk: Desk) -> list[Order]:
    engine = desk.app.engine
    found = [o for o in engine.orders.values() if o.account_id == desk.account.id]
    return sorted(found, key=lambda o: o.seq)


def play(desk: Desk, rng: random.Random, steps: int) -> None:
    """`steps` random actions: contingent and simple orders placed, replaced, canceled, time
    moved (fills, expiries); orders often share an instant."""
    for _ in range(steps):
        kind = rng.choice(
            [
                "bracket",
                "bracket_rest",
                "oto",
                "oco",
                "simple",
                "replace",
                "replace",
                "replace",
                "cancel",
                "tick",
                "burst",
            ]
        )
        symbol = rng.choice(SYMBOLS)
        mid = desk.mid(symbol)
        try:
            if kind in ("bracket", "bracket_rest", "oto"):
                side = rng.choice([Side.BUY, Side.SELL])
                up, down = round(mid * D("1.2"), 2), round(mid * D("0.8"), 2)
                tp, sl = (up, down) if side is Side.BUY else (down, up)
                kw: dict[str, Any] = {"tif": TimeInForce.GTC}
                if kind == "bracket_rest":
                    far = round(mid * (D("0.95") if side is Side.BUY else D("1.05")), 2)
                    kw |= {"type": OrderType.LIMIT, "limit_price": far}
                if kind == "oto":
                    kw["order_class"] = OrderClass.OTO
                    if rng.random() < 0.5:
                        kw["stop_loss_stop_price"] = sl
                    else:
                        kw["take_profit_limit_price"] = tp
                else:
                    kw |= {
                        "order_class": OrderClass.BRACKET,
                        "take_profit_limit_price": tp,
                        "stop_loss_stop_price": sl,
                    }
                desk.submit(symbol, side, rng.randint(1, 5), **kw)
            elif kind == "oco":
                desk.submit(symbol, Side.BUY, 3)
                desk.submit(
                    symbol,
                    Side.SELL,
                    3,
                    type=OrderType.LIMIT,
                    tif=TimeInForce.GTC,
                    order_class=OrderClass.OCO,
                    take_profit_limit_price=round(mid * D("1.2"), 2),
                    stop_loss_stop_price=round(mid * D("0.8"), 2),
                )
            elif kind == "simple":
                side = rng.choice([Side.BUY, Side.SELL])
                far = round(mid * (D("0.9") if side is Side.BUY else D("1.1")), 2)
                desk.submit(
                    symbol,
                    side,
                    1,
                    type=OrderType.LIMIT,
                    limit_price=far,
                    tif=rng.choice([TimeInForce.DAY, TimeInForce.GTC]),
                )
            elif kind == "replace":
                opened = _open_orders(desk)
                if opened:
                    o = rng.choice(opened)
                    m = desk.mid(o.symbol)
                    step = D(rng.randint(1, 30)) / 100
                    if o.type is OrderType.LIMIT:
                        away = D("1.1") if (o.side is Side.SELL) else D("0.9")
                        desk.replace(o, limit_price=round(m * away, 2) + step)
                    elif o.type in (OrderType.STOP, OrderType.STOP_LIMIT):
                        away = D("0.85") if (o.side is Side.SELL) else D("1.15")
                        desk.replace(o, stop_price=round(m * away, 2) + step)
            elif kind == "burst":  # one order replaced again and again
                opened = [o for o in _open_orders(desk) if o.type is OrderType.LIMIT]
                if opened:
                    o = rng.choice(opened)
                    m = desk.mid(o.symbol)
                    away = D("1.1") if (o.side is Side.SELL) else D("0.9")
                    for i in range(rng.randint(5, 25)):
                        o = desk.replace(o, limit_price=round(m * away, 2) + D(i % 7 + 1) / 100)
            elif kind == "cancel":
                opened = _open_orders(desk)
                if opened:
                    o = rng.choice(opened)
                    desk.app.trading.cancel(
                        CancelOrder(id="c", ts_init=0, account_id=desk.account.id, order_id=o.id)
                    )
            elif kind == "tick":
                desk.app.clock.advance(rng.choice([1, 10**9, 3600 * 10**9, 12 * 3600 * 10**9]))
                desk.app.trading.advance()
        except VtradeError:
            pass


def shown(page: list[tuple[Order, list[Order]]]) -> list[tuple[str, list[str]]]:
    return [(e.id, [leg.id for leg in legs]) for e, legs in page]


def every_page(module: Any, store: Any, listing: Any, limit: int, side: str | None) -> list:
    out: list[tuple[str, list[str]]] = []
    cursor = None
    for _ in range(10_000):
        page, end = module.nested_page(store, listing, cursor, limit, side)
        out += shown(page)
        if end is None:
            return out
        cursor = end.created_ns, end.id
    raise AssertionError("pages never end")


def listings(desk: Desk):
    """Every listing worth comparing: status, direction, symbols, time bounds."""
    store = desk.app.store
    rows = store.page_orders(desk.account.id, limit=100_000, ascending=True)
    instants = sorted({o.created_ns for o in rows})
    middle = instants[len(instants) // 2] if instants else None
    for status in ("all", "open", "closed"):
        for ascending in (False, True):
            for symbols in (None, ["AAPL"]):
                for after, until in ((None, None), (middle, None), (None, middle)):
                    args = (desk.account.id, status, symbols, after, until, ascending)
                    yield args


def differences(desk: Desk, limits=(1, 2, 3, 500), sides=(None, "buy", "sell")) -> list:
    store = desk.app.store
    found = []
    for args in listings(desk):
        new_l, old_l = nested.Listing(*args), old.Listing(*args)
        for side in sides:
            for limit in limits:
                a = every_page(old, store, old_l, limit, side)
                b = every_page(nested, store, new_l, limit, side)
                if a != b:
                    found.append((args, side, limit, a, b))
    return found


def legs_differences(desk: Desk) -> list:
    """Orders whose legs (GET ?nested=true) differ between the two implementations."""
    app = desk.app
    store = app.store
    found = []
    for o in store.page_orders(desk.account.id, limit=100_000):
        current = nested.live(app)(o.id)
        assert current is not None
        a = [leg.id for leg in old.legs_of(current, old.live(app))]
        b = [leg.id for leg in nested.legs_of(current, store, nested.working(app))]
        if a != b:
            found.append((o.id, a, b))
    return found
