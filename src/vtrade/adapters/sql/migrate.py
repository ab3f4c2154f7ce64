"""Run the Alembic migrations from code: no alembic.ini needed at runtime."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Serializes concurrent `migrate()` calls against one PostgreSQL database (any constant works;
# this one is "vtrade" in ASCII).
_PG_LOCK_KEY = 0x767472616465


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """Build an Alembic config that points at the packaged migrations.

    With `connection`, migrations run on it (inside its transaction); with `url`, the
    `alembic` machinery connects by itself (e.g. for `command.revision(..., autogenerate=True)`).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """Return the newest revision id of the packaged migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it has no schema yet."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to `revision` in one transaction; a no-op when already there."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        command.upgrade(alembic_config(connection=conn), revision)
