"""Column types shared by the tables and the migrations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Dialect, Integer, Numeric, Text
from sqlalchemy.types import TypeDecorator, TypeEngine

# Autoincrement sequence columns: BIGINT (BIGSERIAL) on PostgreSQL, and on SQLite the
# `INTEGER PRIMARY KEY` rowid alias, the only column SQLite numbers by itself.
SeqInteger = BigInteger().with_variant(Integer(), "sqlite")


class ExactDecimal(TypeDecorator[Decimal]):
    """Store a `Decimal` without losing a digit: NUMERIC on PostgreSQL, text elsewhere.

    PostgreSQL's unconstrained NUMERIC keeps every digit and the scale it was given, and SQL can
    still add it up. SQLite has no decimal type (NUMERIC columns become floats), so the value is
    kept as its exact string form. Floats are refused: they have no place in the ledger.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name != "postgresql":
            return exact_text(value)
        if isinstance(value, Decimal):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        raise TypeError(f"expected a Decimal for a money or quantity column, got {value!r}")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(value)


def exact_text(value: Any) -> str:
    """The text an `ExactDecimal` keeps on SQLite for a Decimal (or an int); floats are refused."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a Decimal for a money or quantity column, got {value!r}")
