"""The one place errors become HTTP responses.

The native API answers `{"code", "message", "details"}` with the status `code // 100`
(`40410` is a 404). The Alpaca surface (`/v2`, `/stream`) answers `{"code", "message"}`
with Alpaca's 8-digit codes and statuses (see reference/alpaca-compat.md §5): alpaca-py
reads both keys of every error body. Nothing a client sends can produce a 500.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from vtrade.core import errors as e

log = logging.getLogger("vtrade.api")
LOGGED = "_vtrade_logged"  # set on an exception the app has logged with its request

# Our code -> Alpaca's (status, code). A conflict (a reused client_order_id) is a 422 there.
_ALPACA: dict[int, tuple[int, int]] = {
    e.ValidationError.code: (422, 40010001),
    e.ConflictError.code: (422, 40010001),
    e.DataError.code: (422, 40010001),
    e.AuthenticationError.code: (401, 40110000),
    e.RejectedError.code: (403, 40310000),
    e.NotFoundError.code: (404, 40410000),
    e.IllegalTransitionError.code: (422, 42210000),
    e.RateLimitedError.code: (429, 42910000),
}
_HTTP_CODES = {400: 42210, 401: 40100, 403: 40310, 404: 40410, 405: 40500, 422: 42210}


def alpaca_status(code: int) -> tuple[int, int]:
    """Alpaca's (HTTP status, code) for one of our error codes."""
    return _ALPACA.get(code, (code // 100, code * 1000))


def is_alpaca(path: str) -> bool:
    """Tell whether a path belongs to the Alpaca-compatible surface."""
    return path.startswith(("/v2/", "/v1beta3/", "/stream")) or path == "/v2"


def error_response(
    path: str,
    code: int,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render an error in the dialect of the surface that `path` belongs to."""
    details = dict(details or {})
    special = details.pop("alpaca_code", None)  # where Alpaca uses another code for the case
    if is_alpaca(path):
        status, alpaca_code = alpaca_status(code)
        body: dict[str, Any] = {"code": special or alpaca_code, "message": message}
        body.update({k: v for k, v in details.items() if k not in body})
    else:
        status = code // 100
        body = {"code": code, "message": message, "details": details}
    return Response(
        orjson.dumps(body, default=str),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def vtrade_error_response(request: Request, exc: e.VtradeError) -> Response:
    """Render one of our errors for this request (the app's handler for `VtradeError`)."""
    headers = exc.details.pop("headers", None) if exc.details else None
    return error_response(request.url.path, exc.code, exc.message, exc.details, headers)


def install(app: FastAPI) -> None:
    """Map our errors, FastAPI's own 404/405/422 and anything unexpected to error bodies."""

    @app.exception_handler(e.VtradeError)
    async def _ours(request: Request, exc: e.VtradeError) -> Response:
        return vtrade_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [_describe(err) for err in exc.errors()]
        return error_response(
            request.url.path,
            e.ValidationError.code,
            "invalid request: " + "; ".join(problems),
            {"errors": problems},
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, exc.status_code * 100)
        message = {404: "no such endpoint", 405: "method not allowed here"}.get(
            exc.status_code, str(exc.detail)
        )
        headers = getattr(exc, "headers", None)
        also = ""
        if exc.status_code == 405:
            allowed = ", ".join(_methods_at(request))
            headers = {**(headers or {}), "Allow": allowed}
            also = f" (allowed: {allowed})"
        return error_response(
            request.url.path,
            code,
            f"{message}: {request.method} {request.url.path}{also}",
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        outside = _market_out_of_days(request)
        if outside is not None:  # not a bug: the operator's clock; /readyz says so too
            return vtrade_error_response(request, e.MarketOutOfDays(outside))
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        # Starlette raises it on to the server, which would log it a second time
        with contextlib.suppress(AttributeError):
            setattr(exc, LOGGED, True)
        return error_response(request.url.path, 50000, "internal server error")


def _market_out_of_days(request: Request) -> str | None:
    """Why the market cannot answer now, if the server's clock left the days it covers (any
    request needing it then fails)."""
    state = getattr(request.app.state, "vtrade", None)
    if state is None:
        return None
    outside: str | None = state.container.sessions.outside(state.container.clock.now_ns())
    return outside


def _methods_at(request: Request) -> list[str]:
    """Every method some route serves at the request's path (Starlette's `Allow` names only
    the first route that matched the path, e.g. POST alone on /v2/orders)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


_ENUM_MEMBER = re.compile(r"<\w+\.\w+: ('[^']*')>")


def _describe(err: dict[str, Any]) -> str:
    if err.get("type") == "json_invalid":
        position = err.get("loc", ("body", 0))[-1]
        problem = (err.get("ctx") or {}).get("error", "malformed")
        return f"the body is not valid JSON: {problem} at character {position}"
    where = ".".join(str(part) for part in err.get("loc", ()) if part not in ("body",))
    # A Literal of enum members reads "<OrderType.MARKET: 'market'>": show the value a
    # client sends.
    message = _ENUM_MEMBER.sub(r"\1", err.get("msg", "invalid"))
    return f"{where or 'request'}: {message}"
