"""One clearing per auction: our orders crossing in an opening or closing auction, on one
side, clear together as a single-price auction does (NYSE, Nasdaq, LSE, Xetra). They are
ranked market orders first (the best price there), then limits by price, the best first,
each in time priority; they share what the auction crosses in that order, and all pay one
price: the official price moved by the impact of everything our orders add on that side,
never past the limit of any order that crosses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrade.core.clock import NS_PER_DAY
from vtrade.core.money import largest_fitting
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Slice
from vtrade.execution.fees import Liquidity
from vtrade.execution.fills import Execution, auction_price, fill_unit, floor_lots

if TYPE_CHECKING:
    from collections.abc import Sequence

    from vtrade.domain.instruments import Instrument
    from vtrade.domain.orders import Order


# An auction, as our orders on one side cross in it: (symbol, side, "open" or "close", UTC
# day), see `key`
AuctionKey = tuple[str, Side, str, int]


def key(symbol: str, side: Side, which: str, t_ns: int) -> AuctionKey:
    """Which auction an order of `side` in `symbol` trades in at `t_ns`: every venue with
    auctions holds its open and close within one UTC day, and its meets after the close (as
    late as New York's winter 21:00) too."""
    return symbol, side, which, t_ns // NS_PER_DAY


@dataclass(frozen=True, slots=True)
class Clearing:
    """How an auction clears our orders on one side: what each crosses, at one price."""

    price: Decimal
    shares: dict[str, Decimal]  # by order id; 0 for one that crosses nothing


def _priority(order: Order) -> tuple[int, Decimal, int]:
    """An order's rank in an auction: market orders first, then limits by price, the best
    first, each in time priority."""
    if order.limit_price is None:
        return 0, Decimal(0), order.seq
    best = -order.limit_price if order.side is Side.BUY else order.limit_price
    return 1, best, order.seq


def clear(
    offers: Sequence[tuple[Order, Decimal]],
    inst: Instrument,
    official: Decimal,
    volume: Decimal | None,
    crossed: Decimal,
) -> Clearing:
    """Clear `offers` (an order and what it offers to cross, all on one side) at the auction
    that crosses `volume` (None: no cap) at `official`, after `crossed` our orders crossed
    there already: in priority order, each takes what the volume leaves, as much as keeps
    the price that all of it moves the auction to within its limit; an order that cannot
    cross at all ends it (those after it have worse limits)."""
    ranked = sorted(offers, key=lambda offer: _priority(offer[0]))
    shares = {order.id: Decimal(0) for order, _ in ranked}
    total = crossed
    for order, offered in ranked:
        unit = fill_unit(order, inst)
        qty = floor_lots(offered, unit)
        if qty <= 0:  # (a notional order that comes to less than a lot: it is canceled)
            continue
        if volume is not None:
            qty = min(qty, floor_lots(volume - total, unit))
        qty = _within_limit(order, inst, official, total, qty)
        if qty <= 0:
            break
        shares[order.id] = qty
        total += qty
    side = ranked[0][0].side if ranked else Side.BUY
    return Clearing(auction_price(side, inst, official, total), shares)


def frictionless(order: Order, official: Decimal, which: str) -> Execution | None:
    """Execute the remainder of a frictionless `order` in the auction `which` ("open" or
    "close"): all of it at the official price if its limit allows (it takes no liquidity,
    so it is not cleared with our other orders)."""
    if not _within(order, official):
        return None
    return execution(order, order.remaining, official, official, which)


def execution(
    order: Order, qty: Decimal, price: Decimal, official: Decimal, which: str
) -> Execution | None:
    """`qty` of `order` crossed at `price` in the auction `which` (None: nothing crossed)."""
    if qty <= 0:
        return None
    slices = (Slice(price=price, qty=qty),)
    return Execution(slices, official, official, Liquidity.AUCTION, which)


def _within_limit(
    order: Order, inst: Instrument, official: Decimal, before: Decimal, qty: Decimal
) -> Decimal:
    """What of `qty` crosses within the order's limit after `before` crossed on its side: all
    of it, or the largest size whose impact, with `before`'s, keeps the price within it."""
    if qty <= 0:
        return Decimal(0)

    def within(q: Decimal) -> bool:
        return _within(order, auction_price(order.side, inst, official, before + q))

    if within(qty):
        return qty
    return largest_fitting(within, Decimal(0), qty, fill_unit(order, inst))


def _within(order: Order, price: Decimal) -> bool:
    """Whether `order` may trade at `price`: a market order at any, a limit at its limit or
    better."""
    limit = order.limit_price
    return limit is None or (price - limit) * (1 if order.side is Side.BUY else -1) <= 0
