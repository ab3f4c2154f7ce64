"""Which library versions a database's market and ledger were computed with, and a warning
when a start finds others: the same seed and commands give the same fills only with the same
random streams, exchange sessions and settlement holidays, and these come from libraries an
upgrade can change (numpy's policy lets a distribution's stream change between versions; a
calendar release adds a newly declared holiday). What is committed stays as it is."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from importlib import metadata

from vtrade.app.ports import LibraryVersionStore

log = logging.getLogger("vtrade.trading")

# Each library whose version shapes what the simulation computes, and what it shapes.
SHAPES = {
    "numpy": "the synthetic market's random streams (prices, volumes and books for a seed)",
    "exchange_calendars": "exchange sessions (trading days, early closes, holidays)",
    "holidays": "FX settlement days (value dates and the days a financing charge rolls)",
}


def installed() -> dict[str, str]:
    """The installed version of each library in `SHAPES`: its distribution's, else (a
    vendored or frozen build has no distribution metadata) its module's `__version__`; a
    library with neither is left out, never recorded nor warned about."""
    found = {name: _version(name) for name in SHAPES}
    return {name: version for name, version in found.items() if version is not None}


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        try:
            version = getattr(importlib.import_module(name), "__version__", None)
        except ImportError:
            return None
        return version if isinstance(version, str) else None


def changes(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """One line per library whose version differs from the one recorded, saying what may
    differ; none for a library never recorded (a database made before versions were)."""
    return [
        f"{name} is {version}, this database was last served with {recorded[name]}: "
        f"{SHAPES.get(name, 'what it computes')} may differ from those of its past; "
        "what is committed stays as it is"
        for name, version in current.items()
        if recorded.get(name, version) != version
    ]


def note_changes(store: LibraryVersionStore, current: Mapping[str, str]) -> list[str]:
    """Log a warning for each library whose version changed since the database was last
    served, record the current ones, and return the warnings."""
    recorded = store.recorded()
    found = changes(recorded, current)
    for line in found:
        log.warning(line)
    if recorded != current:
        store.record(current)
    return found
