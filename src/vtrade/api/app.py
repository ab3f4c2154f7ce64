"""The ASGI application: native API, Alpaca-compatible API, WebSockets, health and metrics.

Engines are synchronous and run on the event loop's thread (DESIGN §2), so routes are
`async def` and call them directly: no locks, and the order of commands is the order in
which the loop runs them. A background task steps the runtime every `api.step_ms`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from vtrade import __version__
from vtrade.api import alpaca, errors, health, native, ws
from vtrade.api.alpaca.direct import DirectOrders
from vtrade.api.batching import OrderBatcher
from vtrade.api.inputs import RefuseNul
from vtrade.api.limits import FailedSignIns, RateLimiter
from vtrade.api.metrics import Metrics, MetricsMiddleware
from vtrade.api.state import ApiState
from vtrade.app.runtime import Runtime, Step
from vtrade.bootstrap import Container
from vtrade.core.clock import iso
from vtrade.core.errors import MarketTakenOver

log = logging.getLogger("vtrade.api")
RELAY_CHUNK = 100  # events relayed between two turns of the loop (about 2 ms of work)

DESCRIPTION = """\
A high-fidelity paper-trading venue. Two surfaces share one engine:

* **Native API** under `/api/v1` (WebSocket `/api/v1/ws`): accounts, orders with fill
  receipts, positions, live portfolio, equity curves, market data and pre-trade estimates.
* **Alpaca Trading API v2** under `/v2` and `/stream`: point an Alpaca SDK's base URL here.

Authenticate with an API key pair (`APCA-API-KEY-ID` and `APCA-API-SECRET-KEY` headers;
create one with `vtrade keys create USER`) or a session cookie from `POST /api/v1/session`.
Errors are JSON `{"code", "message", "details"}`; the HTTP status is `code // 100`.
"""


def create_app(container: Container, *, run_steps: bool = True, started: bool = False) -> FastAPI:
    """Build the app around an assembled container; starting it loads the ledger.

    `run_steps=False` leaves time to the caller (`state.runtime.step()`), for tests.
    `started=True`: the caller started the container (a server does, so that a start it
    refuses is a one-line error before it listens).
    """
    s = container.settings.api
    metrics = Metrics()
    state = ApiState(
        container=container,
        runtime=Runtime(container.trading, container.portfolio, container.clock),
        batcher=OrderBatcher(container.trading, s.order_batch, metrics.order_batch.observe),
        limiter=RateLimiter(s.rate_per_second, s.rate_burst),
        metrics=metrics,
        # off with the other limits (a rate of 0), as a load test sets them
        failed_sign_ins=FailedSignIns(per_minute=10 if s.rate_per_second else 0),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not started:
            container.start()
        metrics.follow(container.bus)
        gc.collect()
        gc.freeze()  # the loaded catalog and ledger are long-lived: keep them out of GC passes
        state.ready = True
        stepping = asyncio.create_task(_step_forever(state)) if run_steps else None
        log.info("ready", extra={"clock": iso(container.clock.now_ns())})
        try:
            yield
        finally:
            state.stopping = True
            if stepping is not None:
                stepping.cancel()
            # each part stops even if one before it fails (a clock past the market's last
            # day fails the last step and the publish): the store must still close
            for stopping_part in (
                state.batcher.flush,  # in-flight orders commit before we close
                lambda: _step(state),
                lambda: container.portfolio.publish(container.clock.now_ns(), force=True),
                container.portfolio.stop,
                container.trading.stop,
                container.store.close,
            ):
                try:
                    stopping_part()
                except Exception:
                    log.exception("a part of the shutdown failed; the others go on")
            gc.unfreeze()  # what this app froze may be collected again once it is dropped
            log.info("stopped")

    app = FastAPI(
        title="vtrade",
        version=__version__,
        description=DESCRIPTION,
        redirect_slashes=False,  # Alpaca clients never follow redirects
        lifespan=lifespan,
    )
    app.state.vtrade = state
    errors.install(app)
    app.include_router(alpaca.router)  # routes match in order: bots' busiest paths first
    app.include_router(native.router)
    app.include_router(ws.router)
    app.include_router(health.router)
    app.add_middleware(DirectOrders)  # innermost: inside the metrics, after tidying paths
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(TidyPaths)
    app.add_middleware(RefuseNul)  # outermost: a NUL never reaches a route or the database
    return app


async def _step_forever(state: ApiState) -> None:
    every = state.container.settings.api.step_ms / 1000
    while not state.taken_over:
        await asyncio.sleep(every)
        await _step_yielding(state)


async def _step_yielding(state: ApiState) -> None:
    """One runtime step that relays the outbox `RELAY_CHUNK` events at a time and lets the
    loop serve requests between chunks: relaying a busy step's events at once held every
    request behind it for several milliseconds."""
    runtime, trading = state.runtime, state.container.trading
    busy = 0.0  # the time the step held the loop, not the requests served between chunks
    try:
        start = time.perf_counter()
        t = runtime.advance()
        published = 0
        while (count := trading.relay_chunk(RELAY_CHUNK)) == RELAY_CHUNK:
            published += count
            busy += time.perf_counter() - start
            await asyncio.sleep(0)
            start = time.perf_counter()
        step = runtime.finish(t, published + count)
    except MarketTakenOver as exc:  # stepping on would only fail again: stop, say it once
        log.error("%s; this server stops working the market and is not ready", exc.message)
        state.taken_over = True
        return
    except Exception as exc:  # retried at the next step; the server keeps serving
        _step_failed(state, exc)
        return
    _count_step(state, step, busy + time.perf_counter() - start)


def _step(state: ApiState) -> None:
    start = time.perf_counter()
    try:
        step = state.runtime.step()
    except Exception as exc:  # retried at the next step; the server keeps serving
        _step_failed(state, exc)
        return
    _count_step(state, step, time.perf_counter() - start)


def _step_failed(state: ApiState, exc: Exception) -> None:
    """Keep why a step failed, for readiness: the server is not ready until a step succeeds
    again. Only the first of a run of failures is logged: a clock past the market's last day
    fails every step, and had logged a traceback several times a second."""
    if state.step_failure is None:
        log.exception(
            "runtime step failed; retried at every step, not logged again until one works"
        )
    state.step_failure = f"{type(exc).__name__}: {exc}"


def _count_step(state: ApiState, step: Step, seconds: float) -> None:
    if state.step_failure is not None:
        log.info("runtime steps work again", extra={"last_failure": state.step_failure})
    state.step_failure = None
    state.metrics.steps.inc()
    state.metrics.ticks.inc(step.repriced)
    state.metrics.step_seconds.observe(seconds)


class TidyPaths:
    """Collapse repeated slashes and a doubled `/v2/v2`, as bots' base URLs often produce
    (an SDK never follows a redirect, so the path is fixed in place)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            if "//" in path or path.startswith("/v2/v2"):
                while "//" in path:
                    path = path.replace("//", "/")
                if path.startswith("/v2/v2"):
                    path = path[3:]
                scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)
