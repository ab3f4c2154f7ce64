"""The native API under `/api/v1`: sessions, accounts, orders with fill receipts, positions,
the live portfolio, market data and pre-trade estimates."""

from __future__ import annotations

from fastapi import APIRouter

from vtrade.api.native import accounts, estimate, market, orders, portfolio, session

router = APIRouter(prefix="/api/v1")
for part in (orders, portfolio, accounts, market, estimate, session):  # the busiest first
    router.include_router(part.router)
