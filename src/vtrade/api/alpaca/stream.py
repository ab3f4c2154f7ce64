"""The Alpaca `trade_updates` WebSocket on `/stream` and `/stream/`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
