"""ETFs priced from the index they replicate, inside the day as well as from day to day.

`factors.TRACKS` gives SPY the S&P 500's daily returns; its minutes were still drawn apart, so
inside a day SPY strayed 20-81 bp from the index and met it again at the close, which a bot
traded for a profit every day. An ETF on the index's calendar is now the index times a
constant in its regular session (the constant that makes its reference price its close on the
anchor date), and its ticks there follow the index's mids; its pre- and post-market minutes,
which the index does not have, stay its own, bridging its own first and last prices to the
open and close. Its volumes, spreads and depth stay its own. An ETF on another calendar than
what it holds (GLD and gold futures) shares only the daily returns.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from vtrade.domain.instruments import Instrument
from vtrade.market.catalog import Catalog
from vtrade.market.crosses import Legs
from vtrade.market.daily import DailyPath
from vtrade.market.factors import TRACKS
from vtrade.market.intraday import REGULAR, DayMinutes


def index_of(inst: Instrument, catalog: Catalog) -> Legs | None:
    """The index `inst` replicates, as a one-leg link (None: it tracks none on its calendar)."""
    index = TRACKS.get(inst.symbol)
    if index is None or index not in catalog.symbols:
        return None
    held = catalog.get(index)
    if held.calendar != inst.calendar:
        return None
    basis = math.log(float(inst.market.reference_price) / float(held.market.reference_price))
    return Legs((index,), (1.0,), basis)


def daily(own: DailyPath, link: Legs, index: DailyPath) -> DailyPath:
    """The ETF's days: the index's regular-session prices times the constant; its own first
    and last prices (pre- and post-market), volumes and variances."""
    if not np.array_equal(own.days.day, index.days.day):
        raise ValueError(f"{link.symbols[0]} does not share the ETF's trading days")
    return replace(
        own,
        open=link.combine(index.open),
        high=link.combine(index.high),
        low=link.combine(index.low),
        close=link.combine(index.close),
    )


def minutes(own: DayMinutes, link: Legs, index: DayMinutes) -> DayMinutes:
    """The ETF's minutes of one day: the index's in the regular session, its own outside."""
    regular = own.segment == REGULAR
    if not np.array_equal(own.ts[regular], index.ts):
        raise ValueError(f"{link.symbols[0]} does not share the ETF's regular minutes")
    prices = []
    for mine, theirs in (
        (own.open, index.open),
        (own.high, index.high),
        (own.low, index.low),
        (own.close, index.close),
    ):
        merged = mine.copy()
        merged[regular] = link.combine(theirs)
        prices.append(merged)
    open_, high, low, close = prices
    return replace(own, open=open_, high=high, low=low, close=close)
