"""Per-instrument columns of the valuation: multiplier, allocation group, margin, currency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.margin import short_rule_applies
from vtrade.market.catalog import Catalog

MarginRates = Callable[[Instrument], tuple[float, float]]  # (initial, maintenance) of value


def allocation_group(inst: Instrument) -> str:
    """GICS sector for equities; for other classes a category named with its class."""
    if inst.asset_class is AssetClass.EQUITY:
        return inst.sector
    label = "FX" if inst.asset_class is AssetClass.FX else inst.asset_class.value.title()
    if inst.asset_class is AssetClass.ETF:
        label = "ETF"
    return f"{label}: {inst.sector}"


@dataclass(frozen=True, slots=True)
class FxLink:
    """How a currency converts to VCR: rate = scale * mid (or scale / mid) of `pair`."""

    currency: int
    pair: int  # instrument index of the FX pair, -1 for USD itself
    invert: bool
    scale: float


class Universe:
    """The catalog as arrays indexed like `Catalog.index_of`."""

    def __init__(self, catalog: Catalog, margin_rates: MarginRates) -> None:
        items = list(catalog)
        self.catalog = catalog
        self.symbols = [i.symbol for i in items]
        self.size = len(items)
        self.multiplier = np.array([float(i.multiplier) for i in items])
        self.settles_pnl = np.array([i.settles_pnl for i in items], dtype=bool)
        self.groups = sorted({allocation_group(i) for i in items})
        group_index = {g: k for k, g in enumerate(self.groups)}
        self.group: NDArray[np.int64] = np.array(
            [group_index[allocation_group(i)] for i in items], dtype=np.int64
        )
        rates = [margin_rates(i) for i in items]
        self.initial = np.array([r[0] for r in rates])
        self.maintenance = np.array([r[1] for r in rates])
        self.short_rule = np.array([short_rule_applies(i) for i in items], dtype=bool)
        self.currencies = sorted(catalog.currencies())
        currency_index = {c: k for k, c in enumerate(self.currencies)}
        self.currency: NDArray[np.int64] = np.array(
            [currency_index[i.currency] for i in items], dtype=np.int64
        )
        self.in_currency = [np.flatnonzero(self.currency == k) for k in range(len(self.currencies))]
        self.fx_links: list[FxLink] = []
        for code, k in currency_index.items():
            pair, invert, scale = catalog.usd_conversion(code)
            index = -1 if pair is None else catalog.index_of(pair)
            self.fx_links.append(FxLink(k, index, invert, float(scale)))
        self.priced_by: dict[int, list[FxLink]] = {}
        for link in self.fx_links:
            if link.pair >= 0:
                self.priced_by.setdefault(link.pair, []).append(link)

    def index_of(self, symbol: str) -> int:
        return self.catalog.index_of(symbol)

    def fx_rate(self, link: FxLink, prices: NDArray[np.float64]) -> float:
        """VCR per unit of the link's currency at `prices`."""
        if link.pair < 0:
            return link.scale
        mid = float(prices[link.pair])
        return link.scale / mid if link.invert else link.scale * mid
