"""A running vtrade server's native API (`/api/v1`), called with an API key: the connection
options of the trading commands, and their one-line errors (see `friendly_errors`)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import typer

from vtrade.cli.common import JsonOption, print_json, warn
from vtrade.core.errors import RateLimitedError, VtradeError
from vtrade.settings import (
    CLIENT_KEY_ID,
    CLIENT_SECRET,
    CLIENT_TIMEOUT,
    CLIENT_URL,
    Listening,
    check_variable_names,
    served_address,
)

_SERVED = Listening()
DEFAULT_URL = f"http://{_SERVED.host}:{_SERVED.port}"  # where `vtrade serve` listens by default
API = "/api/v1"
TIMEOUT_S, MAX_TIMEOUT_S = 10.0, 300.0
MAKE_KEY = "make one with `vtrade keys create USER` (`vtrade users create USER` first)"
# A request refused by the rate limit (429) is sent again after the wait the server asks for
# (`Retry-After`), at most RETRIES times and MAX_WAIT_S seconds a wait; without a readable
# `Retry-After`, after 1, 2, then 4 seconds. A command (`orders --all`: a request a page) waits
# TOTAL_WAIT_S at most in all.
RETRIES, MAX_WAIT_S, TOTAL_WAIT_S = 3, 20.0, 120.0
_MAY = "; it may have acted on it all the same"
_HEADER_SAFE = re.compile(r"[!-~]+")  # printable ASCII, no space: what a header value carries
# A host `vtrade serve` listens on that is every interface: this machine's is one of them.
_EVERY_INTERFACE = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104

UrlOption = typer.Option(
    None,
    "--url",
    envvar=CLIENT_URL,
    show_default=False,
    help="Address of the vtrade server (default: where `vtrade serve` listens by "
    f"VTRADE_API__HOST and VTRADE_API__PORT; without them {DEFAULT_URL})",
)
TimeoutOption = typer.Option(
    TIMEOUT_S,
    "--timeout",
    envvar=CLIENT_TIMEOUT,
    help=f"Seconds to wait for each answer (above 0, at most {MAX_TIMEOUT_S:g})",
)
KeyIdOption = typer.Option(
    None, "--key-id", envvar=CLIENT_KEY_ID, show_default=False, help="API key id (PK…)"
)
SecretOption = typer.Option(
    None, "--secret", envvar=CLIENT_SECRET, show_default=False, help="API key secret"
)


@dataclass(frozen=True)
class Server:
    """The options every trading command takes (`options_of(Server, "server")`): the server's
    address, the API key, how long to wait for an answer, and --json."""

    url: str | None = UrlOption
    key_id: str | None = KeyIdOption
    secret: str | None = field(default=SecretOption, repr=False)
    timeout: float = TimeoutOption
    as_json: bool = JsonOption

    def connect(self) -> AbstractContextManager[Remote]:
        """A connection with these options (`connect`)."""
        return connect(self.url, self.key_id, self.secret, self.timeout, as_json=self.as_json)


class RemoteError(VtradeError):
    """The server refused a request, or no server answered; the message says which and why.
    `body`: vtrade's error answer (`code`, `message`, `details`), if the server gave one;
    `maybe_acted`: a request that changes something was sent but its answer never came, so it
    may have been carried out."""

    def __init__(self, message: str, body: Any = None, maybe_acted: bool = False) -> None:
        super().__init__(message)
        self.body = body
        self.maybe_acted = maybe_acted


class Remote:
    """One server, called as one API key; paths are relative to `/api/v1`."""

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        timeout: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.url = url
        self.timeout = timeout
        self.sleep = sleep  # waits out a rate limit (see `RETRIES`)
        self.waited = 0.0  # seconds this command has waited out rate limits
        self._account_id: str | None = None

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, object] | None = None,
        expect: tuple[str, ...] = (),
    ) -> tuple[int, Any]:
        """The status and JSON object of a successful answer, which holds the fields `expect`
        (else it came from something other than a vtrade server); `RemoteError` for any other
        outcome, `maybe_acted` when a request that changes something may have been carried
        out all the same (its answer lost, or a gateway's error instead of vtrade's). A 429
        is waited out and the request sent again (`RETRIES`), with a `warning:` line a wait."""
        changes = method != "GET"
        may = _MAY if changes else ""
        response = self._send(method, path, params, body)
        retries, gave_up = 0, ""
        while response.status_code == 429:
            wait, gave_up = _retry_wait(response, changes, retries, self.waited)
            if wait is None:
                break
            retries += 1
            self.waited += wait
            warn(f"rate limited by the server; retrying in {wait:g} s ({retries} of {RETRIES})")
            self.sleep(wait)
            response = self._send(method, path, params, body)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not response.is_success:
            ours = isinstance(data, dict) and isinstance(data.get("message"), str)
            lost = changes and (response.status_code >= 500 or not ours)  # e.g. a 504 gateway
            message = _refusal(response.status_code, data, self.url) + (may if lost else "")
            raise RemoteError(message + gave_up, body=data if ours else None, maybe_acted=lost)
        if not isinstance(data, dict) or any(name not in data for name in expect):
            raise RemoteError(self.not_ours + may, maybe_acted=changes)
        return response.status_code, data

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        body: Mapping[str, object] | None,
    ) -> httpx.Response:
        """The answer to one request, or `RemoteError` if none came."""
        changes = method != "GET"
        try:
            return self.client.request(method, API + path, params=params, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise RemoteError(
                f"no vtrade server answers at {self.url}: start one with `vtrade serve`"
            ) from None
        except httpx.HTTPError as exc:  # sent, perhaps received: the answer never came
            if isinstance(exc, httpx.TimeoutException):
                what = f"the server at {self.url} did not answer within {self.timeout:g} s"
            elif isinstance(exc, httpx.LocalProtocolError):  # its text may quote a header
                what = f"the request to {self.url} could not be sent (a malformed header)"
            else:
                what = f"talking to {self.url} failed: {str(exc).rstrip('.')}"
            raise RemoteError(what + (_MAY if changes else ""), maybe_acted=changes) from None

    @property
    def not_ours(self) -> str:
        return f"{self.url} answered without vtrade's fields: is it a vtrade server?"

    def get(self, path: str, expect: str, **params: str | int | None) -> Any:
        """The JSON of GET `path`, which holds the field `expect`; parameters that are None
        are left out."""
        given = {k: v for k, v in params.items() if v is not None}
        return self.call("GET", path, params=given, expect=(expect,))[1]

    def of_account(self, path: str = "") -> str:
        """`path` under the key's account (asked of the server once: a key acts on one)."""
        if self._account_id is None:
            self._account_id = str(self.get("/account", "id")["id"])
        return f"/accounts/{self._account_id}{path}"


@contextmanager
def connect(
    url: str | None,
    key_id: str | None,
    secret: str | None,
    timeout: float,
    *,
    as_json: bool,
) -> Iterator[Remote]:
    """A connection to the server at `url` (None: where `vtrade serve` listens by the same
    settings) with the API key given, waiting `timeout` seconds for each answer, all checked
    before any call (and the environment's variable names: a misspelt `VTRADE_…` is refused,
    as by every command). An answer the block cannot read (a field missing or of another
    type) is a `RemoteError`: no vtrade server gave it. With `as_json` (a command's --json), a
    refusal's body is printed on stdout (a bot reads the code and the order id there); the
    `error:` line and status 2 follow as for any refusal."""
    check_variable_names()
    if not 0 < timeout <= MAX_TIMEOUT_S:  # NaN too
        raise ValueError(
            f"--timeout ({CLIENT_TIMEOUT}) must be above 0 and at most {MAX_TIMEOUT_S:g} "
            f"seconds, got {timeout:g}"
        )
    base = _served_url() if url is None else _checked_url(url)
    given = {"--key-id": (CLIENT_KEY_ID, key_id), "--secret": (CLIENT_SECRET, secret)}
    missing = [
        f"{flag} (or {variable})"
        for flag, (variable, value) in given.items()
        if not (value or "").strip()
    ]
    if missing:
        raise ValueError(f"no API key: set {' and '.join(missing)}; {MAKE_KEY}")
    for flag, (variable, value) in given.items():
        if not _HEADER_SAFE.fullmatch((value or "").strip()):  # never echo it: it is a secret
            raise ValueError(
                f"{flag} ({variable}) holds a character a header cannot carry (a space, a line "
                "break or a non-ASCII letter); give it as `vtrade keys create` printed it"
            )
    assert key_id and secret
    headers = {"APCA-API-KEY-ID": key_id.strip(), "APCA-API-SECRET-KEY": secret.strip()}
    with httpx.Client(base_url=base, headers=headers, timeout=timeout) as client:
        remote = Remote(client, base, timeout)
        try:
            yield remote
        except (KeyError, TypeError, AttributeError, ArithmeticError):
            raise RemoteError(remote.not_ours) from None
        except RemoteError as exc:
            if as_json and exc.body is not None:
                print_json(exc.body)
            raise


def _served_url() -> str:
    """The address of `vtrade serve` by this environment's settings, as the operator gave
    them to it (`VTRADE_API__HOST`, `VTRADE_API__PORT`); only those are read. One they make
    no address of is refused naming them."""
    served = served_address()
    if served.port == 0:
        raise ValueError(
            "VTRADE_API__PORT is 0 (any free port): give the server's address with --url "
            f"(or {CLIENT_URL})"
        )
    host = _EVERY_INTERFACE.get(served.host, served.host)
    if ":" in host and not host.startswith("["):  # an IPv6 address
        host = f"[{host}]"
    try:
        return _checked_url(f"http://{host}:{served.port}")
    except ValueError:  # made of the setting, not of a --url the trader gave
        raise ValueError(
            f"VTRADE_API__HOST {served.host!r} makes no address to reach `vtrade serve` at: "
            "give a host name or IP address alone (the port is VTRADE_API__PORT), or the "
            f"server's address with --url (or {CLIENT_URL})"
        ) from None


def _checked_url(url: str) -> str:
    """`url` without a trailing slash or `/api/v1`; refused unless it is http(s) with a host,
    and no user, password, query or fragment (a password would be echoed in messages)."""
    base = url.strip().rstrip("/").removesuffix(API)
    try:
        parts = urlsplit(base)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        valid = valid and not (parts.username or parts.password or parts.query or parts.fragment)
        _ = parts.port  # raises on a port that is not a number
        base.encode("ascii")  # an international host name must be given in its ASCII form
    except (ValueError, UnicodeError):
        valid = False
    if not valid:
        if "@" in url:  # never echo a password
            raise ValueError(f"--url ({CLIENT_URL}) holds a user or password: leave them out")
        raise ValueError(
            f"--url {url!r} is not a server's address (http or https, a host, an optional "
            f"port and path); use e.g. {DEFAULT_URL}"
        )
    return base


def _retry_wait(
    response: httpx.Response, changes: bool, retries: int, waited: float
) -> tuple[float | None, str]:
    """The seconds to wait before sending again a request refused with `response` (a 429)
    after `retries` retries and `waited` seconds of waits in the command, or None and why not
    (to add to the error line).

    vtrade's limits (api/limits.py) refuse a request in authentication, a dependency every
    native route resolves before its handler runs, and no middleware acts before it: vtrade's
    429 means nothing was done, so any method is sent again. Another 429 (a proxy's) is
    retried for a GET alone: whether a POST or DELETE went through it cannot be known."""
    try:
        ours = response.json().get("code") == RateLimitedError.code
    except (ValueError, AttributeError):
        ours = False
    if changes and not ours:
        return None, ""
    if retries == RETRIES:
        return None, f"; still refused after {RETRIES} retries"
    # delay-seconds only: vtrade never sends an HTTP-date, which would take a wall clock
    asked = response.headers.get("Retry-After", "").strip()
    wait = int(asked) if asked.isascii() and asked.isdigit() else 2**retries
    if wait > MAX_WAIT_S:
        return None, (
            f"; not retried: the server asks for a wait of {wait} s, longer than the "
            f"{MAX_WAIT_S:g} s the command waits"
        )
    if waited + wait > TOTAL_WAIT_S:
        return None, (
            f"; not retried: the command has waited {waited:g} s for the rate limit, and "
            f"waits {TOTAL_WAIT_S:g} s at most in all"
        )
    return float(wait), ""


def _refusal(status: int, data: Any, url: str) -> str:
    """One line for an error answer: the server's message and the particulars it adds."""
    if not (isinstance(data, dict) and isinstance(data.get("message"), str)):
        return f"{url} answered HTTP {status} with no vtrade error: is it a vtrade server?"
    message: str = data["message"]
    details = data.get("details")
    extra = [
        f"{name} {_shown(value)}"
        for name, value in (details.items() if isinstance(details, dict) else ())
        if _scalars(value) and _shown(value) not in message
    ]
    if extra:
        message += f" ({', '.join(extra)})"
    if status == 401:
        message += f"; check --key-id and --secret ({CLIENT_KEY_ID}, {CLIENT_SECRET})"
    return message


def _scalars(value: object) -> bool:
    """Whether a detail reads well in a line: a plain value, or a list of them (not a whole
    order, which the message already stands for)."""
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(v, str | int | float | bool) for v in items)


def _shown(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
