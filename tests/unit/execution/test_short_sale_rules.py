"""Short sales of stock are in whole shares: a lender lends whole shares, and brokers refuse
a fractional short (Alpaca: https://docs.alpaca.markets/docs/fractional-trading, "short
selling fractional shares is not supported"; vtrade's own /v2 answers 403 "fractional orders
cannot be sold short"). The native engine opened fractional shorts, and suggested them
(session 22's short-selling review)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal as D
from typing import TYPE_CHECKING

from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus

if TYPE_CHECKING:
    from conftest import Venue


def test_a_fractional_short_sale_from_flat_is_refused(make_venue: Callable[..., Venue]) -> None:
    venue = make_venue()
    account = venue.open()
    order, _ = venue.submit(account, "NVDA", Side.SELL, "0.5")
    assert order.status is OrderStatus.REJECTED  # was: filled, position -0.5 NVDA
    assert order.reject_reason == (
        "whole_shares: NVDA is sold short in whole shares: you hold 0, and this order with "
        "your open sells "
        "would leave -0.5; sell 1"
    )
    assert venue.engine.position(account.id, "NVDA").qty == 0


def test_a_sale_that_leaves_a_fractional_short_is_refused(make_venue: Callable[..., Venue]) -> None:
    venue = make_venue()
    account = venue.open()
    bought, _ = venue.submit(account, "AAPL", Side.BUY, 10)
    assert bought.status is OrderStatus.FILLED
    order, _ = venue.submit(account, "AAPL", Side.SELL, "10.5")
    assert order.status is OrderStatus.REJECTED  # was: filled, position -0.5 AAPL
    assert order.reject_reason is not None
    assert order.reject_reason.endswith("would leave -0.5; sell 10 or 11")
    crypto, _ = venue.submit(account, "BTC-USD", Side.BUY, "0.5")
    assert crypto.status is OrderStatus.FILLED  # fractions of what is not lent are fine
    assert venue.engine.position(account.id, "AAPL").qty == 10


def test_a_cap_refusal_of_a_short_names_a_whole_number_of_shares(
    make_venue: Callable[..., Venue],
) -> None:
    venue = make_venue()
    account = venue.open()
    order, _ = venue.submit(account, "TSLA", Side.SELL, 1000)  # ~40% of NAV, over the 25% cap
    assert order.status is OrderStatus.REJECTED
    fits = re.search(r"at most ([0-9.]+) more fit", order.reject_reason or "")
    assert fits is not None, order.reject_reason
    assert D(fits.group(1)) == D(fits.group(1)).to_integral_value()  # was: e.g. 596.646


def test_the_risk_desk_buys_in_whole_shares_of_a_whole_share_short(
    make_venue: Callable[..., Venue],
) -> None:
    """Shorts of whole shares, margin-called (maintenance 100%, the stress setting the
    liquidation tests use): the desk's partial buy-in leaves a fractional short."""
    from dataclasses import replace
    from decimal import ROUND_FLOOR

    venue = make_venue(maintenance_margin=D(1), liquidate_margin_calls=False)
    account = venue.open()
    for symbol, value in {
        "META": 248_000,
        "MSFT": 245_000,
        "NVDA": 240_000,
        "AMZN": 235_000,
        "GOOGL": 230_000,
    }.items():
        qty = (D(value) / venue.quote(symbol).bid).to_integral_value(rounding=ROUND_FLOOR)
        order, _ = venue.submit(account, symbol, Side.SELL, qty)
        assert order.status is OrderStatus.FILLED, order.reject_reason
    view = venue.engine.view(account.id, venue.now)
    assert view.nav < view.maintenance
    venue.engine.config = replace(venue.engine.config, liquidate_margin_calls=True)
    changes = venue.advance(60)
    buy_ins = [o for o in changes.orders if o.client_order_id.startswith("liquidation-")]
    assert buy_ins
    for order in buy_ins:
        assert order.side is Side.BUY
        assert order.qty == order.qty.to_integral_value(), order.qty  # was: e.g. 103.9091
    for position in venue.engine.positions_of(account.id):
        assert position.qty == position.qty.to_integral_value(), position


def test_a_buy_to_cover_does_not_leave_a_fractional_short(
    make_venue: Callable[..., Venue],
) -> None:
    """Shares are sold short in whole shares: a fractional cover left -9.5 (review of this
    session's change)."""
    venue = make_venue()
    account = venue.open()
    sold, _ = venue.submit(account, "AAPL", Side.SELL, 10)
    assert sold.status is OrderStatus.FILLED, sold.reject_reason
    covered, _ = venue.submit(account, "AAPL", Side.BUY, "0.5")
    assert covered.status is OrderStatus.REJECTED
    assert (covered.reject_reason or "").endswith("would leave -9.5; buy 1")
    assert venue.engine.position(account.id, "AAPL").qty == -10


def test_a_cash_only_account_may_not_sell_stock_short(make_venue: Callable[..., Venue]) -> None:
    """Regulation T: short sales need a margin account; Alpaca's cash accounts (a
    max_margin_multiplier of 1) report shorting_enabled false. A cash-only account sold short
    before, taking the whole value as margin (session 23)."""
    venue = make_venue()
    account = venue.open()
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=None, cash_only=True)
    bought, _ = venue.submit(account, "AAPL", Side.BUY, 10)
    sold, _ = venue.submit(account, "AAPL", Side.SELL, 10)  # closing a long is no short sale
    short, _ = venue.submit(account, "AAPL", Side.SELL, 5)
    assert bought.status is sold.status is OrderStatus.FILLED
    assert short.status is OrderStatus.REJECTED
    assert short.reject_reason == (
        "cash_only: a cash-only account may not sell AAPL short: short sales need a margin "
        "account (set max_margin_multiplier to 2)"
    )
    assert venue.engine.position(account.id, "AAPL").qty == 0


def test_a_cash_only_account_sells_no_shares_short_anywhere_but_may_sell_contracts(
    make_venue: Callable[..., Venue],
) -> None:
    """Selling shares short borrows them, which a cash account cannot do in London either
    (an ISA, a share dealing account): a cash-only account is refused a short of VOD.L as of
    AAPL. Selling a currency pair or a future from flat borrows no security: it stays
    allowed, taking the whole value as margin."""
    venue = make_venue()
    account = venue.open()
    venue.engine.set_rules(account.id, trading_suspended=None, no_shorting=None, cash_only=True)
    vod, _ = venue.submit(account, "VOD.L", Side.SELL, 1_000)
    fx, _ = venue.submit(account, "EUR/USD", Side.SELL, 10_000)
    assert vod.status is OrderStatus.REJECTED
    assert vod.reject_reason == (
        "cash_only: a cash-only account may not sell VOD.L short: short sales need a margin "
        "account (set max_margin_multiplier to 2)"
    )
    assert fx.status is not OrderStatus.REJECTED, fx.reject_reason
    assert venue.engine.position(account.id, "VOD.L").qty == 0


def test_no_stock_is_sold_short_under_2000_of_equity(make_venue: Callable[..., Venue]) -> None:
    """FINRA 4210(b): a margin account needs 2,000 of equity before it sells short (Alpaca:
    shorting_enabled false under it). Other instruments a trader may sell from flat (FX,
    futures) are not short sales of securities."""
    venue = make_venue()
    account = venue.open(balance=1_999)
    short, _ = venue.submit(account, "F", Side.SELL, 10)
    assert short.status is OrderStatus.REJECTED
    assert short.reject_reason == (
        "short_minimum_equity: selling F short needs at least 2,000.00 VCR of equity "
        "(FINRA 4210(b)); the account has 1,999.00 VCR"
    )
    richer = venue.open(balance=2_000)
    allowed, _ = venue.submit(richer, "F", Side.SELL, 10)
    assert allowed.status is OrderStatus.FILLED
