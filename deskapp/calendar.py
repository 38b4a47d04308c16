"""Business calendars: which real instants count towards a service-level budget.

Promises such as "resolve within 3 business days" are made in *working* time, so every due time,
countdown and pause needs to know when the desk is open. Working time is real elapsed time inside
the wall-clock opening hours of working days: a daylight-saving change lengthens or shortens the
day by the real hour, because that is how long the staff were actually there.

Due times are computed very often (every case, every milestone, every pause), so each calendar
turns a year at a time into a sorted table of working intervals in UTC microseconds with their
cumulative working time, built lazily and cached; `due` and `elapsed` are then two binary searches.
Integer microseconds keep `due(due(s, a), b) == due(s, a + b)` exact instead of nearly so.

The China preset reads statutory holidays and 调休 make-up workdays from `chinese_calendar`. A year
it has no data for is an error, never a silent guess: a wrong holiday table would move due times.
The live desk cannot stop on 1 January, though, so it uses each calendar's `provisional` twin:
past the holiday data it works the plain weekly hours, and every due time that reaches beyond the
data says so (`is_provisional`); the desk recomputes those once the year's dates are added
(`deskapp.milestones.settle_provisional`). `deskapp sla due` keeps refusing unless asked.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

__all__ = [
    "BUILTIN_24X7",
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarDataError",
    "CalendarError",
]


class CalendarError(ValueError):
    """A calendar that cannot be loaded or used; the message names the file and the problem."""


class CalendarDataError(CalendarError):
    """A preset lacks holiday data for a year that a computation needs."""


BUILTIN_24X7 = "24x7"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRESETS = frozenset({"cn"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US_PER_S = 1_000_000
_US_PER_MIN = 60 * _US_PER_S
_ONE_DAY = timedelta(days=1)
#: How far `due`/`next_working` look for working time before declaring there is none.
_MAX_YEARS_AHEAD = 200

Interval = tuple[int, int]
"""Wall-clock minutes from midnight, [start, end); end may be 1440 (24:00)."""
Hours = tuple[Interval, ...]


# --- instants as integer microseconds ------------------------------------------------------------


@cache
def _preset_last_year() -> int:
    """The last year the installed chinesecalendar knows (fixed for the process; asked for
    every due time a desk or an import gives, so not recounted each time)."""
    return int(max(d.year for d in chinese_calendar.holidays))


def _require_aware(moment: datetime, what: str = "moment") -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime (with a UTC offset), got {moment!r}")
    return moment


def _to_us(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US_PER_S + delta.microseconds


def from_us(us: int, tz: tzinfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(tz)


def wall_to_us(tz: tzinfo, wall: datetime) -> int:
    """The earliest instant whose wall time in `tz` reaches `wall` (naive).

    Inside a repeated hour that is the first occurrence; inside a skipped hour it is the
    transition itself, because that is the first moment the clock on the wall shows a later time.
    """
    first = wall.replace(tzinfo=tz, fold=0)
    us = _to_us(first)
    if from_us(us, tz).replace(tzinfo=None) == wall:
        return us
    # A gap: fold=1 reads the wall time with the offset after the change, which lands before
    # the transition; fold=0 lands after it. Search the whole seconds in between.
    lo = _to_us(wall.replace(tzinfo=tz, fold=1)) // _US_PER_S
    hi = -(-us // _US_PER_S)
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if from_us(mid * _US_PER_S, tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi * _US_PER_S


# --- the per-year tables -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _YearTable:
    starts: list[int]
    ends: list[int]
    cum: list[int]  # working microseconds in the year before interval i
    cum_end: list[int]  # ... up to the end of interval i
    total: int


@dataclass(frozen=True)
class YearPlan:
    year: int
    working_days: int
    #: Days whose weekday has hours but which are not worked.
    holidays: tuple[date, ...]
    #: Days whose weekday has no hours but which are worked (调休).
    makeup_days: tuple[date, ...]


class BusinessCalendar:
    """Opening hours, holidays and make-up workdays in one time zone."""

    name: str
    tz: ZoneInfo
    tzname: str
    preset: str | None
    source: str

    def __init__(
        self,
        name: str,
        tzname: str,
        weekly: Sequence[Hours],
        *,
        makeup: Hours | None = None,
        holidays: frozenset[date] = frozenset(),
        workdays: frozenset[date] = frozenset(),
        preset: str | None = None,
        source: str = "<built-in>",
    ) -> None:
        if len(weekly) != 7:
            raise CalendarError(f"{source}: need hours for 7 weekdays, got {len(weekly)}")
        try:
            self.tz = ZoneInfo(tzname)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(f"{source}: unknown timezone {tzname!r}") from exc
        if preset is not None and preset not in PRESETS:
            raise CalendarError(
                f"{source}: unknown preset {preset!r} (known: {', '.join(sorted(PRESETS))})"
            )
        both = holidays & workdays
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise CalendarError(f"{source}: dates listed as both holiday and workday: {listed}")
        self.name = name
        self.tzname = tzname
        self.preset = preset
        self.source = source
        self._weekly: tuple[Hours, ...] = tuple(tuple(h) for h in weekly)
        if makeup is None:
            # A make-up workday is worked like a normal day: Monday's hours, or failing that
            # the first weekday that has any, so a calendar closed on Mondays still works.
            makeup = next((h for h in self._weekly if h), ())
        self._makeup: Hours = tuple(makeup)
        if not self._makeup and not any(self._weekly):
            raise CalendarError(f"{source}: calendar {name!r} has no working hours at all")
        self._holidays = holidays
        self._workdays = workdays
        # Years the preset lacks but for which the file lists dates: the file's author has
        # taken responsibility for that year, so the plain weekday rule applies there.
        self._listed_years = frozenset(d.year for d in holidays | workdays)
        self._tables: dict[int, _YearTable] = {}
        self._year_starts: dict[int, int] = {}
        self._lock = threading.Lock()
        #: Open round the clock every day of the year (the built-in 24x7): every real
        #: microsecond is working time, so a due time is an addition.
        self.continuous = (
            preset is None and not holidays and all(hours == ((0, 1440),) for hours in self._weekly)
        )
        #: Past the holiday data, work the weekly hours instead of refusing (see `provisional`).
        self.lenient = False
        self._provisional: BusinessCalendar | None = None

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.name!r}, {self.tzname!r}, source={self.source!r})"

    # --- day rules ------------------------------------------------------------------------

    @property
    def day_minutes(self) -> int:
        """Minutes in one standard working day, the unit of "business day" budgets."""
        return sum(end - start for start, end in self._makeup)

    def is_working_day(self, day: date) -> bool:
        return bool(self.hours_on(day))

    def hours_on(self, day: date) -> Hours:
        """The wall-clock working intervals of a local date (empty on days off)."""
        if day in self._holidays:
            return ()
        weekly = self._weekly[day.weekday()]
        if day in self._workdays:
            working = True
        elif self.preset == "cn":
            working = self._cn_workday(day, bool(weekly))
        else:
            working = bool(weekly)
        if not working:
            return ()
        return weekly or self._makeup

    def _cn_workday(self, day: date, weekday_has_hours: bool) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year in self._listed_years or self.lenient:
                return weekday_has_hours
            raise CalendarDataError(
                f"calendar {self.name!r} (preset cn) has no holiday data for {day.year}; "
                "add the year's dates to holidays/workdays or update chinesecalendar "
                "(`deskapp sla due --provisional` counts the weekly hours instead)"
            ) from None

    def data_until(self) -> date | None:
        """The last day whose holidays this calendar knows, or None when it needs no data.

        A preset covers whole years; a later year counts as covered once the file lists dates
        for it. Due times past this day cannot be computed, so the desk warns ahead of it.
        """
        if self.preset != "cn":
            return None
        year = _preset_last_year()
        while year + 1 in self._listed_years:
            year += 1
        return date(year, 12, 31)

    def year_plan(self, year: int) -> YearPlan:
        """A year as an admin checks it: the days worked, the weekdays off (holidays) and the
        weekend days worked (make-up days). Raises `CalendarDataError` for a year the
        calendar has no holiday data for (unless this is the provisional twin)."""
        holidays: list[date] = []
        makeup: list[date] = []
        worked = 0
        day = date(year, 1, 1)
        while day.year == year:
            working = bool(self.hours_on(day))
            worked += working
            if self._weekly[day.weekday()] and not working:
                holidays.append(day)
            elif working and not self._weekly[day.weekday()]:
                makeup.append(day)
            day += _ONE_DAY
        return YearPlan(year, worked, tuple(holidays), tuple(makeup))

    def weekly_hours(self) -> tuple[Hours, ...]:
        return self._weekly

    def provisional(self) -> BusinessCalendar:
        """This calendar for the live desk: the same within its holiday data, the plain weekly
        hours past it (no holidays, no make-up days), so due times can still be given; those
        that reach past the data are marked by `is_provisional`."""
        if self.preset != "cn" or self.lenient:
            return self
        if self._provisional is None:
            twin = BusinessCalendar(
                self.name,
                self.tzname,
                self._weekly,
                makeup=self._makeup,
                holidays=self._holidays,
                workdays=self._workdays,
                preset=self.preset,
                source=self.source,
            )
            twin.lenient = True
            self._provisional = twin
        return self._provisional

    def is_provisional(self, due: datetime) -> bool:
        """Whether a due time reaches past the holiday data (it was worked out from the weekly
        hours alone and moves when the year's holidays are added)."""
        until = self.data_until()
        return until is not None and due.astimezone(self.tz).date() > until

    # --- tables -----------------------------------------------------------------------------

    def _year_start(self, year: int) -> int:
        us = self._year_starts.get(year)
        if us is None:
            if not 1 <= year <= 9998:
                raise CalendarError(f"calendar {self.name!r}: year {year} is out of range")
            us = wall_to_us(self.tz, datetime.combine(date(year, 1, 1), time()))
            self._year_starts[year] = us
        return us

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            with self._lock:
                table = self._tables.get(year)
                if table is None:
                    table = self._build(year)
                    self._tables[year] = table
        return table

    def _build(self, year: int) -> _YearTable:
        self._year_start(year)
        self._year_start(year + 1)
        starts: list[int] = []
        ends: list[int] = []
        day = date(year, 1, 1)
        while day.year == year:
            hours = self.hours_on(day)
            if hours:
                midnight = datetime.combine(day, time())  # naive: a wall-clock reading
                for lo, hi in hours:
                    s = wall_to_us(self.tz, midnight + timedelta(minutes=lo))
                    e = wall_to_us(self.tz, midnight + timedelta(minutes=hi))
                    if e <= s:
                        continue  # swallowed whole by a skipped hour
                    if ends and s <= ends[-1]:
                        ends[-1] = max(ends[-1], e)
                    else:
                        starts.append(s)
                        ends.append(e)
            day += _ONE_DAY
        cum: list[int] = []
        cum_end: list[int] = []
        total = 0
        for s, e in zip(starts, ends, strict=True):
            cum.append(total)
            total += e - s
            cum_end.append(total)
        return _YearTable(starts, ends, cum, cum_end, total)

    def _year_of(self, us: int) -> int:
        year = (_EPOCH + timedelta(microseconds=us)).year
        while us < self._year_start(year):
            year -= 1
        while us >= self._year_start(year + 1):
            year += 1
        return year

    def _locate(self, us: int) -> tuple[int, int]:
        """(local year, working microseconds from that year's start up to `us`)."""
        year = self._year_of(us)
        table = self._table(year)
        i = bisect_right(table.starts, us) - 1
        if i < 0:
            return year, 0
        return year, table.cum[i] + min(us, table.ends[i]) - table.starts[i]

    def _due_us(self, start_us: int, work_us: int) -> int:
        if work_us < 0:
            raise ValueError(f"a working-time budget cannot be negative ({work_us / 1e6} s)")
        if work_us == 0:
            return start_us
        year, pos = self._locate(start_us)
        target = pos + work_us
        first_year = year
        table = self._table(year)
        while target > table.total:
            target -= table.total
            year += 1
            if year - first_year > _MAX_YEARS_AHEAD:
                raise CalendarError(
                    f"calendar {self.name!r} has no working time within {_MAX_YEARS_AHEAD} years"
                )
            table = self._table(year)
        i = bisect_left(table.cum_end, target)
        return table.ends[i] - (table.cum_end[i] - target)

    # --- public queries ---------------------------------------------------------------------

    def due(self, start: datetime, minutes: float) -> datetime:
        """The earliest instant by which `minutes` of working time have passed since `start`.

        Work that ends exactly at closing time is due at closing time, not when the desk
        reopens; a start outside working hours begins counting at the next working instant.
        """
        return self._due(_require_aware(start, "start"), round(minutes * _US_PER_MIN))

    def due_seconds(self, start: datetime, seconds: float) -> datetime:
        return self._due(_require_aware(start, "start"), round(seconds * _US_PER_S))

    def _due(self, start: datetime, work_us: int) -> datetime:
        if self.continuous and work_us >= 0:
            return (start + timedelta(microseconds=work_us)).astimezone(self.tz)
        return from_us(self._due_us(_to_us(start), work_us), self.tz)

    def elapsed_us(self, start: datetime, end: datetime) -> int:
        """Working microseconds between two instants; exact, for callers that compare."""
        a = _to_us(_require_aware(start, "start"))
        b = _to_us(_require_aware(end, "end"))
        if b <= a:
            return 0
        year_a, pos_a = self._locate(a)
        year_b, pos_b = self._locate(b)
        if year_a == year_b:
            return pos_b - pos_a
        between = sum(self._table(y).total for y in range(year_a + 1, year_b))
        return self._table(year_a).total - pos_a + between + pos_b

    def elapsed_seconds(self, start: datetime, end: datetime) -> float:
        return self.elapsed_us(start, end) / _US_PER_S

    def elapsed_minutes(self, start: datetime, end: datetime) -> float:
        return self.elapsed_us(start, end) / _US_PER_MIN

    def is_working(self, moment: datetime) -> bool:
        us = _to_us(_require_aware(moment))
        table = self._table(self._year_of(us))
        i = bisect_right(table.starts, us) - 1
        return i >= 0 and us < table.ends[i]

    def next_working(self, moment: datetime) -> datetime:
        """`moment` itself if the desk is working then, else when it next opens."""
        us = _to_us(_require_aware(moment))
        year = self._year_of(us)
        table = self._table(year)
        i = bisect_right(table.starts, us) - 1
        if i >= 0 and us < table.ends[i]:
            return moment.astimezone(self.tz)
        i += 1
        first_year = year
        while i >= len(table.starts):
            year += 1
            if year - first_year > _MAX_YEARS_AHEAD:
                raise CalendarError(
                    f"calendar {self.name!r} has no working time within {_MAX_YEARS_AHEAD} years"
                )
            table = self._table(year)
            i = 0
        return from_us(table.starts[i], self.tz)


# --- loading -------------------------------------------------------------------------------------
