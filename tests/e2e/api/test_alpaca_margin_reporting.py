"""What `/v2` reports about margin is what the engine enforces. The clock stands at
2026-11-18 15:00Z, 10:00 in New York."""

from __future__ import annotations

from decimal import Decimal

from api_support import InProcess, get_ok
from test_alpaca_order_rules import post


def test_an_assets_maintenance_requirement_is_the_one_the_account_is_held_to(
    api: InProcess,
) -> None:
    """`/v2/assets/{symbol}`'s `maintenance_margin_requirement` is the rate the engine holds
    a position to, as `/v2/account`'s `maintenance_margin` shows (a stock 25% at 2:1, crypto
    50%), not a constant 30: a bot sizes its cushion from it."""
    key = api.key()
    for symbol, qty in (("AAPL", "100"), ("BTC/USD", "0.5")):
        tif = "gtc" if "/" in symbol else "day"
        placed = post(api, key, symbol=symbol, qty=qty, time_in_force=tif)
        assert placed.status_code == 200, placed.text
        account = get_ok(api, key, "/v2/account")
        position = get_ok(api, key, f"/v2/positions/{symbol.replace('/', '')}")
        asset = get_ok(api, key, f"/v2/assets/{symbol.replace('/', '')}")
        held = Decimal(account["maintenance_margin"])
        post(api, key, symbol=symbol, qty=qty, side="sell", time_in_force=tif)  # flat again
        rate = held / abs(Decimal(position["market_value"])) * 100

        assert Decimal(str(asset["maintenance_margin_requirement"])) == rate.quantize(Decimal(1)), (
            symbol,
            asset["maintenance_margin_requirement"],
            rate,
        )


def test_non_marginable_buying_power_is_not_used_up_by_long_contracts(api: InProcess) -> None:
    """A long index book moves its notional through cash but borrows nothing (README,
    overnight financing). `/v2/account`'s `non_marginable_buying_power` counts it as the
    engine does: about half the equity is free for a crypto buy."""
    key = api.key()
    for symbol, qty in (("SPX", "35"), ("NDX", "10"), ("DAX", "9"), ("RUT", "90")):
        placed = post(api, key, symbol=symbol, qty=qty, time_in_force="gtc")
        assert placed.status_code == 200 and placed.json()["status"] == "filled", placed.text
    account = get_ok(api, key, "/v2/account")
    free_margin = Decimal(account["buying_power"]) / 2  # equity less initial margin

    assert free_margin > 400_000
    assert Decimal(account["non_marginable_buying_power"]) >= 400_000, account
