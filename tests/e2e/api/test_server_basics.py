"""The server's own surface: health, readiness, metrics, errors in both dialects, paths that
bots get wrong, authentication and rate limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from api_support import InProcess, Live, alice_headers, make_container
from fastapi.testclient import TestClient

from vtrade.api.app import _step_yielding, create_app
from vtrade.core.clock import parse_instant, to_ns
from vtrade.core.errors import MarketTakenOver


def test_health_and_readiness_answer_once_the_ledger_is_loaded(api: InProcess) -> None:
    assert api.http.get("/healthz").json() == {"status": "ok"}
    ready = api.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "engines": "ok",
        "database": "ok",
        "ledger": "ok",
        "market": "ok",
    }


def test_metrics_count_requests_by_route_template(api: InProcess) -> None:
    api.http.get("/healthz")
    api.step(1)
    text = api.http.get("/metrics").text
    assert 'vtrade_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "vtrade_ticks_total" in text


def test_unknown_routes_answer_in_the_dialect_of_their_surface(api: InProcess) -> None:
    native = api.http.get("/api/v1/nowhere")
    assert native.status_code == 404
    assert native.json()["code"] == 40410 and "details" in native.json()
    alpaca = api.http.get("/v2/nowhere")
    assert alpaca.status_code == 404
    assert alpaca.json() == {"code": 40410000, "message": "no such endpoint: GET /v2/nowhere"}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/v2/clock", "GET"),
        # every route at the path, not only the first (it said POST, GET and POST alone)
        ("PUT", "/v2/orders", "DELETE, GET, POST"),
        ("PUT", "/v2/orders/abc", "DELETE, GET, PATCH"),
        ("POST", "/v2/positions", "DELETE, GET"),
    ],
)
def test_a_wrong_method_says_which_ones_the_path_takes(
    api: InProcess, method: str, path: str, allowed: str
) -> None:
    response = api.http.request(method, path)
    assert response.status_code == 405 and response.headers["allow"] == allowed
    message = f"method not allowed here: {method} {path} (allowed: {allowed})"
    assert response.json()["message"] == message


def test_doubled_slashes_and_a_doubled_v2_reach_the_route_without_a_redirect(
    api: InProcess,
) -> None:
    assert api.http.get("/api/v1//nowhere").json()["message"].endswith(" /api/v1/nowhere")
    response = api.http.get("/v2/v2/nowhere", follow_redirects=False)
    assert response.status_code == 404 and response.json()["message"].endswith("/v2/nowhere")


def test_a_wrong_key_is_refused_with_one_message_whatever_was_wrong(api: InProcess) -> None:
    key = api.key()
    wrong_secret = {**key.headers, "APCA-API-SECRET-KEY": "x" * 40}
    unknown_key = {**key.headers, "APCA-API-KEY-ID": "PK" + "0" * 18}
    bodies = [api.http.get("/v2/account", headers=h) for h in (wrong_secret, unknown_key)]
    assert {r.status_code for r in bodies} == {401}
    assert bodies[0].json() == bodies[1].json()
    assert bodies[0].json()["code"] == 40110000


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(tmp_path: Path) -> None:
    container, _ = make_container(tmp_path, rate_per_second=1, rate_burst=3)
    with TestClient(create_app(container, run_steps=False)) as client:
        headers = alice_headers(container)
        codes = [client.get("/api/v1/account", headers=headers).status_code for _ in range(5)]
        limited = client.get("/api/v1/account", headers=headers)
    assert codes[:3] != [429] * 3 and codes[3:] == [429, 429]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "rate limit exceeded" in limited.json()["message"]


def test_the_live_server_steps_the_market_on_its_own(live: Live) -> None:
    before = live.state.runtime.steps
    live.advance(1)
    assert live.state.runtime.steps >= before + 2
    assert httpx.get(f"{live.base_url}/readyz").json()["status"] == "ready"


def test_a_server_whose_database_another_server_took_over_answers_503_and_is_not_ready(
    api: InProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two servers on one database traded the same orders; the later start takes the market
    over, and the earlier one refuses every command that would commit, saying why."""
    key = api.key()
    order = {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"}
    assert api.http.post("/v2/orders", headers=key.headers, json=order).status_code == 200
    other, _ = make_container(tmp_path)
    other.start()

    refused = api.http.post("/v2/orders", headers=key.headers, json=order)

    assert refused.status_code == 503
    assert "another vtrade process started on this database" in refused.json()["message"]

    def taken(*_: object) -> int:
        raise MarketTakenOver(refused.json()["message"])

    monkeypatch.setattr(api.state.runtime, "advance", taken)  # a step with fills to commit
    asyncio.run(_step_yielding(api.state))  # the server's timer: it stops stepping
    assert api.state.taken_over
    ready = api.http.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["engines"].startswith("taken over")
    other.store.close()


def test_an_idle_server_another_took_the_market_from_is_not_ready(
    api: InProcess, tmp_path: Path
) -> None:
    assert api.http.get("/readyz").status_code == 200
    other, _ = make_container(tmp_path)
    other.start()  # nothing of the first server's commits since: it has not noticed

    ready = api.http.get("/readyz")

    assert ready.status_code == 503 and ready.json()["checks"]["engines"].startswith("taken over")
    assert api.state.taken_over  # its step stops too
    other.store.close()


def test_a_server_whose_commits_fail_is_not_ready_until_the_database_takes_writes(
    api: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk still answers SELECT 1: readiness said ready while every order got 503."""
    key = api.key()
    order = {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"}
    store = api.state.container.store
    commit = store.commit

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "commit", disk_full)
    assert api.http.post("/v2/orders", headers=key.headers, json=order).status_code == 503
    ready = api.http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["ledger"].startswith("commits failing: the last one failed at")
    assert "(OSError)" in ready.json()["checks"]["ledger"]

    monkeypatch.setattr(store, "commit", commit)  # space freed: the probe's commit goes through
    assert api.http.get("/readyz").json()["checks"]["ledger"] == "ok"
    assert api.http.post("/v2/orders", headers=key.headers, json=order).status_code == 200


def test_a_server_whose_clock_ran_past_the_market_is_not_ready_and_still_closes_its_store(
    tmp_path: Path,
) -> None:
    """A clock past the last day the market covers fails every step: readiness had stayed
    ready, and the shutdown, failing on its last publish, had left the store open."""
    container, clock = make_container(tmp_path, start="2031-12-31T15:00:00Z")
    store_close = container.store.close
    closed: list[bool] = []
    container.store.close = lambda: closed.append(True) or store_close()  # type: ignore[method-assign]
    app = create_app(container, run_steps=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/readyz").status_code == 200
        clock.set(to_ns(parse_instant("2032-01-02T12:00:00Z")))
        asyncio.run(_step_yielding(app.state.vtrade))  # the server's timer: the step fails

        ready = client.get("/readyz")

        assert ready.status_code == 503
        market = ready.json()["checks"]["market"]
        assert market.startswith("the clock is outside the days the simulated market covers")
        assert app.state.vtrade.step_failure is not None
    assert closed == [True]


def test_requests_needing_the_market_past_its_last_day_answer_503_saying_why(
    tmp_path: Path,
) -> None:
    """They answered 500 'internal server error' and logged a traceback each."""
    container, clock = make_container(tmp_path, start="2031-12-31T15:00:00Z")
    app = create_app(container, run_steps=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = alice_headers(container)
        clock.set(to_ns(parse_instant("2032-01-02T12:00:00Z")))
        order = {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market"}

        answers = [
            client.get("/v2/clock", headers=headers),
            client.post("/v2/orders", headers=headers, json={**order, "time_in_force": "day"}),
        ]

        for answer in answers:
            assert answer.status_code == 503
            assert answer.json()["code"] == 50330000
            assert answer.json()["message"] == (
                "the clock is outside the days the simulated market covers (2006-01-01 to "
                "2031-12-31): restart it with --start within them"
            )
        assert client.get("/v2/account", headers=headers).status_code == 200
        listed = client.get("/v2/orders", headers=headers, params={"status": "all"})
        assert listed.status_code == 200 and listed.json() == []
