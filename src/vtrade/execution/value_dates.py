"""FX value dates: the spot date of a currency pair, counted on its currencies' settlement
calendars, and so the days a position is financed for at each 17:00 New York rollover.

Spot follows the interbank convention, as ObjectLab Kit's "Currency Date Calculation"
(CurrencyDateCalculator, checked with London FX), London FX's "Value dates" notes, QuantLib's
FxSwapRateHelper and Interactive Brokers' "Currency settlement holidays" describe it:
- spot is two business days after the trade date, one for USD against CAD, TRY, RUB or PHP; a
  cross takes the later of its legs' (EUR/CAD: two);
- each currency counts its own business days: a holiday of one currency does not stop the
  other's count. USD counts every weekday: a USD holiday the day after the trade does not delay
  spot (EUR/USD traded on Wednesday 25 November 2026 is spot on Friday 27, Thanksgiving between
  them), except for MXN, whose first day must settle in USD too (ARS and CLP as well);
- the value date is the later of the two counts, moved forward to the first day that settles
  in both currencies and in USD, for a cross too (EUR/GBP does not settle on 4 July);
- the trade date is not adjusted: a pair traded on a holiday of one of its currencies (FX trades
  on every weekday but 25 December and 1 January) counts from that day.
So EUR/USD traded on Tuesday 24 November 2026 is spot on Friday 27, not on Thanksgiving, as is
Wednesday's: Monday's roll finances two days, Tuesday's none. ObjectLab's published examples
are among the tests. A joint calendar (Strata's FX conventions, a business day of both
currencies and of USD at every step) would make that Wednesday's spot Monday 30.

The currencies' settlement calendars are the `holidays` package's, offline (its rules ship
with it), named by `data/settlement_calendars.toml` to match the ISDA business centres Strata
publishes and each central bank's payment system: the Federal Reserve's for USD, TARGET2's
for EUR, England's bank holidays for GBP, ... A currency not named there settles on every
weekday but 1 January. Not modelled: a pair's own exceptions (SAR and JOD's Friday-to-Sunday
weekend, NZD/USD rolling at 7:00 in Auckland), a settlement system's early close, and the
holidays a government declares after the package's release.

A value date depends only on the dates and the packages' versions (no clock is read), and is
cached: the rollover asks for it for every account's pairs on each trading day.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

import holidays

from vtrade.core.money import is_currency_code
from vtrade.market.sessions_build import fx_trading_day

CALENDARS_FILE = "settlement_calendars.toml"
USD = "USD"
NEXT_DAY_SPOT = frozenset({"CAD", "TRY", "RUB", "PHP"})  # spot against USD is T+1
USD_FIRST_DAY = frozenset({"MXN", "ARS", "CLP"})  # their first day must settle in USD too
_ONE_DAY = timedelta(days=1)
_KEYS = ("market", "country", "subdiv", "categories")


@dataclass(frozen=True, slots=True)
class HolidaySource:
    """A calendar of the `holidays` package: a financial market's (`market`, e.g. XFED) or a
    country's (`country`, with a subdivision and categories, or the nation's public ones)."""

    market: str | None = None
    country: str | None = None
    subdiv: str | None = None
    categories: tuple[str, ...] = ()

    def holidays(self, year: int) -> frozenset[date]:
        """The source's holidays in `year`."""
        if self.market is not None:
            found = holidays.financial_holidays(self.market, years=year, expand=False)
        else:
            assert self.country is not None
            found = holidays.country_holidays(
                self.country,
                subdiv=self.subdiv,
                years=year,
                expand=False,
                categories=self.categories or None,
            )
        return frozenset(found)


def checked_calendars(table: object, source: str) -> dict[str, tuple[HolidaySource, ...]]:
    """Return the `[calendar]` table of `source`, each currency's list of holiday sources,
    refusing what is not a currency code or a calendar the `holidays` package has."""
    if not isinstance(table, dict):
        raise ValueError(f"no [calendar] table in {source}: it names each currency's calendars")
    calendars: dict[str, tuple[HolidaySource, ...]] = {}
    for currency, sources in table.items():
        where = f"calendar of {currency} in {source}"
        if not is_currency_code(currency):
            raise ValueError(f"calendar currency {currency!r} in {source}: use a code like USD")
        if not isinstance(sources, list) or not sources:
            raise ValueError(f'{where}: give a list of sources, e.g. [{{ market = "XFED" }}]')
        calendars[currency] = tuple(_checked_source(entry, where) for entry in sources)
    return calendars


def _checked_source(entry: object, where: str) -> HolidaySource:
    if not isinstance(entry, dict):
        raise ValueError(f'{where}: {entry!r} is not a table like {{ country = "GB" }}')
    unknown = set(entry) - set(_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key {min(unknown)!r}; allowed: {', '.join(_KEYS)}")
    if ("market" in entry) == ("country" in entry):
        raise ValueError(f"{where}: each source names a market or a country, not {entry!r}")
    texts = {k: v for k, v in entry.items() if k != "categories"}
    categories = entry.get("categories", [])
    if not all(isinstance(v, str) for v in texts.values()) or not (
        isinstance(categories, list) and all(isinstance(c, str) for c in categories)
    ):
        raise ValueError(f"{where}: {entry!r} needs text, and categories as a list of text")
    if "market" in entry:
        return _checked_market(entry, where)
    country, subdiv = entry["country"], entry.get("subdiv")
    subdivisions = holidays.list_supported_countries().get(country)
    if subdivisions is None:
        raise ValueError(f"{where}: the holidays package has no country {country!r}")
    if subdiv is not None and subdiv not in subdivisions:
        raise ValueError(
            f"{where}: {country} has no subdivision {subdiv!r}; allowed: {', '.join(subdivisions)}"
        )
    allowed = holidays.country_holidays(country).supported_categories
    for category in categories:
        if category not in allowed:
            raise ValueError(
                f"{where}: {country} has no category {category!r}; allowed: {', '.join(allowed)}"
            )
    return HolidaySource(country=country, subdiv=subdiv, categories=tuple(categories))


def _checked_market(entry: dict[str, object], where: str) -> HolidaySource:
    market = entry["market"]
    if set(entry) != {"market"}:
        raise ValueError(f"{where}: a market's calendar takes no subdiv or categories")
    if market not in holidays.list_supported_financial():
        raise ValueError(
            f"{where}: the holidays package has no financial calendar {market!r} (e.g. XFED, "
            "XECB, XTSE)"
        )
    return HolidaySource(market=str(market))


@functools.cache
def packaged_calendars() -> Mapping[str, tuple[HolidaySource, ...]]:
    """Each currency's settlement calendar, as `data/settlement_calendars.toml` names it."""
    path = resources.files("vtrade.execution").joinpath(f"data/{CALENDARS_FILE}")
    return checked_calendars(tomllib.loads(path.read_text()).get("calendar"), CALENDARS_FILE)


@functools.cache
def _holidays(currency: str, year: int) -> frozenset[date]:
    """The weekdays and weekend days of `year` on which `currency` does not settle."""
    sources = packaged_calendars().get(currency)
    if sources is None:  # no calendar: 1 January only
        return frozenset({date(year, 1, 1)})
    return frozenset().union(*(source.holidays(year) for source in sources))


def settles(currency: str, day: date) -> bool:
    """Whether payments in `currency` settle on `day`: a weekday not among its holidays."""
    return day.weekday() < 5 and day not in _holidays(currency, day.year)


def spot_lag(base: str, quote: str) -> int:
    """The business days from trade to spot: 1 for USD against CAD, TRY, RUB or PHP, else 2."""
    pair = {base, quote}
    return 1 if USD in pair and pair & NEXT_DAY_SPOT else 2


@functools.lru_cache(maxsize=1 << 14)
def spot_date(base: str, quote: str, trade_date: date) -> date:
    """The spot value date of the pair `base`/`quote` traded on `trade_date`."""
    lag = spot_lag(base, quote)
    value = max(_counted(currency, trade_date, lag) for currency in (base, quote))
    while not all(settles(currency, value) for currency in (base, quote, USD)):
        value += _ONE_DAY
    return value


def _counted(currency: str, trade_date: date, lag: int) -> date:
    """The `lag`th day after `trade_date` that counts for `currency`: its business days, a
    weekday for USD (its holidays stop only the value date itself)."""
    day = trade_date
    while lag:
        day += _ONE_DAY
        if currency == USD:
            lag -= day.weekday() < 5
        else:
            lag -= settles(currency, day) and (currency not in USD_FIRST_DAY or settles(USD, day))
    return day


@functools.lru_cache(maxsize=1 << 14)
def rolled_days(base: str, quote: str, trade_date: date) -> int:
    """The days a position in `base`/`quote` is financed for at the rollover that ends the FX
    trading day `trade_date`: from its spot date to the next trading day's (0 when both
    settle on the same day)."""
    following = trade_date + _ONE_DAY
    while not fx_trading_day(following):
        following += _ONE_DAY
    return (spot_date(base, quote, following) - spot_date(base, quote, trade_date)).days
