"""Build the `DayTable` of each supported calendar, vectorized, once per calendar.

Exchange sessions, holidays, early closes and lunch breaks come from exchange_calendars (given
an explicit start and end, so results never depend on today's date). US extended hours, FX
(24/5), CME Globex (and its grain and livestock hours) and 24/7 follow fixed rules in local
wall time, converted with zoneinfo.
"""

from __future__ import annotations

import functools
import warnings
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from vtrade.core.clock import NS_PER_DAY
from vtrade.market.sessions_table import NO_BREAK, DayTable

NEW_YORK = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")

EXCHANGE_CALENDARS = ("XNYS", "XNAS", "XLON", "XETR", "XPAR", "XTKS", "XHKG")
EXTENDED_HOURS_CALENDARS = frozenset({"XNYS", "XNAS"})
# CBOT grains: 19:00-07:45 and 08:30-13:20 Chicago; CME live cattle: 08:30-13:05 Chicago
# (CME Group's trading hours; CMES holidays and early closes, as GLOBEX)
GLOBEX_HOURS = {
    "GLOBEX_GRAINS": (19.0, (7.75, 8.5), 13 + 20 / 60),
    "GLOBEX_LIVESTOCK": (None, None, 13 + 5 / 60),
}
CALENDAR_NAMES = (*EXCHANGE_CALENDARS, "24/7", "FX", "GLOBEX", *GLOBEX_HOURS)

US_PRE_OPEN_HOUR = 4  # pre-market opens 04:00 ET
US_POST_CLOSE_HOUR = 20  # post-market closes 20:00 ET
US_POST_CLOSE_HOUR_EARLY = 17  # ... and 17:00 ET on early-close days
FX_ROLL_HOUR = 17  # an FX day runs 17:00 ET to 17:00 ET
FX_HOLIDAYS = ((12, 25), (1, 1))  # (month, day): the interbank market is shut
GLOBEX_OPEN_HOUR = 18  # Globex opens 18:00 ET on the previous calendar day ...
GLOBEX_CLOSE_HOUR = 17  # ... and closes 17:00 ET (the 17:00-18:00 hour is maintenance)


def build_day_table(name: str, first_day: date, last_day: date, extended: bool) -> DayTable:
    """Build calendar `name`'s trading days labelled `first_day..last_day` (inclusive).

    `extended` adds pre- and post-market hours to XNYS and XNAS; it changes nothing elsewhere.
    Raise ValueError for a name not in `CALENDAR_NAMES`.
    """
    if name in EXCHANGE_CALENDARS:
        return _exchange(name, first_day, last_day, extended and name in EXTENDED_HOURS_CALENDARS)
    if name == "24/7":
        return _always_open(first_day, last_day)
    if name == "FX":
        return _fx(first_day, last_day)
    if name == "GLOBEX":
        return _globex(first_day, last_day)
    if name in GLOBEX_HOURS:
        return _globex_hours(name, first_day, last_day)
    raise ValueError(f"unknown calendar {name!r}: use one of {', '.join(CALENDAR_NAMES)}")


def _exchange(name: str, first_day: date, last_day: date, extended: bool) -> DayTable:
    schedule, early = _exchange_schedule(name, first_day, last_day)
    sessions = pd.DatetimeIndex(schedule.index)
    open_ = _utc_ns(schedule["open"])
    close = _utc_ns(schedule["close"])
    if extended:
        start = np.minimum(_wall_ns(sessions, US_PRE_OPEN_HOUR, NEW_YORK), open_)
        post_end = np.where(
            early,
            _wall_ns(sessions, US_POST_CLOSE_HOUR_EARLY, NEW_YORK),
            _wall_ns(sessions, US_POST_CLOSE_HOUR, NEW_YORK),
        )
        end = np.maximum(post_end, close)
    else:
        start, end = open_, close
    return DayTable(
        calendar=name,
        day=_label_ns(sessions),
        start=start,
        open=open_,
        close=close,
        end=end,
        break_start=_utc_ns(schedule["break_start"]),
        break_end=_utc_ns(schedule["break_end"]),
        early_close=early,
    )


def _globex(first_day: date, last_day: date) -> DayTable:
    """CME Globex: CMES sessions and holidays, 18:00 ET the day before to 17:00 ET.

    CMES models a day as 17:00 CT to 17:00 CT with no maintenance hour; its early closes
    (12:00 CT, e.g. US holidays) are kept as the earlier of the two closes.
    """
    schedule, _ = _exchange_schedule("CMES", first_day, last_day)
    sessions = pd.DatetimeIndex(schedule.index)
    start = _wall_ns(sessions - pd.Timedelta(days=1), GLOBEX_OPEN_HOUR, NEW_YORK)
    normal_close = _wall_ns(sessions, GLOBEX_CLOSE_HOUR, NEW_YORK)
    close = np.minimum(normal_close, _utc_ns(schedule["close"]))
    return _unbroken("GLOBEX", sessions, start, close, early=close < normal_close)


def _globex_hours(name: str, first_day: date, last_day: date) -> DayTable:
    """A CME product with its own hours (`GLOBEX_HOURS`, Chicago time): an evening session
    from the day before (None: none), a break (None: none), and its close; CMES holidays, and
    its early closes (12:00 CT) where they come first."""
    evening, pause, closing = GLOBEX_HOURS[name]
    schedule, _ = _exchange_schedule("CMES", first_day, last_day)
    sessions = pd.DatetimeIndex(schedule.index)
    normal_close = _wall_ns(sessions, closing, CHICAGO)
    close = np.minimum(normal_close, _utc_ns(schedule["close"]))
    if evening is None:  # the day session alone, from 08:30
        start = _wall_ns(sessions, 8.5, CHICAGO)
    else:
        start = _wall_ns(sessions - pd.Timedelta(days=1), evening, CHICAGO)
    breaks = None
    if pause is not None:
        breaks = (_wall_ns(sessions, pause[0], CHICAGO), _wall_ns(sessions, pause[1], CHICAGO))
    return _unbroken(name, sessions, start, close, close < normal_close, breaks)


def _fx(first_day: date, last_day: date) -> DayTable:
    """FX 24/5: weekday labels less 25 Dec and 1 Jan, each 17:00 ET the day before to 17:00 ET."""
    dates = pd.date_range(first_day, last_day, freq="D")
    holiday = np.zeros(len(dates), dtype=bool)
    for month, day in FX_HOLIDAYS:  # as `fx_trading_day`, for the whole range at once
        holiday |= (dates.month == month) & (dates.day == day)
    labels = dates[(dates.day_of_week < 5) & ~holiday]
    start = _wall_ns(labels - pd.Timedelta(days=1), FX_ROLL_HOUR, NEW_YORK)
    end = _wall_ns(labels, FX_ROLL_HOUR, NEW_YORK)
    return _unbroken("FX", labels, start, end, early=np.zeros(len(labels), dtype=bool))


def fx_trading_day(day: date) -> bool:
    """Whether `day` is an FX trading day (its session ends at 17:00 ET that day, when FX
    positions roll): a weekday other than 25 Dec and 1 Jan. Value dates count each
    currency's settlement days instead (`execution.value_dates`)."""
    return day.weekday() < 5 and (day.month, day.day) not in FX_HOLIDAYS


def _always_open(first_day: date, last_day: date) -> DayTable:
    """24/7: every UTC calendar date, 00:00 to 24:00 UTC."""
    labels = pd.date_range(first_day, last_day, freq="D")
    day = _label_ns(labels)
    return _unbroken("24/7", labels, day, day + NS_PER_DAY, early=np.zeros(len(day), dtype=bool))


def _unbroken(
    name: str,
    labels: pd.DatetimeIndex,
    start: np.ndarray,
    end: np.ndarray,
    early: np.ndarray,
    breaks: tuple[np.ndarray, np.ndarray] | None = None,
) -> DayTable:
    """Build a table of days that are regular from start to end, with no pre/post and no
    break unless `breaks` (its starts and ends) gives one."""
    no_break = np.full(len(labels), NO_BREAK, dtype=np.int64)
    break_start, break_end = breaks or (no_break, no_break)
    return DayTable(
        calendar=name,
        day=_label_ns(labels),
        start=start,
        open=start,
        close=end,
        end=end,
        break_start=break_start,
        break_end=break_end,
        early_close=early,
    )


@functools.lru_cache(maxsize=64)
def _exchange_schedule(
    name: str, first_day: date, last_day: date
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return exchange_calendars' schedule for `name` and its early-close flags.

    Building a calendar takes ~0.3 s and its result never changes, so one process builds each
    once (servers, tests and the CLI build several `Sessions`). Callers only read the result.
    """
    import exchange_calendars as xcals  # heavy import, deferred until a calendar is built

    with warnings.catch_warnings():
        # exchange_calendars 4.13 still uses pandas APIs that pandas 3 deprecates.
        warnings.simplefilter("ignore", DeprecationWarning)
        cal = xcals.get_calendar(name, start=first_day.isoformat(), end=last_day.isoformat())
        schedule = cal.schedule
        early_closes = cal.early_closes
    early = np.asarray(pd.DatetimeIndex(schedule.index).isin(early_closes), dtype=bool)
    return schedule, early


def _label_ns(dates: pd.DatetimeIndex) -> np.ndarray:
    """Return each naive date's midnight, read as UTC, in ns since the epoch."""
    return np.asarray(pd.DatetimeIndex(dates).as_unit("ns").asi8, dtype=np.int64)


def _utc_ns(column: pd.Series) -> np.ndarray:
    """Return an aware datetime column as ns since the epoch, with NaT as -1."""
    values = pd.DatetimeIndex(column).tz_convert("UTC").as_unit("ns")
    return np.where(values.isna(), NO_BREAK, values.asi8).astype(np.int64)


def _wall_ns(dates: pd.DatetimeIndex, hour: float, zone: ZoneInfo) -> np.ndarray:
    """Return `hour` (07:45 is 7.75) local wall time in `zone` on each naive date, as ns since
    the epoch. The hours used (04:00 to 20:00) never fall in a DST gap or overlap."""
    local = (pd.DatetimeIndex(dates) + pd.Timedelta(hours=hour)).tz_localize(zone)
    return np.asarray(local.tz_convert("UTC").as_unit("ns").asi8, dtype=np.int64)
