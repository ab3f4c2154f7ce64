"""An account's metrics are readable at any instant of its life, its first one included: the
instant it opened, and the instant of a reset (README: "a reset starts a new life ... trade
statistics, execution costs ... count only the fills since it"; "No input produces a 5xx";
42210 is for bad input, and a plain GET has none). At the instant an account opened or was
reset they answered 42210 about an empty equity range (found by the account review)."""

from __future__ import annotations

from api_support import InProcess


def test_metrics_right_after_a_reset_answer_an_empty_life_not_422(api: InProcess) -> None:
    key = api.key("alice")
    base = f"/api/v1/accounts/{key.account_id}"
    bought = api.http.post(
        f"{base}/orders",
        headers=key.headers,
        json={"symbol": "AAPL", "side": "buy", "qty": "10", "type": "market"},
    )
    assert bought.status_code == 201, bought.text
    api.step(60)
    assert api.http.post(f"{base}/reset", headers=key.headers).status_code == 200

    metrics = api.http.get(f"{base}/portfolio/metrics", headers=key.headers)

    assert metrics.status_code == 200, metrics.text
    body = metrics.json()
    assert body["trades"]["count"] == 0 and body["execution_costs"]["fills"] == 0
    assert body["risk"]["total_return"] == 0.0


def test_metrics_of_an_account_at_the_instant_it_opened_answer_200(api: InProcess) -> None:
    key = api.key("alice")  # opened at the server's current instant

    metrics = api.http.get(
        f"/api/v1/accounts/{key.account_id}/portfolio/metrics", headers=key.headers
    )

    assert metrics.status_code == 200, metrics.text
    assert metrics.json()["risk"]["total_return"] == 0.0
