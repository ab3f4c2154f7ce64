"""Specification of FX spot value dates: two business days on (one for USD/CAD and USD/TRY),
each currency counting its own, a USD holiday not stopping the day after the trade, and the
value date moved to a day that settles in both currencies and in USD; each currency's
settlement calendar named by `execution/data/settlement_calendars.toml`."""

from __future__ import annotations

import re
from datetime import date

import pytest

from vtrade.domain.instruments import AssetClass
from vtrade.execution import value_dates
from vtrade.execution.value_dates import (
    HolidaySource,
    checked_calendars,
    packaged_calendars,
    settles,
    spot_date,
)
from vtrade.market.catalog import Catalog


@pytest.mark.parametrize(
    ("pair", "traded", "spot"),
    [
        # ObjectLab Kit's published examples, 4 July a USD holiday ("Currency Date Calculation")
        ("EUR/USD", date(2006, 6, 30), date(2006, 7, 5)),  # T+2 is 4 July: the next good day
        ("EUR/USD", date(2006, 7, 3), date(2006, 7, 5)),  # 4 July is T+1: USD's does not stop it
        ("EUR/GBP", date(2006, 6, 30), date(2006, 7, 5)),  # a cross does not settle on it either
        ("EUR/MXN", date(2006, 7, 3), date(2006, 7, 6)),  # MXN's T+1 must be a USD day too
        ("GBP/EUR", date(2013, 7, 2), date(2013, 7, 5)),
        # Juneteenth, Monday 19 June 2023, is T+1 of EUR/USD traded on Friday the 16th: spot is
        # Tuesday the 20th, not the 21st (a joint calendar would say)
        ("EUR/USD", date(2023, 6, 16), date(2023, 6, 20)),
        # USD/MXN on Wednesday 17 June 2026: MXN skips Juneteenth, Friday the 19th, as T+2
        ("USD/MXN", date(2026, 6, 17), date(2026, 6, 22)),
        ("USD/MXN", date(2026, 6, 18), date(2026, 6, 23)),  # and as T+1
        ("USD/CAD", date(2026, 6, 30), date(2026, 7, 2)),  # T+1 is Canada Day
        ("USD/JPY", date(2026, 4, 30), date(2026, 5, 7)),  # Golden Week: 1 May, then the 7th
        ("USD/JPY", date(2026, 12, 29), date(2027, 1, 4)),  # Japan's banks: 31 Dec to 3 Jan
    ],
)
def test_spot_is_two_business_days_of_each_currency_on_a_day_that_settles_in_all(
    pair: str, traded: date, spot: date
) -> None:
    base, quote = pair.split("/")
    assert spot_date(base, quote, traded) == spot


def test_each_catalog_currency_has_a_settlement_calendar() -> None:
    catalog = Catalog.load()
    instruments = [catalog.get(symbol) for symbol in catalog.symbols]
    currencies = {
        code
        for inst in instruments
        if inst.asset_class is AssetClass.FX
        for code in (inst.base_currency, inst.currency)
    }
    assert currencies <= set(packaged_calendars())


@pytest.mark.parametrize(
    ("currency", "day", "settle"),
    [
        ("USD", date(2026, 11, 26), False),  # Thanksgiving
        ("USD", date(2026, 7, 3), True),  # the Fed opens the Friday before a Saturday holiday
        ("EUR", date(2026, 12, 26), False),  # a Saturday
        ("EUR", date(2025, 12, 26), False),  # TARGET2's second Christmas day
        ("GBP", date(2026, 8, 31), False),  # England's late summer bank holiday
        ("JPY", date(2026, 9, 22), False),  # a citizens' holiday between two holidays
        ("CHF", date(2026, 1, 2), False),  # Berchtoldstag
        ("CAD", date(2026, 11, 11), False),  # Remembrance Day
        ("CAD", date(2026, 4, 6), True),  # Easter Monday is not a Canadian bank holiday
        ("HKD", date(2026, 4, 3), False),  # Good Friday, a general holiday in Hong Kong
        ("SEK", date(2026, 6, 19), False),  # Midsummer Eve
        ("NOK", date(2026, 12, 24), False),  # Christmas Eve
        ("MXN", date(2025, 12, 12), False),  # the banks' Guadalupe day
        ("NZD", date(2026, 1, 19), False),  # Wellington's anniversary
        ("NZD", date(2026, 1, 26), False),  # and Auckland's
        # a currency without a calendar settles on every weekday but 1 January
        ("PLN", date(2026, 1, 1), False),
        ("PLN", date(2026, 6, 4), True),  # Poland's Corpus Christi
        ("PLN", date(2026, 12, 25), True),
    ],
)
def test_each_currency_settles_on_its_own_calendar(currency: str, day: date, settle: bool) -> None:
    assert settles(currency, day) is settle


def test_a_value_date_is_worked_out_once_per_pair_and_day() -> None:
    value_dates.rolled_days.cache_clear()
    first = value_dates.rolled_days("EUR", "USD", date(2026, 11, 24))
    again = value_dates.rolled_days("EUR", "USD", date(2026, 11, 24))
    assert first == again == 0
    assert value_dates.rolled_days.cache_info().hits == 1


def test_the_packaged_calendars_are_the_holidays_package_s() -> None:
    calendars = packaged_calendars()
    assert calendars["USD"] == (HolidaySource(market="XFED"),)
    assert calendars["GBP"] == (HolidaySource(country="GB", subdiv="ENG"),)
    assert calendars["JPY"] == (HolidaySource(country="JP", categories=("public", "bank")),)


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        (None, "no [calendar] table in test.toml"),
        ({"usd": [{"market": "XFED"}]}, "calendar currency 'usd' in test.toml: use a code"),
        ({"USD": {"market": "XFED"}}, "calendar of USD in test.toml: give a list of sources"),
        ({"USD": []}, "calendar of USD in test.toml: give a list of sources"),
        ({"USD": ["XFED"]}, "calendar of USD in test.toml: 'XFED' is not a table"),
        ({"USD": [{"market": "XFED", "country": "US"}]}, "names a market or a country, not"),
        ({"USD": [{"subdiv": "NY"}]}, "names a market or a country, not"),
        ({"USD": [{"market": "FEDWIRE"}]}, "no financial calendar 'FEDWIRE' (e.g. XFED"),
        ({"USD": [{"market": "XFED", "subdiv": "NY"}]}, "a market's calendar takes no subdiv"),
        ({"USD": [{"markets": "XFED"}]}, "unknown key 'markets'; allowed: market, country"),
        ({"GBP": [{"country": "ZZ"}]}, "the holidays package has no country 'ZZ'"),
        ({"GBP": [{"country": "GB", "subdiv": "LND"}]}, "GB has no subdivision 'LND'; allowed:"),
        ({"GBP": [{"country": "GB", "categories": ["bank"]}]}, "no category 'bank'; allowed:"),
        ({"GBP": [{"country": "GB", "categories": "public"}]}, "categories as a list of text"),
        ({"GBP": [{"country": 44}]}, "needs text"),
    ],
)
def test_a_calendar_table_is_refused_saying_what_is_wrong(table: object, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        checked_calendars(table, "test.toml")
