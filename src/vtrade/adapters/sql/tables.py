"""SQL tables (SQLAlchemy Core), separate from the domain classes they store.

Money and quantities are `ExactDecimal` (NUMERIC on PostgreSQL, exact text on SQLite);
instants are BIGINT nanoseconds since the epoch; enums are their string values; JSON is text.
Strings carry no length limit, so SQLite and PostgreSQL accept the same values (the API
validates lengths).
The schema itself is created by the Alembic migrations, which must stay in step with this
module (an integration test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    func,
    text,
)

from vtrade.adapters.sql.coltypes import ExactDecimal, SeqInteger
from vtrade.domain.orders import UNFINISHED_STATUSES, OrderStatus

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# The predicate of the partial index of open orders (and legs held for their entries); queries
# repeat it verbatim so that both SQLite and PostgreSQL can use the index.
OPEN_STATUS_VALUES = tuple(sorted(s.value for s in UNFINISHED_STATUSES))
OPEN_PREDICATE = "status IN ({})".format(", ".join(f"'{v}'" for v in OPEN_STATUS_VALUES))
# The orders that hold their client_order_id (`Order.holds_client_id`): all but the rejected.
GROUPED = "group_id IS NOT NULL"
GROUP_AS_IT_STANDS = f"{GROUPED} AND replaced_by IS NULL"
HOLDS_CLIENT_ID = f"status <> '{OrderStatus.REJECTED.value}'"

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(), primary_key=True),
    Column("owner", String(), nullable=False),
    Column("name", String(), nullable=False),
    Column("profile", String(), nullable=False),
    Column("initial_balance", ExactDecimal(), nullable=False),
    Column("cash", ExactDecimal(), nullable=False),
    Column("created_ns", BigInteger, nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("margin_call", Boolean, nullable=False),
    Column("trading_suspended", Boolean, nullable=False, server_default=false()),
    Column("no_shorting", Boolean, nullable=False, server_default=false()),
    Column("cash_only", Boolean, nullable=False, server_default=false()),
    Index("ix_accounts_owner", "owner"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(), primary_key=True),
    Column("account_id", String(), ForeignKey("accounts.id"), nullable=False),
    Column("client_order_id", String(), nullable=False),
    Column("symbol", String(), nullable=False),
    Column("side", String(), nullable=False),
    Column("type", String(), nullable=False),
    Column("tif", String(), nullable=False),
    Column("qty", ExactDecimal(), nullable=False),
    Column("notional", ExactDecimal()),
    Column("limit_price", ExactDecimal()),
    Column("stop_price", ExactDecimal()),
    Column("trail_price", ExactDecimal()),
    Column("trail_percent", ExactDecimal()),
    Column("extended_hours", Boolean, nullable=False),
    Column("status", String(), nullable=False),
    Column("filled_qty", ExactDecimal(), nullable=False),
    Column("filled_notional", ExactDecimal(), nullable=False),
    Column("triggered", Boolean, nullable=False),
    Column("watermark", ExactDecimal()),
    Column("arrival_mid", ExactDecimal()),
    Column("replaces", String()),
    Column("replaced_by", String()),
    Column("reject_reason", Text),
    Column("profile", String(), nullable=False),
    Column("created_ns", BigInteger, nullable=False),
    Column("updated_ns", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("extra", Text, nullable=False),  # JSON object of strings
    Column("due_ns", BigInteger),
    Column("expire_ns", BigInteger),
    Column("allowance", ExactDecimal(), nullable=False, server_default="0"),
    Column("group_id", String()),
    Column("fees_vcr", ExactDecimal(), nullable=False, server_default="0"),
    Index("ix_orders_account_created", "account_id", "created_ns"),
    Index("ix_orders_account_client_id", "account_id", "client_order_id"),
    Index(
        "ux_orders_account_client_id",
        "account_id",
        "client_order_id",
        unique=True,
        postgresql_where=text(HOLDS_CLIENT_ID),
        sqlite_where=text(HOLDS_CLIENT_ID),
    ),
    # Open orders only: small, read on start-up and by `list_orders(open_only=True)`.
    Index(
        "ix_orders_open",
        "account_id",
        "created_ns",
        postgresql_where=text(OPEN_PREDICATE),
        sqlite_where=text(OPEN_PREDICATE),
    ),
    # The orders of brackets, otos and ocos by group: a nested listing's reads of them; and a
    # group as it stands (no version replaced), one entry a leg however often it was replaced.
    Index(
        "ix_orders_group",
        "group_id",
        "created_ns",
        postgresql_where=text(GROUPED),
        sqlite_where=text(GROUPED),
    ),
    Index(
        "ix_orders_group_current",
        "group_id",
        postgresql_where=text(GROUP_AS_IT_STANDS),
        sqlite_where=text(GROUP_AS_IT_STANDS),
    ),
)

fills = Table(
    "fills",
    metadata,
    # `seq` keeps insertion order among fills of the same instant; the id stays unique.
    Column("seq", SeqInteger, primary_key=True, autoincrement=True),
    Column("id", String(), nullable=False, unique=True),
    Column("order_id", String(), ForeignKey("orders.id"), nullable=False),
    Column("account_id", String(), ForeignKey("accounts.id"), nullable=False),
    Column("symbol", String(), nullable=False),
    Column("side", String(), nullable=False),
    Column("qty", ExactDecimal(), nullable=False),
    Column("price", ExactDecimal(), nullable=False),
    Column("fee", ExactDecimal(), nullable=False),
    Column("fx_rate", ExactDecimal(), nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
    Column("profile", String(), nullable=False),
    Column("receipt", Text, nullable=False),  # JSON, see codec.encode_receipt
    Index("ix_fills_account_ts", "account_id", "ts_ns"),
    Index("ix_fills_order", "order_id"),
    Index("ix_fills_ts", "ts_ns"),  # recent fills on start-up
    sqlite_autoincrement=True,
)

positions = Table(
    "positions",
    metadata,
    Column("account_id", String(), ForeignKey("accounts.id"), primary_key=True),
    Column("symbol", String(), primary_key=True),
    Column("qty", ExactDecimal(), nullable=False),
    Column("avg_price", ExactDecimal(), nullable=False),
    Column("realized_pnl", ExactDecimal(), nullable=False),
    Column("updated_ns", BigInteger, nullable=False),
    Column("entry_fx", ExactDecimal(), nullable=False, server_default="1"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", SeqInteger, primary_key=True, autoincrement=True),
    Column("id", String(), nullable=False, unique=True),
    Column("account_id", String(), ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
    Column("ref", String(), nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_ledger_entries_account_ts", "account_id", "ts_ns"),
    sqlite_autoincrement=True,
)

outbox = Table(
    "outbox",
    metadata,
    # AUTOINCREMENT on SQLite too: a seq is never reused, even after old rows are purged.
    Column("seq", SeqInteger, primary_key=True, autoincrement=True),
    Column("event_id", String(), nullable=False),
    Column("type", String(), nullable=False),
    Column("payload", Text, nullable=False),  # JSON, see codec.EventCodec
    Column("created_ns", BigInteger, nullable=False),
    Column("published", Boolean, nullable=False),
    Column("published_ns", BigInteger),
    Index("ix_outbox_published_seq", "published", "seq"),
    sqlite_autoincrement=True,
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# The versions of the libraries the market and the ledger were computed with
# (`app.library_versions`).
library_versions = Table(
    "library_versions",
    metadata,
    Column("name", String(), primary_key=True),
    Column("version", String(), nullable=False),
)

# Equity snapshots (cold storage of equity curves). The primary key leads with the account and
# the kind, so a curve over a time range is one index range scan; on SQLite the table is
# WITHOUT ROWID (clustered by that key), on PostgreSQL with TimescaleDB a hypertable on ts_ns.
# No foreign key to accounts: snapshots are history, written apart from the ledger.
equity_snapshots = Table(
    "equity_snapshots",
    metadata,
    Column("account_id", String(), primary_key=True),
    Column("kind", String(), primary_key=True),
    Column("ts_ns", BigInteger, primary_key=True),
    Column("nav", ExactDecimal(), nullable=False),
    Column("cash", ExactDecimal(), nullable=False),
    sqlite_with_rowid=False,
)

# Identity. A user's name is unique in any case (one index on lower(name), which lookups
# repeat). Secrets are never stored: passwords and API key secrets as argon2 hashes, session
# and CSRF tokens (random 32 bytes) as SHA-256 hex digests. An account belongs to the user
# whose id is its `owner`.
users = Table(
    "users",
    metadata,
    Column("id", String(), primary_key=True),
    Column("name", String(), nullable=False),
    Column("password_hash", String(), nullable=False),
    Column("created_ns", BigInteger, nullable=False),
    Column("disabled", Boolean, nullable=False),
)
Index("ux_users_lower_name", func.lower(users.c.name), unique=True)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(), primary_key=True),
    Column("user_id", String(), ForeignKey("users.id"), nullable=False),
    Column("account_id", String(), ForeignKey("accounts.id"), nullable=False),
    Column("secret_hash", String(), nullable=False),
    Column("created_ns", BigInteger, nullable=False),
    Column("revoked_ns", BigInteger),
    Column("last_used_ns", BigInteger),
    Index("ix_api_keys_user", "user_id"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(), primary_key=True),
    Column("user_id", String(), ForeignKey("users.id"), nullable=False),
    Column("csrf_token_hash", String(), nullable=False),
    Column("created_ns", BigInteger, nullable=False),
    Column("expires_ns", BigInteger, nullable=False),
    Index("ix_web_sessions_user", "user_id"),
    Index("ix_web_sessions_expires", "expires_ns"),
)

# Watchlists (Alpaca `/v2/watchlists`): names unique per account; symbols kept in list order.
watchlists = Table(
    "watchlists",
    metadata,
    Column("id", String(), primary_key=True),
    Column("account_id", String(), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(), nullable=False),
    Column("created_ns", BigInteger, nullable=False),
    Column("updated_ns", BigInteger, nullable=False),
    Index("ux_watchlists_account_name", "account_id", "name", unique=True),
)

watchlist_symbols = Table(
    "watchlist_symbols",
    metadata,
    Column(
        "watchlist_id",
        String(),
        ForeignKey("watchlists.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("symbol", String(), primary_key=True),
    Column("position", Integer, nullable=False),
)

# Alpaca account configurations (`/v2/account/configurations`), one JSON object per account.
account_configurations = Table(
    "account_configurations",
    metadata,
    Column("account_id", String(), ForeignKey("accounts.id"), primary_key=True),
    Column("body", Text, nullable=False),
    Column("updated_ns", BigInteger, nullable=False),
)
