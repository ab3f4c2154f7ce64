"""Specification of FX rollovers around holidays: each FX trading day's 17:00 roll finances the
days the pair's spot value date moves, and value dates skip the settlement holidays of each of
its currencies (Fedwire's for USD, TARGET2's for EUR, England's bank holidays for GBP, Japan's,
Canada's, ...) and, for a cross, USD's, as `value_dates` counts them. Each list is checked by
hand: the days between one trading day's spot and the next's."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain import events as ev
from vtrade.domain.accounts import EntryKind
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus
from vtrade.execution.financing import rolled_days
from vtrade.market.catalog import Catalog
from vtrade.market.sessions_build import fx_trading_day

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
EUR, USD, JPY, FX_SPREAD = D("0.0193"), D("0.0388"), D("0.0048"), D("0.01")  # packaged


@functools.cache
def catalog() -> Catalog:
    return Catalog.load()


def rolls_from(symbol: str, first: date, count: int) -> list[int]:
    """The days rolled at the end of `count` FX trading days from `first`."""
    days, day = [], first
    while len(days) < count:
        if fx_trading_day(day):
            days.append(rolled_days(catalog().get(symbol), day))
        day += timedelta(days=1)
    return days


@pytest.mark.parametrize(
    ("symbol", "first", "days"),
    [
        # Thanksgiving, Thursday 26 November 2026, a USD holiday. Tuesday's spot would be that
        # Thursday: it is Friday, as is Wednesday's, whose T+1 the holiday does not stop.
        # Spots from Monday: Wed 25, Fri 27, Fri 27, Mon 30, Tue 1 Dec, Wed 2 Dec.
        ("EUR/USD", date(2026, 11, 23), [2, 0, 3, 1, 1]),
        # USD/JPY also meets Japan's Labour Thanksgiving, Monday 23 November: spots from
        # Wednesday 18: Fri 20, Tue 24, Wed 25, Wed 25, Fri 27, Fri 27, Mon 30, Tue 1, Wed 2.
        ("USD/JPY", date(2026, 11, 18), [4, 1, 0, 2, 0, 3, 1, 1]),
        # Good Friday and Easter Monday, 3 and 6 April 2026, England's bank holidays (not the
        # Fed's): from Tuesday 31 March, spots Thu 2, Tue 7, Wed 8, Wed 8, Wed 8, Thu 9.
        ("GBP/USD", date(2026, 3, 31), [5, 1, 0, 0, 1]),
        # The early May bank holiday, Monday 4 May 2026: Wednesday's roll counts four days,
        # from Friday 1 May to Tuesday 5; spots Fri 1, Tue 5, Wed 6, Wed 6, Thu 7.
        ("GBP/USD", date(2026, 4, 29), [4, 1, 0, 1]),
        # Golden Week 2026: Showa Day Wednesday 29 April, then 4, 5 and 6 May (the 6th for
        # Constitution Day, a Sunday). Spots from Friday 24 April: Tue 28, Thu 30, Fri 1, Fri 1,
        # Thu 7, Fri 8, Fri 8, Fri 8, Fri 8, Mon 11.
        ("USD/JPY", date(2026, 4, 24), [2, 1, 0, 6, 1, 0, 0, 0, 3]),
        # A cross does not settle on a USD holiday: Wednesday 17 June 2026's spot would be
        # Juneteenth, Friday the 19th; it is Monday the 22nd, as is Thursday's.
        ("EUR/GBP", date(2026, 6, 16), [4, 0, 1]),
        # T+1 over Canada Day, Wednesday 1 July 2026: Tuesday's spot is Thursday 2, as is
        # Wednesday's; Thursday's, Friday 3, is a Fed business day (4 July is a Saturday, and
        # the Fed does not close the Friday before). Spots from Monday 29 June: Tue 30, Thu 2,
        # Thu 2, Fri 3, Mon 6, Tue 7.
        ("USD/CAD", date(2026, 6, 29), [2, 0, 1, 3, 1]),
        # An ordinary week, 9 to 13 March 2026: Wednesday's roll covers the weekend.
        ("EUR/USD", date(2026, 3, 9), [1, 1, 3, 1, 1]),
    ],
)
def test_a_roll_finances_the_days_the_value_date_moves_over_each_currency_s_holidays(
    symbol: str, first: date, days: list[int]
) -> None:
    assert rolls_from(symbol, first, len(days)) == days


def rolls_of(
    make_venue: Callable[..., Venue], start: str, end: str, symbols: tuple[str, ...]
) -> tuple[list[ev.FinancingCharged], list[str], dict[tuple[str, int], Decimal]]:
    """The rolls of one account long 100,000 of each of `symbols` from `start` to `end`, the
    notes of their ledger entries, and each pair's value at each rollover."""
    venue = make_venue(start=start)
    account = venue.open()
    for symbol in symbols:
        order, _ = venue.submit(account, symbol, Side.BUY, 100_000)
        assert order.status is OrderStatus.FILLED, order.reject_reason
    changes = venue.advance_to(to_ns(parse_instant(end)))
    rolls = [e for e in changes.events if isinstance(e, ev.FinancingCharged)]
    notes = [e.note for e in changes.ledger if e.kind is EntryKind.FINANCING]
    values = {
        (symbol, roll.ts_event): venue.engine.marks(roll.ts_event).value(
            venue.catalog.get(symbol), D(100_000)
        )
        for symbol in symbols
        for roll in rolls
    }
    return rolls, notes, values


def test_thanksgiving_week_charges_two_days_on_monday_none_on_tuesday_three_on_wednesday(
    make_venue: Callable[..., Venue],
) -> None:
    """Long 100,000 EUR/USD from Monday 25 to Monday 2 December 2024 (Thanksgiving is
    Thursday the 28th): Tuesday's value date, Friday the 29th, is Wednesday's too, so Monday's
    roll finances two days (Wednesday 27 to Friday 29) and Tuesday's nothing. Before value
    dates skipped USD holidays each of the four weekdays but Wednesday rolled one day."""
    rolls, notes, values = rolls_of(
        make_venue, "2024-11-25T20:00:00Z", "2024-12-02T20:00:00Z", ("EUR/USD",)
    )

    closes = [to_ns(parse_instant(f"2024-11-{d}T22:00:00Z")) for d in (25, 27, 28, 29)]
    assert [roll.ts_event for roll in rolls] == closes  # 17:00 in New York (EST)
    for roll, days in zip(rolls, (2, 3, 1, 1), strict=True):
        value = values["EUR/USD", roll.ts_event]
        assert roll.contracts == (value * (USD - EUR + FX_SPREAD) * days / 360).quantize(D("0.01"))
    assert notes == ["FX rollover, 2 days", "FX rollover, 3 days"] + ["FX rollover, one day"] * 2


def test_a_pair_whose_value_date_stays_put_is_not_rolled_beside_one_whose_date_moves(
    make_venue: Callable[..., Venue],
) -> None:
    """Long EUR/USD and USD/JPY on Tuesday 19 March 2024: Wednesday the 20th is Japan's spring
    equinox, so USD/JPY's spot is Friday the 22nd both on Tuesday and on Wednesday. Tuesday's
    roll charges EUR/USD's day alone, and its note says one day, not "0 to 1 days"."""
    rolls, notes, values = rolls_of(
        make_venue, "2024-03-19T14:00:00Z", "2024-03-20T14:00:00Z", ("EUR/USD", "USD/JPY")
    )

    (roll,) = rolls
    eur_usd = values["EUR/USD", roll.ts_event] * (USD - EUR + FX_SPREAD) / 360
    assert roll.contracts == eur_usd.quantize(D("0.01"))
    assert notes == ["FX rollover, one day"]
