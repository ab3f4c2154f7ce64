"""Replay the user's own OHLCV bars from CSV or Parquet files through the Feed protocol.

A file holds bars of one symbol (named by the `symbol` argument or the file stem) or of many (a
`symbol` column). Every row is checked; a malformed file raises `DataError` naming the file, the
row as a spreadsheet shows it (the header is row 1), the column and what is allowed.
"""

from __future__ import annotations

import gzip
import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vtrade.core.clock import NS_PER_DAY, NS_PER_SECOND, iso
from vtrade.core.errors import DataError, NotFoundError, ValidationError
from vtrade.core.money import decimals_of, round_to_increment
from vtrade.domain.market_data import Bar, Interval, Quote
from vtrade.market.bars import BarSeries, aggregate

EXTENSIONS = (".csv", ".csv.gz", ".parquet")
TIME_COLUMNS = ("timestamp", "time", "datetime", "date", "ts")
PRICE_COLUMNS = ("open", "high", "low", "close")
SIZE_FRACTION = 0.01
DEFAULT_TICK = Decimal("0.01")
_INTRADAY = (Interval.M1, Interval.M5, Interval.M15, Interval.H1)
_DAILY_SPACING = (20 * 3600 * NS_PER_SECOND, 4 * NS_PER_DAY)
_INT64_MAX = int(np.iinfo(np.int64).max)
_EPOCH_UNITS = ((1e11, NS_PER_SECOND), (1e14, 1_000_000), (1e17, 1_000), (float("inf"), 1))
_TIME_BOUNDS = (pd.Timestamp("1678-01-01", tz="UTC"), pd.Timestamp("2262-04-01", tz="UTC"))
_TIMES_ALLOWED = (
    "allowed: ISO 8601 (2024-03-15T14:30:00Z; naive means UTC), a date (2024-03-15) "
    "or integer epoch seconds, milliseconds, microseconds or nanoseconds"
)
_INTERVALS_ALLOWED = "allowed intervals: 1m, 5m, 15m, 1h, 1d (daily: median spacing 20h to 4 days)"
_REQUIRED = (
    "a time column (one of timestamp, time, datetime, date, ts), open, high, low, "
    "close; optional: volume, symbol"
)

Fail = Callable[[int, object, str, str], DataError]
_Input = tuple[pd.DataFrame, str, str | None]  # frame, source name, default symbol


@dataclass(frozen=True, slots=True)
class _Track:
    series: BarSeries
    tick: Decimal
    price_decimals: int
    volume_decimals: int
    spread_bps: Decimal


class ReplayFeed:
    """Serve recorded bars as quotes and bars at any instant, never looking ahead."""

    def __init__(
        self,
        series: Mapping[str, BarSeries],
        spreads_bps: Mapping[str, float] | None = None,
        tick_sizes: Mapping[str, Decimal] | None = None,
        default_spread_bps: float = 5.0,
        *,
        warnings: Sequence[str] = (),
    ) -> None:
        """Serve `series` (symbol -> native bars); quote with the given spreads and ticks."""
        spreads, ticks = dict(spreads_bps or {}), dict(tick_sizes or {})
        for what, names in (("spreads_bps", spreads), ("tick_sizes", ticks)):
            unknown = sorted(set(names) - set(series))
            if unknown:
                raise ValidationError(
                    f"{what} names unknown symbol(s) {', '.join(unknown)}; "
                    f"available: {_cut(', '.join(sorted(series)))}"
                )
        self._tracks: dict[str, _Track] = {}
        for symbol in sorted(series):
            bps = Decimal(str(spreads.get(symbol, default_spread_bps)))
            if not bps.is_finite() or bps < 0:
                raise ValidationError(f"spread for {symbol} is {bps} bps; allowed: a number >= 0")
            s = series[symbol]
            data_places = _decimals(np.concatenate([s.open, s.high, s.low, s.close]))
            tick = ticks.get(symbol)
            if tick is None:
                tick = (
                    DEFAULT_TICK if data_places is None else Decimal(1).scaleb(-max(2, data_places))
                )
            elif tick <= 0:
                raise ValidationError(f"tick size for {symbol} is {tick}; allowed: a number > 0")
            places = max(decimals_of(tick), data_places or 0)
            self._tracks[symbol] = _Track(s, tick, places, _decimals(s.volume) or 0, bps)
        self.warnings: tuple[str, ...] = tuple(warnings)
        self._cache: dict[tuple[str, Interval], BarSeries] = {}

    @classmethod
    def from_files(
        cls,
        paths: Sequence[Path | str],
        *,
        symbol: str | None = None,
        spreads_bps: Mapping[str, float] | None = None,
        tick_sizes: Mapping[str, Decimal] | None = None,
        default_spread_bps: float = 5.0,
    ) -> ReplayFeed:
        """Load bars from .csv, .csv.gz or .parquet files; raise DataError on a malformed file."""
        if not paths:
            raise ValidationError("no files given; pass at least one .csv, .csv.gz or .parquet")
        inputs = [(_read(Path(p)), Path(p).name, _stem(Path(p))) for p in paths]
        return cls._load(inputs, symbol, spreads_bps, tick_sizes, default_spread_bps)

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        symbol: str | None = None,
        *,
        source: str = "<frame>",
        spreads_bps: Mapping[str, float] | None = None,
        tick_sizes: Mapping[str, Decimal] | None = None,
        default_spread_bps: float = 5.0,
    ) -> ReplayFeed:
        """Load bars from a DataFrame laid out like a file; `source` names it in errors."""
        return cls._load(
            [(frame, source, None)], symbol, spreads_bps, tick_sizes, default_spread_bps
        )

    @classmethod
    def _load(cls, inputs: Sequence[_Input], symbol: str | None, *options: Any) -> ReplayFeed:
        """Check each input, merge the inputs per symbol and build the feed."""
        checked = [_normalize(f, src, symbol, stem, k) for k, (f, src, stem) in enumerate(inputs)]
        series = _assemble([c[0] for c in checked], [c[1] for c in checked])
        return cls(series, *options, warnings=[note for c in checked for note in c[2]])

    def symbols(self) -> Sequence[str]:
        """Return the symbols in the data, sorted."""
        return tuple(self._tracks)

    def interval(self, symbol: str) -> Interval:
        """Return the native interval of `symbol`'s data."""
        return self._track(symbol).series.interval

    def first_ns(self, symbol: str) -> int:
        """Return the start of `symbol`'s first bar."""
        return int(self._track(symbol).series.ts[0])

    def last_ns(self, symbol: str) -> int:
        """Return the start of `symbol`'s last bar (the data ends one interval later)."""
        return int(self._track(symbol).series.ts[-1])

    def bars(self, symbol: str, interval: Interval, start_ns: int, end_ns: int) -> BarSeries:
        """Return bars starting in [start_ns, end_ns), aggregated up from the native interval."""
        native = self._track(symbol).series
        if interval is native.interval:
            return native.window(start_ns, end_ns)
        if native.interval is Interval.D1 or interval.ns < native.interval.ns:
            coarser = [i.value for i in Interval if i.ns >= native.interval.ns]
            raise ValidationError(
                f"{symbol} data has {native.interval} bars, so {interval} bars cannot be built; "
                f"allowed: {', '.join(coarser)}"
            )
        key = (symbol, interval)
        if key not in self._cache:
            labels = native.ts - native.ts % NS_PER_DAY if interval is Interval.D1 else None
            self._cache[key] = aggregate(native, interval, labels)
        return self._cache[key].window(start_ns, end_ns)

    def quote(self, symbol: str, t_ns: int) -> Quote:
        """Return the quote at `t_ns` from the open of the bar in progress or the last close."""
        track = self._track(symbol)
        s, step = track.series, track.series.interval.ns
        first, end = int(s.ts[0]), int(s.ts[-1]) + step
        if not first <= t_ns <= end + step:
            raise ValidationError(
                f"no {symbol} quote at {iso(t_ns)}; the data covers {iso(first)} to "
                f"{iso(end)}, and quotes are allowed until {iso(end + step)}"
            )
        i = int(np.searchsorted(s.ts, t_ns, side="right")) - 1
        in_progress = t_ns < int(s.ts[i]) + step
        mid = Decimal(repr(float(s.open[i] if in_progress else s.close[i])))
        ended = i - 1 if in_progress else i  # the newest bar whose volume is already known
        volume = float(s.volume[ended]) if ended >= 0 else 0.0
        size = max(Decimal(1), Decimal(int(volume * SIZE_FRACTION)))
        half = mid * track.spread_bps / Decimal(20_000)
        bid = max(round_to_increment(mid - half, track.tick, "down"), track.tick)
        ask = max(round_to_increment(mid + half, track.tick, "up"), bid + track.tick)
        return Quote(symbol=symbol, ts_event=t_ns, bid=bid, ask=ask, bid_size=size, ask_size=size)

    def replay_events(
        self, start_ns: int, end_ns: int, symbols: Sequence[str] | None = None
    ) -> Iterator[Bar]:
        """Yield the native bars starting in [start_ns, end_ns) by time, then by symbol."""
        chosen = sorted(self._tracks if symbols is None else set(symbols))
        streams = []
        for name in chosen:
            track = self._track(name)
            part = track.series.window(start_ns, end_ns)
            streams.append(part.bars(track.price_decimals, track.volume_decimals))
        return heapq.merge(*streams, key=lambda bar: (bar.ts_start, bar.symbol))

    def _track(self, symbol: str) -> _Track:
        try:
            return self._tracks[symbol]
        except KeyError:
            available = _cut(", ".join(self._tracks))
            raise NotFoundError(
                f"unknown symbol {_show(symbol)}; available: {available}", symbol=symbol
            ) from None


def _read(path: Path) -> pd.DataFrame:
    """Read one file into a DataFrame, turning every reader failure into a DataError."""
    name = path.name.lower()
    if not name.endswith(EXTENSIONS):
        raise DataError(f"{path.name}: unsupported file type; allowed: {', '.join(EXTENSIONS)}")
    kind = "Parquet" if name.endswith(".parquet") else "CSV"
    try:
        if kind == "Parquet":
            return pd.read_parquet(path)
        opener: Any = gzip.open if name.endswith(".gz") else open
        with opener(path, "rb") as handle:
            if b"\x00" in handle.read(65_536):
                raise DataError(f"{path.name}: binary content; allowed: CSV text with {_REQUIRED}")
        return pd.read_csv(
            path, dtype=str, skipinitialspace=True, keep_default_na=False, na_values=[""]
        )
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name}: the file is empty; expected a header row and bars") from None
    except Exception as exc:  # readers raise many types; the user needs one clear message
        raise DataError(f"{path.name}: cannot read as {kind}: {_show(exc, 120)}") from None


def _normalize(
    frame: pd.DataFrame, source: str, symbol: str | None, stem: str | None, index: int
) -> tuple[pd.DataFrame, tuple[str, str], list[str]]:
    """Check every row of one file and return its bars in canonical columns."""
    if len(frame) == 0:
        raise DataError(f"{source}: the file has no data rows; expected a header row and bars")
    frame = frame.reset_index(drop=True)
    names = {str(c).strip().lower(): c for c in frame.columns}
    times = [n for n in TIME_COLUMNS if n in names]
    missing = [c for c in PRICE_COLUMNS if c not in names] + ([] if times else ["time column"])
    if missing:
        found = _cut(", ".join(repr(str(c)) for c in frame.columns))
        raise DataError(
            f"{source}: missing {', '.join(missing)}; found: {found}; required: {_REQUIRED}"
        )
    if len(times) > 1:
        both = ", ".join(str(names[t]) for t in times)
        raise DataError(f"{source}: several time columns ({both}); allowed: exactly one")

    def fail(i: int, column: object, what: str, allowed: str) -> DataError:
        return DataError(f"{source} row {i + 2}, column {str(column)!r}: {what}; {allowed}")

    tcol = names[times[0]]
    out = pd.DataFrame({"ts": _parse_times(frame[tcol], tcol, fail)})
    for col in PRICE_COLUMNS:
        out[col] = _numbers(frame[names[col]], names[col], fail, positive=True)
    notes = []
    if "volume" in names:
        out["volume"] = _numbers(frame[names["volume"]], names["volume"], fail, positive=False)
    else:
        out["volume"] = 0.0
        notes.append(f"{source}: no volume column; volumes set to 0")
    o, h, lo, c = (out[k].to_numpy() for k in PRICE_COLUMNS)
    for col, bad, what in (
        ("high", h < np.maximum(o, c), "high {} is below max(open, close) {}"),
        ("low", lo > np.minimum(o, c), "low {} is above min(open, close) {}"),
    ):
        if bad.any():
            i = _first(bad)
            limit = max(o[i], c[i]) if col == "high" else min(o[i], c[i])
            text = what.format(_show(out[col][i]), _show(limit))
            raise fail(i, names[col], text, "allowed: low <= open, close <= high")
    if "symbol" in names:
        syms = frame[names["symbol"]].astype(str).str.strip().str.upper()
        blank = (frame[names["symbol"]].isna() | (syms == "")).to_numpy()
        if blank.any():
            raise fail(_first(blank), names["symbol"], "empty", "allowed: a name")
        out["symbol"] = syms.to_numpy()
    elif symbol or stem:
        out["symbol"] = symbol or stem
    else:
        raise DataError(f"{source}: no symbol column; pass symbol= or add a 'symbol' column")
    out["_src"], out["_row"] = index, np.arange(len(out)) + 2
    if symbol and "symbol" in names:
        out = out[out["symbol"] == symbol.upper()]
        if out.empty:
            found = _cut(", ".join(sorted(set(syms))))
            raise DataError(f"{source}: no rows for symbol {_show(symbol)}; found: {found}")
    return out, (source, str(tcol)), notes


def _parse_times(col: pd.Series, name: object, fail: Fail) -> np.ndarray:
    """Convert a time column to int64 ns since the epoch, UTC."""
    nulls = col.isna().to_numpy()
    if nulls.any():
        raise fail(_first(nulls), name, "missing time", _TIMES_ALLOWED)
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        text = col.astype(np.int64).astype(str) if col.dtype.kind in "iu" else col.astype(str)
    elif pd.api.types.is_datetime64_any_dtype(col):
        text = None
    else:
        text = col.astype(str).str.strip()
    if text is not None and text.str.fullmatch(r"\d+").all() and (text.str.len() != 8).any():
        values = pd.to_numeric(text).to_numpy()  # eight digits are dates: 20240315
        top = int(values.max())
        scale = next(unit for bound, unit in _EPOCH_UNITS if top < bound)
        if values.dtype != np.int64 or top > _INT64_MAX // scale:
            i = int(np.argmax(values))
            raise fail(i, name, f"epoch {_show(text[i])} is past 2262", _TIMES_ALLOWED)
        return np.asarray(values, dtype=np.int64) * scale
    parsed = pd.to_datetime(
        col if text is None else text, utc=True, format="ISO8601", errors="coerce"
    )
    bad = (parsed.isna() | (parsed < _TIME_BOUNDS[0]) | (parsed > _TIME_BOUNDS[1])).to_numpy()
    if bad.any():
        i = _first(bad)
        shown = _show(col[i] if text is None else text[i])
        raise fail(i, name, f"cannot read {shown} as a time in 1678-2262", _TIMES_ALLOWED)
    return np.asarray(parsed.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]").view(np.int64))


def _numbers(col: pd.Series, name: object, fail: Fail, *, positive: bool) -> np.ndarray:
    """Convert a price (> 0) or volume (>= 0) column to float64."""
    text = col if pd.api.types.is_numeric_dtype(col) else col.astype(str).str.strip()
    values: np.ndarray = pd.to_numeric(text, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    allowed = "allowed: a number > 0" if positive else "allowed: a number >= 0 (or no column)"
    bad = ~np.isfinite(values) | col.isna().to_numpy() | (values <= 0 if positive else values < 0)
    if bad.any():
        i = _first(bad)
        what = "a positive" if positive else "a non-negative"
        shown = "the empty cell" if pd.isna(col[i]) else _show(col[i])
        raise fail(i, name, f"{shown} is not {what} number", allowed)
    return values


def _assemble(parts: list[pd.DataFrame], sources: list[tuple[str, str]]) -> dict[str, BarSeries]:
    """Merge checked rows per symbol: sort, infer the interval, align and reject duplicates."""
    data = pd.concat(parts, ignore_index=True)
    result: dict[str, BarSeries] = {}
    for symbol, group in data.groupby("symbol", sort=True):
        g = group.sort_values("ts", kind="stable")
        src, rows = g["_src"].to_numpy(), g["_row"].to_numpy()
        ts = g["ts"].to_numpy(dtype=np.int64)
        where = partial(_where, sources, src, rows)
        _unique(ts, str(symbol), where)
        interval = _infer(ts, str(symbol), {sources[k][0] for k in src})
        if interval is Interval.D1:
            ts = ts - ts % NS_PER_DAY
            _unique(ts, str(symbol), where)
        else:
            off = np.flatnonzero(ts % interval.ns)
            if off.size:
                i = int(off[0])
                raise DataError(
                    f"{where(i)}: {iso(int(ts[i]))} is not on the {interval} grid of {symbol}; "
                    f"allowed: times on UTC multiples of {interval}"
                )
        cols = [g[k].to_numpy(dtype=np.float64) for k in (*PRICE_COLUMNS, "volume")]
        result[str(symbol)] = BarSeries(str(symbol), interval, ts, *cols)
    return result


def _where(sources: list[tuple[str, str]], src: np.ndarray, rows: np.ndarray, i: int) -> str:
    return f"{sources[src[i]][0]} row {rows[i]}, column {sources[src[i]][1]!r}"


def _unique(ts: np.ndarray, symbol: str, where: Callable[[int], str]) -> None:
    dup = np.flatnonzero(ts[1:] == ts[:-1])
    if dup.size:
        i = int(dup[0]) + 1
        raise DataError(
            f"{where(i)}: duplicate time {iso(int(ts[i]))} for {symbol} (also {where(i - 1)}); "
            "allowed: one bar per symbol and time (one per date for daily bars)"
        )


def _infer(ts: np.ndarray, symbol: str, files: set[str]) -> Interval:
    """Infer the interval from the (lower) median spacing of sorted timestamps."""
    where = ", ".join(sorted(files))
    if len(ts) < 2:
        if ts[0] % NS_PER_DAY == 0:
            return Interval.D1
        raise DataError(
            f"{where}: {symbol} has one bar, at {iso(int(ts[0]))}, so its interval cannot be "
            "inferred; allowed: two or more bars, or one daily bar at midnight"
        )
    gaps = np.sort(np.diff(ts))
    spacing = int(gaps[(len(gaps) - 1) // 2])
    if _DAILY_SPACING[0] <= spacing <= _DAILY_SPACING[1]:
        return Interval.D1
    for interval in _INTRADAY:
        if spacing == interval.ns:
            return interval
    seconds = spacing / NS_PER_SECOND
    raise DataError(f"{where}: bars of {symbol} are {seconds:g}s apart; {_INTERVALS_ALLOWED}")


def _decimals(values: np.ndarray, cap: int = 8) -> int | None:
    """Return the fewest decimal places that write all `values`, or None past `cap`."""
    for places in range(cap + 1):
        scaled = values * 10.0**places
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
            return places
    return None


def _first(mask: Any) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def _stem(path: Path) -> str:
    return path.name[: -len(next(e for e in EXTENSIONS if path.name.lower().endswith(e)))].upper()


def _show(value: object, limit: int = 40) -> str:
    """Quote a value for a message, cut to `limit` characters."""
    text = str(value)
    return repr(text) if len(text) <= limit else repr(text[:limit]) + _cut(text, 0)


def _cut(text: str, limit: int = 200) -> str:
    """Cut a long list for a message, saying how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
