"""The exact VCR value of the fees an order's fills have charged so far.

Fees in a quote currency other than the account's were converted and rounded to the cent
fill by fill, so an order worked in many fills was charged up to half a cent a fill more or
less than its fees converted (1,000.32 VCR against 1,000.69 on a DAX order of 1,712 fills).
Each fill now books the order's fees so far, rounded, less what its earlier fills booked;
the exact sum is kept with the order so that a restart carries it too. An order filling at
the upgrade starts from 0: its later fills are rounded among themselves.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vtrade.adapters.sql.coltypes import ExactDecimal

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "orders", sa.Column("fees_vcr", ExactDecimal(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    # in place, as 0013's: a batch copy of the table would trip the fills' foreign keys
    op.drop_column("orders", "fees_vcr")
