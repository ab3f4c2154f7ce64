"""A triangle of FX orders (a cross against its two US-dollar legs) must not lock in a
riskless profit after the three spreads and fees: README ("never enough to pay for the three
spreads and fees of a triangle") and market/crosses.py. Real market orders on the realistic
profile, in the 2024 market of the execution fixtures, do lock one in."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vtrade.domain.market_data import Side

D = Decimal

# cross, instant, buy the cross?, base quantity; the legs: (symbol, its base is the cross's
# base (True) or the cross's quote (False))
CASES = [
    # GBP/JPY sits 0.82 bp above GBP/USD x USD/JPY at every minute close (its basis)
    ("GBP/JPY", "2024-03-14T05:01:22Z", False, 300_000),
    # EUR/GBP's ticks stray from EUR/USD / GBP/USD by more than the three spreads
    ("EUR/GBP", "2024-03-12T06:56:22Z", True, 300_000),
]
LEGS = {
    "GBP/JPY": ("GBP/USD", "USD/JPY"),
    "EUR/GBP": ("EUR/USD", "GBP/USD"),
}


def _flows(fills: list, flows: dict[str, Decimal]) -> None:
    for f in fills:
        base, quote = f.symbol.split("/")
        sign = 1 if f.side is Side.BUY else -1
        flows[base] = flows.get(base, D(0)) + sign * f.qty
        flows[quote] = flows.get(quote, D(0)) - sign * f.qty * f.price


@pytest.mark.parametrize(("cross", "when", "buy_cross", "qty"), CASES)
def test_a_triangle_of_market_orders_locks_in_no_riskless_profit(
    make_venue, cross: str, when: str, buy_cross: bool, qty: int
) -> None:
    venue = make_venue(start=when)
    account = venue.open(balance=10_000_000)
    flows: dict[str, Decimal] = {}
    fees_usd = D(0)

    def trade(symbol: str, side: Side, n: int) -> None:
        nonlocal fees_usd
        _, changes = venue.submit(account, symbol, side, n)
        assert sum(f.qty for f in changes.fills) == n  # filled at once, taking the book
        _flows(changes.fills, flows)
        fees_usd += sum(f.fee * f.fx_rate for f in changes.fills)

    base, quote = cross.split("/")
    trade(cross, Side.BUY if buy_cross else Side.SELL, qty)
    # undo the cross's base currency with its dollar leg, then its quote currency
    for leg in LEGS[cross]:
        leg_base, leg_quote = leg.split("/")
        ccy = leg_base if leg_base != "USD" else leg_quote
        held = flows[ccy]
        if leg_base == ccy:  # e.g. GBP/USD: trade the currency itself
            trade(leg, Side.SELL if held > 0 else Side.BUY, int(abs(held).to_integral_value()))
        else:  # USD/JPY: buy/sell dollars worth the yen held
            q = venue.quote(leg)
            mid = (q.bid + q.ask) / 2
            n = int((abs(held) / mid).to_integral_value())
            trade(leg, Side.BUY if held > 0 else Side.SELL, n)

    # what is left: a few units of the legs' currencies and the profit, valued in dollars at mids
    def usd_per(ccy: str) -> Decimal:
        if ccy == "USD":
            return D(1)
        for symbol in (f"{ccy}/USD", f"USD/{ccy}"):
            if symbol in venue.catalog.symbols:
                q = venue.quote(symbol)
                mid = (q.bid + q.ask) / 2
                return mid if symbol.startswith(ccy) else 1 / mid
        raise AssertionError(ccy)

    locked = sum(amount * usd_per(ccy) for ccy, amount in flows.items())
    for ccy, amount in flows.items():  # flat in every currency but a residue of rounding
        assert abs(amount * usd_per(ccy)) < 5 or ccy in (quote, "USD")
    net = (locked - fees_usd).quantize(D("0.01"))
    # expected: the three spreads and fees cost more than any mispricing (net <= 0);
    # found: GBP/JPY +85.28 USD on 300,000 GBP, EUR/GBP +65.32 USD on 300,000 EUR
    assert net <= 0, f"riskless profit of {net} USD after {fees_usd:.2f} USD of fees: {flows}"
