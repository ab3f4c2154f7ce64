"""A working order's participation allowance carried from its last fill.

A working order may take a share of the volume the market printed since it last filled; the
part of that share too small to fill a whole unit is carried to the next fill instead of being
lost (`execution.working`). It is kept with the order so that a restart carries it too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vtrade.adapters.sql.coltypes import ExactDecimal

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("allowance", ExactDecimal(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("allowance")
