"""The live portfolio through the native API: hot state, positions, equity curve, allocation
and metrics, as the simulated market moves."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from api_support import InProcess, Key


def trade(api: InProcess, key: Key, symbol: str, side: str, qty: str) -> dict[str, Any]:
    response = api.http.post(
        f"/api/v1/accounts/{key.account_id}/orders",
        headers=key.headers,
        json={"symbol": symbol, "side": side, "qty": qty},
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


def get(api: InProcess, key: Key, path: str, **params: Any) -> Any:
    response = api.http.get(
        f"/api/v1/accounts/{key.account_id}{path}", headers=key.headers, params=params
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_portfolio_values_positions_at_live_prices_after_steps(api: InProcess) -> None:
    key = api.key()
    trade(api, key, "AAPL", "buy", "100")
    trade(api, key, "BTC-USD", "buy", "0.5")
    for _ in range(3):
        api.step(60)
    p = get(api, key, "/portfolio")
    assert p["as_of"] == "2026-11-18T15:03:00Z" and p["currency"] == "VCR"
    nav, cash = Decimal(p["nav"]), Decimal(p["cash"])
    values = [Decimal(x["market_value"]) for x in p["positions"]]
    assert sorted(x["symbol"] for x in p["positions"]) == ["AAPL", "BTC-USD"]
    cent = Decimal("0.01")  # every figure is rounded to the cent on its own
    assert abs(nav - cash - sum(values)) <= 2 * cent
    assert abs(Decimal(p["gross_exposure"]) - sum(values)) <= 2 * cent
    assert p["long_exposure"] == p["gross_exposure"]
    assert Decimal(p["margin_used"]) > 0 and p["short_exposure"] == "0.00"
    assert Decimal(p["total_pnl"]) == nav - 1_000_000
    parts = Decimal(p["unrealized_pnl"]) + Decimal(p["realized_pnl"])
    assert abs(parts - Decimal(p["total_pnl"])) <= cent
    for x in p["positions"]:
        assert abs(x["weight"] - float(abs(Decimal(x["market_value"])) / nav)) < 1e-6
    assert abs(sum(g["weight"] for g in p["allocation"]) - 1) < 1e-6

    positions = get(api, key, "/positions")["positions"]
    assert [x["market_value"] for x in positions] == [x["market_value"] for x in p["positions"]]
    btc = get(api, key, "/positions/BTC-USD")
    assert btc["qty"] == "0.5" and btc["asset_class"] == "crypto"
    missing = api.http.get(f"/api/v1/accounts/{key.account_id}/positions/MSFT", headers=key.headers)
    assert missing.status_code == 404 and missing.json()["message"] == "no open position in MSFT"


def test_the_equity_curve_gathers_snapshots_and_ends_at_the_live_nav(api: InProcess) -> None:
    key = api.key()
    trade(api, key, "SPY", "buy", "100")
    for _ in range(4):
        api.step(300)  # intraday snapshots every five minutes
    curve = get(api, key, "/portfolio/history", window="1d")
    points = curve["points"]
    assert curve["window"] == "1d" and len(points) >= 4
    times = [x["ts"] for x in points]
    assert times == sorted(times) and times[-1] == "2026-11-18T15:20:00Z"
    assert points[-1]["nav"] == get(api, key, "/portfolio")["nav"]
    assert curve["base_value"] == points[0]["nav"]
    expected = float(Decimal(points[-1]["nav"]) / Decimal(points[0]["nav"]) - 1)
    assert curve["period_return"] == round(expected, 6)  # a ratio to 6 places, as weights
    bad = api.http.get(
        f"/api/v1/accounts/{key.account_id}/portfolio/history",
        headers=key.headers,
        params={"window": "2w"},
    )
    assert bad.status_code == 422 and "'1d', '7d', '30d' or '1y'" in bad.json()["message"]


def test_allocation_splits_exposure_by_group_asset_class_and_symbol(api: InProcess) -> None:
    key = api.key()
    trade(api, key, "AAPL", "buy", "100")
    trade(api, key, "EUR/USD", "buy", "10000")
    api.step(1)
    a = get(api, key, "/portfolio/allocation")
    assert {x["group"] for x in a["by_asset_class"]} == {"equity", "fx"}
    assert {x["group"] for x in a["by_symbol"]} == {"AAPL", "EUR/USD"}
    for part in ("by_group", "by_asset_class", "by_symbol"):
        assert abs(sum(x["weight"] for x in a[part]) - 1) < 1e-5
    assert Decimal(a["gross"]) == sum(Decimal(x["gross"]) for x in a["by_asset_class"])
    assert 0.9 < a["cash_weight"] < 1


def test_metrics_report_execution_costs_and_closed_trades(api: InProcess) -> None:
    key = api.key()
    trade(api, key, "AAPL", "buy", "100")
    api.step(120)
    trade(api, key, "AAPL", "sell", "100")
    api.step(1)
    m = get(api, key, "/portfolio/metrics")
    costs = m["execution_costs"]
    assert costs["fills"] == 2 and list(costs["by_profile"]) == ["realistic"]
    total = Decimal(costs["spread"]) + Decimal(costs["impact"]) + Decimal(costs["fees"])
    assert Decimal(costs["total"]) == total > 0
    assert m["trades"]["count"] == 1 and m["trades"]["wins"] + m["trades"]["losses"] <= 1
    assert m["risk"]["window"] == "1y" and m["rank"] == 1
    fills = get(api, key, "/fills")["fills"]
    assert Decimal(costs["fees"]) == sum(Decimal(f["fee"]) for f in fills)


def test_portfolio_reads_right_after_an_acknowledged_order_see_its_fill(api: InProcess) -> None:
    key = api.key()  # no step runs in this test: the outbox is relayed by nothing else
    order = trade(api, key, "AAPL", "buy", "100")
    assert order["status"] == "filled"
    account = api.http.get("/api/v1/account", headers=key.headers).json()

    p = get(api, key, "/portfolio")

    assert p["cash"] == account["cash"] and p["nav"] == account["nav"]
    assert [(x["symbol"], x["qty"]) for x in p["positions"]] == [("AAPL", "100")]
    a = get(api, key, "/portfolio/allocation")
    assert [x["group"] for x in a["by_symbol"]] == ["AAPL"]
    curve = get(api, key, "/portfolio/history")
    assert curve["points"][-1]["cash"] == account["cash"]


def test_a_foreign_holdings_cost_stays_at_its_entry_rate_as_v2_and_the_total_have_it(
    api: InProcess,
) -> None:
    key = api.key()
    trade(api, key, "VOD.L", "buy", "20000")
    trade(api, key, "DAX", "buy", "2")  # a contract: its cost moves with today's rate
    for _ in range(4):
        api.step(3600)  # the pound and the euro move
    p = get(api, key, "/portfolio")
    rows = {x["symbol"]: x for x in p["positions"]}
    v2 = {x["symbol"]: x for x in api.http.get("/v2/positions", headers=key.headers).json()}

    vod = get(api, key, "/positions/VOD.L")
    assert vod["cost_basis"] == rows["VOD.L"]["cost_basis"] == v2["VOD.L"]["cost_basis"]
    entry = api.container.engine.positions[(key.account_id, "VOD.L")].entry_fx
    now = api.container.engine.marks(api.clock.now_ns()).fx("GBP")
    assert entry != now  # (else this test would prove nothing)
    unrealized = sum(Decimal(x["unrealized_pnl"]) for x in rows.values())
    assert abs(unrealized - Decimal(p["unrealized_pnl"])) <= Decimal("0.02")
