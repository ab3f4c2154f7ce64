"""Alpaca watchlists, account configurations and market data, driven by the real alpaca-py
TradingClient and StockHistoricalDataClient against the server on a real port."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from alpaca.common.exceptions import APIError
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.models import BarSet
from alpaca.data.requests import (
    StockBarsRequest,
    StockLatestBarRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
)
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
from alpaca.trading.client import TradingClient
from alpaca.trading.models import AccountConfiguration, Watchlist
from alpaca.trading.requests import (
    CreateWatchlistRequest,
    MarketOrderRequest,
    UpdateWatchlistRequest,
)
from api_support import Live

from vtrade.core.clock import from_ns


@pytest.fixture
def trading(live: Live) -> TradingClient:
    key = live.key("alice")
    return TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)


@pytest.fixture
def data(live: Live) -> StockHistoricalDataClient:
    key = live.key("alice")
    return StockHistoricalDataClient(key.key_id, key.secret, url_override=live.base_url)


def symbols_of(watchlist: object) -> list[str]:
    assert isinstance(watchlist, Watchlist)
    return [a.symbol for a in watchlist.assets or []]


def test_watchlists_are_created_read_updated_and_deleted(trading: TradingClient) -> None:
    made = trading.create_watchlist(CreateWatchlistRequest(name="tech", symbols=["AAPL", "MSFT"]))
    assert isinstance(made, Watchlist) and made.name == "tech"
    assert symbols_of(made) == ["AAPL", "MSFT"]
    listed = trading.get_watchlists()
    assert isinstance(listed, list) and [w.id for w in listed] == [made.id]
    renamed = trading.update_watchlist_by_id(
        made.id, UpdateWatchlistRequest(name="big tech", symbols=["NVDA", "AAPL"])
    )
    assert isinstance(renamed, Watchlist) and renamed.name == "big tech"
    assert symbols_of(renamed) == ["NVDA", "AAPL"]
    assert symbols_of(trading.add_asset_to_watchlist_by_id(made.id, "BTC/USD")) == [
        "NVDA",
        "AAPL",
        "BTC/USD",
    ]
    assert symbols_of(trading.remove_asset_from_watchlist_by_id(made.id, "AAPL")) == [
        "NVDA",
        "BTC/USD",
    ]
    assert symbols_of(trading.get_watchlist_by_id(made.id)) == ["NVDA", "BTC/USD"]
    assert trading.delete_watchlist_by_id(made.id) is None
    with pytest.raises(APIError) as gone:
        trading.get_watchlist_by_id(made.id)
    assert gone.value.status_code == 404 and gone.value.code == 40410000


def test_watchlists_are_reachable_by_name(trading: TradingClient) -> None:
    trading.create_watchlist(CreateWatchlistRequest(name="energy", symbols=["XOM"]))
    found = trading.get("/watchlists:by_name", {"name": "energy"})
    assert isinstance(found, dict) and [a["symbol"] for a in found["assets"]] == ["XOM"]
    added = trading.post("/watchlists:by_name?name=energy", {"symbol": "CVX"})
    assert isinstance(added, dict) and len(added["assets"]) == 2
    trading.delete("/watchlists:by_name", {"name": "energy"})
    assert trading.get_watchlists() == []


def test_watchlist_names_are_unique_and_symbols_must_exist(trading: TradingClient) -> None:
    trading.create_watchlist(CreateWatchlistRequest(name="dup", symbols=[]))
    with pytest.raises(APIError) as taken:
        trading.create_watchlist(CreateWatchlistRequest(name="dup", symbols=["AAPL"]))
    assert taken.value.status_code == 422 and "dup" in taken.value.message
    with pytest.raises(APIError) as unknown:
        trading.create_watchlist(CreateWatchlistRequest(name="x", symbols=["ZZZZ"]))
    assert unknown.value.status_code == 422 and "ZZZZ" in unknown.value.message


def test_account_configurations_round_trip_and_suspend_trade_blocks_orders(
    trading: TradingClient,
) -> None:
    config = trading.get_account_configurations()
    assert isinstance(config, AccountConfiguration) and config.suspend_trade is False
    config.suspend_trade = True
    config.no_shorting = True
    saved = trading.set_account_configurations(config)
    assert isinstance(saved, AccountConfiguration) and saved.suspend_trade and saved.no_shorting
    again = trading.get_account_configurations()
    assert isinstance(again, AccountConfiguration) and again.suspend_trade is True
    account = trading.get_account()
    assert not isinstance(account, dict) and account.trading_blocked is True
    with pytest.raises(APIError) as blocked:
        trading.submit_order(
            MarketOrderRequest(symbol="AAPL", qty=1, side="buy", time_in_force="day")
        )
    assert blocked.value.status_code == 403 and "trading is suspended" in blocked.value.message


def test_no_shorting_refuses_a_sell_beyond_the_position(trading: TradingClient) -> None:
    trading.patch("/account/configurations", {"no_shorting": True, "suspend_trade": None})
    with pytest.raises(APIError) as refused:
        trading.submit_order(
            MarketOrderRequest(symbol="AAPL", qty=1, side="sell", time_in_force="day")
        )
    assert refused.value.status_code == 403 and "may not sell short" in refused.value.message
    config = trading.get_account_configurations()
    assert isinstance(config, AccountConfiguration) and config.no_shorting is True
    assert config.suspend_trade is False
    with pytest.raises(APIError) as bad:
        trading.patch("/account/configurations", {"max_margin_multiplier": "7"})
    assert bad.value.status_code == 422 and bad.value.code == 40010001


def test_a_margin_multiplier_of_one_makes_the_account_borrow_nothing(
    trading: TradingClient,
) -> None:
    trading.patch("/account/configurations", {"max_margin_multiplier": "1"})
    config = trading.get_account_configurations()
    assert isinstance(config, AccountConfiguration) and config.max_margin_multiplier == "1"
    account = trading.get_account()
    assert not isinstance(account, dict) and account.multiplier == "1"
    assert account.buying_power == account.equity

    for symbol in ("QQQ", "IWM", "DIA", "XLK"):  # 920,000 of a 1,000,000 account
        trading.submit_order(
            MarketOrderRequest(symbol=symbol, notional=230_000, side="buy", time_in_force="day")
        )
    with pytest.raises(APIError) as refused:
        trading.submit_order(
            MarketOrderRequest(symbol="XLF", notional=230_000, side="buy", time_in_force="day")
        )

    assert refused.value.status_code == 403 and "cash-only" in refused.value.message
    after = trading.get_account()
    assert not isinstance(after, dict) and float(after.cash) >= 0


def test_the_alpaca_account_rules_hold_for_native_orders_too(live: Live) -> None:
    key = live.key("alice")
    alpaca = TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)
    alpaca.patch("/account/configurations", {"suspend_trade": True})
    native = httpx.post(
        f"{live.base_url}/api/v1/accounts/{key.account_id}/orders",
        headers=key.headers,
        json={"symbol": "AAPL", "side": "buy", "qty": "1", "type": "market"},
    )
    assert native.status_code == 403, native.text
    assert native.json()["details"]["rule"] == "trading_suspended"


def test_historical_bars_page_through_completed_bars_only(
    live: Live, data: StockHistoricalDataClient
) -> None:
    now = from_ns(live.clock.now_ns())
    request = StockBarsRequest(
        symbol_or_symbols=["AAPL", "MSFT"],
        timeframe=TimeFrame(5, TimeFrameUnit.Minute),
        start=now - timedelta(hours=2),
        end=now,
    )
    bars = data.get_stock_bars(request)
    assert isinstance(bars, BarSet)
    assert len(bars["AAPL"]) == len(bars["MSFT"]) == 24
    assert all(b.timestamp + timedelta(minutes=5) <= now for b in bars["AAPL"])
    assert all(b.low <= b.open <= b.high and b.volume > 0 for b in bars["AAPL"])
    small_pages = data.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols=["AAPL", "MSFT"],
            timeframe=TimeFrame(5, TimeFrameUnit.Minute),
            start=now - timedelta(hours=2),
            end=now,
            limit=30,
        )
    )
    assert isinstance(small_pages, BarSet)
    assert len(small_pages["AAPL"]) == 24 and len(small_pages["MSFT"]) == 6
    daily = data.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols="SPY", timeframe=TimeFrame.Day, start=now - timedelta(days=10)
        )
    )
    assert isinstance(daily, BarSet) and 6 <= len(daily["SPY"]) <= 9
    assert daily["SPY"][-1].timestamp.date() == now.date()  # today's, as far as it has gone
    assert daily["SPY"][-1].volume < daily["SPY"][-2].volume


def test_latest_quote_trade_and_bar_match_the_market(
    live: Live, data: StockHistoricalDataClient
) -> None:
    quotes = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["AAPL"]))
    trades = data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="AAPL"))
    latest = data.get_stock_latest_bar(StockLatestBarRequest(symbol_or_symbols="AAPL"))
    assert isinstance(quotes, dict) and isinstance(trades, dict) and isinstance(latest, dict)
    quote = quotes["AAPL"]
    market = live.container.market.quote("AAPL", live.clock.now_ns())
    assert quote.bid_price == float(market.bid) and quote.ask_price == float(market.ask)
    assert quote.bid_price < trades["AAPL"].price * 1.01
    assert latest["AAPL"].close > 0


def test_market_data_refuses_unknown_symbols_and_timeframes(
    data: StockHistoricalDataClient,
) -> None:
    with pytest.raises(APIError) as unknown:
        data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="ZZZZ"))
    assert unknown.value.status_code == 422 and "ZZZZ" in unknown.value.message
    with pytest.raises(APIError) as frame:
        data.get("/stocks/bars", {"symbols": "AAPL", "timeframe": "7Day"})
    assert frame.value.status_code == 422 and "timeframe" in frame.value.message
