"""Request and response models of market data and pre-trade estimates."""

from __future__ import annotations

from typing import Literal

from vtrade.api.native.schemas import ACCOUNT_ID, TS, OrderCreate
from vtrade.api.native.types import Dec, Out, f
from vtrade.domain.accounts import Profile
from vtrade.domain.instruments import AssetClass
from vtrade.domain.market_data import Side
from vtrade.domain.orders import OrderType

Phase = Literal["pre", "regular", "post", "closed"]


class InstrumentPublic(Out):
    symbol: str = f("Symbol", "AAPL")
    name: str = f("Name", "Apple Inc.")
    asset_class: AssetClass = f("equity, etf, crypto, fx, commodity or index", "equity")
    venue: str = f("MIC or venue code", "XNAS")
    calendar: str = f("Session calendar", "XNAS")
    currency: str = f("Quote currency (LSE quotes in GBX, pence)", "USD")
    sector: str = f("Sector", "Technology")
    industry: str = f("Industry", "Consumer Electronics")
    tick_size: Dec = f("Price increment", "0.01")
    lot_size: Dec = f("Quantity increment", "1")
    multiplier: Dec = f("Contract multiplier", "1")
    shortable: bool = f("Can be sold short", True)
    marginable: bool = f("Can be bought on margin", True)
    extended_hours: bool = f("Trades in US pre/post-market", True)
    reference_price: Dec = f("Calibration price of the synthetic market", "189.50")
    avg_daily_volume: float = f("Average daily volume, in units", 55_000_000.0)
    typical_spread_bps: float = f("Typical quoted spread, basis points", 1.2)
    daily_volatility: float = f("Daily volatility", 0.017)


class InstrumentList(Out):
    instruments: list[InstrumentPublic]


class SessionPhasePublic(Out):
    calendar: str = f("Calendar name", "XNYS")
    phase: Phase = f("pre, regular, post or closed", "regular")
    is_open: bool = f("In the regular session now", True)
    trading_day: str | None = f("Date of the current trading day", "2026-11-18")
    next_open: str | None = f("Next regular open (none for 24/7)", "2026-11-19T14:30:00Z")
    next_close: str | None = f("End of the current or next regular session", TS)
    day_orders_expire: str | None = f(
        "End of the trading day in force, when its day orders expire (FX and futures: 17:00"
        " New York each day, while next_close is Friday's; crypto: 00:00 UTC)",
        TS,
    )
    venues: list[str] = f("Venues that trade on this calendar", ["XNYS", "ARCX"])


class ClockPublic(Out):
    now: str = f("Simulated now", TS)
    sessions: list[SessionPhasePublic]


class QuotePublic(Out):
    symbol: str = f("Symbol", "AAPL")
    ts: str = f("Quote time", TS)
    bid: Dec = f("Best bid", "189.41")
    ask: Dec = f("Best ask", "189.42")
    bid_size: Dec = f("Size at the best bid", "400")
    ask_size: Dec = f("Size at the best ask", "300")
    mid: Dec = f("Mid price", "189.415")
    spread_bps: float = f("Spread in basis points of the mid", 0.528)
    currency: str = f("Quote currency", "USD")
    phase: Phase = f("Session phase of the instrument", "regular")


class LevelPublic(Out):
    price: Dec = f("Price", "189.42")
    size: Dec = f("Size", "300")


class BookPublic(Out):
    symbol: str = f("Symbol", "AAPL")
    ts: str = f("Book time", TS)
    bids: list[LevelPublic] = f("Best first (descending)", None)
    asks: list[LevelPublic] = f("Best first (ascending)", None)


class BarPublic(Out):
    ts: str = f("Bar start (1d bars: the session date at midnight UTC)", "2026-11-18T15:00:00Z")
    open: Dec = f("Open", "189.40")
    high: Dec = f("High", "189.61")
    low: Dec = f("Low", "189.33")
    close: Dec = f("Close", "189.52")
    volume: Dec = f("Volume", "153200")


class BarsPublic(Out):
    symbol: str = f("Symbol", "AAPL")
    interval: Literal["1m", "5m", "15m", "1h", "1d"] = f("Interval", "1m")
    bars: list[BarPublic] = f("Completed bars, oldest first", None)
    next_page_token: str | None = f(
        "Pass as page_token (with the same query) for the next bars; null on the last page", None
    )


class EstimateCreate(OrderCreate):
    """An order to estimate, optionally against one of your accounts (else a fresh one)."""

    type: Literal[OrderType.MARKET, OrderType.LIMIT] = f(
        "market or limit (a stop's price depends on when it triggers)",
        "market",
        default=OrderType.MARKET,
    )

    account_id: str | None = f(
        "Check against this account of yours (default: a fresh 1,000,000 VCR account)",
        None,
        default=None,
        max_length=64,
    )
    profile: Profile | None = f(
        "Realism profile for a fresh account (default: realistic; an account uses its own)",
        None,
        default=None,
    )


class ScheduleStep(Out):
    minutes: int = f("Minutes from now", 5)
    cumulative_qty: Dec = f(
        "Quantity of the remainder expected by then (at the participation cap, or in the "
        "opening auction)",
        "2500",
    )


class EstimatePublic(Out):
    symbol: str = f("Symbol", "AAPL")
    side: Side = f("buy or sell", "buy")
    qty: Dec = f("Quantity estimated (resolved from notional if given)", "100")
    profile: str = f("Realism profile", "realistic")
    account_id: str | None = f("Account checked (null: a fresh account)", ACCOUNT_ID)
    phase: Phase = f("Session phase now", "regular")
    next_open: str | None = f("Next regular open", "2026-11-19T14:30:00Z")
    next_close: str | None = f("Next regular close", "2026-11-18T21:00:00Z")
    bid: Dec = f("Best bid", "189.41")
    ask: Dec = f("Best ask", "189.42")
    arrival_mid: Dec = f("Mid now", "189.415")
    fillable_now: Dec = f("Quantity the book can fill now", "100")
    avg_price_now: Dec | None = f("Average price of the fillable part", "189.42")
    expected_avg_price: Dec | None = f(
        "Expected average price of what is expected to fill: the part fillable now, then the "
        "scheduled remainder (never worse than a limit); null when nothing is (a resting limit)",
        "189.4261",
    )
    spread_bps: Dec | None = f(
        "Half-spread cost of what is expected to fill, basis points (null: nothing is)", "0.60"
    )
    impact_bps: Dec | None = f(
        "Impact cost of what is expected to fill, basis points (null: nothing is)", "0.28"
    )
    total_bps: Dec | None = f("Spread plus impact, basis points (null: nothing is)", "0.88")
    fees: Dec = f("Fees in the quote currency, on fee_qty", "0.35")
    fees_vcr: Dec = f("Fees in VCR", "0.35")
    fee_qty: Dec = f(
        "Quantity the fees are on: what is expected to fill (not what would expire unfilled), "
        "or a resting limit's whole quantity, filled at its limit",
        "100",
    )
    currency: str = f("Quote currency", "USD")
    fx_rate: Dec = f("Quote currency -> VCR", "1")
    schedule: list[ScheduleStep] = f(
        "Fill schedule of the remainder (empty when it rests at a limit)", None
    )
    volume_pace: Dec | None = f(
        "Today's market volume so far over an average day's by this time; the schedule is "
        "scaled by it (null: too early in the session to tell, or no schedule)",
        "0.85",
    )
    resting_qty: Dec = f(
        "Quantity that rests at the limit with no schedule: it fills only when the market "
        "trades at or through the limit",
        "0",
    )
    note: str | None = f("How the part not fillable now would fill", None)
    accepted: bool = f("Whether the venue's checks accept the order now", True)
    reason: str | None = f("Why it would be rejected", None)
