"""`serve`: run the HTTP and WebSocket server."""

from __future__ import annotations

import typer

from vtrade import bootstrap
from vtrade.cli.common import SeedOption, check_speed, friendly_errors, settings, within
from vtrade.core.clock import (
    Clock,
    LiveClock,
    SimulatedClock,
    iso,
    parse_instant,
    to_ns,
)


@friendly_errors
def serve(
    host: str | None = typer.Option(None, "--host", help="Interface to listen on (127.0.0.1)"),
    port: int | None = typer.Option(None, "--port", help="Port to listen on (8000)"),
    database_url: str | None = typer.Option(None, "--database-url", help="SQLAlchemy URL"),
    redis_url: str | None = typer.Option(None, "--redis-url", help="Redis for hot state"),
    start: str | None = typer.Option(
        None, "--start", help="Run a simulated clock from this ISO 8601 instant"
    ),
    speed: float | None = typer.Option(
        None, "--speed", help="Simulated seconds per real second (with or without --start)"
    ),
    seed: int | None = SeedOption,
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error"),
) -> None:
    """Serve the native API, the Alpaca-compatible API and WebSockets (Ctrl-C stops)."""
    from vtrade.api.server import serve as run_server

    if log_level.lower() not in ("debug", "info", "warning", "error"):
        raise ValueError(f"unknown log level {log_level!r}; use debug, info, warning or error")
    if port is not None and not 0 <= port <= 65_535:
        raise ValueError(f"--port must be 0 to 65535 (0: any free port), got {port}")
    check_speed(speed)
    chosen = settings(seed=seed, database_url=database_url, redis_url=redis_url)
    clock: Clock = LiveClock()
    begin = to_ns(parse_instant(start)) if start is not None else clock.now_ns()
    if start is not None or speed is not None:
        clock = SimulatedClock(begin, speed if speed is not None else 1.0)
    container = bootstrap.build(chosen, clock, relay_on_commit=False)
    # a clock outside the market's days had started a server that said ready and answered 500.
    # The instant asked for, not the clock's now: a fast clock runs on while the market is
    # built, and a start a few hours before the last day had been refused as after it
    within(begin, container.sessions, f"--start {start}" if start else "now")
    if start is None and isinstance(clock, SimulatedClock):
        # a faster clock from now: an earlier fast run may have taken the market past now
        container.store.migrate()
        worked = container.store.worked_ns()
        if worked > clock.now_ns():
            within(worked, container.sessions, f"the market's stored time {iso(worked)}")
            clock.set(worked)
    api = chosen.api
    run_server(container, host or api.host, api.port if port is None else port, log_level)
