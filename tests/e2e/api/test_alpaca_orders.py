"""The Alpaca `/v2` account and order endpoints, driven by the real alpaca-py TradingClient
against the server on a real port."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    PositionIntent,
    QueryOrderStatus,
    TimeInForce,
)
from alpaca.trading.models import Order
from alpaca.trading.requests import (
    GetOrderByIdRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopOrderRequest,
    TrailingStopOrderRequest,
)
from api_support import Live

from vtrade.core.clock import from_ns

TICK = Decimal("0.01")


def client_for(live: Live, user: str = "alice") -> TradingClient:
    key = live.key(user)
    return TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)


def mid(live: Live, symbol: str) -> Decimal:
    return live.container.market.quote(symbol, live.clock.now_ns()).mid


def resting_limit(live: Live, symbol: str = "AAPL", **extra: object) -> LimitOrderRequest:
    """A buy limit 3% under the market: valid, but it does not fill now."""
    price = (mid(live, symbol) * Decimal("0.97")).quantize(Decimal("0.01"))
    fields: dict[str, object] = {
        "symbol": symbol,
        "qty": 2,
        "side": OrderSide.BUY,
        "time_in_force": TimeInForce.GTC,
        "limit_price": float(price),
        **extra,
    }
    return LimitOrderRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def trading(live: Live) -> TradingClient:
    return client_for(live)


def test_get_account_parses_with_every_figure_as_a_numeric_string(
    trading: TradingClient,
) -> None:
    account = trading.get_account()
    assert isinstance(account.id, UUID)
    assert account.status == "ACTIVE"
    assert Decimal(account.cash or "") == Decimal(1_000_000)
    assert Decimal(account.equity or "") == Decimal(1_000_000)
    assert Decimal(account.buying_power or "") == Decimal(2_000_000)
    assert account.multiplier == "2" and account.shorting_enabled is True


def test_a_market_order_by_qty_is_filled_and_visible_at_once(trading: TradingClient) -> None:
    order = trading.submit_order(
        MarketOrderRequest(symbol="AAPL", qty=3, side=OrderSide.BUY, time_in_force="day")
    )
    assert isinstance(order, Order)
    assert order.status == OrderStatus.FILLED
    assert order.filled_qty == "3" and Decimal(str(order.filled_avg_price)) > 0
    assert order.asset_class == "us_equity" and order.order_type == OrderType.MARKET
    again = trading.get_order_by_id(order.id)
    assert isinstance(again, Order) and again.status == OrderStatus.FILLED
    assert again.filled_at is not None and again.submitted_at == order.submitted_at


def test_a_market_order_by_notional_is_sized_at_the_market(trading: TradingClient) -> None:
    order = trading.submit_order(
        MarketOrderRequest(symbol="BTC/USD", notional=5000, side=OrderSide.BUY, time_in_force="gtc")
    )
    assert isinstance(order, Order)
    assert order.symbol == "BTC/USD" and order.asset_class == "crypto"
    assert order.notional == "5000" and Decimal(str(order.qty)) > 0
    assert order.status == OrderStatus.FILLED


def test_limit_stop_and_trailing_orders_rest_with_their_prices(
    live: Live, trading: TradingClient
) -> None:
    limit = trading.submit_order(resting_limit(live))
    above = (mid(live, "MSFT") * Decimal("1.03")).quantize(Decimal("0.01"))
    stop = trading.submit_order(
        StopOrderRequest(
            symbol="MSFT", qty=1, side=OrderSide.BUY, time_in_force="day", stop_price=float(above)
        )
    )
    trail = trading.submit_order(
        TrailingStopOrderRequest(
            symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force="gtc", trail_percent=2.5
        )
    )
    assert isinstance(limit, Order) and isinstance(stop, Order) and isinstance(trail, Order)
    assert {limit.status, stop.status, trail.status} == {OrderStatus.NEW}
    assert limit.type == OrderType.LIMIT and limit.time_in_force == TimeInForce.GTC
    assert stop.type == OrderType.STOP and Decimal(str(stop.stop_price)) == above
    assert trail.type == OrderType.TRAILING_STOP and trail.trail_percent == "2.5"
    assert trail.order_class in ("simple", "")
    live.advance(2)
    trailing = trading.get_order_by_id(trail.id)
    assert isinstance(trailing, Order) and trailing.hwm is not None
    # the stop the engine works, on the tick, not hwm * 1.025 to eight decimals
    assert trailing.stop_price is not None and Decimal(str(trailing.stop_price)) % TICK == 0
    assert Decimal(str(trailing.stop_price)) >= Decimal(str(trailing.hwm)) * Decimal("1.025")


def test_get_orders_filters_by_status_side_symbols_and_time(
    live: Live, trading: TradingClient
) -> None:
    first = trading.submit_order(resting_limit(live))
    live.advance(5)
    filled = trading.submit_order(
        MarketOrderRequest(symbol="MSFT", qty=1, side=OrderSide.BUY, time_in_force="day")
    )
    live.advance(5)
    second = trading.submit_order(resting_limit(live, "MSFT"))
    assert isinstance(first, Order) and isinstance(filled, Order) and isinstance(second, Order)

    def ids(**query: object) -> list[UUID]:
        found = trading.get_orders(GetOrdersRequest(**query))  # type: ignore[arg-type]
        assert isinstance(found, list)
        return [o.id for o in found]

    assert ids() == [second.id, first.id]  # open, newest first
    assert ids(status=QueryOrderStatus.CLOSED) == [filled.id]
    assert ids(status=QueryOrderStatus.ALL, direction="asc") == [first.id, filled.id, second.id]
    assert ids(status=QueryOrderStatus.ALL, symbols=["MSFT"]) == [second.id, filled.id]
    assert ids(status=QueryOrderStatus.ALL, side=OrderSide.SELL) == []
    assert ids(status=QueryOrderStatus.ALL, limit=1) == [second.id]
    after = first.submitted_at + timedelta(seconds=1)
    assert ids(status=QueryOrderStatus.ALL, after=after, nested=True) == [second.id, filled.id]
    until = second.submitted_at - timedelta(seconds=1)
    assert ids(status=QueryOrderStatus.ALL, until=until) == [filled.id, first.id]


def test_an_order_is_found_by_its_client_order_id(live: Live, trading: TradingClient) -> None:
    placed = trading.submit_order(resting_limit(live, client_order_id="bot-42"))
    found = trading.get_order_by_client_id("bot-42")
    by_id = trading.get_order_by_id(str(placed.id), GetOrderByIdRequest(nested=True))  # type: ignore[union-attr]
    assert isinstance(placed, Order) and isinstance(found, Order) and isinstance(by_id, Order)
    assert found.id == placed.id == by_id.id and found.client_order_id == "bot-42"


def test_a_repeated_client_order_id_answers_422_even_for_the_same_order(
    live: Live, trading: TradingClient
) -> None:
    request = resting_limit(live, client_order_id="once")
    first = trading.submit_order(request)
    assert isinstance(first, Order)
    for again in (request, resting_limit(live, client_order_id="once", qty=5)):
        with pytest.raises(APIError) as refused:
            trading.submit_order(again)
        assert refused.value.status_code == 422 and refused.value.code == 40010001
        assert "client_order_id must be unique" in refused.value.message
        assert "once" in refused.value.message


def test_replacing_an_order_makes_a_new_one_and_retires_the_old(
    live: Live, trading: TradingClient
) -> None:
    old = trading.submit_order(resting_limit(live))
    assert isinstance(old, Order)
    new_price = float(Decimal(str(old.limit_price)) - Decimal("0.5"))
    new = trading.replace_order_by_id(old.id, ReplaceOrderRequest(qty=3, limit_price=new_price))
    assert isinstance(new, Order)
    assert new.id != old.id and new.replaces == old.id
    assert new.qty == "3" and float(str(new.limit_price)) == new_price
    retired = trading.get_order_by_id(old.id)
    assert isinstance(retired, Order)
    assert retired.status == OrderStatus.REPLACED and retired.replaced_by == new.id
    assert retired.replaced_at is not None


def test_cancel_one_answers_empty_204_and_a_terminal_order_answers_422(
    live: Live, trading: TradingClient
) -> None:
    order = trading.submit_order(resting_limit(live))
    assert isinstance(order, Order)
    assert trading.cancel_order_by_id(order.id) is None
    canceled = trading.get_order_by_id(order.id)
    assert isinstance(canceled, Order)
    assert canceled.status == OrderStatus.CANCELED and canceled.canceled_at is not None
    with pytest.raises(APIError) as again:
        trading.cancel_order_by_id(order.id)
    assert again.value.status_code == 422 and again.value.code == 42210000
    assert '"canceled"' in again.value.message


def test_cancel_all_answers_207_with_each_canceled_order(
    live: Live, trading: TradingClient
) -> None:
    placed = [trading.submit_order(resting_limit(live, s)) for s in ("AAPL", "MSFT")]
    results = trading.cancel_orders()
    assert isinstance(results, list)
    assert {r.id for r in results} == {o.id for o in placed if isinstance(o, Order)}
    assert {r.status for r in results} == {200}
    assert all(r.body and r.body["status"] == "canceled" for r in results)
    assert trading.cancel_orders() == []


def test_every_order_shows_the_position_intent_inferred_from_the_position(
    trading: TradingClient,
) -> None:
    def market(symbol: str, side: OrderSide, qty: int = 4, **extra: object) -> Order:
        request = MarketOrderRequest(
            symbol=symbol, qty=qty, side=side, time_in_force="day", **extra
        )
        placed = trading.submit_order(request)
        assert isinstance(placed, Order)
        return placed

    opened = market("AAPL", OrderSide.BUY)
    reduced = market("AAPL", OrderSide.SELL, 1, position_intent=PositionIntent.SELL_TO_CLOSE)
    shorted = market("MSFT", OrderSide.SELL)
    covered = market("MSFT", OrderSide.BUY, 2)
    with pytest.raises(APIError) as mismatch:
        market("AAPL", OrderSide.SELL, 1, position_intent=PositionIntent.SELL_TO_OPEN)
    closed = trading.close_position("AAPL")
    shown = trading.get_order_by_id(opened.id)

    intents = [o.position_intent for o in (opened, reduced, shorted, covered)]
    assert intents == [
        PositionIntent.BUY_TO_OPEN,
        PositionIntent.SELL_TO_CLOSE,
        PositionIntent.SELL_TO_OPEN,
        PositionIntent.BUY_TO_CLOSE,
    ]
    assert mismatch.value.status_code == 422 and mismatch.value.code == 42210000
    assert (
        "position intent mismatch: sell_to_open sent, sell_to_close inferred from the "
        "position of 3 AAPL" in mismatch.value.message
    )
    assert isinstance(closed, Order) and closed.position_intent == PositionIntent.SELL_TO_CLOSE
    assert isinstance(shown, Order) and shown.position_intent == PositionIntent.BUY_TO_OPEN
    assert len(trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))) == 5


def test_an_order_beyond_buying_power_answers_403_with_the_reason(
    trading: TradingClient,
) -> None:
    with pytest.raises(APIError) as refused:
        trading.submit_order(
            MarketOrderRequest(symbol="AAPL", qty=50_000, side=OrderSide.BUY, time_in_force="day")
        )
    assert refused.value.status_code == 403 and refused.value.code == 40310000
    assert "buying power" in refused.value.message


def test_a_position_over_the_concentration_cap_answers_403(trading: TradingClient) -> None:
    with pytest.raises(APIError) as refused:
        trading.submit_order(
            MarketOrderRequest(symbol="MSFT", notional=400_000, side="buy", time_in_force="day")
        )
    assert refused.value.status_code == 403 and refused.value.code == 40310000
    assert "NAV" in refused.value.message


def test_malformed_orders_answer_422_in_alpaca_shape(live: Live, trading: TradingClient) -> None:
    market = {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}
    bad = [
        {"symbol": "ZZZZ", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"},
        {"symbol": "AAPL", "qty": "abc", "side": "buy", "type": "market", "time_in_force": "day"},
        {"symbol": "AAPL", "qty": 1, "side": "up", "type": "market", "time_in_force": "day"},
        {"symbol": "AAPL", "side": "buy", "type": "market", "time_in_force": "day"},
        {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "limit", "time_in_force": "day"},
        {"symbol": "AAPL", "qty": 1, "side": "buy", "order_class": "bracket", "type": "market"},
        {**market, "position_intent": "bogus"},  # was accepted, and the order filled
    ]
    for body in bad:
        with pytest.raises(APIError) as refused:
            trading.post("/orders", body)
        assert refused.value.status_code == 422, body
        assert refused.value.code == 40010001 and refused.value.message, body
    assert "buy_to_open" in refused.value.message  # what is allowed
    assert trading.get_orders() == []  # nothing was kept


def test_a_multi_leg_options_order_is_refused_by_name(trading: TradingClient) -> None:
    """A multi-leg order has legs instead of a symbol and side: it was told "symbol: Field
    required"."""
    legs = [{"symbol": "AAPL", "ratio_qty": "1", "side": "buy", "position_intent": "buy_to_open"}]
    body = {"order_class": "mleg", "qty": "1", "type": "market", "time_in_force": "day"}

    with pytest.raises(APIError) as refused:
        trading.post("/orders", {**body, "legs": legs})

    assert refused.value.status_code == 422 and refused.value.code == 40010001
    assert "order_class mleg (multi-leg options) is not supported" in str(refused.value.message)
    assert "Field required" not in refused.value.message


def test_numeric_strings_are_accepted_wherever_numbers_are(trading: TradingClient) -> None:
    order = trading.post(
        "/orders",
        {"symbol": "AAPL", "qty": "2", "side": "buy", "type": "market", "time_in_force": "day"},
    )
    assert isinstance(order, dict) and order["filled_qty"] == "2"


def test_an_order_placed_after_the_close_waits_as_accepted(
    live: Live, trading: TradingClient
) -> None:
    live.advance(7 * 3600)  # 22:00 UTC: the US market is closed, post-market ends at 01:00
    order = trading.submit_order(
        MarketOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force="day")
    )
    assert isinstance(order, Order)
    assert order.status == OrderStatus.ACCEPTED and order.filled_at is None
    assert from_ns(live.clock.now_ns()).hour == 22


def test_a_client_order_id_of_blanks_only_answers_422_and_an_empty_one_is_made_for_us(
    live: Live, trading: TradingClient
) -> None:
    body = {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"}
    resting = trading.submit_order(resting_limit(live))
    assert isinstance(resting, Order)

    with pytest.raises(APIError) as placed:
        trading.post("/orders", {**body, "client_order_id": "   "})
    with pytest.raises(APIError) as replaced:
        trading.patch(f"/orders/{resting.id}", {"client_order_id": " "})
    made = trading.post("/orders", {**body, "client_order_id": ""})

    for refused in (placed, replaced):
        assert refused.value.status_code == 422 and refused.value.code == 40010001
        assert "client_order_id: is blank: give one with a visible character" in str(
            refused.value.message
        )
    assert isinstance(made, dict) and made["client_order_id"].strip()
