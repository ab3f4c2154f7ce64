"""Run a benchmark module `benchmarks.<name>`: print its table and write its JSON results.

A benchmark module exposes `run(size: str) -> list[Row]`; `size` is "smoke" (tiny, for CI)
or "full" (the figures we report).
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

SIZES = ("smoke", "full")


@dataclass(frozen=True, slots=True)
class Row:
    """One measured figure, with the naive way beside it where there is one."""

    metric: str
    value: float
    unit: str
    naive: float | None = None
    target: str = ""
    ok: bool | None = None

    @property
    def ratio(self) -> float | None:
        """How many times better than the naive way (for rates: higher is better)."""
        if self.naive is None or not self.naive or not self.value:
            return None
        return self.value / self.naive if self.unit.endswith("/s") else self.naive / self.value


def run(name: str, size: str, output: str | None, console: Console) -> Path:
    """Run benchmark `name` at `size`, print it, write JSON, and return the JSON path."""
    if not re.fullmatch(r"[a-z_]+", name):
        raise ValueError(f"benchmark name must be lowercase letters, got {name!r}")
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; allowed: {', '.join(SIZES)}")
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError:
        raise ValueError(f"unknown benchmark {name!r}; allowed: {', '.join(available())}") from None
    path = _writable(Path(output) if output else Path(__file__).parent / "results" / f"{name}.json")
    rows: list[Row] = module.run(size)
    table = Table(title=f"vtrade bench {name} ({size})")
    for col in ("Metric", "Value", "Unit", "Naive", "Ratio", "Target", "OK"):
        table.add_column(col, justify="left" if col in ("Metric", "Unit", "Target") else "right")
    for r in rows:
        table.add_row(
            r.metric,
            _fmt(r.value),
            r.unit,
            _fmt(r.naive) if r.naive is not None else "",
            _ratio(r.ratio),
            r.target,
            {True: "yes", False: "NO", None: ""}[r.ok],
        )
    console.print(table)
    payload = {
        "benchmark": name,
        "size": size,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "rows": [{**asdict(r), "ratio": r.ratio} for r in rows],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    console.print(f"results written to {path}")
    return path


def _writable(path: Path) -> Path:
    """`path`, checked before the run (minutes, at full size) that writes its results there:
    not a folder, and its folder made or makable."""
    if path.is_dir():
        raise ValueError(f"--out {path} is a folder: give a file, e.g. {path / 'results.json'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {path}: cannot make its folder ({exc.strerror})") from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ValueError(f"--out {path}: not writable")
    return path


def available() -> list[str]:
    """Names of the benchmark modules shipped."""
    here = Path(__file__).parent
    return sorted(p.stem for p in here.glob("*.py") if p.stem not in ("__init__", "runner"))


def _ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2f}x"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"
