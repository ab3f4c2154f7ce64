"""`bench`: run one of the reproducible benchmarks in benchmarks/."""

from __future__ import annotations

import typer

from vtrade.cli.common import friendly_errors, out


@friendly_errors
def bench(
    name: str = typer.Argument(..., help="Benchmark name, e.g. market"),
    size: str = typer.Option("full", "--size", help="smoke (CI) or full"),
    output: str | None = typer.Option(None, "--out", help="Where to write the JSON results"),
) -> None:
    """Run a benchmark from benchmarks/, print its table and write JSON results."""
    from benchmarks import runner

    runner.run(name, size, output, out)
