"""Specification of the day counts of overnight financing: each currency's benchmark rate is
a rate over its own money-market year, 365 days for GBP, JPY, HKD and the others that count
ACT/365, 360 for USD, EUR and the rest, as `execution/data/benchmark_rates.toml` says."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError as PydanticValidationError

from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain import events as ev
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus
from vtrade.execution.config import (
    ExecutionConfig,
    checked_day_counts,
    packaged_benchmark_rates,
    packaged_day_counts,
)
from vtrade.execution.financing import contract_day_rate
from vtrade.market.catalog import Catalog
from vtrade.settings import ExecutionSettings

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
CENT = D("0.01")
# the rates these tests are written for (the packaged ones of November 2025), and the spreads
USD, EUR, GBP, JPY, HKD = D("0.0388"), D("0.0193"), D("0.0397"), D("0.0048"), D("0.03")
FX_SPREAD, INDEX_SPREAD = D("0.01"), D("0.015")
CONFIG = ExecutionConfig(
    benchmark_rates={"USD": USD, "EUR": EUR, "GBP": GBP, "JPY": JPY, "HKD": HKD},
    fx_financing_spread=FX_SPREAD,
    index_financing_spread=INDEX_SPREAD,
)  # the packaged day counts


def day_of(symbol: str, qty: int, value: int, days: int = 1) -> Decimal:
    """What `days` of a position of `qty` in `symbol` worth `value` VCR pay, to the cent."""
    day = contract_day_rate(packaged_catalog().get(symbol), D(qty), CONFIG)
    return (value * day * days).quantize(CENT)


@functools.cache
def packaged_catalog() -> Catalog:
    return Catalog.load()


def at(text: str) -> int:
    return to_ns(parse_instant(text))


def test_every_currency_with_a_packaged_rate_says_how_many_days_its_year_counts() -> None:
    counts = packaged_day_counts()
    assert set(counts) == set(packaged_benchmark_rates())
    year_of_365 = {"GBP", "JPY", "AUD", "CAD", "NZD", "HKD", "SGD", "ZAR", "TRY", "NOK"}
    assert {currency for currency, days in counts.items() if days == 365} == year_of_365


def test_a_currency_without_a_day_count_counts_360_days() -> None:
    assert ExecutionConfig(day_counts={}).days_per_year("PLN") == 360
    assert ExecutionConfig().days_per_year("GBP") == 365


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"GBP": 366}, "day count of GBP in test.toml is 366; allowed: 360 or 365 (days a year"),
        ({"JPY": 365.0}, "day count of JPY in test.toml is 365.0; allowed: 360 or 365"),
        ({"EUR": True}, "day count of EUR in test.toml is True; allowed: 360 or 365"),
        ({"gbp": 365}, "day count currency 'gbp' in test.toml: use a code like USD"),
    ],
)
def test_a_day_count_other_than_360_or_365_is_refused_naming_its_currency(
    table: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        checked_day_counts(table, "test.toml")


@pytest.mark.parametrize(
    ("qty", "charged"),
    [
        # long 100,000 GBP at 1.25 USD, worth 125,000 USD: it earns GBP over 365 days and
        # pays USD and the spread (the pair is priced in USD) over 360:
        #   GBP 125,000 x 3.97% / 365 = 4,962.50 / 365 = 13.5959 earned
        #   USD 125,000 x 3.88% / 360 = 4,850.00 / 360 = 13.4722 paid
        #   spread 125,000 x 1% / 360 = 1,250.00 / 360 =  3.4722 paid
        #   13.4722 + 3.4722 - 13.5959 = 3.3486 paid (all over 360: 1,137.50 / 360 = 3.16)
        (100_000, D("3.35")),
        # short: 13.5959 + 3.4722 - 13.4722 = 3.5959 (all over 360: 1,362.50 / 360 = 3.78)
        (-100_000, D("3.60")),
    ],
)
def test_a_gbp_usd_roll_counts_the_pound_over_365_days_and_the_dollar_over_360(
    qty: int, charged: Decimal
) -> None:
    assert day_of("GBP/USD", qty, value=125_000) == charged


@pytest.mark.parametrize(
    ("qty", "days", "charged"),
    [
        # long 100,000 USD, worth 100,000 USD: it earns USD over 360 days and pays JPY and
        # the spread (the pair is priced in JPY) over 365:
        #   USD 100,000 x 3.88% / 360 = 3,880 / 360 = 10.7778 earned
        #   JPY 100,000 x 0.48% / 365 =   480 / 365 =  1.3151 paid
        #   spread 100,000 x 1% / 365 = 1,000 / 365 =  2.7397 paid
        #   1.3151 + 2.7397 - 10.7778 = -6.7230: earned (all over 360: -2,400 / 360 = -6.67)
        (100_000, 1, D("-6.72")),
        # Wednesday's roll, 3 days, rounded once: 3 x -6.72298 = -20.1689 (not 3 x -6.72)
        (100_000, 3, D("-20.17")),
        # short: 10.7778 + 2.7397 - 1.3151 = 12.2024 (all over 360: 4,400 / 360 = 12.22)
        (-100_000, 1, D("12.20")),
    ],
)
def test_a_usd_jpy_roll_counts_the_dollar_over_360_days_and_the_yen_over_365(
    qty: int, days: int, charged: Decimal
) -> None:
    assert day_of("USD/JPY", qty, value=100_000, days=days) == charged


def test_a_eur_gbp_roll_counts_the_euro_over_360_days_and_the_pound_over_365() -> None:
    # long 100,000 EUR worth 110,000 USD: EUR 110,000 x 1.93% / 360 = 5.8972 earned;
    # GBP 110,000 x 3.97% / 365 = 11.9644 and the spread 110,000 x 1% / 365 = 3.0137 paid:
    # 11.9644 + 3.0137 - 5.8972 = 9.0809
    assert day_of("EUR/GBP", 100_000, value=110_000) == D("9.08")


@pytest.mark.parametrize(
    ("symbol", "qty", "charged"),
    [
        # a night of 100,000 USD of an index: its currency's rate +/- 1.5% over its year
        ("UKX", 1, D("14.99")),  # GBP: 100,000 x (3.97% + 1.5%) / 365 = 5,470 / 365 = 14.9863
        ("UKX", -1, D("-6.77")),  # short: 100,000 x (1.5% - 3.97%) / 365 = -2,470 / 365
        ("MCX", 1, D("14.99")),  # the FTSE 250, in GBP too
        ("N225", 1, D("5.42")),  # JPY: 100,000 x (0.48% + 1.5%) / 365 = 1,980 / 365 = 5.4247
        ("HSI", 1, D("12.33")),  # HKD: 100,000 x (3.00% + 1.5%) / 365 = 4,500 / 365 = 12.3288
        ("SPX", 1, D("14.94")),  # USD: 100,000 x (3.88% + 1.5%) / 360 = 5,380 / 360 = 14.9444
        ("SPX", -1, D("-6.61")),  # short: 100,000 x (1.5% - 3.88%) / 360 = -2,380 / 360
        ("DAX", 1, D("9.53")),  # EUR: 100,000 x (1.93% + 1.5%) / 360 = 3,430 / 360 = 9.5278
    ],
)
def test_an_index_is_financed_over_its_currency_s_year(
    symbol: str, qty: int, charged: Decimal
) -> None:
    assert day_of(symbol, qty, value=100_000) == charged


def test_the_engine_rolls_each_fx_leg_and_finances_each_index_over_its_own_year(
    venue: Venue,
) -> None:
    """Through the engine, from Friday 15 March 2024 to Saturday's midnight: at Friday's
    17:00 in New York GBP/USD rolls one day and USD/JPY two (its value date moves from Tuesday
    the 19th over Japan's spring equinox, Wednesday the 20th, to Thursday), the indices are
    financed at the midnight, each on its value at the mid then."""
    symbols = {"GBP/USD": 100_000, "USD/JPY": 100_000, "UKX": 10, "SPX": 15}
    accounts = {}
    for symbol, qty in symbols.items():
        accounts[symbol] = account = venue.open()
        order, _ = venue.submit(account, symbol, Side.BUY, qty)
        assert order.status is OrderStatus.FILLED, order.reject_reason

    changes = venue.advance_to(at("2024-03-16T04:00:00Z"))

    charged = {
        e.account_id: e.contracts for e in changes.events if isinstance(e, ev.FinancingCharged)
    }
    value = {}
    for symbol, qty in symbols.items():
        inst = venue.catalog.get(symbol)  # a pair rolls at 17:00, an index at midnight
        when = "2024-03-15T21:00:00Z" if inst.base_currency else "2024-03-16T04:00:00Z"
        value[symbol] = venue.engine.marks(at(when)).value(inst, D(qty))
    expected = {
        # GBP/USD at its 1.31064 mid, 131,064 USD: 14.1258 + 3.6407 - 14.2554 = 3.51
        "GBP/USD": value["GBP/USD"] * ((USD + FX_SPREAD) / 360 - GBP / 365),
        # USD/JPY, 100,000 USD, two days: 2 x (1.3151 + 2.7397 - 10.7778) = -13.45
        "USD/JPY": value["USD/JPY"] * ((JPY + FX_SPREAD) / 365 - USD / 360) * 2,
        "UKX": value["UKX"] * (GBP + INDEX_SPREAD) / 365,
        "SPX": value["SPX"] * (USD + INDEX_SPREAD) / 360,
    }
    assert {s: charged[a.id] for s, a in accounts.items()} == {
        s: e.quantize(CENT) for s, e in expected.items()
    }


def test_the_same_positions_are_charged_the_same_every_time(
    make_venue: Callable[..., Venue],
) -> None:
    def charges() -> list[tuple[int, Decimal]]:
        venue = make_venue()
        for symbol, side, qty in (
            ("GBP/USD", Side.BUY, 100_000),
            ("USD/JPY", Side.SELL, 100_000),
            ("UKX", Side.SELL, 10),
        ):
            order, _ = venue.submit(venue.open(), symbol, side, qty)
            assert order.status is OrderStatus.FILLED, order.reject_reason
        changes = venue.advance_to(at("2024-03-19T04:00:00Z"))  # Friday to Tuesday
        return [
            (e.ts_event, e.contracts) for e in changes.events if isinstance(e, ev.FinancingCharged)
        ]

    first = charges()
    assert len(first) == 2 * 2 + 4  # each pair's Friday and Monday rolls, UKX's four nights
    assert first == charges()


def test_a_day_count_set_in_the_settings_counts_over_the_packaged_one(
    make_venue: Callable[..., Venue],
) -> None:
    """VTRADE_EXECUTION__DAY_COUNTS='{"eur": 365}': the DAX, in euros, pays over 365 days."""
    venue = make_venue(day_counts={"eur": 365})
    account = venue.open()
    order, _ = venue.submit(account, "DAX", Side.BUY, 8)
    assert order.status is OrderStatus.FILLED, order.reject_reason

    changes = venue.advance_to(at("2024-03-16T04:00:00Z"))  # Friday's midnight in New York

    (charge,) = [e for e in changes.events if isinstance(e, ev.FinancingCharged)]
    dax = venue.engine.marks(at("2024-03-16T04:00:00Z")).value(venue.catalog.get("DAX"), D(8))
    assert charge.contracts == (dax * (EUR + INDEX_SPREAD) / 365).quantize(CENT)


@pytest.mark.parametrize(
    ("counts", "problem"),
    [
        ({"PLN": 366}, "day count of PLN in VTRADE_EXECUTION__DAY_COUNTS is 366; allowed: 360"),
        ({"PL": 365}, "day count currency 'PL': use a code like USD"),
        ({"pln": 365, "PLN": 360}, "day count set twice, as pln and PLN: set it once"),
    ],
)
def test_a_day_count_setting_other_than_360_or_365_is_refused_saying_what_is_allowed(
    counts: dict[str, int], problem: str
) -> None:
    with pytest.raises(PydanticValidationError, match=re.escape(problem)):
        ExecutionSettings(day_counts=counts)
