"""WebSocket frames as websockets logs them at debug level (`< %s` of a `Frame`): one logged
only in part (a long one elided in its middle, a binary one as hex, a fragmented one in
pieces) can show the end of a secret with no field name before it, so it shows only its
kind and size. And what loggers the server does not name log is redacted alike."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import orjson
import pytest
from websockets.frames import Frame, Opcode

from vtrade.api.server import JsonLines

KEY_ID = "PKVTRADE0123456789AB"  # as long as Alpaca's: 20 characters
SECRET = "q8ZkR2mW5xN7vB3cY6tH1jL4pF9sD0gA2eU8iO5r"  # and 40


def logged(frame: Frame, direction: str = "<") -> str:
    """The `message` of the JSON line of a frame logged as uvicorn's websockets protocol does."""
    record = logging.LogRecord(
        "uvicorn.error", logging.DEBUG, __file__, 1, f"{direction} %s", (frame,), None
    )
    return str(orjson.loads(JsonLines().format(record))["message"])


def text_frame(message: dict[str, object]) -> Frame:
    return Frame(Opcode.TEXT, json.dumps(message).encode())


def msgpack_auth() -> bytes:
    """alpaca-py's data stream authenticates with msgpack: {"action", "key", "secret"}."""
    fields = (("action", "auth"), ("key", KEY_ID), ("secret", SECRET))
    packed = b"\x83"  # a map of 3
    for name, value in fields:
        for text in (name, value):
            packed += bytes([0xA0 | len(text)]) + text.encode()  # a fixstr
    return packed


def secret_shown(message: str) -> bool:
    """Whether any 6 characters of the secret show, or its bytes as hex."""
    parts = {SECRET[i : i + 6] for i in range(len(SECRET) - 5)}
    hex_parts = {" ".join(f"{b:02x}" for b in part.encode()) for part in parts}
    return any(p in message for p in parts | hex_parts)


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(
            text_frame({"action": "auth", "key_id": KEY_ID, "secret": SECRET}), id="native auth"
        ),
        pytest.param(
            text_frame({"action": "auth", "key": KEY_ID, "secret": SECRET}), id="alpaca data auth"
        ),
        pytest.param(
            text_frame(
                {"action": "authenticate", "data": {"key_id": KEY_ID, "secret_key": SECRET}}
            ),
            id="alpaca trading auth",
        ),
        pytest.param(Frame(Opcode.BINARY, msgpack_auth()), id="alpaca-py msgpack auth"),
    ],
)
def test_an_auth_frame_logged_in_part_shows_no_part_of_its_secret(frame: Frame) -> None:
    assert secret_shown(f"< {frame}")  # what websockets logs: the secret's end, unnamed

    message = logged(frame)

    assert not secret_shown(message)
    assert message.startswith(f"< {frame.opcode.name} [redacted] [")
    assert message.endswith(f"{len(frame.data)} bytes]")


def test_a_fragmented_auth_message_shows_no_part_of_its_secret() -> None:
    data = json.dumps({"action": "auth", "key_id": "PK1", "secret": SECRET}).encode()
    first = Frame(Opcode.TEXT, data[:40], fin=False)  # the secret's start
    rest = Frame(Opcode.CONT, data[40:])  # its end, after no name

    assert not secret_shown(logged(first)) and not secret_shown(logged(rest))


def test_a_quoted_secret_is_redacted_to_its_closing_quote() -> None:
    frame = text_frame({"action": "auth", "key_id": "PK1", "secret": "my old pass"})

    assert logged(frame) == (
        """< TEXT '{"action": "auth", "key_id": "PK1", "secret": "[redacted]"}' [60 bytes]"""
    )


def test_a_short_frame_and_the_servers_own_long_frames_are_logged_as_they_are() -> None:
    subscribe = text_frame({"action": "subscribe", "trades": ["AAPL"]})
    bars = text_frame(
        {"T": "b", "S": "AAPL", "o": 190.1, "h": 190.5, "l": 189.9, "c": 190.2, "v": 1200}
    )

    assert logged(subscribe) == f"< {subscribe}"
    assert logged(bars, ">") == f"> {bars}"  # elided, but the server sends no secrets


def test_other_libraries_warnings_go_out_as_redacted_json_lines_and_their_info_not() -> None:
    """Loggers the server does not name (asyncio's, say) had reached stderr as plain text,
    unredacted; their info (SQLAlchemy's, every statement) stays out even at debug."""
    code = (
        "import logging, logging.config\n"
        "from vtrade.api.server import logging_config\n"
        "logging.config.dictConfig(logging_config('debug'))\n"
        "logging.getLogger('asyncio').warning('< cookie: vtrade_session=%s', 'COOKIESECRET')\n"
        "logging.getLogger('sqlalchemy.engine.Engine').info('SELECT 1')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    (line,) = done.stderr.splitlines()
    entry = orjson.loads(line)
    assert (entry["logger"], entry["level"]) == ("asyncio", "warning")
    assert entry["message"] == "< cookie: [redacted]"
