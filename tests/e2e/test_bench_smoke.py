"""Benchmarks run in their smoke size in CI: they must work, not be fast."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from benchmarks import runner


def test_market_benchmark_prints_a_table_and_writes_json(tmp_path):
    out = tmp_path / "market.json"
    console = Console(record=True, width=160)
    runner.run("market", "smoke", str(out), console)
    payload = json.loads(out.read_text())
    metrics = [row["metric"] for row in payload["rows"]]
    assert any("quote updates" in m for m in metrics)
    assert any("daily bars" in m for m in metrics)
    assert all(row["value"] > 0 for row in payload["rows"])
    assert "vtrade bench market" in console.export_text()


def test_unknown_benchmark_names_the_available_ones(tmp_path):
    with pytest.raises(ValueError, match="allowed: .*market"):
        runner.run("nope", "smoke", str(tmp_path / "x.json"), Console())


@pytest.mark.parametrize("name", ["execution", "portfolio", "ws_fanout", "api", "alpaca_stream"])
def test_every_benchmark_runs_in_its_smoke_size_and_writes_its_table(tmp_path, name):
    """Each benchmark still runs end to end (its figures are for `vtrade bench`, not CI)."""
    out = tmp_path / f"{name}.json"
    console = Console(record=True, width=200)
    runner.run(name, "smoke", str(out), console)
    rows = json.loads(out.read_text())["rows"]
    assert rows and all(isinstance(row["value"], int | float) for row in rows)
    assert f"vtrade bench {name}" in console.export_text()
