"""Account rules the engine enforces: trading suspended, no short selling.

They were Alpaca account-configuration settings checked by the Alpaca routes only, so orders
through the native API escaped them; the flags move onto the account, and the values kept in
`account_configurations` are carried over.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FLAGS = {"trading_suspended": "suspend_trade", "no_shorting": "no_shorting"}


def upgrade() -> None:
    for column in _FLAGS:
        op.add_column(
            "accounts", sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
        )
    conn = op.get_bind()
    configs = sa.table("account_configurations", sa.column("account_id"), sa.column("body"))
    accounts = sa.table("accounts", sa.column("id"), *(sa.column(c) for c in _FLAGS))
    for account_id, body in conn.execute(sa.select(configs.c.account_id, configs.c.body)):
        config = json.loads(body)
        flags = {column: bool(config.get(key, False)) for column, key in _FLAGS.items()}
        if any(flags.values()):
            conn.execute(accounts.update().where(accounts.c.id == account_id).values(**flags))


def downgrade() -> None:
    """Write the rules back into the Alpaca configurations first: 0005 kept them there, and a
    suspended account must stay suspended."""
    conn = op.get_bind()
    configs = sa.table(
        "account_configurations",
        sa.column("account_id"),
        sa.column("body"),
        sa.column("updated_ns"),
    )
    accounts = sa.table("accounts", sa.column("id"), *(sa.column(c) for c in _FLAGS))
    saved = dict(conn.execute(sa.select(configs.c.account_id, configs.c.body)).all())
    ruled = sa.select(accounts).where(sa.or_(*(accounts.c[c] == sa.true() for c in _FLAGS)))
    for row in conn.execute(ruled).mappings().all():
        config = json.loads(saved.get(row["id"], "{}"))
        config.update({key: bool(row[column]) for column, key in _FLAGS.items()})
        body = json.dumps(config, sort_keys=True)
        if row["id"] in saved:
            conn.execute(
                configs.update().where(configs.c.account_id == row["id"]).values(body=body)
            )
        else:
            conn.execute(configs.insert().values(account_id=row["id"], body=body, updated_ns=0))
    for column in _FLAGS:
        op.drop_column("accounts", column)
