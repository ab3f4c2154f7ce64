"""Exchange sessions: phases, holidays, early closes, breaks, DST, 24/7, FX and Globex.

Expected instants are written in UTC, worked out by hand from the local rules (ET is UTC-5 in
winter and UTC-4 in summer; London UTC+0 / UTC+1; Tokyo UTC+9; Hong Kong UTC+8).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrade.core.clock import NS_PER_DAY, NS_PER_SECOND, to_ns
from vtrade.domain.instruments import AssetClass, Instrument, MarketParams
from vtrade.market.sessions import (
    CALENDAR_NAMES,
    DayTable,
    Phase,
    SessionCalendar,
    Sessions,
)

PRE, REGULAR, POST, CLOSED = Phase.PRE, Phase.REGULAR, Phase.POST, Phase.CLOSED


def utc(text: str) -> int:
    """Return the ns instant of an ISO time written in UTC (no offset)."""
    return to_ns(datetime.fromisoformat(text).replace(tzinfo=UTC))


def label(text: str) -> int:
    """Return the trading-day label of a date: its midnight UTC in ns."""
    return utc(f"{text}T00:00:00")


@pytest.fixture(scope="module")
def sessions() -> Sessions:
    return Sessions()


@pytest.fixture(scope="module")
def nyse_ext(sessions: Sessions) -> SessionCalendar:
    return sessions.calendar("XNYS", extended=True)


@pytest.fixture(scope="module")
def nyse(sessions: Sessions) -> SessionCalendar:
    return sessions.calendar("XNYS")


# --- XNYS / XNAS -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2024-01-10T08:59:59", CLOSED),
        ("2024-01-10T09:00:00", PRE),  # 04:00 EST
        ("2024-01-10T14:29:59", PRE),
        ("2024-01-10T14:30:00", REGULAR),  # 09:30 EST
        ("2024-01-10T20:59:59", REGULAR),
        ("2024-01-10T21:00:00", POST),  # 16:00 EST
        ("2024-01-11T00:59:59", POST),
        ("2024-01-11T01:00:00", CLOSED),  # 20:00 EST
    ],
)
def test_xnys_extended_moves_through_pre_regular_post_and_closed_on_a_normal_day(
    nyse_ext: SessionCalendar, instant: str, expected: Phase
) -> None:
    assert nyse_ext.phase(utc(instant)) is expected


def test_xnys_regular_calendar_counts_pre_and_post_market_as_closed(
    nyse: SessionCalendar,
) -> None:
    assert nyse.phase(utc("2024-01-10T10:00:00")) is CLOSED
    assert nyse.phase(utc("2024-01-10T15:00:00")) is REGULAR
    assert nyse.phase(utc("2024-01-10T22:00:00")) is CLOSED


def test_xnys_extended_is_open_only_when_asked_for_extended_hours(
    nyse_ext: SessionCalendar,
) -> None:
    pre = utc("2024-01-10T10:00:00")
    assert not nyse_ext.is_open(pre)
    assert nyse_ext.is_open(pre, extended=True)
    assert nyse_ext.is_open(utc("2024-01-10T15:00:00"))
    assert not nyse_ext.is_open(utc("2024-01-11T02:00:00"), extended=True)


@pytest.mark.parametrize(
    ("holiday", "next_open"),
    [
        ("2024-07-04", "2024-07-05T13:30:00"),  # Independence Day; EDT next morning
        ("2025-01-09", "2025-01-10T14:30:00"),  # national day of mourning (President Carter)
    ],
)
def test_xnys_is_closed_all_day_on_a_holiday_even_with_extended_hours(
    nyse_ext: SessionCalendar, holiday: str, next_open: str
) -> None:
    for hour in ("09:30:00", "12:00:00", "15:00:00", "22:00:00"):
        state = nyse_ext.state(utc(f"{holiday}T{hour}"))
        assert state.phase is CLOSED
        assert state.trading_day is None
        assert state.next_open == utc(next_open)
    assert label(holiday) not in nyse_ext.days.day


def test_xnys_early_close_on_black_friday_2024_ends_regular_at_1800_and_post_at_2200_utc(
    nyse_ext: SessionCalendar,
) -> None:
    assert nyse_ext.phase(utc("2024-11-29T09:00:00")) is PRE
    assert nyse_ext.phase(utc("2024-11-29T17:59:59")) is REGULAR
    assert nyse_ext.phase(utc("2024-11-29T18:00:00")) is POST  # 13:00 EST
    assert nyse_ext.phase(utc("2024-11-29T21:59:59")) is POST
    assert nyse_ext.phase(utc("2024-11-29T22:00:00")) is CLOSED  # 17:00 EST
    row = nyse_ext.days.locate(utc("2024-11-29T15:00:00"))
    assert bool(nyse_ext.days.early_close[row])
    assert nyse_ext.days.close[row] == utc("2024-11-29T18:00:00")
    assert nyse_ext.days.end[row] == utc("2024-11-29T22:00:00")


def test_xnys_early_close_on_christmas_eve_2024_and_july_3_2024(
    nyse_ext: SessionCalendar,
) -> None:
    assert nyse_ext.state(utc("2024-12-24T15:00:00")).next_close == utc("2024-12-24T18:00:00")
    assert nyse_ext.phase(utc("2024-12-24T21:59:59")) is POST
    assert nyse_ext.phase(utc("2024-12-24T22:00:00")) is CLOSED
    # 2024-07-03 is in EDT: close 13:00 ET = 17:00 UTC, post until 17:00 ET = 21:00 UTC.
    assert nyse_ext.phase(utc("2024-07-03T17:00:00")) is POST
    assert nyse_ext.phase(utc("2024-07-03T21:00:00")) is CLOSED


def test_xnys_next_open_skips_a_weekend(nyse: SessionCalendar) -> None:
    state = nyse.state(utc("2024-01-20T12:00:00"))  # Saturday
    assert state.phase is CLOSED
    assert state.next_open == utc("2024-01-22T14:30:00")
    assert state.next_close == utc("2024-01-22T21:00:00")


def test_xnys_next_open_skips_a_weekend_and_a_monday_holiday(
    nyse_ext: SessionCalendar,
) -> None:
    state = nyse_ext.state(utc("2024-01-12T22:00:00"))  # Friday post-market; Monday is MLK day
    assert state.phase is POST
    assert state.trading_day == label("2024-01-12")
    assert state.next_open == utc("2024-01-16T14:30:00")
    assert state.next_close == utc("2024-01-16T21:00:00")


def test_xnys_during_regular_next_close_is_today_and_next_open_is_tomorrow(
    nyse: SessionCalendar,
) -> None:
    state = nyse.state(utc("2024-01-10T16:00:00"))
    assert state.phase is REGULAR
    assert state.trading_day == label("2024-01-10")
    assert state.next_close == utc("2024-01-10T21:00:00")
    assert state.next_open == utc("2024-01-11T14:30:00")


def test_xnys_during_pre_market_next_open_and_close_are_today(
    nyse_ext: SessionCalendar,
) -> None:
    state = nyse_ext.state(utc("2024-01-10T10:00:00"))
    assert state.phase is PRE
    assert state.trading_day == label("2024-01-10")
    assert state.next_open == utc("2024-01-10T14:30:00")
    assert state.next_close == utc("2024-01-10T21:00:00")


def test_xnas_has_the_same_sessions_and_extended_hours_as_xnys(sessions: Sessions) -> None:
    xnas = sessions.calendar("XNAS", extended=True)
    assert xnas.name == "XNAS+ext"
    assert xnas.phase(utc("2024-01-10T09:00:00")) is PRE
    assert xnas.phase(utc("2024-07-04T15:00:00")) is CLOSED


# --- XLON and DST -------------------------------------------------------------------------


def test_xlon_is_closed_on_christmas_and_boxing_day_2024(sessions: Sessions) -> None:
    xlon = sessions.calendar("XLON")
    for day in ("2024-12-25", "2024-12-26"):
        assert xlon.phase(utc(f"{day}T12:00:00")) is CLOSED
        assert label(day) not in xlon.days.day
    assert xlon.state(utc("2024-12-25T12:00:00")).next_open == utc("2024-12-27T08:00:00")


def test_xlon_closes_at_1230_london_on_christmas_eve_2024(sessions: Sessions) -> None:
    xlon = sessions.calendar("XLON")
    assert xlon.phase(utc("2024-12-24T12:29:59")) is REGULAR
    assert xlon.phase(utc("2024-12-24T12:30:00")) is CLOSED
    assert bool(xlon.days.early_close[xlon.days.locate(utc("2024-12-24T10:00:00"))])


def test_xlon_opens_at_0800_london_all_year_so_0700_or_0800_utc(sessions: Sessions) -> None:
    days = sessions.calendar("XLON").days
    london = ZoneInfo("Europe/London")
    local_opens = {
        datetime.fromtimestamp(int(o) // NS_PER_SECOND, tz=london).strftime("%H:%M")
        for o in days.open
    }
    assert local_opens == {"08:00"}
    utc_hours = {int(o) // NS_PER_SECOND % 86_400 // 3600 for o in days.open}
    assert utc_hours == {7, 8}


def test_xlon_extended_is_the_same_calendar_as_regular(sessions: Sessions) -> None:
    xlon = sessions.calendar("XLON", extended=True)
    assert xlon is sessions.calendar("XLON")
    assert xlon.name == "XLON"
    assert not xlon.extended
    assert xlon.phase(utc("2024-01-10T07:30:00")) is CLOSED


@pytest.mark.parametrize(
    ("day", "lse_open", "nyse_open"),
    [
        ("2024-03-06", "08:00", "14:30"),  # both on winter time
        ("2024-03-13", "08:00", "13:30"),  # US on DST since 10 March, UK not until 31 March
        ("2024-03-27", "08:00", "13:30"),
        ("2024-04-03", "07:00", "13:30"),  # both on summer time
        ("2024-10-30", "08:00", "13:30"),  # UK back on GMT since 27 Oct, US not until 3 Nov
        ("2024-11-06", "08:00", "14:30"),
    ],
)
def test_us_and_uk_switch_dst_on_different_dates(
    sessions: Sessions, nyse: SessionCalendar, day: str, lse_open: str, nyse_open: str
) -> None:
    xlon = sessions.calendar("XLON")
    assert xlon.days.open[xlon.days.locate(utc(f"{day}T12:00:00"))] == utc(f"{day}T{lse_open}")
    assert nyse.days.open[nyse.days.locate(utc(f"{day}T15:00:00"))] == utc(f"{day}T{nyse_open}")


# --- lunch breaks ------------------------------------------------------------------------


def test_xtks_lunch_break_is_closed_and_next_open_is_the_break_end(sessions: Sessions) -> None:
    xtks = sessions.calendar("XTKS", extended=True)
    # 2024-11-06: 09:00-11:30 and 12:30-15:30 JST.
    morning = xtks.state(utc("2024-11-06T01:00:00"))
    assert morning.phase is REGULAR
    assert morning.next_close == utc("2024-11-06T02:30:00")
    assert morning.next_open == utc("2024-11-06T03:30:00")
    lunch = xtks.state(utc("2024-11-06T03:00:00"))
    assert lunch.phase is CLOSED
    assert lunch.trading_day == label("2024-11-06")
    assert lunch.next_open == utc("2024-11-06T03:30:00")
    assert lunch.next_close == utc("2024-11-06T06:30:00")
    assert not xtks.is_open(utc("2024-11-06T03:00:00"), extended=True)
    assert xtks.phase(utc("2024-11-06T03:30:00")) is REGULAR


def test_xhkg_lunch_break_is_closed(sessions: Sessions) -> None:
    xhkg = sessions.calendar("XHKG")  # 2024-01-10: 09:30-12:00 and 13:00-16:00 HKT
    assert xhkg.phase(utc("2024-01-10T03:59:59")) is REGULAR
    assert xhkg.phase(utc("2024-01-10T04:00:00")) is CLOSED
    assert xhkg.phase(utc("2024-01-10T05:00:00")) is REGULAR


# --- 24/7, FX, GLOBEX ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "instant", ["2024-12-25T12:00:00", "2024-01-13T00:00:00", "2031-12-31T23:59:59"]
)
def test_crypto_24_7_is_always_regular_with_no_next_open_or_close(
    sessions: Sessions, instant: str
) -> None:
    crypto = sessions.calendar("24/7")
    state = crypto.state(utc(instant))
    assert crypto.always_open
    assert state.phase is REGULAR
    assert state.trading_day == label(instant[:10])
    assert state.next_open is None
    assert state.next_close is None


def test_fx_is_open_on_wednesday_until_friday_1700_new_york(sessions: Sessions) -> None:
    state = sessions.calendar("FX").state(utc("2024-01-10T12:00:00"))
    assert state.phase is REGULAR
    assert state.trading_day == label("2024-01-10")
    assert state.next_close == utc("2024-01-12T22:00:00")  # Friday 17:00 EST
    assert state.next_open == utc("2024-01-14T22:00:00")  # Sunday 17:00 EST


def test_fx_is_closed_on_saturday_and_reopens_sunday_1700_new_york(sessions: Sessions) -> None:
    fx = sessions.calendar("FX")
    saturday = fx.state(utc("2024-01-13T12:00:00"))
    assert saturday.phase is CLOSED
    assert saturday.trading_day is None
    assert saturday.next_open == utc("2024-01-14T22:00:00")
    assert saturday.next_close == utc("2024-01-19T22:00:00")
    assert fx.phase(utc("2024-01-14T21:59:59")) is CLOSED
    assert fx.state(utc("2024-01-14T22:00:00")).trading_day == label("2024-01-15")
    assert fx.phase(utc("2024-07-14T21:00:00")) is REGULAR  # 17:00 EDT in summer


def test_fx_is_closed_on_christmas_day_2024_from_1700_new_york_the_day_before(
    sessions: Sessions,
) -> None:
    fx = sessions.calendar("FX")
    eve = fx.state(utc("2024-12-24T21:59:59"))
    assert eve.phase is REGULAR
    assert eve.next_close == utc("2024-12-24T22:00:00")
    assert eve.next_open == utc("2024-12-25T22:00:00")
    christmas = fx.state(utc("2024-12-25T12:00:00"))
    assert christmas.phase is CLOSED
    assert christmas.trading_day is None
    assert fx.state(utc("2024-12-25T22:00:00")).trading_day == label("2024-12-26")
    assert label("2024-12-25") not in fx.days.day
    assert label("2025-01-01") not in fx.days.day


def test_globex_daily_maintenance_hour_is_closed_and_reopens_at_1800_new_york(
    sessions: Sessions,
) -> None:
    globex = sessions.calendar("GLOBEX")
    before = globex.state(utc("2024-01-10T21:59:59"))
    assert before.phase is REGULAR
    assert before.trading_day == label("2024-01-10")
    assert before.next_close == utc("2024-01-10T22:00:00")  # 17:00 EST
    assert before.next_open == utc("2024-01-10T23:00:00")  # 18:00 EST
    assert globex.phase(utc("2024-01-10T22:30:00")) is CLOSED
    assert globex.state(utc("2024-01-10T22:30:00")).trading_day is None
    reopened = globex.state(utc("2024-01-10T23:00:00"))
    assert reopened.phase is REGULAR
    assert reopened.trading_day == label("2024-01-11")
    assert reopened.next_close == utc("2024-01-11T22:00:00")


def test_globex_is_closed_over_the_weekend_and_respects_cme_early_closes(
    sessions: Sessions,
) -> None:
    globex = sessions.calendar("GLOBEX")
    assert globex.phase(utc("2024-01-12T22:00:00")) is CLOSED  # Friday 17:00 EST
    saturday = globex.state(utc("2024-01-13T12:00:00"))
    assert saturday.phase is CLOSED
    assert saturday.next_open == utc("2024-01-14T23:00:00")  # Sunday 18:00 EST
    # Monday 2024-01-15 (MLK day) is a CME early close at 12:00 CT = 18:00 UTC.
    assert saturday.next_close == utc("2024-01-15T18:00:00")
    assert globex.phase(utc("2024-01-15T18:00:00")) is CLOSED
    # Christmas: 24 Dec closes early, 25 Dec has no session, trading resumes 25 Dec 18:00 ET.
    assert globex.state(utc("2024-12-24T15:00:00")).next_close == utc("2024-12-24T18:00:00")
    assert globex.phase(utc("2024-12-25T15:00:00")) is CLOSED
    assert globex.state(utc("2024-12-25T23:00:00")).trading_day == label("2024-12-26")


# --- DayTable -----------------------------------------------------------------------------


def _table() -> DayTable:
    """Three days with gaps between: [10, 20), [30, 40) with break [33, 35), [50, 60)."""
    return DayTable(
        calendar="TEST",
        day=np.array([0, 100, 200]),
        start=np.array([10, 30, 50]),
        open=np.array([12, 30, 50]),
        close=np.array([18, 40, 60]),
        end=np.array([20, 40, 60]),
        break_start=np.array([-1, 33, -1]),
        break_end=np.array([-1, 35, -1]),
        early_close=np.array([False, False, True]),
    )


@pytest.mark.parametrize(
    ("t", "located", "on_or_before"),
    [(9, -1, -1), (10, 0, 0), (19, 0, 0), (20, -1, 0), (25, -1, 0), (34, 1, 1), (60, -1, 2)],
)
def test_day_table_locate_is_start_inclusive_end_exclusive(
    t: int, located: int, on_or_before: int
) -> None:
    table = _table()
    assert table.locate(t) == located
    assert table.index_on_or_before(t) == on_or_before


@pytest.mark.parametrize(
    ("start", "end", "rows"),
    [
        (0, 10, slice(0, 0)),  # ends where the first day starts
        (0, 11, slice(0, 1)),
        (20, 30, slice(1, 1)),  # exactly the gap between days
        (19, 31, slice(0, 2)),
        (15, 55, slice(0, 3)),
        (60, 70, slice(3, 3)),
        (35, 35, slice(1, 1)),  # empty interval
    ],
)
def test_day_table_between_selects_days_overlapping_a_half_open_interval(
    start: int, end: int, rows: slice
) -> None:
    assert _table().between(start, end) == rows


def test_day_table_is_read_only_and_rejects_overlapping_days() -> None:
    table = _table()
    with pytest.raises(ValueError, match="read-only"):
        table.start[0] = 0
    with pytest.raises(ValueError, match="overlap"):
        DayTable(
            calendar="BAD",
            day=np.array([0, 1]),
            start=np.array([0, 5]),
            open=np.array([0, 5]),
            close=np.array([10, 15]),
            end=np.array([10, 15]),
            break_start=np.array([-1, -1]),
            break_end=np.array([-1, -1]),
            early_close=np.array([False, False]),
        )


def test_session_calendar_built_from_a_hand_made_table_reports_phases() -> None:
    calendar = SessionCalendar("TEST", _table(), first_ns=0, last_ns=100, extended=True)
    assert [calendar.phase(t) for t in (10, 12, 18, 20, 33, 35, 50)] == [
        PRE,
        REGULAR,
        POST,
        CLOSED,
        CLOSED,
        REGULAR,
        REGULAR,
    ]
    state = calendar.state(25)
    assert (state.next_open, state.next_close) == (30, 33)


# --- registry and range -------------------------------------------------------------------


@pytest.mark.parametrize("instant", ["2005-12-31T23:59:59", "2032-01-01T00:00:00"])
def test_a_query_outside_the_supported_range_raises_naming_the_range(
    nyse: SessionCalendar, instant: str
) -> None:
    for query in (nyse.phase, nyse.state, nyse.is_open):
        with pytest.raises(
            ValueError, match=r"outside the supported range 2006-01-01\.\.2031-12-31"
        ):
            query(utc(instant))


def test_the_supported_range_runs_from_first_day_midnight_to_after_last_day(
    sessions: Sessions, nyse: SessionCalendar
) -> None:
    assert sessions.first_ns == utc("2006-01-01T00:00:00")
    assert sessions.last_ns == utc("2032-01-01T00:00:00")
    assert nyse.phase(sessions.first_ns) is CLOSED
    assert nyse.state(sessions.last_ns - 1).next_open == utc("2032-01-02T14:30:00")


def test_a_narrower_range_is_reported_in_the_error() -> None:
    fx = Sessions(date(2024, 1, 1), date(2024, 12, 31)).calendar("FX")
    assert fx.days.day[0] == label("2024-01-02")  # 1 Jan is closed
    with pytest.raises(ValueError, match=r"2024-01-01\.\.2024-12-31"):
        fx.phase(utc("2025-01-01T00:00:00"))


def test_an_unknown_calendar_name_raises_listing_the_allowed_names(sessions: Sessions) -> None:
    with pytest.raises(
        ValueError, match="XNYS, XNAS, XLON, XETR, XPAR, XTKS, XHKG, 24/7, FX, GLOBEX"
    ):
        sessions.calendar("NYSE")
    assert CALENDAR_NAMES == Sessions.names


def test_calendars_are_built_once_and_cached(sessions: Sessions) -> None:
    assert sessions.calendar("XETR") is sessions.calendar("XETR")
    assert sessions.calendar("XNYS", extended=True) is not sessions.calendar("XNYS")


def _instrument(symbol: str, asset_class: AssetClass, calendar: str) -> Instrument:
    params = MarketParams(
        reference_price=Decimal("100"),
        daily_volatility=0.02,
        avg_daily_volume=1e6,
        typical_spread_bps=2.0,
        impact_gamma=0.1,
        impact_alpha=0.5,
    )
    return Instrument(
        symbol=symbol,
        name=symbol,
        asset_class=asset_class,
        venue="TEST",
        calendar=calendar,
        currency="USD",
        sector="",
        industry="",
        tick_size=Decimal("0.01"),
        lot_size=Decimal("1"),
        multiplier=Decimal("1"),
        shortable=True,
        marginable=True,
        market=params,
    )


def test_for_instrument_gives_us_equities_extended_hours_and_crypto_24_7(
    sessions: Sessions,
) -> None:
    assert sessions.for_instrument(_instrument("AAPL", AssetClass.EQUITY, "XNAS")).name == (
        "XNAS+ext"
    )
    assert sessions.for_instrument(_instrument("BTCUSD", AssetClass.CRYPTO, "24/7")).always_open
    assert sessions.for_instrument(_instrument("VOD", AssetClass.EQUITY, "XLON")).name == "XLON"


# --- property: bisection agrees with a direct reading of the rows -------------------------


def _slow_phase(days: DayTable, t: int) -> Phase:
    rows = np.flatnonzero((days.start <= t) & (t < days.end))
    if len(rows) == 0:
        return CLOSED
    assert len(rows) == 1
    r = int(rows[0])
    if t < days.open[r]:
        return PRE
    if t >= days.close[r]:
        return POST
    if days.break_start[r] >= 0 and days.break_start[r] <= t < days.break_end[r]:
        return CLOSED
    return REGULAR


def _slow_next(days: DayTable, after: int, candidates: np.ndarray, opening: bool) -> int:
    """Return the first candidate > after where a regular period starts (or ends)."""
    for c in np.sort(candidates[candidates > after]).tolist():
        inside = _slow_phase(days, c if opening else c - 1) is REGULAR
        outside = _slow_phase(days, c - 1 if opening else c) is not REGULAR
        if inside and outside:
            return int(c)
    raise AssertionError("no regular period ahead")


CALENDARS = [(name, False) for name in CALENDAR_NAMES] + [("XNYS", True), ("XNAS", True)]
LAST_CHECKED = utc("2031-11-30T00:00:00")  # leave room for next open/close within the table


@settings(max_examples=400, deadline=None)
@given(
    which=st.sampled_from(CALENDARS),
    t=st.integers(min_value=utc("2006-01-01T00:00:00"), max_value=LAST_CHECKED),
)
def test_phase_and_state_agree_with_a_direct_reading_of_the_day_rows(
    sessions: Sessions, which: tuple[str, bool], t: int
) -> None:
    calendar = sessions.calendar(*which)
    days = calendar.days
    expected = _slow_phase(days, t)
    state = calendar.state(t)
    assert calendar.phase(t) is expected
    assert state.phase is expected
    row = days.locate(t)
    assert state.trading_day == (int(days.day[row]) if row >= 0 else None)
    if calendar.always_open:
        assert state.next_open is None and state.next_close is None
        return
    assert state.next_open is not None and state.next_open > t
    assert state.next_close is not None and state.next_close > t
    has_break = days.break_start >= 0
    opens = np.concatenate([days.open, days.break_end[has_break]])
    closes = np.concatenate([days.close, days.break_start[has_break]])
    assert state.next_open == _slow_next(days, t, opens, opening=True)
    after = t if expected is REGULAR else state.next_open
    assert state.next_close == _slow_next(days, after, closes, opening=False)


def test_every_calendar_day_is_one_utc_midnight_label_per_row(sessions: Sessions) -> None:
    for name, extended in CALENDARS:
        days = sessions.calendar(name, extended).days
        assert np.all(days.day % NS_PER_DAY == 0)
        assert len(days) > 6000
