"""Library versions: a start on other versions of numpy or the calendars says what may differ."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata

import exchange_calendars
import holidays
import numpy
import pytest

from vtrade.app import library_versions
from vtrade.app.library_versions import changes, note_changes


class FakeVersionStore:
    def __init__(self, recorded: dict[str, str] | None = None) -> None:
        self.rows = dict(recorded or {})
        self.writes = 0

    def recorded(self) -> dict[str, str]:
        return dict(self.rows)

    def record(self, versions: Mapping[str, str]) -> None:
        self.rows.update(versions)
        self.writes += 1


NOW = {"numpy": "2.1.0", "exchange_calendars": "4.13.2", "holidays": "0.109"}


def test_installed_names_each_library_that_shapes_the_simulation() -> None:
    found = library_versions.installed()

    assert found.keys() == library_versions.SHAPES.keys() == NOW.keys()
    assert all(found.values())


def test_a_library_without_distribution_metadata_is_read_from_its_module_or_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A vendored or frozen build has no metadata: the start must not fail for it."""

    def no_metadata(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", no_metadata)
    shapes = {**library_versions.SHAPES, "vtrade_no_such_library": "nothing"}
    monkeypatch.setattr(library_versions, "SHAPES", shapes)

    found = library_versions.installed()

    assert found == {
        "numpy": numpy.__version__,
        "exchange_calendars": exchange_calendars.__version__,
        "holidays": holidays.__version__,
    }


def test_a_changed_version_is_named_with_what_it_may_change() -> None:
    lines = changes({**NOW, "holidays": "0.100"}, NOW)

    assert lines == [
        "holidays is 0.109, this database was last served with 0.100: FX settlement days "
        "(value dates and the days a financing charge rolls) may differ from those of its "
        "past; what is committed stays as it is"
    ]


def test_a_library_never_recorded_is_no_change() -> None:
    assert changes({}, NOW) == []
    assert changes({"numpy": "2.1.0"}, NOW) == []


def test_the_first_start_records_quietly_and_an_unchanged_one_writes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FakeVersionStore()

    first = note_changes(store, NOW)
    second = note_changes(store, NOW)

    assert first == second == []
    assert store.rows == NOW and store.writes == 1
    assert not caplog.records


def test_a_start_on_an_upgrade_warns_once_and_records_the_new_versions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FakeVersionStore({**NOW, "numpy": "1.26.4", "exchange_calendars": "4.5"})

    warned = note_changes(store, NOW)
    again = note_changes(store, NOW)

    assert [line.split(" is ")[0] for line in warned] == ["numpy", "exchange_calendars"]
    assert "random streams" in warned[0] and "exchange sessions" in warned[1]
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert again == [] and store.rows == NOW
