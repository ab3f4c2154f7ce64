"""The instrument universe: load, validate and look up the instruments the simulator trades.

The universe ships as `vtrade/market/data/instruments.csv`, one instrument per row, and users
may point at their own file with the same columns. Loading is strict: every problem is reported
as a `DataError` naming the file, the line, the column and what is allowed, so a hand-edited
file fails loudly instead of producing a subtly wrong market. Blank lines and lines starting
with `#` are skipped.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TypeVar

from vtrade.core.errors import DataError, NotFoundError, ValidationError
from vtrade.domain.instruments import AssetClass, Instrument, MarketParams

COLUMNS: tuple[str, ...] = tuple(
    "symbol name asset_class venue calendar currency sector industry tick_size lot_size"
    " multiplier shortable marginable reference_price daily_volatility avg_daily_volume"
    " typical_spread_bps impact_gamma impact_alpha".split()
)
CALENDARS: tuple[str, ...] = tuple(
    "XNYS XNAS XLON XETR XTKS XHKG XPAR 24/7 FX GLOBEX GLOBEX_GRAINS GLOBEX_LIVESTOCK".split()
)
ASSET_CLASSES: tuple[str, ...] = tuple(a.value for a in AssetClass)
MINOR_UNITS: dict[str, tuple[str, Decimal]] = {"GBX": ("GBP", Decimal("0.01"))}
"""Currencies quoted in hundredths of a major currency (LSE quotes in pence)."""


def major_currency(code: str) -> str:
    """The currency `code` is a unit of: GBP for GBX (pence), itself otherwise."""
    return MINOR_UNITS.get(code, (code, Decimal(1)))[0]


_DECIMAL_COLUMNS = ("tick_size", "lot_size", "multiplier", "reference_price")
_FLOAT_COLUMNS = ("daily_volatility", "avg_daily_volume", "typical_spread_bps", "impact_gamma")
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./\-]*$")
_CODE = re.compile(r"^[A-Z0-9]{2,8}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_FX_SYMBOL = re.compile(r"^([A-Z]{3})/([A-Z]{3})$")
_PACKAGED = "vtrade/market/data/instruments.csv"

Conversion = tuple[str | None, bool, Decimal]
_N = TypeVar("_N", Decimal, float)


class _Row:
    """One CSV record being parsed; every error it raises names the file, line and column."""

    def __init__(self, source: str, line: int, values: dict[str, str]) -> None:
        self.source, self.line, self.values = source, line, values

    def fail(self, column: str, problem: str) -> DataError:
        return DataError(
            f"{self.source}, line {self.line}, column '{column}': {problem}",
            file=self.source,
            line=self.line,
            column=column,
        )

    def text(self, column: str) -> str:
        value = self.values[column].strip()
        if not value:
            raise self.fail(column, "is empty; a value is required")
        return value

    def match(self, column: str, pattern: re.Pattern[str], allowed: str) -> str:
        value = self.text(column)
        if not pattern.match(value):
            raise self.fail(column, f"{value!r} is not valid; allowed: {allowed}")
        return value

    def choice(self, column: str, allowed: Sequence[str]) -> str:
        value = self.text(column)
        if value not in allowed:
            raise self.fail(column, f"unknown value {value!r}; allowed: {', '.join(allowed)}")
        return value

    def boolean(self, column: str) -> bool:
        value = self.text(column).lower()
        if value not in ("true", "false"):
            raise self.fail(
                column, f"{self.values[column]!r} is not a boolean; allowed: true, false"
            )
        return value == "true"

    def positive(self, column: str, parse: Callable[[str], _N]) -> _N:
        value = self.text(column)
        try:
            result = parse(value)
            valid = math.isfinite(float(result)) and result > 0
        except (ValueError, ArithmeticError):
            valid = False
        if not valid:
            raise self.fail(column, f"{value!r} is not allowed; expected a positive number")
        return result


def _parse(row: _Row) -> Instrument:
    symbol = row.match("symbol", _SYMBOL, "letters, digits and . / - (e.g. AAPL, VOD.L, BTC-USD)")
    asset_class = AssetClass(row.choice("asset_class", ASSET_CLASSES))
    currency = row.match("currency", _CURRENCY, "a three-letter upper-case code (USD, GBX, EUR)")
    if asset_class is AssetClass.FX:
        pair = _FX_SYMBOL.match(symbol)
        if pair is None:
            raise row.fail("symbol", f"FX symbol {symbol!r} must look like BASE/QUOTE (EUR/USD)")
        if pair.group(2) != currency:
            raise row.fail("currency", f"{currency!r} must be the quote currency {pair.group(2)}")
    decimals = {column: row.positive(column, Decimal) for column in _DECIMAL_COLUMNS}
    floats = {column: row.positive(column, float) for column in _FLOAT_COLUMNS}
    tick, price = decimals["tick_size"], decimals["reference_price"]
    if price % tick != 0:
        raise row.fail("reference_price", f"{price} is not a multiple of tick_size {tick}")
    tick_bps = float(tick / price) * 1e4
    if floats["typical_spread_bps"] < tick_bps * (1 - 1e-9):
        raise row.fail(
            "typical_spread_bps",
            f"{floats['typical_spread_bps']:g} bp is below one tick ({tick_bps:.4g} bp)",
        )
    alpha = row.positive("impact_alpha", float)
    if not 0.5 <= alpha <= 1.0:
        raise row.fail("impact_alpha", f"{alpha:g} is out of range; allowed: 0.5 to 1.0")
    market = MarketParams(reference_price=price, impact_alpha=alpha, **floats)
    return Instrument(
        symbol=symbol,
        name=row.text("name"),
        asset_class=asset_class,
        venue=row.match("venue", _CODE, "an upper-case MIC or code (XNAS, ARCX, CRYPTO, FX)"),
        calendar=row.choice("calendar", CALENDARS),
        currency=currency,
        sector=row.text("sector"),
        industry=row.text("industry"),
        tick_size=tick,
        lot_size=decimals["lot_size"],
        multiplier=decimals["multiplier"],
        shortable=row.boolean("shortable"),
        marginable=row.boolean("marginable"),
        market=market,
    )


def _read(text: str, source: str) -> list[Instrument]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise DataError(f"{source}, line 1: the file is empty; expected a header row", file=source)
    names = [name.strip().lstrip("\ufeff") for name in header]
    missing = [c for c in COLUMNS if c not in names]
    extra = [c for c in names if c not in COLUMNS or names.count(c) > 1]
    if missing or extra:
        parts = [f"missing column(s) {', '.join(missing)}"] if missing else []
        parts += [f"unexpected column(s) {', '.join(dict.fromkeys(extra))}"] if extra else []
        raise DataError(
            f"{source}, line 1: {'; '.join(parts)}; expected columns: {','.join(COLUMNS)}",
            file=source,
            line=1,
        )
    instruments: list[Instrument] = []
    seen: dict[str, int] = {}
    for fields in reader:
        line = reader.line_num
        if not fields or not "".join(fields).strip() or fields[0].lstrip().startswith("#"):
            continue
        if len(fields) != len(names):
            raise DataError(
                f"{source}, line {line}: {len(fields)} fields, expected {len(names)}; "
                "quote values that contain commas",
                file=source,
                line=line,
            )
        row = _Row(source, line, dict(zip(names, fields, strict=True)))
        instrument = _parse(row)
        key = instrument.symbol.upper()
        if key in seen:
            raise row.fail(
                "symbol", f"duplicate symbol {instrument.symbol!r} (first on line {seen[key]})"
            )
        seen[key] = line
        instruments.append(instrument)
    return instruments


class Catalog:
    """An ordered, immutable set of instruments with case-insensitive lookup."""

    def __init__(self, instruments: Sequence[Instrument], source: str = "<memory>") -> None:
        """Index `instruments` (file order is kept) and check every currency converts to USD."""
        self._source = source
        self._items: tuple[Instrument, ...] = tuple(instruments)
        self._index: dict[str, int] = {}
        for position, instrument in enumerate(self._items):
            key = instrument.symbol.upper()
            if key in self._index:
                raise ValidationError(f"duplicate symbol {instrument.symbol!r} in {source}")
            self._index[key] = position
        self._fx = frozenset(i.symbol for i in self._items if i.asset_class is AssetClass.FX)
        self._conversions: dict[str, Conversion] = {}
        for currency in sorted(self.currencies()):
            conversion = self._resolve(currency)
            if conversion is None:
                raise DataError(
                    f"{source}: currency {currency} has no FX pair to convert it into USD; "
                    f"add {currency}/USD or USD/{currency} (asset_class fx)",
                    file=source,
                    currency=currency,
                )
            self._conversions[currency] = conversion

    @classmethod
    def load(cls, path: Path | str | None = None) -> Catalog:
        """Load and validate the packaged universe, or the CSV file at `path`."""
        if path is None:
            resource = resources.files("vtrade.market").joinpath("data/instruments.csv")
            source, text = _PACKAGED, resource.read_text(encoding="utf-8")
        else:
            source = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise DataError(
                    f"{source}: cannot read the file ({exc.strerror})", file=source
                ) from None
            except UnicodeDecodeError as exc:
                raise DataError(f"{source}: not UTF-8 text ({exc.reason})", file=source) from None
        return cls(_read(text, source), source)

    @property
    def source(self) -> str:
        """Return the file this catalog was loaded from."""
        return self._source

    @property
    def symbols(self) -> tuple[str, ...]:
        """Return every symbol in file order."""
        return tuple(i.symbol for i in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._items)

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and self._find(symbol) is not None

    def get(self, symbol: str) -> Instrument:
        """Return the instrument for `symbol` (any case), or raise `NotFoundError` with hints."""
        position = self._index.get(symbol) if type(symbol) is str else None  # the common case
        return self._items[self.index_of(symbol) if position is None else position]

    def index_of(self, symbol: str) -> int:
        """Return the stable position of `symbol`, for keying arrays by instrument."""
        if not isinstance(symbol, str):
            raise NotFoundError(self._unknown_message(symbol), symbol=symbol)
        position = self._index.get(symbol)  # already normalized: the common case
        if position is None:
            position = self._find(symbol)
        if position is None:
            raise NotFoundError(self._unknown_message(symbol), symbol=symbol)
        return position

    def _find(self, symbol: str) -> int | None:
        """The position of `symbol` in any case, a coin's also spelled BTC/USD (as Alpaca and
        most exchanges spell BTC-USD); None when unknown."""
        key = symbol.strip().upper()
        position = self._index.get(key)
        if position is None:
            dashed = self._index.get(key.replace("/", "-"))
            if dashed is not None and self._items[dashed].asset_class is AssetClass.CRYPTO:
                position = dashed
        return position

    def filter(
        self, asset_class: AssetClass | str | None = None, venue: str | None = None
    ) -> list[Instrument]:
        """Return the instruments of one asset class and/or venue, in file order."""
        wanted_class: AssetClass | None = None
        if asset_class is not None:
            try:
                wanted_class = AssetClass(str(asset_class).strip().lower())
            except ValueError:
                raise ValidationError(
                    f"unknown asset class {asset_class!r}; allowed: {', '.join(ASSET_CLASSES)}"
                ) from None
        wanted_venue: str | None = None
        if venue is not None:
            wanted_venue = venue.strip().upper()
            venues = sorted({i.venue for i in self._items})
            if wanted_venue not in venues:
                raise ValidationError(f"unknown venue {venue!r}; allowed: {', '.join(venues)}")
        return [
            i
            for i in self._items
            if (wanted_class is None or i.asset_class is wanted_class)
            and (wanted_venue is None or i.venue == wanted_venue)
        ]

    def currencies(self) -> set[str]:
        """Return the quote currencies used by the instruments."""
        return {i.currency for i in self._items}

    def usd_conversion(self, currency: str) -> Conversion:
        """Return (FX symbol, invert, scale) that turn an amount in `currency` into USD.

        USD amount = amount * scale * price, or amount * scale / price when `invert` is true;
        USD itself gives `(None, False, 1)`. Codes are case-sensitive (GBX is pence, GBP pounds).
        """
        code = currency.strip()
        conversion = self._conversions.get(code) or self._resolve(code)
        if conversion is None:
            known = sorted({"USD", *self._conversions, *(s[:3] for s in self._fx)})
            raise NotFoundError(
                f"no FX pair converts {currency!r} into USD; known currencies: {', '.join(known)}",
                currency=currency,
            )
        return conversion

    def _resolve(self, currency: str) -> Conversion | None:
        major, scale = MINOR_UNITS.get(currency, (currency, Decimal(1)))
        if major == "USD":
            return None, False, scale
        if f"{major}/USD" in self._fx:
            return f"{major}/USD", False, scale
        if f"USD/{major}" in self._fx:
            return f"USD/{major}", True, scale
        return None

    def _unknown_message(self, symbol: object) -> str:
        by_upper = {s.upper(): s for s in self.symbols}
        query = str(symbol).strip().upper()
        close = difflib.get_close_matches(query, list(by_upper), n=6, cutoff=0.6)
        prefixed = [s for s in by_upper if query and s.startswith(query)][:3]

        def rank(candidate: str) -> tuple[bool, float, int]:
            similarity = difflib.SequenceMatcher(None, query, candidate).ratio()
            shared = len(os.path.commonprefix([query, candidate]))
            return candidate.startswith(query), round(similarity, 6), shared

        matches = sorted(dict.fromkeys(prefixed + close), key=rank, reverse=True)[:3]
        hint = f"; did you mean {', '.join(by_upper[m] for m in matches)}?" if matches else ""
        return f"unknown symbol {str(symbol)!r}{hint} (see `vtrade instruments`)"
