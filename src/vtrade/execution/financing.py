"""Overnight financing: interest on what an account borrows, the borrow fee of its shorts,
and the financing of its FX and index contracts.

At each New York midnight an account with a debit (negative cash: it borrows on margin; the
notional of its FX, futures and index contracts is not borrowed) pays a day's interest on
it, and one short stocks or ETFs pays a day's borrow fee on their market value, each at its
annual rate over 360 days (the money-market year of USD, the account currency), so a weekend
costs three days.

FX and index contracts are financed as a CFD broker finances them, on their value at the mid,
a day of each currency's annual rate being that rate over the days of the currency's own
money-market year (`ExecutionConfig.day_counts`: 365 for GBP, JPY, AUD, CAD, NZD, HKD, SGD,
ZAR, TRY and NOK, 360 for USD, EUR, CHF and the others), as in the interbank market:
- an FX position earns the interest of the currency it is long and pays that of the currency
  it is short (a long GBP/USD earns GBP's rate over 365 days and pays USD's over 360), less
  the broker's spread: the rollover, or swap, of a retail FX account. It rolls when FX's
  trading day ends, at 17:00 in New York, on each FX trading day (weekdays but 25 Dec and
  1 Jan), for the days its spot value date moves (`value_dates` gives the convention, its
  sources, the currencies' calendars and what is not modelled): spot settles two business
  days on (one for USD/CAD and USD/TRY), counted on the settlement calendars of the pair's
  currencies, and never on a USD holiday. So Wednesday's roll covers the weekend and counts
  three days (Thursday's, for those two pairs); a roll whose value date crosses a holiday of
  either currency counts it too (GBP/USD's four days on the Wednesday before England's early
  May bank holiday); and a roll whose value date does not move charges nothing (EUR/USD's
  on the Tuesday before Thanksgiving: Tuesday's spot and Wednesday's are both Friday);
- an index position pays its currency's rate plus the spread when long, and earns the rate
  less the spread when short (which pays when the rate is below the spread), a day at each
  New York midnight.
The spread, a charge on the position's value, counts the year of the currency that value is
quoted in (an FX pair's quote currency, an index's own).
Futures carry their financing in their price and pay none. What is flat or in cash by midnight
(FX: by 17:00) pays nothing, as at a broker: intraday leverage is free. Frictionless accounts
pay nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from vtrade.core.clock import from_ns, to_ns
from vtrade.core.money import CENT
from vtrade.domain import events as ev
from vtrade.domain.accounts import Account, EntryKind
from vtrade.domain.changes import Changes
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.execution import value_dates
from vtrade.execution.profiles import rules_named
from vtrade.market.catalog import major_currency
from vtrade.market.sessions_build import FX_ROLL_HOUR, NEW_YORK, fx_trading_day

if TYPE_CHECKING:
    from vtrade.execution.accounting import Marks
    from vtrade.execution.config import ExecutionConfig
    from vtrade.execution.engine import ExecutionEngine
    from vtrade.market.catalog import Catalog

DAYS_PER_YEAR = Decimal(360)  # USD's, the account currency's: margin interest, borrow fees
_LENT = (AssetClass.EQUITY, AssetClass.ETF)  # what a short borrows: shares from a lender
_CONTRACTS = (AssetClass.FX, AssetClass.INDEX)  # financed at benchmark rates (futures: not)
ROLLOVER = time(FX_ROLL_HOUR)  # New York: FX's trading day ends, and positions held then roll


def next_charge(t_ns: int) -> int:
    """The first financing instant strictly after `t_ns`: New York's next midnight, or the
    next FX rollover (an FX trading day's 17:00 there), whichever comes first."""
    local = from_ns(t_ns).astimezone(NEW_YORK)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), NEW_YORK)
    day = local.date() + timedelta(days=1 if local.time() >= ROLLOVER else 0)
    while not fx_trading_day(day):
        day += timedelta(days=1)
    return to_ns(min(midnight, datetime.combine(day, ROLLOVER, NEW_YORK)))


def charge(engine: ExecutionEngine, t_ns: int) -> Changes:
    """Charge every account its financing at `t_ns`, an instant `next_charge` gave: at a
    rollover its FX positions' roll, at midnight a day of everything else."""
    local = from_ns(t_ns).astimezone(NEW_YORK)
    if local.time() == ROLLOVER:
        return _roll_fx(engine, t_ns, local.date())
    changes = Changes()
    config = engine.config
    financed = config.contract_financing
    if not (config.margin_interest_rate or config.borrow_fee_rate or financed):
        return changes
    marks = engine.marks(t_ns)
    for account_id in _charged_accounts(engine):
        account = engine.accounts[account_id]
        borrowed = max(-_cash_financed(engine, account), Decimal(0))
        interest = borrowed * config.margin_interest_rate / DAYS_PER_YEAR
        short_value = sum(
            (
                marks.value(marks.instrument(p.symbol), -p.qty)
                for p in engine.positions_of(account.id)
                if p.qty < 0 and marks.instrument(p.symbol).asset_class in _LENT
            ),
            Decimal(0),
        )
        borrow_fee = short_value * config.borrow_fee_rate / DAYS_PER_YEAR
        indices = _index_financing(engine, account, marks) if financed else Decimal(0)
        charged = Charges(interest.quantize(CENT), borrow_fee.quantize(CENT), indices)
        changes.merge(_post(engine, account, charged, t_ns, "index financing, one day"))
    return changes


def rolled_days(inst: Instrument, trade_date: date) -> int:
    """The days a position in the FX pair `inst` is financed for at the rollover that ends
    `trade_date`: from that day's spot value date to the next trading day's (`value_dates`)."""
    if inst.base_currency is None:
        raise ValueError(f"{inst.symbol} is not an FX pair: it has no value date")
    return value_dates.rolled_days(inst.base_currency, inst.currency, trade_date)


def _charged_accounts(engine: ExecutionEngine) -> list[str]:
    """The accounts that pay financing (not frictionless ones), in a fixed order: the same
    after a restart."""
    return [
        account_id
        for account_id in sorted(engine.accounts)
        if rules_named(engine.accounts[account_id].profile.value).friction
    ]


def _roll_fx(engine: ExecutionEngine, t_ns: int, trade_date: date) -> Changes:
    """Roll every account's FX positions over the end of `trade_date` (17:00 in New York)."""
    changes = Changes()
    if not engine.config.contract_financing:
        return changes
    marks = engine.marks(t_ns)
    for account_id in _charged_accounts(engine):
        account = engine.accounts[account_id]
        total, days = Decimal(0), set()
        for p in engine.positions_of(account.id):
            inst = marks.instrument(p.symbol)
            if not p.qty or inst.asset_class is not AssetClass.FX:
                continue
            rolled = rolled_days(inst, trade_date)  # 0 when tomorrow's value date is today's
            if rolled:
                day = contract_day_rate(inst, p.qty, engine.config)
                total += abs(marks.value(inst, p.qty)) * day * rolled
                days.add(rolled)
        if days:
            charged = Charges(Decimal(0), Decimal(0), total.quantize(CENT))
            changes.merge(_post(engine, account, charged, t_ns, f"FX rollover, {_days(days)}"))
    return changes


def _days(days: set[int]) -> str:
    if len(days) == 1:
        (n,) = days
        return "one day" if n == 1 else f"{n} days"
    return f"{min(days)} to {max(days)} days by pair"


class Charges(NamedTuple):
    """One account's charges at a midnight or a rollover, VCR to the cent: positive is paid."""

    interest: Decimal
    borrow_fee: Decimal
    contracts: Decimal  # FX rollover or index financing; negative when the account earns it


def contract_day_rate(inst: Instrument, qty: Decimal, config: ExecutionConfig) -> Decimal:
    """The share of its value a position of `qty` in `inst` pays for a day (negative: earns),
    each annual rate over its currency's year; zero for what is not financed as a contract."""

    def day(rate: Decimal, code: str) -> Decimal:  # pence count the pound's year
        return rate / config.days_per_year(major_currency(code))

    def benchmark(code: str) -> Decimal:  # pence are financed at the pound's rate
        return day(config.benchmark_rates[major_currency(code)], code)

    if inst.base_currency is not None:  # an FX pair: long its base, short its quote
        earned = benchmark(inst.base_currency) - benchmark(inst.currency)
        spread = config.fx_financing_spread
    elif inst.asset_class is AssetClass.INDEX:
        earned, spread = -benchmark(inst.currency), config.index_financing_spread
    else:
        return Decimal(0)
    # The spread is the broker's charge on the position's value, which is quoted in
    # `inst.currency`: it counts that currency's year, as an index's benchmark does, so that an
    # index pays one rate (benchmark + spread) over one year, as IBKR quotes its CFDs, and an
    # FX pair's spread follows the currency its price and value are in.
    spread = day(spread, inst.currency)
    return spread - earned if qty > 0 else spread + earned


def currencies_financed(catalog: Catalog) -> set[str]:
    """The currencies whose rates finance the catalog's FX and index contracts."""
    needed: set[str] = set()
    for symbol in catalog.symbols:
        inst = catalog.get(symbol)
        if inst.asset_class in _CONTRACTS:
            codes = (inst.currency, inst.base_currency)
            needed.update(major_currency(c) for c in codes if c is not None)
    return needed


def check_rates_cover(rates: Mapping[str, Decimal], catalog: Catalog) -> None:
    """Refuse `rates` that miss a currency the catalog's FX and index contracts are financed
    in (as `FeeSchedule.check_covers` refuses fees that miss an instrument)."""
    missing = currencies_financed(catalog) - set(rates)
    if missing:
        raise ValueError(
            f"no benchmark rate for {', '.join(sorted(missing))}: FX pairs and indices of the "
            "catalog are financed in them; add them to VTRADE_EXECUTION__BENCHMARK_RATES"
        )


def _index_financing(engine: ExecutionEngine, account: Account, marks: Marks) -> Decimal:
    """What the account's index positions pay for a night (negative: earn), to the cent."""
    total = Decimal(0)
    for p in engine.positions_of(account.id):
        inst = marks.instrument(p.symbol)
        if p.qty and inst.asset_class is AssetClass.INDEX:
            value = abs(marks.value(inst, p.qty))
            total += value * contract_day_rate(inst, p.qty, engine.config)
    return total.quantize(CENT)


def _cash_financed(engine: ExecutionEngine, account: Account) -> Decimal:
    """The account's cash as a lender sees it: without what its open contracts (FX, futures,
    indices: `Instrument.settles_pnl`) moved through it. Their cost passes through cash so
    that NAV counts only their P&L, but nobody lends a contract's notional: a long future
    borrows nothing and a short one deposits nothing."""
    cash = account.cash
    for p in engine.positions_of(account.id):
        inst = engine.catalog.get(p.symbol)
        if p.qty and inst.settles_pnl:
            cash += p.entry_cost(inst.multiplier)
    return cash


def _post(
    engine: ExecutionEngine, account: Account, charged: Charges, t_ns: int, contracts_note: str
) -> Changes:
    """Post the charges, with the event that tells the portfolio."""
    if not any(charged):
        return Changes()
    entries = [
        engine.entry(account, kind, -amount, t_ns, note=note)
        for kind, amount, note in (
            (EntryKind.INTEREST, charged.interest, "margin interest, one day"),
            (EntryKind.BORROW_FEE, charged.borrow_fee, "stock borrow fee, one day"),
            (EntryKind.FINANCING, charged.contracts, contracts_note),
        )
        if amount
    ]
    account.cash -= sum(charged, Decimal(0))
    event = ev.FinancingCharged(
        **engine.event_meta(t_ns),
        account_id=account.id,
        interest=charged.interest,
        borrow_fee=charged.borrow_fee,
        contracts=charged.contracts,
        cash=account.cash,
        account_seq=engine.next_account_seq(account.id),
    )
    return Changes(accounts=[account], ledger=entries, events=[event])
