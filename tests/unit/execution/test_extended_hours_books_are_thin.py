"""The US pre- and post-market book is thin: book depth follows volume over spread^1.5 on the
regular session's scale (README, "Synthetic market"), and those sessions trade about a
twentieth of a regular minute's volume at four times its spread, so their depth sits at its
floor, a fifth of the regular session's mean. Each segment had been normalized on its own
mean, which made the extended books as deep as the regular session's average: a block cost
less impact at 08:00 New York than at noon (found by the extended-hours review)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pytest

from vtrade.bootstrap import Container
from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType
from vtrade.market import profiles

D = Decimal
NOON = "2024-03-15T16:30:00Z"  # 12:30 New York (EDT)
PRE, POST = "2024-03-15T12:00:00Z", "2024-03-15T21:00:00Z"  # 08:00 and 17:00 New York


def _taken_at_once(
    make_container: Callable[..., Container], when: str, qty: int
) -> tuple[Decimal, float, float]:
    """(impact in bp of a `qty` AAPL extended-hours buy taking the book at `when`, the 20
    levels' ask depth then, the volume printed in the minute before)."""
    c = make_container(when)
    t = c.engine.now_ns
    account, _ = c.engine.open_account(
        OpenAccount(id="a", ts_init=0, owner="o", name="a", balance=D(10**10)), t
    )
    quote = c.market.books.quote("AAPL", t)
    book = c.market.books.book("AAPL", t, c.market.books.levels)
    depth = sum(float(level.size) for level in book.asks)
    volume = float(c.market.prints("AAPL", t - 60 * 10**9, t).volume)
    limit = (D(str(quote.ask)) * D("1.05")).quantize(D("0.01"))
    order, changes = c.engine.submit(
        SubmitOrder(
            id="s",
            ts_init=t,
            account_id=account.id,
            symbol="AAPL",
            side=Side.BUY,
            qty=D(qty),
            type=OrderType.LIMIT,
            limit_price=limit,
            extended_hours=True,
        ),
        t,
    )
    assert order.filled_qty == qty  # all of it at once
    paid = sum(f.receipt.impact_cost for f in changes.fills)
    return paid / (changes.fills[0].receipt.arrival_mid * qty) * 10_000, depth, volume


@pytest.mark.parametrize("extended", [PRE, POST])
def test_a_block_costs_more_impact_in_the_extended_session_than_at_noon(
    build_container: Callable[..., Container], extended: str
) -> None:
    noon_impact, noon_depth, noon_volume = _taken_at_once(build_container, NOON, 5_000)
    impact, depth, volume = _taken_at_once(build_container, extended, 5_000)

    assert volume * 3 < noon_volume  # the feed itself trades far less then
    assert depth < noon_depth / 2, (depth, noon_depth)  # thin where it is wide
    assert impact > D("1.5") * noon_impact, (impact, noon_impact)


def test_the_extended_depth_follows_the_rule_on_the_regular_scale_with_a_floor() -> None:
    day = to_ns(parse_instant("2024-03-15T13:30:00Z"))
    regular = profiles.of_session("us", day + np.arange(390) * 60 * 10**9)
    extended = profiles.extended(np.arange(330))
    busy = profiles.Profile(
        extended.volume, extended.volume, regular.spread.mean() * extended.volume
    )

    pre = profiles.extended_depth(regular, extended, 0.04 * 390 / 330)
    as_busy = profiles.extended_depth(regular, busy, 1.0)  # a regular minute's volume, spread

    assert np.allclose(pre, 0.2)  # the rule's 1% is under the floor
    assert 0.7 < float(as_busy.mean()) < 1.3  # as deep as the regular session's mean
