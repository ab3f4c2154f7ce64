"""Regulatory rates by date (fees.toml's dated rates, README Execution §4): a fill pays the
SEC Section 31 rate, FINRA TAF, CAT fee and PTM levy in force on its New York trade date, so a
simulated sale in March 2024 pays that March's $8.00 per million, not today's rate. The
loader refuses a dated list it cannot read, naming the entry and what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from vtrade.core.errors import DataError
from vtrade.domain.market_data import Side
from vtrade.execution.fees import FeeContext, FeeSchedule, Liquidity
from vtrade.execution.volumes import trade_date
from vtrade.market.catalog import Catalog

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
CATALOG = Catalog.load()
FEES = FeeSchedule.load().with_plan("fixed")


def sold(symbol: str, qty: int, price: str, on: date, usd_per_unit: str = "1") -> dict[str, D]:
    inst = CATALOG.get(symbol)
    ctx = FeeContext(trade_date=on)
    fee = FEES.quote(inst, Side.SELL, D(qty), D(price), Liquidity.TAKER, ctx, D(usd_per_unit))
    return dict(fee.breakdown)


@pytest.mark.parametrize(
    ("on", "sec_fee", "finra_taf"),
    [
        (date(2015, 6, 1), "18.40", "5.95"),  # $18.40 per million; TAF capped at $5.95
        (date(2024, 3, 15), "8.00", "8.30"),  # FY2023's $8.00 until 21 May 2024
        (date(2024, 5, 22), "27.80", "8.30"),  # FY2024's from 22 May 2024
        (date(2025, 5, 13), "27.80", "8.30"),
        (date(2025, 5, 14), "0.00", "8.30"),  # FY2025's collections met: $0.00
        (date(2026, 4, 4), "20.60", "9.79"),  # FY2026; TAF $0.000195, at most $9.79
        (date(2026, 10, 1), "20.60", "0.00"),  # FINRA's TAF waiver, October-December 2026
        (date(2027, 1, 4), "20.60", "9.79"),
    ],
)
def test_a_sale_pays_the_sec_fee_and_taf_in_force_on_its_trade_date(
    on: date, sec_fee: str, finra_taf: str
) -> None:
    fees = sold("AAPL", 100_000, "10", on)  # $1,000,000 of 100,000 shares: the TAF cap
    assert (fees["sec_fee"], fees["finra_taf"]) == (D(sec_fee), D(finra_taf))


def test_the_cat_fee_starts_with_september_2024s_trades() -> None:
    inst = CATALOG.get("AAPL")
    tiered = FeeSchedule.load().with_plan("tiered")

    def cat(on: date) -> Decimal:
        ctx = FeeContext(trade_date=on)
        fee = tiered.quote(inst, Side.BUY, D(100_000), D(10), Liquidity.TAKER, ctx, D(1))
        return dict(fee.breakdown)["cat_fee"]

    assert (cat(date(2024, 8, 30)), cat(date(2024, 9, 3))) == (D("0.00"), D("7.20"))


def test_the_ptm_levy_rose_to_a_pound_fifty_on_2_december_2024() -> None:
    before = sold("VOD.L", 20_000, "100", date(2024, 11, 29))  # GBP 20,000, in pence
    after = sold("VOD.L", 20_000, "100", date(2024, 12, 2))
    assert (before["ptm_levy"], after["ptm_levy"]) == (D(100), D(150))


def test_without_a_trade_date_the_latest_rates_apply() -> None:
    inst = CATALOG.get("AAPL")
    fee = FEES.quote(inst, Side.SELL, D(100_000), D(10), Liquidity.TAKER, FeeContext(), D(1))
    assert dict(fee.breakdown)["sec_fee"] == D("20.60")


def test_the_trade_date_is_new_yorks() -> None:
    late_evening = 1_717_455_600 * 10**9  # 2024-06-03 23:00 UTC: 19:00 in New York
    after_midnight_utc = late_evening + 2 * 3_600 * 10**9  # 01:00 UTC, still 3 June there
    assert trade_date(late_evening) == trade_date(after_midnight_utc) == date(2024, 6, 3)


def test_the_engine_charges_a_march_2024_sale_the_rates_of_that_march(
    make_venue: Callable[..., Venue],
) -> None:
    """The test market's Friday, 15 March 2024: SEC $8.00 per million (it was charged
    today's rate), TAF $0.000166 a share, and no CAT fee yet."""
    venue = make_venue()
    account = venue.open(balance=10**8)
    venue.submit(account, "AAPL", Side.BUY, 10_000)
    venue.advance(60)
    _, changes = venue.submit(account, "AAPL", Side.SELL, 10_000)
    changes.merge(venue.advance(600))
    sales = [f for f in changes.fills if f.side is Side.SELL]
    value = sum((f.price * f.qty for f in sales), D(0))
    charged = {}
    for fill in sales:
        for name, amount in fill.receipt.fee_breakdown:
            charged[name] = charged.get(name, D(0)) + amount
    assert sum((f.qty for f in sales), D(0)) == 10_000
    assert charged["sec_fee"] == (value * D("0.000008")).quantize(D("0.01"), "ROUND_UP")
    assert charged["finra_taf"] == D("1.66")  # 10,000 x $0.000166
    assert charged["cat_fee"] == 0


def write(tmp_path: Path, old: str, new: str) -> Path:
    """The packaged fees.toml with `old` replaced by `new`, written to `tmp_path`."""
    packaged = resources.files("vtrade.execution").joinpath("data/fees.toml").read_text("utf-8")
    assert packaged.count(old) == 1
    path = tmp_path / "fees.toml"
    path.write_text(packaged.replace(old, new), encoding="utf-8")
    return path


TAF = "finra_taf_max = [\n  { value = 3.75 },"


@pytest.mark.parametrize(
    ("replacement", "problem"),
    [
        (
            "finra_taf_max = [\n  { value = 3.75 },\n  { from = 2030-01-01, value = 1 },",
            "2011-07-01 is not after 2030-01-01; oldest first",
        ),
        ("finra_taf_max = [\n  { value = -1 },", "a finite number >= 0 is required"),
        ("finra_taf_max = [\n  { value = 3.75, rate = 1 },", "unknown key; allowed: from, value"),
        ("finra_taf_max = [\n  { from = 2011-01-01T00:00:00, value = 3.75 },", "is not a date"),
        ("finra_taf_max = [\n  { from = 2011-01-01 },", "key 'value': is missing"),
    ],
)
def test_a_dated_rate_the_loader_cannot_read_is_refused_naming_the_entry(
    tmp_path: Path, replacement: str, problem: str
) -> None:
    with pytest.raises(DataError, match=problem) as refused:
        FeeSchedule.load(write(tmp_path, TAF, replacement))
    assert "section [us_equity.sell.finra_taf_max[" in str(refused.value)


def test_an_empty_dated_rate_is_refused(tmp_path: Path) -> None:
    levy = "ptm_levy = [{ value = 1.00 }, { from = 2024-12-02, value = 1.50 }]"
    path = write(tmp_path, levy, "ptm_levy = []")
    with pytest.raises(DataError, match=r"\[uk_equity\], key 'ptm_levy': is an empty list"):
        FeeSchedule.load(path)
