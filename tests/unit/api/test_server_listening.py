"""`vtrade serve` logs "listening on http://host:port" when a client can connect: the line
had come before uvicorn listened, and a client that connected on reading it was refused."""

from __future__ import annotations

import logging
import socket

import pytest

from vtrade.api.server import listen, listening_socket


def test_a_client_that_read_the_listening_line_can_connect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sock = listening_socket("127.0.0.1", 0)  # the port is chosen, as with --port 0
    try:
        with caplog.at_level(logging.INFO, logger="vtrade.api"):
            listen(sock, backlog=8)
        (record,) = [r for r in caplog.records if r.getMessage().startswith("listening on")]
        port = sock.getsockname()[1]

        assert record.getMessage() == f"listening on http://127.0.0.1:{port}"
        socket.create_connection(("127.0.0.1", port), timeout=2).close()  # not refused
    finally:
        sock.close()
