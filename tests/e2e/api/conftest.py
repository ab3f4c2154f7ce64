"""Fixtures `api` (in-process TestClient) and `live` (uvicorn on a free port): see
api_support.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import InProcess, Live, make_container, served
from fastapi.testclient import TestClient

from vtrade.api.app import create_app


@pytest.fixture
def api(tmp_path: Path) -> Iterator[InProcess]:
    container, clock = make_container(tmp_path)
    app = create_app(container, run_steps=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield InProcess(container, app, clock, client=client)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    container, clock = make_container(tmp_path, step_ms=20)
    app = create_app(container)
    with served(app) as base_url:
        yield Live(container, app, clock, base_url=base_url)
