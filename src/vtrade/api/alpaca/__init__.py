"""The Alpaca Trading API v2 surface under `/v2` and the `/stream` WebSocket."""

from __future__ import annotations

from fastapi import APIRouter

from vtrade.api.alpaca import (
    account,
    assets,
    data_stream,
    history,
    marketdata,
    marketdata_crypto,
    marketdata_ticks,
    orders,
    positions,
    stream,
    watchlists,
)

router = APIRouter()
# Routes are matched in order: what bots call most often comes first.
router.include_router(orders.router)
router.include_router(positions.router)
router.include_router(account.router)
router.include_router(history.router)
router.include_router(stream.router)
router.include_router(assets.router)
router.include_router(watchlists.router)
router.include_router(marketdata.router)
router.include_router(marketdata_ticks.router)
router.include_router(marketdata_crypto.router)
router.include_router(data_stream.router)
