"""Alpaca's market-data streams share one computation between their clients: each symbol is
read from the market once per push whoever follows it, each client still gets only what
followed its own subscription, the day's bar is the REST's, sent when it changed, and a
symbol that fails stops only the streams that follow it."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import InProcess, Items, Key, frame, get_ok, signed_in, until
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from vtrade.core.clock import NS_PER_MINUTE, NS_PER_SECOND, iso, parse_instant, to_ns
from vtrade.core.errors import MarketOutOfDays


def _as_served(messages: Items, kind: str) -> Items:
    return [{k: v for k, v in m.items() if k not in "TS"} for m in messages if m["T"] == kind]


@contextlib.contextmanager
def _subscribed(
    api: InProcess, wanted: list[tuple[str, dict[str, Any]]], key: Key | None = None
) -> Iterator[list[WebSocketTestSession]]:
    """A stream per (path, subscription) of `wanted`, signed in and subscribed."""
    key = key or api.key()
    with contextlib.ExitStack() as stack:
        streams = [stack.enter_context(api.http.websocket_connect(path)) for path, _ in wanted]
        for ws, (_, subscription) in zip(streams, wanted, strict=True):
            signed_in(ws, key)
            ws.send_json({"action": "subscribe", **subscription})
            frame(ws)
        yield streams


def _instant(message: dict[str, Any]) -> int:
    return to_ns(parse_instant(message["t"]))


def _served(api: InProcess, key: Key, kind: str, after: int, end: int) -> Items:
    """AAPL's trades or quotes the REST serves after instant `after` up to `end`."""
    params = {"start": iso(after + 1_000), "end": iso(end)}  # `iso` shows microseconds
    found: Items = get_ok(api, key, f"/v2/stocks/AAPL/{kind}", **params)[kind]
    return found


def test_two_clients_of_a_symbol_each_get_what_followed_their_own_subscription(
    api: InProcess,
) -> None:
    key = api.key()
    channels = {"action": "subscribe", "trades": ["AAPL"], "quotes": ["AAPL"]}
    with (
        api.http.websocket_connect("/v2/iex") as early,
        api.http.websocket_connect("/v2/iex") as late,
    ):
        signed_in(early, key)
        signed_in(late, key)
        early_at = api.clock.now_ns()
        early.send_json(channels)
        frame(early)
        api.clock.advance(20 * NS_PER_SECOND)
        late_at = api.clock.now_ns()  # the clock may move before the next push, or after it
        late.send_json(channels)
        frame(late)
        api.clock.advance(20 * NS_PER_SECOND)
        end = api.clock.now_ns()
        by_early = until(early, lambda items: _instant(items[-1]) > end - 3 * NS_PER_SECOND)
        by_late = until(late, lambda items: _instant(items[-1]) > end - 3 * NS_PER_SECOND)

    for kind, channel in (("t", "trades"), ("q", "quotes")):
        assert _as_served(by_early, kind) == _served(api, key, channel, early_at, end)
        assert _as_served(by_late, kind) == _served(api, key, channel, late_at, end)
    assert min(_instant(m) for m in by_late) > late_at
    assert len(by_early) > len(by_late) > 0


@pytest.fixture
def tick_reads(api: InProcess, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times the market's ticks were read, by symbol."""
    market, reads = api.container.market, Counter[str]()
    read = market.ticks

    def counted(symbol: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
        reads[symbol] += 1
        return read(symbol, *args, **kwargs)

    monkeypatch.setattr(market, "ticks", counted)
    return reads


def test_a_star_client_and_a_one_symbol_client_read_the_symbol_once_per_push(
    api: InProcess, tick_reads: Counter[str]
) -> None:
    wanted = [("/v2/iex", {"trades": ["*"]}), ("/v2/iex", {"trades": ["AAPL"]})]
    with _subscribed(api, wanted) as (everything, one):
        for _ in range(3):
            api.clock.advance(5 * NS_PER_SECOND)
            until(everything, lambda items: {"AAPL", "MSFT"} <= {m["S"] for m in items})
            until(one, bool)

    assert 3 <= tick_reads["AAPL"] == tick_reads["MSFT"]  # MSFT: the '*' client's alone
    assert len(set(tick_reads.values())) == 1  # every symbol read as often


def _rest_day_bar(api: InProcess, key: Key, path: str, symbol: str) -> dict[str, Any]:
    found = get_ok(api, key, path, symbols=symbol, timeframe="1Day")["bars"][symbol]
    bar: dict[str, Any] = found[-1]
    return bar


def test_the_streamed_day_bar_is_the_rest_s_for_a_stock_and_a_coin(api: InProcess) -> None:
    key = api.key()
    coin = ("/v1beta3/crypto/us", {"dailyBars": ["BTC/USD"]})
    wanted = [("/v2/iex", {"dailyBars": ["SPY"]}), coin]
    with _subscribed(api, wanted, key) as (stocks, coins):
        api.clock.advance(2 * NS_PER_MINUTE + 5 * NS_PER_SECOND)
        (spy,) = until(stocks, bool)
        (btc,) = until(coins, bool)

    assert (spy["T"], spy["S"], btc["T"], btc["S"]) == ("d", "SPY", "d", "BTC/USD")
    assert _as_served([spy], "d") == [_rest_day_bar(api, key, "/v2/stocks/bars", "SPY")]
    rest_btc = _rest_day_bar(api, key, "/v1beta3/crypto/us/bars", "BTC/USD")
    assert _as_served([btc], "d") == [rest_btc]
    assert spy["t"] == "2026-11-18T05:00:00Z" and btc["t"] == "2026-11-18T00:00:00Z"


def test_after_the_close_the_day_bar_is_not_sent_again_with_each_minute(api: InProcess) -> None:
    key = api.key()
    with _subscribed(api, [("/v2/iex", {"bars": ["SPY"], "dailyBars": ["SPY"]})], key) as (ws,):
        api.clock.advance(6 * 3600 * NS_PER_SECOND + 30 * NS_PER_SECOND)  # 16:00:30 in New York
        at_close = until(ws, lambda items: any(m["T"] == "d" for m in items))
        closing_bar = _rest_day_bar(api, key, "/v2/stocks/bars", "SPY")
        after: Items = []
        for _ in range(3):  # the post-market's minutes end: their bars come, the day's does not
            api.clock.advance(NS_PER_MINUTE)
            after += until(ws, lambda items: any(m["T"] == "b" for m in items))

    assert _as_served(at_close, "d") == [closing_bar]
    assert [(m["T"], m["t"]) for m in after] == [
        ("b", "2026-11-18T21:00:00Z"),
        ("b", "2026-11-18T21:01:00Z"),
        ("b", "2026-11-18T21:02:00Z"),
    ]


def test_a_symbol_the_market_cannot_serve_closes_its_followers_and_spares_the_others(
    api: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    market = api.container.market
    read = market.ticks

    def failing(symbol: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
        if symbol == "AAPL":
            raise MarketOutOfDays("the clock ran past the market's days")
        return read(symbol, *args, **kwargs)

    monkeypatch.setattr(market, "ticks", failing)
    wanted = [("/v2/iex", {"quotes": ["AAPL"]}), ("/v2/iex", {"quotes": ["MSFT"]})]
    with _subscribed(api, wanted) as (failed, spared):
        api.clock.advance(5 * NS_PER_SECOND)
        (error,) = frame(failed)
        with pytest.raises(WebSocketDisconnect) as closed:
            frame(failed)
        quotes = until(spared, bool)
        api.clock.advance(5 * NS_PER_SECOND)
        quotes += until(spared, bool)

    assert error == {
        "T": "error",
        "code": 500,
        "msg": "internal error: the clock ran past the market's days",
    }
    assert (closed.value.code, closed.value.reason) == (1011, "internal error")
    assert {m["S"] for m in quotes} == {"MSFT"} and len(quotes) >= 6


def test_after_a_jump_of_the_clock_a_client_gets_ten_thousand_messages_in_frames_of_1000(
    api: InProcess,
) -> None:
    busy = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "GOOG", "META", "TSLA", "AVGO", "COST"]
    busy += ["NFLX", "AMD"]  # 12 symbols quoting every second: 12,000 newest quotes in all
    with _subscribed(api, [("/v2/iex", {"quotes": busy})]) as (ws,):
        api.clock.advance(20 * NS_PER_MINUTE)
        jumped_to = api.clock.now_ns()
        frames = [frame(ws) for _ in range(10)]
        api.clock.advance(2 * NS_PER_SECOND)
        after = until(ws, bool)

    assert [len(f) for f in frames] == [1_000] * 10  # and the other 2,000 dropped:
    assert min(_instant(m) for m in after) > jumped_to and len(after) <= 3 * len(busy)
