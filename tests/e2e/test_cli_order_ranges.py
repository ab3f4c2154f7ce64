"""`vtrade estimate` refuses numbers out of range with one `error:` line, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from vtrade.cli import app

AT = "2026-11-18T15:00:00Z"  # a Wednesday, US regular hours
HUGE = "99999999999999999999999999999999999999"  # beyond Decimal's 28 digits


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((HUGE,), f"error: qty {HUGE} is out of range"),
        (("1", "--type", "limit", "--limit-price", "1e30"), "error: limit_price 1E+30 is out"),
    ],
)
def test_a_number_out_of_range_is_a_one_line_error(args: tuple[str, ...], message: str) -> None:
    result = CliRunner().invoke(app, ["estimate", "AAPL", "buy", *args, "--at", AT])

    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())  # rich may wrap the line
    assert "Traceback" not in result.output
