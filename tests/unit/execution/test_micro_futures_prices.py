"""A micro future quotes its standard contract's price (session 22's contracts review).

CME Micro Gold (MGC, 10 oz) is quoted in dollars per troy ounce, as Gold (GC, 100 oz) is, with
the same 0.10 tick; Micro WTI (MCL, 100 bbl) quotes CL's dollars per barrel. Simulated apart,
GC and MGC stood 307.60 apart (GC/MGC closes 0.846-1.151 over 2024) and a gold-neutral book,
long 1 GC and short 10 MGC, earned +30,723.66 VCR in three months.
"""

from __future__ import annotations

from decimal import Decimal

from conftest import at, make_container
from vtrade.domain.market_data import Interval

MINUTE = 60 * 1_000_000_000


def test_micro_futures_quote_their_standard_contracts_price_through_the_session() -> None:
    c = make_container()
    start = at("2024-03-15T00:00:00Z")
    for micro, parent, ticks in (("MGC", "GC", 3), ("MCL", "CL", 3)):
        tick = c.catalog.get(parent).tick_size
        for t in range(start, start + 20 * 60 * MINUTE, 37 * MINUTE):
            a, b = c.market.touch(micro, t), c.market.touch(parent, t)
            gap = abs((a.bid + a.ask) - (b.bid + b.ask)) / 2
            assert gap <= ticks * float(tick), (micro, t, a, b)


def test_micro_futures_daily_bars_are_their_standard_contracts() -> None:
    c = make_container()
    start, end = at("2024-02-01T00:00:00Z"), at("2024-06-01T00:00:00Z")
    for micro, parent in (("MGC", "GC"), ("MCL", "CL")):
        a = c.market.bars(micro, Interval.D1, start, end)
        b = c.market.bars(parent, Interval.D1, start, end)
        assert list(a.ts) == list(b.ts) and len(a.ts) > 60
        for x, y in ((a.open, b.open), (a.close, b.close), (a.high, b.high), (a.low, b.low)):
            assert [Decimal(str(v)) for v in x] == [Decimal(str(v)) for v in y]
        assert list(a.volume) != list(b.volume)  # its own market: its own volume
