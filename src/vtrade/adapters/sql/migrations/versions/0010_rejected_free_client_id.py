"""An order refused at submission leaves its `client_order_id` free.

Alpaca never creates an order it refuses with a 403, so a bot may send its corrected order
under the same id; vtrade keeps the refused order (status `rejected`) to explain it, and the
id was taken for good. Only orders that are not `rejected` are now unique per account; an
index without that condition serves the lookups of rejected ones.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIQUE = "ux_orders_account_client_id"
LOOKUP = "ix_orders_account_client_id"
HOLDS_CLIENT_ID = "status <> 'rejected'"
COLUMNS = ["account_id", "client_order_id"]


def upgrade() -> None:
    op.drop_index(UNIQUE, table_name="orders")
    op.create_index(LOOKUP, "orders", COLUMNS)
    op.create_index(
        UNIQUE,
        "orders",
        COLUMNS,
        unique=True,
        postgresql_where=sa.text(HOLDS_CLIENT_ID),
        sqlite_where=sa.text(HOLDS_CLIENT_ID),
    )


def downgrade() -> None:
    """Every id unique again: a rejected order whose id another order took since is renamed
    `<id>~<order id>` (the older vtrade would have refused that other order instead); of
    rejected orders alone, the newest keeps it."""
    orders = sa.table(
        "orders",
        sa.column("id"),
        sa.column("account_id"),
        sa.column("client_order_id"),
        sa.column("status"),
        sa.column("created_ns"),
    )
    key = (orders.c.account_id, orders.c.client_order_id)
    shared = sa.select(*key).group_by(*key).having(sa.func.count() > 1)
    conn = op.get_bind()
    for account_id, client_order_id in conn.execute(shared).all():
        same = (orders.c.account_id == account_id) & (orders.c.client_order_id == client_order_id)
        newest_first = orders.c.status == "rejected", orders.c.created_ns.desc(), orders.c.id.desc()
        ids = conn.execute(sa.select(orders.c.id).where(same).order_by(*newest_first)).scalars()
        for order_id in list(ids)[1:]:  # the holder, or the newest rejected order, keeps it
            conn.execute(
                orders.update()
                .where(orders.c.id == order_id)
                .values(client_order_id=f"{client_order_id}~{order_id}")
            )
    op.drop_index(UNIQUE, table_name="orders")
    op.drop_index(LOOKUP, table_name="orders")
    op.create_index(UNIQUE, "orders", COLUMNS, unique=True)
