"""What the Alpaca routes share: the caller's account, symbol and id lookups, input parsing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import Depends, Request
from starlette.responses import Response

from vtrade.api.alpaca.schemas import alpaca_symbol, asset_id, order_json
from vtrade.api.auth import Caller, account_of, caller
from vtrade.api.nested import legs_of, working
from vtrade.api.paging import storable
from vtrade.api.state import ApiState, state_of
from vtrade.bootstrap import Container
from vtrade.core.clock import end_of_shown, parse_instant, to_ns
from vtrade.core.errors import NotFoundError, RejectedError, ValidationError
from vtrade.domain.accounts import Account
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.orders import LEGS, Order
from vtrade.market.catalog import Catalog

NEW_YORK = ZoneInfo("America/New_York")
_ASSET_IDS = "alpaca.asset_ids"


@dataclass(frozen=True, slots=True)
class Ctx:
    """One request's view: the server's parts and the account the caller acts on."""

    state: ApiState
    account: Account

    @property
    def container(self) -> Container:
        return self.state.container

    @property
    def catalog(self) -> Catalog:
        return self.state.container.catalog

    @property
    def account_id(self) -> str:
        return self.account.id

    def now_ns(self) -> int:
        return self.state.container.clock.now_ns()

    def command_meta(self) -> dict[str, Any]:
        """The `id` and `ts_init` every command needs."""
        return {"id": uuid.uuid4().hex, "ts_init": self.now_ns()}


def render_order(c: Ctx, order: Order, nested: bool = False) -> dict[str, Any]:
    """`order` as an Alpaca `Order`, as it stands now; `nested`: with its legs (those of a
    bracket, oto or oco order), each as it stands now (a replaced one: its replacement)."""
    legs = legs_of(order, c.container.store, working(c.container)) if nested else None
    return render_with(c, order, legs)


def render_with(c: Ctx, order: Order, legs: Sequence[Order] | None) -> dict[str, Any]:
    """`order` as an Alpaca `Order` with `legs` under it; null, as on Alpaca, for an order
    placed without legs or when they are not asked for (None)."""
    if legs is None or LEGS not in order.extra:
        return order_json(order, c.catalog)
    return order_json(order, c.catalog, [order_json(leg, c.catalog) for leg in legs])


async def ctx(request: Request, who: Annotated[Caller, Depends(caller)]) -> Ctx:
    """FastAPI dependency: the authenticated caller's account (a key's bound account)."""
    return Ctx(state_of(request), account_of(request, who))


CtxDep = Annotated[Ctx, Depends(ctx)]


# -- symbols and asset ids ----------------------------------------------------------------


def _by_asset_id(state: ApiState) -> dict[str, str]:
    found = state.extras.get(_ASSET_IDS)
    if not isinstance(found, dict):
        found = {asset_id(s): s for s in state.container.catalog.symbols}
        state.extras[_ASSET_IDS] = found
    return found


def find_instrument(state: ApiState, text: str) -> Instrument | None:
    """Look up a symbol as Alpaca clients write it (`AAPL`, `BTC/USD`, `BTCUSD`) or an asset
    id; None when there is no such instrument."""
    catalog = state.container.catalog
    wanted = text.strip().upper()
    if not wanted:
        return None
    symbol = _by_asset_id(state).get(wanted.lower())
    if symbol is not None:
        return catalog.get(symbol)
    candidates = [wanted, wanted.replace("/", "-")]
    if wanted.endswith("USD") and wanted.isalnum() and len(wanted) > 3:
        candidates.append(wanted[:-3] + "-USD")
    if len(wanted) == 6 and wanted.isalpha():
        candidates.append(f"{wanted[:3]}/{wanted[3:]}")  # EURUSD is EUR/USD, as BTCUSD is BTC/USD
    for candidate in candidates:
        if candidate in catalog:
            inst = catalog.get(candidate)
            if candidate == wanted or inst.asset_class in (AssetClass.CRYPTO, AssetClass.FX):
                return inst
    return None


def instrument_or_404(state: ApiState, text: str, what: str = "asset") -> Instrument:
    """The instrument for a path parameter, or 404 `<what> not found`."""
    inst = find_instrument(state, text)
    if inst is None:
        raise NotFoundError(f"{what} not found: {text!r}", symbol=text)
    return inst


def instrument_or_422(state: ApiState, text: str) -> Instrument:
    """The instrument named in a request body, or 422 `asset "X" not found`."""
    inst = find_instrument(state, text)
    if inst is None:
        raise ValidationError(
            f'asset "{text}" not found: see GET /v2/assets for the symbols we trade'
        )
    return inst


def insufficient_qty(inst: Instrument, message: str, facts: Mapping[str, str]) -> RejectedError:
    """Alpaca's 403 for an order beyond the quantity available (the engine's
    `InsufficientQtyAvailable`): its message, with its `facts` (`available`, `existing_qty`,
    `held_for_orders`, `related_orders`) and the symbol as Alpaca spells it as extra keys."""
    details: dict[str, object] = dict(facts)
    if "related_orders" in facts:  # a list of ids, kept as text by the engine
        details["related_orders"] = [i for i in facts["related_orders"].split(",") if i]
    return RejectedError(message, **details, symbol=alpaca_symbol(inst))


# -- parsing ------------------------------------------------------------------------------


def decimal(value: object, what: str) -> Decimal:
    """Parse a JSON number or numeric string; 422 when it is neither."""
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{what} must be a number, got {value!r}") from None
    if not result.is_finite():
        raise ValidationError(f"{what} must be a finite number, got {value!r}")
    return result


def optional_decimal(value: object, what: str) -> Decimal | None:
    return None if value is None or value == "" else decimal(value, what)


def instant(
    text: str | None, what: str, *, end_of_day: bool = False, zone: tzinfo = NEW_YORK
) -> int | None:
    """Parse an RFC 3339 instant or a `YYYY-MM-DD` date (midnight in `zone`, New York unless
    told, or the end of that day with `end_of_day`) into ns; 422 when malformed."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip()
    if len(cleaned) == 10:
        try:
            day = date.fromisoformat(cleaned)
        except ValueError:
            raise ValidationError(f"{what}: malformed date {text!r}; use YYYY-MM-DD") from None
        moment = datetime.combine(day, time.max if end_of_day else time.min, zone)
        return storable(to_ns(moment))
    try:
        return storable(to_ns(parse_instant(cleaned)))
    except (ValueError, OverflowError):
        raise ValidationError(
            f"{what}: malformed time {text!r}; use RFC 3339, e.g. 2024-01-02T15:04:05Z"
        ) from None


def after_instant(text: str | None) -> int | None:
    """Parse an exclusive lower bound (`after`) into ns, past the whole microsecond it names:
    times are shown to the microsecond but kept to the nanosecond, so `after` set to a time
    we showed excludes what was shown with it."""
    after = instant(text, "after")
    return None if after is None else storable(end_of_shown(after))


def day_of(text: str | None, what: str) -> date | None:
    """Parse a `YYYY-MM-DD` date or an RFC 3339 instant; an instant stands for the date it is
    written with (`2024-01-05T00:00:00Z` is 2024-01-05), as Alpaca reads it."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip()
    try:
        return date.fromisoformat(cleaned) if len(cleaned) <= 10 else parse_instant(cleaned).date()
    except ValueError:
        raise ValidationError(
            f"{what}: malformed date {text!r}; use YYYY-MM-DD or RFC 3339, "
            "e.g. 2024-01-02 or 2024-01-02T00:00:00Z"
        ) from None


def csv_list(text: str | None) -> list[str]:
    """Split a comma-joined query value (as the SDKs send lists); blanks are dropped."""
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def et_iso(ns: int) -> str:
    """Format an instant in New York time with its offset (`-05:00`/`-04:00`), as Alpaca's
    clock does."""
    seconds, rest = divmod(ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rest // 1000)
    return moment.astimezone(NEW_YORK).isoformat()


def json_response(body: Any, status_code: int = 200) -> Response:
    """Render an already JSON-shaped body with orjson, skipping FastAPI's generic encoder
    (the hot routes answer thousands of times a second)."""
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")
