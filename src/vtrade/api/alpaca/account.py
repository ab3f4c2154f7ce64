"""`/v2/account` and `/v2/account/configurations` (reference/alpaca-compat.md §3.1, §7.1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, cast

from fastapi import APIRouter
from pydantic import ConfigDict, Field, field_validator

from vtrade.api.alpaca.common import Ctx, CtxDep
from vtrade.api.alpaca.schemas import dec, money
from vtrade.api.inputs import Body
from vtrade.core.clock import iso
from vtrade.core.errors import NotFoundError
from vtrade.core.money import spendable_cents
from vtrade.domain.margin import MIN_EQUITY_TO_SHORT

router = APIRouter(tags=["alpaca: account"])

DEFAULT_CONFIGURATION: dict[str, Any] = {
    "dtbp_check": "entry",
    "trade_confirm_email": "all",
    "suspend_trade": False,
    "no_shorting": False,
    "fractional_trading": True,
    "max_margin_multiplier": "2",
    "max_options_trading_level": 0,
    "pdt_check": "entry",
    "ptp_no_exception_entry": False,
}

# kept on the account, not in the settings (max_margin_multiplier 1: the account is cash-only)
_ENGINE_RULES = ("suspend_trade", "no_shorting", "max_margin_multiplier")

ACCOUNT_EXAMPLE = {
    "id": "6e5c7b6a-9d2c-4c8e-a7f4-1b2c3d4e5f60",
    "account_number": "VT6E5C7B6A9D",
    "status": "ACTIVE",
    "currency": "USD",
    "cash": "1000000",
    "buying_power": "2000000",
    "equity": "1000000",
    "portfolio_value": "1000000",
}


class ConfigurationPatch(Body):
    """Settings to change; absent or null keys keep their value (alpaca-py sends them all)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"suspend_trade": False, "no_shorting": True}]},
    )

    dtbp_check: Literal["both", "entry", "exit"] | None = None
    pdt_check: Literal["both", "entry", "exit"] | None = None
    trade_confirm_email: Literal["all", "none"] | None = None
    suspend_trade: bool | None = None
    no_shorting: bool | None = None
    fractional_trading: bool | None = None
    ptp_no_exception_entry: bool | None = None
    max_margin_multiplier: Decimal | None = Field(None, description="1 or 2")
    max_options_trading_level: int | None = Field(None, ge=0, le=3)

    @field_validator("max_margin_multiplier")
    @classmethod
    def _one_or_two(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value not in (Decimal(1), Decimal(2)):
            raise ValueError("max_margin_multiplier must be 1 or 2")
        return value


def configuration(c: Ctx) -> dict[str, Any]:
    """The account's Alpaca configuration: the defaults overlaid with what was saved, and the
    two settings the engine enforces for every order (whatever the API) from the account."""
    saved = c.container.account_settings.get(c.account_id) or {}
    account = c.container.engine.account(c.account_id)  # as the last command left it
    rules = {
        "suspend_trade": account.trading_suspended,
        "no_shorting": account.no_shorting,
        "max_margin_multiplier": "1" if account.cash_only else "2",
    }
    return {**DEFAULT_CONFIGURATION, **saved, **rules}


@router.get(
    "/v2/account",
    summary="Get the account",
    responses={200: {"content": {"application/json": {"example": ACCOUNT_EXAMPLE}}}},
)
async def get_account(c: CtxDep) -> dict[str, Any]:
    """Cash, equity, buying power and margin of the key's account, as Alpaca's TradeAccount."""
    engine = c.container.engine
    account = c.account
    now = c.now_ns()
    view = engine.view(account.id, now)
    config = configuration(c)
    # the stock leverage the engine applies (a venue set to 4:1 lends 4:1), none cash-only
    leverage = engine.stock_leverage(account.id)
    excess = engine.excess_margin(account.id, now)  # what a new order may use
    # what a cash-only (crypto) buy may spend: cash less what open cash-only buys will take,
    # and no more than its margin (all of its value) allows
    cash = view.spendable_cash - engine.cash_for_orders(account.id, now)
    cash_free = max(min(cash, excess), Decimal(0))
    # as each position adds to equity (a contract: its cost at its entry rate and its P&L at
    # today's), so equity is cash + long + short, as Alpaca defines it
    long_value = sum((v for v in view.marked.values() if v > 0), Decimal(0))
    short_value = sum((v for v in view.marked.values() if v < 0), Decimal(0))
    last_equity = _last_equity(c, view.nav)
    blocked = bool(config["suspend_trade"])
    return {
        "id": account.id,
        "account_number": "VT" + account.id.replace("-", "")[:10].upper(),
        "status": "ACTIVE",
        "crypto_status": "ACTIVE",
        "currency": "USD",
        "buying_power": spendable(excess * leverage),
        "regt_buying_power": spendable(excess * leverage),
        "daytrading_buying_power": "0",
        "non_marginable_buying_power": spendable(cash_free),
        "options_buying_power": spendable(excess),
        "cash": money(account.cash),
        "accrued_fees": "0",
        "pending_transfer_in": "0",
        "pending_transfer_out": "0",
        "portfolio_value": money(view.nav),
        "equity": money(view.nav),
        "last_equity": money(last_equity),
        "long_market_value": money(long_value),
        "short_market_value": money(short_value),
        "initial_margin": money(view.margin_used),
        "maintenance_margin": money(view.maintenance),
        "last_maintenance_margin": money(_last_maintenance(c, now)),
        "sma": "0",
        "multiplier": dec(leverage),
        "pattern_day_trader": False,
        "trading_blocked": blocked,
        "transfers_blocked": False,
        "account_blocked": False,
        "trade_suspended_by_user": blocked,
        # a margin account with FINRA's 2,000 of equity, its own rule allowing
        "shorting_enabled": not config["no_shorting"]
        and not account.cash_only
        and view.nav >= MIN_EQUITY_TO_SHORT,
        "daytrade_count": 0,
        "options_approved_level": 0,
        "options_trading_level": 0,
        "created_at": iso(account.created_ns),
        "realism_profile": account.profile.value,
    }


def spendable(amount: Decimal) -> str:
    """A buying power, to the cent below: an order sized to it passes the check."""
    return money(spendable_cents(amount))


_LAST = "last_maintenance"  # `ApiState.extras`: (account, close, life start) -> its figure


def _last_maintenance(c: Ctx, now: int) -> Decimal:
    """The maintenance margin at the last close (the portfolio day's, New York's): the
    positions held then, at the marks then; nothing when the account's life began after it."""
    container, account_id = c.container, c.account_id
    close = container.portfolio.close_before(now)
    life = container.store.life_start_ns(account_id)
    if close is None or life is None or life > close:
        return Decimal(0)
    # what was held at a close never changes: worked out once a day (bots poll the account)
    known = cast(dict[tuple[str, int, int], Decimal], c.state.extras.setdefault(_LAST, {}))
    key = (account_id, close, life)
    if key not in known:
        if len(known) > 10_000:
            known.clear()
        known[key] = container.trading.maintenance_at(account_id, close)
    return known[key]


def _last_equity(c: Ctx, nav: Decimal) -> Decimal:
    """Equity at the previous close: today's NAV less today's P&L (from the portfolio)."""
    try:
        state = c.container.queries.state(c.account_id)
    except (NotFoundError, KeyError, IndexError):
        return nav
    return state.nav - state.day_pnl


@router.get("/v2/account/configurations", summary="Get the account configuration")
async def get_configurations(c: CtxDep) -> dict[str, Any]:
    """Alpaca account configuration. `suspend_trade` refuses new orders, a
    `max_margin_multiplier` of 1 borrowing, and `no_shorting`
    refuses sells beyond the position (counting open sells), through any API; the other
    settings are kept for clients that read them back."""
    return configuration(c)


@router.patch("/v2/account/configurations", summary="Change the account configuration")
async def patch_configurations(patch: ConfigurationPatch, c: CtxDep) -> dict[str, Any]:
    """Change the given settings (null and absent keys keep theirs); return all of them."""
    changes = patch.model_dump(exclude_none=True)
    suspend, no_shorting = changes.pop("suspend_trade", None), changes.pop("no_shorting", None)
    multiplier = changes.pop("max_margin_multiplier", None)
    cash_only = None if multiplier is None else multiplier == 1
    if suspend is not None or no_shorting is not None or cash_only is not None:
        c.container.trading.set_rules(
            c.account_id, trading_suspended=suspend, no_shorting=no_shorting, cash_only=cash_only
        )
    stored = {k: v for k, v in configuration(c).items() if k not in _ENGINE_RULES}
    c.container.account_settings.put(c.account_id, {**stored, **changes}, c.now_ns())
    return configuration(c)
