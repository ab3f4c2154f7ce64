"""Shared fixtures: real services for integration tests.

A service that does not answer skips its tests with a clear reason, so a newcomer's laptop
still passes; with `VTRADE_REQUIRE_SERVICES=1` (as `.ci/run` sets) it fails them instead.
"""

from __future__ import annotations

import itertools
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def _services_required() -> bool:
    return os.environ.get("VTRADE_REQUIRE_SERVICES", "").strip() not in ("", "0", "false", "no")


def _unavailable(service: str, url: str, why: str) -> NoReturn:
    message = (
        f"{service} is not reachable at {url} ({why}); start it (see ../shared/SERVICES.md) "
        f"or point the VTRADE_TEST_{service.upper()}_URL environment variable at one"
    )
    if _services_required():
        pytest.fail(f"VTRADE_REQUIRE_SERVICES=1 and {message}", pytrace=False)
    pytest.skip(message)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """Return the URL of the test PostgreSQL server, after checking that it answers."""
    url = os.environ.get("VTRADE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a dependency
        _unavailable("postgres", _redact(url), f"psycopg is not installed: {exc}")
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(conninfo, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        _unavailable("postgres", _redact(url), f"{type(exc).__name__}: {exc}".strip())
    return url


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Return a factory of fresh, empty schemas, each as a URL whose search_path points at it.

    Every schema is named `t_<random>` and dropped (with its contents) after the test, so
    runs and tests never see each other's data.
    """
    import psycopg
    from sqlalchemy import make_url

    conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    created: list[str] = []

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        created.append(name)
        url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={name}"})
        return url.render_as_string(hide_password=False)

    yield make
    if created:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(scope="session")
def redis_url() -> str:
    """Return the URL of the test Redis server, after a raw-socket PING (no client needed)."""
    url = os.environ.get("VTRADE_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            sock.settimeout(1.0)
            if parts.password:
                user = parts.username or "default"
                auth = f"AUTH {user} {parts.password}\r\n"
                sock.sendall(auth.encode())
                sock.recv(64)
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        _unavailable("redis", _redact(url), f"{type(exc).__name__}: {exc}")
    if not reply.startswith(b"+PONG"):
        _unavailable("redis", _redact(url), f"PING answered {reply!r}")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Factory of fresh, empty databases as URLs: SQLite files, or PostgreSQL schemas.

    Tests that use it run once per backend: the same suite on both.
    """
    if request.param == "sqlite":
        counter = itertools.count()
        return lambda: f"sqlite:///{tmp_path / f'vtrade-{next(counter)}.db'}"
    factory: Callable[[], str] = request.getfixturevalue("postgres_schema")
    return factory
