"""The `HotStore` contract, run on the memory store and on a real Redis (one namespace per test).

The memory store is the default and the fake of unit tests, so every answer here, including
strings, tie order and errors, must be the same on both.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis

from vtrade.adapters.hot import (
    HotStoreUnavailableError,
    MemoryHotStore,
    RedisHotStore,
)
from vtrade.app.ports import HotStore
from vtrade.core.errors import ConflictError, ValidationError, VtradeError

INT64_MAX = 2**63 - 1
MakeStore = Callable[..., HotStore]


def _namespace() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"


@pytest.fixture(params=["memory", "redis"])
def make_hot_store(request: pytest.FixtureRequest) -> Iterator[MakeStore]:
    """Make stores of one kind, each in a fresh random namespace; clear and close them after."""
    made: list[HotStore] = []
    url: str | None = request.getfixturevalue("redis_url") if request.param == "redis" else None

    def make(namespace: str | None = None) -> HotStore:
        namespace = _namespace() if namespace is None else namespace
        store: HotStore = (
            MemoryHotStore(namespace) if url is None else RedisHotStore(url, namespace)
        )
        made.append(store)
        return store

    yield make
    for store in made:
        store.clear()
        store.close()


@pytest.fixture
def hot_store(make_hot_store: MakeStore) -> HotStore:
    """A fresh, empty store: in memory, or on Redis (the test runs once with each)."""
    return make_hot_store()


# -- hashes -------------------------------------------------------------------------------


def test_values_come_back_as_the_strings_redis_stores(hot_store: HotStore) -> None:
    hot_store.put_hashes(
        {
            "acc:1": {
                "name": "Main",
                "qty": 3,
                "debt": -2,
                "nav": 1_000_000.5,
                "tenth": 0.1,
                "sum": 0.1 + 0.2,
                "huge": 1e20,
                "zero": 0.0,
                "whole": 7.0,
                "empty": "",
            }
        }
    )

    assert hot_store.get_hash("acc:1") == {
        "name": "Main",
        "qty": "3",
        "debt": "-2",
        "nav": "1000000.5",
        "tenth": "0.1",
        "sum": "0.30000000000000004",
        "huge": "1e+20",
        "zero": "0.0",
        "whole": "7.0",
        "empty": "",
    }


def test_put_hashes_sets_only_the_given_fields_and_keeps_the_others(hot_store: HotStore) -> None:
    hot_store.put_hashes({"acc:1": {"nav": 100.0, "cash": 50, "name": "Main"}})

    hot_store.put_hashes({"acc:1": {"nav": 101.5, "day_pnl": -1}})

    assert hot_store.get_hash("acc:1") == {
        "nav": "101.5",
        "cash": "50",
        "name": "Main",
        "day_pnl": "-1",
    }


def test_put_hashes_writes_many_hashes_at_once(hot_store: HotStore) -> None:
    hot_store.put_hashes({f"acc:{i}": {"nav": float(i)} for i in range(50)})

    assert hot_store.get_hash("acc:49") == {"nav": "49.0"}
    assert len([h for h in hot_store.get_hashes([f"acc:{i}" for i in range(50)]) if h]) == 50


def test_put_hashes_with_no_fields_writes_nothing(hot_store: HotStore) -> None:
    hot_store.put_hashes({})
    hot_store.put_hashes({"acc:1": {}})

    assert hot_store.get_hash("acc:1") == {}


def test_a_missing_hash_reads_as_empty(hot_store: HotStore) -> None:
    assert hot_store.get_hash("nobody") == {}


def test_get_hashes_keeps_the_requested_order_with_missing_ones_empty(
    hot_store: HotStore,
) -> None:
    hot_store.put_hashes({"a": {"v": 1}, "c": {"v": 3}})

    assert hot_store.get_hashes(["c", "missing", "a", "c"]) == [
        {"v": "3"},
        {},
        {"v": "1"},
        {"v": "3"},
    ]
    assert hot_store.get_hashes([]) == []


def test_delete_removes_hashes_boards_and_counters_and_ignores_missing_keys(
    hot_store: HotStore,
) -> None:
    hot_store.put_hashes({"h": {"v": 1}, "kept": {"v": 2}})
    hot_store.rank("board", {"alice": 1.0})
    hot_store.incr("count")

    hot_store.delete(["h", "board", "count", "missing"])
    hot_store.delete([])

    assert hot_store.get_hash("h") == {}
    assert hot_store.top("board", 10) == []
    assert hot_store.counter("count") == 0
    assert hot_store.get_hash("kept") == {"v": "2"}


# -- rankings -----------------------------------------------------------------------------


def test_top_lists_the_highest_scores_first_as_floats(hot_store: HotStore) -> None:
    hot_store.rank("nav", {"alice": 1_050_000.25, "bob": 990_000, "carol": 1_200_000.0})

    assert hot_store.top("nav", 10) == [
        ("carol", 1_200_000.0),
        ("alice", 1_050_000.25),
        ("bob", 990_000.0),
    ]
    assert all(isinstance(score, float) for _, score in hot_store.top("nav", 10))


def test_top_pages_with_count_and_offset(hot_store: HotStore) -> None:
    hot_store.rank("nav", {f"m{i}": float(i) for i in range(10)})

    assert [m for m, _ in hot_store.top("nav", 3)] == ["m9", "m8", "m7"]
    assert [m for m, _ in hot_store.top("nav", 3, offset=3)] == ["m6", "m5", "m4"]
    assert [m for m, _ in hot_store.top("nav", 5, offset=8)] == ["m1", "m0"]
    assert hot_store.top("nav", 5, offset=10) == []
    assert hot_store.top("nav", 0) == []
    assert len(hot_store.top("nav", INT64_MAX, offset=1)) == 9


def test_top_of_a_missing_board_is_empty(hot_store: HotStore) -> None:
    assert hot_store.top("nobody", 10) == []


def test_ties_are_ordered_by_member_in_reverse_lexicographic_order_as_in_zrevrange(
    hot_store: HotStore,
) -> None:
    hot_store.rank("xp", {"alice": 5, "bob": 5, "Bob": 5, "b": 5, "carol": 5, "émile": 5})
    hot_store.rank("xp", {"zoe": 9, "aaron": 1})

    expected = ["zoe", "émile", "carol", "bob", "b", "alice", "Bob", "aaron"]
    assert [m for m, _ in hot_store.top("xp", 10)] == expected
    assert [hot_store.rank_of("xp", m) for m in expected] == list(range(len(expected)))


def test_rank_of_is_the_zero_based_position_from_the_top_or_none(hot_store: HotStore) -> None:
    hot_store.rank("nav", {"alice": 3.0, "bob": 2.0, "carol": 1.0, "": 0.5})

    assert hot_store.rank_of("nav", "alice") == 0
    assert hot_store.rank_of("nav", "carol") == 2
    assert hot_store.rank_of("nav", "") == 3
    assert hot_store.rank_of("nav", "dave") is None
    assert hot_store.rank_of("no-board", "alice") is None


def test_ranking_a_member_again_moves_it_to_its_new_score(hot_store: HotStore) -> None:
    hot_store.rank("nav", {"alice": 3.0, "bob": 2.0, "carol": 1.0})

    hot_store.rank("nav", {"carol": 10.0, "alice": -1.0})

    assert hot_store.top("nav", 10) == [("carol", 10.0), ("bob", 2.0), ("alice", -1.0)]
    assert hot_store.rank_of("nav", "alice") == 2


def test_scores_keep_full_float_precision_and_infinities(hot_store: HotStore) -> None:
    scores = {"a": 0.1 + 0.2, "b": 1e308, "c": float("-inf"), "d": float("inf"), "e": -5e-324}

    hot_store.rank("s", scores)

    assert dict(hot_store.top("s", 10)) == scores
    assert [m for m, _ in hot_store.top("s", 10)] == ["d", "b", "a", "e", "c"]


def test_unrank_removes_members_and_ignores_absent_ones(hot_store: HotStore) -> None:
    hot_store.rank("nav", {"alice": 3.0, "bob": 2.0, "carol": 1.0})

    hot_store.unrank("nav", ["bob", "nobody"])
    hot_store.unrank("no-board", ["alice"])

    assert hot_store.top("nav", 10) == [("alice", 3.0), ("carol", 1.0)]
    assert hot_store.rank_of("nav", "bob") is None
    assert hot_store.rank_of("nav", "carol") == 1


def test_a_board_emptied_by_unrank_no_longer_exists(hot_store: HotStore) -> None:
    hot_store.rank("board", {"alice": 1.0})

    hot_store.unrank("board", ["alice"])

    assert hot_store.top("board", 10) == []
    hot_store.put_hashes({"board": {"now": "a hash"}})  # the name is free again, as in Redis
    assert hot_store.get_hash("board") == {"now": "a hash"}


def test_ranking_nothing_and_unranking_nothing_change_nothing(hot_store: HotStore) -> None:
    hot_store.rank("nav", {"alice": 1.0})

    hot_store.rank("nav", {})
    hot_store.unrank("nav", [])

    assert hot_store.top("nav", 10) == [("alice", 1.0)]


# -- counters -----------------------------------------------------------------------------


def test_incr_of_an_absent_counter_starts_from_zero(hot_store: HotStore) -> None:
    assert hot_store.counter("fills") == 0
    assert hot_store.incr("fills") == 1
    assert hot_store.counter("fills") == 1


def test_incr_adds_any_step_including_negative_and_returns_the_new_int(
    hot_store: HotStore,
) -> None:
    assert hot_store.incr("xp", 5) == 5
    assert hot_store.incr("xp", -7) == -2
    assert hot_store.incr("debt", -3) == -3
    assert hot_store.incr("xp", 0) == -2

    value = hot_store.counter("xp")
    assert value == -2 and type(value) is int


def test_concurrent_increments_are_never_lost_or_shared(hot_store: HotStore) -> None:
    threads, per_thread = 8, 250
    seen: list[list[int]] = [[] for _ in range(threads)]

    def work(out: list[int]) -> None:
        for _ in range(per_thread):
            out.append(hot_store.incr("hits"))

    workers = [threading.Thread(target=work, args=(out,)) for out in seen]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    returned = sorted(value for out in seen for value in out)
    assert returned == list(range(1, threads * per_thread + 1))  # each value exactly once
    assert hot_store.counter("hits") == threads * per_thread


def test_an_increment_beyond_64_bits_is_refused_and_changes_nothing(hot_store: HotStore) -> None:
    hot_store.incr("big", INT64_MAX - 1)

    with pytest.raises(ValidationError, match="64-bit"):
        hot_store.incr("big", 2)

    assert hot_store.counter("big") == INT64_MAX - 1
    assert hot_store.incr("big") == INT64_MAX


# -- one kind of value per key ------------------------------------------------------------


def test_a_key_holds_one_kind_of_value_as_in_redis(hot_store: HotStore) -> None:
    hot_store.put_hashes({"h": {"v": 1}})
    hot_store.rank("b", {"alice": 1.0})
    hot_store.incr("c")

    refused: list[Callable[[], Any]] = [
        lambda: hot_store.rank("h", {"alice": 1.0}),
        lambda: hot_store.top("h", 10),
        lambda: hot_store.rank_of("c", "alice"),
        lambda: hot_store.unrank("c", ["alice"]),
        lambda: hot_store.incr("h"),
        lambda: hot_store.counter("b"),
        lambda: hot_store.get_hash("b"),
        lambda: hot_store.get_hashes(["h", "c"]),
        lambda: hot_store.put_hashes({"c": {"v": 1}}),
    ]
    for call in refused:
        with pytest.raises(ConflictError, match="holds another kind of value"):
            call()

    assert hot_store.get_hash("h") == {"v": "1"}
    assert hot_store.top("b", 10) == [("alice", 1.0)]
    assert hot_store.counter("c") == 1


def test_a_refused_hash_does_not_stop_the_rest_of_its_batch(hot_store: HotStore) -> None:
    hot_store.incr("c")

    with pytest.raises(ConflictError, match="'c'"):
        hot_store.put_hashes({"a": {"v": 1}, "c": {"v": 2}, "z": {"v": 3}})

    assert hot_store.get_hashes(["a", "z"]) == [{"v": "1"}, {"v": "3"}]
    assert hot_store.counter("c") == 1


# -- namespaces ---------------------------------------------------------------------------


def _fill(store: HotStore) -> None:
    store.put_hashes({"acc:1": {"nav": 1.0}})
    store.rank("nav", {"alice": 1.0})
    store.incr("fills", 3)


def test_clear_removes_everything_in_the_namespace(hot_store: HotStore) -> None:
    _fill(hot_store)

    hot_store.clear()

    assert hot_store.get_hash("acc:1") == {}
    assert hot_store.top("nav", 10) == []
    assert hot_store.counter("fills") == 0


def test_clear_leaves_other_namespaces_untouched(make_hot_store: MakeStore) -> None:
    mine = make_hot_store()
    ns = mine.namespace  # type: ignore[attr-defined]
    others = [make_hot_store(f"{ns}-2"), make_hot_store(f"{ns}.x"), make_hot_store(f"x{ns}")]
    for store in [mine, *others]:
        _fill(store)

    mine.clear()

    assert mine.get_hash("acc:1") == {}
    for other in others:
        assert other.get_hash("acc:1") == {"nav": "1.0"}
        assert other.top("nav", 10) == [("alice", 1.0)]
        assert other.counter("fills") == 3


def test_stores_in_one_namespace_share_nothing_with_stores_in_another(
    make_hot_store: MakeStore,
) -> None:
    first, second = make_hot_store(), make_hot_store()

    first.put_hashes({"acc:1": {"nav": 1.0}})
    first.incr("fills")

    assert second.get_hash("acc:1") == {}
    assert second.counter("fills") == 0


@pytest.mark.parametrize("namespace", ["", "a:b", "a*", "with space", "ns?"])
def test_a_namespace_is_a_simple_name_without_colons_or_patterns(
    make_hot_store: MakeStore, namespace: str
) -> None:
    with pytest.raises(ValidationError, match="namespace"):
        make_hot_store(namespace)


# -- validation ---------------------------------------------------------------------------

EMPTY_NAMES: dict[str, Callable[[HotStore], Any]] = {
    "put_hashes": lambda s: s.put_hashes({"": {"v": 1}}),
    "get_hash": lambda s: s.get_hash(""),
    "get_hashes": lambda s: s.get_hashes(["a", ""]),
    "delete": lambda s: s.delete([""]),
    "rank": lambda s: s.rank("", {"alice": 1.0}),
    "top": lambda s: s.top("", 10),
    "rank_of": lambda s: s.rank_of("", "alice"),
    "unrank": lambda s: s.unrank("", ["alice"]),
    "incr": lambda s: s.incr(""),
    "counter": lambda s: s.counter(""),
}


@pytest.mark.parametrize("call", EMPTY_NAMES.values(), ids=EMPTY_NAMES.keys())
def test_empty_key_board_and_counter_names_are_refused(
    hot_store: HotStore, call: Callable[[HotStore], Any]
) -> None:
    with pytest.raises(ValidationError, match="must be a non-empty string"):
        call(hot_store)


def test_a_batch_with_one_bad_value_writes_nothing(hot_store: HotStore) -> None:
    with pytest.raises(ValidationError, match="'bad'"):
        hot_store.put_hashes({"a": {"v": 1}, "b": {"bad": True}})

    assert hot_store.get_hash("a") == {}


@pytest.mark.parametrize("value", [True, None, Decimal("1.5"), b"bytes", [1]])
def test_hash_values_must_be_str_int_or_float(hot_store: HotStore, value: Any) -> None:
    with pytest.raises(ValidationError, match="allowed: str, int or float"):
        hot_store.put_hashes({"a": {"v": value}})


@pytest.mark.parametrize("score", [float("nan"), "1.0", None, True, 10**400])
def test_scores_must_be_numbers_other_than_nan(hot_store: HotStore, score: Any) -> None:
    with pytest.raises(ValidationError, match="score of 'alice'"):
        hot_store.rank("nav", {"alice": score})

    assert hot_store.top("nav", 10) == []


@pytest.mark.parametrize(("count", "offset"), [(-1, 0), (1, -1), (1.5, 0), (True, 0)])
def test_count_and_offset_must_be_integers_of_at_least_zero(
    hot_store: HotStore, count: Any, offset: Any
) -> None:
    with pytest.raises(ValidationError, match=">= 0"):
        hot_store.top("nav", count, offset)


@pytest.mark.parametrize("by", [1.5, True, "1", 2**63])
def test_an_increment_must_be_a_64_bit_integer(hot_store: HotStore, by: Any) -> None:
    with pytest.raises(ValidationError, match="allowed: an integer"):
        hot_store.incr("c", by)

    assert hot_store.counter("c") == 0


def test_a_single_string_where_a_list_is_expected_is_refused(hot_store: HotStore) -> None:
    hot_store.put_hashes({"abc": {"v": 1}})

    for call in (
        lambda: hot_store.get_hashes("abc"),
        lambda: hot_store.delete("abc"),
        lambda: hot_store.unrank("nav", "abc"),
    ):
        with pytest.raises(ValidationError, match="wrap it in a list"):
            call()
    assert hot_store.get_hash("abc") == {"v": "1"}


# -- Redis specifics ----------------------------------------------------------------------


def test_redis_keys_live_under_the_namespace_and_clear_spares_every_other_key(
    redis_url: str,
) -> None:
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    ns = _namespace()
    store = RedisHotStore(redis_url, namespace=ns)
    outside = [f"{ns}x:k", f"x{ns}:k", f"{ns}", f"{ns}-2:k"]
    try:
        for key in outside:
            raw.set(key, "keep")
        _fill(store)
        assert sorted(raw.scan_iter(match=f"{ns}:*")) == [f"{ns}:acc:1", f"{ns}:fills", f"{ns}:nav"]

        store.clear()

        assert list(raw.scan_iter(match=f"{ns}:*")) == []
        assert [raw.get(key) for key in outside] == ["keep"] * len(outside)
    finally:
        raw.delete(*outside)
        raw.close()
        store.close()


def test_redis_clear_removes_more_keys_than_one_scan_batch(redis_url: str) -> None:
    store = RedisHotStore(redis_url, namespace=_namespace())
    try:
        store.put_hashes({f"acc:{i}": {"nav": i} for i in range(2500)})

        store.clear()

        assert store.get_hashes([f"acc:{i}" for i in range(0, 2500, 250)]) == [{}] * 10
    finally:
        store.clear()
        store.close()


def test_an_unreachable_redis_is_reported_with_its_url_but_never_its_password() -> None:
    with pytest.raises(HotStoreUnavailableError) as caught:
        RedisHotStore("redis://trader:s3cret@127.0.0.1:1/0?password=s3cret")

    message = caught.value.message
    assert isinstance(caught.value, VtradeError)
    assert "127.0.0.1:1" in message and "trader:***@" in message
    assert "s3cret" not in message and "s3cret" not in str(caught.value.details)
    assert "start Redis" in message


def test_a_redis_store_never_prints_its_password(redis_url: str) -> None:
    store = RedisHotStore(redis_url, namespace=_namespace())
    try:
        assert repr(store) == f"RedisHotStore({redis_url!r}, namespace={store.namespace!r})"
    finally:
        store.close()


def test_a_url_that_is_not_redis_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="allowed: redis://"):
        RedisHotStore("http://:s3cret@127.0.0.1:6379/0")
