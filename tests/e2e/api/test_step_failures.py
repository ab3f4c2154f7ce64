"""A server whose market steps fail keeps serving, says so on /readyz, and logs the failure
once, not at every step (a clock past the market's last day fails every one, several a
second), and once more when steps work again."""

from __future__ import annotations

import asyncio
import logging

import pytest
from api_support import InProcess

from vtrade.api.app import _step_yielding


def test_a_run_of_failed_steps_is_logged_once_and_its_end_once(
    api: InProcess, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = api.state.runtime
    advance = runtime.advance

    def failing() -> int:
        raise OSError(5, "Input/output error")

    with caplog.at_level(logging.INFO, logger="vtrade.api"):
        monkeypatch.setattr(runtime, "advance", failing)
        for _ in range(5):
            asyncio.run(_step_yielding(api.state))  # the server's timer
        failing_now = api.http.get("/readyz")
        monkeypatch.setattr(runtime, "advance", advance)
        asyncio.run(_step_yielding(api.state))

    assert failing_now.status_code == 503
    assert failing_now.json()["checks"]["market"] == (
        "steps failing: the last one OSError: [Errno 5] Input/output error"
    )
    assert api.http.get("/readyz").status_code == 200
    logged = [r for r in caplog.records if r.getMessage().startswith("runtime step")]
    assert [r.levelname for r in logged] == ["ERROR", "INFO"]
    assert logged[0].exc_info is not None  # the first failure's traceback
    assert logged[1].getMessage() == "runtime steps work again"
