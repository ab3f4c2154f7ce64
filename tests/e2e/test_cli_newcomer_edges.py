"""The command line as a newcomer meets it (found in session 20's CLI review): one close per
estimate, a harsh estimate's costs measured from the mid it shows, `bench --out` and
`demo --start` checked before they run."""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vtrade.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _scratch_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scratch database, and no `VTRADE_…` settings of the developer's shell."""
    for name in list(os.environ):
        if name.startswith("VTRADE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VTRADE_DATABASE_URL", f"sqlite:///{tmp_path / 'review.db'}")


def _estimate(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["estimate", *args, "--json"])
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.output)
    return answer


def test_a_harsh_estimate_measures_its_slippage_from_the_arrival_mid_it_shows() -> None:
    """README (`estimate`): slippage split into spread and impact "from the arrival mid". A
    harsh order arrives half a second after it is sent; the estimate shows the book it meets
    then, and its arrival mid is that book's mid (it was the mid when sent: 271.8750, above the
    ask of 271.87, and the total left out the market's move meanwhile)."""
    e = _estimate("AAPL", "buy", "500", "--at", "2026-11-18T16:29:59.9Z", "--profile", "harsh")
    mid, avg = Decimal(e["arrival_mid"]), Decimal(e["expected_avg_price"])
    assert Decimal(e["bid"]) <= mid <= Decimal(e["ask"])
    measured = (avg - mid) / mid * 10_000
    assert abs(Decimal(e["slippage_bps"]["total"]) - measured) <= Decimal("0.02"), (e, measured)


@pytest.mark.parametrize(
    ("symbol", "qty", "day_ends"),
    [
        ("EUR/USD", "10000000000", "2026-11-18T22:00:00Z"),  # 17:00 New York, daily
        ("BTC-USD", "500", "2026-11-19T00:00:00Z"),  # midnight UTC: crypto never closes
        ("AAPL", "20000000", "2026-11-18T21:00:00Z"),  # New York's close
    ],
)
def test_an_estimate_names_the_end_of_the_day_order_s_trading_day_not_another_close(
    symbol: str, qty: str, day_ends: str
) -> None:
    """The session line shows the market's next close (EUR/USD: Friday's; BTC-USD: none);
    a block's note said "before the close (T)" with T the end of the day order's trading day,
    a second close in one estimate. It names that instant as what it is."""
    e = _estimate(symbol, "buy", qty, "--at", "2026-11-18T15:00:00Z")
    named = re.search(
        r"before its trading day ends \(([^)]+)\), when the day order expires", e["note"]
    )
    assert named is not None and named.group(1) == day_ends, e["note"]
    assert "close" not in e["note"]


def test_bench_out_naming_a_folder_is_one_error_line_before_the_run(tmp_path: Path) -> None:
    """README: bad input prints one `error:` line and exits 2, never a traceback; and a
    full-size run takes minutes, so the path is checked first."""
    for out in (str(tmp_path), "/proc/no/such/results.json"):
        result = runner.invoke(app, ["bench", "market", "--size", "smoke", "--out", out])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: --out"), result.output
        assert "vtrade bench market" not in result.output  # refused before the run


def test_demo_start_outside_a_us_regular_session_is_refused_with_the_next_open() -> None:
    """`vtrade demo --help`: "--start ... in a US session". A Saturday start ran with every
    US order queued for Monday's open and showed one crypto fill."""
    result = runner.invoke(app, ["demo", "--start", "2026-11-21T15:00:00Z", "--minutes", "1"])
    assert result.exit_code == 2, result.output
    assert result.output == (
        "error: --start 2026-11-21T15:00:00Z is not in a US regular session (New York: "
        "closed); the next opens at 2026-11-23T14:30:00Z\n"
    )
