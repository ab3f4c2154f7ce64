"""The server's runtime step relays the outbox in chunks and lets the loop serve requests in
between, so a busy step does not hold every request behind it."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from api_support import make_container

from vtrade.api.app import RELAY_CHUNK, _step_yielding, create_app
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side


def test_a_busy_step_relays_everything_chunk_by_chunk_and_the_loop_runs_between(
    tmp_path: Path,
) -> None:
    container, _ = make_container(tmp_path)
    state = create_app(container, run_steps=False).state.vtrade
    container.start()
    account = container.trading.open_account(
        OpenAccount(id="c-open", ts_init=0, owner="ann", name="main")
    )
    container.trading.submit_many(
        [
            SubmitOrder(
                id=f"c-{i}",
                ts_init=0,
                account_id=account.id,
                symbol="AAPL",
                side=Side.BUY if i % 2 else Side.SELL,
                qty=Decimal(1),
            )
            for i in range(200)
        ]
    )
    pending = len(container.store.pending_events(10_000))
    assert pending > 3 * RELAY_CHUNK  # accepted and filled, for every order
    published: list[object] = []
    container.bus.subscribe("orders.*", published.append)

    async def step_beside_other_work() -> int:
        turns = 0

        async def other_work() -> None:
            nonlocal turns
            while True:
                turns += 1
                await asyncio.sleep(0)

        other = asyncio.create_task(other_work())
        await asyncio.sleep(0)
        before = turns
        await _step_yielding(state)
        other.cancel()
        return turns - before

    turns_during_step = asyncio.run(step_beside_other_work())

    assert turns_during_step >= pending // RELAY_CHUNK
    assert len(published) == pending  # every event, once, in the one step
    assert container.store.pending_events(10) == []
    assert state.runtime.steps == 1
    container.store.close()
