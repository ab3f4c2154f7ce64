"""IdentityService through its port: an in-memory IdentityStore, a real trading service on an
in-memory database, cheap argon2 parameters and a simulated clock."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

import pytest
from argon2 import PasswordHasher

from market_2024 import MARKET_2024
from vtrade.app.identity import IdentityService, Principal
from vtrade.app.ports import KeyInfo, User, WebSession
from vtrade.bootstrap import Container, build
from vtrade.core.clock import NS_PER_DAY, NS_PER_SECOND, SimulatedClock, parse_instant, to_ns
from vtrade.core.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from vtrade.domain.commands import OpenAccount
from vtrade.settings import Settings

T0 = to_ns(parse_instant("2024-03-15T15:00:00Z"))
PASSWORD = "correct horse battery"


class FakeIdentityStore:
    """The IdentityStore port in memory; counts the calls so tests can see what was read."""

    def __init__(self) -> None:
        self.users: dict[str, tuple[User, str]] = {}
        self.keys: dict[str, tuple[KeyInfo, str]] = {}
        self.sessions: dict[str, WebSession] = {}
        self.calls: Counter[str] = Counter()

    def add_user(self, user: User, password_hash: str) -> None:
        self.calls["add_user"] += 1
        if any(u.name.lower() == user.name.lower() for u, _ in self.users.values()):
            raise ConflictError(f"user name {user.name!r} is taken")
        self.users[user.id] = (user, password_hash)

    def get_user(self, user_id: str) -> User | None:
        self.calls["get_user"] += 1
        found = self.users.get(user_id)
        return None if found is None else found[0]

    def find_user(self, name: str) -> tuple[User, str] | None:
        self.calls["find_user"] += 1
        return next((f for f in self.users.values() if f[0].name.lower() == name.lower()), None)

    def list_users(self) -> list[User]:
        return sorted((u for u, _ in self.users.values()), key=lambda u: u.created_ns)

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.calls["set_password_hash"] += 1
        self.users[user_id] = (self.users[user_id][0], password_hash)

    def add_key(self, key: KeyInfo, secret_hash: str) -> None:
        if key.key_id in self.keys:
            raise ConflictError(f"API key {key.key_id!r} already exists")
        self.keys[key.key_id] = (key, secret_hash)

    def get_key(self, key_id: str) -> tuple[KeyInfo, str] | None:
        self.calls["get_key"] += 1
        return self.keys.get(key_id)

    def list_keys(self, user_id: str) -> list[KeyInfo]:
        return sorted(
            (k for k, _ in self.keys.values() if k.user_id == user_id), key=lambda k: k.created_ns
        )

    def revoke_key(self, key_id: str, revoked_ns: int) -> KeyInfo | None:
        if key_id not in self.keys:
            return None
        key, hashed = self.keys[key_id]
        if key.revoked_ns is None:
            key = dataclasses.replace(key, revoked_ns=revoked_ns)
            self.keys[key_id] = (key, hashed)
        return key

    def touch_key(self, key_id: str, used_ns: int) -> None:
        self.calls["touch_key"] += 1
        key, hashed = self.keys[key_id]
        self.keys[key_id] = (dataclasses.replace(key, last_used_ns=used_ns), hashed)

    def add_session(self, session: WebSession) -> None:
        self.sessions[session.token_hash] = session

    def get_session(self, token_hash: str) -> WebSession | None:
        return self.sessions.get(token_hash)

    def delete_session(self, token_hash: str) -> None:
        self.sessions.pop(token_hash, None)

    def delete_expired_sessions(self, now_ns: int) -> int:
        expired = [h for h, s in self.sessions.items() if s.expires_ns <= now_ns]
        for h in expired:
            del self.sessions[h]
        return len(expired)


class CountingHasher(PasswordHasher):
    """Cheap argon2 that counts verifications (the expensive calls in production)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verifications += 1
        return super().verify(hash, password)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


@pytest.fixture
def container(clock: SimulatedClock) -> Container:
    c = build(Settings(database_url="sqlite:///:memory:", market=MARKET_2024), clock)
    c.trading.start()
    return c


@pytest.fixture
def store() -> FakeIdentityStore:
    return FakeIdentityStore()


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def identity(
    store: FakeIdentityStore, container: Container, clock: SimulatedClock, hasher: CountingHasher
) -> IdentityService:
    return IdentityService(store, container.trading, clock, hasher)


# -- users --------------------------------------------------------------------------------


def test_a_user_is_created_with_an_argon2_hash_never_the_password(
    identity: IdentityService, store: FakeIdentityStore
) -> None:
    user = identity.create_user("alice", PASSWORD)

    assert user.name == "alice" and user.id.startswith("usr-") and user.created_ns == T0
    stored_hash = store.users[user.id][1]
    assert stored_hash.startswith("$argon2id$") and PASSWORD not in stored_hash
    assert PASSWORD not in repr(user)


@pytest.mark.parametrize("name", ["ab", "a" * 33, "with space", "émile", "semi;colon", ""])
def test_user_names_outside_the_rules_are_refused_with_the_rules(
    identity: IdentityService, name: str
) -> None:
    with pytest.raises(ValidationError, match="3-32 characters from A-Z a-z 0-9 _ . -"):
        identity.create_user(name, PASSWORD)


@pytest.mark.parametrize("name", ["abc", "a" * 32, "Bot_1.prod-2"])
def test_user_names_inside_the_rules_are_accepted(identity: IdentityService, name: str) -> None:
    assert identity.create_user(name, PASSWORD).name == name


def test_a_short_password_is_refused(identity: IdentityService) -> None:
    with pytest.raises(ValidationError, match="10 to 1024 characters"):
        identity.create_user("alice", "123456789")


def test_a_name_taken_in_any_case_is_a_conflict(identity: IdentityService) -> None:
    identity.create_user("Alice", PASSWORD)
    with pytest.raises(ConflictError, match="taken"):
        identity.create_user("aLICE", PASSWORD)


def test_authenticate_accepts_the_right_password_in_any_name_case(
    identity: IdentityService,
) -> None:
    user = identity.create_user("Alice", PASSWORD)
    assert identity.authenticate("alice", PASSWORD) == user


def test_wrong_password_and_unknown_user_give_the_same_error(
    identity: IdentityService, hasher: CountingHasher
) -> None:
    identity.create_user("alice", PASSWORD)
    with pytest.raises(AuthenticationError) as wrong_password:
        identity.authenticate("alice", "not the password")
    before = hasher.verifications
    with pytest.raises(AuthenticationError) as unknown_user:
        identity.authenticate("mallory", PASSWORD)

    assert str(wrong_password.value) == str(unknown_user.value) == "wrong user name or password"
    assert wrong_password.value.code == unknown_user.value.code == 40100
    assert hasher.verifications == before + 1  # an unknown name pays argon2 too (timing)


def test_a_disabled_user_cannot_sign_in(
    identity: IdentityService, store: FakeIdentityStore
) -> None:
    user = identity.create_user("alice", PASSWORD)
    store.users[user.id] = (dataclasses.replace(user, disabled=True), store.users[user.id][1])
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        identity.authenticate("alice", PASSWORD)


def test_a_hash_with_outdated_parameters_is_upgraded_on_sign_in(
    store: FakeIdentityStore, container: Container, clock: SimulatedClock
) -> None:
    old = IdentityService(store, container.trading, clock, PasswordHasher(1, 8, 1))
    user = old.create_user("alice", PASSWORD)
    new = IdentityService(store, container.trading, clock, PasswordHasher(2, 16, 1))

    new.authenticate("alice", PASSWORD)

    assert "m=16,t=2,p=1" in store.users[user.id][1]
    assert new.authenticate("alice", PASSWORD) == user


# -- API keys -----------------------------------------------------------------------------


def test_a_key_is_alpaca_shaped_and_its_secret_is_stored_hashed(
    identity: IdentityService, store: FakeIdentityStore
) -> None:
    identity.create_user("alice", PASSWORD)
    key, secret = identity.create_key("alice")

    assert re.fullmatch(r"PK[A-Z0-9]{18}", key.key_id)
    assert re.fullmatch(r"[A-Za-z0-9]{40}", secret)
    stored_hash = store.keys[key.key_id][1]
    assert stored_hash.startswith("$argon2id$") and secret not in stored_hash
    assert secret not in repr(key)


def test_a_key_opens_the_users_named_account_once_and_reuses_it(
    identity: IdentityService,
) -> None:
    user = identity.create_user("alice", PASSWORD)
    first, _ = identity.create_key("alice")
    second, _ = identity.create_key("alice")
    other, _ = identity.create_key("alice", account_name="swing")

    accounts = identity.accounts_of(user.id)
    assert [a.name for a in accounts] == ["main", "swing"]
    assert all(a.owner == user.id for a in accounts)
    assert first.account_id == second.account_id == accounts[0].id
    assert other.account_id == accounts[1].id
    assert first.key_id != second.key_id


def test_a_key_for_an_unknown_user_or_a_bad_account_name_is_refused(
    identity: IdentityService,
) -> None:
    with pytest.raises(NotFoundError, match="user 'nobody' not found"):
        identity.create_key("nobody")
    identity.create_user("alice", PASSWORD)
    with pytest.raises(ValidationError, match="account name"):
        identity.create_key("alice", account_name="has space")


def test_a_key_verifies_to_its_user_and_account(identity: IdentityService) -> None:
    user = identity.create_user("alice", PASSWORD)
    key, secret = identity.create_key("alice")

    principal = identity.verify_key(key.key_id, secret)

    assert principal == Principal(user_id=user.id, account_id=key.account_id, key_id=key.key_id)
    assert identity.list_keys("alice")[0].last_used_ns == T0


def test_a_key_verifies_though_its_last_use_cannot_be_recorded(
    identity: IdentityService, store: FakeIdentityStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy database (another process holds the write lock) costs the request nothing."""
    user = identity.create_user("alice", PASSWORD)
    key, secret = identity.create_key("alice")

    def locked(key_id: str, now_ns: int) -> None:
        raise OSError("database is locked")

    monkeypatch.setattr(store, "touch_key", locked)

    assert identity.verify_key(key.key_id, secret).user_id == user.id


def test_unknown_wrong_and_revoked_keys_give_the_same_error(identity: IdentityService) -> None:
    identity.create_user("alice", PASSWORD)
    key, secret = identity.create_key("alice")
    revoked, revoked_secret = identity.create_key("alice")
    identity.revoke_key(revoked.key_id)

    messages = set()
    for key_id, given in (
        ("PK" + "0" * 18, secret),
        ("not-a-key", secret),
        (key.key_id, secret[:-1] + ("a" if secret[-1] != "a" else "b")),
        (key.key_id, ""),
        (revoked.key_id, revoked_secret),
    ):
        with pytest.raises(AuthenticationError) as caught:
            identity.verify_key(key_id, given)
        messages.add(str(caught.value))
    assert messages == {"wrong or revoked API key id or secret"}


def test_an_unknown_or_revoked_key_pays_argon2_as_a_wrong_secret_does(
    identity: IdentityService, hasher: CountingHasher
) -> None:
    """An unknown key id had answered at once (about 2 ms against 95 ms for a wrong secret
    of a real one): the time told which key ids exist."""
    identity.create_user("alice", PASSWORD)
    key, secret = identity.create_key("alice")
    revoked, revoked_secret = identity.create_key("alice")
    identity.revoke_key(revoked.key_id)

    for key_id, given in (
        (key.key_id, secret.swapcase()),
        ("PK" + "0" * 18, secret),
        ("not-a-key", secret),
        (revoked.key_id, revoked_secret),
    ):
        before = hasher.verifications
        with pytest.raises(AuthenticationError):
            identity.verify_key(key_id, given)
        assert hasher.verifications == before + 1, key_id


def test_only_the_first_verification_of_a_key_pays_argon2_and_reads_the_store(
    identity: IdentityService, store: FakeIdentityStore, hasher: CountingHasher
) -> None:
    identity.create_user("alice", PASSWORD)
    key, secret = identity.create_key("alice")
    identity.verify_key(key.key_id, secret)
    verifications, reads = hasher.verifications, dict(store.calls)

    for _ in range(1000):
        identity.verify_key(key.key_id, secret)

    assert hasher.verifications == verifications
    assert dict(store.calls) == reads


def test_a_wrong_secret_of_a_verified_key_pays_argon2_as_for_an_unknown_key(
    identity: IdentityService, hasher: CountingHasher
) -> None:
    """Refused from memory, it had answered in 2 ms against 95 ms for an unknown key id: the
    time told which key ids are in use."""
    identity.create_user("alice", PASSWORD)
    key, secret = identity.create_key("alice")
    identity.verify_key(key.key_id, secret)
    verifications = hasher.verifications

    assert identity.remembered_key(key.key_id, secret.swapcase()) is None
    with pytest.raises(AuthenticationError):
        identity.verify_key(key.key_id, secret.swapcase())
    assert hasher.verifications == verifications + 1
    assert identity.verify_key(key.key_id, secret).key_id == key.key_id  # still remembered
    assert hasher.verifications == verifications + 1


def test_revocation_invalidates_a_verified_key_at_once(identity: IdentityService) -> None:
    identity.create_user("alice", PASSWORD)
    key, secret = identity.create_key("alice")
    identity.verify_key(key.key_id, secret)

    revoked = identity.revoke_key(key.key_id)

    assert revoked.revoked_ns == T0 and not revoked.active
    with pytest.raises(AuthenticationError):
        identity.verify_key(key.key_id, secret)


def test_a_revocation_elsewhere_takes_effect_when_the_verified_key_is_rechecked(
    identity: IdentityService, store: FakeIdentityStore, clock: SimulatedClock
) -> None:
    identity.create_user("alice", PASSWORD)
    key, secret = identity.create_key("alice")
    identity.verify_key(key.key_id, secret)
    store.revoke_key(key.key_id, clock.now_ns())  # e.g. `vtrade keys revoke` in another process

    identity.verify_key(key.key_id, secret)  # still trusted within the recheck interval
    clock.advance(identity.recheck_ns)
    with pytest.raises(AuthenticationError):
        identity.verify_key(key.key_id, secret)


def test_a_recheck_reads_the_store_but_does_not_pay_argon2_again(
    identity: IdentityService, hasher: CountingHasher, clock: SimulatedClock
) -> None:
    identity.create_user("alice", PASSWORD)
    key, secret = identity.create_key("alice")
    identity.verify_key(key.key_id, secret)
    verifications = hasher.verifications

    clock.advance(identity.recheck_ns)
    identity.verify_key(key.key_id, secret)

    assert hasher.verifications == verifications
    assert identity.list_keys("alice")[0].last_used_ns == clock.now_ns()


def test_revoking_twice_keeps_the_first_time_and_unknown_keys_are_not_found(
    identity: IdentityService, clock: SimulatedClock
) -> None:
    identity.create_user("alice", PASSWORD)
    key, _ = identity.create_key("alice")
    identity.revoke_key(key.key_id)
    clock.advance(NS_PER_SECOND)

    assert identity.revoke_key(key.key_id).revoked_ns == T0
    with pytest.raises(NotFoundError, match="API key 'PKNOPE' not found"):
        identity.revoke_key("PKNOPE")


def test_a_user_cannot_revoke_another_users_key(identity: IdentityService) -> None:
    identity.create_user("alice", PASSWORD)
    bob = identity.create_user("bobby", PASSWORD)
    key, secret = identity.create_key("alice")

    with pytest.raises(NotFoundError, match="not found"):
        identity.revoke_key(key.key_id, user_id=bob.id)
    assert identity.verify_key(key.key_id, secret).key_id == key.key_id


def test_the_cache_of_verified_keys_is_bounded(
    store: FakeIdentityStore, container: Container, clock: SimulatedClock
) -> None:
    identity = IdentityService(
        store, container.trading, clock, PasswordHasher(1, 8, 1), max_cached_keys=2
    )
    identity.create_user("alice", PASSWORD)
    pairs = [identity.create_key("alice") for _ in range(3)]
    for key, secret in pairs:
        identity.verify_key(key.key_id, secret)

    assert len(identity._verified) == 2
    assert all(identity.verify_key(k.key_id, s).key_id == k.key_id for k, s in pairs)


# -- ownership ----------------------------------------------------------------------------


def test_another_users_account_is_not_found_exactly_like_a_missing_one(
    identity: IdentityService,
) -> None:
    alice = identity.create_user("alice", PASSWORD)
    bob = identity.create_user("bobby", PASSWORD)
    alice_key, alice_secret = identity.create_key("alice")
    bob_key, _ = identity.create_key("bobby")
    alice_principal = identity.verify_key(alice_key.key_id, alice_secret)

    assert identity.require_account(alice.id, alice_key.account_id).owner == alice.id
    assert identity.require_account(alice_principal, alice_key.account_id).owner == alice.id
    with pytest.raises(NotFoundError) as foreign:
        identity.require_account(alice.id, bob_key.account_id)
    with pytest.raises(NotFoundError) as by_key:
        identity.require_account(alice_principal, bob_key.account_id)
    with pytest.raises(NotFoundError) as missing:
        identity.require_account(alice.id, "acc-missing")

    assert str(foreign.value) == f"account {bob_key.account_id!r} not found"
    assert str(by_key.value) == f"account {bob_key.account_id!r} not found"
    assert str(missing.value) == "account 'acc-missing' not found"
    assert identity.accounts_of(bob.id)[0].id == bob_key.account_id


def test_a_key_acts_only_on_the_account_it_is_bound_to(identity: IdentityService) -> None:
    alice = identity.create_user("alice", PASSWORD)
    main_key, main_secret = identity.create_key("alice", "main")
    swing_key, _ = identity.create_key("alice", "swing")
    principal = identity.verify_key(main_key.key_id, main_secret)

    assert identity.require_account(alice.id, swing_key.account_id).name == "swing"
    with pytest.raises(NotFoundError, match="not found"):
        identity.require_account(principal, swing_key.account_id)


def test_accounts_opened_by_others_for_the_same_name_do_not_count(
    identity: IdentityService, container: Container
) -> None:
    alice = identity.create_user("alice", PASSWORD)
    container.trading.open_account(OpenAccount(id="c", ts_init=T0, owner="someone", name="main"))

    key, _ = identity.create_key("alice")

    assert [a.id for a in identity.accounts_of(alice.id)] == [key.account_id]


# -- web sessions -------------------------------------------------------------------------


def test_a_session_names_its_user_and_is_stored_only_as_digests(
    identity: IdentityService, store: FakeIdentityStore
) -> None:
    user = identity.create_user("alice", PASSWORD)
    token, csrf = identity.start_session("alice", PASSWORD)

    assert identity.session_user(token) == user
    assert identity.check_csrf(token, csrf) == user
    assert len(token) >= 43 and len(csrf) >= 43 and token != csrf
    (session,) = store.sessions.values()
    assert token not in repr(session) and csrf not in repr(session)
    assert session.expires_ns == T0 + 7 * NS_PER_DAY


def test_starting_a_session_needs_the_right_password(identity: IdentityService) -> None:
    identity.create_user("alice", PASSWORD)
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        identity.start_session("alice", "not the password")


def test_an_expired_session_is_refused_and_forgotten(
    identity: IdentityService, store: FakeIdentityStore, clock: SimulatedClock
) -> None:
    identity.create_user("alice", PASSWORD)
    token, csrf = identity.start_session("alice", PASSWORD)
    clock.advance(7 * NS_PER_DAY - 1)
    identity.session_user(token)

    clock.advance(1)

    with pytest.raises(AuthenticationError, match="expired"):
        identity.session_user(token)
    with pytest.raises(AuthenticationError, match="expired"):
        identity.check_csrf(token, csrf)
    assert store.sessions == {}


def test_a_csrf_token_that_does_not_match_is_refused(identity: IdentityService) -> None:
    identity.create_user("alice", PASSWORD)
    token, csrf = identity.start_session("alice", PASSWORD)
    _, other_csrf = identity.start_session("alice", PASSWORD)

    for wrong in (other_csrf, "", csrf[:-1]):
        with pytest.raises(AuthenticationError, match="CSRF token does not match"):
            identity.check_csrf(token, wrong)


def test_signing_out_ends_the_session(identity: IdentityService) -> None:
    identity.create_user("alice", PASSWORD)
    token, _ = identity.start_session("alice", PASSWORD)

    identity.end_session(token)
    identity.end_session(token)  # twice is fine

    with pytest.raises(AuthenticationError):
        identity.session_user(token)


def test_unknown_and_malformed_session_tokens_are_refused(identity: IdentityService) -> None:
    for token in ("", "x" * 300, "unknown-token"):
        with pytest.raises(AuthenticationError, match="no valid session"):
            identity.session_user(token)


def test_expired_sessions_are_purged_when_someone_signs_in(
    identity: IdentityService, store: FakeIdentityStore, clock: SimulatedClock
) -> None:
    identity.create_user("alice", PASSWORD)
    identity.start_session("alice", PASSWORD)
    clock.advance(8 * NS_PER_DAY)

    identity.start_session("alice", PASSWORD)

    assert len(store.sessions) == 1
