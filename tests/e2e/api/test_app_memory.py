"""An app that has stopped leaves nothing alive: the freeze of start-up objects (kept out of
the collector's passes while the server runs) ends with it."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from api_support import make_container
from fastapi.testclient import TestClient

from vtrade.api.app import create_app


def test_a_stopped_app_and_its_container_can_be_collected(tmp_path: Path) -> None:
    markets = []
    for run in range(2):
        container, _ = make_container(tmp_path / str(run))
        with TestClient(create_app(container, run_steps=False)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 0  # the server froze its start-up objects
        markets.append(weakref.ref(container.market))
        del container, client

    gc.collect()

    assert gc.get_freeze_count() == 0
    assert [m() for m in markets] == [None, None]
