"""The Alpaca `/v2` positions, assets, clock, calendar, portfolio history and activities,
driven by the real alpaca-py TradingClient against the server on a real port."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import AssetClass, AssetExchange, OrderSide, PositionSide
from alpaca.trading.models import Order, Position
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetAssetsRequest,
    GetCalendarRequest,
    GetPortfolioHistoryRequest,
    LimitOrderRequest,
    MarketOrderRequest,
)
from api_support import InProcess, Key, Live

from vtrade.core.clock import NS_PER_DAY, parse_instant, to_ns
from vtrade.domain.market_data import Interval


@pytest.fixture
def trading(live: Live) -> TradingClient:
    key = live.key("alice")
    return TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)


def buy(trading: TradingClient, symbol: str, qty: float, side: str = "buy") -> Order:
    tif = "gtc" if "/" in symbol else "day"
    order = trading.submit_order(
        MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=tif)
    )
    assert isinstance(order, Order)
    return order


def rest_limit(live: Live, trading: TradingClient, symbol: str, qty: int, side: str) -> None:
    """A gtc limit order 5% away from the market on the passive side: it rests."""
    away = Decimal("1.05") if side == "sell" else Decimal("0.95")
    price = live.container.market.quote(symbol, live.clock.now_ns()).mid * away
    trading.submit_order(
        LimitOrderRequest(
            symbol=symbol,
            qty=qty,
            side=side,
            time_in_force="gtc",
            limit_price=float(price.quantize(Decimal("0.01"))),
        )
    )


def test_positions_list_long_and_short_holdings_with_signed_qty(trading: TradingClient) -> None:
    buy(trading, "AAPL", 10)
    buy(trading, "MSFT", 4, side="sell")
    positions = trading.get_all_positions()
    assert isinstance(positions, list)
    by_symbol = {p.symbol: p for p in positions}
    assert set(by_symbol) == {"AAPL", "MSFT"}
    long, short = by_symbol["AAPL"], by_symbol["MSFT"]
    assert long.qty == "10" and long.side == PositionSide.LONG
    assert short.qty == "-4" and short.side == PositionSide.SHORT
    assert Decimal(str(short.market_value)) < 0
    assert long.exchange == AssetExchange.NASDAQ and long.asset_class == AssetClass.US_EQUITY
    cost = Decimal(long.avg_entry_price) * 10
    assert abs(Decimal(long.cost_basis) - cost) <= Decimal("0.01")
    assert long.lastday_price and long.change_today and long.unrealized_intraday_pl


def test_a_position_is_found_by_symbol_slash_symbol_or_asset_id(trading: TradingClient) -> None:
    buy(trading, "BTC/USD", 0.05)
    position = trading.get_open_position("BTC/USD")
    assert isinstance(position, Position)
    assert position.symbol == "BTC/USD" and position.asset_class == AssetClass.CRYPTO
    by_id = trading.get_open_position(position.asset_id)
    assert isinstance(by_id, Position) and by_id.qty == position.qty == "0.05"
    with pytest.raises(APIError) as flat:
        trading.get_open_position("TSLA")
    assert flat.value.status_code == 404 and flat.value.code == 40410000


def test_close_position_by_qty_then_percentage_then_all(trading: TradingClient) -> None:
    buy(trading, "AAPL", 10)
    part = trading.close_position("AAPL", ClosePositionRequest(qty="4"))
    assert isinstance(part, Order)
    assert part.side == OrderSide.SELL and part.qty == "4" and part.type == "market"
    half = trading.close_position("AAPL", ClosePositionRequest(percentage="50"))
    assert isinstance(half, Order) and half.qty == "3"
    position = trading.get_open_position("AAPL")
    assert isinstance(position, Position) and position.qty == "3"
    rest = trading.close_position("AAPL")
    assert isinstance(rest, Order) and rest.qty == "3"
    with pytest.raises(APIError) as gone:
        trading.get_open_position("AAPL")
    assert gone.value.status_code == 404


def test_closing_more_than_is_held_answers_403_with_the_quantities(
    trading: TradingClient,
) -> None:
    buy(trading, "AAPL", 2)
    with pytest.raises(APIError) as refused:
        trading.close_position("AAPL", ClosePositionRequest(qty="5"))
    assert refused.value.status_code == 403 and refused.value.code == 40310000
    assert "requested: 5, available: 2" in refused.value.message


def test_open_sell_orders_hold_quantity_that_a_close_cannot_use(
    live: Live, trading: TradingClient
) -> None:
    buy(trading, "AAPL", 10)
    rest_limit(live, trading, "AAPL", 6, "sell")
    position = trading.get_open_position("AAPL")
    assert isinstance(position, Position)
    assert position.qty == "10" and position.qty_available == "4"
    with pytest.raises(APIError) as refused:
        trading.close_position("AAPL")
    assert refused.value.status_code == 403 and refused.value.code == 40310000
    assert "requested: 10, available: 4" in refused.value.message
    held = trading.close_all_positions(cancel_orders=False)
    assert isinstance(held, list) and [r.status for r in held] == [403]
    part = trading.close_position("AAPL", ClosePositionRequest(qty="4"))
    assert isinstance(part, Order) and part.qty == "4"


def test_close_all_positions_cancels_orders_and_answers_207(
    live: Live, trading: TradingClient
) -> None:
    buy(trading, "AAPL", 5)
    buy(trading, "BTC/USD", 0.02)
    rest_limit(live, trading, "MSFT", 1, "buy")
    results = trading.close_all_positions(cancel_orders=True)
    assert isinstance(results, list)
    assert {r.symbol for r in results} == {"AAPL", "BTC/USD"}
    assert {r.status for r in results} == {200}
    assert all(isinstance(r.body, Order) and r.body.side == OrderSide.SELL for r in results)
    assert trading.get_all_positions() == []
    assert trading.get_orders() == []


def test_assets_list_filter_by_class_and_look_up_crypto_in_alpaca_form(
    trading: TradingClient,
) -> None:
    everything = trading.get_all_assets()
    crypto = trading.get_all_assets(GetAssetsRequest(asset_class=AssetClass.CRYPTO))
    assert isinstance(everything, list) and isinstance(crypto, list)
    assert len(everything) > 150 and all(a.tradable for a in everything)
    assert "BTC/USD" in {a.symbol for a in crypto} and "AAPL" not in {a.symbol for a in crypto}
    btc = trading.get_asset("BTC/USD")
    same = trading.get_asset("BTCUSD")
    assert not isinstance(btc, dict) and not isinstance(same, dict)
    assert btc.id == same.id and btc.asset_class == AssetClass.CRYPTO
    assert btc.exchange == AssetExchange.CRYPTO
    aapl = trading.get_asset("AAPL")
    assert not isinstance(aapl, dict)
    by_id = trading.get_asset(aapl.id)
    assert not isinstance(by_id, dict) and by_id.symbol == "AAPL"
    with pytest.raises(APIError) as unknown:
        trading.get_asset("ZZZZ")
    assert unknown.value.status_code == 404 and unknown.value.code == 40410000


def test_other_asset_classes_parse_as_the_closest_alpaca_values(trading: TradingClient) -> None:
    for symbol in ("EUR/USD", "SPY", "VOD.L"):
        asset = trading.get_asset(symbol)
        assert not isinstance(asset, dict) and isinstance(asset.id, UUID), symbol


def test_clock_reports_the_open_us_session_in_new_york_time(trading: TradingClient) -> None:
    clock = trading.get_clock()
    assert not isinstance(clock, dict)
    assert clock.is_open is True
    assert clock.timestamp.utcoffset() is not None
    assert clock.next_close.hour == 16 and clock.next_open.hour == 9


def test_calendar_lists_trading_days_with_hours_and_skips_holidays(
    trading: TradingClient,
) -> None:
    days = trading.get_calendar(
        GetCalendarRequest(start=date(2026, 11, 23), end=date(2026, 11, 30))
    )
    assert isinstance(days, list)
    dates = [d.date for d in days]
    assert date(2026, 11, 26) not in dates  # Thanksgiving
    assert dates[0] == date(2026, 11, 23) and dates[-1] == date(2026, 11, 30)
    assert days[0].open == datetime(2026, 11, 23, 9, 30)
    early = next(d for d in days if d.date == date(2026, 11, 27))
    assert early.close == datetime(2026, 11, 27, 13, 0)


def test_portfolio_history_ends_at_the_live_equity(trading: TradingClient) -> None:
    buy(trading, "AAPL", 10)
    history = trading.get_portfolio_history(GetPortfolioHistoryRequest(period="1W", timeframe="1H"))
    assert not isinstance(history, dict)
    assert history.timeframe == "1H"
    assert len(history.timestamp) == len(history.equity) == len(history.profit_loss) >= 1
    account = trading.get_account()
    assert not isinstance(account, dict)
    assert history.equity[-1] == pytest.approx(float(account.equity or 0), abs=1)
    # no close yet in this account's life: the base is what it opened with, so the buy's
    # costs show as P&L from the first point on
    assert history.base_value == 1_000_000
    assert history.profit_loss[-1] == pytest.approx(history.equity[-1] - 1_000_000, abs=0.01)


def test_activities_list_fills_and_cash_movements_newest_first(
    trading: TradingClient,
) -> None:
    first = buy(trading, "AAPL", 2)
    buy(trading, "MSFT", 1)
    everything = trading.get("/account/activities")
    assert isinstance(everything, list)
    kinds = [a["activity_type"] for a in everything]
    assert kinds.count("FILL") == 2 and "CSD" in kinds
    fills = trading.get("/account/activities/FILL", {"direction": "asc"})
    assert isinstance(fills, list)
    assert fills[0]["order_id"] == str(first.id) and fills[0]["symbol"] == "AAPL"
    assert fills[0]["type"] == "fill" and fills[0]["cum_qty"] == "2"
    assert all("account_id" in a for a in everything)
    page = trading.get("/account/activities", {"page_size": 1})
    assert isinstance(page, list) and len(page) == 1
    rest = trading.get("/account/activities", {"page_token": page[0]["id"]})
    assert isinstance(rest, list) and [page[0], *rest] == everything
    deposits = trading.get("/account/activities", {"category": "non_trade_activity"})
    assert isinstance(deposits, list) and "FILL" not in {a["activity_type"] for a in deposits}


def test_a_short_held_overnight_shows_its_borrow_fee_as_an_activity(
    live: Live, trading: TradingClient
) -> None:
    buy(trading, "AAPL", 10, side="sell")
    live.advance(15 * 3600)  # past midnight in New York

    fees = trading.get("/account/activities/FEE")

    assert isinstance(fees, list)
    (fee,) = [a for a in fees if a["description"] == "stock borrow fee, one day"]
    assert Decimal(fee["net_amount"]) < 0


def test_a_position_opened_today_counts_its_intraday_pl_from_its_entry(
    live: Live, trading: TradingClient
) -> None:
    buy(trading, "AAPL", 10)
    live.advance(120)
    position = trading.get_open_position("AAPL")
    assert isinstance(position, Position)

    assert position.unrealized_intraday_pl == position.unrealized_pl
    entry = Decimal(position.avg_entry_price) * 10
    assert Decimal(position.unrealized_intraday_plpc or "0") == pytest.approx(
        Decimal(position.unrealized_pl or "0") / entry, abs=Decimal("0.0001")
    )


def session_close(api: InProcess, key: Key, symbol: str, day: str) -> Decimal:
    """The close of `symbol`'s day bar for the session of `day`, from the Alpaca data API."""
    answer = api.http.get(
        f"/v2/stocks/{symbol}/bars",
        params={"timeframe": "1Day", "start": day, "end": day},
        headers=key.headers,
    )
    (bar,) = answer.json()["bars"]
    return Decimal(str(bar["c"]))


def day_bar_close(api: InProcess, symbol: str, day: str) -> Decimal:
    """The close of the market's own day bar labelled `day` (a crypto day is a UTC date)."""
    label = to_ns(parse_instant(day))
    bars = api.container.market.bars(symbol, Interval.D1, label, label + NS_PER_DAY)
    return Decimal(repr(float(bars.close[-1])))


def test_lastday_price_is_the_last_closed_sessions_close_at_any_hour(api: InProcess) -> None:
    key = api.key()
    for symbol, tif in (("AAPL", "day"), ("BTC/USD", "gtc")):
        body = {"symbol": symbol, "qty": "1", "side": "buy", "type": "market"}
        placed = api.http.post(
            "/v2/orders", headers=key.headers, json={**body, "time_in_force": tif}
        )
        assert placed.json()["status"] == "filled", placed.text
    # (instant, the session whose close AAPL's lastday_price is, the UTC date BTC's is)
    expected = [
        ("2026-11-18T23:00:00Z", "2026-11-17", "2026-11-17"),  # 18:00 ET: post-market
        ("2026-11-19T01:30:00Z", "2026-11-18", "2026-11-18"),  # 20:30 ET: between days
        ("2026-11-19T06:00:00Z", "2026-11-18", "2026-11-18"),  # 01:00 ET: past NY midnight
        ("2026-11-19T08:59:00Z", "2026-11-18", "2026-11-18"),  # 03:59 ET
        ("2026-11-19T15:00:00Z", "2026-11-18", "2026-11-18"),  # 10:00 ET: the next session
    ]
    for instant, session, utc_day in expected:
        api.step((to_ns(parse_instant(instant)) - api.clock.now_ns()) / 1e9)
        positions = {
            p["symbol"]: p for p in api.http.get("/v2/positions", headers=key.headers).json()
        }
        aapl, btc = positions["AAPL"], positions["BTC/USD"]

        assert Decimal(aapl["lastday_price"]) == session_close(api, key, "AAPL", session), instant
        assert Decimal(btc["lastday_price"]) == day_bar_close(api, "BTC-USD", utc_day), instant
        one = api.http.get("/v2/positions/AAPL", headers=key.headers).json()
        assert one["lastday_price"] == aapl["lastday_price"]
        change = Decimal(aapl["current_price"]) / Decimal(aapl["lastday_price"]) - 1
        assert Decimal(aapl["change_today"]) == pytest.approx(change, abs=Decimal("1e-6"))
