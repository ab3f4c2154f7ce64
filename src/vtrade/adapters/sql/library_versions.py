"""`SqlLibraryVersions`: the `LibraryVersionStore` port in the ledger's database (pass
`SqlStore.engine`)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, select

from vtrade.adapters.sql.store_writes import upsert
from vtrade.adapters.sql.tables import library_versions


class SqlLibraryVersions:
    """The `LibraryVersionStore` port on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def recorded(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            found = conn.execute(select(library_versions.c.name, library_versions.c.version))
            return {name: version for name, version in found}

    def record(self, versions: Mapping[str, str]) -> None:
        # an upsert, not a delete and an insert: two servers starting at once each insert
        # what the other's delete could not see, and one broke the primary key (PostgreSQL)
        rows = [{"name": name, "version": version} for name, version in versions.items()]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(upsert(self.engine.dialect.name, library_versions, "name"), rows)
