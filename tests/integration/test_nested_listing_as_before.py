"""The nested listing, paged by token at every page size, and the legs of each order are what
they were before orders knew their group (`nested_before_groups`, one read a version), on
random order histories, on SQLite and PostgreSQL; with one read of rows a page too.
Longer runs take seeds, steps, MAX_READS and page sizes from the environment (SEED0, SEED1,
STEPS, READS, LIMITS); seeds 0-70 (80 steps, unbounded reads), 100-130 (READS=1), 200-240
(READS=8) and 0-12 (60 steps) have been run with no difference."""

from __future__ import annotations

import os
import random

import pytest
from order_desk import Desk
from order_histories import differences, legs_differences, play

from vtrade.api import nested

UNBOUNDED = 10_000
# (seed, reads of rows a page makes at most, page sizes); the environment (SEED0, SEED1,
# STEPS, READS, LIMITS) asks for longer runs
CASES = [(0, UNBOUNDED, (1, 3)), (1, 1, (2,))]
if "SEED1" in os.environ:
    CASES = [
        (
            seed,
            int(os.environ.get("READS", UNBOUNDED)),
            tuple(int(x) for x in os.environ.get("LIMITS", "1,2,3,500").split(",")),
        )
        for seed in range(int(os.environ.get("SEED0", "0")), int(os.environ["SEED1"]))
    ]


@pytest.mark.parametrize(("seed", "reads", "limits"), CASES)
def test_the_nested_listing_and_legs_are_as_before_orders_knew_their_group(
    desk: Desk, seed: int, reads: int, limits: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nested, "MAX_READS", reads)
    play(desk, random.Random(seed), int(os.environ.get("STEPS", "30")))

    assert not legs_differences(desk)
    diffs = differences(desk, limits=limits)
    if diffs:
        args, side, limit, before, now = diffs[0]
        pytest.fail(
            f"{len(diffs)} listings differ; the first: {args} side={side} limit={limit}\n"
            f"before: {before}\nnow:    {now}"
        )
