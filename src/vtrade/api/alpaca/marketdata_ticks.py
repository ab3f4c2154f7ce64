"""Historical quotes and trades, snapshots and order books in Alpaca's market-data shapes,
for stocks (`/v2/stocks/...`) and, through `marketdata_crypto`, crypto (`/v1beta3/crypto`).

Quotes and trades are the feed's ticks (`SyntheticMarket.ticks`): every tick is a quote
update, and the ticks with a size are the trades the rest of the market printed. Nothing
after the simulated now is served. Crypto items carry no exchange, conditions or tape, as on
Alpaca; a crypto trade has its taker side (`tks`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query

from vtrade.api.alpaca.common import Ctx, CtxDep, csv_list, instant
from vtrade.api.alpaca.marketdata import (
    MAX_LIMIT,
    Stamp,
    bar_json,
    completed,
    instruments,
    latest_bar,
    next_token,
    page_resume,
    stamped_as_alpaca,
    trade_size,
)
from vtrade.core.clock import NS_PER_DAY, iso
from vtrade.core.errors import ValidationError
from vtrade.core.money import decimals_of
from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import BookSnapshot, Interval
from vtrade.market.intraday import AUCTION, Ticks

router = APIRouter(tags=["alpaca: market data"])

Kind = Literal["quotes", "trades"]
Items = dict[str, list[dict[str, Any]]]


def tick_json(
    kind: Kind, inst: Instrument, ticks: Ticks, i: int, crypto: bool, stamp: Stamp = iso
) -> dict[str, Any]:
    """One tick as an Alpaca quote, or as an Alpaca trade (a tick with a size), its instant
    written by `stamp` (RFC 3339 by default)."""
    ts = int(ticks.ts[i])
    if kind == "quotes":
        sides = (ticks.bid[i], ticks.bid_size[i], ticks.ask[i], ticks.ask_size[i])
        return _quote_json(inst, ts, sides, crypto, stamp)
    trade = {
        "t": stamp(ts),
        "p": round(float(ticks.price[i]), decimals_of(inst.tick_size)),
        "s": trade_size(inst, float(ticks.size[i])),
        "i": ts,  # the print's instant in ns: unique per symbol
    }
    if crypto:
        return {**trade, "tks": "B" if ticks.side[i] > 0 else "S"}
    closing = ticks.side[i] == AUCTION  # the closing cross: a regular sale, a closing print
    return {**trade, "x": "V", "c": ["@", "6"] if closing else ["@"], "z": "C"}


def _quote_json(
    inst: Instrument, ts: int, sides: tuple[Any, ...], crypto: bool, stamp: Stamp = iso
) -> dict[str, Any]:
    """An Alpaca quote from (bid, bid size, ask, ask size), prices on the tick grid."""
    places = decimals_of(inst.tick_size)
    bid, bid_size, ask, ask_size = (float(x) for x in sides)
    quote = {
        "t": stamp(ts),
        "bp": round(bid, places),
        "bs": trade_size(inst, bid_size),
        "ap": round(ask, places),
        "as": trade_size(inst, ask_size),
    }
    return quote if crypto else {**quote, "bx": "V", "ax": "V", "c": ["R"], "z": "C"}


def latest_quote(c: Ctx, inst: Instrument, crypto: bool = False) -> dict[str, Any]:
    """The top of book now, after what our own orders took."""
    q = c.container.market.quote(inst.symbol, c.now_ns())
    return _quote_json(inst, q.ts_event, (q.bid, q.bid_size, q.ask, q.ask_size), crypto)


LATEST_TRADE_DAYS = 7  # back past a weekend and a holiday, as at Monday's pre-market


def latest_trade(c: Ctx, inst: Instrument, crypto: bool = False) -> dict[str, Any] | None:
    """The market's last print up to now (None if it printed none in a week)."""
    now = c.now_ns()
    since = now - LATEST_TRADE_DAYS * NS_PER_DAY
    for ticks in c.container.market.ticks(inst.symbol, since, now, True):
        traded = np.flatnonzero(ticks.size > 0)
        if len(traded):
            return tick_json("trades", inst, ticks, int(traded[-1]), crypto)
    return None


def history(
    c: Ctx,
    kind: Kind,
    symbols: list[tuple[str, Instrument]],
    span: tuple[str | None, str | None],
    limit: int,
    page_token: str | None,
    descending: bool = False,
    crypto: bool = False,
) -> tuple[Items, str | None]:
    """Quotes or trades per symbol (in the order given) from `span`'s start (default: the
    start of today, UTC) to its end (default and at most: now), both included; at most
    `limit` in all, and the token of the next page (None on the last page): the next item's
    symbol and instant, unique per symbol as the feed's ticks are evenly spaced."""
    now = c.now_ns()
    stop = min(instant(span[1], "end", end_of_day=True) or now, now)
    begin = instant(span[0], "start")
    if begin is None:
        begin = stop - stop % NS_PER_DAY
    if begin > stop:
        raise ValidationError("start must not be after end (or now)", parameter="start")
    names = [n for n, _ in symbols]
    resume_symbol, resume_at = page_resume(page_token, names)
    out: Items = {}  # a symbol with nothing in the span is left out, as on Alpaca
    left = limit
    for name, inst in symbols[names.index(resume_symbol) if resume_symbol else 0 :]:
        lo, hi = begin - 1, stop
        if name == resume_symbol:  # seek straight to where the page left off
            lo, hi = (lo, min(hi, resume_at)) if descending else (max(lo, resume_at - 1), hi)
            resume_symbol = ""
        for ticks in c.container.market.ticks(inst.symbol, lo, hi, descending):
            picked = np.flatnonzero(ticks.size > 0) if kind == "trades" else range(len(ticks.ts))
            for i in reversed(picked) if descending else picked:
                if left == 0:
                    return out, next_token(name, int(ticks.ts[i]))
                out.setdefault(name, []).append(tick_json(kind, inst, ticks, int(i), crypto))
                left -= 1
    return out, None


def snapshot(c: Ctx, inst: Instrument, crypto: bool = False) -> dict[str, Any]:
    """Latest trade and quote, the last complete minute bar, today's daily bar so far and the
    one before it: what Alpaca's snapshot holds (keys as it spells them)."""
    now = c.now_ns()
    days = completed(c, inst.symbol, Interval.D1, now - 10 * NS_PER_DAY, now)
    days = stamped_as_alpaca(days, inst, now)
    places = decimals_of(inst.tick_size)
    day = [bar_json(days, i, places, inst) for i in range(max(len(days) - 2, 0), len(days))]
    return {
        "latestTrade": latest_trade(c, inst, crypto),
        "latestQuote": latest_quote(c, inst, crypto),
        "minuteBar": latest_bar(c, inst),
        "dailyBar": day[-1] if day else None,
        "prevDailyBar": day[-2] if len(day) > 1 else None,
    }


def order_book(c: Ctx, inst: Instrument, depth: int = 20) -> dict[str, Any]:
    """The L2 book now, after what our own orders took, as Alpaca's crypto order book."""
    return book_json(inst, c.container.market.book(inst.symbol, c.now_ns(), depth))


def book_json(inst: Instrument, book: BookSnapshot, stamp: Stamp = iso) -> dict[str, Any]:
    """`book` as Alpaca's crypto order book, its instant written by `stamp`."""
    places = decimals_of(inst.tick_size)

    def levels(side: Any) -> list[dict[str, Any]]:
        return [
            {"p": round(float(lv.price), places), "s": trade_size(inst, float(lv.size))}
            for lv in side
        ]

    return {"t": stamp(book.ts_event), "b": levels(book.bids), "a": levels(book.asks)}


# -- stock routes -------------------------------------------------------------------------

Symbols = Annotated[str, Query(description="comma-separated")]
Start = Annotated[str | None, Query(description="RFC 3339 or YYYY-MM-DD; default: today")]
End = Annotated[str | None, Query(description="RFC 3339 or YYYY-MM-DD; default and at most: now")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Sort = Annotated[Literal["asc", "desc"], Query()]
Opt = Annotated[str | None, Query()]


@router.get("/v2/stocks/quotes/latest", summary="Latest quote per symbol")
async def latest_quotes(c: CtxDep, symbols: Symbols) -> dict[str, Any]:
    return {"quotes": {n: latest_quote(c, i) for n, i in instruments(c, csv_list(symbols))}}


@router.get("/v2/stocks/trades/latest", summary="Latest trade per symbol")
async def latest_trades(c: CtxDep, symbols: Symbols) -> dict[str, Any]:
    found = {n: latest_trade(c, i) for n, i in instruments(c, csv_list(symbols))}
    return {"trades": {n: t for n, t in found.items() if t is not None}}


class Window:
    """The query of a paged history request (FastAPI dependency): span, page and order."""

    def __init__(
        self,
        start: Start = None,
        end: End = None,
        limit: Limit = 1000,
        page_token: Opt = None,
        sort: Sort = "asc",
    ) -> None:
        self.span, self.limit, self.page_token = (start, end), limit, page_token
        self.descending = sort == "desc"

    def page(
        self, c: Ctx, kind: Kind, wanted: list[tuple[str, Instrument]], crypto: bool = False
    ) -> dict[str, Any]:
        """Items per symbol and the next page's token, as the multi-symbol endpoints answer."""
        found, token = history(
            c, kind, wanted, self.span, self.limit, self.page_token, self.descending, crypto
        )
        return {kind: found, "next_page_token": token}

    def one(self, c: Ctx, kind: Kind, symbol: str) -> dict[str, Any]:
        """One symbol's items, as alpaca-trade-api's single-symbol paths answer."""
        wanted = instruments(c, [symbol])
        found = self.page(c, kind, wanted)
        name = wanted[0][0]
        return {**found, kind: found[kind].get(name, []), "symbol": name}


WindowDep = Annotated[Window, Depends()]


@router.get("/v2/stocks/quotes", summary="Historical quotes (alpaca-py)")
async def stock_quotes(c: CtxDep, symbols: Symbols, window: WindowDep) -> dict[str, Any]:
    return window.page(c, "quotes", instruments(c, csv_list(symbols)))


@router.get("/v2/stocks/trades", summary="Historical trades (alpaca-py)")
async def stock_trades(c: CtxDep, symbols: Symbols, window: WindowDep) -> dict[str, Any]:
    return window.page(c, "trades", instruments(c, csv_list(symbols)))


@router.get("/v2/stocks/snapshots", summary="Snapshots per symbol (alpaca-py)")
async def stock_snapshots(
    c: CtxDep, symbols: Symbols, feed: Opt = None, currency: Opt = None
) -> dict[str, Any]:
    # alpaca-py reads this one with no wrapping key: the symbols are the top-level keys
    return {name: snapshot(c, inst) for name, inst in instruments(c, csv_list(symbols))}


@router.get("/v2/stocks/{symbol}/quotes", summary="Historical quotes of one symbol")
async def symbol_quotes(symbol: str, c: CtxDep, window: WindowDep) -> dict[str, Any]:
    return window.one(c, "quotes", symbol)


@router.get("/v2/stocks/{symbol}/trades", summary="Historical trades of one symbol")
async def symbol_trades(symbol: str, c: CtxDep, window: WindowDep) -> dict[str, Any]:
    return window.one(c, "trades", symbol)


@router.get("/v2/stocks/{symbol}/snapshot", summary="Snapshot of one symbol")
async def symbol_snapshot(symbol: str, c: CtxDep, feed: Opt = None) -> dict[str, Any]:
    name, inst = instruments(c, [symbol])[0]
    return {"symbol": name, **snapshot(c, inst)}


@router.get("/v2/stocks/{symbol}/quotes/latest", summary="Latest quote of one symbol")
async def symbol_latest_quote(symbol: str, c: CtxDep) -> dict[str, Any]:
    name, inst = instruments(c, [symbol])[0]
    return {"symbol": name, "quote": latest_quote(c, inst)}


@router.get("/v2/stocks/{symbol}/trades/latest", summary="Latest trade of one symbol")
async def symbol_latest_trade(symbol: str, c: CtxDep) -> dict[str, Any]:
    name, inst = instruments(c, [symbol])[0]
    return {"symbol": name, "trade": latest_trade(c, inst)}
