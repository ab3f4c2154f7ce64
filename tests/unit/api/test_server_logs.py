"""The server's JSON log lines never carry a credential, at any level: uvicorn's websockets
protocol logs every request header and frame at debug level, secrets included."""

from __future__ import annotations

import logging

import orjson
import pytest

from vtrade.api.server import JsonLines

SECRETS = ("SUPERSECRET123", "COOKIESECRET456", "FRAMESECRET789", "PASSWORD000", "CSRF111")


def line(message: str, *args: object, **extra: object) -> str:
    record = logging.LogRecord("uvicorn.error", logging.DEBUG, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return JsonLines().format(record)


@pytest.mark.parametrize(
    "message",
    [
        "< apca-api-secret-key: SUPERSECRET123",  # as uvicorn's websockets protocol logs them
        "< APCA-API-SECRET-KEY: SUPERSECRET123",
        "< cookie: vtrade_session=COOKIESECRET456; other=1",
        "> set-cookie: vtrade_session=COOKIESECRET456; HttpOnly; Path=/",
        "< authorization: Bearer SUPERSECRET123",
        "< x-csrf-token: CSRF111",
        """< TEXT '{"action": "auth", "key": "PK1", "secret": "FRAMESECRET789"}' [68 bytes]""",
        """< TEXT '{"action":"auth","key":"PK1","secret":"FRAMESECRET789"}' [60 bytes]""",
        """< TEXT '{"action": "auth", "key": "PK1", "secret": "FRAMESECRET7...' [900 bytes]""",
        """body {'username': 'ann', 'password': 'PASSWORD000'}""",
        "GET /stream?key_id=PK1&secret=FRAMESECRET789&x=1",
        "APCA_API_SECRET_KEY=SUPERSECRET123",
    ],
)
def test_a_credential_in_a_log_message_is_redacted_and_its_name_kept(message: str) -> None:
    text = line(message)

    assert not any(s in text for s in SECRETS)
    assert "[redacted]" in orjson.loads(text)["message"]


def test_credentials_in_arguments_extras_and_tracebacks_are_redacted_too() -> None:
    try:
        raise ValueError("refused secret=FRAMESECRET789")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "vtrade.api",
            logging.ERROR,
            __file__,
            1,
            "< %s: %s",
            ("cookie", "s=COOKIESECRET456"),
            sys.exc_info(),
        )
    record.headers = "apca-api-secret-key: SUPERSECRET123"
    text = JsonLines().format(record)

    assert not any(s in text for s in SECRETS)
    entry = orjson.loads(text)
    assert entry["message"] == "< cookie: [redacted]"
    assert entry["headers"] == "apca-api-secret-key: [redacted]"


def test_what_is_not_a_credential_is_left_as_it_is() -> None:
    message = '> TEXT \'{"stream": "authorization", "data": {"status": "authorized"}}\' [71 bytes]'
    assert orjson.loads(line(message))["message"] == message
    assert orjson.loads(line("< apca-api-key-id: PK1"))["message"] == "< apca-api-key-id: PK1"


def test_an_error_the_app_logged_with_its_request_is_not_logged_again_by_the_server() -> None:
    """Starlette raises a route's unexpected error on to uvicorn after the app's handler has
    logged it and answered 500: each 5xx had been logged twice."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from vtrade.api import errors
    from vtrade.api.server import LoggedOnce

    raised = RuntimeError("boom")
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise raised

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500

    def record(error: BaseException) -> logging.LogRecord:
        info = (type(error), error, None)
        return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "x", None, info)

    assert not LoggedOnce().filter(record(raised))  # the server's second report
    assert LoggedOnce().filter(record(RuntimeError("never handled")))  # a websocket's, say
