"""Bracket, oco and oto orders on `/v2/orders`, driven by alpaca-py's TradingClient against
the server on a real port: legs held for the entry, released when it fills, nested under it,
and one-cancels-other."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import (
    OrderClass,
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
    StopLossRequest,
    TakeProfitRequest,
)
from api_support import Live

from vtrade.domain.commands import OpenAccount

CENT = Decimal("0.01")


def mid(live: Live, symbol: str = "AAPL") -> Decimal:
    return live.container.market.quote(symbol, live.clock.now_ns()).mid


def away(live: Live, factor: str) -> float:
    return float((mid(live) * Decimal(factor)).quantize(CENT))


@pytest.fixture
def trading(live: Live) -> TradingClient:
    key = live.key("alice")
    return TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)


def submit(trading: TradingClient, request: object) -> Order:
    order = trading.submit_order(request)  # type: ignore[arg-type]
    assert isinstance(order, Order)
    return order


def bracket_body(live: Live, **fields: object) -> dict[str, object]:
    """A market bracket buying 1 AAPL as JSON, with its exits 10% either side; `fields` change
    it."""
    return {
        "symbol": "AAPL",
        "qty": "1",
        "side": "buy",
        "type": "market",
        "time_in_force": "gtc",
        "order_class": "bracket",
        "take_profit": {"limit_price": str(away(live, "1.1"))},
        "stop_loss": {"stop_price": str(away(live, "0.9"))},
        **fields,
    }


def market_bracket(live: Live, qty: int = 10) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol="AAPL",
        qty=qty,
        side=OrderSide.BUY,
        time_in_force=TimeInForce.GTC,
        order_class=OrderClass.BRACKET,
        take_profit=TakeProfitRequest(limit_price=away(live, "1.05")),
        stop_loss=StopLossRequest(stop_price=away(live, "0.95"), limit_price=away(live, "0.94")),
    )


def test_a_filled_bracket_entry_answers_with_its_two_legs_working(
    live: Live, trading: TradingClient
) -> None:
    order = submit(trading, market_bracket(live))

    assert order.status == OrderStatus.FILLED and order.order_class == OrderClass.BRACKET
    assert order.legs is not None and len(order.legs) == 2
    take, stop = order.legs
    assert (take.type, stop.type) == (OrderType.LIMIT, OrderType.STOP_LIMIT)
    assert take.side == stop.side == OrderSide.SELL
    # as on Alpaca: the take-profit at the market, the stop-loss held until it triggers
    assert (take.status, stop.status) == (OrderStatus.NEW, OrderStatus.HELD)
    assert take.qty == stop.qty == "10"
    assert take.position_intent == PositionIntent.SELL_TO_CLOSE
    assert Decimal(str(take.limit_price)) > Decimal(str(stop.stop_price))
    assert take.order_class == OrderClass.BRACKET and isinstance(take.id, UUID)
    # held for orders once: the pair closes the 10 once
    position = trading.get_open_position("AAPL")
    assert position.qty == "10" and position.qty_available == "0"  # type: ignore[union-attr]


def test_legs_are_held_until_the_entry_fills_and_canceled_with_it(
    live: Live, trading: TradingClient
) -> None:
    entry = submit(
        trading,
        LimitOrderRequest(
            symbol="AAPL",
            qty=5,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.DAY,
            limit_price=away(live, "0.9"),
            order_class=OrderClass.BRACKET,
            take_profit=TakeProfitRequest(limit_price=away(live, "0.95")),
            stop_loss=StopLossRequest(stop_price=away(live, "0.85")),
        ),
    )
    assert entry.legs is not None
    assert [leg.status for leg in entry.legs] == [OrderStatus.HELD, OrderStatus.HELD]

    listed = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN))
    assert {o.id for o in listed} == {entry.id, *(leg.id for leg in entry.legs)}  # type: ignore[union-attr]
    nested = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, nested=True))
    assert [o.id for o in nested] == [entry.id]  # type: ignore[union-attr]
    assert len(nested[0].legs or []) == 2  # type: ignore[union-attr]

    trading.cancel_order_by_id(entry.id)
    again = trading.get_order_by_id(entry.id, GetOrderByIdRequest(nested=True))
    assert isinstance(again, Order) and again.status == OrderStatus.CANCELED
    assert [leg.status for leg in again.legs or []] == [OrderStatus.CANCELED] * 2


def test_an_oco_exit_fills_its_take_profit_and_cancels_its_stop(
    live: Live, trading: TradingClient
) -> None:
    submit(trading, MarketOrderRequest(symbol="AAPL", qty=4, side="buy", time_in_force="day"))
    below_bid = away(live, "0.99")  # marketable: the take-profit fills at once
    oco = submit(
        trading,
        LimitOrderRequest(
            symbol="AAPL",
            qty=4,
            side=OrderSide.SELL,
            time_in_force=TimeInForce.GTC,
            order_class=OrderClass.OCO,
            take_profit=TakeProfitRequest(limit_price=below_bid),
            stop_loss=StopLossRequest(stop_price=away(live, "0.8")),
        ),
    )
    assert oco.status == OrderStatus.FILLED and oco.order_class == OrderClass.OCO
    assert Decimal(str(oco.limit_price)) == Decimal(str(below_bid))
    (stop,) = oco.legs or []
    assert stop.type == OrderType.STOP and stop.status == OrderStatus.CANCELED
    assert trading.get_all_positions() == []


def test_an_oto_entry_carries_one_exit(live: Live, trading: TradingClient) -> None:
    order = submit(
        trading,
        MarketOrderRequest(
            symbol="AAPL",
            qty=3,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.DAY,
            order_class=OrderClass.OTO,
            stop_loss=StopLossRequest(stop_price=away(live, "0.9")),
        ),
    )
    (stop,) = order.legs or []
    assert order.order_class == OrderClass.OTO and stop.type == OrderType.STOP
    assert stop.status == OrderStatus.HELD and stop.qty == "3"


def test_replacing_a_leg_shows_the_replacement_under_its_entry(
    live: Live, trading: TradingClient
) -> None:
    entry = submit(trading, market_bracket(live, 2))
    take = (entry.legs or [])[0]
    new = trading.replace_order_by_id(take.id, ReplaceOrderRequest(limit_price=away(live, "1.2")))
    assert isinstance(new, Order) and new.replaces == take.id

    again = trading.get_order_by_id(entry.id, GetOrderByIdRequest(nested=True))
    assert isinstance(again, Order)
    assert [leg.id for leg in again.legs or []][0] == new.id

    results = trading.cancel_orders()  # the pair: one canceled, the other with it
    assert sorted(r.status for r in results) == [200, 200]  # type: ignore[union-attr]
    assert trading.get_orders() == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"take_profit": {"limit_price": "1"}}, "take_profit limit_price 1 must be above"),
        ({"stop_loss": {"stop_price": "abc"}}, "stop_loss.stop_price must be a number"),
        ({"time_in_force": "ioc"}, "must be day or gtc, not ioc"),
        ({"take_profit": None}, "a bracket order needs both take_profit and stop_loss"),
    ],
)
def test_a_malformed_bracket_answers_422_and_keeps_nothing(
    live: Live, trading: TradingClient, fields: dict[str, object], message: str
) -> None:
    body = bracket_body(live, **fields)
    with pytest.raises(APIError) as refused:
        trading.post("/orders", {k: v for k, v in body.items() if v is not None})
    assert refused.value.status_code == 422 and refused.value.code == 40010001
    assert message in refused.value.message
    assert trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL)) == []


def test_open_orders_nested_show_a_filled_entry_with_its_working_legs(
    live: Live, trading: TradingClient
) -> None:
    entry = submit(trading, market_bracket(live))
    nested = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, nested=True))
    assert [o.id for o in nested] == [entry.id]  # type: ignore[union-attr]
    legs = nested[0].legs or []  # type: ignore[union-attr]
    assert [leg.status for leg in legs] == [OrderStatus.NEW, OrderStatus.HELD]
    newest = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, nested=True, limit=1))
    assert [o.id for o in newest] == [entry.id]  # type: ignore[union-attr]


def test_cancel_all_leaves_nothing_working_after_a_partly_filled_entry(
    live: Live, trading: TradingClient
) -> None:
    """Held legs are canceled before their entry: canceled after it, they would be released
    for what it filled and work on, and close_all_positions(cancel_orders=True) found the
    position held for them."""
    owner = live.container.trading.account(live.key("alice").account_id).owner
    live.container.trading.open_account(  # large enough for an order larger than the book
        OpenAccount(id="o", ts_init=0, owner=owner, name="big", balance=Decimal(500_000_000))
    )
    key = live.key("alice", "big")
    big = TradingClient(key.key_id, key.secret, paper=True, url_override=live.base_url)
    ask = live.container.market.quote("AAPL", live.clock.now_ns()).ask
    entry = submit(
        big,
        LimitOrderRequest(
            symbol="AAPL",
            qty=300_000,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.GTC,
            limit_price=float((ask * Decimal("1.01")).quantize(CENT)),
            order_class=OrderClass.BRACKET,
            take_profit=TakeProfitRequest(
                limit_price=float((ask * Decimal("1.02")).quantize(CENT))
            ),
            stop_loss=StopLossRequest(stop_price=float((ask * Decimal("0.98")).quantize(CENT))),
        ),
    )
    assert entry.status == OrderStatus.PARTIALLY_FILLED
    assert [leg.status for leg in entry.legs or []] == [OrderStatus.HELD] * 2

    results = big.cancel_orders()
    assert sorted(r.status for r in results) == [200, 200, 200]  # type: ignore[union-attr]
    assert big.get_orders() == []
    closed = big.close_all_positions(cancel_orders=True)
    assert [r.status for r in closed] == [200]  # type: ignore[union-attr]


def test_a_crypto_bracket_answers_422_as_on_alpaca(live: Live, trading: TradingClient) -> None:
    with pytest.raises(APIError) as refused:
        trading.post(
            "/orders",
            {
                "symbol": "BTC/USD",
                "qty": "0.01",
                "side": "buy",
                "type": "market",
                "time_in_force": "gtc",
                "order_class": "bracket",
                "take_profit": {"limit_price": "999999"},
                "stop_loss": {"stop_price": "1"},
            },
        )
    assert refused.value.status_code == 422
    assert "crypto orders are simple orders" in refused.value.message


def test_a_nested_listing_counts_entries_against_its_limit(
    live: Live, trading: TradingClient
) -> None:
    """Three filled brackets have six working legs: `limit=2` lists two entries, each with
    its legs, and `side` filters the entries."""
    entries = [submit(trading, market_bracket(live, 2)) for _ in range(3)]
    two = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, nested=True, limit=2))
    assert [o.id for o in two] == [entries[2].id, entries[1].id]  # type: ignore[union-attr]
    assert all(len(o.legs or []) == 2 for o in two)  # type: ignore[union-attr]
    sells = trading.get_orders(
        GetOrdersRequest(status=QueryOrderStatus.OPEN, nested=True, side=OrderSide.SELL)
    )
    assert sells == []  # the legs sell, their entries buy


def test_an_auction_bracket_is_refused_for_its_time_in_force(
    live: Live, trading: TradingClient
) -> None:
    with pytest.raises(APIError) as refused:
        trading.post("/orders", bracket_body(live, time_in_force="opg"))
    assert "a bracket order's time_in_force must be day or gtc, not opg" in refused.value.message


def test_a_bracket_the_venue_rejects_is_listed_as_a_rejected_bracket(
    live: Live, trading: TradingClient
) -> None:
    through = away(live, "1.2")  # a buy limit beyond the 10% price collar
    body = bracket_body(
        live,
        type="limit",
        limit_price=str(through),
        take_profit={"limit_price": str(round(through * 1.05, 2))},
        stop_loss={"stop_price": str(round(through * 0.95, 2))},
    )
    with pytest.raises(APIError) as refused:
        trading.post("/orders", body)
    assert refused.value.status_code == 403 and "collar" in refused.value.message

    (kept,) = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))  # type: ignore[misc]
    assert isinstance(kept, Order)
    assert (kept.status, kept.order_class, kept.legs) == (
        OrderStatus.REJECTED,
        OrderClass.BRACKET,
        None,
    )
