"""SQL adapter: the `Store` port on SQLite or PostgreSQL (SQLAlchemy Core + Alembic)."""

from __future__ import annotations

from vtrade.adapters.sql.codec import EventCodec, default_codec
from vtrade.adapters.sql.store import SqlStore, normalize_url

__all__ = ["EventCodec", "SqlStore", "default_codec", "normalize_url"]
