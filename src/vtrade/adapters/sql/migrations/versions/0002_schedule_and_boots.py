"""Order schedule columns (due_ns, expire_ns) and a key/value meta table (boot counter).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("due_ns", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("expire_ns", sa.BigInteger(), nullable=True))
    op.create_table(
        "meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )


def downgrade() -> None:
    op.drop_table("meta")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("expire_ns")
        batch.drop_column("due_ns")
