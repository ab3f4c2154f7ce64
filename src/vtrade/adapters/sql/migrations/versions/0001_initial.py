"""Initial schema: accounts, orders, fills, positions, ledger entries, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vtrade.adapters.sql.coltypes import ExactDecimal, SeqInteger

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose: a later change to the open statuses needs a new migration.
OPEN_PREDICATE = "status IN ('accepted', 'new', 'partially_filled', 'pending_open')"


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("profile", sa.String(), nullable=False),
        sa.Column("initial_balance", ExactDecimal(), nullable=False),
        sa.Column("cash", ExactDecimal(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("margin_call", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
    )
    op.create_index("ix_accounts_owner", "accounts", ["owner"])

    op.create_table(
        "orders",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("client_order_id", sa.String(), nullable=False),
        sa.Column("symbol", sa.String(), nullable=False),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("tif", sa.String(), nullable=False),
        sa.Column("qty", ExactDecimal(), nullable=False),
        sa.Column("notional", ExactDecimal(), nullable=True),
        sa.Column("limit_price", ExactDecimal(), nullable=True),
        sa.Column("stop_price", ExactDecimal(), nullable=True),
        sa.Column("trail_price", ExactDecimal(), nullable=True),
        sa.Column("trail_percent", ExactDecimal(), nullable=True),
        sa.Column("extended_hours", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("filled_qty", ExactDecimal(), nullable=False),
        sa.Column("filled_notional", ExactDecimal(), nullable=False),
        sa.Column("triggered", sa.Boolean(), nullable=False),
        sa.Column("watermark", ExactDecimal(), nullable=True),
        sa.Column("arrival_mid", ExactDecimal(), nullable=True),
        sa.Column("replaces", sa.String(), nullable=True),
        sa.Column("replaced_by", sa.String(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("profile", sa.String(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_orders_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )
    op.create_index("ix_orders_account_created", "orders", ["account_id", "created_ns"])
    op.create_index(
        "ux_orders_account_client_id", "orders", ["account_id", "client_order_id"], unique=True
    )
    op.create_index(
        "ix_orders_open",
        "orders",
        ["account_id", "created_ns"],
        postgresql_where=sa.text(OPEN_PREDICATE),
        sqlite_where=sa.text(OPEN_PREDICATE),
    )

    op.create_table(
        "fills",
        sa.Column("seq", SeqInteger, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("symbol", sa.String(), nullable=False),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("qty", ExactDecimal(), nullable=False),
        sa.Column("price", ExactDecimal(), nullable=False),
        sa.Column("fee", ExactDecimal(), nullable=False),
        sa.Column("fx_rate", ExactDecimal(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("profile", sa.String(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_fills_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_fills_order_id_orders"),
        sa.PrimaryKeyConstraint("seq", name="pk_fills"),
        sa.UniqueConstraint("id", name="uq_fills_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_fills_account_ts", "fills", ["account_id", "ts_ns"])
    op.create_index("ix_fills_order", "fills", ["order_id"])
    op.create_index("ix_fills_ts", "fills", ["ts_ns"])

    op.create_table(
        "positions",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("symbol", sa.String(), nullable=False),
        sa.Column("qty", ExactDecimal(), nullable=False),
        sa.Column("avg_price", ExactDecimal(), nullable=False),
        sa.Column("realized_pnl", ExactDecimal(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_positions_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("account_id", "symbol", name="pk_positions"),
    )

    op.create_table(
        "ledger_entries",
        sa.Column("seq", SeqInteger, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_ledger_entries_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_ledger_entries"),
        sa.UniqueConstraint("id", name="uq_ledger_entries_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ledger_entries_account_ts", "ledger_entries", ["account_id", "ts_ns"])

    op.create_table(
        "outbox",
        sa.Column("seq", SeqInteger, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_ns", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_published_seq", "outbox", ["published", "seq"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("ledger_entries")
    op.drop_table("positions")
    op.drop_table("fills")
    op.drop_table("orders")
    op.drop_table("accounts")
