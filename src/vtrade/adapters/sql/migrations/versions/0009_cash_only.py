"""A cash-only account (`accounts.cash_only`): Alpaca's `max_margin_multiplier` of 1.

The setting was kept for clients to read back, and `/v2/account` reported a buying power of
1x while orders still borrowed at 2:1; the engine now enforces it for every order, through
any API. Accounts whose saved configuration says 1 become cash-only.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "accounts", sa.Column("cash_only", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    conn = op.get_bind()
    configs = sa.table("account_configurations", sa.column("account_id"), sa.column("body"))
    accounts = sa.table("accounts", sa.column("id"), sa.column("cash_only"))
    for account_id, body in conn.execute(sa.select(configs.c.account_id, configs.c.body)):
        multiplier = json.loads(body).get("max_margin_multiplier")
        if multiplier is not None and Decimal(str(multiplier)) == 1:
            conn.execute(
                accounts.update().where(accounts.c.id == account_id).values(cash_only=True)
            )


def downgrade() -> None:
    """Write the rule back into the Alpaca configurations first (0008 kept it there)."""
    conn = op.get_bind()
    configs = sa.table(
        "account_configurations",
        sa.column("account_id"),
        sa.column("body"),
        sa.column("updated_ns"),
    )
    accounts = sa.table("accounts", sa.column("id"), sa.column("cash_only"))
    saved = dict(conn.execute(sa.select(configs.c.account_id, configs.c.body)).all())
    for (account_id,) in conn.execute(sa.select(accounts.c.id).where(accounts.c.cash_only)):
        config = json.loads(saved.get(account_id, "{}"))
        config["max_margin_multiplier"] = "1"
        body = json.dumps(config, sort_keys=True)
        if account_id in saved:
            conn.execute(
                configs.update().where(configs.c.account_id == account_id).values(body=body)
            )
        else:
            conn.execute(configs.insert().values(account_id=account_id, body=body, updated_ns=0))
    op.drop_column("accounts", "cash_only")
