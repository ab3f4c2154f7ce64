"""The Alpaca Trading API v2 surface under `/v2` and the `/stream` WebSocket."""

from __future__ import annotations

from fastapi import APIRouter

from vtrade.api.alpaca import stream

router = APIRouter()
router.include_router(stream.router)
