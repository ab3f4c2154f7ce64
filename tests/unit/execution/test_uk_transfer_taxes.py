"""UK transfer taxes by where a company is incorporated, and the PTM levy (session 22's
European equities review).

Stamp duty (SDRT, 0.5% of a purchase) is a tax on shares of UK-incorporated companies (HMRC
STSM041080, STSM031020): Glencore (Jersey) and IAG (a Spanish S.A.) pay none, and ETFs none;
IAG's buyers pay Spain's 0.2% financial transaction tax instead. The PTM levy is GBP 1.50 a
trade, either side, over GBP 10,000 of consideration, for companies of the UK, the Channel
Islands and the Isle of Man (The Takeover Panel). Amounts below are in pence (GBX).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from conftest import Venue, make_container
from vtrade.domain.instruments import AssetClass
from vtrade.domain.market_data import Side
from vtrade.execution.fees import FeeContext, FeeQuote, FeeSchedule, Liquidity
from vtrade.market.catalog import Catalog

D = Decimal
CATALOG = Catalog.load()
FEES = FeeSchedule.load()


def quote(symbol: str, side: Side, qty: str, price: str, **before: Decimal) -> FeeQuote:
    inst = CATALOG.get(symbol)
    ctx = FeeContext(**before)
    return FEES.quote(inst, side, D(qty), D(price), Liquidity.TAKER, ctx, D(1))


def test_glencore_a_jersey_company_pays_no_stamp_duty_but_the_ptm_levy() -> None:
    small = quote("GLEN.L", Side.BUY, "1000", "362.15")  # GBP 3,621.50: the GBP 3.00 minimum
    assert small.breakdown == (("commission", D(300)),)
    large = quote("GLEN.L", Side.BUY, "5000", "362.15")  # GBP 18,107.50: 9.05 + 1.50
    assert dict(large.breakdown) == {"commission": D(905), "ptm_levy": D(150)}


def test_iag_a_spanish_company_pays_spains_tax_and_no_uk_one() -> None:
    fee = quote("IAG.L", Side.BUY, "1000", "391.50")  # GBP 3,915.00: 3.00 + 0.2% = 7.83
    assert dict(fee.breakdown) == {"commission": D(300), "financial_transaction_tax": D(783)}
    sale = quote("IAG.L", Side.SELL, "5000", "391.50")  # GBP 19,575: no tax, no levy
    assert dict(sale.breakdown) == {"commission": D(979)}


def test_a_uk_company_over_10000_pounds_pays_the_levy_on_either_side() -> None:
    sale = quote("VOD.L", Side.SELL, "20000", "89.12")  # GBP 17,824: 8.91 + 1.50
    assert sale.total == D(1041)
    buy = quote("VOD.L", Side.BUY, "20000", "89.12")  # 8.91 + 89.12 stamp duty + 1.50
    assert dict(buy.breakdown) == {"commission": D(891), "stamp_duty": D(8912), "ptm_levy": D(150)}
    assert quote("VOD.L", Side.SELL, "11000", "90.90").total == D(500)  # GBP 9,999: no levy


def test_the_levy_is_charged_once_on_the_fill_that_takes_an_order_past_10000_pounds() -> None:
    first = quote("VOD.L", Side.SELL, "10000", "89.12")  # GBP 8,912 so far: no levy
    assert "ptm_levy" not in dict(first.breakdown)
    second = quote(
        "VOD.L", Side.SELL, "10000", "89.12", order_filled_qty=D(10000),
        order_filled_notional=D(891200),
    )  # fmt: skip
    assert dict(second.breakdown)["ptm_levy"] == D(150)
    third = quote(
        "VOD.L", Side.SELL, "10000", "89.12", order_filled_qty=D(20000),
        order_filled_notional=D(1782400),
    )  # fmt: skip
    assert "ptm_levy" not in dict(third.breakdown)


def test_an_lse_etf_pays_neither_stamp_duty_nor_the_ptm_levy() -> None:
    etf = dataclasses.replace(
        Catalog.load().get("VOD.L"), symbol="ISF.L", asset_class=AssetClass.ETF
    )
    quote = FeeSchedule.load().quote(
        etf, Side.BUY, D(20_000), D(89), Liquidity.TAKER, FeeContext(), D("0.0127")
    )
    names = [name for name, _ in quote.breakdown]
    assert names == ["commission"], quote.breakdown


def test_glencore_bought_through_the_engine_pays_no_stamp_duty() -> None:
    venue = Venue(make_container("2024-03-15T10:00:00Z"))
    account = venue.open()
    _, changes = venue.submit(account, "GLEN.L", Side.BUY, 1000)
    (fill,) = changes.fills
    assert dict(fill.receipt.fee_breakdown) == {"commission": D(300)}
