"""Field types shared by the native schemas: decimals as strings, instants as ISO 8601 Z."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from vtrade.api.inputs import Body
from vtrade.api.paging import MAX_TOKEN


def plain(value: Decimal) -> str:
    """Write a decimal in plain notation (1000, never 1E+3)."""
    return f"{abs(value) if value.is_zero() else value:f}"


# A decimal written as a JSON string ("189.42"), so no client loses precision to floats.
Dec = Annotated[
    Decimal,
    PlainSerializer(plain, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "decimal"}, mode="serialization"),
]
# A decimal a client sends: a JSON number or a numeric string; NaN and infinity are refused.
DecIn = Annotated[Decimal, Field(allow_inf_nan=False)]
# The `nested` query parameter of the order routes.
Nested = Annotated[
    bool,
    Query(
        description="true: a bracket's, oto's or oco's legs as orders in its entry's `legs` "
        "(the legs it holds now), not listed on their own"
    ),
]
# The `page_token` query parameter of every paged list.
Token = Annotated[
    str | None, Query(max_length=MAX_TOKEN, description="next_page_token of the previous page")
]


def f(description: str, example: Any = None, **kw: Any) -> Any:
    """A documented field with one example (for OpenAPI)."""
    examples = None if example is None else [example]
    return Field(description=description, examples=examples, **kw)


class Out(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(frozen=True)


class In(Body):
    """Base of request bodies: unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorBody(Out):
    """Every native error: the HTTP status is `code // 100`."""

    code: int = f("Error code; the HTTP status is code // 100", 42210)
    message: str = f("What was wrong and what is allowed", "qty: Input should be greater than 0")
    details: dict[str, Any] = f("Machine-readable particulars", {"errors": ["qty: ..."]})


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, and 422: every native route
    refuses an unknown query parameter with it (`known_query`), in the native error body,
    not FastAPI's default one."""
    text = {
        401: "Missing or wrong credentials (or CSRF token for a session)",
        403: "Refused by a trading rule; the order is kept with status rejected",
        404: "No such resource, or not yours",
        409: "Conflicts with the current state",
        422: "Invalid input; the message lists what is allowed",
        429: "Rate limit exceeded; see Retry-After",
    }
    return {s: {"model": ErrorBody, "description": text[s]} for s in sorted({*statuses, 422})}
