"""Helpers of the command-line tests: what a database holds, to prove a command wrote nothing."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text


def database_rows(url: str, *tables: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of `tables` (default: every table), to compare before and after a command."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = tables or tuple(inspect(conn).get_table_names())
            return {
                t: sorted(conn.execute(text(f'SELECT * FROM "{t}"')).all(), key=repr) for t in names
            }
    finally:
        engine.dispose()
