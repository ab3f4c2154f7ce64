"""What the routes share: the container, the runtime and the per-process API parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from starlette.requests import HTTPConnection

from vtrade.api.batching import OrderBatcher
from vtrade.api.limits import FailedSignIns, RateLimiter
from vtrade.api.metrics import Metrics
from vtrade.app.runtime import Runtime
from vtrade.bootstrap import Container


@dataclass(slots=True)
class ApiState:
    """The running server's parts, one set per app."""

    container: Container
    runtime: Runtime
    batcher: OrderBatcher
    limiter: RateLimiter
    metrics: Metrics
    failed_sign_ins: FailedSignIns = field(default_factory=FailedSignIns)
    ready: bool = False
    stopping: bool = False
    taken_over: bool = False  # another process works this database's market (`MarketTakenOver`)
    step_failure: str | None = None  # why the last runtime step failed; None once one succeeds
    extras: dict[str, object] = field(default_factory=dict)


def state_of(conn: HTTPConnection) -> ApiState:
    """The `ApiState` of the app serving this request or WebSocket."""
    return cast(ApiState, conn.app.state.vtrade)
