"""The native API under `/api/v1`: sessions, accounts, orders with fill receipts, positions,
the live portfolio, market data and pre-trade estimates."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vtrade.api.native import accounts, estimate, market, orders, portfolio, session
from vtrade.api.native.common import known_query

# Unknown query parameters are errors on every native route, as unknown body keys are.
router = APIRouter(prefix="/api/v1", dependencies=[Depends(known_query)])
for part in (orders, portfolio, accounts, market, estimate, session):  # the busiest first
    router.include_router(part.router)
