"""An opg order's opening clearing is the same whatever the step, with an extended-hours
limit on its side resting from the pre-market, and the ledger's fills go forward in time: a
pre-market fill is never recorded after the auction's. (An attempt to let such limits join
the opening auction broke both with 60 s steps: the clearing counted shares the limit then
filled in the pre-market's last seconds.)

AAPL on 2024-03-25: the pre-market asks 275.95 at 09:29:55, a sell prints 391 at 275.87 at
09:29:58; the open crosses at 275.89."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from conftest import EXTENDED_BUY_BEFORE_THE_OPEN, SECOND, at
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
OPEN = at("2024-03-25T13:30:00Z")


def _play(make_venue: Callable[..., Venue], step_ms: int) -> tuple[list[tuple], list[int]]:
    venue = make_venue("2024-03-25T13:20:00Z", step_ms=step_ms)
    account = venue.open(balance=10**8)
    venue.advance_to(at("2024-03-25T13:25:00Z"))
    opg, _ = venue.submit(
        account, "AAPL", Side.BUY, 300, type=OrderType.MARKET, tif=TimeInForce.OPG
    )
    venue.advance_to(at("2024-03-25T13:29:00Z"))
    regular, _ = venue.submit(
        account, "AAPL", Side.BUY, 5000, type=OrderType.LIMIT, limit_price=D("275.90")
    )
    venue.advance_to(at("2024-03-25T13:29:55Z"))
    extended, _ = venue.submit(account, "AAPL", Side.BUY, 1000, **EXTENDED_BUY_BEFORE_THE_OPEN)
    fills = venue.advance_to(OPEN + 120 * SECOND).fills
    names = {opg.id: "opg", regular.id: "regular", extended.id: "extended"}
    crossed = sorted(
        (names[f.order_id], f.price, f.qty) for f in fills if f.receipt.liquidity == "auction"
    )
    return crossed, [f.ts_ns for f in fills]


def test_the_opening_clearing_is_the_same_with_1s_and_60s_steps(
    make_venue: Callable[..., Venue],
) -> None:
    fine, _ = _play(make_venue, 1_000)
    coarse, _ = _play(make_venue, 60_000)
    assert fine  # all three cross at the open
    assert coarse == fine


@pytest.mark.parametrize("step_ms", [1_000, 60_000])
def test_no_pre_market_fill_is_recorded_after_the_open_crossed(
    make_venue: Callable[..., Venue], step_ms: int
) -> None:
    """The ledger's fills go forward in time: a pre-market fill (stamped before the open)
    is not recorded after an opening-auction fill."""
    _, stamps = _play(make_venue, step_ms)
    assert stamps == sorted(stamps)
