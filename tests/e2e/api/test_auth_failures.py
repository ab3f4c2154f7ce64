"""Failed sign-ins stay limited however they are sent: at once (concurrent attempts had all
passed the check before the first of them had failed), or as other spellings of one user name
(each had its own budget); and a refusal says when to retry in whole seconds, as Retry-After
does (a wait under half a second said 'retry in 0 s')."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx
import pytest
from api_support import PASSWORD, InProcess
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from vtrade.api.limits import FailedSignIns


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SlowHasher(PasswordHasher):
    """Cheap argon2 that takes as long as the real one, so attempts overlap."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        time.sleep(0.02)
        return super().verify(hash, password)


@pytest.fixture
def ticks(api: InProcess) -> Ticks:
    ticks = Ticks()
    api.state.failed_sign_ins = FailedSignIns(monotonic=ticks)
    return ticks


def at_once(api: InProcess, headers: list[dict[str, str]]) -> Counter[int]:
    """GET /v2/account with each of `headers`, all at once, from one address."""

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url=api.base_url) as http:
            return await asyncio.gather(*(http.get("/v2/account", headers=h) for h in headers))

    api.container.identity.hasher = SlowHasher()
    return Counter(r.status_code for r in asyncio.run(send()))


def test_wrong_secrets_for_a_key_sent_at_once_are_checked_ten_at_most(
    api: InProcess, ticks: Ticks
) -> None:
    key = api.key()
    guesses = [{**key.headers, "APCA-API-SECRET-KEY": f"{i:040d}"} for i in range(30)]

    assert at_once(api, guesses) == {401: 10, 429: 20}


def test_unknown_key_ids_sent_at_once_from_one_address_are_checked_ten_at_most(
    api: InProcess, ticks: Ticks
) -> None:
    guesses = [
        {"APCA-API-KEY-ID": f"PK{i:018d}", "APCA-API-SECRET-KEY": "x" * 40} for i in range(30)
    ]

    assert at_once(api, guesses) == {401: 10, 429: 20}


def test_a_key_s_first_requests_sent_at_once_all_succeed(api: InProcess, ticks: Ticks) -> None:
    key = api.key()

    assert at_once(api, [key.headers] * 30) == {200: 30}


def test_other_spellings_of_a_user_name_share_its_budget(api: InProcess, ticks: Ticks) -> None:
    api.key("carol")  # creates the user
    spellings = ["Carol", "cArol", "caRol", "carOl", "caroL", "CArol", "CaRol", "CarOl"]
    spellings += ["CaroL", "CAROL"]

    for i, name in enumerate(spellings):  # from as many addresses: only the name is shared
        http = TestClient(api.app, client=(f"192.0.2.{i}", 50000))
        wrong = {"name": name, "password": "not the password at all"}
        assert http.post("/api/v1/session", json=wrong).status_code == 401
    right = TestClient(api.app, client=("192.0.2.99", 50000))
    blocked = right.post("/api/v1/session", json={"name": "carol", "password": PASSWORD})

    assert blocked.status_code == 429


def test_a_refusal_says_when_to_retry_in_whole_seconds_as_retry_after_does(
    api: InProcess, ticks: Ticks
) -> None:
    key = api.key()
    wrong = {**key.headers, "APCA-API-SECRET-KEY": "x" * 40}
    for _ in range(10):
        api.http.get("/v2/account", headers=wrong)
    ticks.now += 5.7  # one attempt back in 0.3 s

    refused = api.http.get("/v2/account", headers=key.headers)

    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    body = refused.json()
    assert body["code"] == 42910000 and body["message"].startswith("rate limit exceeded")
    assert body["message"].endswith("retry in 1 s")


def test_a_sign_in_checking_its_password_does_not_hold_up_other_requests(
    api: InProcess,
) -> None:
    api.key("carol")  # creates the user
    done: list[str] = []

    class SlowerHasher(SlowHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            time.sleep(0.3)
            return super().verify(hash, password)

    async def send() -> None:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url=api.base_url) as http:

            async def sign_in() -> None:
                body = {"name": "carol", "password": PASSWORD}
                assert (await http.post("/api/v1/session", json=body)).status_code == 201
                done.append("sign-in")

            async def health() -> None:
                await asyncio.sleep(0.05)  # once the password check has begun
                assert (await http.get("/healthz")).status_code == 200
                done.append("health")

            await asyncio.gather(sign_in(), health())

    api.container.identity.hasher = SlowerHasher()
    asyncio.run(send())

    assert done == ["health", "sign-in"]
