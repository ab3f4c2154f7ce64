"""The fill model: what an order gets, at what price, from which liquidity.

- Taking (`take`): walk the shared book from the touch, never past the limit; what the book
  cannot give now rests (never a made-up price).
- Working remainders (`take` with a cap): at most the profile's participation in the volume the
  market printed since the last step.
- Resting limits (`make`): reached by a share of the volume that prints at or through their
  price, in time priority among our own orders.
- Auctions (`auction`): the official open or close, plus square-root impact on the order's size
  (no spread is paid in an auction).
- Frictionless: everything at the mid, at once, free.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Protocol

import numpy as np

from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import Side
from vtrade.domain.orders import Order, Slice
from vtrade.execution.accounting import exact_mid
from vtrade.execution.fees import Liquidity
from vtrade.execution.profiles import RealismProfile
from vtrade.market.books import OrderBooks, Touch, to_price
from vtrade.market.intraday import Prints
from vtrade.market.profiles import CLOSING_AUCTION, kind_of


class VenueMarket(Protocol):
    """What the venue needs from the market."""

    books: OrderBooks

    def touch(self, symbol: str, t_ns: int) -> Touch: ...

    def prints(self, symbol: str, start_ns: int, end_ns: int) -> Prints: ...

    def official_price(self, symbol: str, t_ns: int, which: str) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class Execution:
    slices: tuple[Slice, ...]
    touch: Decimal  # best opposite price before taking (the auction price for auctions)
    mid: Decimal  # mid when executed
    liquidity: Liquidity

    @property
    def qty(self) -> Decimal:
        return sum((s.qty for s in self.slices), Decimal(0))


def mid_of(touch: Touch, inst: Instrument) -> Decimal:
    return exact_mid(touch, inst.tick_size)


def opposite_price(touch: Touch, side: Side, inst: Instrument) -> Decimal:
    """The best price an order of `side` meets at `touch` (the ask for a buy, the bid for a
    sell), as an exact decimal on the tick grid."""
    return to_price(touch.ask if side is Side.BUY else touch.bid, inst.tick_size)


def floor_lots(qty: Decimal, lot: Decimal) -> Decimal:
    return (qty / lot).to_integral_value(rounding=ROUND_FLOOR) * lot


def take(
    market: VenueMarket,
    order: Order,
    inst: Instrument,
    t_ns: int,
    profile: RealismProfile,
    cap: Decimal | None = None,
) -> Execution | None:
    """Take liquidity now for up to `cap` (default: all that remains) of `order`."""
    touch = market.touch(inst.symbol, t_ns)
    mid = mid_of(touch, inst)
    limit = order.limit_price
    wanted = order.remaining if cap is None else min(order.remaining, cap)
    unit = fill_unit(order, inst)
    wanted = floor_lots(wanted, unit if cap is not None else inst.lot_size)
    if wanted <= 0:
        return None
    if not profile.friction:
        if limit is not None and (mid - limit) * _direction(order.side) > 0:
            return None
        return Execution((Slice(price=mid, qty=wanted),), mid, mid, Liquidity.TAKER)
    taken = market.books.consume(
        inst.symbol, order.side, wanted, t_ns, limit, share=profile.depth_share, unit=unit
    )
    if not taken:
        return None
    slices = tuple(Slice(price=level.price, qty=level.size) for level in taken)
    return Execution(slices, taken[0].price, mid, Liquidity.TAKER)  # the best level available


def crossed(
    market: VenueMarket,
    order: Order,
    inst: Instrument,
    t_ns: int,
    profile: RealismProfile,
    already: Decimal,
) -> tuple[Execution | None, Decimal]:
    """Fill a resting limit the market has moved through, at its own price, as the maker:
    the sellers (buyers) who crossed its price met it there first, so it gets no better price
    than its limit, and pays maker fees. It gets what the book shows through its limit, less
    what earlier-priority orders of ours took this step (`already`); the book itself is not
    consumed (that flow was the market's). Return the execution and the new total taken."""
    assert order.limit_price is not None
    room = floor_lots(
        min(order.remaining, available(market, order, inst, t_ns, profile) - already),
        fill_unit(order, inst),
    )
    if room <= 0:
        return None, already
    price = order.limit_price
    mid = mid_of(market.touch(inst.symbol, t_ns), inst)
    return Execution((Slice(price=price, qty=room),), price, mid, Liquidity.MAKER), already + room


def fill_unit(order: Order, inst: Instrument) -> Decimal:
    """Whole-share orders fill in whole shares; others in lots."""
    return Decimal(1) if order.qty % 1 == 0 and inst.lot_size < 1 else inst.lot_size


def available(
    market: VenueMarket, order: Order, inst: Instrument, t_ns: int, profile: RealismProfile
) -> Decimal:
    """Quantity the order could take now within its limit (what a fill-or-kill can get)."""
    book = market.books.book(inst.symbol, t_ns, market.books.levels)
    levels = book.asks if order.side is Side.BUY else book.bids
    limit = order.limit_price
    total = Decimal(0)
    for level in levels:
        if limit is not None and (level.price - limit) * _direction(order.side) > 0:
            break
        total += floor_lots(level.size * profile.depth_share, fill_unit(order, inst))
    return total


def make(
    order: Order, inst: Instrument, prints: Prints, already: Decimal, profile: RealismProfile
) -> tuple[Execution | None, Decimal]:
    """Fill a resting limit from the volume that printed at or through its price.

    `already` is what our earlier-priority orders on this side took from the same volume this
    step; return the execution and the new total taken.
    """
    assert order.limit_price is not None
    limit = float(order.limit_price)
    if order.side is Side.BUY:  # sellers hitting bids at or below our price reach us
        hit = (prints.side < 0) & (prints.price <= limit + 1e-12)
    else:
        hit = (prints.side > 0) & (prints.price >= limit - 1e-12)
    reach = Decimal(repr(float(np.sum(prints.size[hit])))) * profile.maker_share
    room = floor_lots(min(order.remaining, reach - already), fill_unit(order, inst))
    if room <= 0:
        return None, already
    price = order.limit_price
    return Execution((Slice(price=price, qty=room),), price, price, Liquidity.MAKER), already + room


def auction(
    market: VenueMarket,
    order: Order,
    inst: Instrument,
    t_ns: int,
    which: str,
    profile: RealismProfile,
    crossed_already: Decimal = Decimal(0),
) -> Execution | None:
    """Execute the remainder in the opening or closing auction, if its limit allows. A closing
    auction crosses about its share of the day's volume (`profiles.CLOSING_AUCTION`: 8% in the
    US): our orders in it, together (`crossed_already` is what earlier ones took), get no more
    than all of it; what is left is not filled there."""
    official = market.official_price(inst.symbol, t_ns, which)
    if (
        order.limit_price is not None
        and (official - order.limit_price) * _direction(order.side) > 0
    ):
        return None
    price = official
    if profile.friction:
        move = impact(inst, order.remaining)
        price = to_price(float(official) * (1 + _direction(order.side) * move), inst.tick_size)
        if (
            order.limit_price is not None
            and (price - order.limit_price) * _direction(order.side) > 0
        ):
            price = order.limit_price
    qty = order.remaining
    crossed = closing_auction_volume(inst) if which == "close" and profile.friction else None
    if crossed is not None:
        qty = min(qty, floor_lots(crossed - crossed_already, fill_unit(order, inst)))
        if qty <= 0:
            return None
    slices = (Slice(price=price, qty=qty),)
    return Execution(slices, official, official, Liquidity.AUCTION)


def closing_auction_volume(inst: Instrument) -> Decimal | None:
    """The volume a closing auction of `inst` typically crosses: its venue's share of the
    average day (`profiles.CLOSING_AUCTION`); None for a venue without a known share."""
    share = CLOSING_AUCTION.get(kind_of(inst.calendar))
    return None if share is None else Decimal(repr(share * inst.market.avg_daily_volume))


def impact(inst: Instrument, qty: Decimal) -> float:
    """Square-root impact beyond the half-spread, as a fraction: gamma * (Q / V_avg) ** alpha."""
    m = inst.market
    return float(m.impact_gamma * (float(qty) / m.avg_daily_volume) ** m.impact_alpha)


def _direction(side: Side) -> int:
    return 1 if side is Side.BUY else -1
