"""Per-key rate limits: a token bucket for each caller, refilled in real time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from vtrade.core.errors import RateLimitedError


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
        now = self._monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()  # idle keys are refilled anyway: forgetting is safe
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return
        wait = (1 - bucket.tokens) / self.rate
        raise RateLimitedError(
            f"rate limit exceeded: at most {self.rate:g} requests per second per key "
            f"(bursts of {self.burst}); retry in {wait:.2f} s",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
