"""Schema-based fuzzing of every HTTP operation (native and Alpaca) with schemathesis: no
input, however malformed, makes the server answer 5xx, and the responses it documents match
their schemas. Requests carry a valid key, so they reach the handlers, not just the auth."""

from __future__ import annotations

import pytest
import schemathesis
from api_support import InProcess, Key
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.schemas import BaseSchema

EXAMPLES = 12  # per operation; enough to hit the validators of every field in CI time


@pytest.fixture
def api_schema(api: InProcess) -> BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", api.app)


@pytest.fixture
def key(api: InProcess) -> Key:
    return api.key("fuzzer")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_the_server_fail(case: Case, key: Key) -> None:
    case.call_and_validate(
        headers=key.headers, checks=[not_a_server_error, response_schema_conformance]
    )
