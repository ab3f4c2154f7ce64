"""Per-key rate limits: a token bucket for each caller, refilled in real time."""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from vtrade.core.errors import AuthenticationError, RateLimitedError


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float  # monotonic seconds of the last refill


class RateLimiter:
    """Allow `rate` requests per second per key with bursts of up to `burst`.

    Limits protect the server in real time, so they use the monotonic timer (injectable),
    never the simulated clock. `rate == 0` disables them.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        monotonic: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if rate < 0 or burst < 1:
            raise ValueError("rate must be >= 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._monotonic = monotonic
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def check(self, key: str) -> None:
        """Spend one token of `key`'s bucket or raise `RateLimitedError` saying when to retry."""
        if not self.rate:
            return
        bucket = self._refilled(key)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return
        raise self._refusal(
            bucket, f"at most {self.rate:g} requests per second per key (bursts of {self.burst})"
        )

    def wait_s(self, key: str) -> float:
        """Seconds until `key` has a token to spend (0: now), spending nothing."""
        if not self.rate:
            return 0.0
        bucket = self._refilled(key)
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self.rate

    def spend(self, key: str) -> None:
        """Spend a token of `key`'s bucket if it has one; never refuse."""
        if self.rate:
            bucket = self._refilled(key)
            bucket.tokens = max(0.0, bucket.tokens - 1)

    def give_back(self, key: str) -> None:
        """Return a token spent on `key` (never beyond a full bucket)."""
        if self.rate:
            bucket = self._refilled(key)
            bucket.tokens = min(self.burst, bucket.tokens + 1)

    def _refilled(self, key: str) -> _Bucket:
        now = self._monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()  # idle keys are refilled anyway: forgetting is safe
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        return bucket

    def _refusal(self, bucket: _Bucket, allowed: str) -> RateLimitedError:
        wait = (1 - bucket.tokens) / self.rate
        return RateLimitedError(
            f"rate limit exceeded: {allowed}; retry in {wait:.2f} s",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


class FailedSignIns:
    """Failed sign-ins (wrong key secrets, wrong passwords), counted per key id or user name
    and per client address: past `burst` of them, refilled at `per_minute`, an attempt is
    refused (429) before its secret is checked, so secrets cannot be guessed at the speed
    the server answers. Successes spend nothing here."""

    def __init__(
        self,
        per_minute: float = 10,
        burst: int = 10,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self._buckets = RateLimiter(per_minute / 60, burst, monotonic)
        self._turns = weakref.WeakValueDictionary[str, asyncio.Lock]()  # gone when unused

    def check(self, *keys: str) -> None:
        """Refuse an attempt for any of `keys` that failed too often of late."""
        wait = max(self._buckets.wait_s(k) for k in keys)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimitedError(
                f"rate limit exceeded: too many failed sign-ins (at most {self.per_minute:g} a "
                f"minute per key id, user name or client address); retry in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    @asynccontextmanager
    async def attempt(self, key: str, *others: str) -> AsyncIterator[None]:
        """Make one sign-in attempt for `key` (a key id or user name) and `others` (the
        client's address): refused if any of them failed too often of late, and counted as
        failed if it raises `AuthenticationError`.

        Attempts for one key take turns, and each holds a failure of every key until it is
        known to have succeeded: concurrent attempts cannot all pass the check before the
        first of them has failed."""
        turn = self._turns.setdefault(key, asyncio.Lock())
        async with turn:
            keys = (key, *others)
            self.check(*keys)
            for k in keys:
                self._buckets.spend(k)
            try:
                yield
            except AuthenticationError:
                raise
            except BaseException:
                self._give_back(keys)
                raise
            self._give_back(keys)

    def _give_back(self, keys: tuple[str, ...]) -> None:
        for k in keys:
            self._buckets.give_back(k)
