"""The `vtrade` command line: thin translations from flags to queries, printed as tables or JSON.

Every command that prints data takes `--json`. Bad input gives a one-line error on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

import functools
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.live import Live

from vtrade import bootstrap, views
from vtrade.core.clock import NS_PER_DAY, Clock, LiveClock, SimulatedClock, parse_instant, to_ns
from vtrade.core.errors import VtradeError
from vtrade.core.money import to_decimal
from vtrade.domain.accounts import Profile
from vtrade.domain.market_data import Interval, Side
from vtrade.domain.orders import OrderType
from vtrade.settings import MarketSettings, Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
E = TypeVar("E", bound=Enum)

SeedOption = typer.Option(None, "--seed", help="Seed of the synthetic market (default 42)")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table")
ReplayOption = typer.Option(
    None, "--replay", help="Use your own OHLCV bars (.csv, .csv.gz, .parquet) instead"
)
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


def friendly_errors(command: F) -> F:
    """Turn expected errors into one line on stderr and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (VtradeError, ValueError) as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _container(seed: int | None, clock: Clock | None = None) -> bootstrap.Container:
    settings = Settings()
    if seed is not None:
        market = MarketSettings(**{**settings.market.model_dump(), "seed": seed})
        settings = Settings(market=market)
    return bootstrap.build(settings, clock)


def _instant(text: str | None, clock: Clock) -> int:
    return to_ns(parse_instant(text)) if text is not None else clock.now_ns()


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


@app.command()
@friendly_errors
def instruments(
    asset_class: str | None = typer.Option(None, "--asset-class", help="equity, etf, crypto, …"),
    venue: str | None = typer.Option(None, "--venue", help="MIC or code, e.g. XNAS, XLON, FX"),
    as_json: bool = JsonOption,
) -> None:
    """List the instrument universe."""
    c = _container(None)
    rows = c.catalog.filter(asset_class=asset_class, venue=venue)
    if as_json:
        _print_json([views.instrument_dict(i) for i in rows])
    else:
        out.print(views.instruments_table(rows))


@app.command()
@friendly_errors
def market(
    symbol: str = typer.Argument(..., help="Instrument symbol, e.g. AAPL, BTC-USD, EUR/USD"),
    at: str | None = typer.Option(None, "--at", help="ISO 8601 instant (default: now)"),
    depth: int = typer.Option(5, "--depth", help="Book levels per side (1-20)"),
    seed: int | None = SeedOption,
    replay: list[str] = ReplayOption,
    as_json: bool = JsonOption,
) -> None:
    """Show session phase, next open/close, quote and book of SYMBOL at an instant."""
    c = _container(seed)
    inst = c.catalog.get(symbol)
    t_ns = _instant(at, c.clock)
    state = c.sessions.for_instrument(inst).state(t_ns)
    books = bootstrap.build_replay(replay, c).books if replay else c.market.books
    book = books.book(inst.symbol, t_ns, depth)
    snapshot = views.market_dict(inst, t_ns, state, book)
    if as_json:
        _print_json(snapshot)
    else:
        views.print_market(out, snapshot)


@app.command()
@friendly_errors
def history(
    symbol: str = typer.Argument(..., help="Instrument symbol"),
    interval: str = typer.Option(..., "--interval", help="1m, 5m, 15m, 1h or 1d"),
    days: int | None = typer.Option(None, "--days", help="Calendar days back from --end/now"),
    start: str | None = typer.Option(None, "--start", help="First date/instant (ISO 8601)"),
    end: str | None = typer.Option(None, "--end", help="End date/instant, exclusive"),
    seed: int | None = SeedOption,
    replay: list[str] = ReplayOption,
    fmt: str = typer.Option("csv", "--format", help="csv or json"),
) -> None:
    """Print OHLCV bars of SYMBOL from the synthetic market (or your own, with --replay)."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown format {fmt!r}; allowed: csv, json")
    bar_interval = Interval.parse(interval)
    if (days is None) == (start is None):
        raise ValueError("give either --days N or --start D (with optional --end D)")
    c = _container(seed)
    if replay:
        feed = bootstrap.build_replay(replay, c).feed
        name = _replay_symbol(feed.symbols(), symbol)
        data_end = feed.last_ns(name) + feed.interval(name).ns  # --days counts back from here
        start_ns, end_ns = _range(days, start, end, data_end, c.clock)
        views.write_bars(sys.stdout, feed.bars(name, bar_interval, start_ns, end_ns), fmt)
        return
    inst = c.catalog.get(symbol)
    start_ns, end_ns = _range(days, start, end, c.clock.now_ns(), c.clock)
    for bound in (start_ns, end_ns - 1):
        c.sessions.for_instrument(inst).phase(bound)  # raises outside the supported range
    series = c.market.bars(inst.symbol, bar_interval, start_ns, end_ns)
    views.write_bars(sys.stdout, series, fmt, inst)


def _range(
    days: int | None, start: str | None, end: str | None, default_end: int, clock: Clock
) -> tuple[int, int]:
    """[start, end) from --days or --start, and --end (default `default_end`)."""
    end_ns = _instant(end, clock) if end is not None else default_end
    if days is not None:
        if days <= 0:
            raise ValueError(f"--days must be a positive number of days, got {days}")
        start_ns = end_ns - days * NS_PER_DAY
    else:
        start_ns = _instant(start, clock)
    if start_ns >= end_ns:
        raise ValueError("impossible range: --start must be before --end")
    return start_ns, end_ns


def _replay_symbol(symbols: Sequence[str], wanted: str) -> str:
    for name in symbols:
        if name.upper() == wanted.strip().upper():
            return name
    raise ValueError(f"symbol {wanted!r} is not in the replayed data; it has: {', '.join(symbols)}")


@app.command()
@friendly_errors
def watch(
    symbols: list[str] = typer.Argument(None, help="Symbols to watch (default: a mix)"),
    start: str | None = typer.Option(None, "--start", help="Simulated start instant (ISO 8601)"),
    speed: float = typer.Option(1.0, "--speed", help="Simulated seconds per real second"),
    duration: float | None = typer.Option(None, "--duration", help="Stop after N real seconds"),
    seed: int | None = SeedOption,
) -> None:
    """Show a live view of the synthetic market (Ctrl-C to stop)."""
    if not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"--speed must be a positive finite number, got {speed}")
    clock: Clock = LiveClock()
    if start or speed != 1.0:
        begin = to_ns(parse_instant(start)) if start else clock.now_ns()
        clock = SimulatedClock(begin, speed)
    c = _container(seed, clock)
    chosen = [c.catalog.get(s).symbol for s in (symbols or WATCHED)]
    began = time.monotonic()
    try:
        with Live(views.watch_table(c, chosen), console=out, refresh_per_second=4) as live:
            while duration is None or time.monotonic() - began < duration:
                time.sleep(0.25)
                live.update(views.watch_table(c, chosen))
    except KeyboardInterrupt:
        pass


@app.command()
@friendly_errors
def estimate(
    symbol: str = typer.Argument(..., help="Instrument symbol"),
    side: str = typer.Argument(..., help="buy or sell"),
    qty: str = typer.Argument(..., help="Quantity (a multiple of the instrument's lot)"),
    order_type: str = typer.Option("market", "--type", help="market or limit"),
    limit_price: str | None = typer.Option(None, "--limit-price", help="Limit price"),
    at: str | None = typer.Option(None, "--at", help="ISO 8601 instant (default: now)"),
    profile: str = typer.Option("realistic", "--profile", help="frictionless, realistic, harsh"),
    seed: int | None = SeedOption,
    as_json: bool = JsonOption,
) -> None:
    """Estimate what an order would cost and how it would fill, without trading."""
    from vtrade import views_trade
    from vtrade.execution.estimate import estimate as run_estimate

    parsed_side = _choice(side, Side, "side")
    parsed_type = _choice(order_type, OrderType, "--type")
    if parsed_type not in (OrderType.MARKET, OrderType.LIMIT):
        raise ValueError("--type must be market or limit")
    if (parsed_type is OrderType.LIMIT) != (limit_price is not None):
        raise ValueError("--limit-price goes with --type limit (and only with it)")
    c = _container(seed)
    inst = c.catalog.get(symbol)
    amount = to_decimal(qty, "quantity")
    if amount <= 0 or amount % inst.lot_size:
        raise ValueError(
            f"quantity must be a positive multiple of the lot size {inst.lot_size}, got {qty}"
        )
    price = to_decimal(limit_price, "--limit-price") if limit_price is not None else None
    result = run_estimate(
        c.engine,
        inst.symbol,
        parsed_side,
        amount,
        _instant(at, c.clock),
        order_type=parsed_type,
        limit_price=price,
        profile=Profile.parse(profile),
    )
    if as_json:
        _print_json(views_trade.estimate_dict(result))
    else:
        views_trade.print_estimate(out, result)


@app.command()
@friendly_errors
def demo(
    start: str = typer.Option(
        "2026-11-18T14:45:00Z", "--start", help="Simulated start (ISO 8601), in a US session"
    ),
    minutes: int = typer.Option(10, "--minutes", help="Simulated minutes to run (1-240)"),
    seed: int | None = SeedOption,
    as_json: bool = JsonOption,
) -> None:
    """Run a short accelerated session with scripted traders and show fills and receipts."""
    from vtrade import demo as scenario
    from vtrade import views_trade

    if not 1 <= minutes <= 240:
        raise ValueError(f"--minutes must be 1..240, got {minutes}")
    result = scenario.run(to_ns(parse_instant(start)), minutes, 42 if seed is None else seed)
    if as_json:
        _print_json(views_trade.demo_dict(result))
    else:
        views_trade.print_demo(out, result)


def _choice(text: str, enum: type[E], what: str) -> E:
    try:
        return enum(text.strip().lower())
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        raise ValueError(f"unknown {what} {text!r}; allowed: {allowed}") from None


@app.command()
@friendly_errors
def portfolio(
    account: str | None = typer.Argument(None, help="Account id (default: the NAV ranking)"),
    at: str | None = typer.Option(None, "--at", help="Value at this instant (ISO 8601)"),
    window: str = typer.Option("30d", "--window", help="Equity curve window: 1d, 7d, 30d, 1y"),
    top: int = typer.Option(20, "--top", help="Accounts in the ranking (1-1000)"),
    as_json: bool = JsonOption,
) -> None:
    """Value the accounts in the database at current prices: one account's report, or the
    ranking of all accounts by NAV."""
    from vtrade import views_portfolio

    if not 1 <= top <= 1000:
        raise ValueError(f"--top must be 1..1000, got {top}")
    clock: Clock = SimulatedClock(to_ns(parse_instant(at))) if at else LiveClock()
    c = bootstrap.build(Settings(), clock)
    c.start()
    c.portfolio.publish(clock.now_ns(), force=True)
    if account is not None:
        report = c.queries.report(account, window)
        if as_json:
            _print_json(views_portfolio.report_dict(report))
        else:
            views_portfolio.print_report(out, account, report)
        return
    ranking = c.queries.leaderboard(top)
    if as_json:
        _print_json([{"account_id": a, "nav": str(nav)} for a, nav in ranking])
    elif not ranking:
        out.print("no accounts in the database yet")
    else:
        reports = {a: c.queries.report(a, window) for a, _ in ranking}
        out.print(views_portfolio.summary_table(reports, title="Accounts by NAV"))


@app.command()
@friendly_errors
def bench(
    name: str = typer.Argument(..., help="Benchmark name, e.g. market"),
    size: str = typer.Option("full", "--size", help="smoke (CI) or full"),
    output: str | None = typer.Option(None, "--out", help="Where to write the JSON results"),
) -> None:
    """Run a benchmark from benchmarks/, print its table and write JSON results."""
    from benchmarks import runner

    runner.run(name, size, output, out)


def main() -> None:
    """Entry point of the `vtrade` script."""
    app()
