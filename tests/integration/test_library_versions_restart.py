"""A restart on other versions of numpy or the calendars warns and records the new versions,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from portfolio_helpers import WEDNESDAY, Boot, at

from vtrade.app import library_versions
from vtrade.app.services import TradingService
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


def test_the_warning_comes_before_the_downtime_is_worked_on_the_new_versions(
    boot: Boot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = boot(at(WEDNESDAY))
    first.library_versions.record({"numpy": "0.1"})
    warned_by_then: list[bool] = []
    catch_up = TradingService.catch_up

    def watched(self: TradingService) -> None:
        warned_by_then.append(any("last served with" in r.getMessage() for r in caplog.records))
        catch_up(self)

    monkeypatch.setattr(TradingService, "catch_up", watched)
    boot(at(WEDNESDAY) + NS_PER_HOUR)

    assert warned_by_then == [True]


def test_an_unchanged_restart_says_nothing(boot: Boot, caplog: pytest.LogCaptureFixture) -> None:
    boot(at(WEDNESDAY))
    boot(at(WEDNESDAY) + NS_PER_HOUR)

    assert not [r for r in caplog.records if "last served with" in r.getMessage()]
