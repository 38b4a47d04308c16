"""Calendar arithmetic against its laws and against a minute-by-minute brute force.

The brute force knows nothing of the year tables: it steps through real UTC minutes and asks
whether the local wall time lies in a working interval of that local date. Interval boundaries
are whole hours so they never fall strictly inside a repeated hour — there the calendar's
definition (one contiguous stretch from the first occurrence of the start) and "every minute whose
wall time is in range" differ on purpose; `test_calendar.py` pins the calendar's choice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskapp.calendar import WEEKDAYS, BusinessCalendar
from deskapp.calendar_files import load_calendar, parse_calendar

HoursFn = Callable[[date], Sequence[tuple[int, int]]]
MINUTE = timedelta(minutes=1)

FAST = settings(max_examples=40, deadline=None)
BRUTE = settings(max_examples=25, deadline=None)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# --- the brute force -----------------------------------------------------------------------------


def brute_working(tz: ZoneInfo, hours: HoursFn, minute: datetime) -> bool:
    local = minute.astimezone(tz)
    wall = local.hour * 60 + local.minute
    return any(start <= wall < end for start, end in hours(local.date()))


def brute_due(tz: ZoneInfo, hours: HoursFn, start: datetime, minutes: int) -> datetime:
    if minutes == 0:
        return start
    counted = 0
    t = start
    while True:
        if brute_working(tz, hours, t):
            counted += 1
            if counted == minutes:
                return t + MINUTE
        t += MINUTE


def brute_elapsed(tz: ZoneInfo, hours: HoursFn, start: datetime, end: datetime) -> int:
    counted = 0
    t = start
    while t < end:
        counted += brute_working(tz, hours, t)
        t += MINUTE
    return counted


# --- calendars under test, each with an independent statement of its day rule --------------------


def parse_hours(texts: Sequence[str]) -> tuple[tuple[int, int], ...]:
    def minute(hhmm: str) -> int:
        return int(hhmm[:2]) * 60 + int(hhmm[3:])

    return tuple((minute(t[:5]), minute(t[6:])) for t in texts)


def every_day(tzname: str, *hours: str) -> tuple[BusinessCalendar, HoursFn]:
    cal = parse_calendar(
        {"timezone": tzname, "hours": {d: list(hours) for d in WEEKDAYS}}, f"<{tzname}>"
    )
    parsed = parse_hours(hours)
    return cal, lambda day: parsed


# Boundaries sit on the edges of repeated hours (first occurrence vs second would differ by an
# hour) and, in spring, inside skipped hours (must map to the transition).
NY_NIGHT = every_day("America/New_York", "00:00-04:00", "13:00-15:00")
NY_SPRING_EDGES = every_day("America/New_York", "00:00-01:00", "01:30-02:20", "02:40-04:00")
NY_FALL_EDGES = every_day("America/New_York", "00:00-01:00", "02:00-03:00", "13:00-14:00")
NY_FALL_TWICE = every_day("America/New_York", "01:00-02:00", "03:00-04:00")
BERLIN_SPRING_EDGES = every_day("Europe/Berlin", "01:00-02:30", "02:45-04:00")
BERLIN_FALL_EDGES = every_day("Europe/Berlin", "00:00-02:00", "03:00-04:00")
BERLIN_FALL_TWICE = every_day("Europe/Berlin", "02:00-03:00", "09:00-10:00")
BERLIN_CAL = parse_calendar(
    {
        "timezone": "Europe/Berlin",
        "holidays": ["2026-10-26"],
        "hours": {
            **{d: ["00:00-04:00", "08:00-17:00"] for d in WEEKDAYS[:5]},
            "sat": [],
            "sun": ["00:00-04:00"],
        },
    },
    "<berlin>",
)


def berlin_hours(day: date) -> Sequence[tuple[int, int]]:
    if day == date(2026, 10, 26):
        return ()
    if day.weekday() < 5:
        return ((0, 240), (480, 1020))
    return ((0, 240),) if day.weekday() == 6 else ()


BERLIN = (BERLIN_CAL, berlin_hours)
OFFICE_DAY = ((540, 720), (810, 1080))


@cache  # chinese_calendar.is_workday takes ~50 µs; the brute force asks once a minute
def office_hours(day: date) -> Sequence[tuple[int, int]]:
    return OFFICE_DAY if chinese_calendar.is_workday(day) else ()


def at(tz: str, year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=ZoneInfo(tz)).astimezone(UTC)


NY_SPRING = at("America/New_York", 2026, 3, 6)  # DST starts Sunday 03-08
NY_FALL = at("America/New_York", 2026, 10, 30)  # DST ends Sunday 11-01
BERLIN_SPRING = at("Europe/Berlin", 2026, 3, 27)  # Sunday 03-29
BERLIN_FALL = at("Europe/Berlin", 2026, 10, 23)  # Sunday 10-25
FOUR_DAYS = 4 * 1440

# (calendar or None for the shipped office calendar, independent day rule, window, minutes)
WINDOWS: dict[str, tuple[BusinessCalendar | None, HoursFn, datetime, int]] = {
    "ny-spring-night": (*NY_NIGHT, NY_SPRING, FOUR_DAYS),
    "ny-spring-edges": (*NY_SPRING_EDGES, NY_SPRING, FOUR_DAYS),
    "ny-fall-night": (*NY_NIGHT, NY_FALL, FOUR_DAYS),
    "ny-fall-edges": (*NY_FALL_EDGES, NY_FALL, FOUR_DAYS),
    "ny-fall-twice": (*NY_FALL_TWICE, NY_FALL, FOUR_DAYS),
    "berlin-spring": (*BERLIN, BERLIN_SPRING, FOUR_DAYS),
    "berlin-spring-edges": (*BERLIN_SPRING_EDGES, BERLIN_SPRING, FOUR_DAYS),
    "berlin-fall": (*BERLIN, BERLIN_FALL, FOUR_DAYS),
    "berlin-fall-edges": (*BERLIN_FALL_EDGES, BERLIN_FALL, FOUR_DAYS),
    "berlin-fall-twice": (*BERLIN_FALL_TWICE, BERLIN_FALL, FOUR_DAYS),
    # Sat 02-14 is a make-up workday, 02-15..02-23 are off.
    "cn-spring-festival": (None, office_hours, at("Asia/Shanghai", 2026, 2, 12), 14 * 1440),
    # 10-01..10-07 are off, Sat 10-10 is a make-up workday.
    "cn-national-day": (None, office_hours, at("Asia/Shanghai", 2026, 9, 29), 13 * 1440),
}


def window(name: str) -> tuple[BusinessCalendar, HoursFn, datetime, int]:
    cal, hours, start, length = WINDOWS[name]
    return (cal or load_calendar("office")), hours, start, length


def test_the_brute_force_sees_the_clock_changes() -> None:
    """Guards the windows: each fall window really holds a 25-hour day, each spring one 23."""
    for name, (_cal, _hours, begin, _length) in WINDOWS.items():
        if name.startswith("cn"):
            continue
        tz = window(name)[0].tz
        days = [(begin + timedelta(days=i)).astimezone(tz).date() for i in range(4)]
        midnight = datetime.min.time()
        lengths = {
            (
                utc(datetime.combine(d + timedelta(days=1), midnight, tz))
                - utc(datetime.combine(d, midnight, tz))
            ).total_seconds()
            // 3600
            for d in days
        }
        assert lengths == {24, 25 if "fall" in name else 23}, name


# --- brute force on fixed calendars --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(WINDOWS))
@BRUTE
@given(data=st.data())
def test_due_matches_brute_force(name: str, data: st.DataObject) -> None:
    cal, hours, begin, length = window(name)
    start = begin + MINUTE * data.draw(st.integers(0, length // 2), label="start minute")
    minutes = data.draw(st.integers(0, 600), label="minutes")
    expected = brute_due(cal.tz, hours, start, minutes)
    assert utc(cal.due(start, minutes)) == expected


@pytest.mark.parametrize("name", sorted(WINDOWS))
@BRUTE
@given(data=st.data())
def test_elapsed_matches_brute_force(name: str, data: st.DataObject) -> None:
    cal, hours, begin, length = window(name)
    a = data.draw(st.integers(0, length), label="a")
    span = data.draw(st.integers(0, 6 * 1440), label="span")
    start, end = begin + MINUTE * a, begin + MINUTE * (a + span)
    assert cal.elapsed_minutes(start, end) == brute_elapsed(cal.tz, hours, start, end)


@pytest.mark.parametrize("name", sorted(WINDOWS))
@FAST
@given(data=st.data())
def test_is_working_matches_brute_force(name: str, data: st.DataObject) -> None:
    cal, hours, begin, length = window(name)
    moment = begin + MINUTE * data.draw(st.integers(0, length))
    assert cal.is_working(moment) == brute_working(cal.tz, hours, moment)


# --- brute force on random calendars -------------------------------------------------------------

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Shanghai", "UTC")
# Windows around every 2026 DST change of the zones above, plus an ordinary week. Where an hour
# repeats, boundaries are whole hours (see the module docstring); elsewhere quarter hours, so
# some fall inside skipped hours.
RANDOM_WINDOWS = (
    (datetime(2026, 3, 7, tzinfo=UTC), 15),
    (datetime(2026, 3, 28, tzinfo=UTC), 15),
    (datetime(2026, 10, 24, tzinfo=UTC), 60),
    (datetime(2026, 10, 31, tzinfo=UTC), 60),
    (datetime(2026, 6, 10, tzinfo=UTC), 15),
)


@st.composite
def random_case(draw: st.DrawFn) -> tuple[datetime, list[tuple[int, int]], list[tuple[int, int]]]:
    begin, step = draw(st.sampled_from(RANDOM_WINDOWS))
    return begin, draw(day_hours(False, step)), draw(day_hours(True, step))


@st.composite
def day_hours(draw: st.DrawFn, allow_empty: bool, step: int) -> list[tuple[int, int]]:
    bounds = draw(
        st.lists(
            st.integers(0, 1440 // step).map(lambda n: n * step),
            unique=True,
            min_size=0 if allow_empty else 2,
            max_size=6,
        )
    )
    bounds = sorted(bounds)[: len(bounds) // 2 * 2]
    return [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]


def text(hours: Sequence[tuple[int, int]]) -> list[str]:
    return [f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in hours]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    case=random_case(),
    offset=st.integers(0, 3 * 1440),
    minutes=st.integers(0, 300),
    holiday=st.integers(0, 4),
)
def test_random_calendars_match_brute_force(
    zone: str,
    case: tuple[datetime, list[tuple[int, int]], list[tuple[int, int]]],
    offset: int,
    minutes: int,
    holiday: int,
) -> None:
    begin, weekday, weekend = case
    off = begin.date() + timedelta(days=holiday)
    cal = parse_calendar(
        {
            "timezone": zone,
            "holidays": [off.isoformat()],
            "hours": {
                **{d: text(weekday) for d in WEEKDAYS[:5]},
                "sat": text(weekend),
                "sun": text(weekend),
            },
        },
        "<random>",
    )

    def hours(day: date) -> Sequence[tuple[int, int]]:
        if day == off:
            return ()
        return weekday if day.weekday() < 5 else weekend

    start = begin + MINUTE * offset
    due = cal.due(start, minutes)
    assert utc(due) == brute_due(cal.tz, hours, start, minutes)
    assert cal.elapsed_minutes(start, due) == minutes
    end = start + timedelta(days=1)
    assert cal.elapsed_minutes(start, end) == brute_elapsed(cal.tz, hours, start, end)


# --- laws ----------------------------------------------------------------------------------------

CALENDARS = {"ny": NY_NIGHT[0], "berlin": BERLIN_CAL}
YEAR_2026 = datetime(2026, 1, 1, tzinfo=UTC)
# Late enough starts run into 2027, which the cn preset has no data for.
STARTS = st.integers(0, 300 * 86_400 * 1_000_000).map(
    lambda us: YEAR_2026 + timedelta(microseconds=us)
)
BUDGET_SECONDS = st.integers(0, 30 * 450 * 60)


def calendar(name: str) -> BusinessCalendar:
    return load_calendar("office") if name == "office" else CALENDARS[name]


NAMES = ("office", "ny", "berlin")


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(start=STARTS, a=BUDGET_SECONDS, b=BUDGET_SECONDS)
def test_due_is_monotonic(name: str, start: datetime, a: int, b: int) -> None:
    cal = calendar(name)
    lo, hi = sorted((a, b))
    assert utc(cal.due_seconds(start, lo)) <= utc(cal.due_seconds(start, hi))
    assert utc(cal.due_seconds(start, lo)) >= start


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(start=STARTS, seconds=BUDGET_SECONDS, minutes=st.integers(0, 30 * 450))
def test_elapsed_inverts_due(name: str, start: datetime, seconds: int, minutes: int) -> None:
    cal = calendar(name)
    assert cal.elapsed_seconds(start, cal.due_seconds(start, seconds)) == seconds
    assert cal.elapsed_minutes(start, cal.due(start, minutes)) == minutes


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(start=STARTS, seconds=st.integers(1, 30 * 450 * 60))
def test_due_is_the_earliest_instant(name: str, start: datetime, seconds: int) -> None:
    cal = calendar(name)
    due = cal.due_seconds(start, seconds)
    assert cal.elapsed_us(start, due - timedelta(microseconds=1)) < seconds * 1_000_000


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(start=STARTS, a=BUDGET_SECONDS, b=BUDGET_SECONDS)
def test_due_composes(name: str, start: datetime, a: int, b: int) -> None:
    cal = calendar(name)
    assert utc(cal.due_seconds(cal.due_seconds(start, a), b)) == utc(cal.due_seconds(start, a + b))
    assert utc(cal.due(cal.due(start, a // 60), b // 60)) == utc(cal.due(start, a // 60 + b // 60))


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(points=st.lists(STARTS, min_size=3, max_size=3))
def test_elapsed_is_additive(name: str, points: list[datetime]) -> None:
    cal = calendar(name)
    a, b, c = sorted(points)
    assert cal.elapsed_us(a, b) + cal.elapsed_us(b, c) == cal.elapsed_us(a, c)


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(start=STARTS)
def test_next_working_is_where_counting_starts(name: str, start: datetime) -> None:
    cal = calendar(name)
    opens = cal.next_working(start)
    assert cal.is_working(opens)
    assert cal.elapsed_us(start, opens) == 0
    assert utc(cal.due_seconds(start, 1)) == utc(opens) + timedelta(seconds=1)


# --- the round-the-clock shortcut ----------------------------------------------------------------

ALWAYS: list[tuple[tuple[int, int], ...]] = [((0, 1440),)] * 7


@pytest.mark.parametrize("tzname", ["UTC", "Asia/Shanghai", "Europe/Berlin"])
@FAST
@given(start=STARTS, us=st.integers(0, 400 * 86_400 * 1_000_000))
def test_a_round_the_clock_due_is_the_year_tables_due(
    tzname: str, start: datetime, us: int
) -> None:
    """Calendars open every minute of every day add the budget; the year tables must agree,
    across clock changes too."""
    quick = BusinessCalendar("always", tzname, ALWAYS)
    walked = BusinessCalendar("always", tzname, ALWAYS)
    walked.continuous = False
    assert quick.continuous and load_calendar("24x7").continuous
    assert not load_calendar("office").continuous
    seconds = us / 1_000_000
    assert quick.due_seconds(start, seconds) == walked.due_seconds(start, seconds)
    assert quick.due_seconds(start, seconds).tzinfo == walked.due_seconds(start, seconds).tzinfo
    assert quick.due(start, seconds / 60) == walked.due(start, seconds / 60)
