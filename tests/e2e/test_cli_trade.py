"""`vtrade estimate` and `vtrade demo` through the CLI."""

from __future__ import annotations

import json

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


def test_demo_is_deterministic():
    first = invoke("demo", "--minutes", "2", "--json").output
    assert invoke("demo", "--minutes", "2", "--json").output == first
