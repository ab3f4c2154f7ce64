"""Liveness, readiness and Prometheus metrics for operators (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from vtrade.api.state import ApiState, state_of
from vtrade.core.clock import iso

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the ledger is loaded; the database answers and takes writes",
    responses={503: {"description": "Not ready: `checks` says which part, and why"}},
)
async def readyz(request: Request) -> JSONResponse:
    state = state_of(request)
    checks: dict[str, str] = {"engines": "ok" if state.ready else "starting"}
    try:
        with state.container.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports, it does not raise
        checks["database"] = f"error: {type(exc).__name__}"
    failure = state.container.trading.probe_commit()
    checks["ledger"] = "ok" if failure is None else f"commits failing: the last one {failure}"
    checks["market"] = _market_check(state)
    if state.stopping:
        checks["engines"] = "stopping"
    if state.taken_over or not _holds_market(state):
        state.taken_over = True  # for good: the step stops too
        checks["engines"] = "taken over: another process works this database's market"
    ok = all(v == "ok" for v in checks.values())
    body = {
        "status": "ready" if ok else "not ready",
        "checks": checks,
        "clock": iso(state.container.clock.now_ns()),
    }
    return JSONResponse(body, status_code=200 if ok else 503)


def _market_check(state: ApiState) -> str:
    """Whether the market steps: the clock within the days it covers, its last step done."""
    outside = state.container.sessions.outside(state.container.clock.now_ns())
    if outside is not None:
        return outside
    if state.step_failure is not None:
        return f"steps failing: the last one {state.step_failure}"
    return "ok"


def _holds_market(state: ApiState) -> bool:
    """Whether this server still works the market: an idle one learns of a takeover from no
    commit of its own (its orders already answer 503), so readiness reads the claim."""
    try:
        return state.container.store.holds_market()
    except Exception:  # the database check reports an unreachable database
        return True


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    state = state_of(request)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
