"""Instruments and the market parameters the simulator needs for each."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class AssetClass(StrEnum):
    EQUITY = "equity"
    ETF = "etf"
    CRYPTO = "crypto"
    FX = "fx"
    COMMODITY = "commodity"
    INDEX = "index"


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketParams:
    """Calibration of one instrument's synthetic market.

    `avg_daily_volume` is in the instrument's own units (shares, coins, base-currency units,
    contracts); `typical_spread_bps` is the quoted spread at mid-day in basis points of the mid;
    `impact_gamma`/`impact_alpha` are the coefficients of
    `P_exec = P_mid * (1 ± [S/2 + gamma * (Q / V_avg) ** alpha])`.
    """

    reference_price: Decimal
    daily_volatility: float
    avg_daily_volume: float
    typical_spread_bps: float
    impact_gamma: float
    impact_alpha: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """A tradable instrument.

    `venue` is a MIC (XNAS, XNYS, ARCX, XLON, ...) or a clear code for markets without one
    (CRYPTO, FX, GLBX for CME Globex). `calendar` names the session calendar in
    `vtrade.market.sessions` (XNYS, XNAS, XLON, XETR, XTKS, XHKG, XPAR, 24/7, FX, GLOBEX, and
    GLOBEX_GRAINS and GLOBEX_LIVESTOCK for CBOT grains' and CME cattle's own hours).
    `currency` is the quote currency; LSE equities quote in GBX (pence), as LSE does.
    """

    symbol: str
    name: str
    asset_class: AssetClass
    venue: str
    calendar: str
    currency: str
    sector: str
    industry: str
    tick_size: Decimal
    lot_size: Decimal
    multiplier: Decimal
    shortable: bool
    marginable: bool
    market: MarketParams

    @property
    def settles_pnl(self) -> bool:
        """FX pairs, futures and indices are contracts, not holdings: what a position gains or
        loses accrues in the quote currency (a USD/JPY long earns yen), so only its P&L, not
        its whole cost, is exposed to the quote currency's rate against VCR. Shares and coins
        are holdings bought with VCR converted at the fill: their whole value is exposed."""
        return self.asset_class in (AssetClass.FX, AssetClass.COMMODITY, AssetClass.INDEX)

    @property
    def shares(self) -> bool:
        """Stock and ETFs: a short borrows them from a lender, in whole shares."""
        return self.asset_class in (AssetClass.EQUITY, AssetClass.ETF)

    @property
    def base_currency(self) -> str | None:
        """What an FX pair's quantity counts: EUR for EUR/USD (`currency` is the quote's);
        None for anything else."""
        return self.symbol.partition("/")[0] if self.asset_class is AssetClass.FX else None

    @property
    def extended_hours(self) -> bool:
        """US-listed equities and ETFs trade in pre- and post-market sessions."""
        return self.asset_class in (AssetClass.EQUITY, AssetClass.ETF) and self.calendar in (
            "XNYS",
            "XNAS",
        )
