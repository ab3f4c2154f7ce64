"""Equity snapshots: an account's NAV and cash over time (a TimescaleDB hypertable if possible).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from vtrade.adapters.sql.coltypes import ExactDecimal

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("vtrade.adapters.sql.migrations")

# TimescaleDB chunk interval of the integer (ns) time column: 7 days.
CHUNK_NS = 7 * 24 * 3600 * 1_000_000_000


def upgrade() -> None:
    op.create_table(
        "equity_snapshots",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("nav", ExactDecimal(), nullable=False),
        sa.Column("cash", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "kind", "ts_ns", name="pk_equity_snapshots"),
        sqlite_with_rowid=False,
    )
    _make_hypertable_if_possible()


def _make_hypertable_if_possible() -> None:
    """On PostgreSQL with TimescaleDB available, turn the new table into a hypertable.

    Anything short of that (another database, no extension, no right to create it, the library
    not preloaded) leaves a plain table that works the same, only without chunking.
    """
    if context.is_offline_mode():
        return
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    ).first()
    if available is None:
        return
    try:
        # A savepoint: a failure must not abort the migration's transaction.
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
            schema = bind.execute(
                sa.text(
                    "SELECT n.nspname FROM pg_extension e"
                    " JOIN pg_namespace n ON n.oid = e.extnamespace"
                    " WHERE e.extname = 'timescaledb'"
                )
            ).scalar_one()
            quoted = bind.dialect.identifier_preparer.quote_identifier(schema)
            bind.execute(
                sa.text(
                    f"SELECT {quoted}.create_hypertable('equity_snapshots', 'ts_ns',"  # noqa: S608
                    " chunk_time_interval => CAST(:chunk AS BIGINT),"
                    " create_default_indexes => FALSE, if_not_exists => TRUE)"
                ),
                {"chunk": CHUNK_NS},
            )
    except sa.exc.DBAPIError as exc:
        log.warning("equity_snapshots stays a plain table: TimescaleDB refused (%s)", exc.orig)


def downgrade() -> None:
    op.drop_table("equity_snapshots")
