"""Alpaca historical quotes and trades, snapshots, and the crypto market data under
`/v1beta3/crypto/us`, driven by the real alpaca-py data clients against the server on a real
port."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alpaca.common.exceptions import APIError
from alpaca.data.historical.crypto import CryptoHistoricalDataClient
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.models import BarSet, QuoteSet, TradeSet
from alpaca.data.requests import (
    CryptoBarsRequest,
    CryptoLatestOrderbookRequest,
    CryptoLatestQuoteRequest,
    CryptoLatestTradeRequest,
    CryptoQuoteRequest,
    CryptoSnapshotRequest,
    CryptoTradesRequest,
    StockQuotesRequest,
    StockSnapshotRequest,
    StockTradesRequest,
)
from alpaca.data.timeframe import TimeFrame
from api_support import Live

from vtrade.core.clock import from_ns, to_ns


@pytest.fixture
def stocks(live: Live) -> StockHistoricalDataClient:
    key = live.key("alice")
    return StockHistoricalDataClient(key.key_id, key.secret, url_override=live.base_url)


@pytest.fixture
def crypto(live: Live) -> CryptoHistoricalDataClient:
    key = live.key("alice")
    return CryptoHistoricalDataClient(key.key_id, key.secret, url_override=live.base_url)


def test_historical_trades_are_the_market_prints_up_to_now_paged_without_gaps(
    live: Live, stocks: StockHistoricalDataClient
) -> None:
    now_ns = live.clock.now_ns()
    now = from_ns(now_ns)
    window = {"symbol_or_symbols": ["AAPL", "MSFT"], "start": now - timedelta(minutes=3)}
    whole = stocks.get_stock_trades(StockTradesRequest(**window))
    assert isinstance(whole, TradeSet)
    prints = live.container.market.prints("AAPL", to_ns(now - timedelta(minutes=3)) - 1, now_ns)
    aapl = whole["AAPL"]
    assert len(aapl) == len(prints.ts) > 10 and len(whole["MSFT"]) > 10
    assert [t.price for t in aapl] == [round(float(p), 2) for p in prints.price]  # on the tick
    assert [t.size for t in aapl] == [round(float(s)) for s in prints.size]
    assert all(t.timestamp <= now for t in aapl)
    # pages of 7 give the same items, none twice
    raw, pages = _pages(stocks, "/stocks/trades", {**_query(window), "limit": 7}, "trades")
    assert pages == -(-(len(aapl) + len(whole["MSFT"])) // 7)
    assert [t["p"] for t in raw["AAPL"]] == [t.price for t in aapl]
    assert len({t["i"] for t in raw["AAPL"]}) == len(aapl)
    assert len(raw["MSFT"]) == len(whole["MSFT"])
    newest_first = stocks.get("/stocks/trades", {**_query(window), "sort": "desc", "limit": 5})
    assert [t["p"] for t in newest_first["trades"]["AAPL"]] == [t.price for t in aapl[::-1][:5]]


def test_historical_quotes_follow_the_feed_with_a_bid_under_the_ask(
    live: Live, stocks: StockHistoricalDataClient
) -> None:
    now = from_ns(live.clock.now_ns())
    quotes = stocks.get_stock_quotes(
        StockQuotesRequest(symbol_or_symbols="SPY", start=now - timedelta(minutes=1))
    )
    assert isinstance(quotes, QuoteSet)
    spy = quotes["SPY"]
    assert len(spy) > 10 and all(q.bid_price < q.ask_price for q in spy)
    assert all(q.timestamp <= now for q in spy)
    # the feed's float carries binary noise (670.1800000000001); the API serves it on the tick
    bid = live.container.market.touch("SPY", live.clock.now_ns()).bid
    assert spy[-1].bid_price == round(bid, 2)


def test_a_stock_snapshot_holds_the_latest_trade_quote_minute_and_days(
    live: Live, stocks: StockHistoricalDataClient
) -> None:
    snapshots = stocks.get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols=["AAPL", "SPY"]))
    assert isinstance(snapshots, dict) and set(snapshots) == {"AAPL", "SPY"}
    snap = snapshots["AAPL"]
    now = from_ns(live.clock.now_ns())
    assert snap.latest_trade is not None and snap.latest_quote is not None
    assert snap.latest_quote.bid_price < snap.latest_quote.ask_price
    assert snap.minute_bar is not None and snap.minute_bar.timestamp < now
    assert snap.daily_bar is not None and snap.previous_daily_bar is not None
    assert snap.previous_daily_bar.timestamp < snap.daily_bar.timestamp <= now
    one = stocks.get("/stocks/AAPL/snapshot")  # alpaca-trade-api's path
    assert one["symbol"] == "AAPL" and one["latestQuote"]["bp"] == snap.latest_quote.bid_price


def test_crypto_market_data_serves_pairs_as_alpaca_writes_them(
    live: Live, crypto: CryptoHistoricalDataClient
) -> None:
    now = from_ns(live.clock.now_ns())
    pairs = ["BTC/USD", "ETH/USD"]
    bars = crypto.get_crypto_bars(
        CryptoBarsRequest(
            symbol_or_symbols=pairs, timeframe=TimeFrame.Day, start=now - timedelta(days=7)
        )
    )
    assert isinstance(bars, BarSet) and len(bars["BTC/USD"]) >= 7 and len(bars["ETH/USD"]) >= 7
    quotes = crypto.get_crypto_latest_quote(CryptoLatestQuoteRequest(symbol_or_symbols=pairs))
    assert isinstance(quotes, dict)
    market = live.container.market.quote("BTC-USD", live.clock.now_ns())
    assert quotes["BTC/USD"].bid_price == float(market.bid)
    trades = crypto.get_crypto_latest_trade(CryptoLatestTradeRequest(symbol_or_symbols="BTC/USD"))
    assert isinstance(trades, dict) and trades["BTC/USD"].timestamp <= now
    history = crypto.get_crypto_trades(
        CryptoTradesRequest(symbol_or_symbols="BTC/USD", start=now - timedelta(minutes=2))
    )
    assert isinstance(history, TradeSet) and history["BTC/USD"][-1].price == trades["BTC/USD"].price
    quote_history = crypto.get_crypto_quotes(
        CryptoQuoteRequest(symbol_or_symbols="ETH/USD", start=now - timedelta(minutes=1))
    )
    assert isinstance(quote_history, QuoteSet) and len(quote_history["ETH/USD"]) > 5
    snapshots = crypto.get_crypto_snapshot(CryptoSnapshotRequest(symbol_or_symbols=pairs))
    assert isinstance(snapshots, dict) and snapshots["ETH/USD"].daily_bar is not None
    books = crypto.get_crypto_latest_orderbook(
        CryptoLatestOrderbookRequest(symbol_or_symbols=pairs)
    )
    assert isinstance(books, dict)
    book = books["BTC/USD"]
    assert book.bids[0].price == float(market.bid) and book.asks[0].price == float(market.ask)
    assert [b.price for b in book.bids] == sorted((b.price for b in book.bids), reverse=True)


def test_crypto_paths_refuse_stocks_and_unknown_locations(
    crypto: CryptoHistoricalDataClient,
) -> None:
    with pytest.raises(APIError) as stock:
        crypto.get_crypto_latest_quote(CryptoLatestQuoteRequest(symbol_or_symbols="AAPL"))
    assert stock.value.status_code == 422 and "/v2/stocks" in stock.value.message
    with pytest.raises(APIError) as location:
        crypto.get("/crypto/mars/latest/quotes", {"symbols": "BTC/USD"})
    assert location.value.status_code == 422 and "us, us-1, eu-1" in location.value.message
    with pytest.raises(APIError) as token:
        crypto.get("/crypto/us/trades", {"symbols": "BTC/USD", "page_token": "bm9wZQ=="})
    assert token.value.status_code == 422 and "page_token" in token.value.message


def _query(window: dict[str, Any]) -> dict[str, Any]:
    symbols = window["symbol_or_symbols"]
    return {"symbols": ",".join(symbols), "start": window["start"].isoformat()}


def _pages(
    client: StockHistoricalDataClient, path: str, query: dict[str, Any], key: str
) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """Every item of a paged request, following next_page_token by hand; and the pages."""
    found: dict[str, list[dict[str, Any]]] = {}
    token = None
    for pages in range(1, 1000):
        page = client.get(path, {**query, "page_token": token})
        assert isinstance(page, dict)
        for symbol, items in page[key].items():
            found.setdefault(symbol, []).extend(items)
        token = page.get("next_page_token")
        if token is None:
            return found, pages
    raise AssertionError("the pages never ended")
