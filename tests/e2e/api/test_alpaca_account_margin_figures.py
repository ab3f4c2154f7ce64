"""`/v2/account`'s margin figures agree with what the engine enforces and with what Alpaca
documents them to mean (found in session 21's margin review; reference/alpaca-compat.md;
Alpaca's Account model:
"equity: Cash + long_market_value + short_market_value", "last_maintenance_margin: your
maintenance margin requirement on the previous trading day", "multiplier: buying power
multiplier that represents account margin classification"). The clock stands at Wednesday
2026-11-18 15:00 UTC (10:00 in New York)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from api_support import InProcess, Key

D = Decimal
CENT = D("0.01")


def _account(api: InProcess, key: Key) -> dict[str, Any]:
    response = api.http.get("/v2/account", headers=key.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _order(api: InProcess, key: Key, **body: Any) -> Any:
    order = {"side": "buy", "type": "market", "time_in_force": "day", **body}
    return api.http.post("/v2/orders", headers=key.headers, json=order)


# -- 1. buying_power is rounded up, so an order sized to it is refused -----------------------


def test_an_order_sized_to_the_reported_buying_power_is_not_refused_for_buying_power(
    make_api: Callable[..., InProcess],
) -> None:
    """README: "`buying_power` (and `/api/v1`'s) leaves out the margin open orders hold back,
    so an order sized to it passes the buying-power check".

    A frictionless account (1,000,000 VCR, position cap set to 100% so that only buying power
    limits) buys 0.0039 AAPL (at least $1, Alpaca's least order) at its mid, 271.41: cash
    999,998.94, NAV 999,999.998499, initial margin 0.5292495, exact buying power
    2 x (999,999.998499 - 0.5292495) = 1,999,998.938499. Rounded half-even to the nearest
    cent, `buying_power` would show "1999998.94" (up here). Three resting limit buys at
    100.00 worth exactly the figure shown are then placed.

    Wanted: all three accepted (the reported figure rounded down, to 1,999,998.93).
    Found in the review: the third is refused 403 "insufficient buying power: the order needs
    333,333.985 VCR of margin (2:1 on 666,667.97 VCR), 333,333.984 VCR is available".
    `money()` rounds half-even; a figure that is "what may be spent" must round down.
    `non_marginable_buying_power` (`money()`) and `/api/v1`'s `buying_power` (`cents()`,
    half-even) round the same way."""
    api = make_api(max_position_share=D(1))
    key = api.key()
    put = api.http.put(
        f"/api/v1/accounts/{key.account_id}/profile",
        headers=key.headers,
        json={"profile": "frictionless"},
    )
    assert put.status_code == 200, put.text
    mid = api.container.engine.marks(api.clock.now_ns()).mid("AAPL")
    # the smallest lot count worth $1 (Alpaca's least order) whose value ends in more than
    # half a cent: the reported buying power (2 x cash + value, cash in whole cents) then
    # rounds up
    lots = next(k for k in range(37, 400) if D("0.005") < (k * D("0.0001") * mid) % CENT)
    bought = _order(api, key, symbol="AAPL", qty=str(lots * D("0.0001")))
    assert bought.status_code == 200 and bought.json()["status"] == "filled", bought.text

    shown = D(_account(api, key)["buying_power"])
    view = api.container.engine.view(key.account_id, api.clock.now_ns())
    exact = 2 * (view.nav - view.margin_used)
    assert exact - CENT < shown <= exact  # to the cent below (not up: 1,999,998.94)

    price = D("100.00")  # resting buy limits far under each market: valued at the limit
    first = D("6666.66")  # 666,666.00 VCR each
    last = (shown - 2 * first * price) / price  # 6666.6693: the rest, to the cent
    assert last == last.quantize(D("0.0001"))
    answers = [
        _order(api, key, symbol=symbol, qty=str(qty), type="limit", limit_price=str(price))
        for symbol, qty in (("MSFT", first), ("META", first), ("GOOGL", last))
    ]

    assert [a.status_code for a in answers] == [200, 200, 200], answers[-1].text


def test_one_cent_past_the_exact_buying_power_is_refused(
    make_api: Callable[..., InProcess],
) -> None:
    """The control: flat, frictionless, 1,000,000 VCR: buying_power
    2,000,000. Limit buys at 100.00 worth 1,999,999.00 pass; one more of 0.0101 shares at
    100.00 (1.01, Alpaca's least order and a cent more than is left) is refused for buying
    power."""
    api = make_api(max_position_share=D(1))
    key = api.key()
    assert _account(api, key)["buying_power"] == "2000000"
    placed = [
        _order(api, key, symbol=s, qty=q, type="limit", limit_price="100.00")
        for s, q in (("MSFT", "6666.66"), ("META", "6666.66"), ("GOOGL", "6666.67"))
    ]
    assert [p.status_code for p in placed] == [200, 200, 200], placed[-1].text

    past = _order(api, key, symbol="GOOGL", qty="0.0101", type="limit", limit_price="100.00")

    assert past.status_code == 403, past.text
    assert "insufficient buying power" in past.json()["message"]


# -- 2. equity is not cash + long_market_value + short_market_value with contracts -----------


def test_equity_is_cash_plus_long_and_short_market_value_with_fx_and_index_contracts(
    make_api: Callable[..., InProcess],
) -> None:
    """Alpaca documents `equity` as "Cash + long_market_value + short_market_value"; bots
    reconcile with it. The account buys 240,000 USD/JPY and 8 DAX (contracts: their notional
    passes through cash at the rate of the day they were entered, and only their price move
    counts, at today's rate). A day later the yen and the euro have moved.

    Wanted: equity == cash + long_market_value + short_market_value, to the cent or two of
    rounding the three fields carry.
    Found in the review: equity 997,604.13 against cash 539,638.04 + long 458,882.64 + short 0 =
    998,520.68: 916.55 apart. `AccountView.nav` subtracts the contracts' FX carry (their P&L
    at today's rate vs their cost at the entry rate) while `long_market_value` sums the plain
    `qty x mid x fx` of `view.values`: a long USD/JPY's "market value" is always its
    240,000 dollars, so its yen P&L shows in equity and in none of the three fields."""
    api = make_api()
    key = api.key()
    for symbol, qty in (("USD/JPY", "240000"), ("DAX", "8")):
        placed = _order(api, key, symbol=symbol, qty=qty, time_in_force="gtc")
        assert placed.status_code == 200 and placed.json()["status"] == "filled", placed.text
    api.step(24 * 3600)

    a = _account(api, key)
    parts = D(a["cash"]) + D(a["long_market_value"]) + D(a["short_market_value"])

    assert abs(D(a["equity"]) - parts) <= D("0.02"), (
        f"equity {a['equity']} != cash {a['cash']} + long {a['long_market_value']} + short "
        f"{a['short_market_value']} = {parts} (off by {D(a['equity']) - parts})"
    )


# -- 3. last_maintenance_margin is today's ---------------------------------------------------


def test_last_maintenance_margin_is_the_previous_days_not_todays(
    make_api: Callable[..., InProcess],
) -> None:
    """A fresh account held nothing at yesterday's close. It shorts 300 AAPL this morning:
    `maintenance_margin` rises to ~20,360 (25% of ~81,400).

    Wanted: `last_maintenance_margin` (Alpaca: "your maintenance margin requirement on the
    previous trading day") stays "0", as `last_equity` stays at yesterday's 1,000,000.
    Found in the review: it is a copy of today's `maintenance_margin` (`api/alpaca/account.py`)."""
    api = make_api()
    key = api.key()
    placed = _order(api, key, symbol="AAPL", qty="300", side="sell")
    assert placed.status_code == 200 and placed.json()["status"] == "filled", placed.text

    a = _account(api, key)

    assert D(a["maintenance_margin"]) > 20_000
    assert a["last_equity"] == "1000000"
    assert D(a["last_maintenance_margin"]) == 0, a["last_maintenance_margin"]


# -- 4. a configured stock leverage above 2 is not what /v2 reports -------------------------


def test_buying_power_and_multiplier_follow_the_configured_stock_leverage(
    make_api: Callable[..., InProcess],
) -> None:
    """With `VTRADE_EXECUTION__LEVERAGE='{"equity": 4}'` (README: leverage is configurable per
    asset class, 1 to 100) the engine lets a 1,000,000 VCR account buy 4,000,000 of stock:
    three resting limit buys worth 2,700,000 are accepted (cap set to 100%).

    Wanted: `/v2/account` says so: `multiplier` "4" and `buying_power` 4,000,000 before the
    orders (1,300,000 after them: 4 x (1,000,000 - 675,000 held for them)).
    Found in the review: `multiplier` "2" and `buying_power` "2000000" (`get_account`
    capped the leverage at the configuration's `max_margin_multiplier`, "2"), half of what
    the account may buy, and 650,000 after 2,700,000 of orders where 1,300,000 remains."""
    api = make_api(max_position_share=D(1), leverage={"equity": D(4)})
    key = api.key()
    before = _account(api, key)
    placed = [
        _order(api, key, symbol=s, qty="9000", type="limit", limit_price="100.00")
        for s in ("MSFT", "META", "GOOGL")
    ]
    assert [p.status_code for p in placed] == [200, 200, 200], placed[-1].text
    after = _account(api, key)

    assert (before["multiplier"], D(before["buying_power"])) == ("4", 4_000_000)
    assert D(after["buying_power"]) == 1_300_000


# -- 5. positions are valued at a rounded mid, the account at the exact one -----------------


def test_positions_market_values_add_up_to_the_accounts_long_and_short_market_value(
    make_api: Callable[..., InProcess],
) -> None:
    """After a 400 MSFT short, MSFT's mid is 481.825 (a half tick). `/v2/account` values the
    short at it: `short_market_value` -192,730. `/v2/positions` quantizes the mid to the tick
    (half-even) for `current_price` 481.82 and values the same short at -192,728.

    Wanted: the positions' `market_value`s add up to `long_market_value +
    short_market_value` (to the cent), as they are the same positions at the same instant.
    Found in the review: 2.00 apart (`api/alpaca/positions.py` prices at `mid.quantize(tick)`)."""
    api = make_api()
    key = api.key()
    placed = _order(api, key, symbol="MSFT", qty="400", side="sell")
    assert placed.status_code == 200 and placed.json()["status"] == "filled", placed.text

    a = _account(api, key)
    positions = api.http.get("/v2/positions", headers=key.headers).json()
    total = sum((D(p["market_value"]) for p in positions), D(0))

    assert total == D(a["long_market_value"]) + D(a["short_market_value"]), (
        total,
        a["short_market_value"],
        [(p["symbol"], p["current_price"], p["market_value"]) for p in positions],
    )
