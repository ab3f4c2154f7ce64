"""`vtrade serve`'s clock and port flags: a value it cannot serve is one `error:` line that
says the allowed range, before anything listens; a value it can is served."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from vtrade import bootstrap
from vtrade.core.clock import SimulatedClock, parse_instant, to_ns
from vtrade.settings import Settings

SERVE = [sys.executable, "-c", "from vtrade.cli import main; main()", "serve"]
COVERED = "2006-01-01 to 2031-12-31 (UTC)"
SPEEDS = "--speed must be positive and at most 1,000,000"


@pytest.fixture(autouse=True)
def _own_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("VTRADE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VTRADE_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--speed", "1e12"], f"{SPEEDS}, got 1e+12"),  # had crashed with OverflowError
        (["--speed", "1e300"], f"{SPEEDS}, got 1e+300"),
        (["--speed", "inf"], f"{SPEEDS}, got inf"),
        (["--speed", "nan"], f"{SPEEDS}, got nan"),
        (["--speed", "0"], f"{SPEEDS}, got 0"),
        (["--port", "-1"], "--port must be 0 to 65535 (0: any free port), got -1"),
        (["--port", "65536"], "--port must be 0 to 65535 (0: any free port), got 65536"),
        (
            ["--start", "2099-01-01T00:00:00Z"],  # had said ready, then answered 500
            f"--start 2099-01-01T00:00:00Z is after the days the simulated market covers: "
            f"{COVERED}",
        ),
        (
            ["--start", "1900-01-01T00:00:00Z"],  # had spoken of 1970
            f"--start 1900-01-01T00:00:00Z is before the days the simulated market covers: "
            f"{COVERED}",
        ),
    ],
)
def test_a_flag_value_it_cannot_serve_is_one_line_with_the_allowed_range(
    flags: list[str], expected: str
) -> None:
    port = [] if "--port" in flags else ["--port", "0"]  # a server it starts by mistake
    done = subprocess.run(SERVE + port + flags, capture_output=True, text=True, timeout=60)

    assert done.returncode == 2, done.stderr
    assert done.stderr == f"error: {expected}\n"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_fast_clock_started_within_the_market_serves_and_says_when_it_has_run_past_it() -> None:
    """The start is checked, not where a fast clock got to while the market was built: a start
    an hour before the end at the top speed had been refused as after the market's days.
    Once past them the server stays up, not ready, and still shuts down in order."""
    port = _port()
    flags = ["--port", str(port), "--start", "2031-12-31T23:00:00Z", "--speed", "1000000"]
    server = subprocess.Popen(SERVE + flags, stderr=subprocess.PIPE, text=True)
    try:
        ready = None
        deadline = time.monotonic() + 60
        while ready is None and time.monotonic() < deadline and server.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
            except httpx.HTTPError:
                time.sleep(0.2)
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()

    assert ready is not None, stderr  # it served
    assert ready.status_code == 503
    market = ready.json()["checks"]["market"]
    assert market.startswith("the clock is outside the days the simulated market covers")
    messages = [json.loads(line)["message"] for line in stderr.splitlines()]
    assert "stopped" in messages  # every part of the shutdown ran, the failing ones logged


def test_a_fast_clock_resuming_a_market_stored_past_its_days_is_refused(tmp_path: Path) -> None:
    """`--speed` without `--start` resumes where an earlier fast run took the market: that
    instant had not been checked, so such a server said ready and answered 503 to everything."""
    clock = SimulatedClock(to_ns(parse_instant("2031-12-31T23:00:00Z")))
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    container = bootstrap.build(Settings(database_url=url), clock)
    container.store.migrate()
    container.store.commit([], worked_ns=to_ns(parse_instant("2032-01-02T00:00:00Z")))
    container.store.close()

    done = subprocess.run(
        [*SERVE, "--port", "0", "--speed", "10"], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "error: the market's stored time 2032-01-02T00:00:00Z is after the days the simulated "
        f"market covers: {COVERED}\n"
    )
