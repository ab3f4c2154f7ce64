"""A restart's replay rebuilds the flow state `consume` left, bit for bit (found in session
23's diff review: replay summed each slice's units as floats, consume multiplied the lots
once, and BTC-USD's flow differed in its last bit after a nine-level sweep)."""

from __future__ import annotations

from datetime import date

import pytest

from vtrade import bootstrap
from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain.market_data import Side
from vtrade.market.synthetic import SyntheticMarket
from vtrade.settings import MarketSettings, Settings

T0 = to_ns(parse_instant("2024-03-15T15:00:00Z"))


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    settings = Settings(
        market=MarketSettings(first_day=date(2024, 1, 1), last_day=date(2026, 12, 31))
    )
    return bootstrap.build(settings).market


@pytest.mark.parametrize("symbol", ["BTC-USD", "ETH-USD"])
def test_replay_rebuilds_the_flow_exactly(market: SyntheticMarket, symbol: str) -> None:
    live = SyntheticMarket(market.catalog, market.sessions, market.config)
    again = SyntheticMarket(market.catalog, market.sessions, market.config)
    inst = market.catalog.get(symbol)
    mismatches = []
    t = T0
    for k in range(1, 60):
        # sweeps of several levels, sized in odd numbers of lots
        qty = inst.lot_size * (7919 * k)
        taken = live.books.consume(symbol, Side.BUY, qty, t)
        again.books.replay(symbol, Side.BUY, [(lv.price, lv.size) for lv in taken], t)
        a = live.books._liquidity[symbol]
        b = again.books._liquidity[symbol]
        fa, fb = a.flows[1].value(t), b.flows[1].value(t)
        if fa != fb or a.displacement(t) != b.displacement(t):
            mismatches.append((k, len(taken), fa, fb, a.displacement(t), b.displacement(t)))
        t += 30 * 10**9
    assert not mismatches, mismatches[:3]
