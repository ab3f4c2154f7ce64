"""Run the Alembic migrations from code: no alembic.ini needed at runtime."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from vtrade.core.errors import StorageError, ValidationError

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


class Migration(NamedTuple):
    revision: str
    title: str  # the first line of its docstring


class Moved(NamedTuple):
    """What `migrate` did: the revisions before and after, and the migrations it applied
    (upgrading, oldest first) or reverted (downgrading, newest first)."""

    before: str | None
    after: str
    steps: tuple[Migration, ...]
    upgraded: bool


def history() -> tuple[Migration, ...]:
    """The packaged migrations, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    newest_first = [Migration(s.revision, (s.doc or "").strip()) for s in script.walk_revisions()]
    return tuple(reversed(newest_first))


def head_revision() -> str | None:
    """Return the newest revision id of the packaged migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it has no schema yet."""
    with engine.connect() as conn:
        return _known(conn, history())


def pending(engine: Engine) -> tuple[Migration, ...]:
    """The migrations the database lacks, oldest first."""
    steps = history()
    with engine.connect() as conn:
        return steps[_applied(_known(conn, steps), steps) :]


def migrate(engine: Engine, revision: str = "head") -> Moved:
    """Bring the database to `revision` ("head": the newest) in one transaction, upgrading or
    downgrading (which drops what the later migrations added); a no-op when already there."""
    steps = history()
    revisions = [m.revision for m in steps]
    target = revisions[-1] if revision == "head" else revision
    if target not in revisions:
        raise ValidationError(
            f"no migration {revision!r}; allowed: head or one of {', '.join(revisions)}"
        )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        before = _known(conn, steps)
        done, wanted = _applied(before, steps), revisions.index(target) + 1
        config = alembic_config(connection=conn)
        if wanted >= done:
            command.upgrade(config, target)
            return Moved(before, target, steps[done:wanted], upgraded=True)
        command.downgrade(config, target)
        return Moved(before, target, steps[wanted:done][::-1], upgraded=False)


def _known(conn: Connection, steps: tuple[Migration, ...]) -> str | None:
    """The database's revision, refused when these migrations do not know it: a newer vtrade
    wrote the database, and Alembic's own error would be a traceback."""
    current = MigrationContext.configure(conn).get_current_revision()
    if current is not None and current not in {m.revision for m in steps}:
        newest = steps[-1].revision
        raise StorageError(
            f"the database is at migration {current}, which this vtrade does not know (its "
            f"newest is {newest}): a newer vtrade wrote it. Run that vtrade, or take the "
            f"database back with its `vtrade migrate --to {newest}`",
            current=current,
            head=newest,
        )
    return current


def _applied(current: str | None, steps: tuple[Migration, ...]) -> int:
    """How many of `steps` a database at `current` has."""
    return 0 if current is None else [m.revision for m in steps].index(current) + 1
