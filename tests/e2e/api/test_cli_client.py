"""The trading commands (`vtrade account`, `positions`, `orders`, `order`, `cancel`, `fills`)
against a real server on a real port: what a trader sees in a terminal, what `--json`
prints, and an `error:` line with status 2 for bad input, refusals and unreachable servers."""

from __future__ import annotations

import json
import os
import shlex
import socket
from decimal import Decimal
from typing import Any

import httpx
import pytest
from api_support import Key, Live
from typer.testing import CliRunner, Result

from vtrade.cli import app
from vtrade.settings import CLIENT_VARIABLES

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_client_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No server address or key of the developer's shell: each test says which it uses."""
    for name in list(os.environ):
        if name.upper() in CLIENT_VARIABLES:
            monkeypatch.delenv(name)


def vtrade(live: Live, key: Key, line: str) -> Result:
    """Run the command `line` (as a shell splits it) with the environment a trader exports
    for `key` on `live`."""
    env = {"VTRADE_URL": live.base_url, "VTRADE_KEY_ID": key.key_id, "VTRADE_SECRET": key.secret}
    return runner.invoke(app, shlex.split(line), env=env)


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result.stdout


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


def error_line(result: Result) -> str:
    """The one `error:` line of a failed command, after checking the error contract."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    return line.removeprefix("error: ")


def resting_price(live: Live, key: Key, symbol: str, share: str = "0.9") -> Decimal:
    """`share` of the bid on the cent grid: at 0.9 a buy limit that rests (within the collar)."""
    quote = httpx.get(f"{live.base_url}/api/v1/quotes/{symbol}", headers=key.headers).json()
    return (Decimal(quote["bid"]) * Decimal(share)).quantize(Decimal("0.01"))


def closed_port() -> str:
    """The address of a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_account_shows_the_keys_account_with_its_starting_cash(live: Live) -> None:
    key = live.key("alice")

    shown = ok(vtrade(live, key, "account"))
    data = as_json(vtrade(live, key, "account --json"))

    assert "Account main" in shown and key.account_id in shown
    assert "1,000,000.00 VCR" in shown  # cash and NAV
    assert data["id"] == key.account_id
    assert Decimal(data["cash"]) == Decimal(data["nav"]) == 1_000_000


def test_every_money_figure_of_the_account_carries_its_currency(live: Live) -> None:
    key = live.key("alice")
    ok(vtrade(live, key, "order AAPL buy 10"))  # margin used and gross positions above 0

    shown = ok(vtrade(live, key, "account"))

    money = ("cash", "NAV", "buying power", "positions (gross)", "margin used", "initial balance")
    rows = {
        cells[0]: cells[1]
        for line in shown.splitlines()
        if len(cells := [c.strip() for c in line.strip("│ ").split("│")]) == 2
    }
    for label in money:
        assert rows[label].endswith(" VCR"), (label, rows[label])
    assert not rows["open orders"].endswith("VCR")


def test_a_market_buy_fills_and_shows_in_positions_orders_and_fills(live: Live) -> None:
    key = live.key("alice")

    shown = ok(vtrade(live, key, "order AAPL buy 10"))

    assert "Order buy 10 AAPL" in shown and "filled" in shown
    assert "Fills" in shown and "taker" in shown  # the fill's receipt
    (placed,) = as_json(vtrade(live, key, "orders --status all --json"))["orders"]
    assert placed["status"] == "filled" and placed["filled_qty"] == "10"
    assert placed["id"] in shown
    assert placed["id"] in ok(vtrade(live, key, "orders --status closed"))
    (position,) = as_json(vtrade(live, key, "positions --json"))["positions"]
    assert (position["symbol"], position["qty"], position["side"]) == ("AAPL", "10", "long")
    assert "AAPL" in ok(vtrade(live, key, "positions"))
    (fill,) = as_json(vtrade(live, key, f"fills --order {placed['id']} --json"))["fills"]
    assert fill["qty"] == "10" and fill["price"] == placed["filled_avg_price"]
    assert placed["id"] in ok(vtrade(live, key, "fills"))
    assert ok(vtrade(live, key, "orders")) == "no open orders\n"


def test_a_limit_order_below_the_market_rests_is_listed_open_and_cancel_cancels_it(
    live: Live,
) -> None:
    key = live.key("alice")
    price = resting_price(live, key, "MSFT")

    placed = as_json(
        vtrade(live, key, f"order MSFT buy 5 --type limit --limit-price {price} --tif gtc --json")
    )

    assert placed["status"] == "accepted" and Decimal(placed["limit_price"]) == price
    listed = ok(vtrade(live, key, "orders --symbol MSFT"))
    assert placed["id"] in listed and f"limit {price}" in listed
    canceled = ok(vtrade(live, key, f"cancel {placed['id']}"))
    assert placed["id"] in canceled and "canceled" in canceled
    assert as_json(vtrade(live, key, "orders --json"))["orders"] == []
    again = error_line(vtrade(live, key, f"cancel {placed['id']}"))
    assert again == (
        f"order {placed['id']} is canceled: only open orders can be canceled, as can held legs"
    )


def test_cancel_all_cancels_every_open_order(live: Live) -> None:
    key = live.key("alice")
    for symbol in ("MSFT", "NVDA"):
        price = resting_price(live, key, symbol)
        ok(vtrade(live, key, f"order {symbol} buy 1 --type limit --limit-price {price}"))

    shown = ok(vtrade(live, key, "cancel --all"))

    assert "Canceled" in shown and "MSFT" in shown and "NVDA" in shown
    assert as_json(vtrade(live, key, "orders --json"))["orders"] == []
    assert ok(vtrade(live, key, "cancel --all")) == "no open orders to cancel\n"


def test_take_profit_and_stop_loss_make_a_bracket_and_one_of_them_an_oto(live: Live) -> None:
    key = live.key("alice")
    entry = resting_price(live, key, "MSFT")
    order = f"order MSFT buy 10 --type limit --limit-price {entry} --json"

    exits = f"--take-profit {entry + 20} --stop-loss {entry - 20}"
    bracket = as_json(vtrade(live, key, f"{order} {exits}"))
    oto = as_json(vtrade(live, key, f"{order} --stop-loss {entry - 20}"))

    assert bracket["order_class"] == "bracket" and len(bracket["legs"]) == 2
    assert oto["order_class"] == "oto" and len(oto["legs"]) == 1
    every = as_json(vtrade(live, key, "orders --status all --json"))["orders"]
    assert [o["id"] for o in every] == [oto["id"], bracket["id"]]  # legs are in their entry
    legs = every[1]["legs"]
    assert [(o["type"], o["side"], o["status"]) for o in legs] == [
        ("limit", "sell", "held"),
        ("stop", "sell", "held"),
    ]
    assert [o["id"] for o in legs] == bracket["legs"] and every[0]["legs"][0]["type"] == "stop"
    listed = ok(vtrade(live, key, "orders"))  # held legs are open orders too
    assert f"limit {entry} (bracket)" in listed and f"limit {entry} (oto)" in listed
    assert f"└ take-profit limit {entry + 20}" in listed
    assert listed.count(f"└ stop-loss stop {entry - 20}") == 2  # the bracket's, the oto's


def cells(shown: str) -> list[list[str]]:
    """The cells of each row of the tables in `shown`."""
    return [
        [c.strip() for c in line.strip("│ ").split("│")]
        for line in shown.splitlines()
        if line.startswith("│")
    ]


def test_a_brackets_view_shows_each_legs_type_and_price_not_its_id_alone(live: Live) -> None:
    key = live.key("alice")
    entry = resting_price(live, key, "MSFT")
    exits = f"--take-profit {entry + 20} --stop-loss {entry - 20} --stop-loss-limit {entry - 21}"

    shown = ok(vtrade(live, key, f"order MSFT buy 10 --type limit --limit-price {entry} {exits}"))
    (placed,) = as_json(vtrade(live, key, "orders --json --side buy"))["orders"]
    canceled = ok(vtrade(live, key, f"cancel {placed['id']}"))

    take, stop = (leg["id"] for leg in placed["legs"])
    rows = {row[0]: row[1] for row in cells(shown)}
    assert rows["take-profit"] == f"sell limit {entry + 20}, held ({take})"
    assert rows["stop-loss"] == f"sell stop {entry - 20} limit {entry - 21}, held ({stop})"
    assert "legs" not in rows
    after = {row[0]: row[1] for row in cells(canceled)}
    assert after["take-profit"] == f"sell limit {entry + 20}, canceled ({take})"


def test_an_ocos_view_shows_its_stop_loss_and_a_listing_its_exits_under_their_entry(
    live: Live,
) -> None:
    key = live.key("alice")
    ok(vtrade(live, key, "order AAPL buy 10"))
    take, stop = resting_price(live, key, "AAPL", "1.1"), resting_price(live, key, "AAPL", "0.9")
    exits = f"--take-profit {take} --stop-loss {stop}"

    oco = ok(vtrade(live, key, f"order AAPL sell 10 --oco {exits}"))
    ok(vtrade(live, key, f"order AAPL buy 5 {exits}"))  # a market entry, filled at once
    closed = ok(vtrade(live, key, "orders --status closed"))  # its exits are open

    rows = {row[0]: row[1] for row in cells(oco)}
    assert rows["stop-loss"].startswith(f"sell stop {stop}, accepted (")
    assert "one-cancels-other with" not in rows
    types = [row[5] for row in cells(closed)]
    entry = types.index("market (bracket)")
    exits_shown = [f"└ take-profit limit {take}", f"└ stop-loss stop {stop}"]
    assert types[entry + 1 : entry + 3] == exits_shown


def test_a_replaced_exit_is_listed_under_its_entry_as_its_replacement_naming_the_one_replaced(
    live: Live,
) -> None:
    """The listing carries each entry's legs as they stand now: a replaced take-profit is its
    replacement, whose row names the leg it replaced (the table listed both until the listing
    was nested; the replaced one's fills are `vtrade fills --order` it)."""
    key = live.key("alice")
    take, stop = resting_price(live, key, "AAPL", "1.1"), resting_price(live, key, "AAPL", "0.9")
    entry = as_json(
        vtrade(live, key, f"order AAPL buy 5 --take-profit {take} --stop-loss {stop} --json")
    )
    new_take = take + 1
    replaced = httpx.patch(
        f"{live.base_url}/api/v1/accounts/{key.account_id}/orders/{entry['legs'][0]}",
        headers=key.headers,
        json={"limit_price": str(new_take)},
    )
    assert replaced.status_code == 200, replaced.text
    new_leg = replaced.json()

    shown = cells(ok(vtrade(live, key, "orders --status all")))
    (listed,) = as_json(vtrade(live, key, "orders --status all --json"))["orders"]

    assert [row[1] for row in shown] == [entry["id"], new_leg["id"], entry["legs"][1]]
    assert shown[1][5] == f"└ take-profit limit {new_take} (replaces {entry['legs'][0]})"
    assert [leg["id"] for leg in listed["legs"]] == [new_leg["id"], entry["legs"][1]]
    assert listed["legs"][0]["replaces"] == entry["legs"][0]


def test_cancel_all_shows_each_canceled_leg_under_its_entry(live: Live) -> None:
    """Cancel-all answers orders apart, legs by id in their entry: the table puts the legs
    it answers under the entry that names them, as a nested listing does."""
    key = live.key("alice")
    entry = resting_price(live, key, "MSFT")
    exits = f"--take-profit {entry + 20} --stop-loss {entry - 20}"
    placed = as_json(
        vtrade(live, key, f"order MSFT buy 10 --type limit --limit-price {entry} {exits} --json")
    )

    shown = cells(ok(vtrade(live, key, "cancel --all")))

    assert [row[1] for row in shown] == [placed["id"], *placed["legs"]]
    assert [row[5] for row in shown[1:]] == [
        f"└ take-profit limit {entry + 20}",
        f"└ stop-loss stop {entry - 20}",
    ]


def test_oco_places_both_exits_of_a_held_position_at_once(live: Live) -> None:
    key = live.key("alice")
    ok(vtrade(live, key, "order AAPL buy 10"))
    take, stop = resting_price(live, key, "AAPL", "1.1"), resting_price(live, key, "AAPL", "0.9")

    placed = as_json(
        vtrade(
            live, key, f"order AAPL sell 10 --oco --take-profit {take} --stop-loss {stop} --json"
        )
    )

    assert (placed["order_class"], placed["type"], placed["status"]) == ("oco", "limit", "accepted")
    assert Decimal(placed["limit_price"]) == take
    (working,) = as_json(vtrade(live, key, "orders --json"))["orders"]
    assert working["id"] == placed["id"] and working["type"] == "limit"
    assert [(leg["type"], leg["status"]) for leg in working["legs"]] == [("stop", "accepted")]


def test_a_client_order_id_sent_again_shows_the_first_order_which_traded_once(
    live: Live,
) -> None:
    key = live.key("alice")
    first = as_json(vtrade(live, key, "order AAPL buy 3 --client-order-id bot-1 --json"))

    again = ok(vtrade(live, key, "order AAPL buy 3 --client-order-id bot-1"))

    assert again.startswith("client order id bot-1 was sent before: its order is\n")
    assert first["id"] in again
    assert len(as_json(vtrade(live, key, "fills --json"))["fills"]) == 1


def test_an_order_over_a_quarter_of_nav_prints_the_servers_reason_and_exits_2(
    live: Live,
) -> None:
    key = live.key("alice")

    line = error_line(vtrade(live, key, "order AAPL buy --notional 300000"))

    assert line.startswith("order rejected: concentration: position in AAPL would be")
    assert "limit is 25%" in line and "(order_id " in line
    (kept,) = as_json(vtrade(live, key, "orders --status closed --json"))["orders"]
    assert kept["status"] == "rejected" and kept["id"] in line


def three_orders(live: Live, key: Key) -> list[dict[str, Any]]:
    """Three filled market orders a simulated second apart, oldest first."""
    placed = []
    for symbol in ("AAPL", "MSFT", "NVDA"):
        placed.append(as_json(vtrade(live, key, f"order {symbol} buy 1 --json")))
        live.advance(1)
    return placed


def test_a_listing_longer_than_a_page_prints_the_command_for_the_next_one(live: Live) -> None:
    key = live.key("alice")
    first, second, third = three_orders(live, key)

    shown = ok(vtrade(live, key, "orders --status all --limit 2"))
    *_, hint = shown.splitlines()
    assert hint.startswith("next page: vtrade orders --status all --limit 2 --page-token ")
    rest = ok(vtrade(live, key, hint.removeprefix("next page: vtrade ")))

    assert third["id"] in shown and second["id"] in shown and first["id"] not in shown
    assert first["id"] in rest and third["id"] not in rest
    assert "next page" not in rest


def test_json_pages_carry_the_next_page_token_and_all_follows_it_to_the_end(live: Live) -> None:
    key = live.key("alice")
    ids = [o["id"] for o in three_orders(live, key)]

    page = as_json(vtrade(live, key, "orders --status all --limit 2 --json"))
    following = as_json(
        vtrade(
            live,
            key,
            f"orders --status all --limit 2 --page-token {page['next_page_token']} --json",
        )
    )
    every = as_json(vtrade(live, key, "orders --status all --all --limit 2 --json"))
    oldest_first = as_json(vtrade(live, key, "orders --status all --direction asc --json"))
    fills = as_json(vtrade(live, key, "fills --all --limit 1 --json"))

    assert [o["id"] for o in page["orders"]] == ids[:0:-1] and page["next_page_token"]
    assert [o["id"] for o in following["orders"]] == ids[:1]
    assert following["next_page_token"] is None
    assert [o["id"] for o in every["orders"]] == ids[::-1] and every["next_page_token"] is None
    assert [o["id"] for o in oldest_first["orders"]] == ids
    assert [f["order_id"] for f in fills["fills"]] == ids[::-1]
    assert fills["next_page_token"] is None


def test_after_until_and_side_narrow_orders_and_fills(live: Live) -> None:
    key = live.key("alice")
    first, second, third = three_orders(live, key)
    at = {o["id"]: o["created_at"] for o in (first, second, third)}

    between = as_json(
        vtrade(
            live,
            key,
            f"orders --status all --after {at[first['id']]} --until {at[third['id']]} --json",
        )
    )
    later_fills = as_json(vtrade(live, key, f"fills --after {at[first['id']]} --json"))
    sells = as_json(vtrade(live, key, "orders --status all --side sell --json"))

    assert [o["id"] for o in between["orders"]] == [second["id"]]
    assert [f["order_id"] for f in later_fills["fills"]] == [third["id"], second["id"]]
    assert sells["orders"] == []


UP_TO = "a number above 0 and at most 1,000,000,000,000"  # the server's largest quantity
BAD_ORDERS = {
    "AAPL buy abc": f"QTY must be {UP_TO}, got 'abc'",
    "AAPL buy -5": f"QTY must be {UP_TO}, got '-5'",
    "AAPL buy 0": f"QTY must be {UP_TO}, got '0'",
    "AAPL hold 5": "unknown side 'hold'; allowed: buy, sell",
    "AAPL buy 5 --type iceberg": (
        "unknown --type 'iceberg'; allowed: market, limit, stop, stop_limit, trailing_stop"
    ),
    "AAPL buy 5 --tif week": "unknown --tif 'week'; allowed: day, gtc, ioc, fok, opg, cls",
    "AAPL buy 5 --type limit": "--type limit needs --limit-price",
    "AAPL buy 5 --limit-price 100": "--type market takes no --limit-price",
    "AAPL buy 5 --type trailing_stop": (
        "--type trailing_stop needs one of --trail-price and --trail-percent"
    ),
    "AAPL sell 5 --type trailing_stop --trail-percent 100": (
        "--trail-percent must be a number above 0 and below 100, got '100'"
    ),
    "AAPL buy": "give a QTY or --notional AMOUNT (one of them)",
    "AAPL buy 5 --notional 1000": "give a QTY or --notional AMOUNT (one of them)",
    "AAPL buy 5 --take-profit nan": f"--take-profit must be {UP_TO}, got 'nan'",
    "AAPL buy 1e1000000": f"QTY must be {UP_TO}, got '1e1000000'",
    "AAPL buy 1000000000001": f"QTY must be {UP_TO}, got '1000000000001'",
    "AAPL buy 1.0000000000000000001": "QTY has more than 18 decimals, got '1.0000000000000000001'",
    "AAPL sell 5 --oco --type market --take-profit 300 --stop-loss 250": (
        "--oco places a limit order (its take-profit): leave out --type"
    ),
    "AAPL buy 5 --stop-loss-limit 90": (
        "--stop-loss-limit goes with --stop-loss (the stop that triggers it)"
    ),
    "AAPL sell 5 --oco --take-profit 300": "--oco needs --take-profit and --stop-loss",
    "AAPL buy 5 --client-order-id '  '": (
        "--client-order-id is blank: give one with a visible character, or leave it out to "
        "have one made"
    ),
}
BAD_REQUESTS = {
    "orders --status pending": "unknown --status 'pending'; allowed: open, closed, all",
    "orders --limit 0": "--limit must be 1..500, got 0",
    "fills --limit 501": "--limit must be 1..500, got 501",
    "orders --all --limit 501": "--limit must be 1..500, got 501",
    "orders --direction up": "unknown --direction 'up'; allowed: asc, desc",
    "fills --direction ''": "unknown --direction ''; allowed: asc, desc",
    "orders --side hold": "unknown --side 'hold'; allowed: buy, sell",
    "fills --after yesterday": (
        "--after 'yesterday' is not an instant: use ISO 8601, e.g. 2026-11-18T15:00:00Z or "
        "2026-11-18"
    ),
    "orders --until 2026-13-01": (
        "--until '2026-13-01' is not an instant: use ISO 8601, e.g. 2026-11-18T15:00:00Z or "
        "2026-11-18"
    ),
    "orders --page-token ' '": (
        "--page-token is empty: pass the next page token a listing printed"
    ),
    f"fills --page-token {'x' * 257}": (
        "--page-token is longer than 256 characters, as no page token is: pass the next page "
        "token a listing printed"
    ),
    f"orders --symbol {'A,' * 1001}": "--symbol is longer than 2000 characters",
    "cancel": "give the ORDER_ID of an open order, or --all (not both)",
    "cancel some-id --all": "give the ORDER_ID of an open order, or --all (not both)",
    "account --url localhost:8000": (
        "--url 'localhost:8000' is not a server's address (http or https, a host, an optional "
        "port and path); use e.g. http://127.0.0.1:8000"
    ),
    "account --url http://u:hunter2@127.0.0.1:1": (
        "--url (VTRADE_URL) holds a user or password: leave them out"
    ),
    "account --url http://127.0.0.1:1?x=1": (
        "--url 'http://127.0.0.1:1?x=1' is not a server's address (http or https, a host, an "
        "optional port and path); use e.g. http://127.0.0.1:8000"
    ),
    "cancel ' '": "ORDER_ID is empty; `vtrade orders` lists the open ones",
}


@pytest.mark.parametrize(("line", "expected"), BAD_ORDERS.items())
def test_bad_order_input_is_refused_before_any_server_is_called(line: str, expected: str) -> None:
    env = {"VTRADE_URL": closed_port(), "VTRADE_KEY_ID": "PK", "VTRADE_SECRET": "s"}

    result = runner.invoke(app, ["order", *shlex.split(line)], env=env)

    assert error_line(result) == expected  # not "no vtrade server answers"


@pytest.mark.parametrize(("line", "expected"), BAD_REQUESTS.items())
def test_bad_listing_and_cancel_input_is_refused_before_any_server_is_called(
    line: str, expected: str
) -> None:
    env = {"VTRADE_URL": closed_port(), "VTRADE_KEY_ID": "PK", "VTRADE_SECRET": "s"}

    assert error_line(runner.invoke(app, shlex.split(line), env=env)) == expected


def test_a_wrong_secret_is_one_error_line_naming_the_flags_and_variables(live: Live) -> None:
    key = live.key("alice")

    line = error_line(vtrade(live, key, "positions --secret not-the-secret"))

    assert "wrong or revoked API key" in line
    assert line.endswith("check --key-id and --secret (VTRADE_KEY_ID, VTRADE_SECRET)")
    assert "not the secret" not in line and key.secret not in line


@pytest.mark.parametrize(
    "command", ["account", "positions", "orders", "fills", "cancel --all", "order AAPL buy 1"]
)
def test_no_server_at_the_url_says_to_start_one(command: str) -> None:
    url = closed_port()
    env = {"VTRADE_KEY_ID": "PK", "VTRADE_SECRET": "s"}

    result = runner.invoke(app, [*command.split(), "--url", url], env=env)

    assert error_line(result) == f"no vtrade server answers at {url}: start one with `vtrade serve`"


def test_missing_credentials_name_the_variables_to_set_and_how_to_make_a_key() -> None:
    result = runner.invoke(app, ["account", "--url", closed_port()])

    assert error_line(result) == (
        "no API key: set --key-id (or VTRADE_KEY_ID) and --secret (or VTRADE_SECRET); make one "
        "with `vtrade keys create USER` (`vtrade users create USER` first)"
    )


def test_help_names_the_variables_but_never_prints_the_secret_they_hold() -> None:
    env = {"VTRADE_SECRET": "s3cret-in-the-environment", "COLUMNS": "150"}

    shown = ok(runner.invoke(app, ["order", "--help"], env=env))

    assert "VTRADE_URL" in shown and "VTRADE_KEY_ID" in shown and "VTRADE_SECRET" in shown
    assert "s3cret-in-the-environment" not in shown


def test_with_json_a_refused_order_prints_the_servers_error_body_too(live: Live) -> None:
    key = live.key("alice")

    result = vtrade(live, key, "order AAPL buy --notional 300000 --json")

    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body["code"] and body["message"].startswith("order rejected: concentration:")
    assert result.stderr.startswith("error: order rejected: concentration:")


def test_a_secret_with_a_line_ending_works_and_one_with_a_space_is_refused_unechoed(
    live: Live,
) -> None:
    key = live.key("alice")
    env = {"VTRADE_URL": live.base_url, "VTRADE_KEY_ID": key.key_id}

    pasted = runner.invoke(
        app, ["account", "--json"], env={**env, "VTRADE_SECRET": key.secret + "\r\n"}
    )
    spaced = runner.invoke(app, ["account"], env={**env, "VTRADE_SECRET": key.secret[:5] + " x"})

    assert as_json(pasted)["id"]
    line = error_line(spaced)
    assert line == (
        "--secret (VTRADE_SECRET) holds a character a header cannot carry (a space, a line "
        "break or a non-ASCII letter); give it as `vtrade keys create` printed it"
    )
    assert key.secret[:5] not in spaced.output


def test_a_misspelt_variable_is_refused_as_by_every_command(live: Live) -> None:
    key = live.key("alice")
    env = {"VTRADE_URL": live.base_url, "VTRADE_KEY_ID": key.key_id, "VTRADE_SECERT": "x"}

    line = error_line(runner.invoke(app, ["account", "--secret", key.secret], env=env))

    assert line.startswith(
        "unknown environment variable VTRADE_SECERT; did you mean VTRADE_SECRET?"
    )


def test_amounts_are_sent_exactly_as_typed_and_tables_name_their_currencies(live: Live) -> None:
    key = live.key("alice")

    placed = as_json(vtrade(live, key, "order VOD.L buy 1e3 --json"))
    shown = ok(vtrade(live, key, "positions"))
    receipts = ok(vtrade(live, key, f"fills --order {placed['id']}"))

    assert placed["qty"] == "1000"
    assert "market value VCR" in shown and "unrealized P&L VCR" in shown
    fee = as_json(vtrade(live, key, "fills --json"))["fills"][0]["fee"]
    assert f"{fee} GBX" in receipts
    placed_too = ok(vtrade(live, key, "order VOD.L buy 1000"))  # with its fills' receipts
    newest = as_json(vtrade(live, key, "fills --json"))["fills"][0]
    receipt = newest["receipt"]
    for cost in (newest["fee"], receipt["spread_cost"], receipt["impact_cost"]):
        assert f"{cost} GBX" in placed_too


def test_a_blank_secret_is_a_missing_one_and_bad_settings_it_does_not_use_stop_nothing(
    live: Live,
) -> None:
    key = live.key("alice")
    env = {"VTRADE_URL": live.base_url, "VTRADE_KEY_ID": key.key_id}

    blank = runner.invoke(app, ["account"], env={**env, "VTRADE_SECRET": "  "})
    unused = {**env, "VTRADE_SECRET": key.secret, "VTRADE_MARKET__SEED": "abc"}

    assert error_line(blank).startswith("no API key: set --secret (or VTRADE_SECRET)")
    assert as_json(runner.invoke(app, ["account", "--json"], env=unused))["id"]
