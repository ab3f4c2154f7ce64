"""Minutes and ticks inside one trading day, consistent with the day's OHLC.

The minute path is a variance-time Brownian bridge with Student-t steps from each segment's
first price to its last (pre-market: first trade -> open; regular: open -> close; post: close
-> last), shaped by the intraday profile. A monotone stretch then makes the regular session
touch exactly the day's high and low. Ticks inside a minute repeat the construction one level
down, so tick prints, minute bars and daily bars always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vtrade.core.clock import NS_PER_MINUTE
from vtrade.domain.instruments import Instrument
from vtrade.market import profiles
from vtrade.market.daily import DailyPath
from vtrade.market.rng import standard_t, stream

PRE, REGULAR, POST = 0, 1, 2
AUCTION = 0  # a print's side when it is an auction's cross: nobody's aggressor
_PRE_VOLUME, _POST_VOLUME = 0.04, 0.03
_MINUTE_DOF = 5.0


@dataclass(frozen=True, slots=True)
class DayMinutes:
    """One day's minutes of one instrument (log prices, volumes, spread and depth multipliers)."""

    ts: np.ndarray
    segment: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    spread: np.ndarray
    depth: np.ndarray
    cross: np.ndarray  # of `volume`, the closing auction's (the session's last minute only)


Prices = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # log open, high, low, close


@dataclass(frozen=True, slots=True)
class _Regular:
    """A day's regular minutes as `day_minutes` draws them first (`rng` then goes on to the
    extended hours' minutes)."""

    rng: np.random.Generator
    kind: str  # of venue (`profiles.kind_of`)
    ts: np.ndarray
    profile: profiles.Profile
    auction: float
    weights: np.ndarray  # of the day's volume, by minute
    prices: Prices


def _regular(inst: Instrument, path: DailyPath, d: int, seed: int) -> _Regular:
    days = path.days
    rng = stream(seed, "minutes", inst.symbol, int(days.day[d] // NS_PER_MINUTE))
    kind = profiles.kind_of(inst.calendar)
    reg_ts = np.arange(days.open[d], days.close[d], NS_PER_MINUTE, dtype=np.int64)
    if days.break_start[d] >= 0:
        keep = (reg_ts < days.break_start[d]) | (reg_ts >= days.break_end[d])
        reg_ts = reg_ts[keep]
    prof = profiles.of_session(kind, reg_ts)
    auction = profiles.CLOSING_AUCTION.get(kind, 0.0)
    weights = _weights(rng, prof.volume, auction)
    o, h, lo, c = _segment(rng, path.open[d], path.close[d], path.regular_var[d], prof.variance)
    prices = _touch(o, h, lo, c, path.high[d], path.low[d])
    return _Regular(rng, kind, reg_ts, prof, auction, weights, prices)


def regular_prices(inst: Instrument, path: DailyPath, d: int, seed: int) -> Prices:
    """The log prices of trading day `d`'s regular minutes, as `day_minutes` gives them,
    without their volumes or extended hours (a cross's daily high and low need no more)."""
    return _regular(inst, path, d, seed).prices


def day_minutes(inst: Instrument, path: DailyPath, d: int, seed: int) -> DayMinutes:
    """Generate the minutes of trading day `d` of `path`."""
    days = path.days
    reg = _regular(inst, path, d, seed)
    rng, reg_ts, prof, auction, reg_volume = reg.rng, reg.ts, reg.profile, reg.auction, reg.weights
    o, h, lo, c = reg.prices
    lot = float(inst.lot_size)
    total_lots = round(path.volume[d] / lot)
    reg_lots = round_to_total(reg_volume * path.volume[d] / lot, total_lots)
    cross = np.zeros(reg_lots.shape[0])
    if cross.shape[0]:
        cross[-1] = min(reg_lots[-1], round(auction * total_lots)) * lot
    depth = profiles.depth(reg.kind, prof)
    parts = [(reg_ts, REGULAR, (o, h, lo, c), reg_lots * lot, prof, cross, depth)]
    if inst.extended_hours:
        for seg, t0, t1, a, b, var, share in (
            (
                PRE,
                days.start[d],
                days.open[d],
                path.first[d],
                path.open[d],
                path.pre_var[d],
                _PRE_VOLUME,
            ),
            (
                POST,
                days.close[d],
                days.end[d],
                path.close[d],
                path.last[d],
                path.post_var[d],
                _POST_VOLUME,
            ),
        ):
            ts = np.arange(t0, t1, NS_PER_MINUTE, dtype=np.int64)
            if ts.shape[0]:
                ext = profiles.extended(ts)
                vol = np.rint(_weights(rng, ext.volume, 0.0) * share * path.volume[d] / lot) * lot
                ohlc = _segment(rng, a, b, var, ext.variance)
                # a minute's volume there over a regular minute's, on average
                ratio = share * reg_ts.shape[0] / ts.shape[0]
                thin = profiles.extended_depth(prof, ext, ratio)
                parts.append((ts, seg, ohlc, vol, ext, np.zeros(ts.shape[0]), thin))
    parts.sort(key=lambda p: int(p[0][0]) if p[0].shape[0] else 0)
    vol_ratio = float(np.clip(np.sqrt(path.regular_var[d] / _normal_regular_var(inst)), 0.6, 3.0))
    return DayMinutes(
        ts=np.concatenate([p[0] for p in parts]),
        segment=np.concatenate([np.full(p[0].shape[0], p[1], dtype=np.int8) for p in parts]),
        open=np.concatenate([p[2][0] for p in parts]),
        high=np.concatenate([p[2][1] for p in parts]),
        low=np.concatenate([p[2][2] for p in parts]),
        close=np.concatenate([p[2][3] for p in parts]),
        volume=np.concatenate([p[3] for p in parts]),
        spread=np.concatenate([p[4].spread for p in parts]) * vol_ratio,
        depth=np.concatenate([p[6] for p in parts]),
        cross=np.concatenate([p[5] for p in parts]),
    )


def _normal_regular_var(inst: Instrument) -> float:
    sigma = inst.market.daily_volatility
    return max(0.8 * sigma * sigma, 1e-18)


def round_to_total(values: np.ndarray, total: int) -> np.ndarray:
    """Round non-negative values to integers that add up to `total` (largest remainder)."""
    if values.shape[0] == 0:
        return values
    scaled = values * (total / max(values.sum(), 1e-12))
    floor = np.floor(scaled)
    short = int(total - floor.sum())
    if short > 0:
        order = np.argsort(-(scaled - floor), kind="stable")[:short]
        floor[order] += 1
    return floor


def _weights(rng: np.random.Generator, profile: np.ndarray, auction: float) -> np.ndarray:
    """Normalized per-minute volume weights: profile x noise, the closing auction's share in
    the last minute (its bar holds the cross, printed at the close by `ticks`)."""
    if profile.shape[0] == 0:
        return profile
    w = profile * rng.gamma(3.0, 1.0 / 3.0, profile.shape[0])
    w = w / w.sum() * (1.0 - auction)
    w[-1] += auction
    return w


def _segment(
    rng: np.random.Generator, a: float, b: float, var: float, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bridge from log price `a` to `b` with total variance `var` spread by `weights`."""
    n = weights.shape[0]
    w = weights / weights.sum()
    step_var = max(var, 0.0) * w
    e = np.sqrt(step_var) * standard_t(rng, _MINUTE_DOF, n)
    walk = np.cumsum(e)
    closes = a + walk - np.cumsum(w) * (walk[-1] - (b - a))
    closes[-1] = b
    opens = np.r_[a, closes[:-1]]
    return (opens, *_extremes(rng, opens, closes, step_var), closes)


def _extremes(
    rng: np.random.Generator, opens: np.ndarray, closes: np.ndarray, var: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Sample each bridge's max and min given its ends and variance (exact law of the extremes)."""
    b = closes - opens
    up = np.sqrt(b * b - 2.0 * var * np.log(rng.random(b.shape)))
    down = np.sqrt(b * b - 2.0 * var * np.log(rng.random(b.shape)))
    return opens + 0.5 * (b + up), opens + 0.5 * (b - down)


def _touch(
    o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, high: float, low: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stretch the path monotonically so its extremes equal `high` and `low`, ends fixed."""
    top, bottom = max(o[0], c[-1]), min(o[0], c[-1])
    peak, trough = float(h.max()), float(lo.min())

    def stretch(v: np.ndarray) -> np.ndarray:
        out = v.copy()
        above, below = v > top, v < bottom
        if peak > top:
            out[above] = top + (v[above] - top) * (high - top) / (peak - top)
        if trough < bottom:
            out[below] = bottom - (bottom - v[below]) * (bottom - low) / (bottom - trough)
        return out

    h2, lo2 = stretch(h), stretch(lo)
    h2[int(np.argmax(h2))] = high
    lo2[int(np.argmin(lo2))] = low
    return stretch(o), h2, lo2, stretch(c)


@dataclass(frozen=True, slots=True)
class Ticks:
    """Trade prints and the quotes around them (prices in quote currency, on the tick grid).

    A tick of size 0 is a quote update without a trade (thin minutes have fewer lots than
    ticks); the ticks at a minute's open, close, high and low trade first. Where the venue
    has a closing auction, the session's last tick is its cross, at the official close.
    """

    ts: np.ndarray
    price: np.ndarray
    size: np.ndarray
    side: np.ndarray  # +1 buyer-initiated, -1 seller-initiated, 0 the closing cross
    bid: np.ndarray
    ask: np.ndarray
    bid_size: np.ndarray
    ask_size: np.ndarray

    def window(self, lo: int, hi: int) -> Ticks:
        return Ticks(*(getattr(self, f)[lo:hi] for f in _TICK_FIELDS))


_TICK_FIELDS = ("ts", "price", "size", "side", "bid", "ask", "bid_size", "ask_size")


@dataclass(frozen=True, slots=True)
class Prints:
    """Trades only (size > 0): instants, prices, sizes and aggressor sides."""

    ts: np.ndarray
    price: np.ndarray
    size: np.ndarray
    side: np.ndarray

    @classmethod
    def join(cls, parts: list[Ticks]) -> Prints:
        if not parts:
            empty = np.empty(0)
            return cls(empty.astype(np.int64), empty, empty, empty.astype(np.int8))
        arrays = [np.concatenate([getattr(p, f) for p in parts]) for f in _TICK_FIELDS[:4]]
        traded = arrays[2] > 0
        return cls(*(a[traded] for a in arrays))

    @property
    def volume(self) -> float:
        return float(self.size.sum())

    def after(self, t_ns: int) -> Prints:
        """The prints strictly after `t_ns`."""
        keep = self.ts > t_ns
        return Prints(self.ts[keep], self.price[keep], self.size[keep], self.side[keep])


def ticks(
    inst: Instrument,
    minutes: DayMinutes,
    window: tuple[int, int],
    per_minute: int,
    touch: tuple[float, float],
    seed: int,
    follow: np.ndarray | None = None,
) -> Ticks:
    """Generate the ticks of minutes [lo, hi): `per_minute` evenly spaced prints each.

    `touch` is (typical size at the touch, size granularity); sizes follow the intraday
    depth profile. `follow` (log prices, one row of `per_minute` per minute): the path to
    take inside each minute, pinned to its open and close (an FX cross's legs', an ETF's
    index's), instead of a bridge of its own (kept where a row is NaN).
    """
    top_size, unit = touch
    lo, hi = window
    rng = stream(seed, "ticks", inst.symbol, int(minutes.ts[lo] // NS_PER_MINUTE))
    k = per_minute
    o, h, lw, c = (a[lo:hi, None] for a in (minutes.open, minutes.high, minutes.low, minutes.close))
    m = hi - lo
    # a bridge of the minute's own scale: its range is about the minute's (unscaled, unit steps
    # swung ~8 in log price, and the touch squeezed every tick onto the minute's extremes)
    scale = (h - lw) / (2.0 * np.sqrt(k - 1))
    steps = rng.standard_normal((m, k - 1)) * scale
    walk = np.concatenate([np.zeros((m, 1)), np.cumsum(steps, axis=1)], axis=1)
    frac = np.linspace(0.0, 1.0, k)[None, :]
    path = o + walk - frac * (walk[:, -1:]) + frac * (c - o)
    if follow is not None:  # rows of NaN keep their own bridge
        pinned = follow + (o - follow[:, :1]) * (1.0 - frac) + (c - follow[:, -1:]) * frac
        path = np.where(np.isnan(follow[:, :1]), path, pinned)
    path = _touch_rows(path, h[:, 0], lw[:, 0])
    tick = float(inst.tick_size)
    price = np.rint(np.exp(path) / tick) * tick
    move = np.diff(price, axis=1, prepend=price[:, :1])
    side = np.where(move > 0, 1, np.where(move < 0, -1, rng.choice([-1, 1], size=move.shape)))
    spread_ticks = np.maximum(
        1.0,
        np.ceil(
            price
            * inst.market.typical_spread_bps
            * 1e-4
            * minutes.spread[lo:hi, None]
            * np.exp(0.25 * rng.standard_normal((m, k)) - 0.03)
            / tick
        ),
    )
    spread = spread_ticks * tick
    bid = np.where(side > 0, price - spread, price)
    ask = np.where(side > 0, price, price + spread)
    lot = float(inst.lot_size)
    top = top_size * np.sqrt(np.clip(minutes.depth[lo:hi, None], 0.2, 4.0))
    sizes = top * np.exp(0.5 * rng.standard_normal((2, m, k)) - 0.125)
    sizes = np.maximum(unit, np.rint(sizes / unit) * unit)
    cross = np.rint(minutes.cross[lo:hi] / lot).astype(np.int64)
    continuous = np.rint(minutes.volume[lo:hi] / lot).astype(np.int64) - cross
    lots = _split_lots(continuous, rng.gamma(1.0, 1.0, (m, k)), price)
    crossing = cross > 0  # the closing cross prints last, at the close, with no aggressor
    lots[crossing, k - 2] += lots[crossing, k - 1]
    lots[crossing, k - 1] = cross[crossing]
    side[crossing, k - 1] = AUCTION
    ts = minutes.ts[lo:hi, None] + (np.arange(k) * (NS_PER_MINUTE // k))[None, :]
    return Ticks(
        ts=ts.ravel(),
        price=price.ravel(),
        size=(lots * lot).ravel(),
        side=side.ravel().astype(np.int8),
        bid=bid.ravel(),
        ask=ask.ravel(),
        bid_size=sizes[0].ravel(),
        ask_size=sizes[1].ravel(),
    )


def _touch_rows(path: np.ndarray, high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Row-wise `_touch` for tick paths: stretch each row so its max/min equal high/low."""
    first, last = path[:, :1], path[:, -1:]
    top, bottom = np.maximum(first, last), np.minimum(first, last)
    peak, trough = path.max(axis=1, keepdims=True), path.min(axis=1, keepdims=True)
    h, lw = high[:, None], low[:, None]
    up_scale = np.where(peak > top, (h - top) / np.where(peak > top, peak - top, 1.0), 0.0)
    dn_scale = np.where(
        trough < bottom, (bottom - lw) / np.where(trough < bottom, bottom - trough, 1.0), 0.0
    )
    out = np.where(path > top, top + (path - top) * up_scale, path)
    out = np.where(path < bottom, bottom - (bottom - path) * dn_scale, out)
    rows = np.arange(path.shape[0])
    inner = out[:, 1:-1]
    hi_at = np.argmax(inner, axis=1) + 1
    lo_at = np.argmin(inner, axis=1) + 1
    need_hi = out.max(axis=1) < high
    need_lo = out.min(axis=1) > low
    out[rows[need_hi], hi_at[need_hi]] = high[need_hi]
    clash = need_lo & ~(need_hi & (lo_at == hi_at))
    out[rows[clash], lo_at[clash]] = low[clash]
    return out


def _split_lots(lots: np.ndarray, weights: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Split each minute's whole lots over its ticks; open, close, high and low trade first."""
    m, k = weights.shape
    rows = np.arange(m)
    out = np.zeros((m, k), dtype=np.int64)
    left = lots.copy()
    for col in (
        np.argmax(price, axis=1),
        np.argmin(price, axis=1),
        np.full(m, k - 1),
        np.zeros(m, np.int64),
    ):
        give = (left > 0) & (out[rows, col] == 0)
        out[rows[give], col[give]] = 1
        left -= give
    scaled = weights / weights.sum(axis=1, keepdims=True) * left[:, None]
    floor = np.floor(scaled).astype(np.int64)
    short = left - floor.sum(axis=1)
    rank = np.argsort(np.argsort(-(scaled - floor), axis=1, kind="stable"), axis=1)
    return out + floor + (rank < short[:, None])
