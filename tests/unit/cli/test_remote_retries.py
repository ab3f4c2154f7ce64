"""`Remote.call` when the server answers 429: it waits what `Retry-After` asks (through the
injected sleep: nothing sleeps here), sends the same request again, says so on stderr once a
wait, and gives up with the one-line error when the retries or the wait would go too far."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from vtrade.cli.remote import MAX_WAIT_S, RETRIES, TOTAL_WAIT_S, Remote, RemoteError

URL = "http://vtrade.test"
LIMITED = {"code": 42910, "message": "rate limit exceeded: at most 1 requests per second per key"}
Answer = Callable[[httpx.Request], httpx.Response]


def limited(retry_after: str | None = "2", body: object = LIMITED) -> httpx.Response:
    headers = {} if retry_after is None else {"Retry-After": retry_after.encode()}
    return httpx.Response(429, json=body, headers=headers)


def ok() -> httpx.Response:
    return httpx.Response(200, json={"id": "acc-1"})


class Server:
    """Answers requests with `answers` in turn (the last one again when they run out), and
    records each request and each wait of the remote."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.waits: list[float] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def remote(self) -> Remote:
        client = httpx.Client(base_url=URL, transport=httpx.MockTransport(self.handle))
        return Remote(client, URL, 10, sleep=self.waits.append)


def warnings(capsys: pytest.CaptureFixture[str]) -> list[str]:
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout stays for the command's output (--json)
    return captured.err.splitlines()


def test_a_get_refused_by_the_rate_limit_is_sent_again_after_the_wait_asked_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = Server(limited("2"), limited("1"), ok())

    status, data = server.remote().call("GET", "/account", params={"a": 1}, expect=("id",))

    assert (status, data) == (200, {"id": "acc-1"})
    assert server.waits == [2, 1]
    assert {(r.method, str(r.url)) for r in server.requests} == {
        ("GET", f"{URL}/api/v1/account?a=1")
    }
    assert warnings(capsys) == [
        f"warning: rate limited by the server; retrying in 2 s (1 of {RETRIES})",
        f"warning: rate limited by the server; retrying in 1 s (2 of {RETRIES})",
    ]


@pytest.mark.parametrize("method", ["POST", "DELETE", "PATCH"])
def test_a_change_vtrade_refused_by_its_rate_limit_is_sent_again_with_the_same_body(
    method: str,
) -> None:
    server = Server(limited("1"), ok())

    server.remote().call(method, "/accounts/acc-1/orders", body={"symbol": "AAPL"})

    assert server.waits == [1]
    assert [(r.method, r.content) for r in server.requests] == [(method, b'{"symbol":"AAPL"}')] * 2


def test_a_change_refused_with_a_429_that_is_not_vtrades_is_not_sent_again() -> None:
    """A proxy's 429 may come after the request went through: it cannot be known."""
    server = Server(httpx.Response(429, text="slow down", headers={"Retry-After": "1"}), ok())

    with pytest.raises(RemoteError) as refused:
        server.remote().call("POST", "/accounts/acc-1/orders", body={})

    assert server.waits == [] and len(server.requests) == 1
    assert refused.value.maybe_acted


def test_a_get_refused_with_a_429_that_is_not_vtrades_is_sent_again() -> None:
    server = Server(httpx.Response(429, text="slow down", headers={"Retry-After": "3"}), ok())

    server.remote().call("GET", "/account")

    assert server.waits == [3]


def test_the_retries_stop_after_three_with_the_servers_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = Server(limited("1"))

    with pytest.raises(RemoteError) as refused:
        server.remote().call("GET", "/account")

    assert server.waits == [1] * RETRIES and len(server.requests) == RETRIES + 1
    assert str(refused.value) == f"{LIMITED['message']}; still refused after {RETRIES} retries"
    assert refused.value.body == LIMITED and not refused.value.maybe_acted
    assert len(warnings(capsys)) == RETRIES


@pytest.mark.parametrize("asked", [int(MAX_WAIT_S) + 1, 10**400], ids=["past-cap", "past-float"])
def test_a_wait_longer_than_the_cap_fails_at_once_naming_it(
    asked: int, capsys: pytest.CaptureFixture[str]
) -> None:
    server = Server(limited(str(asked)), ok())

    with pytest.raises(RemoteError) as refused:
        server.remote().call("POST", "/accounts/acc-1/orders", body={})

    assert server.waits == [] and len(server.requests) == 1
    assert str(refused.value).endswith(
        f"; not retried: the server asks for a wait of {asked} s, longer than the "
        f"{MAX_WAIT_S:g} s the command waits"
    )
    assert not refused.value.maybe_acted  # vtrade's 429: nothing was done
    assert warnings(capsys) == []


def test_a_wait_of_the_cap_itself_is_waited() -> None:
    server = Server(limited(f"{MAX_WAIT_S:g}"), ok())

    server.remote().call("GET", "/account")

    assert server.waits == [MAX_WAIT_S]


@pytest.mark.parametrize(
    "retry_after", [None, "", "soon", "1.5", "-1", "Wed, 18 Nov 2026 15:00:00 GMT", "²"]
)
def test_without_a_retry_after_in_seconds_the_waits_double_from_one_second(
    retry_after: str | None,
) -> None:
    server = Server(limited(retry_after))

    with pytest.raises(RemoteError):
        server.remote().call("GET", "/account")

    assert server.waits == [1, 2, 4]


def test_an_answer_lost_on_a_retry_is_the_error_for_a_lost_answer() -> None:
    answers = iter([limited("1")])

    def handle(request: httpx.Request) -> httpx.Response:
        response = next(answers, None)
        if response is None:
            raise httpx.ReadError("connection reset", request=request)
        return response

    waits: list[float] = []
    client = httpx.Client(base_url=URL, transport=httpx.MockTransport(handle))

    with pytest.raises(RemoteError) as refused:
        Remote(client, URL, 10, sleep=waits.append).call("POST", "/accounts/a/orders", body={})

    assert waits == [1] and refused.value.maybe_acted
    assert str(refused.value).endswith("; it may have acted on it all the same")


def test_a_command_of_many_requests_waits_out_rate_limits_for_a_bounded_time_in_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`orders --all` sends a request a page: each may wait, the command not for ever."""
    server = Server(limited("20"))
    remote = server.remote()
    pages = 0
    with pytest.raises(RemoteError) as refused:
        while pages < 100:
            server.answers = [limited("20"), ok()]
            remote.call("GET", "/orders", expect=("id",))
            pages += 1

    assert pages == TOTAL_WAIT_S // 20 and sum(server.waits) == TOTAL_WAIT_S
    assert str(refused.value).endswith(
        f"; not retried: the command has waited {TOTAL_WAIT_S:g} s for the rate limit, and "
        f"waits {TOTAL_WAIT_S:g} s at most in all"
    )
    assert len(warnings(capsys)) == pages
