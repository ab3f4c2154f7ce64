"""The closing cross clears our orders at one price whatever the engine's step: with minute
steps (a `step_ms=60_000` venue, or the minute steps a catch-up after a downtime works in)
AAPL's orders meet the market at hh:mm:45.236, so the MOC crosses at the 20:00:00 close
before the resting limit meets the 19:59:59 print. The clearing is made once, for both,
when the first of them crosses (it made each pay the impact of what crossed before it)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from conftest import SECOND, Venue, at
from vtrade.bootstrap import Container
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, OrderType, TimeInForce

D = Decimal
SYMBOL = "AAPL"
CLOSE = at("2024-03-15T20:00:00Z")


def _limit_and_moc(venue: Venue) -> dict[str, tuple[Decimal, Decimal, int]]:
    """A 3M-share sell limit at 262 resting from 19:45 and a 1M-share MOC sell: what each
    crossed at the close, (qty, price, instant)."""
    account = venue.open(balance=10_000_000_000)
    limit, _ = venue.submit(
        account, SYMBOL, Side.SELL, 3_000_000, type=OrderType.LIMIT, limit_price=D("262")
    )
    moc, _ = venue.submit(account, SYMBOL, Side.SELL, 1_000_000, tif=TimeInForce.CLS)
    fills = venue.advance_to(CLOSE + 120 * SECOND).fills
    by_id = {f.order_id: f for f in fills if f.receipt.auction == "close"}
    return {
        name: (by_id[o.id].qty, by_id[o.id].price, by_id[o.id].ts_ns)
        for name, o in (("limit", limit), ("moc", moc))
    }


def test_the_close_clears_at_one_price_whatever_the_step(
    make_venue: Callable[..., Venue],
) -> None:
    """Second steps: the limit joins at 19:59:59.236 and the MOC crosses at 20:00:00; minute
    steps: the MOC crosses first and the limit joins at 20:00:45.236. Both ways the MOC crosses
    1,000,000 and the limit 1,294,977, both at 266.86, the impact of all 2,294,977 (the MOC
    crossed at 267.08 with minute steps, $220,000 on 1M shares)."""
    fine = _limit_and_moc(make_venue("2024-03-15T19:45:00Z"))
    coarse = _limit_and_moc(make_venue("2024-03-15T19:45:00Z", step_ms=60_000))

    assert fine["limit"][1] == fine["moc"][1]  # held at 1 s steps
    assert fine["limit"][0] == coarse["limit"][0] and fine["moc"][0] == coarse["moc"][0]
    assert coarse["moc"][1] == coarse["limit"][1] == fine["moc"][1], (
        f"1 s steps: limit {fine['limit'][:2]}, MOC {fine['moc'][:2]}; 60 s steps: limit "
        f"{coarse['limit'][:2]}, MOC {coarse['moc'][:2]}"
    )


def test_a_catch_up_over_the_close_prices_the_moc_as_a_live_engine_does(
    make_service: Callable[..., Container],
) -> None:
    """The same through a downtime: the service takes the limit and the MOC at 19:45 and
    stops; it starts again a day later and catches up in minute steps. Both cross at 266.86, as
    in an engine that never stopped (README, restart: a restart changes no later fill)."""
    service = make_service("2024-03-15T19:45:00Z", catch_up_hours=48)
    account = service.trading.open_account(
        OpenAccount(id="o", ts_init=0, owner="ann", name="a", balance=D(10_000_000_000))
    )
    for kw in (
        {"qty": D(3_000_000), "type": OrderType.LIMIT, "limit_price": D(262)},
        {"qty": D(1_000_000), "tif": TimeInForce.CLS},
    ):
        service.trading.submit(
            SubmitOrder(
                id="s", ts_init=0, account_id=account.id, symbol=SYMBOL, side=Side.SELL, **kw
            )
        )

    restarted = make_service("2024-03-16T19:45:00Z", catch_up_hours=48)

    fills: list[Fill] = [
        f for f in restarted.store.list_fills(account.id) if f.receipt.auction == "close"
    ]
    prices = {f.price for f in fills}
    assert sum(f.qty for f in fills) == 2_294_977
    assert prices == {D("266.86")}, sorted((f.ts_ns, f.qty, f.price) for f in fills)
