"""A nested listing or order does bounded work: a leg replaced many times or many orders of
the side not asked for cost a request a few reads of the store, not one a version or a batch
of rows (the handler reads the store on the event loop: every other request waits on it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from api_support import InProcess, Key
from test_native_nested import CountingStore, a_book_of_groups, listed, market_bracket
from test_native_orders import orders_url, submit
from test_native_paging import every_page

from vtrade.api import nested
from vtrade.api.nested import Listing, legs_of, nested_page

VERSIONS = 40


def a_bracket_whose_take_profit_was_replaced(
    api: InProcess, times: int, key: Key | None = None
) -> Any:
    key = key or api.key()
    entry = market_bracket(api, key)
    take = api.http.get(orders_url(key, f"/{entry['legs'][0]}"), headers=key.headers).json()
    price = Decimal(take["limit_price"])
    for i in range(times):
        answer = api.http.patch(
            orders_url(key, f"/{take['id']}"),
            headers=key.headers,
            json={"limit_price": str(price + i + 1)},
        )
        assert answer.status_code == 200, answer.text
        take = answer.json()
    return entry


class PageCountingStore(CountingStore):
    """The store, counting its reads of orders by id, of pages of rows, and of the groups
    earlier pages listed."""

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.pages = self.earlier = 0

    def page_orders(self, *args: Any, **kwargs: Any) -> Any:
        self.pages += 1
        return self.store.page_orders(*args, **kwargs)

    def groups_listed_through(self, *args: Any, **kwargs: Any) -> Any:
        self.earlier += 1
        return self.store.groups_listed_through(*args, **kwargs)


def reads(store: PageCountingStore) -> int:
    return store.one_by_one + store.together + store.pages + store.earlier


def test_a_page_reads_the_store_a_few_times_however_often_a_leg_was_replaced(
    api: InProcess,
) -> None:
    entry = a_bracket_whose_take_profit_was_replaced(api, VERSIONS)
    store = PageCountingStore(api.container.store)
    account_id = api.container.store.get_order(entry["id"]).account_id  # type: ignore[union-attr]
    listing = Listing(account_id, "all", None, None, None, ascending=False)

    page, _ = nested_page(store, listing, None, 1, None)

    assert [e.id for e, _ in page] == [entry["id"]]
    assert reads(store) == 2  # a page of rows, the group as it stands


def test_one_order_nested_reads_its_legs_in_a_few_reads_however_often_replaced(
    api: InProcess,
) -> None:
    entry = a_bracket_whose_take_profit_was_replaced(api, VERSIONS)
    store = PageCountingStore(api.container.store)
    order = api.container.store.get_order(entry["id"])
    assert order is not None

    legs = legs_of(order, store)

    assert len(legs) == 2 and reads(store) == 1


def test_a_page_of_one_side_reads_a_few_batches_however_many_orders_the_other_side_has(
    api: InProcess,
) -> None:
    key = api.key()
    seller = market_bracket(api, key)  # a buy entry; its exits sell
    for _ in range(60):
        assert submit(api, key, symbol="MSFT", side="sell", qty="1").status_code in (201, 403)
    store = PageCountingStore(api.container.store)
    listing = Listing(key.account_id, "all", None, None, None, ascending=False)

    page, _ = nested_page(store, listing, None, 1, "buy")

    assert [e.id for e, _ in page] == [seller["id"]]
    assert store.pages == 1


@pytest.mark.parametrize("side", [None, "buy", "sell"])
@pytest.mark.parametrize("status", ["all", "open", "closed"])
def test_pages_that_stop_at_their_reads_go_on_by_token_and_list_every_entry_once(
    api: InProcess, monkeypatch: pytest.MonkeyPatch, side: str | None, status: str
) -> None:
    key = api.key()
    a_book_of_groups(api, key)
    a_bracket_whose_take_profit_was_replaced(api, 12, key)
    for _ in range(4):
        assert submit(api, key, symbol="MSFT", side="sell", qty="1").status_code == 201
    query = {"status": status, "nested": "true"}
    everything = listed(api, key, **query, limit=500)["orders"]
    whole = listed(api, key, **query, limit=500, **({"side": side} if side else {}))["orders"]
    assert whole == [o for o in everything if side in (None, o["side"])] and whole
    monkeypatch.setattr(nested, "MAX_READS", 1)  # a page of one read of rows, two entries

    for limit in (1, 2, 5):
        path = f"/accounts/{key.account_id}/orders"
        chosen = {"side": side} if side else {}
        pages = every_page(api, key, path, **query, **chosen, limit=limit)

        assert [o for page in pages for o in page["orders"]] == whole
