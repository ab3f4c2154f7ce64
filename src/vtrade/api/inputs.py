"""Text a client may send: anything but NUL, and no client order id of blanks only.

PostgreSQL's text columns cannot hold a NUL character (a query naming one fails), and no
id, name or symbol needs one, so every surface refuses it up front with a 422 naming where
it was: request bodies (`Body`), paths and query strings (`RefuseNul`), WebSocket messages.
A `client_order_id` of both APIs' order bodies is a `ClientOrderIdIn`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from pydantic import AfterValidator, BaseModel, model_validator
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp, Receive, Scope, Send

from vtrade.api.errors import error_response
from vtrade.core.errors import ValidationError
from vtrade.domain.orders import BLANK_CLIENT_ORDER_ID, blank_client_order_id

NUL = "\x00"
NO_NUL = "may not contain a NUL character (\\u0000)"


def nul_at(value: Any, where: str = "") -> str | None:
    """Where in `value` (a parsed JSON document) a string holds a NUL, or None."""
    return next(_nuls(value, where), None)


def _nuls(value: Any, where: str) -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value:
            yield where or "text"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nuls(key, where or "a key")
            yield from _nuls(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nuls(item, f"{where}[{i}]")


def refuse_nul(value: Any) -> None:
    """Raise the `ValidationError` of a message holding a NUL."""
    found = nul_at(value)
    if found is not None:
        raise ValidationError(f"{found} {NO_NUL}")


class Body(BaseModel):
    """Base of request bodies: no string in them holds a NUL."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        found = nul_at(data)
        if found is not None:
            raise ValueError(f"{found} {NO_NUL}")
        return data


def _not_blank(client_order_id: str | None) -> str | None:
    if blank_client_order_id(client_order_id):
        raise PydanticCustomError("blank", BLANK_CLIENT_ORDER_ID)
    return client_order_id


# A client order id in a request body: absent, or not blanks only (422 `client_order_id: is
# blank: ...`); its length is each API's to bound.
ClientOrderIdIn = Annotated[str | None, AfterValidator(_not_blank)]


class RefuseNul:
    """Answer 422 to a request whose path or query string holds a NUL (`%00`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            query = unquote_to_bytes(scope.get("query_string", b""))
            part = "the path" if NUL in path else "the query string" if b"\0" in query else None
            if part is not None:
                if scope["type"] == "http":
                    code = ValidationError.code
                    await error_response(path, code, f"{part} {NO_NUL}")(scope, receive, send)
                else:  # refused before the handshake: the client sees a 403
                    await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)
