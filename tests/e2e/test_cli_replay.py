"""`--replay FILE` serves the user's own bars through the same CLI and the same books."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from vtrade.cli import app

runner = CliRunner()
BARS = """timestamp,open,high,low,close,volume
2024-03-15T14:30:00Z,172.10,172.50,171.90,172.30,120000
2024-03-15T14:31:00Z,172.30,172.40,172.00,172.05,80000
2024-03-15T14:32:00Z,172.05,172.20,171.80,171.95,95000
2024-03-15T14:33:00Z,171.95,172.60,171.90,172.55,70000
2024-03-15T14:34:00Z,172.55,172.70,172.40,172.45,60000
"""


@pytest.fixture
def bars_file(tmp_path):
    path = tmp_path / "aapl.csv"
    path.write_text(BARS)
    return str(path)


def test_history_replays_the_files_bars_up_to_their_end_by_default(bars_file):
    result = runner.invoke(
        app, ["history", "AAPL", "--interval", "1m", "--days", "1", "--replay", bars_file]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "ts,open,high,low,close,volume"
    assert lines[1].startswith("2024-03-15T14:30:00Z,172.10,172.50,171.90,172.30,120000")
    assert len(lines) == 6


def test_history_aggregates_replayed_minutes_into_5m_bars(bars_file):
    result = runner.invoke(
        app,
        [
            "history",
            "AAPL",
            "--interval",
            "5m",
            "--days",
            "1",
            "--replay",
            bars_file,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    (bar,) = json.loads(result.output)
    assert (bar["open"], bar["high"], bar["low"], bar["close"]) == (
        "172.10",
        "172.70",
        "171.80",
        "172.45",
    )
    assert bar["volume"] == "425000"


def test_market_quotes_the_replayed_bar_in_progress_with_a_catalog_calibrated_book(bars_file):
    result = runner.invoke(
        app,
        [
            "market",
            "AAPL",
            "--replay",
            bars_file,
            "--json",
            "--at",
            "2024-03-15T14:32:30Z",
            "--depth",
            "10",
        ],
    )
    assert result.exit_code == 0, result.output
    snap = json.loads(result.output)
    bid, ask = float(snap["quote"]["bid"]), float(snap["quote"]["ask"])
    assert bid < 172.05 < ask  # the open of the 14:32 bar; no look-ahead to its close
    assert len(snap["book"]["bids"]) == len(snap["book"]["asks"]) == 10
    assert snap["session"]["phase"] == "regular"


def test_a_symbol_missing_from_the_replay_is_a_one_line_error(bars_file):
    result = runner.invoke(
        app, ["history", "MSFT", "--interval", "1m", "--days", "1", "--replay", bars_file]
    )
    assert result.exit_code == 2
    assert "not in the replayed data" in result.output
    assert "Traceback" not in result.output


def test_a_malformed_replay_file_names_the_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BARS.replace("171.80", "abc"))
    result = runner.invoke(
        app, ["history", "AAPL", "--interval", "1m", "--days", "1", "--replay", str(path)]
    )
    assert result.exit_code == 2
    assert "row 4" in result.output and "low" in result.output
