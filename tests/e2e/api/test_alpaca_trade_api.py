"""The Alpaca `/v2` surface, `/stream/` and the live market data (`/v2/iex`), driven end to
end by the older official SDK, alpaca-trade-api 3.2.0 (`REST`, `Stream`), against the server
on a real port.

The SDK pins websockets<11, msgpack==1.0.3 and urllib3<2; installed beside uvicorn it breaks
the server's websockets. So it lives in a virtual environment of its own, built once from
`alpaca-trade-api.txt` under `$VTRADE_TEST_CACHE` (default `~/.cache/vtrade-tests`) and reused
while that file and the Python version are unchanged. Each test runs
`alpaca_trade_api_script.py SECTION` with that venv's Python and asserts on the one JSON
object it prints. When the venv cannot be built (no package index), the tests skip, or fail
with `VTRADE_REQUIRE_SERVICES=1`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn
from uuid import UUID

import pytest
from api_support import Live

SDK_VERSION = "3.2.0"
HERE = Path(__file__).parent
SCRIPT = HERE / "alpaca_trade_api_script.py"
REQUIREMENTS = HERE / "alpaca-trade-api.txt"


def _services_required() -> bool:
    return os.environ.get("VTRADE_REQUIRE_SERVICES", "").strip() not in ("", "0", "false", "no")


def _unavailable(why: str) -> NoReturn:
    message = f"alpaca-trade-api {SDK_VERSION} venv is unavailable: {why}"
    if _services_required():
        pytest.fail(f"VTRADE_REQUIRE_SERVICES=1 and {message}", pytrace=False)
    pytest.skip(message)


def _cache_root() -> Path:
    configured = os.environ.get("VTRADE_TEST_CACHE")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "vtrade-tests"


def _tail(text: str, lines: int = 12) -> str:
    kept = [line for line in text.splitlines() if "WARNING: Location" not in line]
    return "\n".join(kept[-lines:])


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path`, so that parallel runs build the venv once."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _imports(python: Path) -> bool:
    probe = f"import alpaca_trade_api as m; assert m.__version__ == {SDK_VERSION!r}"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _build(venv: Path) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    steps = [
        ([sys.executable, "-m", "venv", str(venv)], 120),
        (
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-input",
                "--disable-pip-version-check",
                "--requirement",
                str(REQUIREMENTS),
            ],
            600,
        ),
    ]
    for command, timeout in steps:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            shutil.rmtree(venv, ignore_errors=True)
            _unavailable(f"`{' '.join(command[:4])} ...` took over {timeout} s")
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            _unavailable(
                f"`{' '.join(command[:5])} ...` exited {done.returncode} (is the package index "
                f"reachable?):\n{_tail(done.stderr or done.stdout)}"
            )


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    """The Python of a venv with alpaca-trade-api installed: cached, built on first use."""
    root = _cache_root()
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + sys.version.encode()).hexdigest()[:12]
    venv = root / f"alpaca-trade-api-{SDK_VERSION}-{digest}"
    python = venv / "bin" / "python"
    ready = venv / ".vtrade-ready"
    with _locked(root / f"alpaca-trade-api-{SDK_VERSION}.lock"):
        if ready.exists() and _imports(python):
            return python
        _build(venv)
        if not _imports(python):
            _unavailable(f"the venv at {venv} was built but cannot import alpaca_trade_api")
        ready.write_text(REQUIREMENTS.read_text())
    return python


def drive(
    live: Live, sdk_python: Path, section: str, tick_s: float | None = None
) -> dict[str, Any]:
    """Run one section of the script against `live` and return what the SDK observed; with
    `tick_s`, the simulated clock moves that many seconds every 50 ms while it runs."""
    key = live.key()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("APCA_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        APCA_API_KEY_ID=key.key_id,
        APCA_API_SECRET_KEY=key.secret,
        APCA_API_BASE_URL=live.base_url,
        APCA_API_DATA_URL=live.base_url,
        APCA_API_STREAM_URL=live.base_url,  # the live market data (`Stream`'s data streams)
        APCA_RETRY_MAX="0",
    )
    with subprocess.Popen(
        [str(sdk_python), str(SCRIPT), section],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as running:
        deadline = time.monotonic() + 120
        while tick_s is not None and running.poll() is None and time.monotonic() < deadline:
            live.advance(tick_s)
            time.sleep(0.05)
        stdout, stderr = running.communicate(timeout=max(deadline - time.monotonic(), 1))
    assert running.returncode == 0, f"the script crashed:\n{stderr[-4000:]}"
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    observed: dict[str, Any] = result["observed"]
    assert result["error"] is None, (
        f"alpaca-trade-api raised in section {section!r}:\n"
        f"{json.dumps(result['error'], indent=2)}\nobserved so far: {json.dumps(observed)[:3000]}"
    )
    return observed


def is_uuid(value: object) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def api_error(observed: dict[str, Any], status: int, code: int, text: str) -> None:
    """Assert that `observed` describes an `alpaca_trade_api.rest.APIError` as §5 says:
    `.code` from the body, `.status_code` from HTTP, and `str(e)` the body's message."""
    assert observed["type"] == "APIError", observed
    assert (observed["status_code"], observed["code"]) == (status, code), observed
    assert text in observed["message"], observed


def test_account_clock_calendar_and_assets_parse_as_sdk_entities(
    live: Live, sdk_python: Path
) -> None:
    seen = drive(live, sdk_python, "account")
    assert seen["sdk_version"] == SDK_VERSION
    account = seen["account"]["raw"]
    assert is_uuid(account["id"]) and account["status"] == "ACTIVE"
    money = ("cash", "buying_power", "equity", "portfolio_value", "last_equity", "multiplier")
    assert all(isinstance(account[name], str) for name in money)
    assert Decimal(account["cash"]) == Decimal(1_000_000) == Decimal(account["equity"])
    assert seen["account_cash_float"] == 1_000_000.0
    assert seen["account"]["created_at_type"] == "Timestamp"
    assert seen["configurations"]["fractional_trading"] is True
    assert seen["configurations"]["no_shorting"] is False
    clock = seen["clock"]
    assert clock["is_open"] is True and clock["timestamp_type"] == "Timestamp"
    assert clock["raw"]["timestamp"] == "2026-11-18T10:00:00-05:00"
    assert clock["raw"]["next_close"] == "2026-11-18T16:00:00-05:00"
    assert clock["raw"]["next_open"] == "2026-11-19T09:30:00-05:00"
    assert clock["next_close_after_timestamp"] and clock["next_open_after_timestamp"]
    days = {day["date"]: day for day in seen["calendar"]}
    assert list(days) == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27"]  # Thanksgiving
    assert (days["2026-11-23"]["open"], days["2026-11-23"]["close"]) == ("09:30", "16:00")
    assert days["2026-11-27"]["close"] == "13:00"
    assert days["2026-11-23"]["session_open"] == "04:00"
    assert seen["calendar_rfc3339_dates"][0] == "2026-11-23"
    assert seen["assets_count"] >= seen["assets_us_equity"] > 0
    assert seen["assets_symbols_sample"] == ["AAPL", "MSFT"]
    asset = seen["asset"]
    assert is_uuid(asset["id"]) and asset["symbol"] == "AAPL"
    assert (asset["class"], asset["exchange"], asset["status"]) == ("us_equity", "NASDAQ", "active")
    assert asset["tradable"] is True and asset["fractionable"] is True
    assert seen["asset_by_id"] == "AAPL"


def test_orders_are_submitted_read_listed_replaced_and_canceled(
    live: Live, sdk_python: Path
) -> None:
    seen = drive(live, sdk_python, "orders")
    market = seen["market"]["raw"]
    assert is_uuid(market["id"]) and market["client_order_id"] == "ata-mkt"
    assert seen["market_submitted"]["raw"]["id"] == market["id"]
    assert (market["status"], market["type"], market["side"]) == ("filled", "market", "buy")
    assert market["qty"] == market["filled_qty"] == "3"
    assert Decimal(market["filled_avg_price"]) > 0
    assert seen["market"]["created_at_type"] == seen["market"]["submitted_at_type"] == "Timestamp"
    assert seen["by_client_order_id"] == market["id"]
    limit = seen["limit"]["raw"]
    assert (limit["status"], limit["type"], limit["time_in_force"]) == ("new", "limit", "gtc")
    assert Decimal(limit["limit_price"]) == Decimal(str(seen["limit_price_sent"]))
    assert limit["filled_qty"] == "0" and limit["filled_avg_price"] is None
    assert seen["open_ids"] == [limit["id"]]
    assert seen["closed_ids"] == [market["id"]]
    assert seen["all_ids"] == [market["id"], limit["id"]]  # direction=asc
    assert set(seen["symbols_filter_ids"]) == {market["id"], limit["id"]}
    replacement = seen["replacement"]["raw"]
    assert replacement["id"] != limit["id"] and replacement["replaces"] == limit["id"]
    assert replacement["qty"] == "4" and replacement["status"] == "new"
    assert Decimal(replacement["limit_price"]) == Decimal(str(seen["limit_price_sent"])) - 1
    replaced = seen["replaced"]
    assert replaced["status"] == "replaced" and replaced["replaced_by"] == replacement["id"]
    assert replaced["replaced_at"] is not None
    assert seen["cancel_returns"] == "None"  # 204 with an empty body
    canceled = seen["canceled"]
    assert canceled["status"] == "canceled" and canceled["canceled_at"] is not None
    api_error(seen["cancel_again"], 422, 42210000, "not cancelable")
    assert seen["open_before_cancel_all"] == 2
    assert seen["cancel_all_returns"] == "None" and seen["open_after_cancel_all"] == 0
    assert seen["nested_get"] == market["id"]


def test_positions_are_listed_then_closed_by_qty_in_full_and_all_at_once(
    live: Live, sdk_python: Path
) -> None:
    seen = drive(live, sdk_python, "positions")
    positions = seen["positions"]
    assert set(positions) == {"AAPL", "MSFT", "SPY"}
    assert (positions["AAPL"]["qty"], positions["AAPL"]["side"]) == ("5", "long")
    assert (positions["MSFT"]["qty"], positions["MSFT"]["side"]) == ("-4", "short")
    assert positions["SPY"]["exchange"] == "ARCA"
    figures = ("avg_entry_price", "market_value", "cost_basis", "unrealized_pl", "current_price")
    assert all(isinstance(p[name], str) for p in positions.values() for name in figures)
    assert seen["position"]["symbol"] == "AAPL" and seen["position"]["qty"] == "5"
    partial, full = seen["close_partial"], seen["close_full"]
    assert (partial["symbol"], partial["side"], partial["qty"]) == ("AAPL", "sell", "2")
    assert partial["type"] == "market" and is_uuid(partial["id"])
    assert seen["position_after_partial"] == "3"
    assert (full["side"], full["qty"]) == ("sell", "3")
    api_error(seen["position_gone"], 404, 40410000, "position does not exist")
    closed = {item["symbol"]: item for item in seen["close_all"]}
    assert {symbol: item["status"] for symbol, item in closed.items()} == {"MSFT": 200, "SPY": 200}
    assert (closed["MSFT"]["body"]["side"], closed["MSFT"]["body"]["qty"]) == ("buy", "4")
    assert (closed["SPY"]["body"]["side"], closed["SPY"]["body"]["qty"]) == ("sell", "1")
    assert all(item["order_id"] == item["body"]["id"] for item in closed.values())
    assert seen["positions_after_close_all"] == []


def test_activities_and_portfolio_history_cover_the_fills_and_the_hours_since(
    live: Live, sdk_python: Path
) -> None:
    orders = drive(live, sdk_python, "fills")
    for _ in range(8):  # two hours in steps, so that the hourly equity snapshots are taken
        live.advance(15 * 60)
    seen = drive(live, sdk_python, "history")
    kinds = [activity["activity_type"] for activity in seen["activities"]]
    assert kinds.count("FILL") == 2 and "CSD" in kinds
    assert all(is_uuid(activity["account_id"]) for activity in seen["activities"])
    fills = seen["fills"]
    assert {fill["activity_type"] for fill in fills} == {"FILL"}
    assert {(fill["symbol"], fill["order_id"]) for fill in fills} == {
        ("AAPL", orders["AAPL"]),
        ("MSFT", orders["MSFT"]),
    }
    assert all(fill["type"] == "fill" and fill["leaves_qty"] == "0" for fill in fills)
    assert all(Decimal(fill["price"]) > 0 for fill in fills)
    assert seen["fill_transaction_time_type"] == "Timestamp"
    assert sorted(seen["fills_and_deposits"]) == ["CSD", "FILL", "FILL"]
    assert seen["fills_asc"] == ["AAPL", "MSFT"]
    assert seen["page_size_1"] == 1 and seen["after_first_page"] == len(kinds) - 1
    history = seen["history"]
    stamps = history["timestamp"]
    assert history["timeframe"] == "1H"
    assert len(stamps) == len(history["equity"]) == len(history["profit_loss"]) >= 3
    assert len(history["profit_loss_pct"]) == len(stamps) and stamps == sorted(stamps)
    assert stamps[-1] == int(datetime(2026, 11, 18, 17, tzinfo=UTC).timestamp())
    assert history["equity"][-1] == pytest.approx(seen["equity"], abs=1)
    assert isinstance(history["base_value"], float)
    frame = seen["history_df"]
    assert frame["rows"] == len(stamps) and frame["index_tz"] == "America/New_York"
    assert frame["columns"] == ["profit_loss", "profit_loss_pct", "equity"]
    assert seen["history_daily_len"] >= 1


def test_watchlists_are_created_extended_renamed_trimmed_and_deleted(
    live: Live, sdk_python: Path
) -> None:
    seen = drive(live, sdk_python, "watchlists")
    created = seen["created"]["raw"]
    assert is_uuid(created["id"]) and created["name"] == "ata-tech"
    assert [asset["symbol"] for asset in created["assets"]] == ["AAPL"]
    assert seen["created"]["created_at_type"] == "Timestamp"
    assert seen["added_symbols"] == seen["got_symbols"] == ["AAPL", "MSFT"]
    assert seen["by_name_id"] == created["id"]
    assert seen["updated"] == {"name": "ata-renamed", "symbols": ["SPY", "AAPL"]}
    assert seen["delete_symbol_returns"] == "None" and seen["after_delete_symbol"] == ["AAPL"]
    assert seen["listed_names"] == ["ata-renamed"]
    assert seen["delete_returns"] == "None"
    api_error(seen["gone"], 404, 40410000, "watchlist not found")
    assert seen["listed_after_delete"] == 0


def test_errors_raise_api_error_with_the_alpaca_code_status_and_message(
    live: Live, sdk_python: Path
) -> None:
    seen = drive(live, sdk_python, "errors")
    api_error(seen["unknown_order"], 404, 40410000, "order not found")
    api_error(seen["malformed_order_id"], 404, 40410000, "order not found")
    api_error(seen["unknown_client_order_id"], 404, 40410000, "order not found")
    api_error(seen["unknown_asset"], 404, 40410000, "asset not found")
    api_error(seen["buying_power"], 403, 40310000, "insufficient buying power")
    api_error(seen["bad_qty"], 422, 40010001, "quantity")
    api_error(seen["bad_type"], 422, 40010001, "type")
    api_error(seen["same_client_order_id_same_order"], 422, 40010001, "must be unique")
    api_error(seen["same_client_order_id_other_order"], 422, 40010001, "must be unique")
    api_error(seen["unauthorized"], 401, 40110000, "")
    api_error(seen["unknown_route"], 404, 40410000, "")


def test_market_data_calls_go_to_the_data_url_and_parse_into_frames(
    live: Live, sdk_python: Path
) -> None:
    seen = drive(live, sdk_python, "marketdata")
    quote = seen["quote"]
    assert quote["ask_price"] >= quote["bid_price"] > 0
    assert quote["timestamp_type"] == "Timestamp"
    assert quote["raw"]["t"].startswith("2026-11-18T15:00")
    assert seen["trade"]["price"] > 0 and seen["trade"]["size"] > 0
    assert seen["latest_bar"]["raw"]["t"] == "2026-11-18T14:59:00Z"
    assert seen["latest_bar"]["close"] > 0
    minutes = seen["minute_bars"]
    assert minutes["count"] == 30 and minutes["first"]["t"] == "2026-11-18T14:30:00Z"
    assert {"open", "high", "low", "close", "volume"} <= set(minutes["df_columns"])
    assert minutes["df_index_type"] == "DatetimeIndex"
    assert seen["day_bars_count"] == 12  # 2-17 November: start and end are inclusive dates
    assert seen["five_minute_limited"] == 3
    assert seen["multi_symbol_bars"] == ["AAPL", "MSFT"]
    assert seen["latest_quotes"] == seen["latest_trades"] == ["AAPL", "MSFT"]
    trades = seen["trades"]  # ticks are one a second; every one in the window prints
    assert trades["count"] == 120 and trades["first"]["t"] == "2026-11-18T14:58:00Z"
    assert seen["quotes_count"] == 120
    snap = seen["snapshot"]
    assert snap["quote_bid"] == quote["bid_price"] and snap["trade_price"] == seen["trade"]["price"]
    assert snap["daily_close"] > 0 and snap["prev_daily_close"] > 0
    assert snap["minute_t"] == "2026-11-18T14:59:00Z"


def test_the_stream_on_the_slash_path_delivers_trade_updates_and_stops_cleanly(
    live: Live, sdk_python: Path
) -> None:
    seen = drive(live, sdk_python, "stream")
    assert seen["connected"] and seen["endpoint"].endswith("/stream/")
    assert seen["fill_seen"] and seen["canceled_seen"]
    market, limit, replacement = seen["market_id"], seen["limit_id"], seen["replacement_id"]
    flow = [(event["event"], event["order_id"]) for event in seen["events"]]
    assert flow == [
        ("new", market),
        ("fill", market),
        ("new", limit),
        ("replaced", limit),
        ("new", replacement),
        ("canceled", replacement),
    ]
    statuses = [event["status"] for event in seen["events"]]
    assert statuses == ["new", "filled", "new", "replaced", "new", "canceled"]
    fill = seen["events"][1]["raw"]
    assert fill["order"]["status"] == "filled" and fill["qty"] == "1"
    assert fill["position_qty"] == "1" and Decimal(fill["price"]) > 0
    assert is_uuid(fill["execution_id"]) and fill["timestamp"].startswith("2026-11-18T15:00")
    assert seen["events"][3]["raw"]["order"]["replaced_by"] == replacement
    assert seen["stopped"] and seen["socket_closed"]
    assert seen["stop_seconds"] < 10


def test_live_market_data_reaches_the_stream_s_trade_quote_and_bar_handlers(
    live: Live, sdk_python: Path
) -> None:
    seen = drive(live, sdk_python, "data_stream", tick_s=1)
    assert seen["bar_seen"] and seen["endpoint"].endswith("/v2/iex"), seen
    trade, quote, bar = seen["trades"][0], seen["quotes"][0], seen["bars"][0]
    assert (trade["type"], quote["type"], bar["type"]) == ("Trade", "Quote", "Bar")
    trade, quote, bar = trade["raw"], quote["raw"], bar["raw"]  # as the SDK names the fields
    assert trade["symbol"] == "AAPL" and trade["price"] > 0 and trade["size"] > 0
    assert quote["bid_price"] < quote["ask_price"]
    assert isinstance(bar["timestamp"], int) and bar["timestamp"] % 60_000_000_000 == 0
    assert bar["low"] <= bar["close"] <= bar["high"] and bar["volume"] > 0
