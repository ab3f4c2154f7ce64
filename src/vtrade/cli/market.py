"""Market data commands: `instruments`, `market`, `history` (also of replayed bars), `watch`."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import typer
from rich.live import Live

from vtrade import bootstrap, views
from vtrade.cli.common import (
    AtOption,
    JsonOption,
    ReplayOption,
    SeedOption,
    build_container,
    check_speed,
    friendly_errors,
    instant_ns,
    out,
    print_json,
    within,
)
from vtrade.core.clock import (
    NS_PER_DAY,
    Clock,
    LiveClock,
    SimulatedClock,
    iso,
    parse_instant,
    to_ns,
)
from vtrade.domain.market_data import Interval

WATCHED = (
    "AAPL",
    "MSFT",
    "NVDA",
    "TSLA",
    "SPY",
    "VOD.L",
    "BTC-USD",
    "ETH-USD",
    "EUR/USD",
    "USD/JPY",
    "GC",
    "CL",
    "SPX",
)


@friendly_errors
def instruments(
    asset_class: str | None = typer.Option(None, "--asset-class", help="equity, etf, crypto, …"),
    venue: str | None = typer.Option(None, "--venue", help="MIC or code, e.g. XNAS, XLON, FX"),
    as_json: bool = JsonOption,
) -> None:
    """List the instrument universe."""
    c = build_container(None)
    rows = c.catalog.filter(asset_class=asset_class, venue=venue)
    if as_json:
        print_json([views.instrument_dict(i) for i in rows])
    else:
        out.print(views.instruments_table(rows))


@friendly_errors
def market(
    symbol: str = typer.Argument(..., help="Instrument symbol, e.g. AAPL, BTC-USD, EUR/USD"),
    at: str | None = AtOption,
    depth: int = typer.Option(5, "--depth", help="Book levels per side (1-20)"),
    seed: int | None = SeedOption,
    replay: list[str] = ReplayOption,
    as_json: bool = JsonOption,
) -> None:
    """Show session phase, next open/close, quote and book of SYMBOL at an instant."""
    c = build_container(seed)
    inst = c.catalog.get(symbol)
    t_ns = instant_ns(at, c.clock, sessions=c.sessions)
    calendar = c.sessions.for_instrument(inst)
    state = calendar.state(t_ns)
    books = bootstrap.build_replay(replay, c).books if replay else c.market.books
    book = books.book(inst.symbol, t_ns, depth)
    snapshot = views.market_dict(inst, t_ns, state, calendar.next_boundary("close", t_ns), book)
    if as_json:
        print_json(snapshot)
    else:
        views.print_market(out, snapshot)


@friendly_errors
def history(
    symbol: str = typer.Argument(..., help="Instrument symbol"),
    interval: str = typer.Option(..., "--interval", help="1m, 5m, 15m, 1h or 1d"),
    days: int | None = typer.Option(None, "--days", help="Calendar days back from --end/now"),
    start: str | None = typer.Option(None, "--start", help="First date/instant (ISO 8601)"),
    end: str | None = typer.Option(None, "--end", help="End date/instant, exclusive"),
    seed: int | None = SeedOption,
    replay: list[str] = ReplayOption,
    fmt: str | None = typer.Option(None, "--format", help="csv (default) or json"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (as --format json does)"),
) -> None:
    """Print OHLCV bars of SYMBOL from the synthetic market (or your own, with --replay)."""
    fmt = _format(fmt, as_json)
    bar_interval = Interval.parse(interval)
    if (days is None) == (start is None):
        raise ValueError("give either --days N or --start D (with optional --end D)")
    c = build_container(seed)
    if replay:
        feed = bootstrap.build_replay(replay, c).feed
        name = _replay_symbol(feed.symbols(), symbol)
        data_end = feed.last_ns(name) + feed.interval(name).ns  # --days counts back from here
        start_ns, end_ns = _range(days, start, end, data_end, c.clock)
        views.write_bars(sys.stdout, feed.bars(name, bar_interval, start_ns, end_ns), fmt)
        return
    inst = c.catalog.get(symbol)
    start_ns, end_ns = _range(days, start, end, c.clock.now_ns(), c.clock)
    first = f"--start {start}" if start else f"--days {days} (starting {iso(start_ns)})"
    within(start_ns, c.sessions, first)
    within(end_ns - 1, c.sessions, f"--end {end}" if end else "now")
    series = c.market.bars(inst.symbol, bar_interval, start_ns, end_ns)
    views.write_bars(sys.stdout, series, fmt, inst)


def _format(fmt: str | None, as_json: bool) -> str:
    """The output format of `--format` and `--json` (the same as `--format json`)."""
    if fmt is not None and fmt not in ("csv", "json"):
        raise ValueError(f"unknown format {fmt!r}; allowed: csv, json")
    if as_json and fmt == "csv":
        raise ValueError("--json and --format csv contradict each other; give one of them")
    return "json" if as_json else fmt or "csv"


def _range(
    days: int | None, start: str | None, end: str | None, default_end: int, clock: Clock
) -> tuple[int, int]:
    """[start, end) from --days or --start, and --end (default `default_end`)."""
    end_ns = instant_ns(end, clock) if end is not None else default_end
    if days is not None:
        if days <= 0:
            raise ValueError(f"--days must be a positive number of days, got {days}")
        start_ns = end_ns - days * NS_PER_DAY
    else:
        start_ns = instant_ns(start, clock)
    if start_ns >= end_ns:
        raise ValueError("impossible range: --start must be before --end")
    return start_ns, end_ns


def _replay_symbol(symbols: Sequence[str], wanted: str) -> str:
    for name in symbols:
        if name.upper() == wanted.strip().upper():
            return name
    raise ValueError(f"symbol {wanted!r} is not in the replayed data; it has: {', '.join(symbols)}")


@friendly_errors
def watch(
    symbols: list[str] = typer.Argument(None, help="Symbols to watch (default: a mix)"),
    start: str | None = typer.Option(None, "--start", help="Simulated start instant (ISO 8601)"),
    speed: float = typer.Option(1.0, "--speed", help="Simulated seconds per real second"),
    duration: float | None = typer.Option(None, "--duration", help="Stop after N real seconds"),
    seed: int | None = SeedOption,
) -> None:
    """Show a live view of the synthetic market (Ctrl-C to stop)."""
    check_speed(speed)
    clock: Clock = LiveClock()
    if start or speed != 1.0:
        begin = to_ns(parse_instant(start)) if start else clock.now_ns()
        clock = SimulatedClock(begin, speed)
    c = build_container(seed, clock)
    within(clock.now_ns(), c.sessions, f"--start {start}" if start else "now")
    chosen = [c.catalog.get(s).symbol for s in (symbols or WATCHED)]
    began = time.monotonic()
    try:
        with Live(views.watch_table(c, chosen), console=out, refresh_per_second=4) as live:
            while duration is None or time.monotonic() - began < duration:
                time.sleep(0.25)
                live.update(views.watch_table(c, chosen))
    except KeyboardInterrupt:
        pass
