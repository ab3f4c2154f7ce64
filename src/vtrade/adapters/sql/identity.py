"""`SqlIdentityStore`: the `IdentityStore` port on SQLite or PostgreSQL (SQLAlchemy Core).

Names are looked up as `lower(name) = lower(:name)`, the expression of the unique index
`ux_users_lower_name`, so lookups use the index and "Alice" can never sit beside "alice".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, delete, exc, func, select, update

from vtrade.adapters.sql.tables import api_keys, users, web_sessions
from vtrade.app.ports import KeyInfo, User, WebSession
from vtrade.core.errors import ConflictError

__all__ = ["SqlIdentityStore"]

_USER = (users.c.id, users.c.name, users.c.created_ns, users.c.disabled)
_KEY = (
    api_keys.c.key_id,
    api_keys.c.user_id,
    api_keys.c.account_id,
    api_keys.c.created_ns,
    api_keys.c.revoked_ns,
    api_keys.c.last_used_ns,
)


def _user(row: Any) -> User:
    return User(id=row.id, name=row.name, created_ns=row.created_ns, disabled=bool(row.disabled))


def _key(row: Any) -> KeyInfo:
    return KeyInfo(
        key_id=row.key_id,
        user_id=row.user_id,
        account_id=row.account_id,
        created_ns=row.created_ns,
        revoked_ns=row.revoked_ns,
        last_used_ns=row.last_used_ns,
    )


class SqlIdentityStore:
    """Users, API keys and web sessions in the ledger's database (pass `SqlStore.engine`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _insert(self, table: Table, row: dict[str, object], conflict: str) -> None:
        """Insert one row; a unique or foreign-key violation is a ConflictError saying why."""
        try:
            with self.engine.begin() as conn:
                conn.execute(table.insert(), row)
        except exc.IntegrityError:
            raise ConflictError(conflict) from None

    # -- users ----------------------------------------------------------------------------

    def add_user(self, user: User, password_hash: str) -> None:
        row = {
            "id": user.id,
            "name": user.name,
            "password_hash": password_hash,
            "created_ns": user.created_ns,
            "disabled": user.disabled,
        }
        self._insert(
            users, row, f"user name {user.name!r} is taken (names ignore case); choose another"
        )

    def get_user(self, user_id: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_USER).where(users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def find_user(self, name: str) -> tuple[User, str] | None:
        query = select(*_USER, users.c.password_hash).where(
            func.lower(users.c.name) == func.lower(name)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (_user(row), row.password_hash)

    def list_users(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_USER).order_by(users.c.created_ns, users.c.id))
            return [_user(r) for r in rows]

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(users).where(users.c.id == user_id).values(password_hash=password_hash)
            )

    # -- API keys -------------------------------------------------------------------------

    def add_key(self, key: KeyInfo, secret_hash: str) -> None:
        row = {
            "key_id": key.key_id,
            "user_id": key.user_id,
            "account_id": key.account_id,
            "secret_hash": secret_hash,
            "created_ns": key.created_ns,
            "revoked_ns": key.revoked_ns,
            "last_used_ns": key.last_used_ns,
        }
        self._insert(
            api_keys,
            row,
            f"API key {key.key_id!r} already exists, or its user or account does not",
        )

    def get_key(self, key_id: str) -> tuple[KeyInfo, str] | None:
        query = select(*_KEY, api_keys.c.secret_hash).where(api_keys.c.key_id == key_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (_key(row), row.secret_hash)

    def list_keys(self, user_id: str) -> list[KeyInfo]:
        query = (
            select(*_KEY)
            .where(api_keys.c.user_id == user_id)
            .order_by(api_keys.c.created_ns, api_keys.c.key_id)
        )
        with self.engine.connect() as conn:
            return [_key(r) for r in conn.execute(query)]

    def revoke_key(self, key_id: str, revoked_ns: int) -> KeyInfo | None:
        with self.engine.begin() as conn:
            conn.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_ns.is_(None))
                .values(revoked_ns=revoked_ns)
            )
            row = conn.execute(select(*_KEY).where(api_keys.c.key_id == key_id)).first()
        return None if row is None else _key(row)

    def touch_key(self, key_id: str, used_ns: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(api_keys).where(api_keys.c.key_id == key_id).values(last_used_ns=used_ns)
            )

    # -- web sessions ---------------------------------------------------------------------

    def add_session(self, session: WebSession) -> None:
        row = {
            "token_hash": session.token_hash,
            "user_id": session.user_id,
            "csrf_token_hash": session.csrf_token_hash,
            "created_ns": session.created_ns,
            "expires_ns": session.expires_ns,
        }
        with self.engine.begin() as conn:
            conn.execute(web_sessions.insert(), row)

    def get_session(self, token_hash: str) -> WebSession | None:
        query = select(web_sessions).where(web_sessions.c.token_hash == token_hash)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return WebSession(
            token_hash=row.token_hash,
            user_id=row.user_id,
            csrf_token_hash=row.csrf_token_hash,
            created_ns=row.created_ns,
            expires_ns=row.expires_ns,
        )

    def delete_session(self, token_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash))

    def delete_expired_sessions(self, now_ns: int) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(delete(web_sessions).where(web_sessions.c.expires_ns <= now_ns))
        return result.rowcount
