"""Estimates of ioc and fok orders outside their session: refused, nothing filled."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from conftest import at, make_container
from vtrade.domain.accounts import Profile
from vtrade.domain.market_data import Side
from vtrade.domain.orders import TimeInForce
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
