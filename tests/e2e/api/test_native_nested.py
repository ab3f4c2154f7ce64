"""`nested=true` on the native order routes: a bracket, oto or oco order is one item, its entry
with the legs it holds now as orders, and pages of such items list every entry once, where
the first of its orders the filters keep stands in the flat listing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from api_support import InProcess, Key
from test_native_orders import below_market, orders_url, submit, submit_bracket
from test_native_paging import every_page

from vtrade.api.nested import Listing, nested_page

SECOND = 1_000_000_000


def listed(api: InProcess, key: Key, **params: Any) -> Any:
    response = api.http.get(orders_url(key), headers=key.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def rolled_up(flat: list[dict[str, Any]]) -> list[str]:
    """The entries a nested listing lists, read off the flat one: each where the first of its
    orders stands."""
    return list(dict.fromkeys(o["parent_id"] or o["id"] for o in flat))


def market_bracket(api: InProcess, key: Key, symbol: str = "AAPL", **fields: Any) -> Any:
    """A market bracket buying 10, filled at once: its exits work, 10% either side."""
    response = submit(
        api,
        key,
        symbol=symbol,
        side="buy",
        qty="10",
        time_in_force="gtc",
        order_class="bracket",
        take_profit_limit_price=below_market(api, key, symbol, "1.1"),
        stop_loss_stop_price=below_market(api, key, symbol, "0.9"),
        **fields,
    )
    assert response.status_code == 201, response.text
    return response.json()


def replace_take_profit(api: InProcess, key: Key, entry: dict[str, Any]) -> Any:
    take_id = entry["legs"][0]
    new_price = below_market(api, key, entry["symbol"], "1.2")
    response = api.http.patch(
        orders_url(key, f"/{take_id}"), headers=key.headers, json={"limit_price": new_price}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_bracket_is_its_entry_with_its_legs_as_orders_take_profit_first(
    api: InProcess,
) -> None:
    key = api.key()
    entry = submit_bracket(api, key, "MSFT", Decimal(below_market(api, key, "MSFT", "0.9"))).json()

    (shown,) = listed(api, key, nested="true")["orders"]
    flat = listed(api, key)["orders"]

    assert shown["id"] == entry["id"] and shown["status"] == "accepted"
    take, stop = shown["legs"]
    assert [take["id"], stop["id"]] == entry["legs"]
    assert (take["type"], take["status"], take["parent_id"]) == ("limit", "held", entry["id"])
    assert (stop["type"], stop["status"], stop["oco_with"]) == ("stop", "held", take["id"])
    assert take["legs"] == [] and stop["legs"] == []
    assert sorted(o["id"] for o in flat) == sorted([entry["id"], *entry["legs"]])


def test_without_nested_legs_are_listed_on_their_own_by_id_as_before(api: InProcess) -> None:
    key = api.key()
    entry = market_bracket(api, key)
    submit(api, key, symbol="MSFT", side="buy", qty="1")

    plain = api.http.get(orders_url(key), headers=key.headers, params={"status": "all"})
    off = api.http.get(
        orders_url(key), headers=key.headers, params={"status": "all", "nested": "false"}
    )
    single = api.http.get(orders_url(key, f"/{entry['id']}"), headers=key.headers)

    assert off.content == plain.content
    flat = plain.json()["orders"]
    assert len(flat) == 4 and [o for o in flat if o["id"] == entry["id"]] == [single.json()]
    assert single.json()["legs"] == entry["legs"]  # ids, as ever
    assert {o["id"] for o in flat if o["parent_id"] == entry["id"]} == set(entry["legs"])


def test_an_entry_filled_while_its_legs_work_is_listed_open_and_closed_with_them(
    api: InProcess,
) -> None:
    """As `/v2/orders?nested=true` lists it: the entry stands for its open legs among the
    open orders, and for itself among the closed ones; a group all closed is closed only,
    and one whose entry still works is open only."""
    key = api.key()
    working = market_bracket(api, key)
    resting = submit_bracket(api, key, "MSFT", Decimal(below_market(api, key, "MSFT", "0.9")))
    done = submit_bracket(api, key, "NVDA", Decimal(below_market(api, key, "NVDA", "0.9")))
    api.http.delete(orders_url(key, f"/{done.json()['id']}"), headers=key.headers)

    opened = listed(api, key, nested="true")["orders"]
    closed = listed(api, key, status="closed", nested="true")["orders"]

    assert [o["id"] for o in opened] == [resting.json()["id"], working["id"]]
    assert [o["id"] for o in closed] == [done.json()["id"], working["id"]]
    for page in (opened, closed):
        shown = next(o for o in page if o["id"] == working["id"])
        assert shown["status"] == "filled"
        assert [leg["status"] for leg in shown["legs"]] == ["accepted", "accepted"]
    canceled = next(o for o in closed if o["id"] == done.json()["id"])
    assert [leg["status"] for leg in canceled["legs"]] == ["canceled", "canceled"]


class CountingStore:
    """The store, counting its reads of orders by id, one by one and together (by id or by
    group)."""

    def __init__(self, store: Any) -> None:
        self.store, self.one_by_one, self.together = store, 0, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def get_order(self, order_id: str) -> Any:
        self.one_by_one += 1
        return self.store.get_order(order_id)

    def get_orders(self, order_ids: Any) -> Any:
        self.together += 1
        return self.store.get_orders(order_ids)

    def current_of_groups(self, group_ids: Any) -> Any:
        self.together += 1
        return self.store.current_of_groups(group_ids)


@pytest.mark.parametrize("status", ["open", "closed"])
def test_a_page_reads_the_orders_its_groups_lack_together_not_one_by_one(
    api: InProcess, status: str
) -> None:
    """Open legs lack their filled entries, closed entries their working legs."""
    key = api.key()
    made = [market_bracket(api, key)["id"] for _ in range(4)]
    store = CountingStore(api.container.store)
    account_id = api.container.store.get_order(made[0]).account_id  # type: ignore[union-attr]
    listing = Listing(account_id, status, None, None, None, ascending=True)

    page, _ = nested_page(store, listing, None, 10, None)

    assert [entry.id for entry, _ in page] == made
    assert all(len(legs) == 2 for _, legs in page)
    assert (store.one_by_one, store.together) == (0, 1)


def test_a_replaced_exit_shows_as_its_replacement_under_its_entry_which_is_listed_once(
    api: InProcess,
) -> None:
    key = api.key()
    entry = market_bracket(api, key)
    api.clock.advance(SECOND)
    between = submit(api, key, symbol="MSFT", side="buy", qty="1").json()
    api.clock.advance(SECOND)
    new_take = replace_take_profit(api, key, entry)  # placed after the order between

    newest = listed(api, key, status="all", nested="true")["orders"]
    oldest = listed(api, key, status="all", nested="true", direction="asc")["orders"]
    single = api.http.get(
        orders_url(key, f"/{entry['id']}"), headers=key.headers, params={"nested": "true"}
    ).json()

    # listed where the first of its orders stands: newest first, its new take-profit
    assert [o["id"] for o in newest] == [entry["id"], between["id"]]
    assert [o["id"] for o in oldest] == [entry["id"], between["id"]]
    for shown in (newest[0], oldest[0], single):
        take, stop = shown["legs"]
        assert take["id"] == new_take["id"] and take["replaces"] == entry["legs"][0]
        assert take["status"] == "accepted" and stop["id"] == entry["legs"][1]
    # among the closed, where its entry and the exit replaced stand: before the order between
    closed = listed(api, key, status="closed", nested="true")["orders"]
    assert [o["id"] for o in closed] == [between["id"], entry["id"]]


def test_a_replaced_entry_leaves_its_legs_to_its_replacement(api: InProcess) -> None:
    key = api.key()
    price = Decimal(below_market(api, key, "MSFT", "0.9"))
    old = submit_bracket(api, key, "MSFT", price).json()
    new = api.http.patch(
        orders_url(key, f"/{old['id']}"),
        headers=key.headers,
        json={"limit_price": str(price - 1)},
    ).json()

    shown = listed(api, key, status="all", nested="true", direction="asc")["orders"]

    assert [o["id"] for o in shown] == [old["id"], new["id"]]
    assert shown[0]["status"] == "replaced" and shown[0]["legs"] == []
    assert [leg["id"] for leg in shown[1]["legs"]] == old["legs"]
    assert all(leg["parent_id"] == new["id"] for leg in shown[1]["legs"])


def a_book_of_groups(api: InProcess, key: Key) -> None:
    """Brackets, an oto, an oco, simple orders and a replaced exit over a few instants, some
    of them placed in the same one."""
    first = market_bracket(api, key)
    submit(api, key, symbol="MSFT", side="buy", qty="1")
    api.clock.advance(SECOND)
    submit_bracket(api, key, "MSFT", Decimal(below_market(api, key, "MSFT", "0.9")))
    market_bracket(api, key, "NVDA")
    submit(
        api,
        key,
        symbol="AAPL",
        side="buy",
        qty="5",
        time_in_force="gtc",
        order_class="oto",
        stop_loss_stop_price=below_market(api, key, "AAPL", "0.9"),
    )
    api.clock.advance(SECOND)
    submit(
        api,
        key,
        symbol="NVDA",
        side="sell",
        type="limit",
        qty="10",
        time_in_force="gtc",
        order_class="oco",
        limit_price=below_market(api, key, "NVDA", "1.15"),
        take_profit_limit_price=below_market(api, key, "NVDA", "1.15"),
        stop_loss_stop_price=below_market(api, key, "NVDA", "0.85"),
    )
    api.clock.advance(SECOND)
    replace_take_profit(api, key, first)
    submit(api, key, symbol="AAPL", side="buy", qty="1")


@pytest.mark.parametrize("status", ["all", "open", "closed"])
@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_pages_list_every_entry_once_with_its_legs_whatever_the_page_size(
    api: InProcess, status: str, direction: str
) -> None:
    key = api.key()
    a_book_of_groups(api, key)
    query = {"status": status, "direction": direction}
    flat = listed(api, key, **query, limit=500)["orders"]
    whole = listed(api, key, **query, limit=500, nested="true")["orders"]
    assert [o["id"] for o in whole] == rolled_up(flat) and len(whole) >= 3

    for limit in (1, 2, 3, 4):
        path = f"/accounts/{key.account_id}/orders"
        pages = [p["orders"] for p in every_page(api, key, path, **query, limit=limit, nested=True)]

        assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit
        assert [o for page in pages for o in page] == whole


def test_side_and_symbols_choose_entries_and_limit_counts_them(api: InProcess) -> None:
    key = api.key()
    a_book_of_groups(api, key)

    sells = listed(api, key, status="all", side="sell", nested="true")["orders"]
    nvda = listed(api, key, status="all", symbols="NVDA", nested="true")["orders"]
    two = listed(api, key, status="all", limit=2, nested="true")

    assert [(o["order_class"], o["side"]) for o in sells] == [("oco", "sell")]
    assert [o["order_class"] for o in nvda] == ["oco", "bracket"]
    assert all(leg["side"] == "sell" for leg in nvda[1]["legs"])
    assert len(two["orders"]) == 2 and two["next_page_token"]


def test_a_nested_page_token_serves_the_nested_list_only(api: InProcess) -> None:
    key = api.key()
    a_book_of_groups(api, key)
    nested = listed(api, key, status="all", limit=1, nested="true")["next_page_token"]
    flat = listed(api, key, status="all", limit=1)["next_page_token"]

    for token, nested_too in ((nested, "false"), (flat, "true")):
        other = api.http.get(
            orders_url(key),
            headers=key.headers,
            params={"status": "all", "limit": 1, "nested": nested_too, "page_token": token},
        )
        assert other.status_code == 422 and "invalid page_token" in other.json()["message"]


def test_one_order_nested_carries_its_legs_and_a_leg_or_a_simple_order_none(
    api: InProcess,
) -> None:
    key = api.key()
    entry = market_bracket(api, key, client_order_id="mine-1")
    simple = submit(api, key, symbol="MSFT", side="buy", qty="1").json()

    def get(rest: str, **params: str) -> Any:
        response = api.http.get(orders_url(key, rest), headers=key.headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    by_id = get(f"/{entry['id']}", nested="true")
    by_client_id = get("/by_client_order_id", client_order_id="mine-1", nested="true")
    leg = get(f"/{entry['legs'][1]}", nested="true")

    assert by_id == by_client_id
    assert [o["id"] for o in by_id["legs"]] == entry["legs"]
    assert [o["type"] for o in by_id["legs"]] == ["limit", "stop"]
    assert leg["legs"] == [] and leg["parent_id"] == entry["id"]
    assert get(f"/{simple['id']}", nested="true")["legs"] == []
    assert get("/by_client_order_id", client_order_id="mine-1")["legs"] == entry["legs"]


@pytest.mark.parametrize("rest", ["", "/{order}", "/by_client_order_id?client_order_id=mine-1"])
def test_a_nested_value_that_is_not_a_boolean_is_invalid_input(api: InProcess, rest: str) -> None:
    key = api.key()
    entry = market_bracket(api, key, client_order_id="mine-1")
    path = orders_url(key, rest.format(order=entry["id"]))

    response = api.http.get(path, headers=key.headers, params={"nested": "maybe"})

    assert response.status_code == 422
    assert response.json()["code"] == 42210 and "nested" in response.json()["message"]


@pytest.mark.parametrize("status", ["all", "open", "closed"])
def test_v2_nests_the_same_entries_with_the_same_legs(api: InProcess, status: str) -> None:
    """`/v2/orders?nested=true` reads its entries as the native list does (one page)."""
    key = api.key()
    a_book_of_groups(api, key)

    native = listed(api, key, status=status, nested="true")["orders"]
    v2 = api.http.get(
        "/v2/orders", headers=key.headers, params={"status": status, "nested": "true"}
    ).json()

    assert [o["id"] for o in v2] == [o["id"] for o in native]
    for alpaca, ours in zip(v2, native, strict=True):
        assert [leg["id"] for leg in alpaca["legs"] or []] == [leg["id"] for leg in ours["legs"]]
