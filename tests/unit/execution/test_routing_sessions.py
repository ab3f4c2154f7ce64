"""Specification of session routing: closed markets, auctions, expiry and US extended hours."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import printed_cross
from vtrade.core.clock import parse_instant, to_ns
from vtrade.core.errors import ConflictError
from vtrade.domain import events as ev
from vtrade.domain.commands import CancelOrder, ReplaceOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus, OrderType, TimeInForce
from vtrade.execution import fills as fill_model
from vtrade.execution.working import phase
from vtrade.market.books import to_price

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
WHALE = 10**10
SATURDAY = "2024-03-16T15:00:00Z"
MONDAY_OPEN = "2024-03-18T13:30:00Z"  # 09:30 New York (EDT since 2024-03-10)
LONDON_3AM = "2024-03-15T03:00:00Z"  # GMT until 2024-03-31
LONDON_OPEN = "2024-03-15T08:00:00Z"
US_PREMARKET = "2024-03-15T12:00:00Z"  # 08:00 New York
US_OPEN = "2024-03-15T13:30:00Z"
US_CLOSE = "2024-03-15T20:00:00Z"
SECOND = 1_000_000_000


def at(text: str) -> int:
    return to_ns(parse_instant(text))


def auction_price(venue: Venue, symbol: str, t_ns: int, which: str, side: Side, qty: int) -> D:
    """The official open/close moved by square-root impact on the order's size, on the grid."""
    inst = venue.catalog.get(symbol)
    official = venue.market.official_price(symbol, t_ns, which)
    impact = inst.market.impact_gamma * (qty / inst.market.avg_daily_volume) ** 0.5
    sign = 1 if side is Side.BUY else -1
    return to_price(float(official) * (1 + sign * impact), inst.tick_size)


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
@pytest.mark.parametrize(
    ("symbol", "submitted", "opens"),
    [("AAPL", SATURDAY, MONDAY_OPEN), ("VOD.L", LONDON_3AM, LONDON_OPEN)],
)
def test_a_market_order_while_closed_is_pending_open_and_executes_in_the_next_opening_auction(
    make_venue: Callable[..., Venue], symbol: str, submitted: str, opens: str, side: Side
) -> None:
    venue = make_venue(start=submitted, step_ms=60_000)  # minute steps: the weekend is long
    account = venue.open(balance=WHALE)
    qty = 50_000

    order, changes = venue.submit(account, symbol, side, qty)

    assert order.status is OrderStatus.PENDING_OPEN
    assert not changes.fills
    assert [type(e) for e in changes.events] == [ev.OrderAccepted]
    assert venue.advance_to(at(opens) - SECOND).fills == []
    at_open = venue.advance_to(at(opens) + 60 * SECOND)
    (fill,) = at_open.fills
    official = venue.market.official_price(symbol, at(opens), "open")
    routed, filled = at_open.events  # Alpaca's "new", then the fill
    assert isinstance(routed, ev.OrderRouted) and routed.ts_event == at(opens)
    assert isinstance(filled, ev.OrderFilled) and filled.order_id == routed.order_id == order.id
    assert fill.ts_ns == at(opens)
    assert fill.receipt.liquidity == "auction"
    assert fill.price == auction_price(venue, symbol, at(opens), "open", side, qty)
    assert (fill.price - official) * (1 if side is Side.BUY else -1) > 0  # impact, no spread
    assert order.status is OrderStatus.FILLED and order.filled_qty == qty


@pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
@pytest.mark.parametrize(
    ("symbol", "submitted", "opens"),
    [("AAPL", SATURDAY, MONDAY_OPEN), ("VOD.L", LONDON_3AM, LONDON_OPEN)],
)
def test_immediate_orders_are_rejected_while_the_market_is_closed(
    make_venue: Callable[..., Venue], symbol: str, submitted: str, opens: str, tif: TimeInForce
) -> None:
    venue = make_venue(start=submitted)
    account = venue.open()

    order, changes = venue.submit(account, symbol, Side.BUY, 10, tif=tif)

    assert order.status is OrderStatus.REJECTED
    assert order.reject_reason == (
        f"session: {symbol} is closed; {tif.value} orders need an open market (next open {opens})"
    )
    assert [type(e) for e in changes.events] == [ev.OrderRejected]


def test_crypto_trades_on_a_saturday(make_venue: Callable[..., Venue]) -> None:
    venue = make_venue(start=SATURDAY)
    order, changes = venue.submit(venue.open(), "BTC-USD", Side.BUY, "0.1")
    assert order.status is OrderStatus.FILLED
    assert changes.fills[0].ts_ns == at(SATURDAY)


def test_an_opg_order_executes_at_the_official_open(make_venue: Callable[..., Venue]) -> None:
    venue = make_venue(start=US_PREMARKET)
    account = venue.open(balance=WHALE)

    order, _ = venue.submit(account, "AAPL", Side.BUY, 20_000, tif=TimeInForce.OPG)

    assert order.status is OrderStatus.PENDING_OPEN
    at_open = venue.advance_to(at(US_OPEN))
    (fill,) = at_open.fills
    assert [type(e) for e in at_open.events] == [ev.OrderFilled]  # it ends in its auction
    assert fill.ts_ns == at(US_OPEN) and fill.receipt.liquidity == "auction"
    assert fill.receipt.auction == "open"  # the receipt names the auction
    assert fill.receipt.touch == venue.market.official_price("AAPL", at(US_OPEN), "open")
    assert fill.price == auction_price(venue, "AAPL", at(US_OPEN), "open", Side.BUY, 20_000)
    assert order.status is OrderStatus.FILLED
    # measured against the official open it waited for, not the pre-market mid
    assert fill.receipt.arrival_mid == fill.receipt.touch
    assert fill.receipt.slippage_bps > 0 and fill.receipt.spread_cost == 0


@pytest.mark.parametrize(
    ("tif", "last_entry", "locked"),
    [
        (TimeInForce.OPG, "2024-03-15T13:27:50Z", "2024-03-15T13:28:10Z"),  # 09:28 New York
        (TimeInForce.CLS, "2024-03-15T19:49:50Z", "2024-03-15T19:50:10Z"),  # 15:50 New York
    ],
)
def test_a_us_auction_takes_no_new_orders_in_its_last_minutes_and_lets_none_be_canceled(
    make_venue: Callable[..., Venue], tif: TimeInForce, last_entry: str, locked: str
) -> None:
    """Nasdaq and NYSE (and Alpaca with them) take on-open orders until 09:28 and on-close
    orders until 15:50; from then on, those already in can be neither canceled nor replaced."""
    venue = make_venue(start=last_entry)
    account = venue.open(balance=WHALE)
    early, _ = venue.submit(account, "AAPL", Side.BUY, 100, tif=tif)
    kept, _ = venue.submit(account, "AAPL", Side.BUY, 100, tif=tif)
    canceled, _ = venue.engine.cancel(
        CancelOrder(id="c1", ts_init=venue.now, account_id=account.id, order_id=early.id),
        venue.now,
    )
    assert canceled.status is OrderStatus.CANCELED  # before the lock: as any open order

    venue.advance_to(at(locked))
    late, _ = venue.submit(account, "AAPL", Side.BUY, 100, tif=tif)
    with pytest.raises(ConflictError, match="can no longer change: the .*ing auction of AAPL"):
        venue.engine.cancel(
            CancelOrder(id="c2", ts_init=venue.now, account_id=account.id, order_id=kept.id),
            venue.now,
        )
    replace = ReplaceOrder(
        id="r1", ts_init=venue.now, account_id=account.id, order_id=kept.id, qty=D(50)
    )
    with pytest.raises(ConflictError, match="can no longer change"):
        venue.engine.replace(replace, venue.now)

    assert late.status is OrderStatus.REJECTED
    auction, time, minutes, boundary = (
        ("opening", "09:28", 2, "open")
        if tif is TimeInForce.OPG
        else ("closing", "15:50", 10, "close")
    )
    assert late.reject_reason == (
        f"session: the {auction} auction of AAPL takes no new {tif.value} orders, and lets none "
        f"be canceled or replaced, from {time} New York ({minutes} minutes before the "
        f"{boundary}); submit it before then, or a day order"
    )
    assert kept.is_open and kept.qty == 100


def test_a_cls_order_placed_while_closed_waits_for_the_open_and_fills_at_the_close(
    make_venue: Callable[..., Venue],
) -> None:
    """Placed at 19:00 New York on Friday, it waits for Monday's open (Alpaca's "accepted"),
    is routed at the open (Alpaca's "new") and executes in Monday's closing auction."""
    venue = make_venue(start="2024-03-15T23:00:00Z")  # 19:00 New York
    account = venue.open(balance=WHALE)
    monday_close = at("2024-03-18T20:00:00Z")

    order, placed = venue.submit(account, "AAPL", Side.BUY, 100, tif=TimeInForce.CLS)
    due = order.due_ns
    weekend = venue.advance_to(at(MONDAY_OPEN) - SECOND)
    at_open = venue.advance_to(at(MONDAY_OPEN) + 60 * SECOND)
    status_in_the_day = order.status
    (fill,) = venue.advance_to(monday_close).fills

    (accepted,) = placed.events
    assert isinstance(accepted, ev.OrderAccepted) and accepted.status == "pending_open"
    assert due == monday_close
    assert not [e for e in weekend.events if isinstance(e, ev.OrderRouted)]
    routed = [e for e in at_open.events if isinstance(e, ev.OrderRouted)]
    assert [(e.order_id, e.ts_event) for e in routed] == [(order.id, at(MONDAY_OPEN))]
    assert status_in_the_day is OrderStatus.ACCEPTED
    assert fill.ts_ns == monday_close and fill.receipt.liquidity == "auction"
    assert order.status is OrderStatus.FILLED


def test_an_auction_without_an_entry_cutoff_takes_orders_until_it_runs(
    make_venue: Callable[..., Venue],
) -> None:
    """The LSE's opening auction takes orders through its call period (07:50-08:00 London)."""
    venue = make_venue(start="2024-03-15T07:59:00Z")
    account = venue.open(balance=WHALE)

    order, _ = venue.submit(account, "VOD.L", Side.BUY, 1_000, tif=TimeInForce.OPG)
    canceled, _ = venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=order.id),
        venue.now,
    )

    assert canceled.status is OrderStatus.CANCELED


def test_an_opg_limit_the_open_does_not_reach_is_canceled(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(start=US_PREMARKET)
    account = venue.open()
    official = venue.market.official_price("AAPL", at(US_OPEN), "open")
    limit = (official * D("0.95")).quantize(D("0.01"))

    order, _ = venue.submit(
        account, "AAPL", Side.BUY, 10, type=OrderType.LIMIT, limit_price=limit, tif=TimeInForce.OPG
    )
    changes = venue.advance_to(at(US_OPEN) + SECOND)

    assert not changes.fills
    assert order.status is OrderStatus.CANCELED
    (canceled,) = [e for e in changes.events if isinstance(e, ev.OrderCanceled)]
    assert canceled.reason == "not filled in its auction"


def test_a_cls_order_executes_at_the_official_close(venue: Venue) -> None:
    account = venue.open(balance=WHALE)

    order, changes = venue.submit(account, "AAPL", Side.SELL, 20_000, tif=TimeInForce.CLS)

    assert order.status is OrderStatus.ACCEPTED and not changes.fills
    assert venue.advance_to(at(US_CLOSE) - SECOND).fills == []
    (fill,) = venue.advance_to(at(US_CLOSE)).fills
    assert fill.ts_ns == at(US_CLOSE) and fill.receipt.liquidity == "auction"
    assert fill.receipt.auction == "close"
    assert fill.receipt.touch == venue.market.official_price("AAPL", at(US_CLOSE), "close")
    assert fill.price == auction_price(venue, "AAPL", at(US_CLOSE), "close", Side.SELL, 20_000)
    assert order.status is OrderStatus.FILLED


def test_a_cls_order_larger_than_the_closing_auction_fills_only_what_the_auction_crosses(
    venue: Venue,
) -> None:
    """A US closing auction crosses about 8% of the day's volume, what the feed's cross
    printed: an order for a whole day's volume fills that much at most; the rest is not
    filled in the auction and is canceled."""
    account = venue.open(balance=10 * WHALE)
    adv = int(venue.catalog.get("BKNG").market.avg_daily_volume)
    _, _, printed = printed_cross(venue, "BKNG", at(US_CLOSE))

    order, _ = venue.submit(account, "BKNG", Side.BUY, adv, tif=TimeInForce.CLS)
    assert order.status is OrderStatus.ACCEPTED, order.reject_reason
    (fill,) = venue.advance_to(at(US_CLOSE)).fills

    assert fill.receipt.liquidity == "auction" and fill.qty == int(printed)
    assert 0.04 * adv < fill.qty < 0.12 * adv
    assert order.status is OrderStatus.CANCELED and order.filled_qty == fill.qty


def test_a_queued_order_larger_than_the_opening_auction_works_its_rest_after_the_open(
    make_venue: Callable[..., Venue],
) -> None:
    """A US opening auction crosses about 1% of the day's volume: a pre-market order for 5%
    fills that much there, with the impact of that much, and works the rest in the session."""
    venue = make_venue(start=US_PREMARKET)
    account = venue.open(balance=10 * WHALE)
    adv = int(venue.catalog.get("BKNG").market.avg_daily_volume)

    order, _ = venue.submit(account, "BKNG", Side.BUY, adv // 20)
    assert order.status is OrderStatus.PENDING_OPEN, order.reject_reason
    (auction,) = venue.advance_to(at(US_OPEN)).fills
    later = venue.advance_to(at(US_OPEN) + 600 * SECOND).fills

    crossed = int(0.01 * adv)
    assert auction.receipt.liquidity == "auction" and auction.qty == crossed
    assert auction.price == auction_price(venue, "BKNG", at(US_OPEN), "open", Side.BUY, crossed)
    assert later and {f.receipt.liquidity for f in later} == {"taker"}
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert crossed < order.filled_qty < adv // 20


def test_orders_in_one_closing_auction_share_its_volume_in_time_priority(venue: Venue) -> None:
    adv = int(venue.catalog.get("BKNG").market.avg_daily_volume)
    each = int(0.06 * adv)
    orders = []
    for _ in range(3):  # three accounts, 18% of the day in all: the auction crosses ~8%
        account = venue.open(balance=WHALE)
        order, _ = venue.submit(account, "BKNG", Side.BUY, each, tif=TimeInForce.CLS)
        orders.append(order)

    fills = venue.advance_to(at(US_CLOSE)).fills

    crossed = int(printed_cross(venue, "BKNG", at(US_CLOSE))[2])  # what the cross printed
    assert each < crossed < 2 * each
    assert sum(f.qty for f in fills) == crossed
    assert [o.filled_qty for o in orders] == [each, crossed - each, 0]


def test_a_day_order_expires_at_the_close_and_a_gtc_order_does_not(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(step_ms=60_000)
    account = venue.open()
    price = (venue.quote("AAPL").bid * D("0.95")).quantize(D("0.01"))  # far from the market
    limit = {"type": OrderType.LIMIT, "limit_price": price}
    day, _ = venue.submit(account, "AAPL", Side.BUY, 10, **limit)
    gtc, _ = venue.submit(account, "AAPL", Side.BUY, 10, tif=TimeInForce.GTC, **limit)

    venue.advance_to(at(US_CLOSE) - SECOND)
    assert day.status is OrderStatus.ACCEPTED
    changes = venue.advance_to(at(US_CLOSE) + 60 * SECOND)  # AAPL's first meet after it

    assert day.status is OrderStatus.EXPIRED and day.updated_ns == at(US_CLOSE)
    (expired,) = [e for e in changes.events if isinstance(e, ev.OrderExpired)]
    assert expired.order_id == day.id and expired.reason == "day order expired at the close"
    assert gtc.status is OrderStatus.ACCEPTED


def test_an_extended_hours_limit_order_fills_in_us_premarket(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(start=US_PREMARKET)
    account = venue.open()
    ask = venue.quote("AAPL").ask
    limit = {"type": OrderType.LIMIT, "limit_price": ask}

    extended, changes = venue.submit(account, "AAPL", Side.BUY, 10, extended_hours=True, **limit)
    regular, later = venue.submit(account, "AAPL", Side.BUY, 10, **limit)

    assert extended.status is OrderStatus.FILLED
    (fill,) = changes.fills
    assert fill.ts_ns == at(US_PREMARKET) and fill.price == ask
    assert regular.status is OrderStatus.PENDING_OPEN and not later.fills
    assert venue.advance(600).fills == []  # the regular-session order waits for the open


def test_orders_placed_while_their_market_is_closed_wait_and_are_routed_when_it_opens(
    make_venue: Callable[..., Venue],
) -> None:
    """A limit, stop or trailing stop placed while its session is closed waits for it
    (`pending_open`, Alpaca's "accepted"); the open routes it (`OrderRouted`, Alpaca's "new")
    at the open's instant. One that has worked keeps working through a close."""
    venue = make_venue(start=US_PREMARKET)
    account = venue.open(balance=WHALE)
    bid = venue.quote("AAPL").bid
    low = {"type": OrderType.LIMIT, "limit_price": to_price(float(bid) * 0.9, D("0.01"))}
    above = {"type": OrderType.STOP, "stop_price": to_price(float(bid) * 1.2, D("0.01"))}
    gtc = TimeInForce.GTC

    limit, placed = venue.submit(account, "AAPL", Side.BUY, 10, tif=gtc, **low)
    stop, _ = venue.submit(account, "AAPL", Side.BUY, 10, tif=gtc, **above)
    early, _ = venue.submit(account, "AAPL", Side.BUY, 10, extended_hours=True, **low)
    early_status = early.status
    before_open = venue.advance_to(at(US_OPEN) - SECOND)
    at_open = venue.advance_to(at(US_OPEN) + 60 * SECOND)
    next_open = venue.advance_to(at(US_OPEN) + 24 * 3600 * SECOND + 60 * SECOND)

    (accepted,) = placed.events
    assert isinstance(accepted, ev.OrderAccepted) and accepted.status == "pending_open"
    assert early_status is OrderStatus.ACCEPTED  # the pre-market is its market
    assert not [e for e in before_open.events if isinstance(e, ev.OrderRouted)]
    routed = [e for e in at_open.events if isinstance(e, ev.OrderRouted)]
    assert [(e.order_id, e.ts_event) for e in routed] == [
        (limit.id, at(US_OPEN)),
        (stop.id, at(US_OPEN)),
    ]
    assert {limit.id, stop.id} <= {o.id for o in at_open.orders}  # stored as routed
    assert limit.status is stop.status is OrderStatus.ACCEPTED
    assert limit.updated_ns == at(US_OPEN)
    assert not [e for e in next_open.events if isinstance(e, ev.OrderRouted)]
    assert limit.status is OrderStatus.ACCEPTED


@pytest.mark.parametrize("profile", ["realistic", "harsh"])
def test_an_order_placed_after_a_close_is_routed_at_the_next_open_not_at_once(
    make_venue: Callable[..., Venue], profile: str
) -> None:
    """Its symbol last met the market before the close (an order then, since canceled), or it
    was sent just before the close and, delayed (harsh), reached the market after it: the
    step across the close must not route it then."""
    venue = make_venue(start="2024-03-15T19:58:00Z")  # two minutes before Friday's close
    account = venue.open(balance=WHALE, profile=profile)
    bid = venue.quote("AAPL").bid
    low = {"type": OrderType.LIMIT, "limit_price": to_price(float(bid) * 0.9, D("0.01"))}
    earlier, _ = venue.submit(account, "AAPL", Side.BUY, 10, tif=TimeInForce.GTC, **low)
    venue.advance(60)  # AAPL meets the market
    venue.engine.cancel(
        CancelOrder(id="c", ts_init=venue.now, account_id=account.id, order_id=earlier.id),
        venue.now,
    )
    if profile == "harsh":
        venue.advance_to(at(US_CLOSE) - 200_000_000)  # it arrives after the close
    else:
        venue.advance_to(at(US_CLOSE) + 1800 * SECOND)  # placed in the post-market

    order, _ = venue.submit(account, "AAPL", Side.BUY, 10, tif=TimeInForce.GTC, **low)
    overnight = venue.advance_to(at(US_CLOSE) + 3600 * SECOND)
    monday = venue.advance_to(at(MONDAY_OPEN) + 60 * SECOND)

    assert order.status is OrderStatus.ACCEPTED
    assert not [e for e in overnight.events if isinstance(e, ev.OrderRouted)]
    routed = [e for e in monday.events if isinstance(e, ev.OrderRouted)]
    assert [(e.order_id, e.ts_event) for e in routed] == [(order.id, at(MONDAY_OPEN))]


def test_an_extended_hours_day_order_expires_at_the_end_of_post_market(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(step_ms=60_000)
    account = venue.open()
    price = (venue.quote("AAPL").bid * D("0.95")).quantize(D("0.01"))
    order, _ = venue.submit(
        account, "AAPL", Side.BUY, 10, type=OrderType.LIMIT, limit_price=price, extended_hours=True
    )

    venue.advance_to(at(US_CLOSE) + SECOND)
    assert order.status is OrderStatus.ACCEPTED  # still working in post-market
    venue.advance_to(at("2024-03-16T00:01:00Z"))  # AAPL's first meet after the end
    assert order.status is OrderStatus.EXPIRED and order.updated_ns == at("2024-03-16T00:00:00Z")


def test_a_market_order_in_us_premarket_waits_for_the_opening_auction(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(start=US_PREMARKET)
    account = venue.open()

    order, changes = venue.submit(account, "AAPL", Side.BUY, 10)

    assert order.status is OrderStatus.PENDING_OPEN and not changes.fills
    assert venue.advance_to(at(US_OPEN) - SECOND).fills == []
    (fill,) = venue.advance_to(at(US_OPEN)).fills
    assert fill.ts_ns == at(US_OPEN) and fill.receipt.liquidity == "auction"
    assert order.status is OrderStatus.FILLED


def test_extended_hours_needs_a_day_limit_order(venue: Venue) -> None:
    order, _ = venue.submit(venue.open(), "AAPL", Side.BUY, 10, extended_hours=True)
    assert order.status is OrderStatus.REJECTED
    assert order.reject_reason is not None and order.reject_reason.startswith("extended_hours:")


def test_a_queued_fx_order_takes_the_book_at_the_open_as_there_is_no_auction(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(start=SATURDAY)
    account = venue.open(balance=WHALE)
    order, _ = venue.submit(account, "EUR/USD", Side.BUY, 5_000_000)
    assert order.status is OrderStatus.PENDING_OPEN and order.due_ns is not None
    opens = order.due_ns

    fills = venue.advance_to(opens + 600 * SECOND).fills

    first = fills[0]
    assert first.ts_ns == opens and first.receipt.liquidity == "taker"
    assert first.receipt.spread_cost > 0  # the Sunday open's spread is paid, as in the market
    assert sum(f.qty for f in fills) == order.filled_qty == 5_000_000


def test_a_notional_fx_buy_queued_for_the_open_spends_no_more_than_its_notional(
    make_venue: Callable[..., Venue],
) -> None:
    """No auction: it takes the book at the open, sized at the average its walk pays."""
    venue = make_venue(start=SATURDAY)
    account = venue.open(balance=WHALE)
    order, _ = venue.submit(account, "EUR/USD", Side.BUY, notional=D(20_000_000))
    assert order.status is OrderStatus.PENDING_OPEN and order.due_ns is not None

    fills = venue.advance_to(order.due_ns + SECOND).fills

    (fill,) = fills
    assert fill.receipt.liquidity == "taker" and len(fill.receipt.slices) > 1  # walked
    assert D(19_998_000) < fill.qty * fill.price + fill.fee <= D(20_000_000)


def test_a_market_order_in_a_lunch_break_takes_the_book_when_the_afternoon_session_opens(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(start="2024-03-15T02:45:00Z")  # 11:45 in Tokyo: the lunch break
    afternoon = at("2024-03-15T03:30:00Z")  # 12:30 in Tokyo
    account = venue.open(balance=WHALE)

    order, _ = venue.submit(account, "N225", Side.BUY, 1)

    assert order.status is OrderStatus.PENDING_OPEN
    assert order.due_ns == afternoon  # not tomorrow's open, after today's close
    assert order.expire_ns is not None and order.expire_ns > afternoon
    (fill,) = venue.advance_to(afternoon).fills
    assert fill.ts_ns == afternoon and fill.receipt.liquidity == "taker"
    calendar = venue.engine.sessions.for_instrument(venue.catalog.get("N225"))
    assert not calendar.opens_day(afternoon)
    assert calendar.opens_day(at("2024-03-15T00:00:00Z"))  # 09:00 in Tokyo


def test_a_regular_session_order_takes_no_participation_in_the_premarket_volume(
    make_venue: Callable[..., Venue],
) -> None:
    """A marketable limit sent before the open works in the regular session only: it joins
    the opening auction, and what that leaves works on, its share of the volume counting the
    volume since the open, not the pre-market's just before it."""
    venue = make_venue(start=US_PREMARKET)
    account = venue.open(balance=WHALE)
    limit = (venue.quote("AAPL", at(US_OPEN)).ask * D("1.05")).quantize(D("0.01"))
    order, _ = venue.submit(
        account, "AAPL", Side.BUY, 3_000_000, type=OrderType.LIMIT, limit_price=limit
    )
    assert not order.extended_hours and order.filled_qty == 0

    fills = venue.advance_to(at(US_OPEN) + 2 * SECOND).fills

    since_open = D(repr(venue.market.prints("AAPL", at(US_OPEN) - 1, venue.now).volume))
    premarket = D(repr(venue.market.prints("AAPL", at(US_OPEN) - 300 * SECOND, at(US_OPEN)).volume))
    assert premarket > since_open  # enough to show, had it counted
    worked = sum((f.qty for f in fills if f.receipt.liquidity != "auction"), D(0))
    crossed = order.filled_qty - worked
    assert 0 < crossed <= fill_model.auction_volume(venue.catalog.get("AAPL"), "open")
    assert 0 < worked <= D("0.1") * since_open + 1


def test_a_stop_meets_the_prints_of_the_last_moments_before_the_close(
    make_venue: Callable[..., Venue],
) -> None:
    """However long the step, an order that trades in the regular session only meets what
    printed until the close: a step that ends after it works it there, at the close."""
    start, close, step = at("2024-03-15T19:57:00Z"), at(US_CLOSE), 60 * SECOND
    venue = make_venue(start="2024-03-15T19:57:00Z", step_ms=60_000)
    account = venue.open(balance=WHALE)

    def through(symbol: str, side: Side) -> D | None:
        """A stop only the prints after the symbol's last step before the close reach."""
        last_step = (close - 1 - phase(symbol, step)) // step * step + phase(symbol, step)
        early = venue.market.prints(symbol, start, last_step).price
        late = venue.market.prints(symbol, last_step, close - 1).price
        tick = venue.catalog.get(symbol).tick_size
        if side is Side.SELL and early.min() - late.min() >= 2 * float(tick):
            return to_price(late.min(), tick) + tick
        if side is Side.BUY and late.max() - early.max() >= 2 * float(tick):
            return to_price(late.max(), tick) - tick
        return None

    found = (
        (symbol, side, through(symbol, side))
        for symbol in ("AAPL", "MSFT", "NVDA", "AMZN", "META", "JPM", "XOM", "SPY", "QQQ")
        for side in (Side.SELL, Side.BUY)
    )
    symbol, side, stop = next(f for f in found if f[2] is not None)
    order, _ = venue.submit(
        account, symbol, side, 10, type=OrderType.STOP, stop_price=stop, tif=TimeInForce.GTC
    )

    (fill,) = venue.advance_to(close + 2 * step).fills

    assert order.triggered and fill.ts_ns == close - 1


@pytest.mark.parametrize("day", ["2024-03-13", "2024-03-14", "2024-03-15", "2024-03-18"])
def test_a_notional_buy_queued_for_the_open_spends_no_more_than_its_notional(
    make_venue: Callable[..., Venue], day: str
) -> None:
    """It is sized at the price it trades at in the auction, not at the pre-market ask it was
    queued at (the market moves in between), and pays its fees out of its notional."""
    venue = make_venue(start=f"{day}T12:00:00Z")  # 08:00 New York
    account = venue.open()
    order, _ = venue.submit(account, "TSLA", Side.BUY, notional=D(10_000))
    assert order.status is OrderStatus.PENDING_OPEN

    changes = venue.advance_to(at(f"{day}T13:30:00Z"))

    (fill,) = [f for f in changes.fills if f.order_id == order.id]
    assert fill.receipt.liquidity == "auction"
    spent = fill.qty * fill.price + fill.fee  # its fees out of its notional too
    assert D(10_000) - fill.price * D("0.01") - fill.fee < spent <= D(10_000)


@pytest.mark.parametrize("day", ["2024-03-13", "2024-03-19", "2024-03-20"])
def test_a_notional_sell_of_a_whole_position_queued_for_the_open_never_goes_short(
    make_venue: Callable[..., Venue], day: str
) -> None:
    """Sized again at a lower open it would come to more than was held: a closing order stays
    within what it was checked for."""
    venue = make_venue(start=f"{day}T12:00:00Z")
    account = venue.open()
    venue.advance_to(at(f"{day}T14:00:00Z"))
    bought, _ = venue.submit(account, "TSLA", Side.BUY, 10)
    assert bought.status is OrderStatus.FILLED
    venue.advance_to(at(f"{day}T20:30:00Z"))  # after the close: the sell waits for the open
    notional = (10 * venue.quote("TSLA").bid).quantize(D("0.01"))
    sold, _ = venue.submit(account, "TSLA", Side.SELL, notional=notional, within_position=True)
    assert sold.status is OrderStatus.PENDING_OPEN and sold.qty <= 10

    next_open = at(f"{day}T13:30:00Z") + 24 * 3_600 * SECOND
    venue.advance_to(next_open)

    assert 0 <= venue.engine.position(account.id, "TSLA").qty < D("0.1")


@pytest.mark.parametrize(
    ("symbol", "reopen", "liquidity"),
    [
        ("AAPL", MONDAY_OPEN, "auction"),
        ("EUR/USD", "2024-03-17T21:00:00Z", "taker"),  # Sunday 17:00 in New York
        ("SHEL.L", "2024-03-18T08:00:00Z", "auction"),
    ],
)
def test_a_resting_limit_the_market_reopens_through_fills_at_the_market_not_at_its_limit(
    make_venue: Callable[..., Venue], symbol: str, reopen: str, liquidity: str
) -> None:
    """Nobody traded at the limit of an order that rested over the weekend while the market
    reopened beyond it: it fills in the opening auction where the venue holds one (as the
    exchanges include the book in it), else takes the book at the reopen, within its limit,
    as a marketable limit arriving then would. (It was filled at its own limit, a price that
    never traded.)"""
    venue = make_venue("2024-03-15T19:50:00Z")  # Friday, before the US and FX closes
    inst = venue.catalog.get(symbol)
    friday = venue.quote(symbol)
    opening = venue.quote(symbol, at(reopen) + SECOND)
    down = opening.ask < friday.bid  # buy a gap down, sell a gap up
    side = Side.BUY if down else Side.SELL
    near = opening.ask if down else opening.bid
    far = friday.bid if down else friday.ask
    limit = ((near + far) / 2).quantize(inst.tick_size)  # rests on Friday, crossed at the reopen
    account = venue.open(balance=WHALE)
    qty = max(inst.lot_size, Decimal(1) if inst.shares else inst.lot_size) * 10  # whole shorts
    order, _ = venue.submit(
        account, symbol, side, qty, type=OrderType.LIMIT, limit_price=limit, tif=TimeInForce.GTC
    )
    assert order.is_open and not order.filled_qty
    assert abs(limit - far) >= 2 * inst.tick_size and abs(limit - near) >= 2 * inst.tick_size

    fills = venue.advance_to(at(reopen) + 2 * SECOND).fills

    assert fills and all(f.receipt.liquidity == liquidity for f in fills)
    assert all(at(reopen) <= f.ts_ns <= at(reopen) + SECOND for f in fills)
    better = [f.price < limit if down else f.price > limit for f in fills]
    assert all(better)
    assert order.filled_qty == qty


def test_a_day_orders_rest_meets_what_prints_until_the_close_before_it_expires(
    make_venue: Callable[..., Venue],
) -> None:
    minute = 60 * SECOND  # as a catch-up after downtime works: its last meet is up to a
    venue = make_venue(start="2024-03-15T19:55:00Z", step_ms=60_000)  # minute before the close
    account = venue.open(balance=WHALE)
    order, _ = venue.submit(account, "AAPL", Side.BUY, 3_000_000)  # far beyond the book
    assert order.status is OrderStatus.PARTIALLY_FILLED
    close = at(US_CLOSE)
    last_meet = close - minute + phase("AAPL", minute)
    assert venue.market.prints("AAPL", last_meet, close - 1).volume > 0

    fills = venue.advance_to(close + 2 * minute).fills

    assert order.status is OrderStatus.EXPIRED and order.updated_ns == close
    assert fills[-1].ts_ns == close - 1  # it met what printed after its last meet, until the close
