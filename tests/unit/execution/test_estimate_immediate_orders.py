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


def test_a_limit_through_the_mid_is_quoted_the_taker_fee_and_one_that_rests_the_maker() -> None:
    """Session 22's crypto review: a limit priced through the mid but under the ask works on
    taking the book, yet its estimate quoted the maker fee (40 bp where such fills pay 60).
    It is quoted the taker fee now: what it pays at most, as some of its fills may make."""
    c = make_container()
    t = c.clock.now_ns()
    quote = c.market.touch("BTC-USD", t)
    mid = (D(repr(quote.bid)) + D(repr(quote.ask))) / 2
    through, resting = mid.quantize(D("0.01")) + D("0.01"), mid.quantize(D("0.01")) - 5
    fees = {}
    for name, limit in (("through", through), ("resting", resting)):
        e = estimate(c.engine, "BTC-USD", Side.BUY, D("0.5"), t, order_type=OrderType.LIMIT,
                     limit_price=limit)  # fmt: skip
        assert e.fillable_now == 0 and e.resting_qty == D("0.5"), e.note
        fees[name] = e.fees / (D("0.5") * limit) * 10_000
    assert round(fees["through"]) == 60 and round(fees["resting"]) == 40  # bp, tier 1

    venue = Venue(c)
    account = venue.open()
    venue.submit(account, "BTC-USD", Side.BUY, D("0.5"), type=OrderType.LIMIT, limit_price=through)
    fills = venue.advance(600).fills
    assert "taker" in {f.receipt.liquidity for f in fills}  # a maker quote fell short
    paid = sum((f.fee for f in fills), D(0)) / sum((f.qty * f.price for f in fills), D(0))
    assert paid * 10_000 <= round(fees["through"])
