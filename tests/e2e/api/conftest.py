"""Fixtures `api` (in-process TestClient), `make_api` (the same with execution settings of the
test's choosing) and `live` (uvicorn on a free port): see api_support.py."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import InProcess, Live, make_container, served
from fastapi.testclient import TestClient

from vtrade.api.app import create_app
from vtrade.settings import ExecutionSettings


@pytest.fixture
def api(tmp_path: Path) -> Iterator[InProcess]:
    container, clock = make_container(tmp_path)
    app = create_app(container, run_steps=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield InProcess(container, app, clock, client=client)


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[Callable[..., InProcess]]:
    """`api` with `ExecutionSettings(**execution)`: `make_api(max_position_share=...)`."""
    with contextlib.ExitStack() as stack:

        def make(**execution: Any) -> InProcess:
            container, clock = make_container(tmp_path, execution=ExecutionSettings(**execution))
            app = create_app(container, run_steps=False)
            client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
            return InProcess(container, app, clock, client=client)

        yield make


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    container, clock = make_container(tmp_path, step_ms=20)
    app = create_app(container)
    with served(app) as base_url:
        yield Live(container, app, clock, base_url=base_url)
