"""Run the app on uvicorn with structured (JSON lines) logs and a graceful shutdown."""

from __future__ import annotations

import logging
import logging.config
import re
import socket
import time
from typing import Any

import orjson
import uvicorn

from vtrade.api.app import create_app
from vtrade.api.errors import LOGGED
from vtrade.bootstrap import Container
from vtrade.core.errors import ConflictError

log = logging.getLogger("vtrade.api")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "color_message",
}


# Credentials a log could carry at debug level: request headers (uvicorn's websockets protocol
# logs every one) and the fields of auth frames and bodies. Values go, names stay.
_SECRET_HEADER = re.compile(
    r"(?i)\b(apca-api-secret-key|authorization|proxy-authorization|cookie|set-cookie"
    r"|x-csrf-token)(\s*:\s*)[^\r\n]+"
)
_SECRET_FIELD = re.compile(
    r"""(?i)(["']?[\w-]*(?:secret|password|csrf)[\w-]*["']?\s*[:=]\s*["']?)"""
    r"""((?<=")[^"\r\n]*|(?<=')[^'\r\n]*|[^"'\s,}&]*)"""  # a quoted value to its quote
)
# websockets logs a client's frame as `< TEXT '{"action": "auth", ...}' [103 bytes]`, but a
# long one with its middle elided, a binary one (msgpack, as alpaca-py's data stream sends) as
# hex, and a fragmented one in parts: the end of a secret then shows with no name before it
_CLIENT_FRAME = re.compile(
    r"< (?P<kind>TEXT|BINARY|CONT) (?P<shown>.*) \[(?P<about>[^\]]*)\]", re.S
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with the values of credential headers and fields replaced by `REDACTED`, and
    the whole of a client's WebSocket frame that is logged in part."""
    frame = _CLIENT_FRAME.fullmatch(text)
    if frame is not None and not _shown_whole(frame):
        return f"< {frame['kind']} {REDACTED} [{frame['about']}]"
    text = _SECRET_HEADER.sub(rf"\1\2{REDACTED}", text)
    return _SECRET_FIELD.sub(rf"\1{REDACTED}", text)


def _shown_whole(frame: re.Match[str]) -> bool:
    """Whether a logged frame shows its message whole and as text (a quoted string)."""
    shown = frame["shown"]
    return (
        shown[:1] in ("'", '"')
        and "..." not in shown  # where websockets elided the middle
        and frame["kind"] != "CONT"
        and "continued" not in frame["about"]
    )


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra` fields, with
    credentials redacted (`redact`) from the text of each."""

    converter = time.gmtime  # type: ignore[assignment]  # timestamps in UTC, marked Z

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


class LoggedOnce(logging.Filter):
    """Drop the server's report of an error the app already logged with its request."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not getattr(error, LOGGED, False)


def logging_config(level: str) -> dict[str, Any]:
    """Send vtrade's and uvicorn's logs to stderr as JSON lines, and other libraries'
    warnings and errors too (redacted alike: they had gone out as plain, unredacted text)."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "stream": "ext://sys.stderr",
        "filters": ["logged_once"],
    }
    loggers = ("vtrade", "uvicorn", "uvicorn.error", "uvicorn.access")
    number = logging.getLevelNamesMapping()[level.upper()]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines}},
        "filters": {"logged_once": {"()": LoggedOnce}},
        "handlers": {"stderr": handler},
        "loggers": {
            name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
            for name in loggers
        },
        # not below warning: SQLAlchemy, say, logs every statement at info
        "root": {"handlers": ["stderr"], "level": max(logging.WARNING, number)},
    }


KEEP_ALIVE_S = 75  # an idle connection's life, as nginx's default; longer than a bot's poll


def serve(container: Container, host: str, port: int, log_level: str = "info") -> None:
    """Serve until SIGINT/SIGTERM; in-flight requests finish and orders commit first."""
    logging.config.dictConfig(logging_config(log_level))  # the start's catch-up logs, too
    # the port first: a start takes the database's market from any server on it, and one that
    # then found its port taken had left the market to nobody
    sock = listening_socket(host, port)
    try:
        container.start()  # a refused start is the command's error, not a trace
    except BaseException:
        sock.close()
        raise
    config = uvicorn.Config(
        create_app(container, started=True),
        host=host,
        port=port,
        log_config=logging_config(log_level),
        access_log=False,  # per-request figures go to /metrics; logs stay readable at load
        timeout_graceful_shutdown=15,
        # a bot polling every few seconds reuses its connection; uvicorn's 5 s default closed
        # it under such a bot, whose next request then failed with a connection reset (alpaca-py
        # retries only 429 and 504, and a POST cannot tell whether its order was placed)
        timeout_keep_alive=KEEP_ALIVE_S,
        server_header=False,
        # a stream client's frames are compressed on the event loop: without it a `*` client
        # of the market-data streams costs less CPU and five times the bytes
        ws_per_message_deflate=container.settings.api.ws_compression,
    )
    listen(sock, config.backlog)
    uvicorn.Server(config).run(sockets=[sock])


def listen(sock: socket.socket, backlog: int) -> None:
    """Listen on `sock` and log where: "listening on http://host:port" (the port chosen, for
    --port 0). It listens now, not once uvicorn has started: a client that connected on
    reading the line had been refused for the first 0.2 s."""
    sock.listen(backlog)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address, as a URL writes it
    log.info("listening on http://%s:%d", shown, port, extra={"host": host, "port": port})


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port), as uvicorn binds one, or the error of a taken port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConflictError(
            f"cannot listen on {host}:{port} ({exc.strerror}): another server may be running "
            "there; choose another --port. Nothing was started"
        ) from None
    sock.set_inheritable(True)
    return sock
