"""Alpaca's market-data streams (`/v2/{feed}`, `/v1beta3/crypto/{location}`): the protocol as
the SDKs speak it, the feed's prints, quotes and minute bars after a subscription, exactly
what the REST market data serves for the same span, and alpaca-py's own `StockDataStream`
and `CryptoDataStream` receiving them."""

from __future__ import annotations

import threading
import time
from typing import Any

import msgpack
import pytest
from alpaca.data.live import CryptoDataStream, StockDataStream
from alpaca.data.models import Bar, Orderbook, Quote, Trade
from api_support import InProcess, Live, frame, signed_in, until
from starlette.websockets import WebSocketDisconnect

from vtrade.api.gateway import receive
from vtrade.core.clock import NS_PER_SECOND, iso


def test_a_subscriber_gets_the_prints_quotes_and_minute_bars_that_follow(api: InProcess) -> None:
    start, key = api.clock.now_ns(), api.key()
    with api.http.websocket_connect("/v2/iex") as ws:
        signed_in(ws, key)
        ws.send_json({"action": "subscribe", "trades": ["AAPL"], "quotes": ["AAPL"], "bars": ["*"]})
        ack = frame(ws)[0]
        api.clock.advance(75 * NS_PER_SECOND)  # past the end of the minute in progress
        seen = until(ws, lambda items: any(m["T"] == "b" for m in items))

    assert ack["T"] == "subscription"
    assert (ack["trades"], ack["quotes"], ack["bars"]) == (["AAPL"], ["AAPL"], ["*"])
    assert ack["corrections"] == ack["cancelErrors"] == ["AAPL"] and ack["dailyBars"] == []
    trades = [m for m in seen if m["T"] == "t"]
    quotes = [m for m in seen if m["T"] == "q"]
    bars = [m for m in seen if m["T"] == "b"]
    assert trades and quotes and {m["S"] for m in trades + quotes} == {"AAPL"}
    assert all(m["t"] > iso(start) for m in trades + quotes)  # nothing from before
    assert set(trades[0]) == {"T", "S", "t", "p", "s", "i", "x", "c", "z"}
    assert quotes[0]["bp"] < quotes[0]["ap"] and quotes[0]["bs"] > 0
    assert len({m["S"] for m in bars}) > 20  # every stock's minute: "*"
    assert {m["t"] for m in bars} == {"2026-11-18T15:00:00Z"}  # the minute subscribed in
    assert all(b["l"] <= min(b["o"], b["c"]) <= max(b["o"], b["c"]) <= b["h"] for b in bars)
    served = api.http.get(
        "/v2/stocks/AAPL/bars",
        params={"timeframe": "1Min", "start": "2026-11-18T15:00:00Z"},
        headers=key.headers,
    ).json()["bars"]
    (aapl,) = [{k: v for k, v in m.items() if k not in "TS"} for m in bars if m["S"] == "AAPL"]
    assert served == [aapl]  # the REST's bar of that minute


def test_the_streamed_prints_are_the_ones_the_rest_api_serves_for_that_span(
    api: InProcess,
) -> None:
    key = api.key()
    start = api.clock.now_ns()
    with api.http.websocket_connect("/v2/sip") as ws:
        signed_in(ws, key)
        ws.send_json({"action": "subscribe", "trades": ["MSFT"]})
        frame(ws)
        api.clock.advance(30 * NS_PER_SECOND)
        end = iso(api.clock.now_ns())
        late = iso(start + 29 * NS_PER_SECOND)
        streamed = until(ws, lambda items: any(m["t"] > late for m in items))

    served = api.http.get(
        "/v2/stocks/MSFT/trades",
        params={"start": iso(start + 1_000), "end": end},  # after the subscription's instant
        headers=key.headers,
    ).json()["trades"]
    streamed = [m for m in streamed if m["t"] <= end]
    as_served = [{k: v for k, v in m.items() if k not in "TS"} for m in streamed]
    assert as_served == served[: len(streamed)]
    assert len(streamed) >= 10


def test_each_completed_minute_brings_the_day_s_bar_so_far(api: InProcess) -> None:
    with api.http.websocket_connect("/v2/iex") as ws:
        signed_in(ws, api.key())
        ws.send_json({"action": "subscribe", "dailyBars": ["SPY"]})
        frame(ws)
        api.clock.advance(61 * NS_PER_SECOND)
        (first,) = until(ws, bool)
        api.clock.advance(60 * NS_PER_SECOND)
        (second,) = until(ws, bool)

    assert first["T"] == second["T"] == "d" and first["S"] == "SPY"
    assert first["t"] == second["t"] == "2026-11-18T05:00:00Z"  # the day, as Alpaca stamps it
    assert second["v"] > first["v"]  # one more minute in it


def test_crypto_streams_on_its_own_path_with_taker_sides_and_order_books(api: InProcess) -> None:
    with api.http.websocket_connect("/v1beta3/crypto/us") as ws:
        signed_in(ws, api.key())
        ws.send_json({"action": "subscribe", "trades": ["BTC/USD"], "orderbooks": ["ETH/USD"]})
        ack = frame(ws)[0]
        api.clock.advance(5 * NS_PER_SECOND)
        seen = until(ws, lambda items: {m["T"] for m in items} >= {"t", "o"})

    assert ack["trades"] == ["BTC/USD"] and ack["orderbooks"] == ["ETH/USD"]
    assert "corrections" not in ack
    trade = next(m for m in seen if m["T"] == "t")
    assert trade["S"] == "BTC/USD" and trade["tks"] in ("B", "S") and "x" not in trade
    book = next(m for m in seen if m["T"] == "o")
    assert book["S"] == "ETH/USD" and book["r"] is True
    assert book["b"][0]["p"] < book["a"][0]["p"] and len(book["b"]) == 20


def test_an_unsubscribed_symbol_stops_and_the_answer_lists_what_is_left(api: InProcess) -> None:
    with api.http.websocket_connect("/v2/iex") as ws:
        signed_in(ws, api.key())
        ws.send_json({"action": "subscribe", "trades": ["AAPL", "msft"]})
        assert frame(ws)[0]["trades"] == ["AAPL", "MSFT"]
        ws.send_json({"action": "unsubscribe", "trades": ["AAPL"]})
        assert frame(ws)[0]["trades"] == ["MSFT"]
        api.clock.advance(10 * NS_PER_SECOND)
        seen = until(ws, lambda items: len(items) >= 3)

    assert {m["S"] for m in seen} == {"MSFT"}


@pytest.mark.parametrize(
    ("message", "code", "says"),
    [
        ({"action": "subscribe", "trades": ["AAPL", "NOPE"]}, 400, "NOPE: no such symbol"),
        ({"action": "subscribe", "trades": ["BTC/USD"]}, 400, "crypto pairs stream on"),
        ({"action": "subscribe", "orderbooks": ["AAPL"]}, 400, "unknown channel 'orderbooks'"),
        ({"action": "subscribe", "trades": "AAPL"}, 400, "trades must be a list of symbols"),
        ({"action": "listen"}, 400, "unknown action 'listen'; use auth, subscribe or"),
        ({"trades": ["AAPL"]}, 400, 'send an object with an "action"'),
        ({"action": "auth", "key": "k", "secret": "s"}, 403, "already authenticated"),
    ],
)
def test_a_bad_message_is_answered_with_alpaca_s_error_and_changes_nothing(
    api: InProcess, message: dict[str, Any], code: int, says: str
) -> None:
    with api.http.websocket_connect("/v2/iex") as ws:
        signed_in(ws, api.key())
        ws.send_json(message)
        (error,) = frame(ws)
        ws.send_json({"action": "subscribe", "quotes": ["SPY"]})
        (ack,) = frame(ws)

    assert error["T"] == "error" and error["code"] == code and says in error["msg"]
    assert ack["trades"] == [] and ack["quotes"] == ["SPY"]


def test_subscribing_before_signing_in_is_refused_and_a_wrong_secret_closes(
    api: InProcess,
) -> None:
    key = api.key()
    with api.http.websocket_connect("/v2/iex") as ws:
        frame(ws)
        ws.send_json({"action": "subscribe", "trades": ["AAPL"]})
        assert frame(ws) == [{"T": "error", "code": 401, "msg": "not authenticated"}]
        ws.send_text("not json")
        assert frame(ws)[0]["code"] == 400
        ws.send_json({"action": "auth", "key": key.key_id, "secret": "wrong"})
        assert frame(ws) == [{"T": "error", "code": 402, "msg": "auth failed"}]
        with pytest.raises(WebSocketDisconnect):
            frame(ws)


def test_a_client_that_never_signs_in_is_told_auth_timeout_and_closed(
    api: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receive, "AUTH_TIMEOUT_S", 0.2)
    with api.http.websocket_connect("/v2/iex") as ws:
        frame(ws)
        assert frame(ws) == [{"T": "error", "code": 404, "msg": "auth timeout"}]
        with pytest.raises(WebSocketDisconnect):
            frame(ws)


@pytest.mark.parametrize(
    ("path", "code", "says"),
    [
        ("/v1beta1/news", 409, "insufficient subscription: vtrade streams no options or news"),
        ("/v1beta1/indicative", 409, "insufficient subscription"),
        ("/v1beta2/crypto", 409, "crypto on /v1beta3/crypto/us"),  # alpaca-trade-api 3.2
        ("/v2/nasdaq", 400, "unknown feed 'nasdaq'; use /v2/iex or /v2/sip"),
        ("/v1beta3/crypto/mars", 400, "unknown location 'mars'; use us"),
    ],
)
def test_streams_not_served_answer_the_sign_in_with_why(
    api: InProcess, path: str, code: int, says: str
) -> None:
    with api.http.websocket_connect(path) as ws:
        assert frame(ws) == [{"T": "success", "msg": "connected"}]
        ws.send_json({"action": "auth", "key": "k", "secret": "s"})
        (refusal,) = frame(ws)

    assert refusal["T"] == "error" and refusal["code"] == code and says in refusal["msg"]


def test_a_msgpack_client_gets_msgpack_frames_with_timestamps(api: InProcess) -> None:
    key = api.key()
    headers = {"content-type": "application/msgpack"}
    with api.http.websocket_connect("/v2/iex", headers=headers) as ws:
        assert msgpack.unpackb(ws.receive_bytes()) == [{"T": "success", "msg": "connected"}]
        ws.send_bytes(msgpack.packb({"action": "auth", "key": key.key_id, "secret": key.secret}))
        assert msgpack.unpackb(ws.receive_bytes())[0]["msg"] == "authenticated"
        ws.send_bytes(msgpack.packb({"action": "subscribe", "quotes": ["AAPL"]}))
        assert msgpack.unpackb(ws.receive_bytes())[0]["T"] == "subscription"
        api.clock.advance(5 * NS_PER_SECOND)
        quote = msgpack.unpackb(ws.receive_bytes())[0]

    assert quote["T"] == "q" and isinstance(quote["t"], msgpack.Timestamp)
    Quote(quote["S"], {**quote, "t": quote["t"].to_datetime()})


def _run(stream: StockDataStream | CryptoDataStream) -> threading.Thread:
    runner = threading.Thread(target=stream.run, daemon=True)
    runner.start()
    return runner


def test_alpaca_py_stock_data_stream_receives_trades_quotes_and_bars(live: Live) -> None:
    key = live.key()
    got: dict[str, list[Any]] = {"trades": [], "quotes": [], "bars": []}
    barred = threading.Event()

    async def on_trade(trade: Trade) -> None:
        got["trades"].append(trade)

    async def on_quote(quote: Quote) -> None:
        got["quotes"].append(quote)

    async def on_bar(bar: Bar) -> None:
        got["bars"].append(bar)
        barred.set()

    stream = StockDataStream(key.key_id, key.secret, url_override=f"ws{live.base_url[4:]}/v2/iex")
    stream.subscribe_trades(on_trade, "AAPL")
    stream.subscribe_quotes(on_quote, "AAPL")
    stream.subscribe_bars(on_bar, "AAPL", "SPY")
    runner = _run(stream)
    try:
        deadline = time.monotonic() + 15
        while not got["quotes"]:
            assert time.monotonic() < deadline, "no quote came"
            live.advance(1)
        live.advance(60)
        assert barred.wait(15), "no bar came"
    finally:
        stream.stop()
        runner.join(15)

    assert all(t.symbol == "AAPL" and t.price > 0 and t.size > 0 for t in got["trades"])
    assert all(q.bid_price < q.ask_price for q in got["quotes"])
    assert {b.symbol for b in got["bars"]} <= {"AAPL", "SPY"}
    assert all(b.timestamp.second == 0 and b.volume > 0 for b in got["bars"])


def test_alpaca_py_crypto_data_stream_receives_trades_and_order_books(live: Live) -> None:
    key = live.key()
    trades: list[Trade] = []
    books: list[Orderbook] = []
    both = threading.Event()

    async def on_trade(trade: Trade) -> None:
        trades.append(trade)
        if books:
            both.set()

    async def on_book(book: Orderbook) -> None:
        books.append(book)
        if trades:
            both.set()

    url = f"ws{live.base_url[4:]}/v1beta3/crypto/us"
    stream = CryptoDataStream(key.key_id, key.secret, url_override=url)
    stream.subscribe_trades(on_trade, "BTC/USD")
    stream.subscribe_orderbooks(on_book, "BTC/USD")
    runner = _run(stream)
    try:
        deadline = time.monotonic() + 15
        while not both.is_set():
            assert time.monotonic() < deadline, f"{len(trades)} trades, {len(books)} books"
            live.advance(1)
    finally:
        stream.stop()
        runner.join(15)

    assert trades[0].symbol == "BTC/USD" and trades[0].price > 0
    assert books[0].reset and books[0].bids[0].price < books[0].asks[0].price
