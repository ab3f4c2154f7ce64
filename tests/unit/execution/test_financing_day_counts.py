"""Specification of the day counts of overnight financing: each currency's benchmark rate is
a rate over its own money-market year, 365 days for GBP, JPY, HKD and the others that count
ACT/365, 360 for USD, EUR and the rest, as `execution/data/benchmark_rates.toml` says."""

from __future__ import annotations

import re

import pytest

from vtrade.execution.config import (
    ExecutionConfig,
    checked_day_counts,
    packaged_benchmark_rates,
    packaged_day_counts,
)


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
