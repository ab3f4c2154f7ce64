"""`/v2/watchlists`: named lists of assets per account, by id and by name (§3.1, §6)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from vtrade.api.alpaca.common import (
    Ctx,
    CtxDep,
    find_instrument,
    instrument_or_422,
)
from vtrade.api.alpaca.schemas import asset_json
from vtrade.api.inputs import Body
from vtrade.app.ports import Watchlist
from vtrade.core.clock import iso
from vtrade.core.errors import NotFoundError, ValidationError

router = APIRouter(tags=["alpaca: watchlists"])

MAX_SYMBOLS = 1000


class WatchlistCreate(Body):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"name": "tech", "symbols": ["AAPL", "MSFT"]}]},
    )

    name: str = Field(min_length=1, max_length=64)
    symbols: list[str] | None = Field(None, max_length=MAX_SYMBOLS)


class WatchlistUpdate(Body):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(None, min_length=1, max_length=64)
    symbols: list[str] | None = Field(None, max_length=MAX_SYMBOLS)


class WatchlistAdd(Body):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{"symbol": "AAPL"}]})

    symbol: str = Field(min_length=1, max_length=32)


def watchlist_json(c: Ctx, w: Watchlist) -> dict[str, Any]:
    """Render a watchlist as Alpaca's `Watchlist`, its assets in list order."""
    rates = c.container.engine.margin_rates
    assets = [asset_json(c.catalog.get(s), rates) for s in w.symbols if s in c.catalog]
    return {
        "id": w.id,
        "account_id": w.account_id,
        "name": w.name,
        "created_at": iso(w.created_ns),
        "updated_at": iso(w.updated_ns),
        "assets": assets,
    }


def _symbols(c: Ctx, given: list[str] | None) -> tuple[str, ...]:
    """Resolve symbols as clients write them; drop repeats, keep the first position."""
    seen: dict[str, None] = {}
    for text in given or []:
        seen.setdefault(instrument_or_422(c.state, text).symbol, None)
    return tuple(seen)


def _by_id(c: Ctx, watchlist_id: str) -> Watchlist:
    found = c.container.watchlists.get(c.account_id, watchlist_id.strip().lower())
    if found is None:
        raise NotFoundError(f"watchlist not found: {watchlist_id!r}")
    return found


def _by_name(c: Ctx, name: str) -> Watchlist:
    found = c.container.watchlists.by_name(c.account_id, name)
    if found is None:
        raise NotFoundError(f"watchlist not found: name {name!r}")
    return found


def _update(c: Ctx, w: Watchlist, body: WatchlistUpdate) -> dict[str, Any]:
    changed = replace(
        w,
        name=body.name if body.name is not None else w.name,
        symbols=_symbols(c, body.symbols) if body.symbols is not None else w.symbols,
        updated_ns=c.now_ns(),
    )
    c.container.watchlists.save(changed)
    return watchlist_json(c, changed)


def _add(c: Ctx, w: Watchlist, body: WatchlistAdd) -> dict[str, Any]:
    symbol = instrument_or_422(c.state, body.symbol).symbol
    if symbol in w.symbols:
        raise ValidationError(f"{body.symbol} is already in watchlist {w.name!r}")
    if len(w.symbols) >= MAX_SYMBOLS:
        raise ValidationError(f"a watchlist holds at most {MAX_SYMBOLS} symbols")
    changed = replace(w, symbols=(*w.symbols, symbol), updated_ns=c.now_ns())
    c.container.watchlists.save(changed)
    return watchlist_json(c, changed)


def _delete(c: Ctx, w: Watchlist) -> Response:
    c.container.watchlists.delete(c.account_id, w.id)
    return Response(status_code=204)


@router.get("/v2/watchlists", summary="List watchlists")
async def list_watchlists(c: CtxDep) -> list[dict[str, Any]]:
    return [watchlist_json(c, w) for w in c.container.watchlists.of_account(c.account_id)]


@router.post("/v2/watchlists", summary="Create a watchlist")
async def create_watchlist(body: WatchlistCreate, c: CtxDep) -> dict[str, Any]:
    """Names are unique per account: a taken name answers 422."""
    now = c.now_ns()
    w = Watchlist(
        id=str(uuid.uuid4()),
        account_id=c.account_id,
        name=body.name,
        symbols=_symbols(c, body.symbols),
        created_ns=now,
        updated_ns=now,
    )
    c.container.watchlists.create(w)
    return watchlist_json(c, w)


Name = Annotated[str, Query(min_length=1, max_length=64)]


@router.get("/v2/watchlists:by_name", summary="Get a watchlist by name")
async def get_by_name(name: Name, c: CtxDep) -> dict[str, Any]:
    return watchlist_json(c, _by_name(c, name))


@router.put("/v2/watchlists:by_name", summary="Update a watchlist by name")
async def update_by_name(name: Name, body: WatchlistUpdate, c: CtxDep) -> dict[str, Any]:
    return _update(c, _by_name(c, name), body)


@router.post("/v2/watchlists:by_name", summary="Add an asset to a watchlist by name")
async def add_by_name(name: Name, body: WatchlistAdd, c: CtxDep) -> dict[str, Any]:
    return _add(c, _by_name(c, name), body)


@router.delete(
    "/v2/watchlists:by_name",
    status_code=204,
    response_class=Response,
    summary="Delete a watchlist by name",
)
async def delete_by_name(name: Name, c: CtxDep) -> Response:
    return _delete(c, _by_name(c, name))


@router.get("/v2/watchlists/{watchlist_id}", summary="Get a watchlist")
async def get_watchlist(watchlist_id: str, c: CtxDep) -> dict[str, Any]:
    return watchlist_json(c, _by_id(c, watchlist_id))


@router.put("/v2/watchlists/{watchlist_id}", summary="Rename a watchlist or replace its assets")
async def update_watchlist(watchlist_id: str, body: WatchlistUpdate, c: CtxDep) -> dict[str, Any]:
    return _update(c, _by_id(c, watchlist_id), body)


@router.post("/v2/watchlists/{watchlist_id}", summary="Add an asset to a watchlist")
async def add_to_watchlist(watchlist_id: str, body: WatchlistAdd, c: CtxDep) -> dict[str, Any]:
    return _add(c, _by_id(c, watchlist_id), body)


@router.delete(
    "/v2/watchlists/{watchlist_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a watchlist",
)
async def delete_watchlist(watchlist_id: str, c: CtxDep) -> Response:
    return _delete(c, _by_id(c, watchlist_id))


@router.delete(
    "/v2/watchlists/{watchlist_id}/{symbol:path}", summary="Remove an asset from a watchlist"
)
async def remove_from_watchlist(watchlist_id: str, symbol: str, c: CtxDep) -> dict[str, Any]:
    w = _by_id(c, watchlist_id)
    inst = find_instrument(c.state, symbol)
    if inst is None or inst.symbol not in w.symbols:
        raise NotFoundError(f"{symbol} is not in watchlist {w.name!r}")
    changed = replace(
        w, symbols=tuple(s for s in w.symbols if s != inst.symbol), updated_ns=c.now_ns()
    )
    c.container.watchlists.save(changed)
    return watchlist_json(c, changed)
