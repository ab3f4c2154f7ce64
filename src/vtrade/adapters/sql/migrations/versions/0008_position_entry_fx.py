"""The FX rate a position was entered at (`positions.entry_fx`).

A position in a foreign currency costs `avg_price * entry_fx` per unit in the account
currency: its unrealized P&L then includes the currency's move since it was entered, and its
realized P&L compares what a close fetched with what it cost, each at its own rate.

Positions from before this revision take the rate of their symbol's latest fill for the
account (1 without one): the closest record of when they were entered.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vtrade.adapters.sql.coltypes import ExactDecimal

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("positions") as batch:
        batch.add_column(sa.Column("entry_fx", ExactDecimal(), nullable=False, server_default="1"))
    op.execute(
        """
        UPDATE positions SET entry_fx = COALESCE((
            SELECT f.fx_rate FROM fills f
            WHERE f.account_id = positions.account_id AND f.symbol = positions.symbol
            ORDER BY f.ts_ns DESC, f.seq DESC LIMIT 1
        ), '1')
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("positions") as batch:
        batch.drop_column("entry_fx")
