"""Watchlists and Alpaca account configurations.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watchlists",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_watchlists_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_watchlists"),
    )
    op.create_index("ux_watchlists_account_name", "watchlists", ["account_id", "name"], unique=True)
    op.create_table(
        "watchlist_symbols",
        sa.Column("watchlist_id", sa.String(), nullable=False),
        sa.Column("symbol", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
            name="fk_watchlist_symbols_watchlist_id_watchlists",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("watchlist_id", "symbol", name="pk_watchlist_symbols"),
    )
    op.create_table(
        "account_configurations",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_account_configurations_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_configurations"),
    )


def downgrade() -> None:
    op.drop_table("account_configurations")
    op.drop_table("watchlist_symbols")
    op.drop_index("ux_watchlists_account_name", table_name="watchlists")
    op.drop_table("watchlists")
