"""Fixtures `api` (in-process TestClient) and `live` (uvicorn on a free port): see
api_support.py."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from api_support import InProcess, Live, make_container
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
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 30 s")
        time.sleep(0.01)
    try:
        yield Live(container, app, clock, base_url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
