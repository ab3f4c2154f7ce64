"""Specification of overnight financing: a debit held over New York midnight pays a day's
margin interest, short stock a day's borrow fee, index contracts their benchmark rate and a
spread; FX positions held at a weekday's 17:00 in New York roll for the days their value
date moves (three on Wednesdays); each at its annual rate over 360 days (for FX and index
contracts: over their currency's money-market year, 360 days for the USD and EUR ones here;
see `test_financing_day_counts`). What is flat or in cash by then, and frictionless
accounts, pay nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError as PydanticValidationError

from vtrade.bootstrap import Container
from vtrade.core.clock import parse_instant, to_ns
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account, EntryKind
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderStatus
from vtrade.execution.config import ExecutionConfig, packaged_benchmark_rates
from vtrade.execution.financing import (
    contract_day_rate,
    currencies_financed,
    next_charge,
    rolled_days,
)
from vtrade.market.catalog import Catalog
from vtrade.settings import ExecutionSettings, load_settings

if TYPE_CHECKING:
    from conftest import Venue

D = Decimal
CENT = D("0.01")
SATURDAY_MIDNIGHT = "2024-03-16T04:00:00Z"  # 00:00 in New York (EDT)
MONDAY_MIDNIGHT = "2024-03-18T04:00:00Z"
FRIDAY_ROLLOVER = "2024-03-15T21:00:00Z"  # 17:00 in New York: FX's day ends
STOCKS = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL")


def at(text: str) -> int:
    return to_ns(parse_instant(text))


def borrow_on_margin(venue: Venue, account: Account) -> None:
    """Buy 120% of the account's cash in five stocks (24% each, under the position cap)."""
    for symbol in STOCKS:
        qty = (D(240_000) / venue.quote(symbol).ask).to_integral_value(ROUND_FLOOR)
        order, _ = venue.submit(account, symbol, Side.BUY, qty)
        assert order.status is OrderStatus.FILLED, order.reject_reason


def charges(changes: object) -> list[ev.FinancingCharged]:
    return [e for e in changes.events if isinstance(e, ev.FinancingCharged)]  # type: ignore[attr-defined]


def test_the_charges_fall_at_each_new_york_midnight_and_each_weekday_fx_rollover() -> None:
    assert next_charge(at("2024-03-15T15:00:00Z")) == at(FRIDAY_ROLLOVER)
    assert next_charge(at(FRIDAY_ROLLOVER)) == at(SATURDAY_MIDNIGHT)
    assert next_charge(at(SATURDAY_MIDNIGHT)) == at("2024-03-17T04:00:00Z")  # no weekend roll
    assert next_charge(at("2024-03-17T04:00:00Z")) == at(MONDAY_MIDNIGHT)
    assert next_charge(at(MONDAY_MIDNIGHT)) == at("2024-03-18T21:00:00Z")
    assert next_charge(at("2024-11-02T12:00:00Z")) == at("2024-11-03T04:00:00Z")  # EDT
    assert next_charge(at("2024-11-03T04:00:00Z")) == at("2024-11-04T05:00:00Z")  # EST
    assert next_charge(at("2024-11-04T05:00:00Z")) == at("2024-11-04T22:00:00Z")  # 17:00 EST


@pytest.mark.parametrize(
    ("symbol", "days"),
    [
        ("EUR/USD", [1, 1, 3, 1, 1]),  # spot T+2: Wednesday's value date moves over a weekend
        ("USD/JPY", [1, 1, 3, 1, 1]),
        ("EUR/GBP", [1, 1, 3, 1, 1]),
        ("USD/CAD", [1, 1, 1, 3, 1]),  # spot T+1: Thursday's does
        ("USD/TRY", [1, 1, 1, 3, 1]),
    ],
)
def test_an_fx_pair_rolls_seven_days_a_week_three_of_them_on_its_triple_day(
    venue: Venue, symbol: str, days: list[int]
) -> None:
    # Monday 4 to Friday 8 March 2024, a week none of the pairs' value dates meets a holiday
    # (in the week of the 18th, Japan's spring equinox moves USD/JPY's: test_financing_holidays)
    week = [date(2024, 3, 4) + timedelta(days=i) for i in range(5)]
    assert [rolled_days(venue.catalog.get(symbol), d) for d in week] == days


def test_a_debit_held_over_midnight_pays_a_days_margin_interest(venue: Venue) -> None:
    account = venue.open(balance=1_000_000)
    borrow_on_margin(venue, account)
    debit = -account.cash
    assert debit > 150_000

    changes = venue.advance_to(at(SATURDAY_MIDNIGHT))

    (charged,) = charges(changes)
    interest = (debit * D("0.065") / 360).quantize(CENT)
    assert charged.ts_event == at(SATURDAY_MIDNIGHT)
    assert (charged.interest, charged.borrow_fee) == (interest, 0)
    assert charged.cash == account.cash == -debit - interest
    (entry,) = changes.ledger
    assert entry.kind is EntryKind.INTEREST and entry.amount == -interest


def test_a_weekend_costs_three_days(venue: Venue) -> None:
    account = venue.open(balance=1_000_000)
    borrow_on_margin(venue, account)
    debit = -account.cash

    changes = venue.advance_to(at(MONDAY_MIDNIGHT))

    nights = charges(changes)
    assert [c.ts_event for c in nights] == [
        at(SATURDAY_MIDNIGHT),
        at("2024-03-17T04:00:00Z"),
        at(MONDAY_MIDNIGHT),
    ]
    assert debit * D("0.065") / 360 * 3 * D("0.999") < -account.cash - debit  # and a little
    assert [c.account_seq for c in nights] == sorted(c.account_seq for c in nights)


def test_short_stock_pays_a_borrow_fee_and_cash_accounts_pay_nothing(venue: Venue) -> None:
    short, saver = venue.open(balance=1_000_000), venue.open(balance=1_000_000)
    sold, _ = venue.submit(short, "AAPL", Side.SELL, 500)
    bought, _ = venue.submit(saver, "AAPL", Side.BUY, 500)
    assert sold.status is bought.status is OrderStatus.FILLED

    changes = venue.advance_to(at(SATURDAY_MIDNIGHT))

    (charged,) = charges(changes)
    marks = venue.engine.marks(at(SATURDAY_MIDNIGHT))
    value = marks.value(venue.catalog.get("AAPL"), D(500))
    assert charged.account_id == short.id
    assert charged.interest == 0  # the short's proceeds are cash: nothing is borrowed
    assert charged.borrow_fee == (value * D("0.003") / 360).quantize(CENT) > 0
    (entry,) = changes.ledger
    assert entry.kind is EntryKind.BORROW_FEE


def test_intraday_leverage_and_frictionless_accounts_pay_nothing(venue: Venue) -> None:
    day_trader, free = venue.open(balance=1_000_000), venue.open(1_000_000, "frictionless")
    borrow_on_margin(venue, day_trader)
    borrow_on_margin(venue, free)
    for symbol in STOCKS:  # flat again before the close
        held = venue.engine.position(day_trader.id, symbol).qty
        venue.submit(day_trader, symbol, Side.SELL, held)
    assert day_trader.cash > 0 > free.cash

    assert charges(venue.advance_to(at(MONDAY_MIDNIGHT))) == []


def test_a_charge_is_stored_and_numbered_among_the_accounts_fills(
    make_service: Callable[..., Container],
) -> None:
    """A charge is in the ledger; after a restart the account's next charge (or fill) is
    numbered after it, so that a consumer that applied it applies the next one too."""
    app = make_service()
    account = app.trading.open_account(OpenAccount(id="o", ts_init=0, owner="ann", name="main"))
    sold = app.trading.submit(_order(account, "AAPL", Side.SELL, 500))
    assert sold.status is OrderStatus.FILLED
    app.clock.set(at(SATURDAY_MIDNIGHT) + 1)
    (charged,) = charges(app.trading.advance())
    stored = [e for e in app.store.ledger(account.id) if e.kind is EntryKind.BORROW_FEE]
    assert [e.amount for e in stored] == [-charged.borrow_fee]

    again = make_service("2024-03-16T04:00:01Z")  # a second after the charge
    again.clock.set(at(MONDAY_MIDNIGHT) - 1)
    assert again.trading.account(account.id).cash == charged.cash
    later = again.trading.advance()  # Sunday's charge
    (sunday,) = charges(later)
    assert sunday.account_seq == charged.account_seq + 1


def _order(account: Account, symbol: str, side: Side, qty: int) -> SubmitOrder:
    return SubmitOrder(
        id="s", ts_init=0, account_id=account.id, symbol=symbol, side=side, qty=D(qty)
    )


def test_contracts_borrow_nothing_and_their_shorts_lend_nothing(venue: Venue) -> None:
    """The notional of FX, futures and index contracts passes through cash (NAV counts only
    their P&L), but no lender finances it: a long contract pays no interest, and a short one
    does not offset the interest on stock bought on margin."""
    hedger, stocks = venue.open(balance=1_000_000), venue.open(balance=1_000_000)
    marks = venue.engine.marks(venue.now)
    for symbol in ("SPX", "NDX", "DAX", "EUR/USD", "GBP/USD"):  # 24% of NAV each
        inst = venue.catalog.get(symbol)
        each = D(240_000) / marks.value(inst, inst.lot_size)
        order, _ = venue.submit(hedger, symbol, Side.BUY, int(each) * inst.lot_size)
        assert order.status is OrderStatus.FILLED, order.reject_reason
    borrow_on_margin(venue, stocks)
    debit = -stocks.cash
    sold, _ = venue.submit(stocks, "CL", Side.SELL, 2)  # a short future
    assert sold.status is OrderStatus.FILLED, sold.reject_reason
    assert hedger.cash < 0 and stocks.cash > -debit

    nights = {c.account_id: c for c in charges(venue.advance_to(at(SATURDAY_MIDNIGHT)))}

    charged, hedged = nights[stocks.id], nights[hedger.id]
    assert charged.interest == (debit * D("0.065") / 360).quantize(CENT)
    assert charged.contracts == 0  # a future's financing is in its price
    assert hedged.interest == hedged.borrow_fee == 0  # its contracts' financing is their own


EUR, USD, CAD = D("0.0193"), D("0.0388"), D("0.0225")  # the packaged benchmark rates


def night_of(venue: Venue, *accounts: Account) -> dict[str, ev.FinancingCharged]:
    """Each account's last charge up to Saturday's midnight (Friday's FX rollover, or the
    midnight's index financing), with the cash before it checked after."""
    cash = {a.id: a.cash for a in accounts}
    changes = venue.advance_to(at(SATURDAY_MIDNIGHT))
    nights = {c.account_id: c for c in charges(changes)}
    for a in accounts:
        night = nights.get(a.id)
        paid = D(0) if night is None else night.interest + night.borrow_fee + night.contracts
        assert a.cash == cash[a.id] - paid
        entries = [e for e in changes.ledger if e.account_id == a.id]
        assert sum((e.amount for e in entries), D(0)) == -paid
        if night is not None and night.contracts:
            assert EntryKind.FINANCING in {e.kind for e in entries}
    return nights


def value_when_charged(venue: Venue, symbol: str, qty: int) -> Decimal:
    """The value a charge up to Saturday's midnight finances: an FX position's at Friday's
    rollover, an index position's at the midnight."""
    inst = venue.catalog.get(symbol)
    instant = FRIDAY_ROLLOVER if inst.base_currency is not None else SATURDAY_MIDNIGHT
    return venue.engine.marks(at(instant)).value(inst, D(qty))


def test_fx_positions_earn_the_rate_of_the_currency_held_and_pay_the_one_owed(
    venue: Venue,
) -> None:
    """A long EUR/USD holds euros bought with borrowed dollars: it earns EUR's 1.93% and pays
    USD's 3.88%; the short the other way round; the broker keeps 1% of each."""
    long, short, free = venue.open(), venue.open(), venue.open(profile="frictionless")
    for account, side in ((long, Side.BUY), (short, Side.SELL), (free, Side.BUY)):
        order, _ = venue.submit(account, "EUR/USD", side, 100_000)
        assert order.status is OrderStatus.FILLED, order.reject_reason

    nights = night_of(venue, long, short, free)

    value = value_when_charged(venue, "EUR/USD", 100_000)
    assert nights[long.id].contracts == (value * (USD - EUR + D("0.01")) / 360).quantize(CENT)
    assert nights[short.id].contracts == (value * (EUR - USD + D("0.01")) / 360).quantize(CENT)
    assert nights[short.id].contracts < 0  # it earns: the carry is larger than the spread
    assert nights[long.id].interest == nights[short.id].interest == 0
    assert free.id not in nights


def test_a_week_of_fx_rolls_at_each_weekday_close_and_wednesday_s_counts_three_days(
    venue: Venue,
) -> None:
    """A long EUR/USD held Monday to Monday rolls at 17:00 in New York on each of five days,
    for seven days in all: Wednesday's roll moves its value date over the weekend. Nothing
    is charged for it at midnight."""
    venue.advance_to(at("2024-03-18T19:00:00Z"))  # Monday 15:00 in New York
    account = venue.open()
    order, _ = venue.submit(account, "EUR/USD", Side.BUY, 100_000)
    assert order.status is OrderStatus.FILLED, order.reject_reason

    changes = venue.advance_to(at("2024-03-25T19:00:00Z"))

    rolls = charges(changes)
    closes = [at(f"2024-03-{day}T21:00:00Z") for day in (18, 19, 20, 21, 22)]
    assert [c.ts_event for c in rolls] == closes
    inst, rate = venue.catalog.get("EUR/USD"), USD - EUR + D("0.01")
    for roll, days in zip(rolls, (1, 1, 3, 1, 1), strict=True):
        value = venue.engine.marks(roll.ts_event).value(inst, D(100_000))
        assert roll.contracts == (value * rate * days / 360).quantize(CENT) > 0
        assert roll.interest == roll.borrow_fee == 0
    notes = [e.note for e in changes.ledger if e.kind is EntryKind.FINANCING]
    one = ["FX rollover, one day"]
    assert notes == one * 2 + ["FX rollover, 3 days"] + one * 2


def test_fx_held_over_midnight_but_closed_before_the_rollover_pays_nothing(venue: Venue) -> None:
    """FX's day ends at 17:00 in New York: a position opened after one rollover and closed
    before the next is never rolled, though it was held over midnight."""
    venue.advance_to(at("2024-03-18T22:00:00Z"))  # Monday 18:00 in New York
    account = venue.open()
    venue.submit(account, "EUR/USD", Side.BUY, 100_000)
    changes = venue.advance_to(at("2024-03-19T14:00:00Z"))  # Tuesday 10:00, past midnight
    venue.submit(account, "EUR/USD", Side.SELL, 100_000)
    changes.merge(venue.advance_to(at("2024-03-20T14:00:00Z")))

    assert venue.engine.position(account.id, "EUR/USD").qty == 0
    assert charges(changes) == []


def test_pairs_rolled_for_different_days_say_so(venue: Venue) -> None:
    """USD/CAD settles a day after the trade, EUR/USD two: on Wednesday only EUR/USD rolls
    three days, and the account's entry says both."""
    venue.advance_to(at("2024-03-20T19:00:00Z"))  # Wednesday 15:00 in New York
    account = venue.open()
    for symbol in ("EUR/USD", "USD/CAD"):
        order, _ = venue.submit(account, symbol, Side.BUY, 100_000)
        assert order.status is OrderStatus.FILLED, order.reject_reason

    changes = venue.advance_to(at("2024-03-20T22:00:00Z"))

    (roll,) = charges(changes)
    marks = venue.engine.marks(roll.ts_event)
    eur_usd, usd_cad = (
        marks.value(venue.catalog.get(symbol), D(100_000)) for symbol in ("EUR/USD", "USD/CAD")
    )
    # EUR/USD, 3 days: pays USD's 3.88% and the 1% spread and earns EUR's 1.93%, all over 360.
    # USD/CAD, 1 day: earns USD's 3.88% over 360; pays CAD's 2.25% and the spread over 365,
    # CAD's year (CORRA counts ACT/365), as the pair's price and value are in CAD.
    expected = eur_usd * 3 * (USD + D("0.01") - EUR) / 360 + usd_cad * (
        (CAD + D("0.01")) / 365 - USD / 360
    )
    assert roll.contracts == expected.quantize(CENT)
    assert [e.note for e in changes.ledger] == ["FX rollover, 1 to 3 days by pair"]


def test_index_positions_pay_the_benchmark_and_spread_long_and_earn_the_rest_short(
    venue: Venue,
) -> None:
    """As IBKR finances index CFDs: a long pays the benchmark + 1.5%, a short earns the
    benchmark - 1.5% (and pays where the benchmark is lower: see the settings' test)."""
    long, short = venue.open(), venue.open()
    for account, side in ((long, Side.BUY), (short, Side.SELL)):
        order, _ = venue.submit(account, "SPX", side, 30)
        assert order.status is OrderStatus.FILLED, order.reject_reason

    nights = night_of(venue, long, short)

    spx = value_when_charged(venue, "SPX", 30)
    assert nights[long.id].contracts == (spx * (USD + D("0.015")) / 360).quantize(CENT)
    assert nights[short.id].contracts == (spx * (D("0.015") - USD) / 360).quantize(CENT) < 0


def test_a_rate_set_by_its_own_variable_is_read_whatever_its_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VTRADE_EXECUTION__BENCHMARK_RATES__USD", "4.5")

    assert load_settings({}).execution.benchmark_rates == {"USD": D("4.5")}


def test_the_rates_and_spreads_are_settings(make_venue: Callable[..., Venue]) -> None:
    venue = make_venue(
        benchmark_rates={"USD": D(5), "EUR": D("0.25")},
        fx_financing_spread_percent=D(0),
        index_financing_spread_percent=D("0.5"),
    )
    fx, index, short = venue.open(), venue.open(), venue.open()
    for account, symbol, side, qty in (
        (fx, "EUR/USD", Side.BUY, 100_000),
        (index, "SPX", Side.BUY, 30),
        (short, "DAX", Side.SELL, 8),
    ):
        order, _ = venue.submit(account, symbol, side, qty)
        assert order.status is OrderStatus.FILLED, order.reject_reason

    nights = night_of(venue, fx, index, short)

    value = value_when_charged(venue, "EUR/USD", 100_000)
    assert nights[fx.id].contracts == (value * (D("0.05") - D("0.0025")) / 360).quantize(CENT)
    spx = value_when_charged(venue, "SPX", 30)
    assert nights[index.id].contracts == (spx * D("0.055") / 360).quantize(CENT)
    dax = value_when_charged(venue, "DAX", 8)  # a short pays where the rate is under the spread
    assert nights[short.id].contracts == (dax * D("0.0025") / 360).quantize(CENT) > 0


def test_every_currency_the_catalog_finances_has_a_packaged_rate(venue: Venue) -> None:
    assert currencies_financed(venue.catalog) <= set(packaged_benchmark_rates())


@pytest.mark.parametrize(
    ("rates", "problem"),
    [
        ({"US": D(4)}, "benchmark rate currency 'US': use a code like USD"),
        ({"USD": D(150)}, "benchmark rate of USD is 150%; allowed: -100 to 100 (percent a year)"),
        ({"USD": D("NaN")}, "Input should be a finite number"),
        ({"USD": D(4), "usd": D(5)}, "benchmark rate set twice, as USD and usd: set it once"),
    ],
)
def test_a_benchmark_rate_out_of_range_is_refused_saying_what_is_allowed(
    rates: dict[str, Decimal], problem: str
) -> None:
    with pytest.raises(PydanticValidationError, match=re.escape(problem)):
        ExecutionSettings(benchmark_rates=rates)


def test_a_contract_quoted_in_pence_is_financed_at_the_pounds_rate() -> None:
    """A user's catalog may quote an index in GBX: its rate is GBP's, and start-up asks for
    GBP's rate, not a GBX one."""
    config = ExecutionConfig(benchmark_rates={"GBP": D("0.0397")})
    packaged = Catalog.load()
    index = replace(packaged.get("UKX"), currency="GBX")

    # a day of 100,000 of it, long: GBP's 3.97% + the 1.5% spread over GBP's 365 days,
    # 100,000 x 5.47% / 365 = 5,470 / 365 = 14.9863...
    assert (100_000 * contract_day_rate(index, D(1), config)).quantize(CENT) == D("14.99")
    assert currencies_financed(Catalog([index, packaged.get("GBP/USD")])) == {"GBP", "USD"}


@pytest.mark.parametrize(
    ("symbol", "days"),
    [  # rolls at the end of Fri 20, Mon 23, Tue 24, Thu 26 and Fri 27 December 2024
        # Friday's value date moves from Tue 24 to Fri 27 (TARGET2 is shut on the 25th and
        # 26th, Fedwire on the 25th), Monday's to Mon 30, and Tuesday's stays there: Thursday's
        # spot is Monday too. Friday the 27th's crosses 1 Jan.
        ("EUR/USD", [3, 3, 0, 1, 2]),
        # T+1: Monday's moves from Tue 24 to Fri 27 (Boxing Day shuts Canada's payments too),
        # Tuesday's stays (Thursday's spot is Friday too), Thursday's crosses the weekend.
        ("USD/CAD", [1, 3, 0, 3, 1]),
    ],
)
def test_a_roll_whose_value_date_crosses_a_holiday_counts_it(
    venue: Venue, symbol: str, days: list[int]
) -> None:
    trade_dates = [date(2024, 12, d) for d in (20, 23, 24, 26, 27)]
    assert [rolled_days(venue.catalog.get(symbol), d) for d in trade_dates] == days


def test_no_fx_rollover_falls_on_christmas_or_new_year_s_day() -> None:
    christmas_midnight = at("2024-12-25T05:00:00Z")  # Wednesday 00:00 in New York (EST)
    assert next_charge(christmas_midnight) == at("2024-12-26T05:00:00Z")  # not 17:00 the 25th
    assert next_charge(at("2024-12-26T05:00:00Z")) == at("2024-12-26T22:00:00Z")
    assert next_charge(at("2024-12-31T22:00:00Z")) == at("2025-01-01T05:00:00Z")
    assert next_charge(at("2025-01-01T05:00:00Z")) == at("2025-01-02T05:00:00Z")


def fx_rolls(make_venue: Callable[..., Venue], start: str, end: str) -> list[tuple[int, int]]:
    """(instant, days) of the rolls of a long 100,000 EUR/USD held from `start` to `end`,
    the days read back from each roll's amount."""
    venue = make_venue(start=start)
    account = venue.open()
    order, _ = venue.submit(account, "EUR/USD", Side.BUY, 100_000)
    assert order.status is OrderStatus.FILLED, order.reject_reason
    changes = venue.advance_to(at(end))
    inst, rate = venue.catalog.get("EUR/USD"), USD - EUR + D("0.01")
    rolls = []
    for roll in charges(changes):
        day = venue.engine.marks(roll.ts_event).value(inst, D(100_000)) * rate / 360
        days = round(roll.contracts / day)
        assert roll.contracts == (day * days).quantize(CENT)
        rolls.append((roll.ts_event, days))
    return rolls


def test_christmas_week_rolls_when_the_value_date_moves_and_never_on_the_holiday(
    make_venue: Callable[..., Venue],
) -> None:
    """Held from Monday 23 to Monday 30 December 2024: rolls at 17:00 in New York on the
    23rd, 26th and 27th (the market is shut on the 25th), six days in all, its value date
    moving from Friday 27 to Thursday 2 January. The 24th's roll charges nothing: its value
    date, Monday the 30th, is the 26th's too."""
    rolls = fx_rolls(make_venue, "2024-12-23T20:00:00Z", "2024-12-30T20:00:00Z")
    days = ((23, 3), (26, 1), (27, 2))
    assert rolls == [(at(f"2024-12-{d}T22:00:00Z"), n) for d, n in days]


@pytest.mark.parametrize(
    ("start", "end", "closes"),
    [  # 2024-03-10 and 2024-11-03: New York's clocks change on a Sunday
        ("2024-03-08T20:00:00Z", "2024-03-12T20:00:00Z", ("2024-03-08T22", "2024-03-11T21")),
        ("2024-11-01T19:00:00Z", "2024-11-05T20:00:00Z", ("2024-11-01T21", "2024-11-04T22")),
    ],
)
def test_fx_rolls_at_17_00_new_york_time_on_both_sides_of_a_clock_change(
    make_venue: Callable[..., Venue], start: str, end: str, closes: tuple[str, str]
) -> None:
    rolls = fx_rolls(make_venue, start, end)
    assert rolls == [(at(f"{close}:00:00Z"), 1) for close in closes]


def test_a_rollover_is_charged_once_across_a_restart(
    fresh_database: Callable[[], str], build_container: Callable[..., Container]
) -> None:
    """A server stopped at Wednesday's roll, or the morning after, and started again later
    charges each roll once, with its own days, as one that ran throughout."""
    started: list[Container] = []

    def service(start: str, url: str) -> Container:
        app = build_container(start, url)
        app.trading.start()
        started.append(app)
        return app

    def rolls(restart_at: str | None) -> list[tuple[int, Decimal, str]]:
        url = fresh_database()
        app = service("2024-03-20T15:00:00Z", url)  # Wednesday 11:00 in New York
        account = app.trading.open_account(OpenAccount(id="o", ts_init=0, owner="a", name="m"))
        bought = app.trading.submit(_order(account, "EUR/USD", Side.BUY, 100_000))
        assert bought.status is OrderStatus.FILLED
        if restart_at is not None:
            app.clock.set(at(restart_at))
            app.trading.advance()
            app.trading.stop()
            app = service(restart_at, url)
        app.clock.set(at("2024-03-22T22:00:00Z"))  # Friday 18:00
        app.trading.advance()
        return [
            (e.ts_ns, e.amount, e.note)
            for e in app.store.ledger(account.id)
            if e.kind is EntryKind.FINANCING
        ]

    try:
        throughout = rolls(None)
        assert [(ts, note) for ts, _, note in throughout] == [
            (at("2024-03-20T21:00:00Z"), "FX rollover, 3 days"),
            (at("2024-03-21T21:00:00Z"), "FX rollover, one day"),
            (at("2024-03-22T21:00:00Z"), "FX rollover, one day"),
        ]
        assert rolls("2024-03-20T21:00:00Z") == throughout  # stopped at the roll's instant
        assert rolls("2024-03-21T14:00:00Z") == throughout  # the next morning
    finally:
        for app in started:
            app.store.close()
