"""`migrate`: bring the database's schema to this vtrade's migrations, or check it first."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from vtrade import bootstrap
from vtrade.adapters.sql.engine import in_memory
from vtrade.adapters.sql.migrate import (
    Migration,
    Moved,
    head_revision,
    history,
    reverted_by,
    target_of,
)
from vtrade.cli.common import JsonOption, friendly_errors, out, print_json, settings
from vtrade.settings import Settings, hidden_url


@friendly_errors
def migrate(
    to: str = typer.Option(
        "head", "--to", help="Revision to bring the database to, up or down (head: the newest)"
    ),
    check: bool = typer.Option(
        False, "--check", help="Change nothing: list pending migrations, exit 1 if any"
    ),
    yes: bool = typer.Option(
        False, "--yes", help="Take the database back (--to an earlier revision): it drops data"
    ),
    database_url: str | None = typer.Option(None, "--database-url", help="SQLAlchemy URL"),
    as_json: bool = JsonOption,
) -> None:
    """Create or upgrade the database's schema (every start does it too), or take it back
    to an earlier revision for an older vtrade with --to and --yes (stop every vtrade on the
    database first)."""
    if check and to != "head":
        raise ValueError("--check compares the database with the newest migration: drop --to")
    target = target_of(to)  # before opening the database: a typo creates no file
    chosen = settings(database_url=database_url)
    if in_memory(make_url(chosen.database_url)):
        raise ValueError(
            "an in-memory database lasts only as long as this command: there is nothing to "
            "migrate; give a SQLite file or a PostgreSQL URL"
        )
    shown = hidden_url(chosen.database_url)
    if check:
        _check(chosen, shown, as_json)
        return
    store = bootstrap.open_store(chosen)
    try:
        current = store.schema_revision()
        dropped = reverted_by(current, target)
        if dropped and not yes:  # it drops tables and columns, under any server using them
            raise ValueError(
                f"taking {shown} back from {current} to {target} drops what migrations "
                f"{', '.join(m.revision for m in reversed(dropped))} added, and their data: "
                "stop every vtrade that uses the database, then run again with --yes"
            )
        moved = store.migrate_to(target)
    finally:
        store.close()
    if as_json:
        print_json(
            {
                "database": shown,
                "before": moved.before,
                "after": moved.after,
                "direction": _direction(moved),
                "migrations": _listed(moved.steps),
            }
        )
    else:
        _print_moved(shown, moved)


def _check(chosen: Settings, shown: str, as_json: bool) -> None:
    """Report the database's revision and what it lacks; exit status 1 when it lacks any.
    A SQLite file that does not exist is reported, not created."""
    if _absent_sqlite_file(chosen.database_url):
        current, waiting = None, history()
    else:
        store = bootstrap.open_store(chosen)
        try:
            current, waiting = store.schema_revision(), store.pending_migrations()
        finally:
            store.close()
    newest = head_revision()
    if as_json:
        listed = _listed(waiting)
        print_json({"database": shown, "current": current, "newest": newest, "pending": listed})
    elif not waiting:
        _say(f"{shown} is at {current}, the newest migration")
    else:
        where = "has no schema yet" if current is None else f"is at {current}"
        _say(f"{shown} {where}; {_count(waiting)} pending:")
        _print_steps(waiting)
        _say("`vtrade migrate` applies them (so does any start)")
    if waiting:
        raise typer.Exit(1)


def _absent_sqlite_file(url: str) -> bool:
    """Whether `url` is a plain SQLite file that does not exist: opening it would create it.
    The path as SQLite reads it (no `~` expansion); URI forms are left to SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query or in_memory(parsed):
        return False
    return not Path(str(parsed.database)).exists()


def _print_moved(shown: str, moved: Moved) -> None:
    if not moved.steps:
        _say(f"{shown} is at {moved.after} already: nothing to do")
        return
    if moved.before is None:
        head = f"created the schema of {shown} at {moved.after} ({_count(moved.steps)}):"
    elif moved.upgraded:
        head = f"upgraded {shown} from {moved.before} to {moved.after}:"
    else:
        head = f"took {shown} back from {moved.before} to {moved.after}, reverting:"
    _say(head)
    _print_steps(moved.steps)
    if not moved.upgraded:
        _say(
            f"this vtrade needs {head_revision()}: any of its commands (serve, users, "
            "keys, portfolio) upgrades the database again; run the older vtrade on it"
        )


def _print_steps(steps: Sequence[Migration]) -> None:
    for step in steps:
        _say(f"  {step.revision}  {step.title}")


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


def _count(steps: Sequence[Migration]) -> str:
    return f"{len(steps)} migration{'s' if len(steps) != 1 else ''}"


def _direction(moved: Moved) -> str:
    return "none" if not moved.steps else "up" if moved.upgraded else "down"


def _listed(steps: Sequence[Migration]) -> list[dict[str, str]]:
    return [{"revision": m.revision, "title": m.title} for m in steps]
