"""The trading commands when the answer is not what a vtrade server gives: a connection dropped
after an order was sent, receipts that cannot be read after an order was placed, and a server
that is not vtrade. A small HTTP server on a real port plays each part."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner, Result

from vtrade.cli import app

runner = CliRunner()
ACCOUNT = {"id": "acc-1"}
PLACED = {
    "id": "ord-1",
    "client_order_id": "mine-1",
    "symbol": "AAPL",
    "side": "buy",
    "type": "market",
    "time_in_force": "day",
    "order_class": "simple",
    "qty": "10",
    "filled_qty": "10",
    "filled_avg_price": "271.55",
    "status": "filled",
    "remaining_qty": "0",
    "extended_hours": False,
    "profile": "realistic",
    "created_at": "2026-11-18T15:00:08Z",
}
Handler = Callable[[BaseHTTPRequestHandler], None]


@pytest.fixture
def serving() -> Iterator[Callable[[dict[str, Handler]], str]]:
    """Serve handlers by "METHOD /path" (prefix) on a free port; return its address."""
    servers: list[ThreadingHTTPServer] = []

    def start(routes: dict[str, Handler]) -> str:
        class Routed(BaseHTTPRequestHandler):
            def _route(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                wanted = f"{self.command} {self.path}"
                for prefix, handler in routes.items():
                    if wanted.startswith(prefix):
                        handler(self)
                        return
                answer(404, {"code": 40410000, "message": f"no route {wanted}"})(self)

            do_GET = do_POST = do_DELETE = _route

            def log_message(self, *args: object) -> None:  # quiet
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Routed)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def answer(status: int, body: object, **headers: str) -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name.replace("_", "-"), value)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    return handle


def hang_up(request: BaseHTTPRequestHandler) -> None:
    """Read the request, then close the connection without an answer."""
    request.close_connection = True


def run(url: str, line: list[str]) -> Result:
    env = {"VTRADE_URL": url, "VTRADE_KEY_ID": "PKTEST", "VTRADE_SECRET": "secret"}
    return runner.invoke(app, line, env=env)


def test_an_order_whose_answer_never_came_names_the_client_order_id_to_send_it_again_with(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    url = serving({"GET /api/v1/account": answer(200, ACCOUNT), "POST": hang_up})

    result = run(url, ["order", "AAPL", "buy", "10"])

    assert result.exit_code == 2 and "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert line.startswith(f"error: talking to {url} failed: ")
    assert "; it may have acted on it all the same: send it again with --client-order-id " in line
    assert line.endswith(", which places it at most once")
    sent_id = line.split("--client-order-id ")[1].split(",")[0]
    assert sent_id.startswith("cli-") and len(sent_id) == 36


def test_the_client_order_id_given_is_the_one_named(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    url = serving({"GET /api/v1/account": answer(200, ACCOUNT), "POST": hang_up})

    result = run(url, ["order", "AAPL", "buy", "10", "--client-order-id", "mine-1"])

    assert "send it again with --client-order-id mine-1, which places" in result.stderr


def test_a_placed_order_whose_receipts_cannot_be_read_is_shown_with_a_warning_and_status_0(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    url = serving(
        {  # the first route whose prefix matches answers
            "GET /api/v1/accounts/acc-1/orders/ord-1/fills": answer(
                429, {"code": 42910, "message": "rate limit exceeded"}, Retry_After="0"
            ),
            "GET /api/v1/account": answer(200, ACCOUNT),
            "POST /api/v1/accounts/acc-1/orders": answer(201, PLACED),
        }
    )

    result = run(url, ["order", "AAPL", "buy", "10"])

    assert result.exit_code == 0, result.output
    assert "ord-1" in result.stdout and "filled" in result.stdout
    assert result.stderr.splitlines() == [
        *(f"warning: rate limited by the server; retrying in 0 s ({n} of 3)" for n in (1, 2, 3)),
        "warning: order ord-1 was placed (filled); its receipts: rate limit exceeded; still "
        "refused after 3 retries",
    ]


def test_an_order_refused_by_the_rate_limit_is_placed_once_on_a_retry_and_json_stays_clean(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    """vtrade refuses a request over the key's rate limit before acting on it: the order is
    sent again after the wait the server asks for, saying so on stderr."""
    posted: list[str] = []

    def limited_once(request: BaseHTTPRequestHandler) -> None:
        posted.append(request.path)
        if len(posted) == 1:
            answer(429, {"code": 42910, "message": "rate limit exceeded"}, Retry_After="0")(request)
        else:
            answer(201, PLACED)(request)

    url = serving({"GET /api/v1/account": answer(200, ACCOUNT), "POST": limited_once})

    result = run(url, ["order", "AAPL", "buy", "10", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == PLACED and len(posted) == 2
    assert result.stderr == "warning: rate limited by the server; retrying in 0 s (1 of 3)\n"


@pytest.mark.parametrize(
    "line",
    [["account"], ["positions"], ["orders"], ["fills"], ["cancel", "--all"]],
)
def test_a_server_that_is_not_vtrade_is_one_error_line(
    serving: Callable[[dict[str, Handler]], str], line: list[str]
) -> None:
    url = serving({"GET": answer(200, {"status": "ok"}), "DELETE": answer(200, {"status": "ok"})})

    result = run(url, line)

    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"error: {url} answered without vtrade's fields: is it a vtrade server?"
    )


def test_a_gateway_error_after_an_order_was_sent_names_the_client_order_id_too(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    """A reverse proxy's 504: the server behind it may have placed the order."""
    url = serving({"GET /api/v1/account": answer(200, ACCOUNT), "POST": answer(504, "timeout")})

    result = run(url, ["order", "AAPL", "buy", "10", "--client-order-id", "mine-1"])

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {url} answered HTTP 504 with no vtrade error: is it a vtrade server?; it may "
        "have acted on it all the same: send it again with --client-order-id mine-1, which "
        "places it at most once"
    )


@pytest.mark.parametrize(
    "line",
    [["account"], ["order", "AAPL", "buy", "1"], ["order", "AAPL", "buy", "1", "--json"]],
)
def test_an_answer_with_one_expected_field_but_not_the_rest_is_one_error_line(
    serving: Callable[[dict[str, Handler]], str], line: list[str]
) -> None:
    url = serving({"GET /api/v1/account": answer(200, ACCOUNT), "POST": answer(201, {"id": "x"})})
    url_of_account = serving({"GET": answer(200, {"id": "x"})})

    result = run(url_of_account if line == ["account"] else url, line)

    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "answered without vtrade's fields: is it a vtrade server?" in result.stderr
    assert result.stdout == ""


REFUSAL = {"code": 42210000, "message": "refused for the test", "details": {"rule": "lot_size"}}


@pytest.mark.parametrize(
    ("line", "refused"),
    [
        (["account"], "GET /api/v1/account"),
        (["positions"], "GET /api/v1/accounts/acc-1/positions"),
        (["orders"], "GET /api/v1/accounts/acc-1/orders"),
        (["fills"], "GET /api/v1/accounts/acc-1/fills"),
        (["order", "AAPL", "buy", "1"], "POST /api/v1/accounts/acc-1/orders"),
        (["cancel", "ord-1"], "DELETE /api/v1/accounts/acc-1/orders/ord-1"),
        (["cancel", "--all"], "DELETE /api/v1/accounts/acc-1/orders"),
    ],
)
def test_with_json_every_command_prints_a_refusals_body_on_stdout_and_exits_2(
    serving: Callable[[dict[str, Handler]], str], line: list[str], refused: str
) -> None:
    routes = {refused: answer(422, REFUSAL)}  # the first route whose prefix matches answers
    routes.setdefault("GET /api/v1/account", answer(200, ACCOUNT))
    url = serving(routes)

    result = run(url, [*line, "--json"])

    assert result.exit_code == 2
    assert json.loads(result.stdout) == REFUSAL
    assert result.stderr.strip() == "error: refused for the test (rule lot_size)"


def run_without_url(line: list[str], **variables: str) -> Result:
    """Run `line` with a key but neither --url nor VTRADE_URL: the address is the default."""
    unset = dict.fromkeys(("VTRADE_URL", "VTRADE_API__HOST", "VTRADE_API__PORT", "VTRADE_API"))
    env = {**unset, "VTRADE_KEY_ID": "PKTEST", "VTRADE_SECRET": "secret", **variables}
    return runner.invoke(app, line, env=env)


def test_without_a_url_the_server_is_where_vtrade_serve_listens_by_the_same_settings(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    port = serving({"GET /api/v1/account": answer(200, ACCOUNT)}).rsplit(":", 1)[1]

    on_port = run_without_url(["account", "--json"], VTRADE_API__PORT=port)
    every_interface = run_without_url(
        ["account", "--json"], VTRADE_API__HOST="0.0.0.0", VTRADE_API__PORT=port
    )

    assert json.loads(on_port.stdout) == ACCOUNT, on_port.output
    assert json.loads(every_interface.stdout) == ACCOUNT, every_interface.output


def test_an_ipv6_host_setting_is_bracketed_and_listening_on_all_of_them_means_this_one() -> None:
    result = run_without_url(["account"], VTRADE_API__HOST="::", VTRADE_API__PORT="1")

    assert result.stderr.strip() == (
        "error: no vtrade server answers at http://[::1]:1: start one with `vtrade serve`"
    )


def test_a_bad_port_setting_is_refused_only_when_the_address_is_made_of_it(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    url = serving({"GET /api/v1/account": answer(200, ACCOUNT)})
    port = url.rsplit(":", 1)[1]

    bad = run_without_url(["account"], VTRADE_API__PORT="eighty")
    any_port = run_without_url(["account"], VTRADE_API__PORT="0")
    given = run_without_url(["account", "--json", "--url", url], VTRADE_API__PORT="eighty")
    unrelated = run_without_url(
        ["account", "--json"], VTRADE_API__PORT=port, VTRADE_API__RATE_BURST="many"
    )

    assert bad.exit_code == 2 and bad.stderr.strip() == (
        "error: VTRADE_API__PORT 'eighty' is invalid: input should be a valid integer, unable "
        "to parse string as an integer"
    )
    assert any_port.exit_code == 2 and any_port.stderr.strip() == (
        "error: VTRADE_API__PORT is 0 (any free port): give the server's address with --url "
        "(or VTRADE_URL)"
    )
    assert json.loads(given.stdout) == ACCOUNT and json.loads(unrelated.stdout) == ACCOUNT


@pytest.mark.parametrize("host", ["localhost:9000", "http://localhost"])
def test_a_host_setting_that_makes_no_address_is_refused_naming_the_setting_not_url(
    host: str,
) -> None:
    """No --url was given: the address was made of VTRADE_API__HOST, so the error names it
    (a port belongs in VTRADE_API__PORT), not a --url the trader never typed."""
    result = run_without_url(["account"], VTRADE_API__HOST=host)

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: VTRADE_API__HOST {host!r} makes no address to reach `vtrade serve` at: give "
        "a host name or IP address alone (the port is VTRADE_API__PORT), or the server's "
        "address with --url (or VTRADE_URL)"
    )


def slow(seconds: float, body: object) -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        answer(200, body)(request)

    return handle


def test_timeout_sets_how_long_a_command_waits_for_an_answer_flag_or_variable(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    url = serving({"GET /api/v1/account": slow(1.5, ACCOUNT)})

    flag = run(url, ["account", "--timeout", "0.2"])
    variable = runner.invoke(
        app,
        ["account"],
        env={"VTRADE_URL": url, "VTRADE_KEY_ID": "K", "VTRADE_SECRET": "s", "VTRADE_TIMEOUT": ".2"},
    )
    patient = run(url, ["account", "--json", "--timeout", "5"])

    for result in (flag, variable):
        assert result.exit_code == 2
        assert result.stderr.strip() == f"error: the server at {url} did not answer within 0.2 s"
    assert json.loads(patient.stdout) == ACCOUNT


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf", "301"])
def test_a_timeout_that_is_not_above_0_and_at_most_300_seconds_is_refused(seconds: str) -> None:
    result = run("http://127.0.0.1:1", ["positions", "--timeout", seconds])

    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        f"error: --timeout (VTRADE_TIMEOUT) must be above 0 and at most 300 seconds, got {seconds}"
    )


@pytest.mark.parametrize(
    ("limit", "page", "bound"),
    [
        ([], 500, "100,000"),  # the server's largest page
        # followed to 100,000 items in pages of 10 it sent 10,000 requests, and a key's limit
        # (200 a second, bursts of 400) refused one with a 429 long before the end
        (["--limit", "10"], 10, "2,000"),
    ],
)
def test_all_stops_after_200_pages_saying_where_to_go_on(
    serving: Callable[[dict[str, Handler]], str], limit: list[str], page: int, bound: str
) -> None:
    """A list that never ends (or a server that always gives a token): --all reads at most
    200 pages, within a key's burst of requests, and prints the token to go on with."""
    asked: list[str] = []

    def endless(request: BaseHTTPRequestHandler) -> None:
        asked.append(request.path)
        answer(200, {"orders": [{"id": "o"}] * page, "next_page_token": "more"})(request)

    url = serving(
        {"GET /api/v1/accounts/acc-1/orders": endless, "GET /api/v1/account": answer(200, ACCOUNT)}
    )

    result = run(url, ["orders", "--all", *limit, "--json"])

    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert len(listed["orders"]) == 200 * page and listed["next_page_token"] == "more"
    assert len(asked) == 200 and all(f"limit={page}" in path for path in asked)
    assert result.stderr.strip() == (
        f"warning: --all stops at {bound} orders and more follow: go on with --page-token more"
    )


def test_a_placed_bracket_whose_legs_cannot_be_read_is_shown_with_their_ids_and_a_warning(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    placed = {**PLACED, "filled_qty": "0", "status": "accepted", "order_class": "bracket"}
    url = serving(
        {
            "GET /api/v1/accounts/acc-1/orders/ord-1": answer(
                500, {"code": 50000, "message": "internal server error"}
            ),
            "GET /api/v1/account": answer(200, ACCOUNT),
            "POST /api/v1/accounts/acc-1/orders": answer(201, {**placed, "legs": ["leg-1"]}),
        }
    )

    result = run(url, ["order", "AAPL", "buy", "10", "--take-profit", "300", "--stop-loss", "200"])

    assert result.exit_code == 0, result.output
    assert "leg-1" in result.stdout and "ord-1" in result.stdout
    assert result.stderr.strip() == (
        "warning: the legs of order ord-1 could not be read: internal server error"
    )


def leg_of(entry: str, kind: str) -> dict[str, object]:
    """A working exit of `entry`: its take-profit (limit 300) or its stop-loss (stop 200)."""
    prices = {"limit_price": "300"} if kind == "limit" else {"stop_price": "200"}
    return {
        **PLACED,
        "id": f"{entry}-{kind}",
        "side": "sell",
        "type": kind,
        "status": "accepted",
        "filled_qty": "0",
        "filled_avg_price": None,
        "order_class": "bracket",
        "parent_id": entry,
        "legs": [],
        **prices,
    }


def test_a_placed_bracket_reads_its_legs_in_one_request(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    placed = {**PLACED, "filled_qty": "0", "status": "accepted", "order_class": "bracket"}
    asked: list[str] = []

    def nested(request: BaseHTTPRequestHandler) -> None:
        asked.append(request.path)
        legs = [leg_of("ord-1", "limit"), leg_of("ord-1", "stop")]
        answer(200, {**placed, "legs": legs})(request)

    url = serving(
        {
            "GET /api/v1/accounts/acc-1/orders/ord-1": nested,
            "GET /api/v1/account": answer(200, ACCOUNT),
            "POST /api/v1/accounts/acc-1/orders": answer(
                201, {**placed, "legs": ["ord-1-limit", "ord-1-stop"]}
            ),
        }
    )

    result = run(url, ["order", "AAPL", "buy", "10", "--take-profit", "300", "--stop-loss", "200"])

    assert result.exit_code == 0 and result.stderr == "", result.output
    assert asked == ["/api/v1/accounts/acc-1/orders/ord-1?nested=true"]
    shown = " ".join(result.stdout.split())
    assert "take-profit │ sell limit 300, accepted (ord-1-limit)" in shown
    assert "stop-loss │ sell stop 200, accepted (ord-1-stop)" in shown


def test_a_listing_of_brackets_takes_one_request_a_page_with_the_legs_in_it(
    serving: Callable[[dict[str, Handler]], str],
) -> None:
    """`vtrade orders --status closed --all` over 1,000 filled brackets whose exits still
    work asks for the listing nested: each page carries its entries' legs, and nothing else
    is read (the table read each leg its pages lacked on its own, past a key's burst, until
    it showed all but the first 100 by id)."""
    asked: list[str] = []
    entries = [
        {
            **PLACED,
            "id": f"e{i}",
            "order_class": "bracket",
            "legs": [leg_of(f"e{i}", "limit"), leg_of(f"e{i}", "stop")],
        }
        for i in range(1000)
    ]

    def listing(request: BaseHTTPRequestHandler) -> None:
        asked.append(request.path)
        second = "page_token=p2" in request.path
        page = entries[500:] if second else entries[:500]
        answer(200, {"orders": page, "next_page_token": None if second else "p2"})(request)

    url = serving(
        {"GET /api/v1/accounts/acc-1/orders": listing, "GET /api/v1/account": answer(200, ACCOUNT)}
    )

    result = run(url, ["orders", "--status", "closed", "--all"])

    assert result.exit_code == 0 and result.stderr == "", result.output
    assert len(asked) == 2 and all("nested=true" in path for path in asked)
    assert all(path.startswith("/api/v1/accounts/acc-1/orders?") for path in asked)
    assert result.stdout.count("└ take-profit limit 300") == 1000
    assert result.stdout.count("└ stop-loss stop 200") == 1000


@pytest.mark.parametrize("line", [["orders", "--json"], ["fills", "--json"], ["orders", "--all"]])
def test_a_list_that_is_not_a_list_is_one_error_line(
    serving: Callable[[dict[str, Handler]], str], line: list[str]
) -> None:
    url = serving({"GET": answer(200, {"id": "acc-1", "orders": "many", "fills": "some"})})

    result = run(url, line)

    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        f"error: {url} answered without vtrade's fields: is it a vtrade server?"
    )
