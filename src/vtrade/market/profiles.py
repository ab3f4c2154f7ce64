"""Intraday profiles of volatility, volume and spread, by venue type.

US equities: reverse-J volume with a heavy close and a closing-auction print, spreads ~4x wider
at the open than at the close. European exchanges trade little at the open and more into the
close (with a bump at the US open). FX peaks in the London/New York overlap and is thin (wide)
around the New York rollover. Crypto peaks in US hours. CME Globex is busiest in the US day
session. Multipliers are relative (the caller normalizes weights).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from vtrade.core.clock import NS_PER_DAY
from vtrade.market.sessions_build import NEW_YORK

_NS_PER_HOUR = NS_PER_DAY // 24
# Closing auction share of regular-session volume by venue kind.
CLOSING_AUCTION = {"us": 0.08, "europe": 0.15, "asia": 0.05}
# Opening auction share, far smaller: about 1% of the day in US large caps (Kissell and Lie,
# "U.S. Exchange Auction Trends", 2010; arXiv:1802.01921), 1-2% in Europe, more in Asia.
OPENING_AUCTION = {"us": 0.01, "europe": 0.015, "asia": 0.03}


@dataclass(frozen=True, slots=True)
class Profile:
    """Per-minute multipliers: variance weight, volume weight, spread multiplier."""

    variance: np.ndarray
    volume: np.ndarray
    spread: np.ndarray


def depth(kind: str, profile: Profile) -> np.ndarray:
    """Book depth by minute, relative to the segment's mean. On an exchange with an opening
    and a closing auction, its volume over its spread to the power 1.5: thin when wide, so a
    block pays about 1.4x its mid-day impact in a US stock's first half hour and 0.5x in its
    last (market-realism.md §4.3), where depth that followed volume alone made the open, the
    busiest time, the cheapest (0.5x). Round-the-clock markets follow their activity."""
    w = profile.volume
    if kind in OPENING_AUCTION:
        w = w * profile.spread**_DEPTH_SPREAD_POWER
    return w / w.mean() if w.shape[0] else w


_DEPTH_SPREAD_POWER = -1.5


def extended_depth(regular: Profile, extended: Profile, volume_ratio: float) -> np.ndarray:
    """Book depth by minute in the US pre- or post-market, on the `regular` session's scale
    (its mean depth is 1), by `depth`'s rule: volume over spread^1.5. `volume_ratio` is a
    minute's volume there over a regular minute's, on average. With a twentieth of the volume
    at four times the spread, the rule gives about 1% of the regular depth; it is floored at
    a fifth, the least the touch sizes take (`intraday`'s ticks), so the touch and the levels
    behind it stay in proportion. Normalizing each segment on its own mean had made these
    books as deep as the regular session's average, and a block cheaper pre-market than at
    noon."""
    scale = float(np.mean(regular.volume * regular.spread**_DEPTH_SPREAD_POWER))
    volume = extended.volume / extended.volume.mean() * volume_ratio * regular.volume.mean()
    w = volume * extended.spread**_DEPTH_SPREAD_POWER
    return np.maximum(w / scale, _EXTENDED_DEPTH_FLOOR)


_EXTENDED_DEPTH_FLOOR = 0.2


def kind_of(calendar: str) -> str:
    """Return the profile kind for a session calendar name."""
    if calendar in ("XNYS", "XNAS"):
        return "us"
    if calendar in ("XLON", "XETR", "XPAR"):
        return "europe"
    if calendar in ("XTKS", "XHKG"):
        return "asia"
    if calendar == "FX":
        return "fx"
    if calendar.startswith("GLOBEX"):
        return "globex"
    return "crypto"


def regular(kind: str, x: np.ndarray, ts: np.ndarray) -> Profile:
    """Profile of a regular session at elapsed fractions `x` in [0, 1) and instants `ts` (ns)."""
    if kind in ("us", "asia"):
        var = 0.55 + 2.2 * np.exp(-x / 0.05) + 0.7 * np.exp(-(1 - x) / 0.07)
        vol = 0.55 + 2.4 * np.exp(-x / 0.05) + 1.9 * np.exp(-(1 - x) / 0.06)
        spread = (1.0 + 3.0 * np.exp(-x / 0.05)) * (1.0 - 0.3 * x)
        return Profile(var, vol, spread)
    if kind == "europe":
        hour = _utc_hour(ts)
        us_open = np.exp(-(((hour - 14.5) / 0.5) ** 2))
        var = 0.6 + 1.6 * np.exp(-x / 0.05) + 0.5 * np.exp(-(1 - x) / 0.1) + 0.8 * us_open
        vol = 0.45 + 0.5 * np.exp(-x / 0.04) + 1.3 * x + 0.7 * us_open
        spread = (1.0 + 2.0 * np.exp(-x / 0.05)) * (1.0 - 0.2 * x)
        return Profile(var, vol, spread)
    return around_the_clock(kind, ts)


def of_session(kind: str, ts: np.ndarray) -> Profile:
    """`regular`'s profile of a session's minutes `ts`, kept (read-only): most days of a
    market share their minutes' times of day, so a year of days computes a few profiles."""
    # the FX rollover follows New York's clock
    offset = _new_york_offset(ts) if kind == "fx" and ts.shape[0] else 0.0
    key = (kind, int(ts[0] % NS_PER_DAY) if ts.shape[0] else 0, offset, (ts - ts[:1]).tobytes())
    found = _SESSIONS.get(key)
    if found is None:
        x = np.arange(ts.shape[0]) / max(ts.shape[0], 1)
        found = regular(kind, x, ts)
        for a in (found.variance, found.volume, found.spread):
            a.flags.writeable = False
        if len(_SESSIONS) >= _SESSIONS_KEPT:
            _SESSIONS.clear()
        _SESSIONS[key] = found
    return found


_SESSIONS: dict[tuple[object, ...], Profile] = {}
_SESSIONS_KEPT = 256


def around_the_clock(kind: str, ts: np.ndarray) -> Profile:
    """Profile of 24-hour markets as a function of the UTC hour of day."""
    hour = _utc_hour(ts)
    activity = np.interp(hour, _HOURS, _ACTIVITY[kind], period=24.0)
    spread = 1.0 / np.sqrt(activity)
    if kind == "fx":  # New York 17:00 rollover: banks step back, spreads blow out
        off = (_new_york_hour(ts) - 17.0 + 12.0) % 24.0 - 12.0  # hours from it, either side
        spread = spread * (1.0 + 2.0 * np.exp(-((off / 0.6) ** 2)))
    return Profile(activity, activity, spread)


def extended(ts: np.ndarray) -> Profile:
    """Profile of US pre- and post-market: calm, thin, wide."""
    ones = np.ones(ts.shape[0])
    return Profile(ones, ones, 4.0 * ones)


def _new_york_hour(ts: np.ndarray) -> np.ndarray:
    """New York's hour of day at `ts`, its UTC offset taken at the first instant (a day of
    FX minutes never spans a clock change: those fall on Sunday mornings, markets shut)."""
    if ts.shape[0] == 0:
        return _utc_hour(ts)
    return ((ts % NS_PER_DAY) / _NS_PER_HOUR + _new_york_offset(ts)) % 24.0


def _new_york_offset(ts: np.ndarray) -> float:
    """New York's UTC offset in hours at the first of `ts`."""
    first = datetime.fromtimestamp(int(ts[0]) // 1_000_000_000, tz=NEW_YORK)
    offset = first.utcoffset()
    assert offset is not None
    return offset.total_seconds() / 3600.0


def _utc_hour(ts: np.ndarray) -> np.ndarray:
    return (ts % NS_PER_DAY) / _NS_PER_HOUR


_HOURS = np.array([0.0, 3.0, 6.0, 7.5, 9.0, 12.0, 13.5, 15.5, 17.0, 19.0, 21.0, 22.5])
_ACTIVITY = {
    # Tokyo session thin, London open, London/New York overlap peak, quiet late New York.
    "fx": np.array([0.45, 0.5, 0.6, 1.2, 1.3, 1.6, 2.0, 1.9, 1.0, 0.7, 0.35, 0.4]),
    # 24/7, busiest while US and European desks overlap.
    "crypto": np.array([0.8, 0.7, 0.7, 0.8, 0.9, 1.0, 1.3, 1.5, 1.4, 1.2, 1.0, 0.9]),
    # Globex overnight thin; the US day session (13:30-19:30 UTC) dominates.
    "globex": np.array([0.35, 0.35, 0.45, 0.6, 0.7, 0.9, 2.2, 2.4, 2.2, 1.6, 0.3, 0.3]),
}
