"""A restart rebuilds each account's fee volumes to the cent of the running engine's (found in
session 20's fuzz review): the running engine counted a fill's exact slices while a restart
counted the stored fill, whose average price is rounded, so a crypto tier boundary could move
across a restart. Both now count the stored fill."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from vtrade.bootstrap import Container
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side

WEDNESDAY = "2024-03-13T15:00:00Z"


def test_a_restart_rebuilds_the_volumes_the_running_engine_counted(
    make_service: Callable[..., Container],
) -> None:
    """README (Fees): crypto tiers by 30-day USD volume. Blocks of BTC bought and sold walk
    several levels, so their average price is rounded when stored; the volume the restarted
    engine rebuilds from those fills is the running engine's, exactly."""
    running = make_service(WEDNESDAY, catch_up_hours=0)
    account = running.trading.open_account(OpenAccount(id="o", ts_init=0, owner="ann", name="a"))
    for side, qty in ((Side.BUY, "1.37"), (Side.SELL, "1.37"), (Side.BUY, "1.13")):
        order = running.trading.submit(
            SubmitOrder(
                id="c",
                ts_init=0,
                account_id=account.id,
                symbol="BTC-USD",
                side=side,
                qty=Decimal(qty),
            )
        )
        assert running.store.list_fills(account.id, order_id=order.id), order.reject_reason
    live = running.trading.engine.volumes[account.id]

    restarted = make_service(WEDNESDAY, catch_up_hours=0)
    rebuilt = restarted.trading.engine.volumes[account.id]
    assert live.crypto_usd > Decimal(100_000)
    assert rebuilt.crypto_usd == live.crypto_usd
    assert rebuilt.by_order == live.by_order
