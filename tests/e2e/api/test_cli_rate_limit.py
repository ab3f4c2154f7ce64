"""The trading commands' connection (`Remote`) against the real app with a key limited to one
request a second in bursts of two: a request the limit refuses did nothing, and is sent again
after the wait the server asks for. The limiter's timer and the remote's sleep are one fake
clock, so nothing really waits."""

from __future__ import annotations

import pytest
from api_support import InProcess

from vtrade.api.limits import RateLimiter
from vtrade.cli.remote import Remote

ORDER = {
    "symbol": "AAPL",
    "side": "buy",
    "qty": "1",
    "type": "limit",
    "limit_price": "1",  # far below the market: it rests
    "time_in_force": "gtc",
}


class Timer:
    """The limiter's monotonic timer; `sleep` moves it on and records the wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_a_request_refused_by_the_rate_limit_did_nothing_and_is_sent_again(
    api: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    timer = Timer()
    api.state.limiter = RateLimiter(1, 2, monotonic=timer)
    api.http.headers.update(api.key().headers)
    remote = Remote(api.http, api.base_url, 10, sleep=timer.sleep)

    orders = remote.of_account("/orders")  # the first request of the burst of two
    first = remote.call("POST", orders, body=ORDER)[1]
    status, second = remote.call("POST", orders, body=ORDER)
    canceled = remote.call("DELETE", orders)[1]

    assert timer.waits == [1, 1]  # the second order and the cancel were refused once each
    # the refused POST placed nothing: two orders in all, the second placed by the retry
    assert status == 201
    assert [o["id"] for o in canceled["canceled"]] == [first["id"], second["id"]]
    assert canceled["failed"] == []
    assert (
        capsys.readouterr().err.splitlines()
        == ["warning: rate limited by the server; retrying in 1 s (1 of 3)"] * 2
    )
