"""Drive the Alpaca `/v2` surface, `/stream/` and the live market data (`/v2/iex`) with
alpaca-trade-api 3.2.0 (`REST`, `Stream`).

This is not a test module: `test_alpaca_trade_api.py` runs it with the Python of a separate
virtual environment (the SDK pins websockets<11, msgpack==1.0.3 and urllib3<2, which would
break uvicorn in the main one). Usage: `python alpaca_trade_api_script.py SECTION`, with
`APCA_API_KEY_ID`, `APCA_API_SECRET_KEY`, `APCA_API_BASE_URL`, `APCA_API_DATA_URL` and
`APCA_API_STREAM_URL` set.

It prints one JSON object `{"section", "observed", "error"}`: what the SDK returned, reduced
to plain JSON values (with the Python type names of the parsed attributes where they
matter), and, if a call raised, the exception and the tail of its traceback.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import alpaca_trade_api
from alpaca_trade_api.rest import REST, APIError, TimeFrame, TimeFrameUnit

Observed = dict[str, Any]


def rest() -> REST:
    return REST()  # key, secret and base URL from the APCA_* environment variables


def kind(value: object) -> str:
    return type(value).__name__


def api_error(call: Callable[[], object]) -> dict[str, Any]:
    """Run `call`, which must raise `alpaca_trade_api.rest.APIError`; describe the error."""
    try:
        call()
    except APIError as exc:
        return {
            "type": kind(exc),
            "code": exc.code,
            "status_code": exc.status_code,
            "message": str(exc),
        }
    except Exception as exc:  # reported; the test says what it expected
        return {"type": kind(exc), "message": str(exc)}
    return {"type": None, "message": "no exception was raised"}


def wait_for_status(api: REST, order_id: str, statuses: set[str], seconds: float = 5) -> Any:
    deadline = time.monotonic() + seconds
    order = api.get_order(order_id)
    while order.status not in statuses and time.monotonic() < deadline:
        time.sleep(0.05)
        order = api.get_order(order_id)
    return order


def order_view(order: Any) -> Observed:
    raw = order._raw
    return {
        "raw": raw,
        "created_at_type": kind(order.created_at),
        "submitted_at_type": kind(order.submitted_at),
    }


def below_market(api: REST, symbol: str, factor: float = 0.97) -> float:
    quote = api.get_latest_quote(symbol)
    return round(float(quote.bid_price) * factor, 2)


# -- sections -------------------------------------------------------------------------------


def section_account(out: Observed) -> None:
    api = rest()
    account = api.get_account()
    out["account"] = {"raw": account._raw, "created_at_type": kind(account.created_at)}
    out["account_cash_float"] = float(account.cash)
    configurations = api.get_account_configurations()
    out["configurations"] = configurations._raw
    clock = api.get_clock()
    out["clock"] = {
        "raw": clock._raw,
        "is_open": clock.is_open,
        "timestamp_type": kind(clock.timestamp),
        "next_close_after_timestamp": bool(clock.next_close > clock.timestamp),
        "next_open_after_timestamp": bool(clock.next_open > clock.timestamp),
    }
    days = api.get_calendar(start="2026-11-23", end="2026-11-27")
    out["calendar"] = [
        {
            "raw": day._raw,
            "date": day.date.strftime("%Y-%m-%d"),
            "open": day.open.strftime("%H:%M"),
            "close": day.close.strftime("%H:%M"),
            "session_open": day.session_open.strftime("%H:%M"),
            "session_close": day.session_close.strftime("%H:%M"),
        }
        for day in days
    ]
    rfc3339 = api.get_calendar(start="2026-11-23T00:00:00Z", end="2026-11-24T00:00:00Z")
    out["calendar_rfc3339_dates"] = [day._raw["date"] for day in rfc3339]
    assets = api.list_assets(status="active")
    out["assets_count"] = len(assets)
    out["assets_symbols_sample"] = sorted(a.symbol for a in assets if a.symbol in {"AAPL", "MSFT"})
    out["assets_us_equity"] = len(api.list_assets(status="active", asset_class="us_equity"))
    out["asset"] = api.get_asset("AAPL")._raw
    out["asset_by_id"] = api.get_asset(out["asset"]["id"])._raw["symbol"]


def section_orders(out: Observed) -> None:
    api = rest()
    market = api.submit_order(
        "AAPL", qty=3, side="buy", type="market", time_in_force="day", client_order_id="ata-mkt"
    )
    out["market_submitted"] = order_view(market)
    out["market"] = order_view(wait_for_status(api, market.id, {"filled"}))
    by_client = api.get_order_by_client_order_id("ata-mkt")
    out["by_client_order_id"] = by_client.id
    price = below_market(api, "AAPL")
    limit = api.submit_order(
        "AAPL", qty=2, side="buy", type="limit", time_in_force="gtc", limit_price=str(price)
    )
    out["limit_price_sent"] = price
    out["limit"] = order_view(limit)
    out["open_ids"] = [o.id for o in api.list_orders(status="open")]
    out["closed_ids"] = [o.id for o in api.list_orders(status="closed")]
    out["all_ids"] = [o.id for o in api.list_orders(status="all", limit=50, direction="asc")]
    out["symbols_filter_ids"] = [o.id for o in api.list_orders(status="all", symbols=["AAPL"])]
    new_price = round(price - 1, 2)
    replacement = api.replace_order(limit.id, qty="4", limit_price=str(new_price))
    out["replacement"] = order_view(replacement)
    out["replaced"] = api.get_order(limit.id)._raw
    out["cancel_returns"] = repr(api.cancel_order(replacement.id))
    out["canceled"] = api.get_order(replacement.id)._raw
    out["cancel_again"] = api_error(lambda: api.cancel_order(replacement.id))
    for qty in (1, 2):
        api.submit_order(
            "MSFT",
            qty=qty,
            side="buy",
            type="limit",
            time_in_force="day",
            limit_price=str(below_market(api, "MSFT")),
        )
    out["open_before_cancel_all"] = len(api.list_orders(status="open"))
    out["cancel_all_returns"] = repr(api.cancel_all_orders())
    out["open_after_cancel_all"] = len(api.list_orders(status="open"))
    out["nested_get"] = api.get_order(market.id, nested=True).id


def section_positions(out: Observed) -> None:
    api = rest()
    for symbol, qty, side in (("AAPL", 5, "buy"), ("MSFT", 4, "sell"), ("SPY", 1, "buy")):
        order = api.submit_order(symbol, qty=qty, side=side, type="market", time_in_force="day")
        wait_for_status(api, order.id, {"filled"})
    positions = api.list_positions()
    out["positions"] = {p.symbol: p._raw for p in positions}
    out["position"] = api.get_position("AAPL")._raw
    partial = api.close_position("AAPL", qty=2)
    out["close_partial"] = partial._raw
    wait_for_status(api, partial.id, {"filled"})
    out["position_after_partial"] = api.get_position("AAPL")._raw["qty"]
    full = api.close_position("AAPL")
    out["close_full"] = full._raw
    wait_for_status(api, full.id, {"filled"})
    out["position_gone"] = api_error(lambda: api.get_position("AAPL"))
    closed = api.close_all_positions()
    out["close_all"] = [c._raw for c in closed]
    for item in closed:
        order_id = item._raw.get("body", {}).get("id")
        if order_id:
            wait_for_status(api, order_id, {"filled"})
    out["positions_after_close_all"] = [p.symbol for p in api.list_positions()]


def section_fills(out: Observed) -> None:
    api = rest()
    for symbol, qty in (("AAPL", 2), ("MSFT", 1)):
        order = api.submit_order(symbol, qty=qty, side="buy", type="market", time_in_force="day")
        out[symbol] = wait_for_status(api, order.id, {"filled"}).id


def section_history(out: Observed) -> None:
    api = rest()
    out["equity"] = float(api.get_account().equity)
    activities = api.get_activities()
    out["activities"] = [a._raw for a in activities]
    fills = api.get_activities(activity_types="FILL")
    out["fills"] = [a._raw for a in fills]
    out["fill_transaction_time_type"] = kind(fills[0].transaction_time) if fills else None
    out["fills_and_deposits"] = [
        a._raw["activity_type"] for a in api.get_activities(activity_types=["FILL", "CSD"])
    ]
    out["fills_asc"] = [a._raw["symbol"] for a in api.get_activities("FILL", direction="asc")]
    first = api.get_activities(page_size=1)
    out["page_size_1"] = len(first)
    out["after_first_page"] = len(api.get_activities(page_token=first[0].id)) if first else None
    history = api.get_portfolio_history(period="1W", timeframe="1H")
    out["history"] = history._raw
    frame = history.df
    out["history_df"] = {
        "rows": len(frame),
        "columns": list(frame.columns),
        "index_tz": str(frame.index.tz),
    }
    daily = api.get_portfolio_history(
        date_start="2026-11-02", date_end="2026-11-18", timeframe="1D"
    )
    out["history_daily_len"] = len(daily._raw["timestamp"])


def section_watchlists(out: Observed) -> None:
    api = rest()
    created = api.create_watchlist("ata-tech", symbols=["AAPL"])
    out["created"] = {"raw": created._raw, "created_at_type": kind(created.created_at)}
    added = api.add_to_watchlist(created.id, "MSFT")
    out["added_symbols"] = [a["symbol"] for a in added.assets]
    out["got_symbols"] = [a["symbol"] for a in api.get_watchlist(created.id).assets]
    out["by_name_id"] = api.get_watchlist_by_name("ata-tech").id
    updated = api.update_watchlist(created.id, name="ata-renamed", symbols=["SPY", "AAPL"])
    out["updated"] = {"name": updated.name, "symbols": [a["symbol"] for a in updated.assets]}
    out["delete_symbol_returns"] = repr(api.delete_from_watchlist(created.id, "SPY"))
    out["after_delete_symbol"] = [a["symbol"] for a in api.get_watchlist(created.id).assets]
    out["listed_names"] = [w.name for w in api.get_watchlists()]
    out["delete_returns"] = repr(api.delete_watchlist(created.id))
    out["gone"] = api_error(lambda: api.get_watchlist(created.id))
    out["listed_after_delete"] = len(api.get_watchlists())


def section_errors(out: Observed) -> None:
    api = rest()
    out["unknown_order"] = api_error(lambda: api.get_order(str(uuid.uuid4())))
    out["malformed_order_id"] = api_error(lambda: api.get_order("not-an-id"))
    out["unknown_client_order_id"] = api_error(lambda: api.get_order_by_client_order_id("nope"))
    out["unknown_asset"] = api_error(lambda: api.get_asset("ZZZZZZ"))
    out["buying_power"] = api_error(
        lambda: api.submit_order(
            "AAPL", qty=1_000_000, side="buy", type="market", time_in_force="day"
        )
    )
    out["bad_qty"] = api_error(
        lambda: api.submit_order("AAPL", qty=0, side="buy", type="market", time_in_force="day")
    )
    out["bad_type"] = api_error(
        lambda: api.submit_order("AAPL", qty=1, side="buy", type="bogus", time_in_force="day")
    )

    def twice(qty: int) -> Any:
        return api.submit_order(
            "AAPL", qty=qty, side="buy", type="market", time_in_force="day", client_order_id="dup"
        )

    twice(1)
    out["same_client_order_id_same_order"] = api_error(lambda: twice(1))  # unique, as on Alpaca
    out["same_client_order_id_other_order"] = api_error(lambda: twice(2))
    wrong = REST(key_id="AKWRONGWRONGWRONG", secret_key="nope")
    out["unauthorized"] = api_error(wrong.get_account)
    out["unknown_route"] = api_error(lambda: api.get("/no/such/route"))


def section_marketdata(out: Observed) -> None:
    api = rest()
    quote = api.get_latest_quote("AAPL")
    out["quote"] = {
        "raw": quote._raw,
        "ask_price": quote.ask_price,
        "bid_price": quote.bid_price,
        "timestamp_type": kind(quote.timestamp),
    }
    trade = api.get_latest_trade("AAPL")
    out["trade"] = {"raw": trade._raw, "price": trade.price, "size": trade.size}
    bar = api.get_latest_bar("AAPL")
    out["latest_bar"] = {"raw": bar._raw, "close": bar.close, "volume": bar.volume}
    minutes = api.get_bars(
        "AAPL", TimeFrame.Minute, start="2026-11-18T14:30:00Z", end="2026-11-18T15:00:00Z"
    )
    out["minute_bars"] = {
        "count": len(minutes),
        "first": minutes[0]._raw if minutes else None,
        "df_columns": sorted(minutes.df.columns),
        "df_index_type": kind(minutes.df.index),
    }
    days = api.get_bars("AAPL", TimeFrame.Day, start="2026-11-02", end="2026-11-17")
    out["day_bars_count"] = len(days)
    five = api.get_bars(
        "AAPL",
        TimeFrame(5, TimeFrameUnit.Minute),
        start="2026-11-18T14:30:00Z",
        end="2026-11-18T15:00:00Z",
        limit=3,
    )
    out["five_minute_limited"] = len(five)
    many = api.get_bars(
        ["AAPL", "MSFT"], TimeFrame.Minute, start="2026-11-18T14:30:00Z", end="2026-11-18T15:00:00Z"
    )
    out["multi_symbol_bars"] = sorted({b._raw["S"] for b in many})
    out["latest_quotes"] = sorted(api.get_latest_quotes(["AAPL", "MSFT"]))
    out["latest_trades"] = sorted(api.get_latest_trades(["AAPL", "MSFT"]))
    window = {"start": "2026-11-18T14:58:00Z", "end": "2026-11-18T14:59:59Z"}
    trades = api.get_trades("AAPL", **window)
    out["trades"] = {"count": len(trades), "first": trades[0]._raw if trades else None}
    quotes = api.get_quotes("MSFT", **window)
    out["quotes_count"] = len(quotes)
    snap = api.get_snapshot("AAPL")
    out["snapshot"] = {
        "quote_bid": snap.latest_quote.bid_price,
        "trade_price": snap.latest_trade.price,
        "daily_close": snap.daily_bar.close,
        "prev_daily_close": snap.prev_daily_bar.close,
        "minute_t": snap.minute_bar._raw["t"],
    }


def section_stream(out: Observed) -> None:
    api = rest()
    stream = alpaca_trade_api.Stream(data_feed="iex")  # URLs from APCA_API_BASE_URL
    events: list[Observed] = []
    arrived = threading.Condition()

    async def on_trade_update(update: Any) -> None:
        with arrived:
            events.append(
                {
                    "event": update.event,
                    "order_id": update.order["id"],
                    "status": update.order["status"],
                    "timestamp_type": kind(update.timestamp),
                    "raw": update._raw,
                }
            )
            arrived.notify_all()

    def wait_for(event: str, order_id: str) -> bool:
        with arrived:
            return arrived.wait_for(
                lambda: any(e["event"] == event and e["order_id"] == order_id for e in events),
                timeout=10,
            )

    stream.subscribe_trade_updates(on_trade_update)
    runner = threading.Thread(target=stream.run, name="alpaca-trade-api-stream", daemon=True)
    runner.start()
    trading_ws = stream._trading_ws
    deadline = time.monotonic() + 10
    while not trading_ws._running and time.monotonic() < deadline:
        time.sleep(0.02)
    out["connected"] = bool(trading_ws._running)
    out["endpoint"] = trading_ws._endpoint
    time.sleep(0.3)  # `listen` is sent right after the authorization reply; let it land
    market = api.submit_order("AAPL", qty=1, side="buy", type="market", time_in_force="day")
    out["market_id"] = market.id
    out["fill_seen"] = wait_for("fill", market.id)
    limit = api.submit_order(
        "AAPL",
        qty=1,
        side="buy",
        type="limit",
        time_in_force="day",
        limit_price=str(below_market(api, "AAPL")),
    )
    replacement = api.replace_order(limit.id, qty="2")
    api.cancel_order(replacement.id)
    out["limit_id"], out["replacement_id"] = limit.id, replacement.id
    out["canceled_seen"] = wait_for("canceled", replacement.id)
    started = time.monotonic()
    stream.stop()  # the SDK looks at its stop queue after each message or 5 s receive timeout
    runner.join(15)
    out["stop_seconds"] = round(time.monotonic() - started, 2)
    out["stopped"] = not runner.is_alive()
    out["socket_closed"] = trading_ws._ws is None
    with arrived:
        out["events"] = list(events)


def section_data_stream(out: Observed) -> None:
    """Live trades, quotes and minute bars of AAPL; the test moves the clock meanwhile."""
    stream = alpaca_trade_api.Stream(data_feed="iex")  # its URL from APCA_API_STREAM_URL
    got: dict[str, list[Observed]] = {"trades": [], "quotes": [], "bars": []}
    barred = threading.Event()

    def keep(channel: str) -> Callable[[Any], Any]:
        async def handler(item: Any) -> None:
            got[channel].append({"type": kind(item), "raw": item._raw})
            if channel == "bars":
                barred.set()

        return handler

    stream.subscribe_trades(keep("trades"), "AAPL")
    stream.subscribe_quotes(keep("quotes"), "AAPL")
    stream.subscribe_bars(keep("bars"), "AAPL")
    runner = threading.Thread(target=stream.run, name="alpaca-trade-api-data", daemon=True)
    runner.start()
    out["bar_seen"] = barred.wait(60)
    stream.stop()
    runner.join(15)
    out["endpoint"] = stream._data_ws._endpoint
    out.update({channel: items[:3] for channel, items in got.items()})


SECTIONS: dict[str, Callable[[Observed], None]] = {
    "account": section_account,
    "orders": section_orders,
    "positions": section_positions,
    "fills": section_fills,
    "history": section_history,
    "watchlists": section_watchlists,
    "errors": section_errors,
    "marketdata": section_marketdata,
    "stream": section_stream,
    "data_stream": section_data_stream,
}


def main() -> int:
    name = sys.argv[1]
    observed: Observed = {"sdk_version": alpaca_trade_api.__version__}
    error = None
    try:
        SECTIONS[name](observed)
    except Exception as exc:  # reported to the test, which fails with it
        error = {
            "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc),
            "traceback": traceback.format_exc().splitlines()[-12:],
        }
        if isinstance(exc, APIError):
            error["code"] = exc.code
            error["status_code"] = exc.status_code
    print(json.dumps({"section": name, "observed": observed, "error": error}, default=str))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
