"""Specification of the fee schedules: published examples, tiers, taxes and the strict loader."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrade.bootstrap import build
from vtrade.core.clock import SimulatedClock, parse_instant, to_ns
from vtrade.core.errors import DataError, ValidationError
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, OrderType, TimeInForce
from vtrade.execution.fees import FeeContext, FeeQuote, FeeSchedule, Liquidity
from vtrade.execution.volumes import Volumes
from vtrade.market.catalog import Catalog
from vtrade.settings import ExecutionSettings, Settings

D = Decimal
CATALOG = Catalog.load()
FEES = FeeSchedule.load()
FIXED = FEES.with_plan("fixed")
TIERED = FEES.with_plan("tiered")
NO_VOLUME = FeeContext()
# the day the examples below are priced on, unless a test says otherwise: SEC $27.80 per
# million, TAF $0.000166 (at most $8.30), CAT $0.000072, PTM levy GBP 1.50
PRICED_ON = date(2025, 1, 15)
PACKAGED_TEXT = resources.files("vtrade.execution").joinpath("data/fees.toml").read_text("utf-8")


def quote(
    symbol: str,
    qty: str | int,
    price: str | int,
    *,
    side: Side = Side.BUY,
    schedule: FeeSchedule = FEES,
    liquidity: Liquidity = Liquidity.TAKER,
    ctx: FeeContext = NO_VOLUME,
    usd_per_unit: str | int = 1,
) -> FeeQuote:
    inst = CATALOG.get(symbol)
    ctx = dataclasses.replace(ctx, trade_date=ctx.trade_date or PRICED_ON)
    return schedule.quote(inst, side, D(qty), D(price), liquidity, ctx, D(usd_per_unit))


def items(fee: FeeQuote) -> dict[str, Decimal]:
    return dict(fee.breakdown)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fees.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert PACKAGED_TEXT.count(old) == 1, old
    return PACKAGED_TEXT.replace(old, new)


# --- US equities: IB Fixed --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shares", "price", "expected"),
    [(100, "25", "1.00"), (1000, "25", "5.00"), (1000, "0.25", "2.50")],
    ids=["minimum", "per-share", "one-percent-cap"],
)
def test_ib_fixed_matches_ibs_published_examples_to_the_cent(
    shares: int, price: str, expected: str
) -> None:
    fee = quote("AAPL", shares, price, schedule=FIXED)
    assert fee.total == D(expected)
    assert fee.breakdown == (("commission", D(expected)),)


def test_ib_fixed_minimum_is_itself_capped_at_one_percent_of_value() -> None:
    assert quote("AAPL", 100, "0.50", schedule=FIXED).total == D("0.50")


def test_the_file_chooses_tiered_by_default_and_with_plan_switches_it() -> None:
    assert FEES.us_equity_plan == "tiered"
    assert FIXED.us_equity_plan == "fixed"
    assert FEES.us_equity_plan == "tiered"  # with_plan returns a copy
    with pytest.raises(ValidationError, match="fixed, tiered"):
        FEES.with_plan("flat")


def test_us_equities_and_etfs_on_every_us_venue_share_one_schedule() -> None:
    for symbol in ("AAPL", "JPM", "SPY", "QQQ"):
        assert quote(symbol, 1000, "25", schedule=FIXED).total == D("5.00")


# --- US equities: IB Tiered -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month_shares", "commission"),
    [
        (0, "35.00"),
        (299_999, "35.00"),
        (300_000, "20.00"),
        (2_999_999, "20.00"),
        (3_000_000, "15.00"),
        (19_999_999, "15.00"),
        (20_000_000, "10.00"),
        (99_999_999, "10.00"),
        (100_000_000, "5.00"),
        (10**10, "5.00"),
    ],
)
def test_ib_tiered_rate_follows_shares_already_traded_this_month(
    month_shares: int, commission: str
) -> None:
    ctx = FeeContext(month_shares=D(month_shares))
    assert items(quote("AAPL", 10_000, "50", schedule=TIERED, ctx=ctx))["commission"] == D(
        commission
    )


def test_ib_tiered_charges_at_least_35_cents() -> None:
    assert items(quote("AAPL", 10, "100", schedule=TIERED))["commission"] == D("0.35")


def test_ib_tiered_adds_clearing_finra_pass_through_and_cat_fees_on_buys() -> None:
    fee = quote("AAPL", 100_000, "50", schedule=TIERED)
    assert fee.breakdown == (
        ("commission", D("350.00")),
        ("clearing_fee", D("20.00")),  # 100,000 x $0.0002
        ("finra_pass_through", D("0.20")),  # 350.00 x 0.000563 = 0.19705
        ("cat_fee", D("7.20")),  # 100,000 x $0.000072
    )
    assert fee.total == D("377.40")


def test_clearing_fee_is_capped_at_half_a_percent_of_value() -> None:
    fee = items(quote("AAPL", 10_000, "0.01", schedule=TIERED))  # value $100
    assert fee["clearing_fee"] == D("0.50")
    assert fee["commission"] == D("1.00")  # $35 capped at 1 %


# --- US equities: regulatory fees on sales ------------------------------------------------------


@pytest.mark.parametrize("schedule", [FIXED, TIERED], ids=["fixed", "tiered"])
def test_sec_fee_and_finra_taf_apply_to_sells_only(schedule: FeeSchedule) -> None:
    bought = items(quote("AAPL", 1000, "25", schedule=schedule))
    sold = items(quote("AAPL", 1000, "25", side=Side.SELL, schedule=schedule))
    assert "sec_fee" not in bought and "finra_taf" not in bought
    assert sold["sec_fee"] == D("0.70")  # $25,000 x 0.0000278 = 0.695
    assert sold["finra_taf"] == D("0.17")  # 1,000 x $0.000166 = 0.166
    assert {k: v for k, v in sold.items() if k not in ("sec_fee", "finra_taf")} == bought


def test_finra_taf_is_capped_at_8_30_per_trade() -> None:
    sold = items(quote("AAPL", 100_000, "10", side=Side.SELL, schedule=FIXED))
    assert sold["finra_taf"] == D("8.30")  # uncapped: $16.60
    assert sold["sec_fee"] == D("27.80")  # $1,000,000 x 0.0000278


def test_fractional_shares_pay_per_share_fees_on_the_fraction() -> None:
    sold = quote("AAPL", "2500.5", "100", side=Side.SELL, schedule=FIXED)
    assert sold.breakdown == (
        ("commission", D("12.50")),  # 2,500.5 x $0.005 = 12.5025
        ("sec_fee", D("6.96")),  # $250,050 x 0.0000278 = 6.95139, rounded up
        ("finra_taf", D("0.42")),  # 2,500.5 x $0.000166 = 0.415083, rounded up
    )


def test_regulatory_fees_round_up_to_the_cent_so_a_small_sale_still_pays_them() -> None:
    sold = items(quote("AAPL", "0.5", "271.42", side=Side.SELL, schedule=FIXED))
    assert sold["sec_fee"] == D("0.01")  # $135.71 x 0.0000278 = 0.0038
    assert sold["finra_taf"] == D("0.01")  # 0.5 x $0.000166 = 0.000083


def test_fractional_shares_still_pay_the_minimum() -> None:
    assert quote("AAPL", "0.5", "271.49", schedule=FIXED).total == D("1.00")
    assert items(quote("AAPL", "0.5", "271.49", schedule=TIERED))["commission"] == D("0.35")


# --- London Stock Exchange ------------------------------------------------------------------------


# --- minimums apply per order, not per partial fill --------------------------------------------


def fills_of_one_order(
    symbol: str, sizes: list[int], price: str, schedule: FeeSchedule = FEES
) -> list[Decimal]:
    """Commission of each fill of one order filled in `sizes`, in turn."""
    paid, filled, notional = [], D(0), D(0)
    for size in sizes:
        ctx = FeeContext(order_filled_qty=filled, order_filled_notional=notional)
        paid.append(items(quote(symbol, size, price, schedule=schedule, ctx=ctx))["commission"])
        filled, notional = filled + size, notional + size * D(price)
    return paid


@pytest.mark.parametrize("schedule", [FIXED, TIERED], ids=["fixed", "tiered"])
def test_an_order_filled_in_slivers_pays_one_minimum(schedule: FeeSchedule) -> None:
    slivers = fills_of_one_order("AAPL", [1] * 100, "200", schedule)
    at_once = items(quote("AAPL", 100, "200", schedule=schedule))["commission"]
    minimum = D("1.00") if schedule is FIXED else D("0.35")
    assert slivers[0] == minimum == at_once
    assert slivers[1:] == [D(0)] * 99


def test_once_past_the_minimum_each_fill_pays_its_own_shares() -> None:
    paid = fills_of_one_order("AAPL", [50, 50, 100, 1000], "200", TIERED)
    assert paid == [D("0.35"), D("0.00"), D("0.35"), D("3.50")]  # 0.0035 a share beyond 100
    assert sum(paid) == items(quote("AAPL", 1200, "200", schedule=TIERED))["commission"]


def test_lse_and_fx_minimums_are_per_order_too() -> None:
    lse = fills_of_one_order("VOD.L", [100] * 10, "70")
    assert lse[0] == D("300.00") and lse[1:] == [D(0)] * 9  # GBP 3.00 in pence, once
    fx = fills_of_one_order("EUR/USD", [10_000] * 5, "1.08")
    assert fx[0] == D("2.00") and fx[1:] == [D(0)] * 4


def test_lse_buy_pays_minimum_commission_and_stamp_duty_in_pence() -> None:
    fee = quote("VOD.L", 1000, "89.12", usd_per_unit="0.0127")  # 89,120 GBX = GBP 891.20
    assert fee.breakdown == (
        ("commission", D("300.00")),  # 0.05 % = GBP 0.4456 < GBP 3.00 minimum
        ("stamp_duty", D("446.00")),  # 0.5 % = GBP 4.456 -> GBP 4.46
    )
    assert fee.total == D("746.00")


def test_lse_sell_pays_no_stamp_duty() -> None:
    fee = quote("VOD.L", 1000, "89.12", side=Side.SELL, usd_per_unit="0.0127")
    assert fee.breakdown == (("commission", D("300.00")),)


def test_lse_commission_is_five_basis_points_above_the_minimum() -> None:
    fee = items(quote("AZN.L", 2000, "11000", usd_per_unit="0.0127"))  # GBP 220,000
    # and, over GBP 10,000, the PTM levy of GBP 1.50 (see test_uk_transfer_taxes.py)
    assert fee == {"commission": D("11000.00"), "stamp_duty": D("110000.00"), "ptm_levy": D(150)}


def test_stamp_duty_rounds_an_exact_half_penny_up_as_hmrc_does() -> None:
    fee = items(quote("VOD.L", 1000, "269.1", usd_per_unit="0.0127"))  # GBP 2,691.00
    assert fee["stamp_duty"] == D("1346.00")  # GBP 13.455 -> 13.46 (STSM014030)


def test_lse_indices_use_the_index_schedule_without_stamp_duty() -> None:
    fee = quote("UKX", 1, "9620.45", usd_per_unit="1.27")
    assert fee.breakdown == (("commission", D("1.00")),)  # GBP 0.48 -> GBP 1.00 minimum


# --- Crypto ---------------------------------------------------------------------------------------


def test_crypto_maker_pays_less_than_taker_and_auction_pays_taker() -> None:
    args = ("BTC-USD", "0.1", "91250")  # $9,125 notional
    assert quote(*args, liquidity=Liquidity.MAKER).total == D("36.50")  # 40 bp
    assert quote(*args, liquidity=Liquidity.TAKER).total == D("54.75")  # 60 bp
    assert quote(*args, liquidity=Liquidity.AUCTION).total == D("54.75")


@pytest.mark.parametrize(
    ("rolling", "maker", "taker"),
    [
        ("0", "40.00", "60.00"),
        ("9999.99", "40.00", "60.00"),
        ("10000", "25.00", "40.00"),
        ("1000000", "8.00", "18.00"),
        ("399999999", "0.00", "8.00"),
        ("400000000", "0.00", "5.00"),
    ],
)
def test_crypto_tier_follows_trailing_30_day_usd_volume(
    rolling: str, maker: str, taker: str
) -> None:
    ctx = FeeContext(rolling_30d_usd=D(rolling))
    assert quote("ETH-USD", 10, "1000", liquidity=Liquidity.MAKER, ctx=ctx).total == D(maker)
    assert quote("ETH-USD", 10, "1000", liquidity=Liquidity.TAKER, ctx=ctx).total == D(taker)


def test_crypto_has_no_minimum() -> None:
    assert quote("BTC-USD", "0.00001", "91250").total == D("0.01")  # $0.9125 x 60 bp


# --- FX -------------------------------------------------------------------------------------------


def test_fx_charges_20_dollars_per_million_usd() -> None:
    assert quote("EUR/USD", 8_000_000, "1.25").total == D("200.00")  # $10M x 0.20 bp
    assert quote("EUR/USD", 1_000_000, "1.1582").total == D("23.16")


def test_fx_charges_at_least_2_dollars() -> None:
    assert quote("EUR/USD", 10_000, "1.1582").total == D("2.00")


@pytest.mark.parametrize(
    ("month_usd", "large", "minimum"),
    [
        (999_999_999, "200.00", "2.00"),
        (1_000_000_000, "150.00", "1.50"),
        (2_000_000_000, "100.00", "1.25"),
        (5_000_000_000, "80.00", "1.00"),
    ],
)
def test_fx_rate_and_minimum_step_down_with_monthly_usd_volume(
    month_usd: int, large: str, minimum: str
) -> None:
    ctx = FeeContext(month_notional_usd=D(month_usd))
    assert quote("EUR/USD", 8_000_000, "1.25", ctx=ctx).total == D(large)
    assert quote("EUR/USD", 1000, "1.25", ctx=ctx).total == D(minimum)


def test_fx_fee_is_converted_into_the_pairs_quote_currency() -> None:
    # USD/JPY quotes in JPY; 1 JPY = $0.0064, so the $20 and $2 fees become 3,125 and 312.50 JPY.
    assert quote("USD/JPY", 1_000_000, "156.25", usd_per_unit="0.0064").total == D("3125.00")
    assert quote("USD/JPY", 10_000, "156.25", usd_per_unit="0.0064").total == D("312.50")


# --- Futures --------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_futures_pay_commission_exchange_and_regulatory_fees_per_contract(side: Side) -> None:
    fee = quote("GC", 3, "4080", side=side)
    assert fee.breakdown == (
        ("commission", D("2.55")),
        ("exchange_fee", D("4.80")),
        ("regulatory_fee", D("0.06")),
    )
    assert fee.total == D("7.41")


@pytest.mark.parametrize("symbol", ["MGC", "MCL"])
def test_micro_futures_use_their_per_symbol_overrides(symbol: str) -> None:
    fee = quote(symbol, 2, "100")
    assert fee.breakdown == (
        ("commission", D("0.50")),
        ("exchange_fee", D("0.60")),
        ("regulatory_fee", D("0.04")),
    )


# --- Indices --------------------------------------------------------------------------------------


def test_indices_pay_half_a_basis_point_of_notional() -> None:
    assert quote("SPX", 10, "6705.12").total == D("3.35")  # $67,051.20 x 0.5 bp


@pytest.mark.parametrize(
    ("symbol", "price", "usd_per_unit", "minimum"),
    [
        ("SPX", "6705.12", "1", "1.00"),
        ("DAX", "23510.80", "1.16", "1.00"),
        ("N225", "49520.18", "0.0064", "100.00"),
        ("HSI", "25830.65", "0.1285", "10.00"),
    ],
)
def test_indices_charge_a_minimum_in_their_own_currency(
    symbol: str, price: str, usd_per_unit: str, minimum: str
) -> None:
    assert quote(symbol, "0.01", price, usd_per_unit=usd_per_unit).total == D(minimum)


def test_an_index_currency_without_its_own_minimum_uses_the_usd_minimum_converted(
    tmp_path: Path,
) -> None:
    schedule = FeeSchedule.load(write(tmp_path, edited("JPY = 100\n", "")))
    assert quote("N225", "0.01", "49520", schedule=schedule, usd_per_unit="0.0064").total == D(
        "156.25"
    )


PER_CONTRACT = """
[index.per_contract]
USD = 0.35
JPY = 50
"""


def per_contract_schedule(tmp_path: Path, minimum: str = "") -> FeeSchedule:
    """The packaged schedule with indices billed per contract instead of by value."""
    text = edited("rate_bps = 0.5\n", "").replace(
        "[index.minimum]\nUSD = 1.00\nGBP = 1.00\nEUR = 1.00\nJPY = 100\nHKD = 10\n",
        minimum + PER_CONTRACT,
    )
    return FeeSchedule.load(write(tmp_path, text))


def test_indices_billed_per_contract_pay_per_unit_of_quantity_whatever_the_level(
    tmp_path: Path,
) -> None:
    schedule = per_contract_schedule(tmp_path)
    assert quote("SPX", 10, "6705.12", schedule=schedule).total == D("3.50")
    assert quote("SPX", 10, "1", schedule=schedule).total == D("3.50")
    assert quote("N225", 3, "49520", schedule=schedule, usd_per_unit="0.0064").total == D("150")
    # EUR is not listed: the USD amount converted, 0.35 / 1.16 per contract
    assert quote("DAX", 100, "23510.80", schedule=schedule, usd_per_unit="1.16").total == D("30.17")
    assert quote("SPX", "0.5", "6705.12", schedule=schedule).total == D("0.18")  # 0.175, half-up


def test_a_per_contract_minimum_applies_per_order_and_slivers_add_up_to_the_whole(
    tmp_path: Path,
) -> None:
    schedule = per_contract_schedule(tmp_path, "[index.minimum]\nUSD = 1.00\n")
    assert quote("SPX", 2, "6705.12", schedule=schedule).total == D("1.00")
    assert quote("SPX", 20, "6705.12", schedule=schedule).total == D("7.00")
    inst, paid, filled = CATALOG.get("SPX"), D(0), D(0)
    for _ in range(20):
        ctx = FeeContext(order_filled_qty=filled, order_filled_notional=filled * D("6705.12"))
        paid += schedule.quote(inst, Side.BUY, D(1), D("6705.12"), Liquidity.TAKER, ctx, D(1)).total
        filled += 1
    assert paid == D("7.00")


def test_indices_may_pay_both_a_rate_of_value_and_a_per_contract_fee(tmp_path: Path) -> None:
    schedule = FeeSchedule.load(write(tmp_path, edited("HKD = 10\n", "HKD = 10\n" + PER_CONTRACT)))
    assert quote("SPX", 10, "6705.12", schedule=schedule).total == D("6.85")  # 3.35 + 3.50


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "rate_bps = 0.5\n",
            "",
            r"section \[index\], key 'rate_bps': is missing; give rate_bps, per_contract or both",
        ),
        (
            "HKD = 10\n",
            "HKD = 10\n[index.per_contract]\nJPY = 50\n",
            r"section \[index.per_contract\], key 'USD': is missing; the USD per_contract is",
        ),
        (
            "HKD = 10\n",
            "HKD = 10\n[index.per_contract]\nUSD = -1\n",
            r"key 'USD': -1 is not allowed; a finite number >= 0 is required",
        ),
    ],
    ids=["neither", "no-usd-fallback", "negative"],
)
def test_an_index_schedule_without_a_rate_or_with_bad_contract_fees_is_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        FeeSchedule.load(write(tmp_path, edited(old, new)))


# --- Every quote ----------------------------------------------------------------------------------


def usd_rate(inst: Instrument) -> Decimal:
    return {"GBX": D("0.0127"), "GBP": D("1.27"), "JPY": D("0.0064")}.get(inst.currency, D(1))


@settings(max_examples=300, deadline=None)
@given(
    inst=st.sampled_from(list(CATALOG)),
    side=st.sampled_from(list(Side)),
    liquidity=st.sampled_from(list(Liquidity)),
    plan=st.sampled_from(["fixed", "tiered"]),
    qty=st.decimals(min_value=D("0.0001"), max_value=D(1_000_000), places=4),
    price=st.decimals(min_value=D("0.0001"), max_value=D(100_000), places=4),
    volume=st.decimals(min_value=0, max_value=D(10**10), places=2),
)
def test_fees_are_never_negative_and_the_breakdown_sums_to_the_total(
    inst: Instrument,
    side: Side,
    liquidity: Liquidity,
    plan: str,
    qty: Decimal,
    price: Decimal,
    volume: Decimal,
) -> None:
    ctx = FeeContext(month_shares=volume, month_notional_usd=volume, rolling_30d_usd=volume)
    fee = FEES.with_plan(plan).quote(inst, side, qty, price, liquidity, ctx, usd_rate(inst))
    assert fee.total >= 0
    assert all(amount >= 0 for _, amount in fee.breakdown)
    assert sum((amount for _, amount in fee.breakdown), D(0)) == fee.total
    # to the cent, but a USD schedule's fee on an FX pair quoted in another currency: its
    # dollar amount converted, to 1e-6, so the account pays the dollar amount to the cent
    foreign = inst.asset_class is AssetClass.FX and inst.currency != "USD"
    step = D("0.000001") if foreign else D("0.01")
    assert all(amount == amount.quantize(step) for _, amount in fee.breakdown)


@settings(max_examples=300, deadline=None)
@given(
    symbol=st.sampled_from(["AAPL", "JPM", "SPY"]),
    side=st.sampled_from(list(Side)),
    plan=st.sampled_from(["fixed", "tiered"]),
    qty=st.decimals(min_value=D("0.0001"), max_value=D(10_000_000), places=4),
    price=st.decimals(min_value=D("0.0001"), max_value=D(10_000), places=4),
    month_shares=st.integers(min_value=0, max_value=200_000_000),
)
def test_us_equity_fees_never_exceed_one_percent_of_value_plus_regulatory_fees(
    symbol: str, side: Side, plan: str, qty: Decimal, price: Decimal, month_shares: int
) -> None:
    ctx = FeeContext(month_shares=D(month_shares))
    fee = quote(symbol, str(qty), str(price), side=side, schedule=FEES.with_plan(plan), ctx=ctx)
    value = qty * price
    commission = value * D("0.01")
    regulatory = D(0)
    if plan == "tiered":
        regulatory += min(qty * D("0.0002"), value * D("0.005"))  # clearing
        regulatory += commission * D("0.000563") + qty * D("0.000072")  # pass-through, CAT
    if side is Side.SELL:
        regulatory += value * D("0.0000278") + min(qty * D("0.000166"), D("8.30"))
    rounding = D("0.01") * len(fee.breakdown)  # half a cent each, a whole one rounded up
    assert items(fee)["commission"] <= commission + D("0.005")
    assert fee.total <= commission + regulatory + rounding


# --- Input validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "price", "usd_per_unit"),
    [("0", "10", "1"), ("-1", "10", "1"), ("1", "0", "1"), ("1", "-5", "1"), ("1", "10", "0")],
)
def test_zero_or_negative_inputs_are_rejected(qty: str, price: str, usd_per_unit: str) -> None:
    with pytest.raises(ValidationError, match="not allowed"):
        quote("AAPL", qty, price, usd_per_unit=usd_per_unit)


def test_negative_volume_in_the_context_is_rejected() -> None:
    with pytest.raises(ValidationError, match="month_shares"):
        quote("AAPL", 1, 10, ctx=FeeContext(month_shares=D(-1)))


def test_an_instrument_no_schedule_covers_is_rejected_with_a_hint() -> None:
    toronto = dataclasses.replace(CATALOG.get("AAPL"), venue="XTSE")
    with pytest.raises(ValidationError, match="no fee schedule covers AAPL"):
        FEES.quote(toronto, Side.BUY, D(1), D(10), Liquidity.TAKER, NO_VOLUME, D(1))


def test_a_schedule_currency_that_cannot_convert_into_the_quote_currency_is_rejected() -> None:
    in_euros = dataclasses.replace(CATALOG.get("VOD.L"), currency="EUR")
    with pytest.raises(ValidationError, match="cannot convert a GBP fee schedule"):
        FEES.quote(in_euros, Side.BUY, D(1), D(10), Liquidity.TAKER, NO_VOLUME, D("1.16"))


# --- The data file --------------------------------------------------------------------------------


def test_the_packaged_file_covers_every_instrument_in_the_universe() -> None:
    for inst in CATALOG:
        FEES.quote(inst, Side.BUY, D(1), D(100), Liquidity.TAKER, NO_VOLUME, usd_rate(inst))
    assert {i.asset_class for i in CATALOG} == set(AssetClass)


def test_the_packaged_file_passes_the_catalog_check() -> None:
    FEES.check_covers(CATALOG)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'venues = ["XNAS", "XNYS", "ARCX"]',
            'venues = ["XNAS", "XNYS"]',
            r"no section covers SPY \(etf on ARCX\); add its venue or asset class",
        ),
        (
            'venues = ["XLON"]\ncurrency = "GBP"',
            'venues = ["XLON"]\ncurrency = "EUR"',
            r"section \[uk_equity\]: currency 'EUR' cannot be converted into the quote currency "
            r'of \S+\.L \(GBX\); allowed: "quote", "USD" or "GBP"',
        ),
    ],
    ids=["uncovered", "unconvertible"],
)
def test_a_file_that_cannot_price_an_instrument_of_the_catalog_is_refused_at_start(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """Loading alone accepts it; its first fill would fail inside the market's advance, and
    with it every command of every account after it (a cancel included), restart after
    restart. The container refuses to start instead."""
    path = write(tmp_path, edited(old, new))
    schedule = FeeSchedule.load(path)
    with pytest.raises(DataError, match=message):
        schedule.check_covers(CATALOG)
    settings = Settings(
        database_url="sqlite:///:memory:", execution=ExecutionSettings(fees_path=path)
    )
    with pytest.raises(DataError, match=message):
        build(settings, SimulatedClock(0))


def test_an_edited_file_changes_the_fees(tmp_path: Path) -> None:
    path = write(tmp_path, edited("commission = 0.85", "commission = 1.25"))
    assert items(quote("GC", 2, "4080", schedule=FeeSchedule.load(path)))["commission"] == D("2.50")
    assert FeeSchedule.load(str(path)).us_equity_plan == "tiered"


def test_the_plan_is_read_from_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, edited('plan = "tiered"', 'plan = "fixed"'))
    assert FeeSchedule.load(path).us_equity_plan == "fixed"


@pytest.mark.parametrize(
    ("old", "new", "section", "key", "hint"),
    [
        (
            "regulatory_fee = 0.02\n",
            "regulatory_fee = 0.02\ncomission = 1\n",
            "futures",
            "comission",
            "allowed: asset_classes, venues, currency, commission",
        ),
        ("per_share = 0.005", "per_share = -0.005", "us_equity.fixed", "per_share", ">= 0"),
        (
            "per_share = 0.005",
            'per_share = "0.005"',
            "us_equity.fixed",
            "per_share",
            "not a number",
        ),
        ("per_share = 0.005", "per_share = nan", "us_equity.fixed", "per_share", "finite"),
        ("minimum = 3.00\n", "", "uk_equity", "minimum", "missing"),
        ('plan = "tiered"', 'plan = "cheap"', "us_equity", "plan", "fixed, tiered"),
        ('venues = ["GLBX"]', 'venues = ["glbx"]', "futures", "venues", "venue codes like XNAS"),
        (
            'asset_classes = ["crypto"]',
            'asset_classes = ["coins"]',
            "crypto",
            "asset_classes",
            "equity, etf, crypto",
        ),
        ('currency = "GBP"', 'currency = "pounds"', "uk_equity", "currency", "quote, or a code"),
        (
            "{ up_to = 3_000_000, per_share = 0.0020 }",
            "{ up_to = 200_000, per_share = 0.0020 }",
            "us_equity.tiered.tiers[1]",
            "up_to",
            "greater than the previous",
        ),
        (
            "{ maker_bps = 0, taker_bps = 5 }",
            "{ up_to = 1e12, maker_bps = 0, taker_bps = 5 }",
            "crypto.tiers[8]",
            "up_to",
            "open-ended",
        ),
        (
            "{ up_to = 10_000, maker_bps = 40, taker_bps = 60 }",
            "{ up_to = 10_000, maker_bps = 40 }",
            "crypto.tiers[0]",
            "taker_bps",
            "missing",
        ),
        (
            "[futures.symbols.MGC]",
            "[futures.symbols.MGC]\nfee = 1",
            "futures.symbols.MGC",
            "fee",
            "allowed: commission, exchange_fee, regulatory_fee",
        ),
        ("USD = 1.00\n", "", "index.minimum", "USD", "USD minimum is required"),
        ("JPY = 100", "yen = 100", "index.minimum", "yen", "currency codes"),
        (
            'venues = ["XLON"]',
            'venues = ["XLON", "XNAS"]',
            "uk_equity",
            "venues",
            "overlaps section [us_equity]",
        ),
    ],
)
def test_a_malformed_file_names_the_section_key_and_what_is_allowed(
    tmp_path: Path, old: str, new: str, section: str, key: str, hint: str | None
) -> None:
    path = write(tmp_path, edited(old, new))
    with pytest.raises(DataError) as caught:
        FeeSchedule.load(path)
    message = caught.value.message
    assert str(path) in message
    assert f"section [{section}], key '{key}'" in message
    if hint is not None:
        assert hint in message
    assert caught.value.details["key"] == key


def test_a_missing_section_is_named(tmp_path: Path) -> None:
    start, end = PACKAGED_TEXT.index("[crypto]"), PACKAGED_TEXT.index("# --- Spot FX")
    path = write(tmp_path, PACKAGED_TEXT[:start] + PACKAGED_TEXT[end:])
    with pytest.raises(DataError, match=r"section \[crypto\] is missing"):
        FeeSchedule.load(path)


def test_an_unknown_section_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, PACKAGED_TEXT + "\n[options]\nper_contract = 0.65\n")
    with pytest.raises(DataError, match="key 'options': unknown key; allowed: us_equity"):
        FeeSchedule.load(path)


def test_a_misspelt_sub_table_is_an_unknown_key_of_its_parent(tmp_path: Path) -> None:
    path = write(tmp_path, edited("[us_equity.sell]", "[us_equity.sell_fees]"))
    with pytest.raises(DataError, match=r"section \[us_equity\], key 'sell_fees': unknown key"):
        FeeSchedule.load(path)


def test_a_section_that_is_not_a_table_is_rejected(tmp_path: Path) -> None:
    start, end = PACKAGED_TEXT.index("[crypto]"), PACKAGED_TEXT.index("# --- Spot FX")
    path = write(tmp_path, "crypto = 1\n" + PACKAGED_TEXT[:start] + PACKAGED_TEXT[end:])
    with pytest.raises(DataError, match=r"section \[crypto\]: must be a table"):
        FeeSchedule.load(path)


def test_invalid_toml_and_unreadable_files_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not valid TOML"):
        FeeSchedule.load(write(tmp_path, "[us_equity\n"))
    with pytest.raises(DataError, match="cannot read the file"):
        FeeSchedule.load(tmp_path / "missing.toml")


def sliced(
    sizes: list[int], price: str, side: Side, multiplier: str = "1", symbol: str = "AAPL"
) -> list[dict[str, Decimal]]:
    """The fee items of each fill of one order filled in `sizes`, in turn, on one day."""
    paid, filled, notional = [], D(0), D(0)
    for size in sizes:
        ctx = FeeContext(
            order_filled_qty=filled,
            order_filled_notional=notional,
            commission_multiplier=D(multiplier),
            day_filled_qty=filled,
            day_filled_notional=notional,
        )
        paid.append(items(quote(symbol, size, price, side=side, schedule=TIERED, ctx=ctx)))
        filled, notional = filled + size, notional + size * D(price)
    return paid


@pytest.mark.parametrize("multiplier", ["1", "1.25"])
@pytest.mark.parametrize("sizes", [[1000], [10] * 100, [1] * 1000, [7, 993]])
def test_an_orders_fees_do_not_depend_on_how_it_was_sliced(
    sizes: list[int], multiplier: str
) -> None:
    """Commission (scaled for harsh), SEC fee and FINRA TAF are worked out on the order so
    far and each fill pays the difference: 100 fills pay what one fill of the same order does
    (the regulatory fees rounded up once, not once per fill)."""
    fills = sliced(sizes, "10", Side.SELL, multiplier)
    at_once = sliced([1000], "10", Side.SELL, multiplier)[0]
    for name in ("commission", "sec_fee", "finra_taf"):
        assert sum(f[name] for f in fills) == at_once[name], name
    assert at_once["sec_fee"] == D("0.28") and at_once["finra_taf"] == D("0.17")
    assert at_once["commission"] == (D("3.50") * D(multiplier)).quantize(D("0.01"))


@pytest.mark.parametrize(
    ("symbol", "price", "side"),
    [("AAPL", "10", Side.SELL), ("AAPL", "10", Side.BUY), ("VOD.L", "90.23", Side.BUY)]
    + [("DOGE-USD", "0.20", Side.BUY)],
)
def test_every_fee_of_an_order_adds_up_to_the_same_however_it_was_sliced(
    symbol: str, price: str, side: Side
) -> None:
    """Clearing, pass-through, CAT, stamp duty and crypto commission too: a sliver pays its
    share of the order's fee, not a cent of its own rounded up or down."""
    fills = sliced([10] * 100, price, side, symbol=symbol)
    at_once = sliced([1000], price, side, symbol=symbol)[0]
    assert sum(at_once.values()) > 0
    for name, amount in at_once.items():
        assert sum(f.get(name, D(0)) for f in fills) == amount, name


# --- Volumes ----------------------------------------------------------------------------------


def buy_order(order_id: str, symbol: str, **fields: Any) -> Order:
    """A buy of `symbol` whose fills a `Volumes` counts (only its id and fills matter)."""
    return Order(
        id=order_id,
        account_id="a",
        client_order_id="c",
        symbol=symbol,
        side=Side.BUY,
        type=OrderType.MARKET,
        tif=TimeInForce.DAY,
        **fields,
    )


@pytest.mark.parametrize(
    ("filled", "later", "kept"),
    [
        ("2024-01-31T23:30:00Z", "2024-02-01T00:30:00Z", True),  # 19:30 in New York
        ("2024-01-31T23:30:00Z", "2024-02-01T04:59:59Z", True),
        ("2024-01-31T23:30:00Z", "2024-02-01T05:00:00Z", False),  # New York's midnight
        ("2024-06-30T23:30:00Z", "2024-07-01T03:59:59Z", True),  # summer: 4 hours behind
        ("2024-06-30T23:30:00Z", "2024-07-01T04:00:00Z", False),
    ],
)
def test_the_monthly_volume_restarts_at_new_yorks_month_not_utcs(
    filled: str, later: str, kept: bool
) -> None:
    """A fill at 19:30 New York time on the month's last day still pays the tier the month's
    volume earned (it paid the first tier: the month had restarted at UTC midnight)."""
    aapl = CATALOG.get("AAPL")
    volumes = Volumes()
    volumes.add(aapl, D(400_000), D(170), D(1), to_ns(parse_instant(filled)), "earlier")
    order = buy_order("o", "AAPL", qty=D(1_000))

    ctx = volumes.context(to_ns(parse_instant(later)), order, aapl, D(1))

    assert ctx.month_shares == (D(400_000) if kept else 0)


def test_an_order_older_than_the_crypto_window_subtracts_only_its_fills_within_it() -> None:
    """An order's own fills are taken out of the volume it pays its tier on, but only those
    the volume still counts: a gtc order's fills of 31 days ago left the 30-day window."""
    btc = CATALOG.get("BTC-USD")
    volumes = Volumes()
    day = 86_400 * 10**9
    t0 = to_ns(parse_instant("2024-03-01T12:00:00Z"))
    volumes.add(btc, D(10), D(60_000), D(1), t0, "old-gtc")  # leaves the window after 30 days
    volumes.add(btc, D(1), D(60_000), D(1), t0 + 29 * day, "other")
    volumes.add(btc, D(1), D(60_000), D(1), t0 + 30 * day, "old-gtc")
    order = buy_order("old-gtc", "BTC-USD", qty=D(20), filled_qty=D(11), filled_notional=D(660_000))

    ctx = volumes.context(t0 + 31 * day, order, btc, D(1))

    assert ctx.rolling_30d_usd == D(60_000)  # the other order's; its own recent fill taken out
