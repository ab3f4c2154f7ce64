"""Hot state adapters: the `HotStore` port in process memory (default) or on Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vtrade.adapters.hot.memory import MemoryHotStore
from vtrade.adapters.hot.redis import HotStoreError, HotStoreUnavailableError, RedisHotStore

if TYPE_CHECKING:
    from vtrade.app.ports import HotStore

    def _implement_the_port(memory: MemoryHotStore, redis: RedisHotStore) -> list[HotStore]:
        return [memory, redis]  # mypy proves both adapters satisfy the protocol


__all__ = ["HotStoreError", "HotStoreUnavailableError", "MemoryHotStore", "RedisHotStore"]
