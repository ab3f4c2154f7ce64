"""In-process message bus: events fan out to subscribers by topic, failures stay isolated."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from vtrade.core import topics

Handler = Callable[[Any], None]
log = logging.getLogger(__name__)


class InProcessBus:
    """Synchronous publish/subscribe within one process.

    A subscription names an exact topic or a prefix pattern ending in `.*`. A handler that
    raises is logged and counted; the other handlers still run (events never block each other).
    """

    def __init__(self) -> None:
        self._exact: dict[str, list[Handler]] = defaultdict(list)
        self._patterns: list[tuple[str, Handler]] = []
        self.handler_failures = 0

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        """Register `handler` for `pattern`; return a function that unsubscribes it."""
        if pattern.endswith(".*"):
            entry = (pattern, handler)
            self._patterns.append(entry)
            return lambda: self._patterns.remove(entry)
        self._exact[pattern].append(handler)
        return lambda: self._exact[pattern].remove(handler)

    def has_subscribers(self, topic: str) -> bool:
        """Tell whether publishing on `topic` would reach anyone (skip building the message)."""
        if self._exact.get(topic):
            return True
        return any(topics.matches(p, topic) for p, _ in self._patterns)

    def publish(self, topic: str, message: object) -> int:
        """Deliver `message` to every matching handler; return how many handlers ran cleanly."""
        delivered = 0
        handlers = list(self._exact.get(topic, ()))
        handlers += [h for p, h in self._patterns if topics.matches(p, topic)]
        for handler in handlers:
            try:
                handler(message)
            except Exception:
                self.handler_failures += 1
                log.exception("handler %r failed on topic %s", handler, topic)
            else:
                delivered += 1
        return delivered
