"""The closing cross clears our orders the same with minute steps (`step_ms=60_000`, the
step a catch-up works in) as with second steps: AAPL's resting orders meet the 19:59:59
cross only at 20:00:45.236, after the 20:00:00 close, so the cls orders wait for that meet
(`working._crosses_later`), where the book's orders first meet the continuous prints before
the cross (continuous fills, a stop triggering, a cancel landed), then all clear together.
The clearing made at the close without them reserved volume for what never crossed, or
was made again at another price.

AAPL, Friday 2024-03-15: the closing cross printed 2,294,977.6062 shares at 267.50 at
19:59:59."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import SECOND, at, printed_cross
from vtrade.domain.commands import CancelOrder, OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue
    from vtrade.bootstrap import Container

D = Decimal
SYMBOL = "AAPL"
CLOSE = at("2024-03-15T20:00:00Z")
WHALE = 10_000_000_000
MINUTE_STEPS = 60_000


def _closing(fills: list[Fill]) -> dict[str, Fill]:
    return {f.order_id: f for f in fills if f.receipt.auction == "close"}


def _limit_then_loc(venue: Venue) -> tuple[Decimal, Decimal, Decimal]:
    """A sell limit at 262 sized to hold 2,294,477 shares (500 under the print) at 19:59:45
    (it takes 737 more from the continuous prints up to the close), and a 1M-share LOC sell
    at 264 (ranked behind it): what each crossed at the close, and the print."""
    printed = printed_cross(venue, SYMBOL, CLOSE)[2].to_integral_value(ROUND_FLOOR)
    account = venue.open(balance=WHALE)
    limit, _ = venue.submit(
        account, SYMBOL, Side.SELL, 2_815_435, type=OrderType.LIMIT, limit_price=D("262")
    )
    loc, _ = venue.submit(
        account,
        SYMBOL,
        Side.SELL,
        1_000_000,
        type=OrderType.LIMIT,
        limit_price=D("264"),
        tif=TimeInForce.CLS,
    )
    crossed = _closing(venue.advance_to(CLOSE + 120 * SECOND).fills)
    return crossed[limit.id].qty, crossed[loc.id].qty, printed


def test_a_limit_filling_on_before_the_cross_leaves_no_volume_unused(
    make_venue: Callable[..., Venue],
) -> None:
    """The limit fills 737 shares from the continuous prints up to 19:59:59, joins the cross
    with 2,293,740 and the LOC crosses the 1,237 left: the whole print, with second steps and
    with minute steps (the LOC's clearing at 20:00:00 had reserved the 2,294,477 the limit held
    at 19:59:45, and the LOC crossed 500: 737 of the print were never crossed)."""
    fine_limit, fine_loc, printed = _limit_then_loc(make_venue("2024-03-15T19:45:00Z"))
    assert fine_limit + fine_loc == printed  # held at 1 s steps: 2,293,740 + 1,237
    coarse = make_venue("2024-03-15T19:45:00Z", step_ms=MINUTE_STEPS)
    coarse_limit, coarse_loc, _ = _limit_then_loc(coarse)

    assert coarse_limit == fine_limit  # the limit's own fills agree
    assert (coarse_loc, coarse_limit + coarse_loc) == (fine_loc, printed), (
        f"minute steps: the LOC crossed {coarse_loc} (second steps {fine_loc}); our orders "
        f"crossed {coarse_limit + coarse_loc} of the {printed} printed"
    )


def _moc_limit_and_stop_limit(venue: Venue) -> dict[str, tuple[Decimal, Decimal]]:
    """A 300,000-share MOC sell at 19:45; at 19:59:50 a 600,000-share sell limit at 262 and a
    1M-share stop-limit sell (stop 267.52, limit 264) that the 19:59:56 print triggers: what
    each crossed at the close, (qty, price)."""
    account = venue.open(balance=WHALE)
    moc, _ = venue.submit(account, SYMBOL, Side.SELL, 300_000, tif=TimeInForce.CLS)
    venue.advance_to(at("2024-03-15T19:59:50Z"))
    limit, _ = venue.submit(
        account, SYMBOL, Side.SELL, 600_000, type=OrderType.LIMIT, limit_price=D("262")
    )
    stop, _ = venue.submit(
        account,
        SYMBOL,
        Side.SELL,
        1_000_000,
        type=OrderType.STOP_LIMIT,
        stop_price=D("267.52"),
        limit_price=D("264"),
    )
    assert stop.is_open and not stop.triggered
    crossed = _closing(venue.advance_to(CLOSE + 120 * SECOND).fills)
    return {
        name: (crossed[o.id].qty, crossed[o.id].price)
        for name, o in (("moc", moc), ("limit", limit), ("stop", stop))
    }


def test_a_stop_limit_triggered_before_the_cross_clears_at_the_one_price(
    make_venue: Callable[..., Venue],
) -> None:
    """A stop-limit the prints before the cross trigger (19:59:56) is in the book when the
    cross clears: the MOC, the limit and the stop-limit all cross at 267.07 with second steps
    and with minute steps (its stop had not triggered at the 20:00:00 clearing, so it cleared
    again for it: 267.21 for the MOC and the limit, 267.07 for it)."""
    fine = _moc_limit_and_stop_limit(make_venue("2024-03-15T19:45:00Z"))
    assert len({price for _, price in fine.values()}) == 1  # held at 1 s steps
    coarse = _moc_limit_and_stop_limit(make_venue("2024-03-15T19:45:00Z", step_ms=MINUTE_STEPS))

    prices = {name: price for name, (_, price) in coarse.items()}
    assert len(set(prices.values())) == 1, f"one auction side, several prices: {prices}"
    assert prices["moc"] == fine["moc"][1], f"minute steps {prices}, second steps {fine}"


@pytest.mark.parametrize("step_ms", [1_000, MINUTE_STEPS], ids=["second-steps", "minute-steps"])
def test_a_limit_canceled_after_the_clearing_does_not_move_the_mocs_price(
    make_venue: Callable[..., Venue], step_ms: int
) -> None:
    """A 3M-share sell limit at 262 and a 1M-share MOC sell (realistic: a cancel lands at
    once). The limit is canceled after the cross printed and before the limit met it: at
    19:59:59.1 with second steps, at 20:00:10 with minute steps. Either way the limit crosses
    nothing and the MOC crosses 1,000,000 alone, paying the impact of 1,000,000: 267.08 (with
    minute steps it paid 266.86, the impact of the 2,294,977 a clearing at 20:00:00 counted)."""
    venue = make_venue("2024-03-15T19:45:00Z", step_ms=step_ms)
    account = venue.open(balance=WHALE)
    limit, _ = venue.submit(
        account, SYMBOL, Side.SELL, 3_000_000, type=OrderType.LIMIT, limit_price=D("262")
    )
    moc, _ = venue.submit(account, SYMBOL, Side.SELL, 1_000_000, tif=TimeInForce.CLS)
    cancel_at = "19:59:59.1" if step_ms == 1_000 else "20:00:10"
    fills = venue.advance_to(at(f"2024-03-15T{cancel_at}Z")).fills
    assert limit.is_open
    cancel = CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=limit.id)
    venue.engine.cancel(cancel, venue.now)
    fills += venue.advance_to(CLOSE + 120 * SECOND).fills

    crossed = _closing(fills)
    assert limit.id not in crossed
    assert (crossed[moc.id].qty, crossed[moc.id].price) == (1_000_000, D("267.08")), (
        f"the MOC crossed {crossed[moc.id].qty} at {crossed[moc.id].price}, alone"
    )


def test_a_restart_while_a_cls_order_waits_for_its_symbols_meet_still_crosses_it(
    make_service: Callable[..., Container], make_venue: Callable[..., Venue]
) -> None:
    """With minute steps a cls order waits after its close for its symbol to meet the cross
    (at 20:00:45.236). A restart at 20:00:10, in that wait, loses nothing: the restarted
    engine's AAPL orders last met the market at 19:59:45.236, before the cross, so the order
    still waits, and crosses at that meet as in an engine that never stopped."""
    venue = make_venue("2024-03-15T19:45:00Z", step_ms=MINUTE_STEPS)
    kept, _ = venue.submit(venue.open(balance=WHALE), SYMBOL, Side.SELL, 1_000, tif=TimeInForce.CLS)
    (expected,) = venue.advance_to(CLOSE + 120 * SECOND).fills

    running = make_service("2024-03-15T19:45:00Z", catch_up_hours=0, step_ms=MINUTE_STEPS)
    account = running.trading.open_account(
        OpenAccount(id="o", ts_init=0, owner="ann", name="a", balance=D(WHALE))
    )
    order = running.trading.submit(
        SubmitOrder(
            id="c",
            ts_init=0,
            account_id=account.id,
            symbol=SYMBOL,
            side=Side.SELL,
            qty=D(1_000),
            tif=TimeInForce.CLS,
        )
    )
    running.trading.advance(CLOSE + 10 * SECOND)
    assert not running.store.list_fills(account.id)  # it waits for AAPL's meet

    restarted = make_service("2024-03-15T20:00:10Z", catch_up_hours=0, step_ms=MINUTE_STEPS)
    restarted.trading.advance(CLOSE + 120 * SECOND)

    (fill,) = restarted.store.list_fills(account.id)
    assert kept.filled_qty == fill.qty == 1_000 and fill.order_id == order.id
    assert (fill.price, fill.ts_ns, fill.receipt.auction) == (
        expected.price,
        expected.ts_ns,
        "close",
    )
