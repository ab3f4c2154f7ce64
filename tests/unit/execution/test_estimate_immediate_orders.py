"""Estimates of ioc and fok orders outside their session: refused, nothing filled."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from conftest import Venue, at, make_container
from vtrade.domain.accounts import Profile
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce
from vtrade.execution.estimate import estimate


@pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
@pytest.mark.parametrize("profile", [Profile.REALISTIC, Profile.FRICTIONLESS])
def test_an_estimate_of_an_ioc_or_fok_order_outside_its_session_expects_no_fill(
    tif: TimeInForce, profile: Profile
) -> None:
    """The venue rejects an ioc/fok order while its market is closed (routing.route); the
    estimate said so (accepted False) yet quoted a fill in the opening auction with fees
    (review of this session's change)."""
    c = make_container()
    e = estimate(
        c.engine, "AAPL", Side.BUY, D(100), at("2024-03-16T15:00:00Z"), profile=profile, tif=tif
    )
    assert e.accepted is False
    assert e.expected_avg_price is None, e.note
    assert e.fees == 0, e.note
    assert "queued" not in (e.note or ""), e.note


def test_a_limit_inside_the_spread_is_quoted_the_maker_fee_and_its_fills_pay_it() -> None:
    """A limit priced through the mid but under the ask does not reach the ask: it rests as
    the best bid, and the flow that meets it fills it at its price as the maker, as one under
    the mid. Its estimate quotes the maker fee (40 bp at tier 1), and that is what its fills
    pay, even when the market moves through it (Coinbase: an order that rests on the book and
    is filled later is a maker)."""
    c = make_container()
    t = c.clock.now_ns()
    quote = c.market.touch("BTC-USD", t)
    mid = (D(repr(quote.bid)) + D(repr(quote.ask))) / 2
    inside, under = mid.quantize(D("0.01")) + D("0.01"), mid.quantize(D("0.01")) - 5
    assert inside < D(repr(quote.ask))
    fees = {}
    for name, limit in (("inside", inside), ("under", under)):
        e = estimate(c.engine, "BTC-USD", Side.BUY, D("0.5"), t, order_type=OrderType.LIMIT,
                     limit_price=limit)  # fmt: skip
        assert e.fillable_now == 0 and e.resting_qty == D("0.5"), e.note
        assert "rests at the limit" in (e.note or ""), e.note
        fees[name] = e.fees / (D("0.5") * limit) * 10_000
    assert round(fees["inside"]) == 40 and round(fees["under"]) == 40  # bp, tier 1

    venue = Venue(c)
    account = venue.open()
    venue.submit(account, "BTC-USD", Side.BUY, D("0.5"), type=OrderType.LIMIT, limit_price=inside)
    fills = venue.advance(600).fills
    assert fills and {f.receipt.liquidity for f in fills} == {"maker"}
    assert {f.price for f in fills} == {inside}
    paid = sum((f.fee for f in fills), D(0)) / sum((f.qty * f.price for f in fills), D(0))
    assert round(paid * 10_000) == round(fees["inside"])
