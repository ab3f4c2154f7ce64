"""Legs of bracket, oto and oco orders held for their entries (`held`) count as open.

The partial index of open orders, which a start reads to resume the engine and
`list_orders(open_only=True)` reads to list them, covers `held` orders too.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_orders_open"
COLUMNS = ["account_id", "created_ns"]
OPEN_VALUES = ("accepted", "new", "partially_filled", "pending_open")
OPEN = "status IN ('accepted', 'new', 'partially_filled', 'pending_open')"
UNFINISHED = "status IN ('accepted', 'held', 'new', 'partially_filled', 'pending_open')"


def _index_open_orders(predicate: str) -> None:
    op.drop_index(INDEX, table_name="orders")
    op.create_index(
        INDEX,
        "orders",
        COLUMNS,
        postgresql_where=sa.text(predicate),
        sqlite_where=sa.text(predicate),
    )


def upgrade() -> None:
    _index_open_orders(UNFINISHED)


def downgrade() -> None:
    """An older vtrade knows no held order and no one-cancels-other: held legs are canceled,
    and so are working pairs, which it would work as two orders that may both fill."""
    orders = sa.table("orders", sa.column("status"), sa.column("reject_reason"), sa.column("extra"))
    tied = orders.c.extra.like('%"oco_with"%')
    op.get_bind().execute(
        orders.update()
        .where((orders.c.status == "held") | (orders.c.status.in_(OPEN_VALUES) & tied))
        .values(status="canceled", reject_reason="canceled: vtrade was downgraded")
    )
    _index_open_orders(OPEN)
