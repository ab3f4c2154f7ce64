"""Order books over any quote source: lazy L2 depth plus the shared liquidity our orders take.

The feed (synthetic, replay, live) says where the touch is at an instant; this layer adds the
levels behind it (`book.DepthModel`) and subtracts what our own orders have consumed
(`book.Liquidity`), so the execution engine sees the same books whatever the feed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Protocol

from vtrade.core.errors import ValidationError
from vtrade.domain.instruments import Instrument
from vtrade.domain.market_data import BookLevel, BookSnapshot, Quote, Side
from vtrade.market.book import DepthModel, Liquidity


@dataclass(frozen=True, slots=True)
class Touch:
    """Best bid and offer as floats, and how deep the book is now relative to typical (1.0)."""

    ts: int
    bid: float
    ask: float
    bid_size: float
    ask_size: float
    depth: float = 1.0

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


class TouchSource(Protocol):
    def touch(self, symbol: str, t_ns: int) -> Touch:
        """Return the untouched best bid and offer in force at `t_ns`."""
        ...


class FeedTouches:
    """Adapt any `Feed` (e.g. a replay) to a touch source; depth follows the touch sizes."""

    def __init__(self, quote: Callable[[str, int], Quote]) -> None:
        self._quote = quote

    def touch(self, symbol: str, t_ns: int) -> Touch:
        q = self._quote(symbol, t_ns)
        return Touch(q.ts_event, float(q.bid), float(q.ask), float(q.bid_size), float(q.ask_size))


class OrderBooks:
    """L2 books for the instruments of `instrument`, over the touches of `source`."""

    def __init__(
        self, source: TouchSource, instrument: Callable[[str], Instrument], levels: int = 20
    ) -> None:
        self._source = source
        self._instrument = instrument
        self.levels = levels
        self._depth: dict[str, DepthModel] = {}
        self._liquidity: dict[str, Liquidity] = {}
        self._walked: dict[tuple[str, int], _Walked] = {}  # by (symbol, side), see `_walk_side`

    def depth_model(self, inst: Instrument) -> DepthModel:
        if inst.symbol not in self._depth:
            self._depth[inst.symbol] = DepthModel.for_instrument(inst)
        return self._depth[inst.symbol]

    def quote(self, symbol: str, t_ns: int) -> Quote:
        """Top of book at `t_ns`, after our own consumption and its displacement of the mid."""
        book = self.book(symbol, t_ns, depth=1)
        return Quote(
            symbol=book.symbol,
            ts_event=book.ts_event,
            bid=book.bids[0].price,
            ask=book.asks[0].price,
            bid_size=book.bids[0].size,
            ask_size=book.asks[0].size,
        )

    def book(self, symbol: str, t_ns: int, depth: int = 10) -> BookSnapshot:
        """L2 book at `t_ns` with `depth` levels per side (at most `levels`)."""
        inst = self._instrument(symbol)
        if not 1 <= depth <= self.levels:
            raise ValidationError(f"depth must be 1..{self.levels}, got {depth}")
        bids, asks, ts = self._levels(inst, t_ns, depth)
        return BookSnapshot(
            symbol=inst.symbol,
            ts_event=ts,
            bids=tuple(self._level(inst, p, q) for p, q in bids),
            asks=tuple(self._level(inst, p, q) for p, q in asks),
        )

    def consume(
        self,
        symbol: str,
        side: Side,
        qty: Decimal,
        t_ns: int,
        limit_price: Decimal | None = None,
        *,
        share: Decimal = Decimal(1),
        unit: Decimal | None = None,
    ) -> list[BookLevel]:
        """Take up to `qty` from the book at `t_ns` for an aggressive order of `side`.

        Walk the opposite side from the touch, no further than `limit_price`, taking at most
        `share` of each level in multiples of `unit` (default: the lot), and return the slices
        taken (price, size). What is taken is gone for every later caller until it refills; the
        mid is displaced by half the impact paid.
        """
        inst = self._instrument(symbol)
        if qty <= 0:
            raise ValidationError(f"quantity must be positive, got {qty}")
        if qty % inst.lot_size:
            raise ValidationError(
                f"quantity {qty} is not a multiple of the lot size {inst.lot_size} of {symbol}"
            )
        book_side = 1 if side is Side.BUY else -1
        # lazy: takes recorded during the walk are at prices the walk has already passed
        levels = self._walk_side(inst, t_ns, book_side)
        walked = self._walked[(inst.symbol, book_side)]
        limit = _limit_ticks(limit_price, inst.tick_size, book_side)
        liq = self._liquidity_of(inst)
        model = self.depth_model(inst)
        remaining = int(qty / inst.lot_size)
        per = int((unit or inst.lot_size) / inst.lot_size)  # lots per unit
        fraction = float(share)
        taken: list[BookLevel] = []
        ticks: list[int] = []
        for price_ticks, size in levels:
            if remaining <= 0 or (limit is not None and (price_ticks - limit) * book_side > 0):
                break
            # `share` of the level in whole units, at least one where it holds one: skipping a
            # level too small to halve would trade through its better price
            whole = int(size / model.lot + 1e-6) // per * per
            takeable = max(int(size * fraction / model.lot + 1e-6) // per * per, min(whole, per))
            lots = min(takeable, remaining)
            if lots <= 0:
                if fraction < 1:
                    continue  # a level under one unit (a fraction of a share); the next may not be
                break
            liq.take(book_side, price_ticks, lots * model.lot, t_ns)
            walked.sizes.pop(price_ticks, None)  # that level is smaller now
            taken.append(
                BookLevel(
                    price=to_price(price_ticks * model.tick, inst.tick_size),
                    size=(lots * inst.lot_size).quantize(inst.lot_size),
                )
            )
            ticks.append(price_ticks)
            remaining -= lots
        units = (int(qty / inst.lot_size) - remaining) * model.lot
        if taken and self._pushed(liq, model, ticks, book_side, units, t_ns):
            self._walked.pop((inst.symbol, -book_side), None)
            walked.sizes.clear()
        return taken

    def replay(
        self, symbol: str, side: Side, taken: list[tuple[Decimal, Decimal]], t_ns: int
    ) -> None:
        """Record again what an earlier `consume` took (its slices as (price, size), as a
        fill's receipt keeps them), so a restarted process sees the book its predecessor left:
        takes not yet refilled, the mid still displaced. Replay in the order they were made."""
        inst = self._instrument(symbol)
        liq = self._liquidity_of(inst)
        model = self.depth_model(inst)
        book_side = 1 if side is Side.BUY else -1
        ticks = [int(price / inst.tick_size) for price, _ in taken]
        lots = 0  # whole lots, multiplied once as `consume` does: the flow's float is the same
        for price_ticks, (_, size) in zip(ticks, taken, strict=True):
            liq.take(book_side, price_ticks, int(size / inst.lot_size) * model.lot, t_ns)
            lots += int(size / inst.lot_size)
        if ticks:
            self._pushed(liq, model, ticks, book_side, lots * model.lot, t_ns)
        self._walked.clear()

    def forget_consumption(self) -> None:
        """Forget every take and push: the books as the feed alone has them."""
        self._liquidity.clear()
        self._walked.clear()

    def _liquidity_of(self, inst: Instrument) -> Liquidity:
        liq = self._liquidity.get(inst.symbol)
        if liq is None:
            liq = self._liquidity[inst.symbol] = Liquidity.for_instrument(inst)
        return liq

    @staticmethod
    def _pushed(
        liq: Liquidity, model: DepthModel, ticks: list[int], side: int, units: float, t_ns: int
    ) -> bool:
        """Displace the mid by half of what a walk of `units` over levels `ticks` paid beyond
        its first, and on as far as the flow from that `side` holds it (`Liquidity.flow`); tell
        whether levels long refilled were forgotten (they count as untouched from now)."""
        walked = (ticks[-1] - ticks[0]) * model.tick
        liq.push(walked, t_ns)
        liq.flow(model, side, units, ticks[0] * model.tick, walked, t_ns)
        return liq.forget_before(t_ns)

    def _walk_side(self, inst: Instrument, t_ns: int, side: int) -> Iterator[tuple[int, float]]:
        """The levels of one side at `t_ns` (after our takes), lazily, best first."""
        touch = self._source.touch(inst.symbol, t_ns)
        model = self.depth_model(inst)
        liq = self._liquidity.get(inst.symbol)
        if liq is not None and not liq.takes and not liq.pushes:
            liq = None
        shift = round(liq.displacement(t_ns) / model.tick) if liq is not None else 0
        price, size = (touch.ask, touch.ask_size) if side == 1 else (touch.bid, touch.bid_size)
        key = (t_ns, price, size, touch.depth, shift)
        walked = self._walked.get((inst.symbol, side))
        if walked is None or walked.key != key:
            walked = self._walked[(inst.symbol, side)] = _Walked(key)
        walk = self._walk(
            model, liq, side, price, size, touch.depth, shift, self.levels, t_ns, walked
        )
        return itertools.islice(walk, self.levels)  # the visible book, no deeper

    def _levels(
        self, inst: Instrument, t_ns: int, depth: int, only: int = 0
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]], int]:
        """Return (bids, asks, ts): levels as (price in ticks, size), best first.

        `only` = 1 builds the asks alone, -1 the bids alone (the other list comes back empty).
        """
        touch = self._source.touch(inst.symbol, t_ns)
        model = self.depth_model(inst)
        liq = self._liquidity.get(inst.symbol)
        if liq is not None and not liq.takes and not liq.pushes:
            liq = None
        shift = round(liq.displacement(t_ns) / model.tick) if liq is not None else 0
        sides: dict[int, list[tuple[int, float]]] = {-1: [], 1: []}
        for side, price, touch_size in (
            (-1, touch.bid, touch.bid_size),
            (1, touch.ask, touch.ask_size),
        ):
            if only and side != only:
                continue
            walk = self._walk(model, liq, side, price, touch_size, touch.depth, shift, depth, t_ns)
            sides[side] = list(itertools.islice(walk, depth))
        return sides[-1], sides[1], touch.ts

    def _walk(
        self,
        model: DepthModel,
        liq: Liquidity | None,
        side: int,
        price: float,
        touch_size: float,
        depth_mult: float,
        shift: int,
        depth: int,
        t_ns: int,
        walked: _Walked | None = None,
    ) -> Iterator[tuple[int, float]]:
        """Yield the side's levels best first, lazily: a walk evaluates only what it takes.

        Sizes found are kept in `walked`, if given, for the next walk of the same side at the
        same instant: orders worked together walk past the same emptied levels.
        """
        step = model.step_ticks(price)
        base = round(price / model.tick)
        # deep enough that sweeps taking every displayed level still leave `depth` to show
        sizes = [touch_size, *model.level_sizes(price, depth + 4 * self.levels, depth_mult)]
        unit = model.unit
        known = walked.sizes if walked is not None else {}
        for k, size in enumerate(sizes):
            price_ticks = base + shift + side * k * step
            if price_ticks <= 0:
                break
            found = known.get(price_ticks)
            if found is None:
                if liq is not None:
                    taken = liq.taken_at(side, price_ticks, t_ns)
                    if taken > 0:
                        size = _after_taking(
                            size,
                            _unshifted(sizes, price_ticks - base, side, step, unit, size),
                            taken,
                        )
                found = known[price_ticks] = math.floor(size / unit + 1e-9) * unit
            if found > 0:
                yield price_ticks, found

    def _level(self, inst: Instrument, price_ticks: int, size: float) -> BookLevel:
        unit = Decimal(1) if self.depth_model(inst).unit >= 1 else inst.lot_size
        return BookLevel(
            price=(price_ticks * inst.tick_size).quantize(inst.tick_size), size=to_qty(size, unit)
        )


@dataclass(slots=True)
class _Walked:
    """Level sizes of one book side as walks found them, valid while `key` (instant, touch,
    depth, displacement) holds; a take forgets the level it took from."""

    key: tuple[int, float, float, float, int]
    sizes: dict[int, float] = field(default_factory=dict)  # by price in ticks


def _unshifted(
    sizes: list[float], offset: int, side: int, step: int, unit: float, default: float
) -> float:
    """Displayed size the undisplaced book has `offset` ticks from its touch (or `default`)."""
    k, rest = divmod(offset * side, step)
    if rest or not 0 <= k < len(sizes):
        return default
    return math.floor(sizes[k] / unit + 1e-9) * unit


def _after_taking(size: float, unshifted: float, taken: float) -> float:
    """Size left at a level after our takes, where the displaced book shows `size`.

    The displaced book must not re-offer what we took: the extra size the shift brings to a
    price is withheld in proportion to how much of that price's own size was taken, so it comes
    back continuously as the level refills.
    """
    if taken <= 0:
        return size
    share = min(1.0, taken / max(unshifted, 1e-12))
    return size - taken - max(0.0, size - unshifted) * share


def _limit_ticks(limit: Decimal | None, tick: Decimal, book_side: int) -> int | None:
    """The furthest level a limit allows, in whole ticks (buys round down, sells round up)."""
    if limit is None:
        return None
    steps = limit / tick
    return int(steps.to_integral_value(rounding=ROUND_FLOOR if book_side > 0 else ROUND_CEILING))


def to_price(value: float, tick: Decimal) -> Decimal:
    """Convert a float on (or near) the tick grid to an exact Decimal multiple of `tick`."""
    return (Decimal(round(value / float(tick))) * tick).quantize(tick)


def to_qty(value: float, lot: Decimal) -> Decimal:
    """Convert a float quantity to an exact Decimal multiple of `lot` (rounding down)."""
    return (Decimal(int(value / float(lot) + 1e-9)) * lot).quantize(lot)
