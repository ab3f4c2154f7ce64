"""SqlIdentityStore against real SQLite files and a real PostgreSQL server (one schema per test),
and IdentityService on top of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import inspect

from vtrade.adapters.sql import SqlStore
from vtrade.adapters.sql.identity import SqlIdentityStore
from vtrade.adapters.sql.migrate import alembic_config
from vtrade.app.identity import IdentityService
from vtrade.app.ports import Changes, KeyInfo, User, WebSession
from vtrade.bootstrap import build
from vtrade.core.clock import SimulatedClock, parse_instant, to_ns
from vtrade.core.errors import AuthenticationError, ConflictError, NotFoundError
from vtrade.domain.accounts import Account
from vtrade.settings import MarketSettings, Settings

T0 = 1_763_800_000_000_000_000
HASH = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
IDENTITY_TABLES = {"users", "api_keys", "web_sessions"}


@pytest.fixture
def sql_store(fresh_database: Callable[[], str]) -> Iterator[SqlStore]:
    store = SqlStore(fresh_database())
    store.migrate()
    store.commit([Changes(accounts=[Account(id="acc-1", owner="usr-1", name="main")])])
    yield store
    store.close()


@pytest.fixture
def store(sql_store: SqlStore) -> SqlIdentityStore:
    return SqlIdentityStore(sql_store.engine)


def user(user_id: str = "usr-1", name: str = "alice", created_ns: int = T0) -> User:
    return User(id=user_id, name=name, created_ns=created_ns)


def key(key_id: str = "PK000000000000000001", created_ns: int = T0, **kw: str) -> KeyInfo:
    values = {"user_id": "usr-1", "account_id": "acc-1"} | kw
    return KeyInfo(key_id=key_id, created_ns=created_ns, **values)


def session(token_hash: str = "t1", expires_ns: int = T0 + 10) -> WebSession:
    return WebSession(
        token_hash=token_hash,
        user_id="usr-1",
        csrf_token_hash="c1",
        created_ns=T0,
        expires_ns=expires_ns,
    )


# -- users --------------------------------------------------------------------------------


def test_a_user_round_trips_with_its_hash(store: SqlIdentityStore) -> None:
    store.add_user(user(), HASH)

    assert store.get_user("usr-1") == user()
    assert store.find_user("alice") == (user(), HASH)
    assert store.get_user("usr-2") is None and store.find_user("bob") is None


def test_names_are_found_and_unique_in_any_case(store: SqlIdentityStore) -> None:
    store.add_user(user(name="Alice"), HASH)

    assert store.find_user("ALICE") == (user(name="Alice"), HASH)
    with pytest.raises(ConflictError, match="'aLiCe' is taken"):
        store.add_user(user("usr-2", "aLiCe"), HASH)
    assert store.list_users() == [user(name="Alice")]


def test_users_are_listed_oldest_first_and_hashes_can_be_replaced(
    store: SqlIdentityStore,
) -> None:
    store.add_user(user("usr-2", "bobby", T0 + 1), HASH)
    store.add_user(user("usr-1", "alice", T0), HASH)

    store.set_password_hash("usr-1", HASH + "x")

    assert [u.name for u in store.list_users()] == ["alice", "bobby"]
    assert store.find_user("alice") == (user(), HASH + "x")


# -- API keys -----------------------------------------------------------------------------


def test_a_key_round_trips_and_lists_per_user_oldest_first(store: SqlIdentityStore) -> None:
    store.add_user(user(), HASH)
    store.add_user(user("usr-2", "bobby"), HASH)
    store.add_key(key("PK2", T0 + 1), "h2")
    store.add_key(key("PK1", T0), "h1")
    store.add_key(key("PK3", user_id="usr-2"), "h3")

    assert store.get_key("PK1") == (key("PK1", T0), "h1")
    assert store.get_key("PK9") is None
    assert [k.key_id for k in store.list_keys("usr-1")] == ["PK1", "PK2"]
    assert [k.key_id for k in store.list_keys("usr-2")] == ["PK3"]


def test_a_key_needs_an_existing_user_and_account_and_a_new_id(store: SqlIdentityStore) -> None:
    store.add_user(user(), HASH)
    store.add_key(key("PK1"), "h")

    with pytest.raises(ConflictError):
        store.add_key(key("PK1"), "h")
    with pytest.raises(ConflictError):
        store.add_key(key("PK2", account_id="acc-missing"), "h")
    with pytest.raises(ConflictError):
        store.add_key(key("PK3", user_id="usr-missing"), "h")


def test_revoking_keeps_the_first_time_and_touching_records_use(
    store: SqlIdentityStore,
) -> None:
    store.add_user(user(), HASH)
    store.add_key(key("PK1"), "h")

    store.touch_key("PK1", T0 + 5)
    first = store.revoke_key("PK1", T0 + 7)
    again = store.revoke_key("PK1", T0 + 9)

    assert first is not None and again is not None
    assert first.revoked_ns == again.revoked_ns == T0 + 7
    assert first.last_used_ns == T0 + 5 and not first.active
    assert store.revoke_key("PK9", T0) is None


# -- web sessions -------------------------------------------------------------------------


def test_sessions_round_trip_and_expired_ones_are_purged(store: SqlIdentityStore) -> None:
    store.add_user(user(), HASH)
    store.add_session(session("t1", T0 + 10))
    store.add_session(session("t2", T0 + 20))

    assert store.get_session("t1") == session("t1", T0 + 10)
    assert store.delete_expired_sessions(T0 + 10) == 1
    assert store.get_session("t1") is None and store.get_session("t2") is not None
    store.delete_session("t2")
    store.delete_session("t2")
    assert store.get_session("t2") is None


# -- schema -------------------------------------------------------------------------------


def test_the_identity_migration_downgrades_and_upgrades_again(sql_store: SqlStore) -> None:
    with sql_store.engine.begin() as conn:
        command.downgrade(alembic_config(connection=conn), "0003")
    assert not IDENTITY_TABLES & set(inspect(sql_store.engine).get_table_names())

    sql_store.migrate()

    assert IDENTITY_TABLES <= set(inspect(sql_store.engine).get_table_names())
    assert sql_store.schema_revision() == "0014"


# -- the service on the real store --------------------------------------------------------


def test_identity_service_works_on_the_real_store(fresh_database: Callable[[], str]) -> None:
    clock = SimulatedClock(to_ns(parse_instant("2024-03-15T15:00:00Z")))
    market = MarketSettings(
        first_day=date(2024, 1, 1), last_day=date(2024, 12, 31), anchor_day=date(2024, 6, 28)
    )
    c = build(Settings(database_url=fresh_database(), market=market), clock)
    try:
        c.trading.start()
        identity = IdentityService(
            SqlIdentityStore(c.store.engine), c.trading, clock, PasswordHasher(1, 8, 1)
        )
        alice = identity.create_user("alice", "a long password")
        identity.create_user("bobby", "a long password")
        key, secret = identity.create_key("ALICE", "swing")
        bob_key, _ = identity.create_key("bobby")

        principal = identity.verify_key(key.key_id, secret)
        assert principal.user_id == alice.id and principal.account_id == key.account_id
        assert c.store.load(0).accounts  # the account was committed to the ledger
        assert identity.list_keys("alice")[0].last_used_ns == clock.now_ns()
        with pytest.raises(NotFoundError):
            identity.require_account(principal, bob_key.account_id)

        token, csrf = identity.start_session("Alice", "a long password")
        assert identity.check_csrf(token, csrf) == alice

        identity.revoke_key(key.key_id)
        with pytest.raises(AuthenticationError):
            identity.verify_key(key.key_id, secret)
    finally:
        c.store.close()
