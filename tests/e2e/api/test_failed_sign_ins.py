"""Secrets cannot be guessed at the server's speed: after 10 failed sign-ins a minute for a key
id, a user name or a client address, attempts are refused (429, with Retry-After) before
their secret is checked, the right one too, until the budget refills. They had never been
limited: the key's rate limit was spent only once its secret had matched."""

from __future__ import annotations

import pytest
from api_support import PASSWORD, InProcess

from vtrade.api.limits import FailedSignIns


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks(api: InProcess) -> Ticks:
    ticks = Ticks()
    api.state.failed_sign_ins = FailedSignIns(monotonic=ticks)
    return ticks


def test_wrong_secrets_for_a_key_are_refused_unchecked_after_ten_a_minute(
    api: InProcess, ticks: Ticks
) -> None:
    key = api.key()
    wrong = {"APCA-API-KEY-ID": key.key_id, "APCA-API-SECRET-KEY": "x" * 40}

    answers = [api.http.get("/v2/account", headers=wrong).status_code for _ in range(10)]
    blocked = api.http.get("/v2/account", headers=key.headers)  # the right secret, too late

    assert answers == [401] * 10
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    assert "too many failed sign-ins" in blocked.json()["message"]
    ticks.now += 6.1  # a minute's budget of 10 refills one attempt every 6 s
    assert api.http.get("/v2/account", headers=key.headers).status_code == 200


def test_wrong_secrets_of_a_key_in_use_count_too(api: InProcess, ticks: Ticks) -> None:
    """A key verified a moment ago knows its secret, yet a wrong one is checked as for any
    key: answered at once, it would tell which keys are in use."""
    key = api.key()
    assert api.http.get("/v2/account", headers=key.headers).status_code == 200
    wrong = {**key.headers, "APCA-API-SECRET-KEY": key.secret.swapcase()}

    answers = [api.http.get("/v2/account", headers=wrong).status_code for _ in range(11)]

    assert answers == [401] * 10 + [429]


def test_wrong_passwords_are_refused_unchecked_after_ten_a_minute(
    api: InProcess, ticks: Ticks
) -> None:
    api.key("bob")  # creates the user
    wrong = {"name": "bob", "password": "not the password at all"}

    answers = [api.http.post("/api/v1/session", json=wrong).status_code for _ in range(10)]
    blocked = api.http.post("/api/v1/session", json={"name": "bob", "password": PASSWORD})

    assert answers == [401] * 10
    assert blocked.status_code == 429 and "too many failed sign-ins" in blocked.json()["message"]
    ticks.now += 60
    assert api.http.post("/api/v1/session", json={"name": "bob", "password": PASSWORD}).is_success
