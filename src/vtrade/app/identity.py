"""Identity: users with passwords, API key pairs for bots, web sessions, and ownership checks.

- Passwords and API key secrets are stored as argon2 hashes (slow on purpose). Bots send
  thousands of requests a second, so a key that verified once is remembered in memory as the
  SHA-256 digest of its secret: later requests cost one hash and a constant-time compare.
  The memory is dropped when the key is revoked here, and every `recheck_ns` the key is read
  again from the store, so a revocation by another process (the CLI) takes effect within it.
- Session and CSRF tokens are 32 random bytes, stored as SHA-256 digests (high entropy: a
  fast hash is enough) and expire after `session_ttl_ns`.
- Ownership: an account belongs to the user whose id is its `owner`; an API key acts on the
  one account it is bound to. A foreign account answers exactly like a missing one
  (`NotFoundError`), and every credential failure says the same thing
  (`AuthenticationError`), so neither ids nor names can be probed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vtrade.app.ports import IdentityStore, KeyInfo, User, WebSession
from vtrade.app.services import TradingService
from vtrade.core.clock import NS_PER_DAY, NS_PER_SECOND, Clock
from vtrade.core.errors import AuthenticationError, ConflictError, NotFoundError, ValidationError
from vtrade.domain.accounts import Account
from vtrade.domain.commands import OpenAccount

__all__ = ["IdentityService", "KeyInfo", "Principal", "User"]

log = logging.getLogger("vtrade.identity")
NAME_RULE = "3-32 characters from A-Z a-z 0-9 _ . -"
ACCOUNT_RULE = "1-32 characters from A-Z a-z 0-9 _ . -"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 reads all of it; no need to let anyone send megabytes
SESSION_TTL_NS = 7 * NS_PER_DAY
RECHECK_NS = 60 * NS_PER_SECOND
KEY_ID_LENGTH = 20  # "PK" + 18, as Alpaca's
SECRET_LENGTH = 40

_NAME = re.compile(r"[A-Za-z0-9_.\-]{3,32}")
_ACCOUNT = re.compile(r"[A-Za-z0-9_.\-]{1,32}")
_KEY_ID = re.compile(r"PK[A-Z0-9]{18}")
_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
_BAD_LOGIN = "wrong user name or password"
_BAD_KEY = "wrong or revoked API key id or secret"
_BAD_SESSION = "no valid session: it is unknown, signed out or expired; sign in again"
_BAD_CSRF = "the CSRF token does not match this session"


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who an API request acts for: a user, through one key, on that key's one account."""

    user_id: str
    account_id: str
    key_id: str


@dataclass(slots=True)
class _Verified:
    digest: bytes  # SHA-256 of the secret that verified
    principal: Principal
    checked_ns: int  # when the store last confirmed that the key is active


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


class IdentityService:
    """Create and check users, API keys and web sessions; authorize access to accounts."""

    def __init__(
        self,
        store: IdentityStore,
        trading: TradingService,
        clock: Clock,
        hasher: PasswordHasher | None = None,
        *,
        session_ttl_ns: int = SESSION_TTL_NS,
        recheck_ns: int = RECHECK_NS,
        max_cached_keys: int = 100_000,
    ) -> None:
        """`hasher`: argon2 parameters (default: argon2-cffi's RFC 9106 profile); tests pass
        cheap ones. `recheck_ns`: how long a verified key is trusted before the store is
        asked again whether it was revoked elsewhere."""
        if session_ttl_ns <= 0 or recheck_ns < 0 or max_cached_keys < 1:
            raise ValueError(
                "session_ttl_ns and max_cached_keys must be positive, recheck_ns not negative"
            )
        self.store = store
        self.trading = trading
        self.clock = clock
        self.hasher = hasher if hasher is not None else PasswordHasher()
        self.session_ttl_ns = session_ttl_ns
        self.recheck_ns = recheck_ns
        self.max_cached_keys = max_cached_keys
        self._verified: dict[str, _Verified] = {}
        # told ("key", key_id) or ("session", token) when those credentials end here: a
        # server closes the connections they opened (a stream outlived its sign-out)
        self.ended: list[Callable[[str, str], None]] = []
        self._dummy_hash: str | None = None

    # -- users ----------------------------------------------------------------------------

    def create_user(self, name: str, password: str) -> User:
        """Register a user; the name is unique in any case."""
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValidationError(f"user name {name!r} is invalid: use {NAME_RULE}", name=name)
        if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise ValidationError(
                f"the password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters"
            )
        if self.store.find_user(name) is not None:
            raise ConflictError(f"user name {name!r} is taken (names ignore case); choose another")
        user = User(id=f"usr-{secrets.token_hex(8)}", name=name, created_ns=self.clock.now_ns())
        self.store.add_user(user, self.hasher.hash(password))
        return user

    def list_users(self) -> list[User]:
        """Return every user, oldest first."""
        return self.store.list_users()

    def authenticate(self, name: str, password: str) -> User:
        """Return the user if the password is right; any failure raises the same error."""
        found = self.store.find_user(name) if isinstance(name, str) and len(name) <= 64 else None
        if found is None:
            self._check(self._dummy(), password)  # an unknown name takes as long as a known one
            raise AuthenticationError(_BAD_LOGIN)
        user, hashed = found
        if not self._check(hashed, password) or user.disabled:
            raise AuthenticationError(_BAD_LOGIN)
        if self.hasher.check_needs_rehash(hashed):
            self.store.set_password_hash(user.id, self.hasher.hash(password))
        return user

    # -- API keys -------------------------------------------------------------------------

    def create_key(self, user_name: str, account_name: str = "main") -> tuple[KeyInfo, str]:
        """Make a key pair for the user's account `account_name` (opened if the user has no
        account of that name); return the key and its secret, which is never shown again."""
        user = self._user_named(user_name)
        if user.disabled:
            raise ConflictError(f"user {user.name!r} is disabled; enable it to create keys")
        if not isinstance(account_name, str) or not _ACCOUNT.fullmatch(account_name):
            raise ValidationError(
                f"account name {account_name!r} is invalid: use {ACCOUNT_RULE}",
                account=account_name,
            )
        now = self.clock.now_ns()
        account = self._account_named(user.id, account_name)
        if account is None:
            account = self.trading.open_account(
                OpenAccount(
                    id=f"cmd-{secrets.token_hex(8)}",
                    ts_init=now,
                    owner=user.id,
                    name=account_name,
                )
            )
        secret = _random(_SECRET_ALPHABET, SECRET_LENGTH)
        key = KeyInfo(
            key_id="PK" + _random(_KEY_ALPHABET, KEY_ID_LENGTH - 2),
            user_id=user.id,
            account_id=account.id,
            created_ns=now,
        )
        self.store.add_key(key, self.hasher.hash(secret))
        return key, secret

    def list_keys(self, user_name: str) -> list[KeyInfo]:
        """Return the user's keys, revoked ones included, oldest first (never secrets)."""
        return self.store.list_keys(self._user_named(user_name).id)

    def remembered_key(self, key_id: str, secret: str) -> Principal | None:
        """Return who a key pair acts for if it verified recently (no I/O, no argon2), or
        None when `verify_key` must be asked: a wrong secret for a key in use too, so that it
        pays argon2 there as for any other key (answered at once, it told which are in use)."""
        if not isinstance(key_id, str) or not isinstance(secret, str) or len(secret) > 256:
            raise AuthenticationError(_BAD_KEY)
        known = self._verified.get(key_id)
        if known is None or not hmac.compare_digest(known.digest, _sha256(secret)):
            return None
        if self.clock.now_ns() - known.checked_ns >= self.recheck_ns:
            return None
        return known.principal

    def verify_key(self, key_id: str, secret: str) -> Principal:
        """Return who a key pair acts for; unknown, revoked or wrong pairs raise the same
        `AuthenticationError`. Only a key's first request (and one per `recheck_ns`) reads
        the store; only the first pays argon2, and every wrong secret, as for an unknown id."""
        remembered = self.remembered_key(key_id, secret)
        if remembered is not None:
            return remembered
        digest = _sha256(secret)
        known = self._verified.get(key_id)
        if known is not None and not hmac.compare_digest(known.digest, digest):
            known = None  # not the secret that verified: argon2 refuses it, in argon2's time
        now = self.clock.now_ns()
        found = self.store.get_key(key_id) if _KEY_ID.fullmatch(key_id) else None
        if found is None:
            self._check(self._dummy(), secret)  # an unknown id takes as long as a known one
            raise AuthenticationError(_BAD_KEY)
        key, hashed = found
        user = self.store.get_user(key.user_id) if key.active else None
        if user is None or user.disabled:
            self._verified.pop(key_id, None)
            self._check(hashed, secret)  # nor does a revoked key answer sooner
            raise AuthenticationError(_BAD_KEY)
        if known is None and not self._check(hashed, secret):
            raise AuthenticationError(_BAD_KEY)
        principal = Principal(user_id=key.user_id, account_id=key.account_id, key_id=key_id)
        self._remember(key_id, _Verified(digest, principal, now))
        try:  # the key's last use is for its owner's information: a busy database costs nothing
            self.store.touch_key(key_id, now)
        except Exception:
            log.warning("could not record the use of key %s", key_id, exc_info=True)
        return principal

    def revoke_key(self, key_id: str, *, user_id: str | None = None) -> KeyInfo:
        """Revoke a key at once (again: no change). With `user_id`, only that user's key:
        another user's key is `NotFoundError`, like a missing one."""
        found = self.store.get_key(key_id) if isinstance(key_id, str) else None
        if found is None or (user_id is not None and found[0].user_id != user_id):
            raise NotFoundError(f"API key {key_id!r} not found")
        self._verified.pop(key_id, None)
        revoked = self.store.revoke_key(key_id, self.clock.now_ns())
        self._verified.pop(key_id, None)  # a verification that raced the revocation
        if revoked is None:
            raise NotFoundError(f"API key {key_id!r} not found")
        self._tell_ended("key", key_id)
        return revoked

    # -- ownership ------------------------------------------------------------------------

    def accounts_of(self, user_id: str) -> list[Account]:
        """Return the user's accounts, oldest first."""
        self.trading.ensure_current()
        owned = [a for a in self.trading.engine.accounts.values() if a.owner == user_id]
        return sorted(owned, key=lambda a: (a.created_ns, a.id))

    def require_account(self, who: Principal | str, account_id: str) -> Account:
        """Return the account if `who` (a key's principal, or a user id) may act on it.

        A user may act on the accounts it owns, a key only on the account it is bound to.
        Anything else raises the `NotFoundError` of a missing account, never a 'forbidden'.
        """
        if isinstance(who, Principal):
            user_id, allowed = who.user_id, account_id == who.account_id
        else:
            user_id, allowed = who, True
        self.trading.ensure_current()  # what the requests then read from the engine is stored
        account = self.trading.engine.accounts.get(account_id) if allowed else None
        if account is None or account.owner != user_id:
            raise NotFoundError(f"account {account_id!r} not found")
        return account

    # -- web sessions ---------------------------------------------------------------------

    def start_session(self, name: str, password: str) -> tuple[str, str]:
        """Sign in; return (session token, CSRF token), to be sent as a secure, HttpOnly
        cookie and echoed in a header by state-changing requests."""
        user = self.authenticate(name, password)
        now = self.clock.now_ns()
        self.store.delete_expired_sessions(now)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.store.add_session(
            WebSession(
                token_hash=_token_hash(token),
                user_id=user.id,
                csrf_token_hash=_token_hash(csrf),
                created_ns=now,
                expires_ns=now + self.session_ttl_ns,
            )
        )
        return token, csrf

    def session_user(self, token: str) -> User:
        """Return the signed-in user of a session token; unknown or expired raises."""
        return self._session_and_user(token)[1]

    def check_csrf(self, token: str, csrf: str) -> User:
        """Check the CSRF token of a state-changing request; return the session's user."""
        session, user = self._session_and_user(token)
        given = csrf.encode() if isinstance(csrf, str) else b""
        if not hmac.compare_digest(
            hashlib.sha256(given).hexdigest().encode(), session.csrf_token_hash.encode()
        ):
            raise AuthenticationError(_BAD_CSRF)
        return user

    def end_session(self, token: str) -> None:
        """Sign out (a session that is already gone is fine)."""
        if isinstance(token, str):
            self.store.delete_session(_token_hash(token))
            self._tell_ended("session", token)

    # -- internals ------------------------------------------------------------------------

    def _tell_ended(self, kind: str, value: str) -> None:
        for listener in self.ended:
            try:
                listener(kind, value)
            except Exception:  # a listener's fault must not undo the sign-out or revocation
                log.exception("a listener of ended credentials failed")

    def _session_and_user(self, token: str) -> tuple[WebSession, User]:
        if not isinstance(token, str) or not 0 < len(token) <= 256:
            raise AuthenticationError(_BAD_SESSION)
        session = self.store.get_session(_token_hash(token))
        if session is None:
            raise AuthenticationError(_BAD_SESSION)
        if session.expires_ns <= self.clock.now_ns():
            self.store.delete_session(session.token_hash)
            raise AuthenticationError(_BAD_SESSION)
        user = self.store.get_user(session.user_id)
        if user is None or user.disabled:
            raise AuthenticationError(_BAD_SESSION)
        return session, user

    def _user_named(self, name: str) -> User:
        found = self.store.find_user(name) if isinstance(name, str) else None
        if found is None:
            raise NotFoundError(f"user {name!r} not found")
        return found[0]

    def _account_named(self, user_id: str, name: str) -> Account | None:
        return next((a for a in self.accounts_of(user_id) if a.name == name), None)

    def _check(self, hashed: str, secret: str) -> bool:
        if not isinstance(secret, str) or len(secret) > MAX_PASSWORD:
            return False
        try:
            return self.hasher.verify(hashed, secret)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def _remember(self, key_id: str, verified: _Verified) -> None:
        self._verified.pop(key_id, None)
        if len(self._verified) >= self.max_cached_keys:
            del self._verified[next(iter(self._verified))]  # the least recently verified
        self._verified[key_id] = verified
