"""The touch's notional floor is no more than its instrument's own impact law lets the spread
alone buy (session 22's crypto review): every coin showed 50,000 dollars at its touch, 3.7% of
SHIB-USD's average day, so a 48,500 dollar SHIB buy paid 4.3 bp where its law says 88."""

from __future__ import annotations

from vtrade.domain.instruments import AssetClass
from vtrade.market.book import DepthModel
from vtrade.market.catalog import Catalog


def test_no_touch_floor_is_deeper_than_ten_bp_of_its_impact_law() -> None:
    too_deep = {}
    for inst in Catalog.load():
        if inst.asset_class is AssetClass.FX:
            continue
        m = inst.market
        units = DepthModel.for_instrument(inst).floor_notional / float(m.reference_price)
        bps = m.impact_gamma * (units / m.avg_daily_volume) ** m.impact_alpha * 1e4
        if bps > 10.0 + 1e-9:
            too_deep[inst.symbol] = round(bps, 1)
    assert too_deep == {}


def test_a_liquid_coins_touch_keeps_its_50000_dollars_and_a_thin_ones_is_a_few_hundred() -> None:
    catalog = Catalog.load()
    for symbol, low, high in (("BTC-USD", 49_000, 51_000), ("SHIB-USD", 500, 800)):
        inst = catalog.get(symbol)
        price = float(inst.market.reference_price)
        assert low <= DepthModel.for_instrument(inst).top_size(price) * price <= high
