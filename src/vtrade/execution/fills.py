"""The fill model: what an order gets, at what price, from which liquidity.

- Taking (`take`): walk the shared book from the touch, never past the limit; what the book
  cannot give now rests (never a made-up price).
- Working remainders (`take` with a cap): at most the profile's participation in the volume the
  market printed since the last step. A limit the market stays through works the same way
  within its limit, at the book's prices.
- Resting limits (`make`): reached by a share of the volume that prints at or through their
  price, in time priority among our own orders.
- Auctions (`auction`): the official open or close, plus square-root impact on the order's size
  (no spread is paid in an auction).
- Frictionless: everything at the mid, at once, free.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Protocol

import numpy as np

from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.domain.market_data import BookLevel, Side
from vtrade.domain.orders import Order, Slice
from vtrade.execution.accounting import exact_mid
from vtrade.execution.fees import Liquidity
from vtrade.execution.profiles import RealismProfile
from vtrade.market.books import OrderBooks, Touch, to_price
from vtrade.market.intraday import Prints
from vtrade.market.profiles import CLOSING_AUCTION, OPENING_AUCTION, kind_of

_SHARES = frozenset({AssetClass.EQUITY, AssetClass.ETF})
ZERO = Decimal(0)
QUEUE_STOPPED = Decimal("Infinity")  # `make`: an earlier resting order was left unfilled


class VenueMarket(Protocol):
    """What the venue needs from the market."""

    books: OrderBooks

    def touch(self, symbol: str, t_ns: int) -> Touch: ...

    def prints(self, symbol: str, start_ns: int, end_ns: int) -> Prints: ...

    def official_price(self, symbol: str, t_ns: int, which: str) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class Execution:
    slices: tuple[Slice, ...]
    touch: Decimal  # best opposite price quoted (the auction price for auctions)
    mid: Decimal  # mid when executed
    liquidity: Liquidity
    auction: str | None = None  # the auction it crossed in: "open" or "close"

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


def notional_lots(notional: Decimal, price: Decimal, inst: Instrument) -> Decimal:
    """The whole lots `notional` (quote currency) buys at `price`: none when under one."""
    return floor_lots(notional / (price * inst.multiplier), inst.lot_size)


FeeOf = Callable[[Decimal, Decimal], Decimal]  # the fees (quote currency) of a qty at a price


def lots_after_fees(
    notional: Decimal, price: Decimal, inst: Instrument, fee: FeeOf | None
) -> tuple[Decimal, Decimal]:
    """The whole lots a buy of `notional` comes to at `price` once its fees are paid out of
    it, and the fees of the lots the whole notional buys (zero when it buys none, or when
    there is no `fee` to pay out of it: a sell's). Fees grow with quantity: the fewer lots'
    fit as well."""
    most = notional_lots(notional, price, inst)
    if fee is None or most <= 0:
        return most, Decimal(0)
    paid = fee(most, price)
    left = notional - paid
    return (notional_lots(left, price, inst) if left > 0 else Decimal(0)), paid


def level_share(size: Decimal, share: Decimal, unit: Decimal) -> Decimal:
    """What an order may take from a displayed level of `size`: `share` of it in whole
    `unit`s, and at least one unit when the level holds one (half of a one-lot level is that
    lot: skipping it would trade through a better price). As `OrderBooks.consume` takes."""
    whole = floor_lots(size, unit)
    return max(floor_lots(size * share, unit), min(whole, unit))


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
    best = taker_touch(touch, order.side, inst, taken[0].price)
    return Execution(slices, best, mid, Liquidity.TAKER)


def taker_touch(touch: Touch, side: Side, inst: Instrument, best_level: Decimal) -> Decimal:
    """A taker's touch: the quoted one, or the book's best level if better. What earlier
    takings emptied (the order's own slices not refilled yet) is impact, not spread."""
    quoted = opposite_price(touch, side, inst)
    return min(quoted, best_level) if side is Side.BUY else max(quoted, best_level)


def marketable(order: Order, market: VenueMarket, inst: Instrument, arrived_ns: int) -> bool:
    """Whether a limit came to take the market: it was priced at or through the opposite touch
    when it reached the market at `arrived_ns` (a stop-limit: through the mid when its stop
    triggered). Its rest keeps taking the book while the market is within its limit. Any other
    limit came to rest, inside the spread too (there it is the best bid or offer): it fills
    as the maker, at its price, even when the market moves through it, whose flow met it
    first. The feed's touch is a function of time, so this holds across restarts."""
    assert order.limit_price is not None
    if order.triggered:
        if order.arrival_mid is None:
            return False
        return (order.limit_price - order.arrival_mid) * _direction(order.side) > 0
    quoted = opposite_price(market.touch(inst.symbol, arrived_ns), order.side, inst)
    return (order.limit_price - quoted) * _direction(order.side) >= 0


def fill_unit(order: Order, inst: Instrument) -> Decimal:
    """Whole-share orders fill in whole shares (an exchange trades shares; only the broker
    splits them); others, and every coin or contract, in lots: 1 BTC fills in the book's
    fractions of a coin."""
    return unit_for(order.qty, inst)


def unit_for(qty: Decimal, inst: Instrument) -> Decimal:
    """The unit an order for `qty` fills in (`fill_unit`)."""
    whole = qty % 1 == 0 and inst.lot_size < 1 and inst.asset_class in _SHARES
    return Decimal(1) if whole else inst.lot_size


def walk(
    levels: Sequence[BookLevel],
    side: Side,
    qty: Decimal,
    limit_price: Decimal | None,
    *,
    share: Decimal = Decimal(1),
    unit: Decimal,
) -> tuple[Slice, ...]:
    """Return the slices an order of `side` for `qty` would take from `levels` (a book
    snapshot, best first) as `OrderBooks.consume` takes them: never past the limit, at most
    `share` of each level, in multiples of `unit`. Nothing is taken: the book stays as it is."""
    sign = 1 if side is Side.BUY else -1
    taken: list[Slice] = []
    left = qty
    for level in levels:
        if left <= 0 or (limit_price is not None and (level.price - limit_price) * sign > 0):
            break
        size = min(level_share(level.size, share, unit), left)
        if size <= 0:
            if share < 1:
                continue  # a level under one unit (a fraction of a share); the next may not be
            break
        taken.append(Slice(price=level.price, qty=size))
        left -= size
    return tuple(taken)


def market_price(
    market: VenueMarket,
    order: Order,
    inst: Instrument,
    t_ns: int,
    profile: RealismProfile,
    qty: Decimal | None = None,
) -> Decimal:
    """The average price a market order (for `qty`, default its own) pays now: what walking
    the book costs, taking what
    its profile takes of each level, with what the book does not show priced at its deepest
    level (the touch when frictionless, or when the book shows nothing). What a cash-only
    buy's cash must cover: its fill walks the book."""
    wanted = order.qty if qty is None else qty
    return walk_price(market, inst, order.side, wanted, t_ns, profile, fill_unit(order, inst))


def walk_price(
    market: VenueMarket,
    inst: Instrument,
    side: Side,
    qty: Decimal,
    t_ns: int,
    profile: RealismProfile,
    unit: Decimal,
) -> Decimal:
    """The average price a market order on `side` for `qty`, filling in `unit`s, pays now
    (`market_price`)."""
    touch = opposite_price(market.touch(inst.symbol, t_ns), side, inst)
    if not profile.friction:
        return touch
    book = market.books.book(inst.symbol, t_ns, market.books.levels)
    levels = book.asks if side is Side.BUY else book.bids
    wanted = floor_lots(qty, inst.lot_size)
    slices = walk(levels, side, wanted, None, share=profile.depth_share, unit=unit)
    if not slices:
        return touch
    walked = sum((s.qty for s in slices), Decimal(0))
    cost = sum((s.price * s.qty for s in slices), Decimal(0))
    average = (cost + (wanted - walked) * slices[-1].price) / wanted
    return max(average, touch) if side is Side.BUY else min(average, touch)


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
        total += level_share(level.size, profile.depth_share, fill_unit(order, inst))
    return total


def make(
    order: Order,
    inst: Instrument,
    prints: Prints,
    already: Decimal,
    profile: RealismProfile,
    mid: Decimal,
) -> tuple[Execution | None, Decimal]:
    """Fill a resting limit from the volume that printed at or through its price.

    `mid` is the market's mid at the fill: the receipt's drift runs to it, and the order's own
    price is its touch (it is the quote it fills at), so its spread cost is that price against
    the mid: negative when it earns the spread, positive when the market came through it.

    `already` is what our earlier-priority orders on this side took from the same volume this
    step (`QUEUE_STOPPED`: one was left unfilled); return the execution and the new total.
    Orders come in price-time priority, so what reaches a later order reached the earlier ones
    too: one the market left unfilled stops the queue, whatever share of the volume reaches
    the later ones (a realistic account's half took what a harsh one's quarter ahead of it
    could not).
    """
    assert order.limit_price is not None
    if already == QUEUE_STOPPED:
        return None, already
    aggressors = prints.side < 0 if order.side is Side.BUY else prints.side > 0
    hit = aggressors & reaching(order, prints.price)
    reach = Decimal(repr(float(np.sum(prints.size[hit])))) * profile.maker_share
    room = max(floor_lots(min(order.remaining, reach - already), fill_unit(order, inst)), ZERO)
    taken = already + room if room == order.remaining else QUEUE_STOPPED
    if not room:
        return None, taken
    price = order.limit_price
    return Execution((Slice(price=price, qty=room),), price, mid, Liquidity.MAKER), taken


def reaching(order: Order, prices: Any) -> Any:
    """Which of `prices` (an array, or one float) reach a resting limit `order`: sellers
    hitting bids at or below a buy's price, buyers lifting offers at or above a sell's."""
    assert order.limit_price is not None
    limit = float(order.limit_price)
    return prices <= limit + 1e-12 if order.side is Side.BUY else prices >= limit - 1e-12


def auction_price(side: Side, inst: Instrument, official: Decimal, qty: Decimal) -> Decimal:
    """The official price moved by the impact of `qty` crossing on `side` of an auction."""
    move = impact(inst, qty)
    return to_price(float(official) * (1 + _direction(side) * move), inst.tick_size)


def auction_volume(inst: Instrument, which: str) -> Decimal | None:
    """The volume the opening or closing auction of `inst` typically crosses: its venue's share
    of the average day; None for a venue without a known share."""
    shares = CLOSING_AUCTION if which == "close" else OPENING_AUCTION
    share = shares.get(kind_of(inst.calendar))
    return None if share is None else Decimal(repr(share * inst.market.avg_daily_volume))


def impact(inst: Instrument, qty: Decimal) -> float:
    """Square-root impact beyond the half-spread, as a fraction: gamma * (Q / V_avg) ** alpha."""
    m = inst.market
    return float(m.impact_gamma * (float(qty) / m.avg_daily_volume) ** m.impact_alpha)


def _direction(side: Side) -> int:
    return 1 if side is Side.BUY else -1
