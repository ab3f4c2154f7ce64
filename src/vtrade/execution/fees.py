"""Fee schedules per asset class and venue, and the pricing of one fill.

The schedules ship as `vtrade/execution/data/fees.toml`, which documents every number and its
source; users may point at their own copy. Loading is strict: a missing section, an unknown key
or a negative number is a `DataError` naming the file, the section, the key and what is allowed.

Regulatory rates change over time: any single rate of a section may instead be a list of
dated values (`[{ value = 0.000008 }, { from = 2024-05-22, value = 0.0000278 }]`, oldest
first; the first may leave out its date), and a fill pays the value in force on its trade date
(New York's, where the US rates are set and brokers date their bills).

Rounding: each fee component is worked out in its schedule's currency, rounded half-up to 0.01
(the SEC fee and FINRA TAF up to the next cent, as brokers pass them on), converted into the
instrument's quote currency and rounded half-up to 0.01 again. A quote's
total is the sum of its rounded components, so the breakdown always adds up exactly.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from datetime import datetime as datetime_type
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum
from importlib import resources
from operator import itemgetter
from pathlib import Path

from vtrade.core.errors import DataError, ValidationError
from vtrade.core.money import CENT
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import Side
from vtrade.market.catalog import MINOR_UNITS, major_currency

PLANS: tuple[str, ...] = ("fixed", "tiered")
SECTIONS: tuple[str, ...] = ("us_equity", "uk_equity", "crypto", "fx", "futures", "index")
_ROUTE_KEYS = ("asset_classes", "venues", "currency")
_FUTURES_KEYS = ("commission", "exchange_fee", "regulatory_fee")
# a UK section's keys a symbol may set for itself (where it is incorporated decides its taxes)
_UK_SYMBOL_KEYS = ("stamp_duty_of_value", "ptm_levy", "financial_transaction_tax_of_value")
_UK_OPTIONAL = {k: Decimal(0) for k in ("ptm_levy", "ptm_threshold")}
_INDEX_KEYS = ("rate_bps", "per_contract", "minimum")
_US_EQUITY: dict[str, tuple[str, ...]] = {
    "fixed": ("per_share", "minimum", "max_of_value"),
    "tiered": (
        *("minimum", "max_of_value", "tiers", "clearing_per_share", "clearing_max_of_value"),
        *("finra_pass_through_of_commission", "cat_fee_per_share"),
    ),
    "sell": ("sec_fee_of_value", "finra_taf_per_share", "finra_taf_max"),
}
_PACKAGED = "vtrade/execution/data/fees.toml"
# Regulatory fees on sales are rounded up to the next cent, as brokers pass them on: a sale
# of $135 pays $0.01 of SEC fee, not nothing.
_ROUNDED_UP = frozenset({"sec_fee", "finra_taf"})
CONVERTED_PLACES = Decimal("0.000001")  # a fee converted out of the schedule's currency
_BP = Decimal("0.0001")
_VENUE = re.compile(r"^(\*|[A-Z0-9]{2,8})$")
_CLASSES = re.compile(f"^({'|'.join(a.value for a in AssetClass)})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./\-]*$")
_DATED_FRACTION = re.compile(r"_of_value\[\d+\]$")  # a dated value of a fraction of value

_Tier = tuple[Decimal | None, Mapping[str, Decimal]]
"""(exclusive upper bound of the volume before the fill or None for the last tier, rates)."""
_Dated = tuple[tuple[date, Decimal], ...]
"""A rate's values by the date each took effect, oldest first."""
_DAYS_KEPT = 4_096  # days of dated rates a section remembers


class Liquidity(StrEnum):
    """How a fill met the book; auction fills are priced like taker fills."""

    MAKER = "maker"
    TAKER = "taker"
    AUCTION = "auction"


@dataclass(frozen=True, slots=True)
class FeeContext:
    """The account's recent trading volume, for tiered schedules."""

    month_shares: Decimal = Decimal(0)  # US equity/ETF shares this calendar month, before the fill
    month_notional_usd: Decimal = Decimal(0)  # FX notional this calendar month, USD
    rolling_30d_usd: Decimal = Decimal(0)  # crypto notional over the last 30 days, USD
    # What earlier fills of the same order filled (quantity; sum of price * qty): minimums
    # apply per order, as brokers apply them, so a block filled in slivers pays one minimum.
    order_filled_qty: Decimal = Decimal(0)
    order_filled_notional: Decimal = Decimal(0)
    commission_multiplier: Decimal = Decimal(1)  # the harsh profile pays 25% more commission
    trade_date: date | None = None  # New York's date of the fill, for dated rates (None: latest)
    # what the order's earlier fills of that trade date filled (quantity; sum of price * qty):
    # the SEC fee and TAF on sales are the trade date's, worked out on its fills so far (an
    # order worked over days pays each day's at that day's rate; the TAF cap is a day's)
    day_filled_qty: Decimal = Decimal(0)
    day_filled_notional: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class FeeQuote:
    """The fees of one fill in the instrument's quote currency; the breakdown sums to `total`."""

    total: Decimal
    breakdown: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True, slots=True)
class _Section:
    name: str
    asset_classes: frozenset[AssetClass]
    venues: frozenset[str]
    currency: str
    values: Mapping[str, Decimal]  # sub-table keys are dotted: "fixed.per_share"; the latest
    tiers: Mapping[str, tuple[_Tier, ...]]
    tables: Mapping[str, Mapping[str, Decimal]]  # "minimum", "symbols.MGC"
    dated: Mapping[str, _Dated] = field(default_factory=dict)  # the rates given by date
    # values_on's answers by day: every fill asks, and a run trades on few days
    _on_day: dict[date, Mapping[str, Decimal]] = field(default_factory=dict, compare=False)

    def covers(self, inst: Instrument) -> bool:
        venue_ok = "*" in self.venues or inst.venue in self.venues
        return inst.asset_class in self.asset_classes and venue_ok

    def values_on(self, day: date | None) -> Mapping[str, Decimal]:
        """The section's rates in force on `day` (the latest when None). Before a dated
        rate's first date its first value applies: the earliest the file knows."""
        if not self.dated or day is None:
            return self.values
        known = self._on_day.get(day)
        if known is None:
            if len(self._on_day) >= _DAYS_KEPT:
                self._on_day.clear()
            known = {**self.values, **{k: _in_force(h, day) for k, h in self.dated.items()}}
            self._on_day[day] = known
        return known


def _in_force(history: _Dated, day: date) -> Decimal:
    at = bisect_right(history, day, key=itemgetter(0))
    return history[max(at - 1, 0)][1]


class _Reader:
    """One TOML table being validated; every error names the file, section and key."""

    def __init__(self, source: str, section: str, data: object, keys: Sequence[str]) -> None:
        self.source, self.section = source, section
        self.data: dict[str, object] = data if isinstance(data, dict) else {}
        if not isinstance(data, dict):
            raise DataError(f"{source}, section [{section}]: must be a table", file=source)
        for key in self.data:
            if key not in keys:
                raise self.fail(key, f"unknown key; allowed: {', '.join(keys)}")

    def fail(self, key: str, problem: str) -> DataError:
        where = f"{self.source}, section [{self.section}], key '{key}'"
        return DataError(f"{where}: {problem}", file=self.source, section=self.section, key=key)

    def get(self, key: str) -> object:
        if key not in self.data:
            raise self.fail(key, "is missing; a value is required")
        return self.data[key]

    def sub(self, key: str, keys: Sequence[str]) -> _Reader:
        return _Reader(self.source, f"{self.section}.{key}", self.get(key), keys)

    def num(self, key: str) -> Decimal:
        return self._number(key, self.get(key))

    def rate(self, key: str, dated: dict[str, _Dated], name: str) -> Decimal:
        """A rate that is a number, or a list of dated values (kept in `dated[name]`; the
        first may leave out its date: the value before every later one); the number, or the
        latest value."""
        value = self.get(key)
        if not isinstance(value, list):
            return self._number(key, value)
        allowed = "a number >= 0, or a list of { from = YYYY-MM-DD, value = number >= 0 }"
        if not value:
            raise self.fail(key, f"is an empty list; allowed: {allowed}")
        history: list[tuple[date, Decimal]] = []
        for i, item in enumerate(value):
            entry = _Reader(self.source, f"{self.section}.{key}[{i}]", item, ("from", "value"))
            since = date.min if i == 0 and "from" not in entry.data else entry.get("from")
            if not isinstance(since, date) or isinstance(since, datetime_type):
                raise entry.fail("from", f"{since!r} is not a date; allowed: one like 2024-05-22")
            if history and since <= history[-1][0]:
                raise entry.fail("from", f"{since} is not after {history[-1][0]}; oldest first")
            history.append((since, entry.num("value")))
        dated[name] = tuple(history)
        return history[-1][1]

    def _number(self, key: str, value: object) -> Decimal:
        if isinstance(value, list):
            raise self.fail(
                key,
                "is a list of dated values, which only a section's own rates may be (not a "
                "tier's, nor a per-symbol or per-currency table's); a number >= 0 is required",
            )
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise self.fail(key, f"{value!r} is not a number; a number >= 0 is required")
        number = Decimal(value)
        if not number.is_finite() or number < 0:
            raise self.fail(key, f"{value} is not allowed; a finite number >= 0 is required")
        if number > 1 and self._fraction(key):  # a unit slip: "$27.80 per million" as 27.80
            raise self.fail(
                key,
                f"{value} is a fraction of the trade's value above 1, more than the whole "
                "trade; allowed: 0 to 1 (0.005 is 0.5%)",
            )
        return number

    def _fraction(self, key: str) -> bool:
        """Whether `key` is a fraction of trade value: an `_of_value` key, or a dated value
        of one."""
        return key.endswith("_of_value") or (
            key == "value" and _DATED_FRACTION.search(self.section) is not None
        )

    def codes(self, key: str, pattern: re.Pattern[str], allowed: str) -> frozenset[str]:
        value = self.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"must be a non-empty list; allowed items: {allowed}")
        for item in value:
            if not isinstance(item, str) or not pattern.match(item):
                raise self.fail(key, f"{item!r} is not allowed; allowed: {allowed}")
        return frozenset(value)

    def map(self, key: str, pattern: re.Pattern[str], allowed: str) -> _Reader:
        """Read a sub-table whose keys are names (symbols, currencies) rather than settings."""
        raw = self.get(key)
        names = [k for k in raw if isinstance(k, str)] if isinstance(raw, dict) else []
        table = _Reader(self.source, f"{self.section}.{key}", raw, names)
        for name in names:
            if not pattern.match(name):
                raise table.fail(name, f"is not a valid key; allowed: {allowed}")
        return table

    def tiers(self, key: str, fields: Sequence[str]) -> tuple[_Tier, ...]:
        value = self.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(key, "must be a non-empty list of tables")
        out: list[_Tier] = []
        for i, item in enumerate(value):
            tier = _Reader(self.source, f"{self.section}.{key}[{i}]", item, ("up_to", *fields))
            last = i == len(value) - 1
            bound = None if last and "up_to" not in tier.data else tier.num("up_to")
            if last and bound is not None:
                raise tier.fail("up_to", "the last tier is open-ended; remove up_to")
            if bound is not None and (bound <= 0 or (out and bound <= (out[-1][0] or 0))):
                raise tier.fail("up_to", "must be > 0 and greater than the previous tier's")
            out.append((bound, {f: tier.num(f) for f in fields}))
        return tuple(out)


def _section(source: str, name: str, data: object) -> tuple[_Section, str | None]:
    keys = {
        "us_equity": ("plan", "fixed", "tiered", "sell"),
        "uk_equity": ("commission_of_value", "minimum", "stamp_duty_of_value", "symbols")
        + tuple(_UK_OPTIONAL),
        "crypto": ("tiers",),
        "fx": ("tiers",),
        "futures": (*_FUTURES_KEYS, "symbols"),
        "index": _INDEX_KEYS,
    }[name]
    r = _Reader(source, name, data, (*_ROUTE_KEYS, *keys))
    venues = r.codes("venues", _VENUE, '"*" (any) or venue codes like XNAS')
    classes = r.codes("asset_classes", _CLASSES, ", ".join(a.value for a in AssetClass))
    currency = r.get("currency")
    if not isinstance(currency, str) or not (currency == "quote" or _CURRENCY.match(currency)):
        raise r.fail("currency", f"{currency!r} is not allowed; allowed: quote, or a code like USD")
    values: dict[str, Decimal] = {}
    tiers: dict[str, tuple[_Tier, ...]] = {}
    tables: dict[str, Mapping[str, Decimal]] = {}
    dated: dict[str, _Dated] = {}
    plan = None
    if name == "us_equity":
        if (plan := str(r.get("plan"))) not in PLANS:
            raise r.fail("plan", f"{r.data['plan']!r} is not allowed; allowed: {', '.join(PLANS)}")
        for sub, fields in _US_EQUITY.items():
            reader = r.sub(sub, fields)
            values.update(
                {f"{sub}.{f}": reader.rate(f, dated, f"{sub}.{f}") for f in fields if f != "tiers"}
            )
            if sub == "tiered":
                tiers["tiered.tiers"] = reader.tiers("tiers", ("per_share",))
    elif name in ("crypto", "fx"):
        fields = ("maker_bps", "taker_bps") if name == "crypto" else ("rate_bps", "minimum")
        tiers["tiers"] = r.tiers("tiers", fields)
    elif name == "index":
        if "rate_bps" not in r.data and "per_contract" not in r.data:
            raise r.fail("rate_bps", "is missing; give rate_bps, per_contract or both")
        given = "rate_bps" in r.data
        values["rate_bps"] = r.rate("rate_bps", dated, "rate_bps") if given else Decimal(0)
        for key in ("per_contract", "minimum"):
            tables[key] = _by_currency(r, key) if key in r.data else {"USD": Decimal(0)}
    else:
        optional = _UK_OPTIONAL if name == "uk_equity" else {}
        for k in keys:
            if k in optional and k not in r.data:
                values[k] = optional[k]  # a key the section may leave out
            elif k != "symbols":
                values[k] = r.rate(k, dated, k)
        if "symbols" in r.data:
            own, example = (
                (_UK_SYMBOL_KEYS, "LSE symbols like GLEN.L")
                if name == "uk_equity"
                else (_FUTURES_KEYS, "futures symbols like MGC")
            )
            symbols = r.map("symbols", _SYMBOL, example)
            for symbol in symbols.data:
                o = symbols.sub(symbol, own)
                if f"symbols.{symbol.upper()}" in tables:  # symbols are found in any case
                    raise symbols.fail(
                        symbol,
                        "names a symbol given already (symbols are found in any case); give "
                        "each once",
                    )
                tables[f"symbols.{symbol.upper()}"] = {k: o.num(k) for k in o.data}
    section = _Section(
        name, frozenset(map(AssetClass, classes)), venues, currency, values, tiers, tables, dated
    )
    return section, plan


def _by_currency(r: _Reader, key: str) -> dict[str, Decimal]:
    """An amount per currency, with the USD one required (the fallback for the others)."""
    m = r.map(key, _CURRENCY, "currency codes like USD")
    if "USD" not in m.data:
        raise m.fail("USD", f"is missing; the USD {key} is required (the fallback)")
    return {c: m.num(c) for c in m.data}


def _parse(text: str, source: str) -> FeeSchedule:
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{source}: not valid TOML ({exc})", file=source) from None
    top = _Reader(source, "(top level)", data, SECTIONS)
    for name in SECTIONS:
        if name not in data:
            raise top.fail(name, f"section [{name}] is missing; required: {', '.join(SECTIONS)}")
    parsed = [_section(source, name, data[name]) for name in SECTIONS]
    sections = tuple(s for s, _ in parsed)
    for i, a in enumerate(sections):
        for b in sections[i + 1 :]:
            wild = "*" in a.venues or "*" in b.venues
            if a.asset_classes & b.asset_classes and (wild or a.venues & b.venues):
                problem = f"overlaps section [{a.name}]; one schedule per asset class and venue"
                raise _Reader(source, b.name, {}, ()).fail("venues", problem)
    return FeeSchedule(source=source, us_equity_plan=parsed[0][1] or "tiered", sections=sections)


def _tier(tiers: tuple[_Tier, ...], volume: Decimal) -> Mapping[str, Decimal]:
    for bound, rates in tiers:
        if bound is None or volume < bound:
            return rates
    return tiers[-1][1]


@dataclass(frozen=True, slots=True)
class _Filled:
    """What an order's earlier fills filled: quantity, and value in the schedule currency."""

    qty: Decimal
    value: Decimal
    commission_multiplier: Decimal = Decimal(1)

    def added(
        self,
        qty: Decimal,
        value: Decimal,
        fee: Callable[[Decimal, Decimal], Decimal],
        *,
        commission: bool = True,
        up: bool = False,
    ) -> Decimal:
        """The fee a fill of `qty` worth `value` adds to its order's: the order's fee with this
        fill, rounded, less its fee without it (nothing before the first fill). The fills of an
        order add up to what it would pay filled at once, however it is sliced (a sliver pays
        its share, not a cent rounded up or down of its own). A commission is scaled by the
        profile's multiplier, other fees are not; a regulatory fee rounds up to the cent."""
        scale = self.commission_multiplier if commission else Decimal(1)

        def order_fee(q: Decimal, v: Decimal) -> Decimal:
            return _round(fee(q, v) * scale, up) if q else Decimal(0)

        return order_fee(self.qty + qty, self.value + value) - order_fee(self.qty, self.value)


def _at_least(rate: Decimal, minimum: Decimal) -> Callable[[Decimal, Decimal], Decimal]:
    """A commission of `rate` times the trade value, at least `minimum`."""
    return lambda _qty, value: max(value * rate, minimum)


def _per_unit(rate: Decimal) -> Callable[[Decimal, Decimal], Decimal]:
    return lambda qty, _value: qty * rate


def _of_value(share: Decimal) -> Callable[[Decimal, Decimal], Decimal]:
    return lambda _qty, value: value * share


def _capped(fee: Decimal, minimum: Decimal, cap: Decimal) -> Decimal:
    """Charge at least the minimum, and never more than the cap (which also caps the minimum)."""
    return min(max(fee, minimum), cap)


def _round(amount: Decimal, up: bool = False) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_UP if up else ROUND_HALF_UP)


def _converted(amount: Decimal, factor: Decimal) -> Decimal:
    return amount if factor == 1 else (amount / factor).quantize(CONVERTED_PLACES)


def _positive(name: str, value: Decimal, *, zero_ok: bool = False) -> None:
    if not value.is_finite() or value < 0 or (value == 0 and not zero_ok):
        allowed = "a finite number >= 0" if zero_ok else "a finite number > 0"
        raise ValidationError(f"{name} {value} is not allowed; allowed: {allowed}", field=name)


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Fee schedules for every asset class and venue, loaded from a TOML file."""

    source: str
    us_equity_plan: str
    sections: tuple[_Section, ...]

    @classmethod
    def load(cls, path: Path | str | None = None) -> FeeSchedule:
        """Load and validate the packaged fee schedules, or the TOML file at `path`."""
        if path is None:
            resource = resources.files("vtrade.execution").joinpath("data/fees.toml")
            return _parse(resource.read_text(encoding="utf-8"), _PACKAGED)
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{source}: cannot read the file ({exc})", file=source) from None
        return _parse(text, source)

    def with_plan(self, plan: str) -> FeeSchedule:
        """Return a copy that prices US equities on the IB `fixed` or `tiered` plan."""
        if plan not in PLANS:
            raise ValidationError(
                f"unknown US equity plan {plan!r}; allowed: {', '.join(PLANS)}", plan=plan
            )
        return replace(self, us_equity_plan=plan)

    def quote(
        self,
        inst: Instrument,
        side: Side,
        qty: Decimal,
        price: Decimal,
        liquidity: Liquidity,
        ctx: FeeContext,
        usd_per_unit: Decimal,
    ) -> FeeQuote:
        """Price the fees of filling `qty` of `inst` at `price`, in its quote currency.

        `usd_per_unit` is the USD value of one unit of the quote currency; it converts schedules
        written in USD into the instrument's currency (USD quotes ignore it; pass 1).
        """
        _positive("qty", qty)
        _positive("price", price)
        _positive("usd_per_unit", usd_per_unit)
        for name in (
            *("month_shares", "month_notional_usd", "rolling_30d_usd"),
            *("order_filled_qty", "order_filled_notional", "commission_multiplier"),
            *("day_filled_qty", "day_filled_notional"),
        ):
            _positive(name, getattr(ctx, name), zero_ok=True)
        section = self._section_for(inst)
        if section is None:
            raise ValidationError(
                f"no fee schedule covers {inst.symbol} ({inst.asset_class.value} on {inst.venue}); "
                f"add the venue to a section of {self.source}",
                symbol=inst.symbol,
            )
        factor = self._factor(section.currency, inst, usd_per_unit)
        value = qty * price * inst.multiplier * factor  # trade value in the schedule currency
        usd_rate = usd_per_unit / factor  # USD per unit of the schedule currency
        before = _Filled(
            ctx.order_filled_qty,
            ctx.order_filled_notional * inst.multiplier * factor,
            ctx.commission_multiplier,
        )
        today = _Filled(ctx.day_filled_qty, ctx.day_filled_notional * inst.multiplier * factor)
        items = self._components(
            section, inst, side, qty, value, liquidity, ctx, usd_rate, before, today
        )
        # charged to the cent in the schedule's currency; converted into the quote currency
        # to 1e-6, not rounded to its cent again, so the account (VCR, the dollar) pays a
        # dollar schedule's amount: a USD 2.00 minimum on EUR/GBP was 1.53 GBP, 2.01 VCR
        breakdown = tuple(
            (name, _converted(_round(amount, name in _ROUNDED_UP), factor))
            for name, amount in items
        )
        return FeeQuote(total=sum((a for _, a in breakdown), Decimal(0)), breakdown=breakdown)

    def check_covers(self, instruments: Iterable[Instrument]) -> None:
        """Refuse, as a `DataError` naming the file, a schedule that leaves an instrument of
        the catalog without a section, or with one whose currency cannot be converted into
        the instrument's: its first fill would fail, and with it every command after it. A
        per-symbol override naming no instrument the section prices (a typo) is refused too: it
        would never apply."""
        instruments = list(instruments)
        for inst in instruments:
            section = self._section_for(inst)
            if section is None:
                raise DataError(
                    f"{self.source}: no section covers {inst.symbol} ({inst.asset_class.value} "
                    f"on {inst.venue}); add its venue or asset class to a section",
                    file=self.source,
                )
            if not _convertible(section.currency, inst):
                raise DataError(
                    f"{self.source}, section [{section.name}]: currency {section.currency!r} "
                    f"cannot be converted into the quote currency of {inst.symbol} "
                    f'({inst.currency}); allowed: "quote", "USD" or "{_own_currency(inst)}"',
                    file=self.source,
                    section=section.name,
                    key="currency",
                )

        self._check_overrides({inst.symbol.upper(): inst for inst in instruments})

    def _check_overrides(self, by_symbol: Mapping[str, Instrument]) -> None:
        for section in self.sections:
            for key in section.tables:
                if not key.startswith("symbols."):
                    continue
                symbol = key.removeprefix("symbols.")
                inst = by_symbol.get(symbol)
                pricing = None if inst is None else self._section_for(inst)
                if pricing is section:
                    continue
                why = (
                    "names no instrument of the catalog"
                    if pricing is None
                    else f"is priced by section [{pricing.name}], not this one"
                )
                raise DataError(
                    f"{self.source}, section [{section.name}.symbols]: {symbol} {why}; an "
                    "override applies only to a symbol of the catalog its section prices",
                    file=self.source,
                    section=f"{section.name}.symbols",
                    key=symbol,
                )

    def _section_for(self, inst: Instrument) -> _Section | None:
        return next((s for s in self.sections if s.covers(inst)), None)

    @staticmethod
    def _factor(currency: str, inst: Instrument, usd_per_unit: Decimal) -> Decimal:
        """Return the schedule-currency value of one unit of the instrument's quote currency."""
        if currency in ("quote", inst.currency):
            return Decimal(1)
        if currency == "USD":
            return usd_per_unit
        if currency == _own_currency(inst):  # GBP for GBX
            return MINOR_UNITS[inst.currency][1]
        raise ValidationError(
            f"cannot convert a {currency} fee schedule into {inst.symbol}'s quote currency "
            f'{inst.currency}; use currency = "quote" or "USD"',
            symbol=inst.symbol,
        )

    def _components(
        self,
        s: _Section,
        inst: Instrument,
        side: Side,
        qty: Decimal,
        value: Decimal,
        liq: Liquidity,
        ctx: FeeContext,
        usd_rate: Decimal,
        before: _Filled,
        today: _Filled,
    ) -> list[tuple[str, Decimal]]:
        """List the unrounded fee components, in the schedule currency. A commission with a
        minimum is the order's commission so far less what its earlier fills paid; the
        regulatory fees on a sale, the order's on its trade date so far less what that day's
        earlier fills paid (`today`)."""
        v = s.values_on(ctx.trade_date)
        items: list[tuple[str, Decimal]] = []
        if s.name == "us_equity":
            plan = self.us_equity_plan
            tier = v if plan == "fixed" else _tier(s.tiers["tiered.tiers"], ctx.month_shares)
            rate = tier["fixed.per_share" if plan == "fixed" else "per_share"]
            minimum, max_of_value = v[f"{plan}.minimum"], v[f"{plan}.max_of_value"]

            def per_share(q: Decimal, val: Decimal) -> Decimal:
                return _capped(rate * q, minimum, val * max_of_value)

            items.append(("commission", before.added(qty, value, per_share)))
            if plan == "tiered":
                items += _tiered_pass_through(v, qty, value, before, per_share)
            if side is Side.SELL:
                sec_rate, taf_rate = v["sell.sec_fee_of_value"], v["sell.finra_taf_per_share"]
                taf_max = v["sell.finra_taf_max"]
                items += [
                    (
                        "sec_fee",
                        today.added(
                            qty, value, lambda _q, v: v * sec_rate, commission=False, up=True
                        ),
                    ),
                    (
                        "finra_taf",
                        today.added(
                            qty,
                            value,
                            lambda q, _v: min(q * taf_rate, taf_max),
                            commission=False,
                            up=True,
                        ),
                    ),
                ]
        elif s.name == "uk_equity":
            items += _uk_components(s, v, inst, side, qty, value, before)
        elif s.name == "crypto":
            rates = _tier(s.tiers["tiers"], ctx.rolling_30d_usd)
            bps = rates["maker_bps" if liq is Liquidity.MAKER else "taker_bps"]
            items.append(("commission", before.added(qty, value, lambda _q, val: val * bps * _BP)))
        elif s.name == "fx":
            rates = _tier(s.tiers["tiers"], ctx.month_notional_usd)
            commission = _at_least(rates["rate_bps"] * _BP, rates["minimum"])
            items.append(("commission", before.added(qty, value, commission)))
        elif s.name == "futures":
            rates = {**v, **s.tables.get(f"symbols.{inst.symbol.upper()}", {})}
            # on the order so far, as the others: harsh's 1.0625 a contract rounds once an order
            # (exchange and NFA fees are whole cents a contract, so any slicing adds them up)
            items += [
                (k, before.added(qty, value, _per_unit(rates[k]), commission=k == "commission"))
                for k in _FUTURES_KEYS
            ]
        else:  # index: amounts per currency; unlisted currencies use the USD one, converted
            currency = inst.currency if s.currency == "quote" else s.currency

            def amount(key: str) -> Decimal:
                table = s.tables[key]
                return table.get(currency, table["USD"] / usd_rate)

            rate, per_contract = v["rate_bps"] * _BP, amount("per_contract")
            minimum = amount("minimum")

            def commission(q: Decimal, val: Decimal) -> Decimal:
                return max(val * rate + q * per_contract, minimum)

            items.append(("commission", before.added(qty, value, commission)))
        return items


def _uk_components(
    s: _Section,
    rates: Mapping[str, Decimal],
    inst: Instrument,
    side: Side,
    qty: Decimal,
    value: Decimal,
    before: _Filled,
) -> list[tuple[str, Decimal]]:
    """Commission; on buys of shares (not ETFs) stamp duty and any foreign transaction tax
    (IAG.L: Spain's); for shares, the PTM levy once an order's value passes its threshold,
    either side. `rates`: the section's, in force on the trade date."""
    v = {**rates, **s.tables.get(f"symbols.{inst.symbol.upper()}", {})}
    rate, minimum = v["commission_of_value"], v["minimum"]
    items = [("commission", before.added(qty, value, _at_least(rate, minimum)))]
    taxes = ("stamp_duty", "financial_transaction_tax")
    for tax in taxes if side is Side.BUY and inst.asset_class is not AssetClass.ETF else ():
        share = v.get(f"{tax}_of_value", Decimal(0))
        if share:
            items.append((tax, before.added(qty, value, _of_value(share), commission=False)))
    levy, threshold = v["ptm_levy"], v["ptm_threshold"]
    if levy and inst.asset_class is not AssetClass.ETF:  # a fund is not under the Takeover Code
        once = before.added(
            qty, value, lambda _q, val: levy if val > threshold else Decimal(0), commission=False
        )
        if once:
            items.append(("ptm_levy", once))
    return items


def _tiered_pass_through(
    v: Mapping[str, Decimal],
    qty: Decimal,
    value: Decimal,
    before: _Filled,
    commission: Callable[[Decimal, Decimal], Decimal],
) -> list[tuple[str, Decimal]]:
    """IB Tiered's clearing, FINRA pass-through (a share of the commission) and CAT fees,
    each on the order so far, as its commission is."""
    clearing, clearing_max = v["tiered.clearing_per_share"], v["tiered.clearing_max_of_value"]
    share, cat = v["tiered.finra_pass_through_of_commission"], v["tiered.cat_fee_per_share"]
    scale = before.commission_multiplier

    def cleared(q: Decimal, val: Decimal) -> Decimal:
        return min(q * clearing, val * clearing_max)

    def passed(q: Decimal, val: Decimal) -> Decimal:
        return _round(commission(q, val) * scale) * share

    return [
        ("clearing_fee", before.added(qty, value, cleared, commission=False)),
        ("finra_pass_through", before.added(qty, value, passed, commission=False)),
        ("cat_fee", before.added(qty, value, lambda q, _v: q * cat, commission=False)),
    ]


def _own_currency(inst: Instrument) -> str:
    """The currency a schedule for `inst` may be written in besides USD: its quote currency,
    or the major unit of a minor one (GBP for GBX)."""
    return major_currency(inst.currency)


def _convertible(currency: str, inst: Instrument) -> bool:
    """Whether a schedule written in `currency` prices `inst` (see `FeeSchedule._factor`)."""
    return currency in ("quote", "USD", inst.currency, _own_currency(inst))
