"""`vtrade estimate` and `vtrade demo` through the CLI."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from vtrade.cli import app

runner = CliRunner()
AT = "2026-11-18T15:00:00Z"  # a Wednesday, US regular hours


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_estimate_splits_slippage_into_spread_and_impact_and_prices_fees():
    result = invoke("estimate", "AAPL", "buy", "500", "--at", AT, "--json")
    assert result.exit_code == 0, result.output
    e = json.loads(result.output)
    slip = e["slippage_bps"]
    assert float(slip["total"]) == pytest.approx(float(slip["spread"]) + float(slip["impact"]))
    assert float(e["ask"]) > float(e["bid"])
    assert float(e["expected_avg_price"]) >= float(e["arrival_mid"])
    assert float(e["fees"]["amount"]) > 0 and e["fees"]["currency"] == "USD"
    assert e["session"]["phase"] == "regular"
    assert e["accepted_for_fresh_account"] is True


def test_estimate_impact_grows_with_size_and_says_why_a_fresh_account_would_be_refused():
    small = json.loads(invoke("estimate", "AAPL", "buy", "100", "--at", AT, "--json").output)
    big = json.loads(invoke("estimate", "AAPL", "buy", "2000", "--at", AT, "--json").output)
    assert float(big["slippage_bps"]["impact"]) > float(small["slippage_bps"]["impact"])
    assert big["accepted_for_fresh_account"] is False
    assert "concentration" in big["reason"] and "25%" in big["reason"]


@pytest.mark.parametrize(("side", "worse"), [("buy", 1), ("sell", -1)])
def test_estimate_never_prices_a_buy_under_the_ask_nor_a_sell_over_the_bid(side, worse):
    e = json.loads(invoke("estimate", "AAPL", side, "500", "--at", AT, "--json").output)
    touch = float(e["ask"] if side == "buy" else e["bid"])
    assert (float(e["avg_price_now"]) - touch) * worse >= 0
    assert (float(e["expected_avg_price"]) - touch) * worse >= 0


def test_estimate_of_a_limit_far_under_the_market_rests_and_prints_no_made_up_price():
    args = ("estimate", "AAPL", "buy", "500", "--type", "limit", "--limit-price", "200")
    e = json.loads(invoke(*args, "--at", AT, "--json").output)
    assert float(e["bid"]) > 250  # the limit is far under the market
    assert e["fillable_now"] == "0" and e["avg_price_now"] is None
    assert e["expected_avg_price"] is None and e["schedule"] == []
    assert e["resting_qty"] == "500" and "rests at the limit 200" in e["note"]

    result = invoke(*args, "--at", AT)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich wraps long lines
    assert "None" not in text and "by +1m" not in text
    assert "fillable now 0" in text and "rests at the limit 200" in text
    assert "expected avg price n/a" in text


def test_estimate_of_a_block_takes_the_book_now_and_schedules_the_rest():
    e = json.loads(invoke("estimate", "AAPL", "buy", "800000", "--at", AT, "--json").output)
    now = float(e["fillable_now"])
    assert 0 < now < 800000
    done = [float(x["cumulative_qty"]) for x in e["schedule"]]
    assert done == sorted(done) and now + done[-1] == 800000
    assert float(e["expected_avg_price"]) >= float(e["ask"])

    text = " ".join(invoke("estimate", "AAPL", "buy", "800000", "--at", AT).output.split())
    rest = e["schedule"][-1]["cumulative_qty"]  # the whole rest fills by the close here
    assert f"expected schedule of the other {rest}" in text
    assert f"by +{e['schedule'][-1]['minutes']}m" in text
    pace = float(e["volume_pace"])  # an hour into the session: today's pace scales the schedule
    assert 0.25 <= pace <= 4 and f"volume runs at {pace:.0%} of an average day" in text
    assert "None" not in text


def test_estimate_for_a_sell_of_lse_shares_has_no_stamp_duty_and_shows_the_fx_rate():
    result = invoke("estimate", "VOD.L", "sell", "1000", "--at", "2026-11-18T11:00:00Z", "--json")
    e = json.loads(result.output)
    assert e["fees"]["currency"] == "GBX"
    assert 0.005 < float(e["fees"]["fx_rate"]) < 0.03  # GBX -> VCR is about 1/100 of GBP/USD


def test_frictionless_estimate_pays_nothing():
    e = json.loads(
        invoke(
            "estimate", "AAPL", "buy", "500", "--at", AT, "--profile", "frictionless", "--json"
        ).output
    )
    assert e["slippage_bps"]["total"] == "0.00" and e["fees"]["amount"] == "0.00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("estimate", "AAPL", "hold", "10"), "unknown side"),
        (("estimate", "AAPL", "buy", "0"), "positive multiple of the lot size"),
        (("estimate", "AAPL", "buy", "abc"), "must be a number"),
        (("estimate", "AAPL", "buy", "10", "--type", "limit"), "--limit-price"),
        (("estimate", "AAPL", "buy", "10", "--profile", "easy"), "allowed: frictionless"),
        (("demo", "--minutes", "0"), "--minutes"),
        (("demo", "--start", "2040-01-01T00:00:00Z"), "--start 2040-01-01T00:00:00Z is after"),
        (  # the start is in range, its last minute is not
            ("demo", "--start", "2031-12-31T23:55:00Z", "--minutes", "10"),
            "--start 2031-12-31T23:55:00Z plus --minutes 10 is after the days",
        ),
    ],
)
def test_bad_trading_input_is_a_one_line_error(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_demo_shows_every_scripted_order_with_fills_and_receipts():
    result = invoke("demo", "--minutes", "3", "--json")
    assert result.exit_code == 0, result.output
    demo = json.loads(result.output)
    orders = demo["orders"]
    assert len(orders) >= 8
    filled = [o for o in orders if o["fills"]]
    assert len(filled) >= 6
    receipt = filled[0]["fills"][0]["receipt"]
    for key in ("arrival_mid", "spread_cost", "impact_cost", "fees", "fx_rate", "slices"):
        assert key in receipt
    block = next(o for o in orders if o["trader"] == "Block fund")
    assert block["status"] == "partially_filled"  # a block bigger than the book works over time
    assert len(block["fills"]) > 1


def test_the_demo_table_shows_plain_quantities_and_fees_in_vcr():
    result = invoke("demo", "--minutes", "2")
    assert result.exit_code == 0, result.output
    demo = json.loads(invoke("demo", "--minutes", "2", "--json").output)
    london = next(o for o in demo["orders"] if o["symbol"] == "VOD.L")
    fill = london["fills"][0]
    pence = Decimal(fill["fee"])  # LSE fees are charged in GBX
    in_vcr = (pence * Decimal(fill["receipt"]["fx_rate"])).quantize(Decimal("0.01"))
    row = next(line for line in result.output.splitlines() if "VOD.L" in line and "│" in line)
    assert f"buy {Decimal(london['qty']).normalize():f} VOD.L" in row
    assert f"{in_vcr:,}" in row and f"{pence}" not in row
    assert "Fees VCR" in result.output and ".0000 " not in result.output
    assert london["currency"] == "GBX"
    receipt = " ".join(result.output.split())  # (rich wraps long lines)
    assert "VOD.L: first fill" in receipt and "| in GBX: arrival mid" in receipt
    assert f"fx {fill['receipt']['fx_rate']} VCR per GBX" in receipt
    assert "1 slices" not in receipt and "1 slice)" in receipt  # (AAPL's 73: one level)


def test_demo_is_deterministic():
    first = invoke("demo", "--minutes", "2", "--json").output
    assert invoke("demo", "--minutes", "2", "--json").output == first


def test_an_estimates_quantity_is_shown_as_a_plain_number_however_it_was_written():
    for written, shown in (("1e3", "1000"), ("2.50", "2.5"), ("100", "100")):
        e = json.loads(invoke("estimate", "AAPL", "buy", written, "--at", AT, "--json").output)
        assert e["qty"] == shown


def test_a_coin_priced_in_millionths_of_a_cent_shows_its_digits_not_a_rounded_price():
    """SHIB ticks in 1e-9: six places showed a mid of 0.000009, above its own ask."""
    at = ("--at", AT, "--json")
    e = json.loads(invoke("estimate", "SHIB-USD", "buy", "1000", *at).output)
    assert Decimal(e["bid"]) < Decimal(e["arrival_mid"]) < Decimal(e["ask"])
    assert Decimal(e["avg_price_now"]) == Decimal(e["ask"])  # the book's best offer covers it
    assert e["fillable_now"] == "1000"  # a plain quantity, not the lot grid's 1000.00000


def test_fees_are_on_what_is_expected_to_fill_not_on_what_would_expire():
    """A block the day cannot absorb was quoted the fee on all of it (ten times too much)."""
    big = json.loads(invoke("estimate", "AAPL", "buy", "99999999", "--at", AT, "--json").output)
    expected = Decimal(big["fillable_now"]) + Decimal(big["schedule"][-1]["cumulative_qty"])
    assert expected < 99999999 and "not expected to fill" in big["note"]
    assert Decimal(big["fees"]["on_qty"]) == expected
    text = " ".join(invoke("estimate", "AAPL", "buy", "99999999", "--at", AT).output.split())
    assert f"on the {expected} expected to fill" in text
    assert "closes 2026-11-18T21:00:00Z" in text  # the close that ends the schedule


def test_an_estimate_with_nothing_expected_to_fill_has_no_slippage_figure():
    args = ("estimate", "AAPL", "buy", "500", "--type", "limit", "--limit-price", "200")
    e = json.loads(invoke(*args, "--at", AT, "--json").output)
    assert e["slippage_bps"] is None  # not 0.00: that reads as a free fill
    assert e["fees"]["on_qty"] == "500"  # what it pays if it fills, at the limit
    text = " ".join(invoke(*args, "--at", AT).output.split())
    assert "slippage" not in text and "on the 500 if it fills at the limit" in text


@pytest.mark.parametrize(
    ("price", "shown"),
    [("0.0000089435", "0.0000089435"), ("271.4", "271.4"), ("264.9823830155", "264.982383")],
)
def test_demo_prices_keep_eight_significant_digits_or_six_places(price, shown):
    from vtrade.views_trade import _price

    assert _price(Decimal(price)) == shown


def test_estimate_routes_the_order_as_its_tif_and_extended_hours_say():
    """Session 22's estimate review: the CLI could not estimate an ioc, fok, opg or cls order,
    nor an extended-hours limit, and the API estimated them as day orders."""
    pre = "2026-11-18T12:00:00Z"  # 07:00 New York: the pre-market
    probe = json.loads(invoke("estimate", "AAPL", "buy", "10", "--at", pre, "--json").output)
    limit = str(Decimal(probe["ask"]) + Decimal("0.10"))
    args = ("estimate", "AAPL", "buy", "10", "--type", "limit", "--limit-price", limit)
    waiting = json.loads(invoke(*args, "--at", pre, "--json").output)
    early = json.loads(invoke(*args, "--extended-hours", "--at", pre, "--json").output)
    assert Decimal(waiting["fillable_now"]) == 0 and Decimal(early["fillable_now"]) == 10
    cls = json.loads(
        invoke("estimate", "AAPL", "buy", "10", "--tif", "cls", "--at", AT, "--json").output
    )
    assert Decimal(cls["fillable_now"]) == 0
    assert cls["note"].startswith("queued for the closing auction (2026-11-18T21:00:00Z)")
    bad = invoke("estimate", "AAPL", "buy", "10", "--tif", "week")
    assert bad.exit_code != 0 and "day, gtc, ioc, fok, opg, cls" in bad.output


def test_each_demo_traders_pnl_is_its_nav_less_its_deposit_to_the_cent():
    """Session 22's demo review: NAV 1,000,093.995 showed as 1,000,094.00 while day and
    total P&L showed 93.99, each rounded on its own from a float."""
    result = invoke("demo", "--json")
    assert result.exit_code == 0, result.output
    wrong = {}
    for trader, report in json.loads(result.output)["portfolios"].items():
        s = report["state"]
        deposit = Decimal(report["curve"]["points"][0]["nav"])
        nav, total = Decimal(s["nav"]), Decimal(s["total_pnl"])
        parts = Decimal(s["unrealized_pnl"]) + Decimal(s["realized_pnl"])
        if not nav - deposit == total == parts == Decimal(s["day_pnl"]):
            wrong[trader] = (nav - deposit, total, parts, s["day_pnl"])
    assert wrong == {}
