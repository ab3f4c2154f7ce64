"""`SqlLibraryVersions`: the `LibraryVersionStore` port in the ledger's database (pass
`SqlStore.engine`)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, delete, select

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
        rows = [{"name": name, "version": version} for name, version in versions.items()]
        with self.engine.begin() as conn:
            conn.execute(delete(library_versions).where(library_versions.c.name.in_(versions)))
            if rows:
                conn.execute(library_versions.insert(), rows)
