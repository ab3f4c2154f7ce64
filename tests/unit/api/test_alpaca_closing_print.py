"""A bot reading Alpaca trades tells the closing cross from continuous trading by its
conditions, as on the consolidated tape: "6", a closing print (alpaca-compat.md: trades carry
exchange "V", conditions and tape)."""

from __future__ import annotations

import numpy as np

from vtrade import bootstrap
from vtrade.api.alpaca.marketdata_ticks import tick_json
from vtrade.core.clock import NS_PER_MINUTE, parse_instant, to_ns


def test_only_the_closing_cross_carries_the_closing_print_condition() -> None:
    market = bootstrap.build().market
    inst = market.instrument("AAPL")
    days = market.calendar("AAPL").days
    close = int(days.close[days.index_on_or_before(to_ns(parse_instant("2024-03-13T20:00:00Z")))])
    (ticks,) = market.ticks("AAPL", close - NS_PER_MINUTE, close - 1)
    traded = np.flatnonzero(ticks.size > 0)
    trades = [tick_json("trades", inst, ticks, int(i), crypto=False) for i in traded]
    assert [t["c"] for t in trades[:-1]] == [["@"]] * (len(trades) - 1)
    assert trades[-1]["c"] == ["@", "6"]
    assert trades[-1]["p"] == float(market.official_price("AAPL", close - 1, "close"))
