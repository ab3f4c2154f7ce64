"""Alpaca's crypto market data, `/v1beta3/crypto/{loc}/...`: what
`CryptoHistoricalDataClient(key, secret, url_override=...)` calls.

Bars, quotes, trades (paged), the latest of each, snapshots and order books, for our crypto
pairs written as Alpaca writes them (`BTC/USD`). Every location (`us`, `us-1`, `eu-1`) reads
the one simulated venue. Other symbols are refused: stocks and FX are under `/v2/stocks`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from vtrade.api.alpaca.common import Ctx, CtxDep, csv_list
from vtrade.api.alpaca.marketdata import bars, instruments, latest_bar
from vtrade.api.alpaca.marketdata_ticks import (
    End,
    Limit,
    Opt,
    Sort,
    Start,
    Symbols,
    WindowDep,
    latest_quote,
    latest_trade,
    order_book,
    snapshot,
)
from vtrade.core.errors import ValidationError
from vtrade.domain.instruments import AssetClass, Instrument

router = APIRouter(prefix="/v1beta3/crypto/{loc}", tags=["alpaca: crypto market data"])

LOCATIONS = ("us", "us-1", "eu-1")
Loc = Annotated[str, Path(description="us, us-1 or eu-1 (all read the simulated venue)")]


def _pairs(c: Ctx, loc: str, symbols: str) -> list[tuple[str, Instrument]]:
    if loc not in LOCATIONS:
        raise ValidationError(f"invalid location {loc!r}; allowed: {', '.join(LOCATIONS)}")
    found = instruments(c, csv_list(symbols))
    for name, inst in found:
        if inst.asset_class is not AssetClass.CRYPTO:
            raise ValidationError(
                f"{name} is not a crypto pair; its market data is under /v2/stocks"
            )
    return found


@router.get("/bars", summary="Historical crypto bars")
async def crypto_bars(
    c: CtxDep,
    loc: Loc,
    symbols: Symbols,
    timeframe: Annotated[str, Query()] = "1Day",
    start: Start = None,
    end: End = None,
    limit: Limit = 1000,
    page_token: Opt = None,
    sort: Sort = "asc",
) -> dict[str, Any]:
    wanted = _pairs(c, loc, symbols)
    found, token = bars(c, wanted, timeframe, start, end, limit, page_token, sort == "desc")
    return {"bars": found, "next_page_token": token}


@router.get("/quotes", summary="Historical crypto quotes")
async def crypto_quotes(c: CtxDep, loc: Loc, symbols: Symbols, window: WindowDep) -> dict[str, Any]:
    return window.page(c, "quotes", _pairs(c, loc, symbols), crypto=True)


@router.get("/trades", summary="Historical crypto trades")
async def crypto_trades(c: CtxDep, loc: Loc, symbols: Symbols, window: WindowDep) -> dict[str, Any]:
    return window.page(c, "trades", _pairs(c, loc, symbols), crypto=True)


@router.get("/latest/bars", summary="Latest complete minute bar per pair")
async def crypto_latest_bars(c: CtxDep, loc: Loc, symbols: Symbols) -> dict[str, Any]:
    found = {n: latest_bar(c, i) for n, i in _pairs(c, loc, symbols)}
    return {"bars": {n: b for n, b in found.items() if b is not None}}


@router.get("/latest/quotes", summary="Latest quote per pair")
async def crypto_latest_quotes(c: CtxDep, loc: Loc, symbols: Symbols) -> dict[str, Any]:
    return {"quotes": {n: latest_quote(c, i, crypto=True) for n, i in _pairs(c, loc, symbols)}}


@router.get("/latest/trades", summary="Latest trade per pair")
async def crypto_latest_trades(c: CtxDep, loc: Loc, symbols: Symbols) -> dict[str, Any]:
    found = {n: latest_trade(c, i, crypto=True) for n, i in _pairs(c, loc, symbols)}
    return {"trades": {n: t for n, t in found.items() if t is not None}}


@router.get("/latest/orderbooks", summary="Latest order book per pair")
async def crypto_latest_orderbooks(c: CtxDep, loc: Loc, symbols: Symbols) -> dict[str, Any]:
    return {"orderbooks": {n: order_book(c, i) for n, i in _pairs(c, loc, symbols)}}


@router.get("/snapshots", summary="Snapshot per pair")
async def crypto_snapshots(c: CtxDep, loc: Loc, symbols: Symbols) -> dict[str, Any]:
    return {"snapshots": {n: snapshot(c, i, crypto=True) for n, i in _pairs(c, loc, symbols)}}
