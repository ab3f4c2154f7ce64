"""End to end: the `vtrade` command line as a user runs it.

Most cases go through typer's `CliRunner` (in process, fast); a few run the installed console
script in a subprocess to prove the entry point, stream separation and exit codes are real.
Every instant is given explicitly so the results do not depend on the wall clock.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vtrade.cli import app

ASSET_CLASSES = {"equity", "etf", "crypto", "fx", "commodity", "index"}
PHASES = {"pre", "regular", "post", "closed"}
RUN_MAIN = [sys.executable, "-c", "from vtrade.cli import main; main()"]
AAPL_REGULAR = "2024-03-15T15:00:00Z"
BAR_HEADER = ["ts", "open", "high", "low", "close", "volume"]


@pytest.fixture(autouse=True)
def _no_vtrade_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep `VTRADE_…` variables of the developer's shell out of the settings."""
    for name in list(os.environ):
        if name.startswith("VTRADE_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> Any:
    """Run the CLI in process; stdout and stderr stay separate (click >= 8.2)."""
    return runner.invoke(app, list(args), catch_exceptions=True)


def ok_json(runner: CliRunner, *args: str) -> Any:
    result = invoke(runner, *args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)


def market_json(runner: CliRunner, symbol: str, at: str, *extra: str) -> dict[str, Any]:
    snap: dict[str, Any] = ok_json(runner, "market", symbol, "--at", at, "--json", *extra)
    return snap


def bars_csv(runner: CliRunner, *args: str) -> list[list[str]]:
    result = invoke(runner, "history", *args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return list(csv.reader(io.StringIO(result.stdout)))


def assert_one_line_error(exit_code: int, stdout: str, stderr: str) -> str:
    """Check the error contract: exit 2, one `error:` line on stderr, nothing else, no trace."""
    assert "Traceback" not in stdout + stderr, stderr
    assert exit_code == 2, (exit_code, stderr)
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert stdout == ""
    return lines[0]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTRADE_")}
    env.pop("FORCE_COLOR", None)
    env["COLUMNS"] = "200"
    return env


def run_process(argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=clean_env(), check=False
    )


def installed_script() -> str:
    """Return the `vtrade` console script installed for this interpreter."""
    here = Path(sysconfig.get_path("scripts")) / "vtrade"
    found = str(here) if here.exists() else shutil.which("vtrade")
    if found is None:
        pytest.skip("the vtrade console script is not installed")
    return found


def on_grid(price: str, tick: Decimal) -> bool:
    return Decimal(price) % tick == 0


# -- instruments -------------------------------------------------------------------------------


def test_instruments_json_lists_at_least_160_instruments_in_six_asset_classes(
    runner: CliRunner,
) -> None:
    rows = ok_json(runner, "instruments", "--json")
    assert len(rows) >= 160
    assert {r["asset_class"] for r in rows} == ASSET_CLASSES
    assert len({r["symbol"] for r in rows}) == len(rows)
    assert all(isinstance(r["tick_size"], str) and Decimal(r["tick_size"]) > 0 for r in rows)


def test_instruments_filtered_by_asset_class_are_all_of_that_class(runner: CliRunner) -> None:
    rows = ok_json(runner, "instruments", "--asset-class", "crypto", "--json")
    assert rows
    assert {r["asset_class"] for r in rows} == {"crypto"}
    assert "BTC-USD" in {r["symbol"] for r in rows}


def test_instruments_on_xlon_quote_equities_in_pence(runner: CliRunner) -> None:
    rows = ok_json(runner, "instruments", "--venue", "XLON", "--json")
    assert rows
    assert {r["venue"] for r in rows} == {"XLON"}
    assert "VOD.L" in {r["symbol"] for r in rows}
    # LSE shares quote in GBX (pence); the FTSE indices (UKX, MCX) are points quoted in GBP.
    assert {r["currency"] for r in rows if r["asset_class"] != "index"} == {"GBX"}
    assert {r["currency"] for r in rows if r["asset_class"] == "index"} <= {"GBP"}


def test_instruments_table_is_printed_without_json(runner: CliRunner) -> None:
    result = invoke(runner, "instruments", "--asset-class", "fx")
    assert result.exit_code == 0
    assert "EUR/USD" in result.stdout


def test_unknown_asset_class_is_a_one_line_error_listing_the_allowed_classes(
    runner: CliRunner,
) -> None:
    result = invoke(runner, "instruments", "--asset-class", "bonds", "--json")
    line = assert_one_line_error(result.exit_code, result.stdout, result.stderr)
    assert "bonds" in line
    assert all(name in line for name in ASSET_CLASSES)


def test_unknown_venue_is_a_one_line_error_listing_the_venues(runner: CliRunner) -> None:
    result = invoke(runner, "instruments", "--venue", "XNOPE")
    line = assert_one_line_error(result.exit_code, result.stdout, result.stderr)
    assert "XLON" in line and "XNAS" in line


# -- market ------------------------------------------------------------------------------------


def test_market_json_has_session_quote_and_book_with_prices_as_strings(runner: CliRunner) -> None:
    snap = market_json(runner, "AAPL", AAPL_REGULAR, "--depth", "10")
    assert snap["symbol"] == "AAPL"
    assert snap["at"] == AAPL_REGULAR
    assert snap["session"]["phase"] in PHASES
    quote = snap["quote"]
    for key in ("bid", "ask", "bid_size", "ask_size", "mid"):
        assert isinstance(quote[key], str), key
    assert Decimal(quote["bid"]) < Decimal(quote["ask"])
    assert Decimal(quote["bid"]) < Decimal(quote["mid"]) < Decimal(quote["ask"])
    bids, asks = snap["book"]["bids"], snap["book"]["asks"]
    assert len(bids) >= 10 and len(asks) >= 10
    assert all(isinstance(x, str) for level in bids + asks for x in level)
    bid_prices = [Decimal(p) for p, _ in bids]
    ask_prices = [Decimal(p) for p, _ in asks]
    assert bid_prices == sorted(bid_prices, reverse=True)
    assert ask_prices == sorted(ask_prices)
    assert bid_prices[0] == Decimal(quote["bid"]) and ask_prices[0] == Decimal(quote["ask"])
    assert bid_prices[0] < ask_prices[0]


def test_market_depth_sets_the_number_of_book_levels(runner: CliRunner) -> None:
    snap = market_json(runner, "AAPL", AAPL_REGULAR, "--depth", "3")
    assert len(snap["book"]["bids"]) == len(snap["book"]["asks"]) == 3


@pytest.mark.parametrize(
    ("symbol", "at", "phase"),
    [
        ("AAPL", "2024-03-15T15:00:00Z", "regular"),  # 11:00 EDT, Friday
        ("AAPL", "2024-03-15T12:00:00Z", "pre"),  # 08:00 EDT
        ("AAPL", "2024-03-15T22:00:00Z", "post"),  # 18:00 EDT
        ("AAPL", "2024-07-04T15:00:00Z", "closed"),  # Independence Day
        ("VOD.L", "2024-12-25T12:00:00Z", "closed"),  # Christmas Day
        ("BTC-USD", "2024-03-17T12:00:00Z", "regular"),  # Sunday, crypto trades 24/7
        ("EUR/USD", "2024-03-16T12:00:00Z", "closed"),  # Saturday, FX weekend
    ],
)
def test_market_reports_the_session_phase_at_known_instants(
    runner: CliRunner, symbol: str, at: str, phase: str
) -> None:
    snap = market_json(runner, symbol, at)
    assert snap["session"]["phase"] == phase
    assert Decimal(snap["quote"]["bid"]) < Decimal(snap["quote"]["ask"])


def test_market_gives_next_open_and_close_of_the_exchange(runner: CliRunner) -> None:
    regular = market_json(runner, "AAPL", AAPL_REGULAR)["session"]
    assert regular["trading_day"] == "2024-03-15"
    assert regular["next_close"] == "2024-03-15T20:00:00Z"
    assert regular["next_open"] == "2024-03-18T13:30:00Z"
    holiday = market_json(runner, "VOD.L", "2024-12-25T12:00:00Z")["session"]
    assert holiday["trading_day"] is None
    assert holiday["next_open"] == "2024-12-27T08:00:00Z"  # Boxing Day is closed too
    always = market_json(runner, "BTC-USD", "2024-03-17T12:00:00Z")["session"]
    assert always["next_open"] is None and always["next_close"] is None


def test_market_says_when_the_trading_days_day_orders_expire(runner: CliRunner) -> None:
    """FX trades from Sunday to Friday, so its next close is Friday's, but its day orders
    expire at 17:00 New York each day (found in session 20's CLI review: only Friday showed);
    crypto's expire at 00:00 UTC, US equities' at the regular close."""
    fx = market_json(runner, "EUR/USD", "2024-03-13T15:00:00Z")["session"]  # a Wednesday
    assert fx["next_close"] == "2024-03-15T21:00:00Z"
    assert fx["day_orders_expire"] == "2024-03-13T21:00:00Z"
    crypto = market_json(runner, "BTC-USD", "2024-03-13T15:00:00Z")["session"]
    assert crypto["day_orders_expire"] == "2024-03-14T00:00:00Z"
    stock = market_json(runner, "AAPL", AAPL_REGULAR)["session"]
    assert stock["day_orders_expire"] == stock["next_close"] == "2024-03-15T20:00:00Z"


def test_market_instant_with_an_offset_is_the_same_instant_in_utc(runner: CliRunner) -> None:
    utc = market_json(runner, "AAPL", AAPL_REGULAR)
    offset = market_json(runner, "AAPL", "2024-03-15T11:00:00-04:00")
    assert offset["at"] == AAPL_REGULAR
    assert offset["quote"] == utc["quote"]


@pytest.mark.parametrize("symbol", ["AAPL", "AZN.L"])
def test_market_prices_lie_on_the_tick_grid(runner: CliRunner, symbol: str) -> None:
    (inst,) = [r for r in ok_json(runner, "instruments", "--json") if r["symbol"] == symbol]
    tick = Decimal(inst["tick_size"])
    snap = market_json(runner, symbol, "2024-03-15T12:00:00Z", "--depth", "10")
    prices = [p for p, _ in snap["book"]["bids"] + snap["book"]["asks"]]
    assert all(on_grid(p, tick) for p in prices), (tick, prices)


def test_same_seed_repeats_the_market_exactly_and_another_seed_changes_it(
    runner: CliRunner,
) -> None:
    first = market_json(runner, "AAPL", AAPL_REGULAR, "--seed", "7", "--depth", "10")
    again = market_json(runner, "AAPL", AAPL_REGULAR, "--seed", "7", "--depth", "10")
    other = market_json(runner, "AAPL", AAPL_REGULAR, "--seed", "8", "--depth", "10")
    assert first == again
    assert (first["quote"]["bid"], first["quote"]["ask"]) != (
        other["quote"]["bid"],
        other["quote"]["ask"],
    )


def test_market_without_json_prints_a_readable_snapshot(runner: CliRunner) -> None:
    result = invoke(runner, "market", "AAPL", "--at", AAPL_REGULAR)
    assert result.exit_code == 0, result.stderr
    assert "AAPL" in result.stdout
    assert "regular" in result.stdout


# -- history -----------------------------------------------------------------------------------


def test_history_daily_aapl_in_january_2024_has_21_sessions(runner: CliRunner) -> None:
    rows = bars_csv(
        runner, "AAPL", "--interval", "1d", "--start", "2024-01-01", "--end", "2024-02-01"
    )
    assert rows[0] == BAR_HEADER
    bars = rows[1:]
    assert len(bars) == 21  # 23 weekdays minus New Year's Day and Martin Luther King Jr. Day
    days = [b[0] for b in bars]
    assert days[0] == "2024-01-02" and days[-1] == "2024-01-31"
    assert "2024-01-15" not in days
    for _ts, o, h, low, c, v in bars:
        op, hi, lo, cl = (Decimal(x) for x in (o, h, low, c))
        assert lo <= min(op, cl) <= max(op, cl) <= hi
        assert Decimal(v) >= 0


def test_history_minute_bars_of_bitcoin_over_one_hour_are_60(runner: CliRunner) -> None:
    rows = bars_csv(
        runner,
        "BTC-USD",
        "--interval",
        "1m",
        "--start",
        "2024-03-15T10:00:00Z",
        "--end",
        "2024-03-15T11:00:00Z",
    )
    assert rows[0] == BAR_HEADER
    assert len(rows) - 1 == 60
    assert rows[1][0] == "2024-03-15T10:00:00Z"
    assert rows[-1][0] == "2024-03-15T10:59:00Z"


def test_history_hourly_bars_of_bitcoin_over_a_day_are_24(runner: CliRunner) -> None:
    rows = bars_csv(
        runner, "BTC-USD", "--interval", "1h", "--start", "2024-03-15", "--end", "2024-03-16"
    )
    assert len(rows) - 1 == 24


def test_history_days_counts_back_from_end(runner: CliRunner) -> None:
    rows = bars_csv(runner, "AAPL", "--interval", "1d", "--days", "7", "--end", "2024-03-16")
    assert [r[0] for r in rows[1:]] == [f"2024-03-{d}" for d in (11, 12, 13, 14, 15)]


def test_history_json_is_an_array_of_bars_with_prices_as_strings(runner: CliRunner) -> None:
    args = ("AAPL", "--interval", "1d", "--start", "2024-01-01", "--end", "2024-02-01")
    bars = ok_json(runner, "history", *args, "--format", "json")
    assert isinstance(bars, list) and len(bars) == 21
    assert all(set(b) == set(BAR_HEADER) for b in bars)
    assert all(isinstance(b[k], str) for b in bars for k in BAR_HEADER)
    rows = bars_csv(runner, *args)
    assert [[b[k] for k in BAR_HEADER] for b in bars] == rows[1:]


def test_history_json_flag_is_the_same_as_format_json(runner: CliRunner) -> None:
    args = ("AAPL", "--interval", "1d", "--start", "2024-01-01", "--end", "2024-02-01")
    bars = ok_json(runner, "history", *args, "--json")

    assert len(bars) == 21
    assert bars == ok_json(runner, "history", *args, "--format", "json")
    assert bars == ok_json(runner, "history", *args, "--format", "json", "--json")


def test_history_refuses_json_together_with_format_csv(runner: CliRunner) -> None:
    result = invoke(runner, *HISTORY, "--days", "3", "--json", "--format", "csv")
    line = assert_one_line_error(result.exit_code, result.stdout, result.stderr)
    assert "--json" in line and "--format csv" in line


def test_history_is_the_same_for_the_same_seed(runner: CliRunner) -> None:
    args = ("ETH-USD", "--interval", "1h", "--start", "2024-03-15", "--end", "2024-03-15T06:00Z")
    first = bars_csv(runner, *args, "--seed", "3")
    assert bars_csv(runner, *args, "--seed", "3") == first
    assert bars_csv(runner, *args, "--seed", "4") != first


# -- errors ------------------------------------------------------------------------------------

HISTORY = ("history", "AAPL", "--interval", "1d")


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        pytest.param(("market", "APPL", "--at", AAPL_REGULAR), "AAPL", id="unknown-symbol"),
        pytest.param(("history", "NOPE", "--interval", "1d", "--days", "5"), "NOPE", id="hist-sym"),
        pytest.param(("market", "AAPL", "--at", "15/03/2024"), "ISO 8601", id="malformed-at"),
        pytest.param(("market", "AAPL", "--at", "2024-03-15T25:00Z"), "malformed", id="hour-25"),
        pytest.param(
            ("market", "AAPL", "--at", "2005-12-31T23:59:59Z"), "2006-01-01", id="before-range"
        ),
        pytest.param(
            ("market", "AAPL", "--at", "2032-01-01T00:00:00Z"), "2031-12-31", id="after-range"
        ),
        pytest.param(("market", "AAPL", "--at", AAPL_REGULAR, "--depth", "0"), "0", id="depth-0"),
        pytest.param(
            ("market", "AAPL", "--at", AAPL_REGULAR, "--depth", "500"), "500", id="depth-500"
        ),
        pytest.param(
            (*HISTORY, "--start", "2024-02-01", "--end", "2024-01-01"), "--start", id="reversed"
        ),
        pytest.param(
            (*HISTORY, "--start", "2024-01-01", "--end", "2024-01-01"), "--start", id="empty-range"
        ),
        pytest.param((*HISTORY, "--days", "0", "--end", "2024-02-01"), "--days", id="days-0"),
        pytest.param(
            (*HISTORY, "--days", "3", "--start", "2024-01-01"), "--days", id="days-and-start"
        ),
        pytest.param(("history", "AAPL", "--interval", "1d"), "--days", id="no-range"),
        pytest.param(
            ("history", "AAPL", "--interval", "2m", "--days", "1"), "1m, 5m, 15m, 1h", id="interval"
        ),
        pytest.param((*HISTORY, "--days", "1", "--format", "xml"), "csv, json", id="format"),
        pytest.param(
            (*HISTORY, "--start", "2005-06-01", "--end", "2006-02-01"), "2006", id="hist-range"
        ),
        pytest.param((*HISTORY, "--start", "yesterday"), "ISO 8601", id="hist-malformed"),
        pytest.param(("watch", "AAPL", "--speed", "0", "--duration", "1"), "--speed", id="speed"),
        pytest.param(("watch", "NOPE", "--duration", "1"), "NOPE", id="watch-symbol"),
    ],
)
def test_bad_input_is_a_one_line_error_with_exit_status_2(
    runner: CliRunner, args: tuple[str, ...], mentions: str
) -> None:
    result = invoke(runner, *args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    line = assert_one_line_error(result.exit_code, result.stdout, result.stderr)
    assert mentions in line


def test_unknown_symbol_suggests_the_closest_symbols(runner: CliRunner) -> None:
    result = invoke(runner, "market", "APPL", "--at", AAPL_REGULAR)
    line = assert_one_line_error(result.exit_code, result.stdout, result.stderr)
    assert "did you mean" in line and "AAPL" in line


def test_empty_at_is_a_malformed_time(runner: CliRunner) -> None:
    result = invoke(runner, "market", "AAPL", "--at", "", "--json")
    line = assert_one_line_error(result.exit_code, result.stdout, result.stderr)
    assert "malformed" in line


def test_market_answers_at_the_start_of_the_supported_range(runner: CliRunner) -> None:
    snap = market_json(runner, "AAPL", "2006-01-01T12:00:00Z")
    assert snap["session"]["phase"] == "closed"
    assert snap["session"]["next_open"] == "2006-01-03T14:30:00Z"


@pytest.mark.parametrize("speed", ["nan", "2e6"])
def test_watch_refuses_a_speed_as_serve_does(runner: CliRunner, speed: str) -> None:
    result = invoke(runner, "watch", "AAPL", "--speed", speed, "--duration", "1")
    line = assert_one_line_error(result.exit_code, result.stdout, result.stderr)
    shown = f"{float(speed):g}"
    assert line == f"error: --speed must be positive and at most 1,000,000, got {shown}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("market", "AAPL", "--at", "1990-01-01"), "--at 1990-01-01 is before"),
        ((*HISTORY, "--start", "2031-12-01", "--end", "2032-02-01"), "--end 2032-02-01 is after"),
        ((*HISTORY, "--days", "9000", "--end", "2024-01-01"), "--days 9000 (starting 1999-05-12"),
        (("watch", "--start", "1990-01-01", "--duration", "1"), "--start 1990-01-01 is before"),
        (("estimate", "AAPL", "buy", "5", "--at", "2040-01-01"), "--at 2040-01-01 is after"),
    ],
)
def test_an_instant_outside_the_market_dates_says_which_dates_exist(
    runner: CliRunner, args: tuple[str, ...], expected: str
) -> None:
    result = invoke(runner, *args)
    line = assert_one_line_error(result.exit_code, result.stdout, result.stderr)
    assert line.startswith(f"error: {expected}")
    assert line.endswith("the days the simulated market covers: 2006-01-01 to 2031-12-31 (UTC)")
    assert " ns)" not in line and "XNAS" not in line


# -- the installed entry point (subprocess) ----------------------------------------------------


def test_installed_script_lists_instruments_as_json() -> None:
    proc = run_process([installed_script(), "instruments", "--json"])
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) >= 160
    assert {r["asset_class"] for r in rows} == ASSET_CLASSES


def test_a_table_piped_to_a_file_keeps_every_digit() -> None:
    env = {k: v for k, v in clean_env().items() if k != "COLUMNS"}
    proc = subprocess.run(
        [*RUN_MAIN, "instruments"], capture_output=True, text=True, env=env, timeout=60
    )

    assert proc.returncode == 0, proc.stderr
    assert "…" not in proc.stdout  # Rich would cut cells to fit 80 columns
    assert any("BTC-USD" in line and "0.01" in line for line in proc.stdout.splitlines())


def test_entry_point_reports_bad_input_in_one_line_without_traceback() -> None:
    proc = run_process([*RUN_MAIN, "market", "AAPL", "--at", "not-a-time"])
    line = assert_one_line_error(proc.returncode, proc.stdout, proc.stderr)
    assert "malformed time" in line


def test_watch_with_duration_stops_by_itself_and_shows_the_default_symbols() -> None:
    argv = [*RUN_MAIN, "watch", "--duration", "1", "--start", AAPL_REGULAR, "--speed", "60"]
    proc = run_process(argv, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "AAPL" in proc.stdout
    assert "regular" in proc.stdout


def test_watch_rejects_an_infinite_speed_without_traceback() -> None:
    proc = run_process([*RUN_MAIN, "watch", "AAPL", "--speed", "inf", "--duration", "1"])
    line = assert_one_line_error(proc.returncode, proc.stdout, proc.stderr)
    assert "--speed" in line
