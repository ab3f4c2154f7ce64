"""`RedisHotStore`: the `HotStore` port on Redis (redis-py, sync), every key in a namespace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from vtrade.adapters.hot.memory import (
    BOARD,
    COUNTER,
    HASH,
    INT64_MAX,
    check_increment,
    check_members,
    check_name,
    check_names,
    check_namespace,
    check_scores,
    check_window,
    counter_overflow,
    encode_hashes,
    wrong_kind,
)
from vtrade.app.ports import HotValue
from vtrade.core.errors import ValidationError, VtradeError

__all__ = ["HotStoreError", "HotStoreUnavailableError", "RedisHotStore", "redact"]

_SCAN_BATCH = 1000


class HotStoreError(VtradeError):
    """Redis failed or refused a command for a reason other than bad input."""

    code = 50010


class HotStoreUnavailableError(HotStoreError):
    """Redis cannot be reached: down, wrong address or password, or too slow to answer."""

    code = 50340


def redact(url: str) -> str:
    """Return `url` with its password (in the authority or the query) replaced by `***`."""
    parts = urlsplit(url)
    netloc, query = parts.netloc, parts.query
    if parts.password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:***@{hostinfo}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name.lower() == "password" for name, _ in pairs):
        hidden = [(n, "***" if n.lower() == "password" else v) for n, v in pairs]
        query = urlencode(hidden, safe="*")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


class RedisHotStore:
    """Keep hot state on Redis: hashes, sorted sets and integer strings under `{namespace}:`.

    Only connection errors are retried (twice, quickly); a timed-out command is not, so an
    increment is never applied twice. Failures raise `HotStoreError` subclasses that name
    the server with its password redacted.
    """

    def __init__(self, url: str, namespace: str = "vtrade", *, timeout: float = 5.0) -> None:
        self.namespace = check_namespace(namespace)
        self.url = redact(url)
        self._prefix = f"{namespace}:"
        try:
            self._client = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                health_check_interval=30,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2, (RedisConnectionError,)),
            )
        except ValueError as exc:
            raise ValidationError(
                f"Redis URL {self.url} is not valid ({exc}); allowed: "
                "redis://[[user]:password@]host[:port][/db], rediss://... or unix:///path"
            ) from None
        with self._errors("connect"):
            self._client.ping()

    def __repr__(self) -> str:
        return f"RedisHotStore({self.url!r}, namespace={self.namespace!r})"

    # -- hashes ---------------------------------------------------------------------------

    def put_hashes(self, items: Mapping[str, Mapping[str, HotValue]]) -> None:
        """Set fields of many hashes in one pipelined round trip; other fields are kept."""
        writes = [(key, fields) for key, fields in encode_hashes(items).items() if fields]
        if not writes:
            return
        with self._errors("write hashes"):
            with self._client.pipeline(transaction=False) as pipe:
                for key, fields in writes:
                    pipe.hset(self._key(key), mapping=fields)
                results = pipe.execute(raise_on_error=False)
        self._raise_first_failure([key for key, _ in writes], results, HASH, "write hashes")

    def get_hash(self, key: str) -> dict[str, str]:
        """Return all fields of one hash (empty when absent)."""
        key = check_name(HASH, key)
        with self._errors("read a hash", key, HASH):
            return cast(dict[str, str], self._client.hgetall(self._key(key)))

    def get_hashes(self, keys: Sequence[str]) -> list[dict[str, str]]:
        """Return the fields of each hash in the order of `keys`, in one round trip."""
        names = check_names(HASH, keys)
        if not names:
            return []
        with self._errors("read hashes"):
            with self._client.pipeline(transaction=False) as pipe:
                for key in names:
                    pipe.hgetall(self._key(key))
                results = pipe.execute(raise_on_error=False)
        self._raise_first_failure(names, results, HASH, "read hashes")
        return cast(list[dict[str, str]], results)

    def delete(self, keys: Sequence[str]) -> None:
        """Remove the hashes, boards or counters named by `keys`; absent keys are ignored."""
        names = check_names("key", keys)
        if names:
            with self._errors("delete keys"):
                self._client.delete(*(self._key(key) for key in names))

    # -- rankings -------------------------------------------------------------------------

    def rank(self, board: str, scores: Mapping[str, float]) -> None:
        """Set members' scores on a ranking board (ZADD)."""
        board = check_name(BOARD, board)
        checked = check_scores(board, scores)
        if checked:
            with self._errors("rank members", board, BOARD):
                self._client.zadd(self._key(board), cast(Mapping[Any, Any], checked))

    def top(self, board: str, count: int, offset: int = 0) -> list[tuple[str, float]]:
        """Return `count` entries from `offset`: highest score first, ties by member
        in reverse lexicographic order (ZREVRANGE)."""
        board = check_name(BOARD, board)
        check_window(count, offset)
        if count == 0:
            return []
        stop = min(offset + count - 1, INT64_MAX)
        with self._errors("read a ranking", board, BOARD):
            rows = self._client.zrevrange(self._key(board), offset, stop, withscores=True)
        return [(str(member), float(score)) for member, score in cast(list[Any], rows)]

    def rank_of(self, board: str, member: str) -> int | None:
        """Return the 0-based position from the top (ZREVRANK), or None when absent."""
        board = check_name(BOARD, board)
        (member,) = check_members(board, [member])
        with self._errors("read a rank", board, BOARD):
            return cast(int | None, self._client.zrevrank(self._key(board), member))

    def unrank(self, board: str, members: Sequence[str]) -> None:
        """Remove `members` from a board (ZREM); absent ones are ignored."""
        board = check_name(BOARD, board)
        names = check_members(board, members)
        if names:
            with self._errors("unrank members", board, BOARD):
                self._client.zrem(self._key(board), *names)

    # -- counters -------------------------------------------------------------------------

    def incr(self, counter: str, by: int = 1) -> int:
        """Add `by` atomically (INCRBY; an absent counter starts at 0); return the new value."""
        counter = check_name(COUNTER, counter)
        by = check_increment(counter, by)
        with self._errors("increment a counter", counter, COUNTER):
            try:
                return cast(int, self._client.incrby(self._key(counter), by))
            except ResponseError as exc:
                if "overflow" in str(exc):
                    raise counter_overflow(counter, by) from None
                raise

    def counter(self, counter: str) -> int:
        """Return a counter's value (0 when absent)."""
        counter = check_name(COUNTER, counter)
        with self._errors("read a counter", counter, COUNTER):
            value = self._client.get(self._key(counter))
        return 0 if value is None else int(cast(str, value))

    # -- lifecycle ------------------------------------------------------------------------

    def clear(self) -> None:
        """Delete every key under `{namespace}:` (SCAN + UNLINK in batches; never FLUSHDB)."""
        with self._errors("clear the namespace"):
            batch: list[str] = []
            for key in self._client.scan_iter(match=f"{self._prefix}*", count=_SCAN_BATCH):
                batch.append(key)
                if len(batch) >= _SCAN_BATCH:
                    self._client.unlink(*batch)
                    batch.clear()
            if batch:
                self._client.unlink(*batch)

    def close(self) -> None:
        """Close the client and disconnect every connection of its pool."""
        self._client.close()
        self._client.connection_pool.disconnect()

    # -- helpers --------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        return self._prefix + key

    def _raise_first_failure(
        self, keys: Sequence[str], results: Sequence[object], kind: str, action: str
    ) -> None:
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, Exception):
                raise self._failure(result, action, key, kind) from result

    def _failure(
        self, exc: Exception, action: str, key: str | None = None, kind: str | None = None
    ) -> VtradeError:
        if isinstance(exc, RedisConnectionError | RedisTimeoutError):
            return HotStoreUnavailableError(
                f"Redis at {self.url} could not {action} ({type(exc).__name__}: {exc}); "
                "start Redis or point VTRADE_REDIS_URL at a reachable server",
                url=self.url,
            )
        if key is not None and kind is not None and str(exc).startswith("WRONGTYPE"):
            return wrong_kind(key, kind)
        return HotStoreError(f"Redis at {self.url} could not {action}: {exc}", url=self.url)

    @contextmanager
    def _errors(
        self, action: str, key: str | None = None, kind: str | None = None
    ) -> Iterator[None]:
        try:
            yield
        except RedisError as exc:
            raise self._failure(exc, action, key, kind) from exc
