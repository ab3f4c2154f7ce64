"""Specification of the pre-trade checks: limits at their exact edges, and rejections that name
their rule and give the numbers behind it.

Edges are derived the way `validation.py` values an order: a limit buy is valued at its limit
price, a limit sell at the higher of its limit and the arrival mid, NAV at the marks. Orders
priced at the passive touch rest without filling, so the numbers stay exact.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

import pytest

from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderStatus, OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
STOCKS = ("MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO", "COST")


def floor_lots(qty: Decimal, lot: Decimal) -> Decimal:
    return (qty / lot).to_integral_value(rounding=ROUND_FLOOR) * lot


def fees_vcr(
    venue: Venue, account: Account, symbol: str, side: Side, qty: Decimal, **kw: Any
) -> Decimal:
    """The fees (VCR) the account would pay for `qty` of this order now: the position cap
    counts the position against the NAV left after them."""
    probe = venue.preview(account, symbol, side, qty, **kw)
    price = kw.get("limit_price") or probe.arrival_mid
    return venue.engine.taker_fees_vcr(venue.engine.marks(venue.now), probe, qty, price)


def rejected(order: Order, rule: str) -> str:
    """Assert `order` was rejected by `rule`; return the message."""
    assert order.status is OrderStatus.REJECTED
    assert order.reject_reason is not None
    assert order.reject_reason.startswith(f"{rule}: "), order.reject_reason
    return order.reject_reason


# -- the 25% position cap ---------------------------------------------------------------------


def test_position_cap_accepts_a_buy_at_exactly_25_percent_of_nav_and_rejects_one_lot_more(
    venue: Venue,
) -> None:
    account = venue.open()
    nav = venue.engine.view(account.id, venue.now).nav
    lot = venue.catalog.get("AAPL").lot_size
    price = venue.quote("AAPL").bid  # a passive limit: valued at its limit, rests unfilled
    limit = {"type": OrderType.LIMIT, "limit_price": price}
    edge = floor_lots(nav * D("0.25") / price, lot)
    while edge * price > (nav - fees_vcr(venue, account, "AAPL", Side.BUY, edge, **limit)) / 4:
        edge -= lot  # the NAV the cap counts is after the order's fees
    fee_over = fees_vcr(venue, account, "AAPL", Side.BUY, edge + lot, **limit)

    over = venue.preview(account, "AAPL", Side.BUY, edge + lot, **limit)
    order, _ = venue.submit(account, "AAPL", Side.BUY, edge, **limit)

    assert nav == D(1_000_000)
    assert (edge + lot) * price > (nav - fee_over) / 4
    message = rejected(over, "concentration")
    assert "of NAV" in message and "limit is 25%" in message
    assert order.status is OrderStatus.ACCEPTED
    # counting open orders: the resting order already uses the whole allowance, valued at the
    # limit it was accepted at (valued at the mid, it had read 25.04% after one lot more)
    one_more = rejected(venue.preview(account, "AAPL", Side.BUY, lot, **limit), "concentration")
    fees = fees_vcr(venue, account, "AAPL", Side.BUY, lot, **limit)
    fees += fees_vcr(venue, account, "AAPL", Side.BUY, edge, **limit)  # and the resting order's
    share = (edge + lot) * price / (nav - fees) * 100
    assert f"would be {share:.3f}" in one_more


def test_position_cap_values_what_is_held_at_the_market_and_the_order_at_its_limit(
    venue: Venue,
) -> None:
    account = venue.open()
    mid = (venue.quote("AAPL").bid + venue.quote("AAPL").ask) / 2
    held, _ = venue.submit(account, "AAPL", Side.BUY, floor_lots(D(240_000) / mid, D(1)))
    assert held.status is OrderStatus.FILLED
    view = venue.engine.view(account.id, venue.now)
    held_value = view.values["AAPL"]
    low = (mid * D("0.9")).quantize(D("0.01"))  # a cheap limit does not cheapen what is held
    limit = {"type": OrderType.LIMIT, "limit_price": low}
    fits = floor_lots((view.nav / 4 - held_value) / low, D(1))
    while (
        held_value + fits * low
        > (view.nav - fees_vcr(venue, account, "AAPL", Side.BUY, fits, **limit)) / 4
    ):
        fits -= 1

    over = venue.preview(account, "AAPL", Side.BUY, fits + 1, **limit)
    order, _ = venue.submit(account, "AAPL", Side.BUY, fits, **limit)

    message = rejected(over, "concentration")
    left = view.nav - fees_vcr(venue, account, "AAPL", Side.BUY, fits + 1, **limit)
    share = (held_value + (fits + 1) * low) / left * 100
    assert f"would be {share:.3f}% of NAV" in message  # over the cap reads as over it
    lot = venue.catalog.get("AAPL").lot_size
    room = fits + floor_lots((left / 4 - held_value) / low - fits, lot)
    while (
        held_value + room * low
        > (view.nav - fees_vcr(venue, account, "AAPL", Side.BUY, room, **limit)) / 4
    ):
        room -= lot
    assert f"at most {room.normalize():f} more fit" in message
    rejected(venue.preview(account, "AAPL", Side.BUY, room + lot, **limit), "concentration")
    assert order.status is OrderStatus.ACCEPTED


@pytest.mark.parametrize(
    ("symbol", "side", "qty"),
    [
        ("AZN.L", Side.BUY, 3_000),  # 0.5% stamp duty on the buy
        ("AZN.L", Side.SELL, 3_000),
        ("SHEL.L", Side.BUY, 30_000),  # walks several levels
        ("BTC-USD", Side.BUY, 5),  # taker fee in bps
        ("EUR/USD", Side.BUY, 1_000_000),
    ],
)
def test_the_largest_market_order_that_fits_leaves_the_position_within_the_cap_after_its_costs(
    venue: Venue, symbol: str, side: Side, qty: int
) -> None:
    """Fees, spread and impact lower the NAV the position is a share of: the largest market
    order the cap allows, filled, is still within 25% of NAV; one lot more is refused. (The
    cap once counted the NAV before costs: an AZN.L buy at the edge ended at 25.008%.)"""
    account = venue.open()
    lot = venue.catalog.get(symbol).lot_size
    message = rejected(venue.preview(account, symbol, side, qty), "concentration")
    fits = D(message.split("at most ")[1].split(" ")[0])

    one_more = venue.preview(account, symbol, side, fits + lot)
    order, _ = venue.submit(account, symbol, side, fits)

    rejected(one_more, "concentration")
    assert order.status is OrderStatus.FILLED
    view = venue.engine.view(account.id, venue.now)
    assert D("0.2498") < abs(view.values[symbol]) / view.nav <= D("0.25")


def test_position_cap_on_a_short_sale_values_it_at_the_higher_of_limit_and_mid(
    venue: Venue,
) -> None:
    account = venue.open()
    nav = venue.engine.view(account.id, venue.now).nav
    lot = D(1)  # a short of shares is whole shares
    price = venue.quote("AAPL").ask  # above the mid: the limit is the risk price
    limit = {"type": OrderType.LIMIT, "limit_price": price}
    edge = floor_lots(nav * D("0.25") / price, lot)
    while edge * price > (nav - fees_vcr(venue, account, "AAPL", Side.SELL, edge, **limit)) / 4:
        edge -= lot

    over = venue.preview(account, "AAPL", Side.SELL, edge + lot, **limit)
    order, _ = venue.submit(account, "AAPL", Side.SELL, edge, **limit)

    rejected(over, "concentration")
    assert order.status is OrderStatus.ACCEPTED


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_an_order_in_whole_units_is_told_the_largest_whole_quantity_that_fits(
    venue: Venue, side: Side
) -> None:
    """Alpaca's rule (`whole_units`): a short sale or non-day order has no fraction, so the
    quantity the cap names is whole; one unit more is refused."""
    account = venue.open()
    assert venue.catalog.get("AAPL").lot_size < 1
    fractional = rejected(venue.preview(account, "AAPL", side, 2_000), "concentration")
    message = rejected(
        venue.preview(account, "AAPL", side, 2_000, whole_units=True), "concentration"
    )

    fits = D(message.split("at most ")[1].split(" ")[0])
    assert fits == fits.to_integral_value()
    assert fits == D(fractional.split("at most ")[1].split(" ")[0]).to_integral_value(ROUND_FLOOR)
    whole = {"whole_units": True}
    assert venue.preview(account, "AAPL", side, fits, **whole).status is not OrderStatus.REJECTED
    rejected(venue.preview(account, "AAPL", side, fits + 1, **whole), "concentration")


def test_a_flip_that_overshoots_the_cap_is_told_the_largest_order_that_fits(
    venue: Venue,
) -> None:
    """ "At most N more fit" is an order quantity: what the flip closes plus the room."""
    account = venue.open()
    held, _ = venue.submit(account, "AAPL", Side.BUY, 900)
    assert held.status is OrderStatus.FILLED

    message = rejected(venue.preview(account, "AAPL", Side.SELL, 1_900), "concentration")

    fits = D(message.split("at most ")[1].split(" ")[0])
    assert fits > 900
    assert venue.preview(account, "AAPL", Side.SELL, fits).status is not OrderStatus.REJECTED
    rejected(venue.preview(account, "AAPL", Side.SELL, fits + 1), "concentration")


def test_a_flip_counts_the_margin_the_closed_position_frees(venue: Venue) -> None:
    """Long eight stocks at 24% of NAV each (nearly all margin used), selling one of them and
    going 10% short in one order needs no more than doing it in two: the close frees margin."""
    account = venue.open()
    for symbol in STOCKS:
        qty = floor_lots(D(240_000) / venue.quote(symbol).ask, D(1))
        order, _ = venue.submit(account, symbol, Side.BUY, qty)
        assert order.status is OrderStatus.FILLED, order.reject_reason
    held = venue.engine.position(account.id, "MSFT").qty
    short = floor_lots(D(100_000) / venue.quote("MSFT").bid, D(1))
    assert _available(venue, account.id) < short * venue.quote("MSFT").bid / 2

    flipped, _ = venue.submit(account, "MSFT", Side.SELL, held + short)

    assert flipped.status is OrderStatus.FILLED, flipped.reject_reason
    assert venue.engine.position(account.id, "MSFT").qty == -short


@pytest.mark.parametrize("symbol", ["AZN.L", "SHEL.L", "AAPL", "EUR/USD"])
def test_the_largest_flip_that_fits_leaves_the_new_side_within_the_cap_after_both_legs_costs(
    venue: Venue, symbol: str
) -> None:
    """A flip pays for the leg that closes as well as the one that opens: the NAV the cap
    counts is after both. (It counted only the new side's costs: a flip accepted at the
    stated maximum ended at 25.0009% of NAV.)"""
    account = venue.open()
    lot = venue.catalog.get(symbol).lot_size
    unit = venue.engine.marks(venue.now).value(venue.catalog.get(symbol), lot)
    held = floor_lots(D(150_000) / unit, D(1)) * lot  # 15% of NAV
    bought, _ = venue.submit(account, symbol, Side.BUY, held)
    assert bought.status is OrderStatus.FILLED, bought.reject_reason
    over = held + floor_lots(2 * held, D(1))  # leaves a short of whole shares (or units)
    message = rejected(venue.preview(account, symbol, Side.SELL, over), "concentration")
    fits = D(message.split("at most ")[1].split(" ")[0])

    step = D(1) if venue.catalog.get(symbol).shares else lot  # a short of shares: whole ones
    one_more = venue.preview(account, symbol, Side.SELL, fits + step)
    order, _ = venue.submit(account, symbol, Side.SELL, fits)

    rejected(one_more, "concentration")
    assert order.status is OrderStatus.FILLED, order.reject_reason
    view = venue.engine.view(account.id, venue.now)
    assert view.values[symbol] < 0
    assert D("0.2498") < abs(view.values[symbol]) / view.nav <= D("0.25")


# -- 2:1 buying power -------------------------------------------------------------------------


def _available(venue: Venue, account_id: str) -> Decimal:
    """The buying power a refusal quotes for a buy far too big for the account."""
    account = venue.engine.accounts[account_id]
    message = rejected(venue.preview(account, "MSFT", Side.BUY, 100_000), "buying_power")
    return D(message.rsplit(", ", 1)[1].split(" VCR")[0].replace(",", ""))


def test_an_open_sell_that_would_flip_a_long_reserves_margin_for_the_short_it_opens(
    venue: Venue,
) -> None:
    ask = venue.quote("AAPL").ask
    limit = {"type": OrderType.LIMIT, "limit_price": ask + D(5), "tif": "gtc"}
    flat, holder = venue.open(), venue.open()
    venue.submit(holder, "AAPL", Side.BUY, 1)
    short, _ = venue.submit(flat, "AAPL", Side.SELL, 900, **limit)  # opens a short of 900
    flip, _ = venue.submit(holder, "AAPL", Side.SELL, 901, **limit)  # closes 1, shorts 900
    assert short.status is flip.status is OrderStatus.ACCEPTED

    # both reserve margin for a short of 900; the holder's one share is worth about one more
    gap = _available(venue, holder.id) - _available(venue, flat.id)
    assert abs(gap) < ask


def test_buying_power_allows_exactly_twice_the_free_margin_and_rejects_one_lot_more(
    venue: Venue,
) -> None:
    account = venue.open()
    reserved = D(0)
    for symbol in STOCKS:  # eight resting buys of ~24% of NAV each reserve half their value
        price = venue.quote(symbol).bid
        qty = floor_lots(D(240_000) / price, D(1))
        order, _ = venue.submit(
            account, symbol, Side.BUY, qty, type=OrderType.LIMIT, limit_price=price
        )
        assert order.status is OrderStatus.ACCEPTED, order.reject_reason
        reserved += qty * price / 2
    free = venue.engine.view(account.id, venue.now).nav - reserved
    lot = venue.catalog.get("AAPL").lot_size
    price = venue.quote("AAPL").bid
    edge = floor_lots(2 * free / price, lot)
    limit = {"type": OrderType.LIMIT, "limit_price": price}

    over = venue.preview(account, "AAPL", Side.BUY, edge + lot, **limit)
    order, _ = venue.submit(account, "AAPL", Side.BUY, edge, **limit)

    assert 0 < free < D(50_000)  # far below the 25% cap: buying power is what binds
    assert edge * price / 2 <= free < (edge + lot) * price / 2
    message = rejected(over, "buying_power")
    assert "2:1" in message and "VCR is available" in message
    assert order.status is OrderStatus.ACCEPTED


def test_a_cash_only_account_buys_no_more_than_its_free_equity_and_keeps_what_it_borrowed(
    venue: Venue,
) -> None:
    account = venue.open()
    for symbol in STOCKS[:6]:  # about 1.4x the NAV, on margin
        price = venue.quote(symbol).ask
        order, _ = venue.submit(account, symbol, Side.BUY, floor_lots(D(240_000) / price, D(1)))
        assert order.status is OrderStatus.FILLED, order.reject_reason
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=None, cash_only=True)
    view = venue.engine.view(account.id, venue.now)
    assert view.margin_used == view.gross and view.buying_power < 0  # all of it, 1:1
    assert {p.symbol for p in venue.engine.positions_of(account.id) if p.qty} == set(STOCKS[:6])

    more = venue.preview(account, "AAPL", Side.BUY, D(1))
    sold, _ = venue.submit(account, "MSFT", Side.SELL, D(10))  # reducing is always allowed

    message = rejected(more, "cash")  # it has none: it is in debit
    assert message.startswith("cash: the account is cash-only and needs cash")
    assert sold.status is OrderStatus.FILLED
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=None, cash_only=False)
    assert venue.preview(account, "AAPL", Side.BUY, D(1)).status is not OrderStatus.REJECTED


def test_a_cash_only_account_buys_up_to_its_cash_exactly_fees_included(venue: Venue) -> None:
    """As crypto is bought: each buy's fees come out of the cash too (a buy its check took at
    the touch without them left the account in debit, paying margin interest)."""
    account = venue.open(balance=1_000_000)
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=None, cash_only=True)
    reserved = D(0)
    for symbol in STOCKS[:4]:  # four resting buys of ~24% of NAV reserve their value and fees
        price = venue.quote(symbol).bid
        qty = floor_lots(D(240_000) / price, D(1))
        limit = {"type": OrderType.LIMIT, "limit_price": price}
        order, _ = venue.submit(account, symbol, Side.BUY, qty, **limit)
        assert order.status is OrderStatus.ACCEPTED, order.reject_reason
        reserved += qty * price + fees_vcr(venue, account, symbol, Side.BUY, qty, **limit)
    free = venue.engine.view(account.id, venue.now).cash - reserved
    price = venue.quote("AAPL").bid
    limit = {"type": OrderType.LIMIT, "limit_price": price}
    edge = floor_lots(free / price, D(1))
    while edge * price + fees_vcr(venue, account, "AAPL", Side.BUY, edge, **limit) > free:
        edge -= 1

    over = venue.preview(account, "AAPL", Side.BUY, edge + 1, **limit)
    order, _ = venue.submit(account, "AAPL", Side.BUY, edge, **limit)

    assert 0 < free < D(50_000)  # far below the 25% cap: the cash is what binds
    assert rejected(over, "cash").startswith("cash: the account is cash-only and needs cash")
    assert order.status is OrderStatus.ACCEPTED


def test_a_cash_only_market_buy_pays_the_walk_of_the_book_and_fees_out_of_its_cash(
    venue: Venue,
) -> None:
    """London charges 0.5% stamp duty on buys: the largest buy the check takes leaves no
    debit once filled, and none pays interest at midnight."""
    account = venue.open(balance=1_000_000)
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=None, cash_only=True)
    for symbol in STOCKS[:4]:  # ~24% each, under the cap: 4% of the cash is left
        qty = floor_lots(D(240_000) / venue.quote(symbol).ask, D(1))
        order, _ = venue.submit(account, symbol, Side.BUY, qty)
        assert order.status is OrderStatus.FILLED, order.reject_reason
    lo, hi = D(0), D(1_000_000)  # the largest VOD.L buy its check takes
    while hi - lo > 1:
        mid = (lo + hi) // 2
        refused = venue.preview(account, "VOD.L", Side.BUY, mid).status is OrderStatus.REJECTED
        lo, hi = (lo, mid) if refused else (mid, hi)

    order, _ = venue.submit(account, "VOD.L", Side.BUY, lo)
    night = venue.advance_to(to_ns(parse_instant("2024-03-16T04:00:01Z")))

    assert order.status is OrderStatus.FILLED and lo > 30_000
    assert venue.engine.account(account.id).cash >= 0
    assert not [e for e in night.ledger if e.account_id == account.id]  # no interest


# -- cash-only and shortability ---------------------------------------------------------------


def test_non_marginable_crypto_needs_cash_while_a_stock_of_the_same_value_uses_margin(
    venue: Venue,
) -> None:
    account = venue.open()
    for symbol in STOCKS[:4]:  # spend ~94% of the cash on stocks, still well within 2:1
        qty = floor_lots(D(235_000) / venue.quote(symbol).ask, D(1))
        order, _ = venue.submit(account, symbol, Side.BUY, qty)
        assert order.status is OrderStatus.FILLED
    view = venue.engine.view(account.id, venue.now)
    assert view.cash < D(100_000) < view.buying_power

    btc = venue.preview(
        account,
        "BTC-USD",
        Side.BUY,
        floor_lots(D(100_000) / venue.quote("BTC-USD").ask, D("0.00001")),
    )
    stock = venue.preview(
        account, "AAPL", Side.BUY, floor_lots(D(100_000) / venue.quote("AAPL").ask, D(1))
    )

    message = rejected(btc, "cash")
    assert "not marginable" in message and "VCR of cash is free" in message
    assert f"{view.cash:,.2f}" in message
    assert stock.status is not OrderStatus.REJECTED


def test_a_cash_only_order_must_cover_its_fees_too(venue: Venue) -> None:
    """All the free cash at the ask leaves nothing for the taker fee: refused, with the fee
    named; the same order less its fee's worth fits, and cash stays at zero or above."""
    account = venue.open(balance=D(100_000))
    for coin in ("BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD"):  # ~24% each: cash nearly spent
        lot = venue.catalog.get(coin).lot_size
        venue.submit(account, coin, Side.BUY, floor_lots(D(24_000) / venue.quote(coin).ask, lot))
    cash = venue.engine.view(account.id, venue.now).cash
    assert 0 < cash < D(10_000)
    lot = venue.catalog.get("XRP-USD").lot_size
    everything = floor_lots(cash / venue.quote("XRP-USD").ask, lot)

    refused, _ = venue.submit(account, "XRP-USD", Side.BUY, everything)
    fits = floor_lots(everything * D("0.99"), lot)
    fitting, changes = venue.submit(account, "XRP-USD", Side.BUY, fits)

    message = rejected(refused, "cash")
    assert "VCR of fees" in message and f"{cash:,.2f} VCR of cash is free" in message
    assert fitting.status is OrderStatus.FILLED and changes.fills[0].fee > 0
    assert venue.engine.view(account.id, venue.now).cash >= 0


def test_open_cash_only_buys_hold_back_their_fees_too(venue: Venue) -> None:
    """A resting crypto buy holds back its value at its limit and its taker fee: the cash a
    new cash-only order is told is free excludes both."""
    account = venue.open(balance=D(100_000))
    for coin in ("BTC-USD", "ETH-USD", "ADA-USD"):  # ~24% each: about 28,000 VCR left
        lot = venue.catalog.get(coin).lot_size
        venue.submit(account, coin, Side.BUY, floor_lots(D(24_000) / venue.quote(coin).ask, lot))
    cash = venue.engine.view(account.id, venue.now).cash
    sol = venue.catalog.get("SOL-USD")
    limit = floor_lots(venue.quote("SOL-USD").bid * D("0.9"), sol.tick_size)
    resting, _ = venue.submit(
        account,
        "SOL-USD",
        Side.BUY,
        floor_lots(D(14_000) / limit, sol.lot_size),
        type=OrderType.LIMIT,
        limit_price=limit,
    )
    assert resting.status is OrderStatus.ACCEPTED, resting.reject_reason

    message = _all_cash_in_xrp(venue, account, cash)

    held, fee = _held_back(venue, resting, limit)
    assert fee > 0
    assert f"{cash - held - fee:,.2f} VCR of cash is free" in message


def _all_cash_in_xrp(venue: Venue, account: Account, cash: Decimal) -> str:
    """Why a market buy of XRP for all of `cash` is refused."""
    xrp = venue.catalog.get("XRP-USD")
    too_much = floor_lots(cash / venue.quote("XRP-USD").ask, xrp.lot_size)
    return rejected(venue.preview(account, "XRP-USD", Side.BUY, too_much), "cash")


def _held_back(venue: Venue, order: Order, price: Decimal) -> tuple[Decimal, Decimal]:
    """The value of an open order at `price`, and its taker fee there, in VCR."""
    marks = venue.engine.marks(venue.now)
    inst = venue.catalog.get(order.symbol)
    value = marks.value(inst, order.qty, price)
    return value, venue.engine.taker_fees_vcr(marks, order, order.qty, price)


def test_an_instrument_that_is_not_shortable_cannot_be_sold_short(venue: Venue) -> None:
    account = venue.open()
    assert not venue.catalog.get("SOL-USD").shortable

    naked, changes = venue.submit(account, "SOL-USD", Side.SELL, 1)

    message = rejected(naked, "shortable")
    assert "cannot be sold short" in message and "you hold 0" in message and "-1" in message
    (event,) = [e for e in changes.events if isinstance(e, ev.OrderRejected)]
    assert event.rule == "shortable"
    bought, _ = venue.submit(account, "SOL-USD", Side.BUY, 2)
    assert bought.status is OrderStatus.FILLED
    assert venue.preview(account, "SOL-USD", Side.SELL, 2).status is not OrderStatus.REJECTED
    rejected(venue.preview(account, "SOL-USD", Side.SELL, 3), "shortable")


def test_a_shortable_stock_can_be_sold_short(venue: Venue) -> None:
    account = venue.open()
    order, _ = venue.submit(account, "AAPL", Side.SELL, 100)
    assert order.status is OrderStatus.FILLED
    assert venue.engine.position(account.id, "AAPL").qty == -100


def test_an_account_with_no_shorting_sells_what_it_holds_and_no_more(venue: Venue) -> None:
    account = venue.open()
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=True)
    bought, _ = venue.submit(account, "AAPL", Side.BUY, 10)
    assert bought.status is OrderStatus.FILLED

    message = rejected(venue.preview(account, "AAPL", Side.SELL, 11), "no_shorting")
    assert "may not sell short" in message and "you hold 10 AAPL" in message
    sold, _ = venue.submit(account, "AAPL", Side.SELL, 10)
    assert sold.status is OrderStatus.FILLED
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=False)
    assert venue.preview(account, "AAPL", Side.SELL, 5).status is not OrderStatus.REJECTED


def test_a_suspended_account_takes_no_order_until_trading_resumes(venue: Venue) -> None:
    account = venue.open()
    changes = venue.engine.set_rules(account.id, trading_suspended=True, no_shorting=None)
    assert changes.accounts == [account] and not account.no_shorting

    for side in (Side.BUY, Side.SELL):
        message = rejected(venue.submit(account, "AAPL", side, 1)[0], "trading_suspended")
        assert "trading is suspended" in message
    venue.engine.set_rules(account.id, trading_suspended=False, no_shorting=None)
    assert venue.submit(account, "AAPL", Side.BUY, 1)[0].status is OrderStatus.FILLED


# -- shape: tick, lot, collar -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"type": OrderType.LIMIT, "limit_price": D("100.005")}, "limit_price 100.005"),
        ({"type": OrderType.STOP, "stop_price": D("300.001")}, "stop_price 300.001"),
    ],
)
def test_a_price_off_the_tick_grid_is_rejected_naming_the_tick_size(
    venue: Venue, fields: dict[str, object], named: str
) -> None:
    account = venue.open()
    order, _ = venue.submit(account, "AAPL", Side.BUY, 1, **fields)

    message = rejected(order, "tick_size")
    assert named in message and "tick size 0.01 of AAPL" in message


@pytest.mark.parametrize(
    ("symbol", "qty", "lot"),
    [("VOD.L", "10.5", "1"), ("BTC-USD", "0.000001", "0.00001"), ("AAPL", "1.00001", "0.0001")],
)
def test_a_quantity_off_the_lot_size_is_rejected_naming_the_lot(
    venue: Venue, symbol: str, qty: str, lot: str
) -> None:
    account = venue.open()
    order, _ = venue.submit(account, symbol, Side.BUY, qty)

    message = rejected(order, "lot_size")
    assert f"quantity {qty} is not a multiple of the lot size {lot} of {symbol}" in message


@pytest.mark.parametrize(("symbol", "collar"), [("AAPL", D("0.10")), ("BTC-USD", D("0.20"))])
@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_a_limit_beyond_the_price_collar_is_rejected_and_one_at_the_collar_is_not(
    venue: Venue, symbol: str, collar: Decimal, side: Side
) -> None:
    account = venue.open()
    tick = venue.catalog.get(symbol).tick_size
    lot = venue.catalog.get(symbol).lot_size
    if side is Side.SELL and venue.catalog.get(symbol).shares:  # sold short in whole shares
        lot = max(lot, D(1))
    if side is Side.SELL and not venue.catalog.get(symbol).shortable:  # crypto: hold it first
        venue.submit(account, symbol, Side.BUY, lot)
    mid = venue.engine.marks(venue.now).mid(symbol)
    sign = 1 if side is Side.BUY else -1
    rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
    at_collar = (mid * (1 + sign * collar) / tick).to_integral_value(rounding=rounding) * tick
    beyond = at_collar + sign * tick

    order = venue.preview(account, symbol, side, lot, type=OrderType.LIMIT, limit_price=beyond)
    inside = venue.preview(account, symbol, side, lot, type=OrderType.LIMIT, limit_price=at_collar)

    message = rejected(order, "price_collar")
    where = "above" if side is Side.BUY else "below"
    assert f"limit price {beyond} is" in message and f"% {where} the market" in message
    assert f"the collar is {collar * 100:.0f}%" in message
    extreme = "highest buy" if side is Side.BUY else "lowest sell"
    assert f"the {extreme} limit allowed is {at_collar}" in message  # the price that passes
    share = Decimal(message.split(" is ")[1].split("%")[0])  # reads as over the collar
    assert share > collar * 100
    assert inside.status is not OrderStatus.REJECTED


def test_an_open_sell_that_only_closes_a_long_reserves_no_margin_whatever_its_limit(
    venue: Venue,
) -> None:
    holder = venue.open()
    venue.submit(holder, "AAPL", Side.BUY, 100)
    before = _available(venue, holder.id)
    far = (venue.quote("AAPL").ask * 2).quantize(D("0.01"))  # a take-profit far above
    venue.submit(holder, "AAPL", Side.SELL, 100, type=OrderType.LIMIT, limit_price=far, tif="gtc")

    assert _available(venue, holder.id) == before


def _spend_on_coins(venue: Venue, balance: int, each: int) -> Account:
    """An account that has spent most of its cash on four coins."""
    account = venue.open(balance=D(balance))
    for coin in ("ETH-USD", "SOL-USD", "BNB-USD", "LTC-USD"):
        lot = venue.catalog.get(coin).lot_size
        venue.submit(account, coin, Side.BUY, floor_lots(D(each) / venue.quote(coin).ask, lot))
    return account


def test_a_cash_only_market_buy_must_cover_the_book_it_walks(venue: Venue) -> None:
    """A crypto market buy that takes several levels pays more than the best ask: the largest
    one the venue accepts still leaves cash at zero or above."""
    account = _spend_on_coins(venue, 1_000_000, 199_000)
    btc = venue.catalog.get("BTC-USD")
    lots_at_ask = int(
        venue.engine.view(account.id, venue.now).cash / venue.quote("BTC-USD").ask / btc.lot_size
    )

    def accepted(lots: int) -> bool:
        return (
            venue.preview(account, "BTC-USD", Side.BUY, lots * btc.lot_size).status
            is not OrderStatus.REJECTED
        )

    low, high = 0, lots_at_ask + 1
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if accepted(middle) else (low, middle)
    order, changes = venue.submit(account, "BTC-USD", Side.BUY, low * btc.lot_size)

    assert order.status is OrderStatus.FILLED
    assert len(changes.fills[0].receipt.slices) > 1  # it walked the book
    left = venue.engine.view(account.id, venue.now).cash
    assert 0 <= left < venue.quote("BTC-USD").ask * btc.lot_size * 2  # priced as it walks
    message = rejected(venue.preview(account, "BTC-USD", Side.BUY, D(1)), "cash")
    assert "not marginable" in message


def test_an_open_buy_stop_holds_back_cash_at_its_stop(venue: Venue) -> None:
    """A buy stop above the market will pay at least its stop: the cash a new cash-only
    order is told is free excludes the stop's value there (and its fee), not at the mid."""
    account = _spend_on_coins(venue, 1_000_000, 199_000)
    btc = venue.catalog.get("BTC-USD")
    stop = floor_lots(venue.quote("BTC-USD").ask * D("1.04"), btc.tick_size)
    order, _ = venue.submit(
        account,
        "BTC-USD",
        Side.BUY,
        D("0.5"),
        type=OrderType.STOP,
        stop_price=stop,
        tif=TimeInForce.GTC,
    )
    assert order.status is OrderStatus.ACCEPTED, order.reject_reason
    cash = venue.engine.view(account.id, venue.now).cash

    message = _all_cash_in_xrp(venue, account, cash)

    held, fee = _held_back(venue, order, stop)
    assert f"{cash - held - fee:,.2f} VCR of cash is free" in message


def test_an_open_trailing_buy_stop_holds_back_margin_at_its_stop(venue: Venue) -> None:
    """A trailing buy stop will pay at least its stop, as a plain stop does: that is what it
    holds back, not the market below it."""
    account = venue.open()
    trail = {"type": OrderType.TRAILING_STOP, "trail_percent": D(20), "tif": TimeInForce.GTC}
    stop, _ = venue.submit(account, "AAPL", Side.BUY, 700, **trail)
    assert stop.status is OrderStatus.ACCEPTED and stop.stop_price is not None
    assert stop.stop_price > venue.quote("AAPL").ask * D("1.19")
    view = venue.engine.view(account.id, venue.now)
    at_stop = venue.engine.marks(venue.now).value(
        venue.catalog.get("AAPL"), D(700), stop.stop_price
    )

    message = rejected(venue.preview(account, "MSFT", Side.BUY, 100_000), "buying_power")

    available = view.nav - view.margin_used - at_stop / 2
    assert f"{available:,.2f} VCR is available" in message


def test_a_trailing_buy_stop_is_checked_at_the_stop_it_starts_with(venue: Venue) -> None:
    """A trailing buy stop 50% above the market is refused where a plain stop there is: the
    position cap counts it at the price it would buy at."""
    account = venue.open()
    ask = venue.quote("AAPL").ask
    qty = floor_lots(D(200_000) / ask, D(1))  # 20% of NAV at the market, 30% at the stop
    plain = venue.preview(
        account,
        "AAPL",
        Side.BUY,
        qty,
        type=OrderType.STOP,
        stop_price=(ask * D("1.5")).quantize(D("0.01")),
    )
    trailing = venue.preview(
        account, "AAPL", Side.BUY, qty, type=OrderType.TRAILING_STOP, trail_percent=D(50)
    )

    assert "limit is 25%" in rejected(plain, "concentration")
    assert "limit is 25%" in rejected(trailing, "concentration")


def largest_that_fits(venue: Venue, account: Account, side: Side, **kw: Any) -> Decimal:
    """The quantity a refusal of a far too large AAPL order says fits at most."""
    message = rejected(venue.preview(account, "AAPL", side, 5_000, **kw), "concentration")
    return D(message.split("at most ")[1].split(" ")[0])


@pytest.mark.parametrize("held", [0, 500])
def test_an_open_order_that_flips_a_position_keeps_the_value_its_check_gave_it(
    venue: Venue, held: int
) -> None:
    """A sell limit 5% above the mid, accepted at the cap: with 500 long held first, the short
    it opens had been valued at the mid once open, and a further 42.7979 had fitted (26.2% of
    NAV were both to fill at the limit)."""
    account = venue.open()
    if held:
        venue.submit(account, "AAPL", Side.BUY, held)
    limit = (venue.engine.marks(venue.now).mid("AAPL") * D("1.05")).quantize(D("0.01"))
    sell = {"type": OrderType.LIMIT, "limit_price": limit, "tif": TimeInForce.GTC}
    first, _ = venue.submit(
        account, "AAPL", Side.SELL, largest_that_fits(venue, account, Side.SELL, **sell), **sell
    )
    assert first.status is OrderStatus.ACCEPTED

    more = venue.preview(account, "AAPL", Side.SELL, 1, **sell)

    assert "no more fits" in rejected(more, "concentration")


def test_an_open_trailing_buy_stop_keeps_the_value_its_check_gave_it(venue: Venue) -> None:
    """A trailing buy stop accepted at the cap was checked at the ask plus its trail but
    valued once open at its stop, the mid plus its trail: a little more had fitted after it."""
    account = venue.open()
    trail = {"type": OrderType.TRAILING_STOP, "trail_price": D(5), "tif": TimeInForce.GTC}
    first, _ = venue.submit(
        account, "AAPL", Side.BUY, largest_that_fits(venue, account, Side.BUY, **trail), **trail
    )
    assert first.status is OrderStatus.ACCEPTED

    more = venue.preview(account, "AAPL", Side.BUY, D("0.0001"), **trail)

    assert "no more fits" in rejected(more, "concentration")


def test_a_cap_set_with_a_fraction_of_a_percent_is_quoted_as_set(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue(max_position_share=D("0.075"))
    account = venue.open()
    qty = floor_lots(D(80_000) / venue.quote("AAPL").ask, D(1))  # 8% of NAV

    message = rejected(venue.preview(account, "AAPL", Side.BUY, qty), "concentration")

    assert "limit is 7.5%;" in message


def test_a_share_just_over_the_cap_is_quoted_with_the_digits_that_show_it_over() -> None:
    """943.6066 AAPL came to 25.0000023% of NAV, and the refusal read "25.0000%; limit is 25%"."""
    from vtrade.execution.validation import _percent

    assert _percent(D("0.250000023"), D("0.25")) == "25.000002%"
    assert _percent(D("0.2512"), D("0.25")) == "25.1%"


def test_a_refusal_shows_enough_digits_to_read_the_need_as_more_than_what_is_free() -> None:
    """A refusal a sliver over the edge once read "needs 40,000.04 VCR ..., 40,000.04 VCR is
    available"."""
    from vtrade.execution.validation import _money_apart

    assert _money_apart(D("40000.0412"), D("40000.0408")) == ("40,000.0412", "40,000.0408")
    assert _money_apart(D("40000.041234"), D("40000.041231")) == (
        "40,000.041234",
        "40,000.041231",
    )
    assert _money_apart(D("52000"), D("40000.5")) == ("52,000.00", "40,000.50")
    assert _money_apart(D("0.004"), D("0")) == ("0.004", "0.000")
    assert _money_apart(D("40000.000000001"), D("40000")) == (
        "40,000.000000001",
        "40,000.000000000",
    )


@pytest.mark.parametrize(("day", "canceled"), [("2024-03-12", 0), ("2024-03-19", 1)])
def test_cash_only_buys_queued_for_the_open_never_leave_it_in_debit(
    make_venue: Callable[..., Venue], day: str, canceled: int
) -> None:
    """Checked before the open at the pre-market book, they trade at the auction's price:
    one the cash no longer covers then is canceled, saying so (they had left the account
    up to 708 VCR in debit, paying margin interest)."""
    venue = make_venue(start=f"{day}T12:00:00Z")  # 08:00 New York, pre-market
    account = venue.open(balance=1_000_000)
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=None, cash_only=True)
    queued = []
    for symbol in ("MSFT", "NVDA", "AMZN", "GOOGL"):
        qty = floor_lots(D(240_000) / venue.quote(symbol).ask, D(1))
        order, _ = venue.submit(account, symbol, Side.BUY, qty)
        assert order.status is OrderStatus.PENDING_OPEN, order.reject_reason
        queued.append(order)
    lo, hi = D(0), D(100_000)  # the largest AAPL buy its check takes: all the cash is spent
    while hi - lo > 1:
        mid = (lo + hi) // 2
        refused = venue.preview(account, "AAPL", Side.BUY, mid).status is OrderStatus.REJECTED
        lo, hi = (lo, mid) if refused else (mid, hi)
    last, _ = venue.submit(account, "AAPL", Side.BUY, lo)
    queued.append(last)

    changes = venue.advance_to(to_ns(parse_instant(f"{day}T15:30:00Z")))

    assert venue.engine.account(account.id).cash >= 0
    assert all(o.status in (OrderStatus.FILLED, OrderStatus.CANCELED) for o in queued)
    reasons = [e.reason for e in changes.events if isinstance(e, ev.OrderCanceled)]
    assert len(reasons) == canceled  # the gap of the 19th's open made one too dear
    for reason in reasons:
        assert reason.startswith("canceled at the open: it needs cash and costs ")
        assert reason.endswith("VCR of cash is free")
