"""`vtrade demo`: a short accelerated session with a few scripted traders.

A retail trader, a market maker-ish bot, a fund working a block, a currency trader, a crypto
buyer and a London investor act on one synthetic market; the session runs on a simulated
clock for a few minutes, and the result is every order with its fills and receipts.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from vtrade import bootstrap
from vtrade.app.portfolio_queries import PortfolioReport
from vtrade.core import topics
from vtrade.core.clock import NS_PER_SECOND, SimulatedClock, iso
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.events import PortfolioAlert
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, Order, OrderType, TimeInForce
from vtrade.market.sessions import Phase, Sessions
from vtrade.settings import MarketSettings, Settings

D = Decimal


@dataclass(frozen=True, slots=True)
class DemoResult:
    start_ns: int
    end_ns: int
    traders: dict[str, str]  # account id -> trader name
    orders: list[Order]
    fills: list[Fill]
    portfolios: dict[str, PortfolioReport]  # account id -> its portfolio at the end
    alerts: list[PortfolioAlert]
    currencies: dict[str, str]  # symbol -> the currency its prices, costs and fees are in


_SCRIPT: list[tuple[str, int, dict[str, object]]] = [
    # (trader, second of the session, order); `value` sizes the order in VCR at the mid,
    # `adv` as a share of the instrument's average daily volume
    ("Ann (retail)", 0, dict(symbol="AAPL", side=Side.BUY, value=D(20_000))),
    (
        "Ann (retail)",
        5,
        dict(symbol="TSLA", side=Side.BUY, value=D(10_000), type=OrderType.LIMIT, limit_at="bid"),
    ),
    (
        "Ann (retail)",
        10,
        dict(symbol="AAPL", side=Side.SELL, value=D(20_000), type=OrderType.STOP, stop_at=-0.001),
    ),
    ("Quant bot", 0, dict(symbol="SPY", side=Side.BUY, value=D(200_000))),
    ("Quant bot", 20, dict(symbol="QQQ", side=Side.SELL, value=D(100_000), tif=TimeInForce.IOC)),
    ("Block fund", 0, dict(symbol="AMD", side=Side.BUY, adv=0.01)),
    ("FX desk", 0, dict(symbol="EUR/USD", side=Side.BUY, value=D(1_500_000))),
    ("Crypto fan", 30, dict(symbol="BTC-USD", side=Side.BUY, notional=D(50_000))),
    ("London investor", 0, dict(symbol="VOD.L", side=Side.BUY, value=D(100_000))),
]
_BALANCES = {"Block fund": D(500_000_000), "FX desk": D(10_000_000)}


def sessions() -> Sessions:
    """The calendars of the demo's market: the days a run may start and end in."""
    market = MarketSettings()
    return Sessions(market.first_day, market.last_day)


def check_start(start_ns: int, sessions: Sessions, what: str) -> None:
    """Refuse a start outside New York's regular session, naming its next open: the script's
    traders place market orders in US stocks, which would all wait for it."""
    new_york = sessions.calendar("XNYS").state(start_ns)
    if new_york.phase is not Phase.REGULAR:
        assert new_york.next_open is not None  # New York always opens again
        raise ValueError(
            f"{what} is not in a US regular session (New York: {new_york.phase.value}); "
            f"the next opens at {iso(new_york.next_open)}"
        )


def run(start_ns: int, minutes: int = 10, seed: int = 42) -> DemoResult:
    """Play the script from `start_ns` for `minutes` simulated minutes."""
    clock = SimulatedClock(start_ns)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            market=MarketSettings(seed=seed), database_url=f"sqlite:///{Path(tmp) / 'demo.db'}"
        )
        c = bootstrap.build(settings, clock)
        c.start()
        alerts: list[PortfolioAlert] = []
        c.bus.subscribe(f"{topics.ALERTS}.*", alerts.append)
        accounts: dict[str, str] = {}
        for name in dict.fromkeys(t for t, _, _ in _SCRIPT):
            acc = c.trading.open_account(
                OpenAccount(
                    id=name, ts_init=start_ns, owner=name, name=name, balance=_BALANCES.get(name)
                )
            )
            accounts[name] = acc.id
        placed: list[str] = []
        end = start_ns + minutes * 60 * NS_PER_SECOND
        script = sorted(_SCRIPT, key=lambda s: s[1])
        while clock.now_ns() < end:
            elapsed = (clock.now_ns() - start_ns) // NS_PER_SECOND
            while script and script[0][1] <= elapsed:
                trader, _, spec = script.pop(0)
                cmd = _command(c, accounts[trader], spec, clock.now_ns())
                placed.append(c.trading.submit(cmd).id)
            clock.advance(5 * NS_PER_SECOND)
            c.trading.advance()
            c.portfolio.tick(clock.now_ns())
        c.portfolio.publish(clock.now_ns(), force=True)
        portfolios = {acc: c.queries.report(acc, "1d") for acc in accounts.values()}
        orders = [o for o in (c.store.get_order(i) for i in placed) if o is not None]
        fills = [f for acc in accounts.values() for f in c.store.list_fills(acc, limit=100_000)]
        c.store.close()
    return DemoResult(
        start_ns,
        end,
        {v: k for k, v in accounts.items()},
        orders,
        sorted(fills, key=lambda f: f.ts_ns),
        portfolios,
        alerts,
        {o.symbol: c.catalog.get(o.symbol).currency for o in orders},
    )


def _command(
    c: bootstrap.Container, account_id: str, spec: dict[str, object], t: int
) -> SubmitOrder:
    fields = dict(spec)
    symbol = str(fields["symbol"])
    touch = c.market.touch(symbol, t)
    inst = c.catalog.get(symbol)
    tick = inst.tick_size
    mid_value = c.engine.marks(t).value(inst, D(1))
    if isinstance(value := fields.pop("value", None), Decimal):
        unit = (
            max(inst.lot_size, D(1))
            if inst.asset_class.value in ("equity", "etf")
            else (inst.lot_size)
        )
        fields["qty"] = max(unit, (value / mid_value // unit) * unit)
    if isinstance(adv := fields.pop("adv", None), float):
        fields["qty"] = (
            D(repr(inst.market.avg_daily_volume * adv)) // inst.lot_size
        ) * inst.lot_size
    if fields.pop("limit_at", None) == "bid":
        fields["limit_price"] = (D(repr(touch.bid)) / tick).to_integral_value() * tick
    offset = fields.pop("stop_at", None)
    if isinstance(offset, float):
        fields["stop_price"] = (D(repr(touch.mid * (1 + offset))) / tick).to_integral_value() * tick
    return SubmitOrder(id=f"demo-{symbol}-{t}", ts_init=t, account_id=account_id, **fields)  # type: ignore[arg-type]
