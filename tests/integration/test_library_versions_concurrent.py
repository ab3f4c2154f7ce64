"""Two servers starting on one database at once record the library versions without failing."""

from __future__ import annotations

import threading

import pytest
from portfolio_helpers import WEDNESDAY, Boot, at
from sqlalchemy import delete

from vtrade.adapters.sql.library_versions import SqlLibraryVersions
from vtrade.adapters.sql.tables import library_versions


def test_two_starts_recording_new_versions_at_once_both_succeed(boot: Boot) -> None:
    engine = boot(at(WEDNESDAY)).store.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes writers: the second delete sees the first's rows")
    new = {"numpy": "9.9", "exchange_calendars": "9.9", "holidays": "9.9"}
    failures: list[BaseException] = []

    def second_start() -> None:
        try:
            SqlLibraryVersions(engine).record(new)
        except BaseException as exc:  # noqa: BLE001 - what the second start would raise
            failures.append(exc)

    with engine.begin() as first:  # the first start, between its delete and its commit
        first.execute(delete(library_versions))
        rows = [{"name": name, "version": version} for name, version in new.items()]
        first.execute(library_versions.insert(), rows)
        racer = threading.Thread(target=second_start)
        racer.start()
        racer.join(timeout=1)  # blocked on the first's locks until it commits
    racer.join()

    assert failures == []
    assert SqlLibraryVersions(engine).recorded() == new
