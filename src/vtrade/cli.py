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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from vtrade import bootstrap, views
from vtrade.app.identity import KeyInfo, User
from vtrade.core.clock import (
    NS_PER_DAY,
    Clock,
    LiveClock,
    SimulatedClock,
    iso,
    parse_instant,
    to_ns,
)
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


users_app = typer.Typer(no_args_is_help=True, help="Create and list users.")
keys_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API key pairs.")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")


@contextmanager
def _identity() -> Iterator[bootstrap.Container]:
    """The application on the configured database (VTRADE_DATABASE_URL), migrated."""
    c = bootstrap.build(Settings())
    try:
        c.trading.start()
        yield c
    finally:
        c.store.close()


def _user_dict(user: User) -> dict[str, object]:
    created = iso(user.created_ns)
    return {"id": user.id, "name": user.name, "created_at": created, "disabled": user.disabled}


def _key_dict(key: KeyInfo, c: bootstrap.Container) -> dict[str, object]:
    """A key as printed: never its secret."""
    return {
        "key_id": key.key_id,
        "user_id": key.user_id,
        "account_id": key.account_id,
        "account_name": c.trading.account(key.account_id).name,
        "created_at": iso(key.created_ns),
        "last_used_at": None if key.last_used_ns is None else iso(key.last_used_ns),
        "revoked_at": None if key.revoked_ns is None else iso(key.revoked_ns),
    }


def _table(title: str, rows: Sequence[dict[str, object]], columns: Sequence[str]) -> Table:
    """A table of `columns` of `rows`; ids are never cut, instants are shown to the second."""
    table = Table(title=title)
    for column in columns:
        label = column.removesuffix("_at").removesuffix("_name").replace("_", " ")
        table.add_column(label, no_wrap=column.endswith("id"), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(c, row[c]) for c in columns))
    return table


def _cell(column: str, value: object) -> str:
    if value is None:
        return ""
    if column.endswith("_at") and isinstance(value, str):
        return value[:19].replace("T", " ") + "Z"
    return str(value)


@users_app.command("create")
@friendly_errors
def users_create(
    name: str = typer.Argument(..., help="3-32 characters from A-Z a-z 0-9 _ . -"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from one line of stdin"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a user with a password (asked twice, hidden, unless --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ValueError("--password-stdin: no password on the first line of stdin")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _identity() as c:
        user = c.identity.create_user(name, password)
    if as_json:
        _print_json(_user_dict(user))
    else:
        out.print(f"created user {user.name} (id {user.id})", markup=False, highlight=False)


@users_app.command("list")
@friendly_errors
def users_list(as_json: bool = JsonOption) -> None:
    """List the users, oldest first."""
    with _identity() as c:
        rows = [_user_dict(u) for u in c.identity.list_users()]
    if as_json:
        _print_json(rows)
    elif not rows:
        out.print("no users yet: create one with `vtrade users create NAME`", markup=False)
    else:
        out.print(_table("Users", rows, ("name", "id", "created_at", "disabled")))


@keys_app.command("create")
@friendly_errors
def keys_create(
    user: str = typer.Argument(..., help="User name"),
    account: str = typer.Option(
        "main", "--account", help="The user's account the key acts on (opened if new)"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create an API key pair for one account of USER; print the secret once."""
    with _identity() as c:
        key, secret = c.identity.create_key(user, account)
        row = _key_dict(key, c)
    warning = "store the secret now: it is not shown again"
    if as_json:
        _print_json({**row, "secret": secret, "warning": warning})
        return
    out.print(
        f"API key of {user} for account {row['account_name']} ({key.account_id})\n"
        f"  key id: {key.key_id}\n  secret: {secret}\n{warning}",
        markup=False,
        highlight=False,
    )


@keys_app.command("list")
@friendly_errors
def keys_list(
    user: str = typer.Argument(..., help="User name"), as_json: bool = JsonOption
) -> None:
    """List USER's API keys, revoked ones included (never their secrets)."""
    with _identity() as c:
        rows = [_key_dict(k, c) for k in c.identity.list_keys(user)]
    if as_json:
        _print_json(rows)
    elif not rows:
        out.print(f"{user} has no API keys", markup=False, highlight=False)
    else:
        columns = ("key_id", "account_name", "created_at", "last_used_at", "revoked_at")
        out.print(_table(f"API keys of {user}", rows, columns))


@keys_app.command("revoke")
@friendly_errors
def keys_revoke(key_id: str = typer.Argument(..., help="Key id, e.g. PK…")) -> None:
    """Revoke an API key: it stops working at once (a running server: within a minute)."""
    with _identity() as c:
        key = c.identity.revoke_key(key_id)
    out.print(f"revoked API key {key.key_id} at {iso(key.revoked_ns or 0)}", markup=False)


@app.command()
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
    settings = _with(Settings(), database_url=database_url, redis_url=redis_url, seed=seed)
    clock: Clock = LiveClock()
    if start is not None or speed is not None:
        begin = to_ns(parse_instant(start)) if start is not None else clock.now_ns()
        clock = SimulatedClock(begin, speed if speed is not None else 1.0)
    container = bootstrap.build(settings, clock, relay_on_commit=False)
    api = settings.api
    run_server(container, host or api.host, api.port if port is None else port, log_level)


def _with(
    settings: Settings, *, database_url: str | None, redis_url: str | None, seed: int | None
) -> Settings:
    """Settings with the flags that were given applied over the environment's."""
    update: dict[str, Any] = {}
    if database_url is not None:
        update["database_url"] = database_url
    if redis_url is not None:
        update["redis_url"] = redis_url
    if seed is not None:
        update["market"] = MarketSettings(**{**settings.market.model_dump(), "seed": seed})
    return settings.model_copy(update=update)


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
