"""A restart on other versions of numpy or the calendars warns and records the new versions,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from portfolio_helpers import WEDNESDAY, Boot, at

from vtrade.app import library_versions
from vtrade.core.clock import NS_PER_HOUR


def test_a_restart_on_other_library_versions_warns_and_records_the_new_ones(
    boot: Boot, caplog: pytest.LogCaptureFixture
) -> None:
    first = boot(at(WEDNESDAY))
    recorded = first.library_versions.recorded()
    first.library_versions.record({"numpy": "0.1", "holidays": "0.1"})

    second = boot(at(WEDNESDAY) + NS_PER_HOUR)

    assert recorded == library_versions.installed()
    assert second.library_versions.recorded() == recorded
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert [line.split(" is ")[0] for line in warned] == ["numpy", "holidays"]
    assert all("last served with 0.1:" in line for line in warned)


def test_an_unchanged_restart_says_nothing(boot: Boot, caplog: pytest.LogCaptureFixture) -> None:
    boot(at(WEDNESDAY))
    boot(at(WEDNESDAY) + NS_PER_HOUR)

    assert not [r for r in caplog.records if "last served with" in r.getMessage()]
