"""`/v2/assets`, `/v2/clock` and `/v2/calendar` (§3.1, §7.4).

The clock and the calendar are the US equity market's (NYSE), as Alpaca's are: times in New
York with their offset, calendar times as `HH:MM` and extended hours as `HHMM`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query

from vtrade.api.alpaca.common import NEW_YORK, CtxDep, csv_list, day_of, et_iso, instrument_or_404
from vtrade.api.alpaca.schemas import asset_class_of, asset_json, exchange_of
from vtrade.core.clock import to_ns
from vtrade.core.errors import ValidationError
from vtrade.market.sessions import Phase

router = APIRouter(tags=["alpaca: assets, clock, calendar"])

US_CALENDAR = "XNYS"
MAX_CALENDAR_DAYS = 20_000


# Alpaca's values (alpaca-py 0.44 `AssetClass` and `AssetExchange`): any of them is a valid
# filter, though we list no options, perpetuals or assets on most of those exchanges.
ASSET_CLASSES = ("us_equity", "us_option", "crypto", "crypto_perp")
EXCHANGES = (
    "AMEX",
    "ARCA",
    "ASCX",
    "BATS",
    "NYSE",
    "NASDAQ",
    "NYSEARCA",
    "FTXU",
    "CBSE",
    "GNSS",
    "ERSX",
    "OTC",
    "CRYPTO",
)


def _one_of(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    """The filter value in its canonical case (None for no filter); 422 if not allowed."""
    if value is None or not value.strip():
        return None
    for candidate in allowed:
        if candidate.lower() == value.strip().lower():
            return candidate
    raise ValidationError(f"{what} {value!r} is not one of {', '.join(allowed)}")


@router.get("/v2/assets", summary="List assets")
async def list_assets(
    c: CtxDep,
    status: Annotated[Literal["active", "inactive"] | None, Query()] = None,
    asset_class: Annotated[
        str | None, Query(description="us_equity, us_option, crypto or crypto_perp")
    ] = None,
    exchange: Annotated[
        str | None, Query(description="e.g. NASDAQ, NYSE, ARCA, CRYPTO, OTC")
    ] = None,
    attributes: Annotated[
        str | None, Query(description="comma-separated; none are set here")
    ] = None,
) -> list[dict[str, Any]]:
    """Every instrument we trade, as Alpaca assets (all active and tradable)."""
    wanted_class = _one_of(asset_class, ASSET_CLASSES, "asset_class")
    wanted_exchange = _one_of(exchange, EXCHANGES, "exchange")
    if status == "inactive" or csv_list(attributes):
        return []
    return [
        asset_json(inst, c.container.engine.margin_rates)
        for inst in c.catalog
        if (wanted_class is None or asset_class_of(inst) == wanted_class)
        and (wanted_exchange is None or exchange_of(inst) == wanted_exchange)
    ]


@router.get("/v2/assets/{symbol_or_asset_id:path}", summary="Get an asset")
async def get_asset(symbol_or_asset_id: str, c: CtxDep) -> dict[str, Any]:
    """By symbol (`AAPL`, `BTC/USD`, `BTCUSD`) or asset id; 404 when unknown."""
    return asset_json(
        instrument_or_404(c.state, symbol_or_asset_id), c.container.engine.margin_rates
    )


@router.get("/v2/clock", summary="Get the US market clock")
async def get_clock(c: CtxDep) -> dict[str, Any]:
    """Whether the US market is in its regular session, and its next open and close."""
    now = c.now_ns()
    state = c.container.sessions.calendar(US_CALENDAR).state(now)
    return {
        "timestamp": et_iso(now),
        "is_open": state.phase is Phase.REGULAR,
        "next_open": et_iso(state.next_open) if state.next_open else et_iso(now),
        "next_close": et_iso(state.next_close) if state.next_close else et_iso(now),
    }


def _hhmm(ns: int, sep: str) -> str:
    moment = datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC).astimezone(NEW_YORK)
    return moment.strftime(f"%H{sep}%M")


@router.get("/v2/calendar", summary="Get the US market calendar")
async def get_calendar(
    c: CtxDep,
    start: Annotated[str | None, Query(description="first date, YYYY-MM-DD (or RFC 3339)")] = None,
    end: Annotated[str | None, Query(description="last date, inclusive")] = None,
) -> list[dict[str, Any]]:
    """Trading days between `start` and `end` (default: the whole supported range)."""
    sessions = c.container.sessions
    first = day_of(start, "start") or sessions.first_day
    last = day_of(end, "end") or sessions.last_day
    if last < first:
        raise ValidationError(f"end {last} is before start {first}")
    if (last - first).days > MAX_CALENDAR_DAYS:
        raise ValidationError(f"at most {MAX_CALENDAR_DAYS} days per request")
    days = sessions.calendar(US_CALENDAR, extended=True).days
    lo, hi = np.searchsorted(days.day, [_label(first), _label(last) + 1], side="left")
    result: list[dict[str, Any]] = []
    for i in range(int(lo), int(hi)):
        label = datetime.fromtimestamp(int(days.day[i]) // 1_000_000_000, tz=UTC).date()
        settles = (
            datetime.fromtimestamp(int(days.day[i + 1]) // 1_000_000_000, tz=UTC).date()
            if i + 1 < len(days)
            else label + timedelta(days=1)
        )
        result.append(
            {
                "date": label.isoformat(),
                "open": _hhmm(int(days.open[i]), ":"),
                "close": _hhmm(int(days.close[i]), ":"),
                "session_open": _hhmm(int(days.start[i]), ""),
                "session_close": _hhmm(int(days.end[i]), ""),
                "settlement_date": settles.isoformat(),
            }
        )
    return result


def _label(day: date) -> int:
    return to_ns(datetime(day.year, day.month, day.day, tzinfo=UTC))
