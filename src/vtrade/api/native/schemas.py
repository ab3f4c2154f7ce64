"""Request and response models of sessions, accounts, orders and fills (not domain classes)."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from vtrade.api.inputs import ClientOrderIdIn
from vtrade.api.native.types import Dec, DecIn, In, Out, f
from vtrade.domain.accounts import Profile
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderClass, OrderStatus, OrderType, TimeInForce

ORDER_ID = "5f2c81a0-6f1e-0000-0000-00000000002a"
ACCOUNT_ID = "5f2c81a0-1d3b-0000-0000-000000000001"
TS = "2026-11-18T15:00:00.250000Z"
NAME_PATTERN = r"^[A-Za-z0-9_.\-]{1,32}$"


# -- sessions and users ---------------------------------------------------------------------


class SessionCreate(In):
    name: str = f("User name", "alice", min_length=1, max_length=64)
    password: str = f("Password", "a long enough password", min_length=1, max_length=1024)


class UserPublic(Out):
    id: str = f("User id", "usr-3f9a0c1b2d4e5f60")
    name: str = f("User name", "alice")
    created_at: str = f("When the user was created", TS)


class SessionPublic(Out):
    """A signed-in browser. The session itself travels in the HttpOnly `vtrade_session` cookie;
    echo `csrf_token` in the `X-CSRF-Token` header of every request that changes state."""

    user: UserPublic
    csrf_token: str = f("Send as X-CSRF-Token on POST/PUT/PATCH/DELETE", "q1w2e3...")
    expires_at: str = f("When the session expires", "2026-11-25T15:00:00Z")


# -- accounts -------------------------------------------------------------------------------


class AccountCreate(In):
    name: str = f(
        "Account name, unique among your accounts: 1-32 of A-Z a-z 0-9 _ . -",
        "swing",
        pattern=NAME_PATTERN,
    )
    profile: Profile = f(
        "Realism profile: frictionless, realistic or harsh", "realistic", default=Profile.REALISTIC
    )
    balance: DecIn | None = f(
        "Opening balance in VCR (default 1,000,000)",
        "250000",
        default=None,
        gt=0,
        le=10**12,
    )


class ProfileUpdate(In):
    profile: Profile = f("Realism profile: frictionless, realistic or harsh", "harsh")


class RulesUpdate(In):
    """Absent or null fields keep their value."""

    trading_suspended: bool | None = f("Refuse every new order", True, default=None)
    no_shorting: bool | None = f(
        "Refuse sells that would take a position below zero", False, default=None
    )
    cash_only: bool | None = f(
        "Borrow nothing: every position needs its whole value (Alpaca's max_margin_multiplier 1)",
        False,
        default=None,
    )


class AccountPublic(Out):
    id: str = f("Account id", ACCOUNT_ID)
    name: str = f("Account name", "main")
    profile: Profile = f("Realism profile stamped on every fill", "realistic")
    currency: str = f("Account currency (1 VCR = 1 USD)", "VCR")
    initial_balance: Dec = f("Balance after opening or the last reset", "1000000")
    cash: Dec = f("Cash; negative when borrowing on margin", "812345.67")
    nav: Dec = f("Net asset value: cash plus positions at current marks", "1000123.45")
    gross_exposure: Dec = f("Sum of absolute position values", "187777.78")
    margin_used: Dec = f("Initial margin of the positions", "93888.89")
    buying_power: Dec = f(
        "What a stock order may buy: `excess_margin` times the venue's stock leverage (2:1; "
        "1 for a cash-only account), as Alpaca's /v2/account reports it; other asset classes "
        "buy `excess_margin` times their own leverage (crypto: 1)",
        "1812469.12",
    )
    excess_margin: Dec = f(
        "NAV less the initial margin of the positions and of what open orders would add: the "
        "margin a new order may use",
        "906234.56",
    )
    margin_call: bool = f("Whether equity is below maintenance", False)
    trading_suspended: bool = f("Whether new orders are refused (the account's rule)", False)
    no_shorting: bool = f("Whether short sales are refused (the account's rule)", False)
    cash_only: bool = f("Whether the account borrows nothing (the account's rule)", False)
    open_orders: int = f("Number of open orders", 2)
    created_at: str = f("When the account was opened", TS)


class AccountList(Out):
    accounts: list[AccountPublic]


class MePublic(Out):
    """Who is calling, how, and which accounts it may act on."""

    user: UserPublic
    auth: Literal["api_key", "session"] = f("How the request authenticated", "api_key")
    key_id: str | None = f("The API key id (keys only)", "PKX2F7Q9R1T3V5W7Y9A1")
    account_id: str | None = f("The account a key is bound to (keys only)", ACCOUNT_ID)
    accounts: list[AccountPublic] = f("Accounts this caller may act on", None)


# -- orders ---------------------------------------------------------------------------------


class OrderCreate(In):
    """A new order. Give exactly one of `qty` and `notional` (notional: market orders only)."""

    symbol: str = f("Instrument symbol", "AAPL", min_length=1, max_length=32)
    side: Side = f("buy or sell", "buy")
    type: OrderType = f(
        "market, limit, stop, stop_limit or trailing_stop", "market", default=OrderType.MARKET
    )
    time_in_force: TimeInForce = f("day, gtc, ioc, fok, opg or cls", "day", default=TimeInForce.DAY)
    qty: DecIn | None = f("Quantity, a multiple of the lot size", "100", default=None, gt=0)
    notional: DecIn | None = f(
        "Amount to trade in the quote currency (market orders)", None, default=None, gt=0
    )
    limit_price: DecIn | None = f("Limit price (limit, stop_limit)", None, default=None, gt=0)
    stop_price: DecIn | None = f("Stop price (stop, stop_limit)", None, default=None, gt=0)
    trail_price: DecIn | None = f("Trail in price units (trailing_stop)", None, default=None, gt=0)
    trail_percent: DecIn | None = f(
        "Trail in percent (trailing_stop)", None, default=None, gt=0, lt=100
    )
    extended_hours: bool = f("Day limit orders in US pre/post-market", False, default=False)
    client_order_id: ClientOrderIdIn = f(
        "Your id for the order; repeating it returns the original order",
        "bot-42-0001",
        default=None,
        min_length=1,
        max_length=128,
    )
    order_class: OrderClass = f(
        "simple; bracket (an entry with a take-profit and a stop-loss held until it fills, "
        "one-cancels-other), oto (an entry with one of them) or oco (this limit order is the "
        "take-profit, working with its stop-loss)",
        "simple",
        default=OrderClass.SIMPLE,
    )
    take_profit_limit_price: DecIn | None = f(
        "Limit price of the take-profit leg (bracket, oto, oco)", None, default=None, gt=0
    )
    stop_loss_stop_price: DecIn | None = f(
        "Stop price of the stop-loss leg (bracket, oto, oco)", None, default=None, gt=0
    )
    stop_loss_limit_price: DecIn | None = f(
        "Limit price of a stop-limit stop-loss leg (else a stop order)", None, default=None, gt=0
    )

    @model_validator(mode="after")
    def _consistent(self) -> OrderCreate:
        if (self.qty is None) == (self.notional is None):
            raise ValueError("give exactly one of qty and notional")
        if self.notional is not None and self.type is not OrderType.MARKET:
            raise ValueError("notional works with market orders only; use qty")
        needs = {
            OrderType.MARKET: (),
            OrderType.LIMIT: ("limit_price",),
            OrderType.STOP: ("stop_price",),
            OrderType.STOP_LIMIT: ("stop_price", "limit_price"),
            OrderType.TRAILING_STOP: (),
        }[self.type]
        for name in needs:
            if getattr(self, name) is None:
                raise ValueError(f"a {self.type.value} order needs {name}")
        for name in ("limit_price", "stop_price"):
            if getattr(self, name) is not None and name not in needs:
                raise ValueError(f"a {self.type.value} order takes no {name}")
        trails = [t for t in (self.trail_price, self.trail_percent) if t is not None]
        if self.type is OrderType.TRAILING_STOP and len(trails) != 1:
            raise ValueError(
                "a trailing_stop order needs exactly one of trail_price, trail_percent"
            )
        if self.type is not OrderType.TRAILING_STOP and trails:
            raise ValueError(f"a {self.type.value} order takes no trail_price or trail_percent")
        return self


class OrderReplace(In):
    """New values for an open order; fields left out keep their values."""

    qty: DecIn | None = f(
        "Quantity of the new order, which replaces what the old one has left to fill (its fills "
        "stay; left out: what remains), as Alpaca's replace does",
        "50",
        default=None,
        gt=0,
    )
    limit_price: DecIn | None = f("New limit price", "187.50", default=None, gt=0)
    stop_price: DecIn | None = f("New stop price", None, default=None, gt=0)
    trail: DecIn | None = f(
        "New trail (price or percent, as the order has)", None, default=None, gt=0
    )
    time_in_force: TimeInForce | None = f("New time in force", "gtc", default=None)
    client_order_id: ClientOrderIdIn = f(
        "Client id of the new order", None, default=None, min_length=1, max_length=128
    )

    @model_validator(mode="after")
    def _something(self) -> OrderReplace:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError(
                "give at least one of qty, limit_price, stop_price, trail, time_in_force, "
                "client_order_id"
            )
        return self


class OrderPublic(Out):
    id: str = f("Order id", ORDER_ID)
    client_order_id: str = f("Client order id (yours, or one we made)", "bot-42-0001")
    account_id: str = f("Account id", ACCOUNT_ID)
    symbol: str = f("Instrument symbol", "AAPL")
    asset_class: str = f("Asset class of the instrument", "equity")
    side: Side = f("buy or sell", "buy")
    type: OrderType = f("Order type", "limit")
    time_in_force: TimeInForce = f("Time in force", "day")
    status: OrderStatus = f("Order status", "partially_filled")
    qty: Dec = f("Ordered quantity (resolved from notional at arrival)", "100")
    notional: Dec | None = f("Notional asked for, if sized by value", None)
    filled_qty: Dec = f("Quantity filled so far", "40")
    remaining_qty: Dec = f("Quantity still to fill (0 once closed)", "60")
    filled_avg_price: Dec | None = f("Average price of the fills", "189.431250")
    filled_notional: Dec = f("Sum of fill quantity times price (quote currency)", "7577.25")
    limit_price: Dec | None = f("Limit price", "189.50")
    stop_price: Dec | None = f("Stop price", None)
    trail_price: Dec | None = f("Trail in price units", None)
    trail_percent: Dec | None = f("Trail in percent", None)
    trail_watermark: Dec | None = f("Best price since a trailing stop was placed", None)
    extended_hours: bool = f("Eligible for US pre/post-market", False)
    arrival_mid: Dec | None = f("Mid price when the order arrived", "189.415")
    reject_reason: str | None = f("Why the venue rejected or closed it", None)
    replaces: str | None = f("The order this one replaced", None)
    replaced_by: str | None = f("The order that replaced this one", None)
    profile: str = f("Realism profile of the account at submission", "realistic")
    created_at: str = f("Submission time (simulated)", TS)
    updated_at: str = f("Last change", TS)
    expires_at: str | None = f("When a day order expires", "2026-11-18T21:00:00Z")
    cancel_arrives_at: str | None = f(
        "When a cancel sent under a profile with latency (harsh) reaches the market: the "
        "order may fill until then",
        None,
    )
    replacing_with: str | None = f(
        "The order a replace sent under a profile with latency (harsh) brings: this one works "
        "on until it reaches the market",
        None,
    )
    order_class: OrderClass = f("simple, bracket, oto or oco", "simple")
    parent_id: str | None = f("A leg's entry order (the take-profit, for an oco's stop)", None)
    legs: list[str] | list[OrderPublic] = f(
        "Ids of the legs an entry was placed with; with `nested=true`, the legs it holds now "
        "as orders, in the order placed (take-profit, stop-loss), a replaced one as its "
        "replacement (whose `replaces` names it), none under a replaced entry",
        [],
    )
    oco_with: str | None = f("The order this one is one-cancels-other with", None)


class OrderList(Out):
    orders: list[OrderPublic]
    next_page_token: str | None = f("Pass as page_token for the next page", None)


class CancelFailure(Out):
    order_id: str = f("Order id", ORDER_ID)
    code: int = f("Error code", 42220)
    message: str = f("Why it could not be canceled", "order is filled")


class CancelAllResult(Out):
    canceled: list[OrderPublic]
    failed: list[CancelFailure]
    pending: list[OrderPublic] = f(
        "Orders a cancel is on its way to (a profile with latency: harsh): they may still "
        "fill until it arrives",
        [],
    )


# -- fills ----------------------------------------------------------------------------------


class SlicePublic(Out):
    price: Dec = f("Price of the slice", "189.42")
    qty: Dec = f("Quantity of the slice", "40")


class FeePart(Out):
    name: str = f("Fee component", "commission")
    amount: Dec = f("Amount in the quote currency", "0.35")


class ReceiptPublic(Out):
    """Why a fill cost what it did (quote currency unless noted)."""

    arrival_mid: Dec = f("Mid when the order arrived", "189.415")
    touch: Dec = f("Best opposite price at the fill", "189.42")
    avg_price: Dec = f("Average price of the slices", "189.431250")
    spread_cost: Dec = f("qty x |touch - mid| x multiplier", "0.20")
    impact_cost: Dec = f("qty x |avg - touch| x multiplier", "0.45")
    fees: Dec = f("Total fees", "0.35")
    fee_breakdown: list[FeePart]
    fx_rate: Dec = f("Quote currency -> VCR", "1")
    slices: list[SlicePublic]
    profile: str = f("Realism profile", "realistic")
    liquidity: Literal["taker", "maker", "auction"] = f("How it executed", "taker")
    frictionless_cost: Dec = f("The same qty at the arrival mid, no fees", "7576.60")
    slippage_bps: Dec = f("(avg - arrival mid) / arrival mid, against you", "0.86")
    drift_cost: Dec = f(
        "qty x (mid at the fill - arrival mid) x multiplier, against you: the market's move "
        "while the order waited; frictionless + drift + spread + impact = the slices' cost",
        "0.00",
    )
    auction: Literal["open", "close"] | None = f(
        "The auction an auction fill crossed in: open or close (null: not an auction fill)",
        "close",
        default=None,
    )


class FillPublic(Out):
    id: str = f("Fill id", "5f2c81a0-f11d-0000-0000-000000000007")
    order_id: str = f("Order id", ORDER_ID)
    account_id: str = f("Account id", ACCOUNT_ID)
    symbol: str = f("Instrument symbol", "AAPL")
    side: Side = f("buy or sell", "buy")
    qty: Dec = f("Filled quantity", "40")
    price: Dec = f("Average price of this fill", "189.431250")
    fee: Dec = f("Fee in the quote currency", "0.35")
    currency: str = f("Quote currency", "USD")
    fx_rate: Dec = f("Quote currency -> VCR", "1")
    value_vcr: Dec = f("qty x price x multiplier x fx, in VCR", "7577.25")
    profile: str = f("Realism profile", "realistic")
    filled_at: str = f("Execution time (simulated)", TS)
    receipt: ReceiptPublic


class FillList(Out):
    fills: list[FillPublic]
    next_page_token: str | None = f("Pass as page_token for the next page", None)
