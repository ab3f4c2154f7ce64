"""`vtrade estimate` refuses a limit price off the instrument's tick as bad input (README, "The
command line": one line starting with `error:`, exit status 2), as it refuses a quantity off
the lot: the engine would never take such an order (`check_shape`; the API answers 422)."""

from __future__ import annotations

from typer.testing import CliRunner

from vtrade.cli import app

AT = "2026-11-18T15:00:00Z"  # a Wednesday, US regular hours


def estimate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["estimate", *args, "--at", AT])
    return result.exit_code, result.output


def test_an_estimate_with_a_limit_price_off_the_tick_is_a_one_line_error_naming_the_tick() -> None:
    code, output = estimate("AAPL", "buy", "10", "--type", "limit", "--limit-price", "100.001")

    assert code == 2, output
    assert output.startswith("error:") and len(output.strip().splitlines()) == 1, output
    assert "tick size 0.01" in " ".join(output.split())


def test_an_estimate_with_a_limit_price_on_the_tick_still_says_what_an_account_would_do() -> None:
    code, output = estimate("AAPL", "buy", "10", "--type", "limit", "--limit-price", "100.01")

    assert code == 0, output
    assert "for a fresh 1,000,000 VCR account:" in output
