"""What our orders crossed in an auction survives a restart: the engine counts it in memory
(`engine.crossed`), and a restart between a resting limit joining the closing cross and a
limit-on-close order crossing there showed the second the auction's whole volume again. The
restart now rebuilds the count from the fills' receipts, which name their auction."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from vtrade.bootstrap import Container
from vtrade.domain.commands import OpenAccount, SubmitOrder
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Fill, OrderStatus, OrderType, TimeInForce

D = Decimal
SECOND = 1_000_000_000
CLOSE = "2024-03-15T20:00:00Z"


def _auction_fills(service: Container, account_id: str) -> list[Fill]:
    fills = service.store.list_fills(account_id)
    return sorted((f for f in fills if f.receipt.liquidity == "auction"), key=lambda f: f.ts_ns)


def test_a_restart_between_two_orders_crossing_one_auction_keeps_what_the_first_took(
    make_service: Callable[..., Container],
) -> None:
    """README (Restart): an order joining an auction after a restart shares what is left of it.
    A 3M-share AAPL sell limit far below the market joins the closing cross when AAPL's orders
    meet it (0.76 s before the close) and takes all of its 2,294,977 shares; a 3M-share
    limit-on-close sell at the same limit crosses at the close itself. The service restarts
    between the two. Together they cross no more than the cross printed: the second finds
    nothing left, as without a restart (it crossed the whole print again)."""
    running = make_service("2024-03-15T19:45:00Z", catch_up_hours=0)
    account = running.trading.open_account(
        OpenAccount(id="o", ts_init=0, owner="ann", name="a", balance=D(10_000_000_000))
    )

    def sell(**kw: object) -> None:
        cmd = SubmitOrder(
            id="s", ts_init=0, account_id=account.id, symbol="AAPL", side=Side.SELL, **kw
        )
        order = running.trading.submit(cmd)
        assert order.status is not OrderStatus.REJECTED, order.reject_reason

    sell(qty=D(3_000_000), type=OrderType.LIMIT, limit_price=D(262))
    sell(qty=D(3_000_000), type=OrderType.LIMIT, limit_price=D(262), tif=TimeInForce.CLS)
    close = running.clock.now_ns() + 15 * 60 * SECOND
    running.trading.advance(close - SECOND // 2)  # the limit has joined the cross; the cls not
    (joined,) = _auction_fills(running, account.id)
    assert joined.receipt.auction == "close" and joined.ts_ns < close
    counted = dict(running.trading.engine.crossed)
    assert [dict(by_order) for by_order in counted.values()] == [{joined.order_id: joined.qty}]

    restarted = make_service("2024-03-15T19:59:59.5Z", catch_up_hours=0)
    assert restarted.trading.engine.crossed == counted
    restarted.trading.advance(close + 5 * SECOND)

    assert _auction_fills(restarted, account.id) == [joined]  # nothing more crossed
    (on_close,) = [o for o in restarted.store.list_orders(account.id) if o.tif is TimeInForce.CLS]
    assert on_close.status is OrderStatus.CANCELED and not on_close.filled_qty


def test_taker_fills_name_no_auction(make_service: Callable[..., Container]) -> None:
    """A fill against the continuous book is no auction's: its receipt's `auction` is None."""
    service = make_service("2024-03-15T15:00:00Z", catch_up_hours=0)
    account = service.trading.open_account(OpenAccount(id="o", ts_init=0, owner="b", name="b"))
    service.trading.submit(
        SubmitOrder(
            id="b", ts_init=0, account_id=account.id, symbol="AAPL", side=Side.BUY, qty=D(10)
        )
    )
    (fill,) = service.store.list_fills(account.id)
    assert fill.receipt.liquidity == "taker" and fill.receipt.auction is None
