"""Run the Alembic migrations from code: no alembic.ini needed at runtime."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from vtrade.adapters.sql.engine import SQLITE_BUSY_MS
from vtrade.core.errors import StorageError, ValidationError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Serializes concurrent `migrate()` calls against one PostgreSQL database (any constant works;
# this one is "vtrade" in ASCII).
_PG_LOCK_KEY = 0x767472616465
_SQLITE_MIGRATION_WAIT_MS = 120_000


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


@functools.cache
def history() -> tuple[Migration, ...]:
    """The packaged migrations, oldest first (read once: they are part of the package)."""
    script = ScriptDirectory.from_config(alembic_config())
    newest_first = [Migration(s.revision, (s.doc or "").strip()) for s in script.walk_revisions()]
    return tuple(reversed(newest_first))


def head_revision() -> str | None:
    """Return the newest revision id of the packaged migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it has no schema yet."""
    with _failing_cleanly("reading the database's migration"), engine.connect() as conn:
        return _known(conn, history())


def pending(engine: Engine) -> tuple[Migration, ...]:
    """The migrations the database lacks, oldest first."""
    steps = history()
    with _failing_cleanly("reading the database's migration"), engine.connect() as conn:
        return steps[_applied(_known(conn, steps), steps) :]


def target_of(revision: str) -> str:
    """The revision `revision` names ("head", in any case: the newest), or a clear refusal."""
    revisions = [m.revision for m in history()]
    wanted = revision.strip()
    if wanted.lower() == "head":
        return revisions[-1]
    if wanted not in revisions:
        raise ValidationError(
            f"no migration {revision!r}; allowed: head or one of {', '.join(revisions)}"
        )
    return wanted


def migrate(engine: Engine, revision: str = "head") -> Moved:
    """Bring the database to `revision` ("head": the newest) in one transaction, upgrading or
    downgrading (which drops what the later migrations added); a no-op when already there.
    A failure changes nothing and is a `StorageError` that says why."""
    steps = history()
    revisions = [m.revision for m in steps]
    target = target_of(revision)
    with _failing_cleanly(f"migrating the database to {target}"), _migrating(engine) as conn:
        before = _known(conn, steps)
        if before == target:  # every start: neither Alembic nor a check of every reference
            return Moved(before, target, (), upgraded=True)
        config = alembic_config(connection=conn)
        reverted = reverted_by(before, target)
        if reverted:
            command.downgrade(config, target)
            moved = Moved(before, target, reverted, upgraded=False)
        else:
            command.upgrade(config, target)
            done, wanted = _applied(before, steps), revisions.index(target) + 1
            moved = Moved(before, target, steps[done:wanted], upgraded=True)
        _check_references(conn)
        return moved


def reverted_by(current: str | None, target: str) -> tuple[Migration, ...]:
    """The migrations bringing a database at `current` to `target` undoes, newest first:
    none when it upgrades (or stays)."""
    steps = history()
    done, wanted = _applied(current, steps), _applied(target, steps)
    return steps[wanted:done][::-1]


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A transaction for migrations, one at a time per database. On SQLite the write lock is
    taken at BEGIN (a deferred one fails with "database is locked" when two starts migrate at
    once), and foreign keys are checked at the end instead of at each statement: a batch
    migration rebuilds a table (create a copy, drop the original), and dropping `orders` under
    enforced keys fails as soon as a fill refers to it."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield conn
        return
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: before BEGIN
        # wait as long as another start's whole chain of migrations may take on a slow disk
        raw.execute(f"PRAGMA busy_timeout={_SQLITE_MIGRATION_WAIT_MS}")
        try:
            with conn.execution_options(sqlite_begin="IMMEDIATE").begin():
                yield conn
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
            raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")


def _check_references(conn: Connection) -> None:
    """Refuse to commit migrations that left a row referring to one that is gone."""
    if conn.dialect.name == "sqlite":
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            table, _, parent, _ = broken[0]
            raise StorageError(
                f"{len(broken)} row(s) of {table} would refer to missing rows of {parent}"
            )


@contextmanager
def _failing_cleanly(doing: str) -> Iterator[None]:
    """Turn a database or Alembic failure into a `StorageError` naming what failed (the
    transaction was rolled back): a traceback had exited with the status `--check` gives a
    pending migration."""
    try:
        yield
    except (SQLAlchemyError, CommandError) as exc:
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        reason = " ".join(str(cause).split())
        raise StorageError(
            f"{doing} failed and changed nothing ({type(cause).__name__}: {reason})"
        ) from exc


def _known(conn: Connection, steps: tuple[Migration, ...]) -> str | None:
    """The database's revision, refused when these migrations do not know it (a newer vtrade
    wrote the database: Alembic's own error would be a traceback), or when vtrade's tables
    are there without a record of their migration (upgrading would create them again)."""
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
    if current is None and inspect(conn).has_table("accounts"):
        raise StorageError(
            "the database has vtrade's tables but no record of their migration (its "
            "alembic_version table is missing or empty): restore it from a backup, or point "
            "VTRADE_DATABASE_URL at another database"
        )
    return current


def _applied(current: str | None, steps: tuple[Migration, ...]) -> int:
    """How many of `steps` a database at `current` has."""
    return 0 if current is None else [m.revision for m in steps].index(current) + 1
