"""Trading without an account: `estimate` an order, or watch a scripted `demo` session."""

from __future__ import annotations

from decimal import Decimal

import typer

from vtrade.cli.common import (
    AtOption,
    JsonOption,
    SeedOption,
    build_container,
    choice,
    friendly_errors,
    instant_ns,
    out,
    print_json,
    within,
)
from vtrade.core.clock import NS_PER_MINUTE, parse_instant, to_ns
from vtrade.core.money import to_decimal
from vtrade.domain.accounts import Profile
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType, TimeInForce


@friendly_errors
def estimate(
    symbol: str = typer.Argument(..., help="Instrument symbol"),
    side: str = typer.Argument(..., help="buy or sell"),
    qty: str = typer.Argument(..., help="Quantity (a multiple of the instrument's lot)"),
    order_type: str = typer.Option("market", "--type", help="market or limit"),
    limit_price: str | None = typer.Option(None, "--limit-price", help="Limit price"),
    tif: str = typer.Option("day", "--tif", help="day, gtc, ioc, fok, opg or cls"),
    extended_hours: bool = typer.Option(
        False, "--extended-hours", help="a day limit order in US pre/post-market"
    ),
    at: str | None = AtOption,
    profile: str = typer.Option("realistic", "--profile", help="frictionless, realistic, harsh"),
    seed: int | None = SeedOption,
    as_json: bool = JsonOption,
) -> None:
    """Estimate what an order would cost and how it would fill, without trading."""
    from vtrade.execution.estimate import estimate as run_estimate
    from vtrade.execution.validation import check_lots, check_tick

    parsed_side = choice(side, Side, "side")
    parsed_type = choice(order_type, OrderType, "--type")
    parsed_tif = choice(tif, TimeInForce, "--tif")
    if parsed_type not in (OrderType.MARKET, OrderType.LIMIT):
        raise ValueError("--type must be market or limit")
    if (parsed_type is OrderType.LIMIT) != (limit_price is not None):
        raise ValueError("--limit-price goes with --type limit (and only with it)")
    c = build_container(seed)
    inst = c.catalog.get(symbol)
    amount = to_decimal(qty, "quantity")
    check_lots(amount, inst)
    amount = Decimal(format(amount.normalize(), "f"))  # 1e3 is 1000, shown as such
    price = to_decimal(limit_price, "--limit-price") if limit_price is not None else None
    if price is not None:
        check_tick(price, inst, "--limit-price")
    result = run_estimate(
        c.engine,
        inst.symbol,
        parsed_side,
        amount,
        instant_ns(at, c.clock, sessions=c.sessions),
        order_type=parsed_type,
        limit_price=price,
        profile=Profile.parse(profile),
        tif=parsed_tif,
        extended_hours=extended_hours,
    )
    from vtrade import views_trade

    if as_json:
        print_json(views_trade.estimate_dict(result))
    else:
        views_trade.print_estimate(out, result)


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
    start_ns, sessions = to_ns(parse_instant(start)), scenario.sessions()
    within(start_ns, sessions, f"--start {start}")
    within(
        start_ns + minutes * NS_PER_MINUTE, sessions, f"--start {start} plus --minutes {minutes}"
    )
    scenario.check_start(start_ns, sessions, f"--start {start}")
    result = scenario.run(start_ns, minutes, 42 if seed is None else seed)
    if as_json:
        print_json(views_trade.demo_dict(result))
    else:
        views_trade.print_demo(out, result)
