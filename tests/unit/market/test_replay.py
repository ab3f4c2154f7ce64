"""Replay feed: loading the user's OHLCV files, validation messages, aggregation and quotes."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrade.core.clock import NS_PER_DAY, NS_PER_MINUTE, NS_PER_SECOND, parse_instant, to_ns
from vtrade.core.errors import DataError, NotFoundError, ValidationError
from vtrade.domain.market_data import Bar, Interval
from vtrade.market.replay import ReplayFeed

T0 = "2024-03-15T14:30:00Z"
T0_NS = to_ns(parse_instant(T0))
T1 = "2024-03-15T14:31:00Z"
HEADER = "timestamp,open,high,low,close,volume"


def minute_frame(n: int = 180, start: str = T0, step_min: int = 1, seed: int = 7) -> pd.DataFrame:
    """Return `n` valid bars `step_min` minutes apart with two-decimal prices."""
    rng = np.random.default_rng(seed)
    closes = np.round(100 + np.cumsum(rng.normal(0, 0.2, n)), 2)
    opens = np.round(np.r_[100.0, closes[:-1]], 2)
    highs = np.round(np.maximum(opens, closes) + rng.uniform(0, 0.3, n), 2)
    lows = np.round(np.minimum(opens, closes) - rng.uniform(0, 0.3, n), 2)
    times = pd.date_range(start, periods=n, freq=f"{step_min}min")
    return pd.DataFrame(
        {
            "timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "open": opens,
            "high": highs,
            "low": lows,
            "close": closes,
            "volume": rng.integers(100, 5000, n),
        }
    )


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def load_error(path: Path) -> str:
    with pytest.raises(DataError) as caught:
        ReplayFeed.from_files([path])
    return str(caught.value)


def assert_same_series(a: object, b: object) -> None:
    for field in ("symbol", "interval"):
        assert getattr(a, field) == getattr(b, field)
    for field in ("ts", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


# --- loading -------------------------------------------------------------------------------


def test_csv_csv_gz_and_parquet_of_the_same_bars_give_identical_bars(tmp_path: Path) -> None:
    frame = minute_frame()
    frame.to_csv(tmp_path / "aapl.csv", index=False)
    with gzip.open(tmp_path / "aapl.csv.gz", "wt") as handle:
        frame.to_csv(handle, index=False)
    frame.to_parquet(tmp_path / "aapl.parquet")
    feeds = [ReplayFeed.from_files([tmp_path / n]) for n in ("aapl.csv", "aapl.csv.gz")]
    feeds.append(ReplayFeed.from_files([str(tmp_path / "aapl.parquet")]))
    series = [f.bars("AAPL", Interval.M1, 0, 2**62) for f in feeds]
    assert len(series[0]) == 180
    for other in series[1:]:
        assert_same_series(series[0], other)
    events = [list(f.replay_events(0, 2**62)) for f in feeds]
    assert events[0] == events[1] == events[2]


def test_parquet_with_native_datetime_and_date_columns_loads(tmp_path: Path) -> None:
    frame = minute_frame(10)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame.to_parquet(tmp_path / "spy.parquet")
    daily = minute_frame(5).assign(date=pd.date_range("2024-03-11", periods=5).date)
    daily.drop(columns="timestamp").to_parquet(tmp_path / "qqq.parquet")
    feed = ReplayFeed.from_files([tmp_path / "spy.parquet", tmp_path / "qqq.parquet"])
    assert feed.first_ns("SPY") == T0_NS
    assert feed.interval("QQQ") is Interval.D1
    assert feed.first_ns("QQQ") == to_ns(parse_instant("2024-03-11"))


def test_multi_symbol_file_serves_each_symbol_separately(tmp_path: Path) -> None:
    a, b = minute_frame(30, seed=1), minute_frame(6, step_min=5, seed=2)
    both = pd.concat([a.assign(Symbol="msft"), b.assign(Symbol="NVDA")]).sample(
        frac=1, random_state=3
    )
    both.to_csv(tmp_path / "mixed.csv", index=False)
    feed = ReplayFeed.from_files([tmp_path / "mixed.csv"])
    assert feed.symbols() == ("MSFT", "NVDA")
    assert (feed.interval("MSFT"), feed.interval("NVDA")) == (Interval.M1, Interval.M5)
    msft = feed.bars("MSFT", Interval.M1, 0, 2**62)
    np.testing.assert_array_equal(msft.close, a["close"].to_numpy())
    only = ReplayFeed.from_files([tmp_path / "mixed.csv"], symbol="nvda")
    assert only.symbols() == ("NVDA",)


def test_symbol_is_the_argument_or_else_the_upper_cased_file_stem(tmp_path: Path) -> None:
    minute_frame(5).to_csv(tmp_path / "brk.b.csv.gz", index=False, compression="gzip")
    assert ReplayFeed.from_files([tmp_path / "brk.b.csv.gz"]).symbols() == ("BRK.B",)
    named = ReplayFeed.from_files([tmp_path / "brk.b.csv.gz"], symbol="BRK-B")
    assert named.symbols() == ("BRK-B",)


def test_columns_match_case_insensitively_and_unsorted_rows_are_sorted(tmp_path: Path) -> None:
    frame = minute_frame(20).iloc[::-1]
    frame.columns = ["DateTime", "Open", "HIGH", "low", "Close", "Volume"]
    frame.to_csv(tmp_path / "x.csv", index=False, encoding="utf-8-sig")  # Excel writes a BOM
    ts = ReplayFeed.from_files([tmp_path / "x.csv"]).bars("X", Interval.M1, 0, 2**62).ts
    assert list(ts) == sorted(ts) and ts[0] == T0_NS


def test_missing_volume_column_gives_zero_volume_and_a_warning(tmp_path: Path) -> None:
    minute_frame(5).drop(columns="volume").to_csv(tmp_path / "novol.csv", index=False)
    feed = ReplayFeed.from_files([tmp_path / "novol.csv"])
    assert not feed.bars("NOVOL", Interval.M1, 0, 2**62).volume.any()
    assert len(feed.warnings) == 1 and "volume" in feed.warnings[0]
    assert feed.quote("NOVOL", T0_NS + 3 * NS_PER_MINUTE).bid_size == 1


def test_naive_times_are_utc_and_aware_times_are_converted_to_utc(tmp_path: Path) -> None:
    text = f"{HEADER}\n2024-03-15 14:30:00,1,1,1,1,1\n2024-03-15T10:31:00-04:00,1,1,1,1,1\n"
    feed = ReplayFeed.from_files([write_csv(tmp_path / "tz.csv", text)])
    assert list(feed.bars("TZ", Interval.M1, 0, 2**62).ts) == [T0_NS, T0_NS + NS_PER_MINUTE]


@pytest.mark.parametrize("unit", [NS_PER_SECOND, 1_000_000, 1])
def test_integer_epoch_seconds_milliseconds_and_nanoseconds_are_detected(
    tmp_path: Path, unit: int
) -> None:
    rows = [f"{(T0_NS + i * NS_PER_MINUTE) // unit},10,11,9,10.5,100" for i in range(3)]
    feed = ReplayFeed.from_files([write_csv(tmp_path / "ep.csv", "\n".join([HEADER, *rows]))])
    assert feed.first_ns("EP") == T0_NS
    assert feed.interval("EP") is Interval.M1


# --- interval inference --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step_min", "interval"),
    [(1, Interval.M1), (5, Interval.M5), (15, Interval.M15), (60, Interval.H1)],
)
def test_intraday_interval_is_inferred_from_median_spacing_despite_gaps(
    tmp_path: Path, step_min: int, interval: Interval
) -> None:
    frame = minute_frame(40, start="2024-03-15T14:00:00Z", step_min=step_min)
    frame = frame.drop(index=[5, 6, 7, 20])  # gaps are fine
    frame.to_csv(tmp_path / "g.csv", index=False)
    assert ReplayFeed.from_files([tmp_path / "g.csv"]).interval("G") is interval


def test_weekday_daily_bars_with_weekend_gaps_are_daily_and_labelled_midnight_utc(
    tmp_path: Path,
) -> None:
    days = pd.bdate_range("2024-03-01", periods=15)
    frame = minute_frame(15).assign(timestamp=days.strftime("%Y-%m-%d"))
    frame.to_csv(tmp_path / "d.csv", index=False)
    feed = ReplayFeed.from_files([tmp_path / "d.csv"])
    assert feed.interval("D") is Interval.D1
    ts = feed.bars("D", Interval.D1, 0, 2**62).ts
    assert all(t % NS_PER_DAY == 0 for t in ts)
    assert ts[0] == to_ns(parse_instant("2024-03-01"))


def test_unsupported_spacing_is_a_data_error_listing_the_allowed_intervals(tmp_path: Path) -> None:
    minute_frame(10, step_min=2).to_csv(tmp_path / "two.csv", index=False)
    message = load_error(tmp_path / "two.csv")
    assert "two.csv" in message and "120s" in message
    assert all(name in message for name in ("1m", "5m", "15m", "1h", "1d"))


def test_intraday_time_off_the_interval_grid_is_a_data_error(tmp_path: Path) -> None:
    frame = minute_frame(10, step_min=5)
    frame.loc[3, "timestamp"] = "2024-03-15T14:46:00Z"
    frame.to_csv(tmp_path / "grid.csv", index=False)
    message = load_error(tmp_path / "grid.csv")
    assert "row 5" in message and "'timestamp'" in message and "multiples of 5m" in message


# --- bars ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "rule"), [(Interval.M5, "5min"), (Interval.H1, "1h"), (Interval.D1, "1D")]
)
def test_one_minute_bars_aggregate_to_coarser_bars_with_correct_ohlcv(
    tmp_path: Path, interval: Interval, rule: str
) -> None:
    frame = minute_frame(2 * 24 * 60, start="2024-03-15T00:00:00Z")  # two whole UTC days
    frame.to_csv(tmp_path / "agg.csv", index=False)
    got = ReplayFeed.from_files([tmp_path / "agg.csv"]).bars("AGG", interval, 0, 2**62)
    indexed = frame.set_index(pd.to_datetime(frame["timestamp"]))
    want = indexed.resample(rule).agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    assert got.interval is interval
    np.testing.assert_array_equal(got.ts, want.index.as_unit("ns").asi8)
    for column in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(getattr(got, column), want[column].to_numpy())


def test_bars_window_covers_bar_starts_in_the_half_open_range(tmp_path: Path) -> None:
    minute_frame(60).to_csv(tmp_path / "w.csv", index=False)
    feed = ReplayFeed.from_files([tmp_path / "w.csv"])
    window = feed.bars("W", Interval.M5, T0_NS + 10 * NS_PER_MINUTE, T0_NS + 20 * NS_PER_MINUTE)
    assert list(window.ts) == [T0_NS + 10 * NS_PER_MINUTE, T0_NS + 15 * NS_PER_MINUTE]


def test_bars_finer_than_the_data_are_a_validation_error_naming_what_can_be_asked(
    tmp_path: Path,
) -> None:
    minute_frame(12, step_min=15).to_csv(tmp_path / "q.csv", index=False)
    with pytest.raises(ValidationError, match=r"15m bars.*allowed: 15m, 1h, 1d"):
        ReplayFeed.from_files([tmp_path / "q.csv"]).bars("Q", Interval.M5, 0, 2**62)


# --- quotes --------------------------------------------------------------------------------


def test_quote_uses_the_open_in_progress_and_the_last_close_once_a_bar_ends(tmp_path: Path) -> None:
    text = f"{HEADER}\n{T0},100.00,101.00,99.00,100.50,1000\n{T1},100.50,102,100,101.00,3000\n"
    feed = ReplayFeed.from_files([write_csv(tmp_path / "q.csv", text)], default_spread_bps=0)
    mids = [feed.quote("Q", T0_NS + dt).mid for dt in (0, 59 * NS_PER_SECOND)]
    assert mids == [Decimal("100.005"), Decimal("100.005")]  # open 100.00, one tick wide
    later = feed.quote("Q", T0_NS + 60 * NS_PER_SECOND)  # bar 2 starts: its open
    assert (later.bid, later.ask, later.bid_size) == (Decimal("100.50"), Decimal("100.51"), 10)
    after = feed.quote("Q", T0_NS + 150 * NS_PER_SECOND)  # after the last bar: its close
    assert (after.bid, after.bid_size) == (Decimal("101.00"), 30)


def test_quote_spread_comes_from_spreads_bps_and_is_rounded_outward_to_the_tick_grid(
    tmp_path: Path,
) -> None:
    text = f"{HEADER}\n{T0},100,100,100,100,1000\n2024-03-15T14:31:00Z,100,100,100,100,1000\n"
    path = write_csv(tmp_path / "s.csv", text)
    wide = ReplayFeed.from_files([path], spreads_bps={"S": 10}, tick_sizes={"S": Decimal("0.25")})
    quote = wide.quote("S", T0_NS)
    assert (quote.bid, quote.ask) == (Decimal("99.75"), Decimal("100.25"))
    zero = ReplayFeed.from_files([path], default_spread_bps=0).quote("S", T0_NS)
    assert zero.ask - zero.bid == Decimal("0.01")


def test_tick_size_is_inferred_from_the_decimals_in_the_data(tmp_path: Path) -> None:
    text = f"{HEADER}\n{T0},1.08501,1.08512,1.0849,1.08507,10\n{T1},1.1,1.1,1.1,1.1,1\n"
    quote = ReplayFeed.from_files([write_csv(tmp_path / "eurusd.csv", text)]).quote("EURUSD", T0_NS)
    assert quote.bid.as_tuple().exponent == -5 and quote.bid < Decimal("1.08501") < quote.ask


QUOTE_FRAME = pd.concat(
    [minute_frame(25, seed=11), minute_frame(10, start="2024-03-15T16:00:00Z", seed=12)],
    ignore_index=True,
)  # a gap from 14:55 to 16:00 where the last close stands


@settings(max_examples=60, deadline=None)
@given(offset=st.integers(0, 100 * NS_PER_MINUTE))
def test_quote_never_looks_ahead(offset: int) -> None:
    t = T0_NS + offset
    ts = pd.to_datetime(QUOTE_FRAME["timestamp"]).astype("int64").to_numpy()
    ticks = {"X": Decimal("0.01")}
    full = ReplayFeed.from_frame(QUOTE_FRAME, "X", tick_sizes=ticks)
    known = QUOTE_FRAME[ts <= t].copy()
    live = (ts[ts <= t] + NS_PER_MINUTE) > t  # the bar in progress: only its open is known
    for column in ("high", "low", "close"):
        known.loc[live, column] = known.loc[live, "open"]
    known.loc[live, "volume"] = 1
    past_only = ReplayFeed.from_frame(known, "X", tick_sizes=ticks)
    assert full.quote("X", t) == past_only.quote("X", t)


def test_quote_outside_the_data_range_is_a_validation_error_naming_the_range(
    tmp_path: Path,
) -> None:
    minute_frame(10).to_csv(tmp_path / "r.csv", index=False)
    feed = ReplayFeed.from_files([tmp_path / "r.csv"])
    feed.quote("R", T0_NS + 11 * NS_PER_MINUTE)  # one interval after the data ends is allowed
    for t in (T0_NS - 1, T0_NS + 11 * NS_PER_MINUTE + 1):
        with pytest.raises(ValidationError, match="2024-03-15T14:30:00Z to 2024-03-15T14:40"):
            feed.quote("R", t)


def test_unknown_symbol_is_not_found_and_lists_the_available_ones(tmp_path: Path) -> None:
    minute_frame(5).to_csv(tmp_path / "aapl.csv", index=False)
    minute_frame(5).to_csv(tmp_path / "msft.csv", index=False)
    feed = ReplayFeed.from_files([tmp_path / "aapl.csv", tmp_path / "msft.csv"])
    for ask in (
        lambda: feed.quote("TSLA", T0_NS),
        lambda: feed.bars("TSLA", Interval.M1, 0, 1),
        lambda: feed.first_ns("TSLA"),
        lambda: list(feed.replay_events(0, 1, ["TSLA"])),
    ):
        with pytest.raises(NotFoundError, match="'TSLA'; available: AAPL, MSFT"):
            ask()


# --- replay --------------------------------------------------------------------------------


def test_replay_events_merge_symbols_in_time_order_with_ties_broken_by_symbol(
    tmp_path: Path,
) -> None:
    minute_frame(10, step_min=1).to_csv(tmp_path / "zz.csv", index=False)
    minute_frame(2, step_min=5).to_csv(tmp_path / "aa.csv", index=False)
    feed = ReplayFeed.from_files([tmp_path / "zz.csv", tmp_path / "aa.csv"])
    events = list(feed.replay_events(T0_NS, T0_NS + 10 * NS_PER_MINUTE))
    assert all(isinstance(e, Bar) and isinstance(e.close, Decimal) for e in events)
    keys = [(e.ts_start, e.symbol) for e in events]
    assert keys == sorted(keys) and len(events) == 12
    assert [e.symbol for e in events[:2]] == ["AA", "ZZ"] and events[0].interval is Interval.M5
    assert [e.symbol for e in feed.replay_events(0, 2**62, ["ZZ"])] == ["ZZ"] * 10
    assert str(events[1].open) == "100.00"


# --- malformed files -----------------------------------------------------------------------

GOOD = f"{T0},10,11,9,10.5,100"
BAD_ROWS = [
    (f"{T1},10,11,9,abc,100", "row 3", "'close'", "'abc' is not a positive number"),
    (f"{T1},0,11,9,10,100", "row 3", "'open'", "allowed: a number > 0"),
    (f"{T1},-5,11,9,10,100", "row 3", "'open'", "'-5' is not a positive number"),
    (f"{T1},10,11,9,10,-1", "row 3", "'volume'", "allowed: a number >= 0"),
    (f"{T1},10,10.2,9,10.5,100", "row 3", "'high'", "below max(open, close)"),
    (f"{T1},10,11,10.2,10.5,100", "row 3", "'low'", "above min(open, close)"),
    ("03/15/2024 14:31,10,11,9,10,100", "row 3", "'timestamp'", "allowed: ISO 8601"),
    (",10,11,9,10,100", "row 3", "'timestamp'", "missing time"),
    (f"{T0},10,11,9,10,100", "row 3", "'timestamp'", "duplicate time"),
    (f"{T1},10,11,9,,100", "row 3", "'close'", "the empty cell is not a positive"),
    (f"{T1},10,11,9,N/A,100", "row 3", "'close'", "'N/A' is not a positive number"),
]


@pytest.mark.parametrize(("row", "where", "column", "what"), BAD_ROWS)
def test_malformed_row_is_a_data_error_naming_file_row_column_and_what_is_allowed(
    tmp_path: Path, row: str, where: str, column: str, what: str
) -> None:
    message = load_error(write_csv(tmp_path / "bad.csv", f"{HEADER}\n{GOOD}\n{row}\n"))
    assert message.startswith("bad.csv ")
    assert where in message and f"column {column}" in message and what in message
    assert "allowed" in message


def test_duplicate_time_names_both_rows(tmp_path: Path) -> None:
    text = f"{HEADER}\n{GOOD}\n2024-03-15T14:31:00Z,10,11,9,10,100\n{GOOD}\n"
    message = load_error(write_csv(tmp_path / "dup.csv", text))
    assert "dup.csv row 4" in message and "also dup.csv row 2" in message


def test_duplicate_times_across_files_of_one_symbol_are_rejected(tmp_path: Path) -> None:
    text = f"symbol,{HEADER}\nAAPL,{GOOD}\n"
    paths = [write_csv(tmp_path / "a.csv", text), write_csv(tmp_path / "b.csv", text)]
    with pytest.raises(DataError, match=r"b\.csv row 2.*duplicate.*also a\.csv row 2"):
        ReplayFeed.from_files(paths)


def test_missing_required_columns_lists_found_and_required(tmp_path: Path) -> None:
    message = load_error(write_csv(tmp_path / "cols.csv", "when,open,close\nx,1,2\n"))
    assert "missing high, low, time column" in message
    assert "found: 'when', 'open', 'close'" in message
    assert "timestamp, time, datetime, date, ts" in message


def test_huge_values_are_truncated_in_messages(tmp_path: Path) -> None:
    huge = "9" * 5000 + "x"
    message = load_error(write_csv(tmp_path / "big.csv", f"{HEADER}\n{T0},10,11,9,{huge},1\n"))
    assert "row 2" in message and "(5001 characters)" in message and len(message) < 300


def test_a_single_intraday_bar_cannot_have_its_interval_inferred(tmp_path: Path) -> None:
    message = load_error(write_csv(tmp_path / "one.csv", f"{HEADER}\n{GOOD}\n"))
    assert "one bar" in message and "allowed: two or more bars" in message


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("prices.xlsx", b"PK\x03\x04", "allowed: .csv, .csv.gz, .parquet"),
        ("prices.json", b"[]", "unsupported file type"),
        ("empty.csv", b"", "empty"),
        ("header.csv", HEADER.encode() + b"\n", "no data rows"),
        ("junk.csv", bytes(range(256)) * 40, "binary content"),
        ("latin.csv", bytes(range(128, 256)) * 40, "cannot read as CSV"),
        ("junk.parquet", bytes(range(256)) * 40, "cannot read as Parquet"),
        ("junk.csv.gz", b"not gzip at all", "cannot read as CSV"),
    ],
)
def test_unreadable_files_are_data_errors_never_raw_reader_exceptions(
    tmp_path: Path, name: str, content: bytes, what: str
) -> None:
    (tmp_path / name).write_bytes(content)
    message = load_error(tmp_path / name)
    assert message.startswith(name) and what in message and len(message) < 400


def test_empty_parquet_file_is_a_data_error(tmp_path: Path) -> None:
    minute_frame(3).iloc[:0].to_parquet(tmp_path / "none.parquet")
    assert "no data rows" in load_error(tmp_path / "none.parquet")


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    assert "cannot read" in load_error(tmp_path / "absent.csv")


def test_several_time_columns_are_a_data_error_rather_than_a_guess(tmp_path: Path) -> None:
    text = "date,time,open,high,low,close\n2024-03-15,14:30,1,1,1,1\n"
    message = load_error(write_csv(tmp_path / "split.csv", text))
    assert "several time columns (time, date)" in message and "allowed: exactly one" in message


def test_spreads_or_ticks_for_symbols_not_in_the_data_are_a_validation_error(
    tmp_path: Path,
) -> None:
    minute_frame(5).to_csv(tmp_path / "aapl.csv", index=False)
    with pytest.raises(ValidationError, match="spreads_bps names unknown symbol.*TSLA.*AAPL"):
        ReplayFeed.from_files([tmp_path / "aapl.csv"], spreads_bps={"TSLA": 3})
