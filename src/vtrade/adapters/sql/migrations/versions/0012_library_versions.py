"""The versions of the libraries the market and the ledger are computed with (numpy,
exchange_calendars, holidays), so that a start on other versions can say what may differ.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "library_versions",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_library_versions")),
    )


def downgrade() -> None:
    op.drop_table("library_versions")
