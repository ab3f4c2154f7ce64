"""Settings: unknown `VTRADE_…` variables and bad values are refused, one readable line each."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from vtrade.settings import (
    CLIENT_VARIABLES,
    Settings,
    SettingsError,
    load_settings,
    variable_names,
)

URL_FORMS = "use sqlite:///path.db or postgresql://user:pass@host/db"


@pytest.fixture(autouse=True)
def _no_vtrade_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep `VTRADE_…` variables of the developer's shell out of the settings."""
    for name in list(os.environ):
        if name.upper().startswith("VTRADE_"):
            monkeypatch.delenv(name)


def problems(monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[str, ...]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert all("\n" not in p and "pydantic" not in p for p in caught.value.problems)
    return caught.value.problems


def test_a_misspelt_top_level_variable_is_refused_naming_the_closest_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (line,) = problems(monkeypatch, VTRADE_DATABSE_URL="sqlite:///elsewhere.db")

    assert line == (
        "unknown environment variable VTRADE_DATABSE_URL; did you mean VTRADE_DATABASE_URL?"
        " Every setting is listed under Configuration in README.md"
    )


def test_a_misspelt_nested_variable_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (line,) = problems(monkeypatch, VTRADE_API__RATE_PER_SECONDS="3")

    assert "VTRADE_API__RATE_PER_SECONDS" in line
    assert "did you mean VTRADE_API__RATE_PER_SECOND?" in line
    assert "https://" not in line


def test_each_unknown_variable_is_its_own_line_and_a_far_one_gets_no_guess(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = problems(monkeypatch, VTRADE_ZZZ="1", VTRADE_MARKET__SEDE="7")

    assert lines == (
        "unknown environment variable VTRADE_MARKET__SEDE; did you mean VTRADE_MARKET__SEED?"
        " Every setting is listed under Configuration in README.md",
        "unknown environment variable VTRADE_ZZZ;"
        " every setting is listed under Configuration in README.md",
    )


def test_lower_case_variables_are_settings_too_and_checked_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("vtrade_market__seed", "7")
    assert load_settings().market.seed == 7

    (line,) = problems(monkeypatch, vtrade_market__sed="7")
    assert "VTRADE_MARKET__SED" in line and "VTRADE_MARKET__SEED" in line


def test_the_test_suites_own_variables_are_not_settings_and_not_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VTRADE_REQUIRE_SERVICES", "1")
    monkeypatch.setenv("VTRADE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test")

    assert load_settings().market.seed == 42


def test_the_trading_commands_variables_are_not_settings_and_not_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in CLIENT_VARIABLES:
        monkeypatch.setenv(name, "set in the shell that runs `vtrade order`")

    assert load_settings().market.seed == 42


def test_keys_of_a_mapping_setting_may_be_set_one_variable_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VTRADE_EXECUTION__LEVERAGE__FX", "20")

    assert load_settings().execution.leverage == {"fx": Decimal(20)}


@pytest.mark.parametrize("times", ["0", "-2", "0.5", "1000"])
def test_a_leverage_outside_one_to_a_hundred_is_refused(
    monkeypatch: pytest.MonkeyPatch, times: str
) -> None:
    (line,) = problems(monkeypatch, VTRADE_EXECUTION__LEVERAGE__EQUITY=times)

    assert line.startswith("VTRADE_EXECUTION__LEVERAGE")
    assert f"leverage of equity is {times}; allowed: 1 (cash only) to 100" in line


@pytest.mark.parametrize(
    ("balance", "why"),
    [
        ("1e13", "at most 1,000,000,000,000 VCR, got 10,000,000,000,000"),
        ("12345.678", "whole cents (at most 2 decimal places), got 12345.678"),
        ("0", "a positive amount, got 0"),
    ],
)
def test_an_initial_balance_the_api_would_refuse_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, balance: str, why: str
) -> None:
    (line,) = problems(monkeypatch, VTRADE_EXECUTION__INITIAL_BALANCE=balance)

    assert line.startswith("VTRADE_EXECUTION__INITIAL_BALANCE") and why in line


def test_unprefixed_variables_such_as_port_and_seed_are_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "3000")
    monkeypatch.setenv("SEED", "7")
    monkeypatch.setenv("INITIAL_BALANCE", "5")

    s = Settings()
    assert (s.api.port, s.market.seed, s.execution.initial_balance) == (8000, 42, 1_000_000)


def test_a_garbage_database_url_says_what_a_database_url_looks_like(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (line,) = problems(monkeypatch, VTRADE_DATABASE_URL="garbage")

    assert line == f"VTRADE_DATABASE_URL 'garbage' is not a database URL; {URL_FORMS}"


@pytest.mark.parametrize(
    ("url", "shown", "why"),
    [
        ("mysql://root:hunter2@db/app", "mysql://root:***@db/app", "not a SQLite or PostgreSQL"),
        ("postgresql://root:hunter2@db:port/app", "postgresql://root:***@db:port/app", "not a"),
    ],
)
def test_a_refused_database_url_never_shows_its_password(
    monkeypatch: pytest.MonkeyPatch, url: str, shown: str, why: str
) -> None:
    (line,) = problems(monkeypatch, VTRADE_DATABASE_URL=url)

    assert line.startswith(f"VTRADE_DATABASE_URL {shown!r} is {why}")
    assert "hunter2" not in line and line.endswith(URL_FORMS)


def test_every_bad_value_is_one_line_naming_its_variable_and_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = problems(
        monkeypatch,
        VTRADE_API__PORT="abc",
        VTRADE_EXECUTION__INITIAL_BALANCE="-5",
        VTRADE_EXECUTION__LEVERAGE__FX="lots",
    )

    assert sorted(lines) == [
        "VTRADE_API__PORT 'abc' is invalid: input should be a valid integer, unable to parse"
        " string as an integer",
        "VTRADE_EXECUTION__INITIAL_BALANCE '-5' balance must be a positive amount, got -5",
        "VTRADE_EXECUTION__LEVERAGE (item 'fx') 'lots' is invalid: input should be a valid decimal",
    ]


def test_an_unknown_key_inside_a_json_section_is_refused_like_a_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (line,) = problems(monkeypatch, VTRADE_API='{"prot": 9000}')

    assert line.startswith("unknown setting VTRADE_API__PROT; did you mean VTRADE_API__PORT")


def test_a_bad_override_is_named_by_its_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTRADE_DATABASE_URL", "sqlite:///fine.db")
    with pytest.raises(SettingsError) as caught:
        load_settings({"database_url": "nope"}, flags={"database_url": "--database-url"})

    assert caught.value.problems == (f"--database-url 'nope' is not a database URL; {URL_FORMS}",)


def test_overrides_merge_into_the_environments_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTRADE_MARKET__BOOK_LEVELS", "30")
    monkeypatch.setenv("VTRADE_MARKET__SEED", "3")

    market = load_settings({"market": {"seed": 7}}).market

    assert (market.seed, market.book_levels) == (7, 30)


def test_the_readme_lists_every_setting_and_only_settings() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"VTRADE_[A-Z_]*[A-Z]", readme))
    names, keyed = variable_names()

    assert set(names) - {"VTRADE_MARKET", "VTRADE_EXECUTION", "VTRADE_PORTFOLIO", "VTRADE_API"} <= (
        mentioned
    )
    not_settings = {"VTRADE_REQUIRE_SERVICES", "VTRADE_TEST", "VTRADE_DATABSE_URL"}  # typo
    not_settings |= set(CLIENT_VARIABLES)
    assert mentioned - not_settings <= set(names)
    assert sorted(keyed) == [
        "VTRADE_EXECUTION__BENCHMARK_RATES__",
        "VTRADE_EXECUTION__DAY_COUNTS__",
        "VTRADE_EXECUTION__LEVERAGE__",
    ]
