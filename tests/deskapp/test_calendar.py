"""Business calendars on worked examples: the office day, China's 2026 holidays, bad files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from deskapp.calendar import BusinessCalendar, CalendarDataError, CalendarError
from deskapp.calendar_files import (
    clear_calendar_cache,
    format_due,
    format_elapsed,
    load_calendar,
    parse_calendar,
    parse_instant,
)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")


def utc(moment: datetime) -> datetime:
    """Compare DST-zone instants in UTC: Python compares two datetimes of the same zone by wall
    time (ignoring `fold`), and never finds one inside a repeated hour equal to another zone's."""
    return moment.astimezone(UTC)


def sh(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SH)


@pytest.fixture
def office() -> BusinessCalendar:
    return load_calendar("office")


def write(tmp_path: Path, text: str, name: str = "cal.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the office day ------------------------------------------------------------------------------


def test_office_shape(office: BusinessCalendar) -> None:
    assert office.name == "office"
    assert office.tzname == "Asia/Shanghai"
    assert office.day_minutes == 450


def test_lunch_break_is_skipped(office: BusinessCalendar) -> None:
    # Monday 2026-11-23: 11:00 + 2 h = 1 h before lunch, 1 h after 13:30.
    assert office.due(sh(2026, 11, 23, 11, 0), 120) == sh(2026, 11, 23, 14, 30)


def test_work_ending_at_noon_is_due_at_noon(office: BusinessCalendar) -> None:
    assert office.due(sh(2026, 11, 23, 9, 0), 180) == sh(2026, 11, 23, 12, 0)
    assert office.due(sh(2026, 11, 23, 9, 0), 181) == sh(2026, 11, 23, 13, 31)


def test_work_ending_at_close_is_due_at_close(office: BusinessCalendar) -> None:
    assert office.due(sh(2026, 11, 23, 9, 0), 450) == sh(2026, 11, 23, 18, 0)
    assert office.due(sh(2026, 11, 23, 9, 0), 451) == sh(2026, 11, 24, 9, 1)


def test_start_before_hours(office: BusinessCalendar) -> None:
    assert office.due(sh(2026, 11, 23, 7, 12), 30) == sh(2026, 11, 23, 9, 30)


def test_start_at_lunch(office: BusinessCalendar) -> None:
    assert office.due(sh(2026, 11, 23, 12, 40), 30) == sh(2026, 11, 23, 14, 0)


def test_start_at_night(office: BusinessCalendar) -> None:
    assert office.due(sh(2026, 11, 23, 22, 0), 60) == sh(2026, 11, 24, 10, 0)
    assert office.due(sh(2026, 11, 24, 3, 0), 60) == sh(2026, 11, 24, 10, 0)


def test_start_on_weekend(office: BusinessCalendar) -> None:
    # Saturday 2026-11-21 → Monday.
    assert office.due(sh(2026, 11, 21, 10, 0), 90) == sh(2026, 11, 23, 10, 30)


def test_due_of_zero_is_start_even_outside_hours(office: BusinessCalendar) -> None:
    night = sh(2026, 11, 21, 23, 0)
    assert office.due(night, 0) == night


def test_result_is_in_calendar_zone_and_input_zone_does_not_matter(
    office: BusinessCalendar,
) -> None:
    start_utc = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    result = office.due(start_utc, 60)
    assert result.utcoffset() == timedelta(hours=8)
    assert result == sh(2026, 11, 23, 10, 0)


def test_naive_input_is_refused(office: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        office.due(datetime(2026, 11, 23, 9, 0), 10)
    with pytest.raises(ValueError, match="aware"):
        office.elapsed_seconds(datetime(2026, 11, 23, 9, 0), sh(2026, 11, 24))


def test_negative_budget_is_refused(office: BusinessCalendar) -> None:
    with pytest.raises(ValueError):
        office.due(sh(2026, 11, 23, 9, 0), -1)


def test_elapsed(office: BusinessCalendar) -> None:
    assert office.elapsed_minutes(sh(2026, 11, 23, 8, 0), sh(2026, 11, 23, 20, 0)) == 450
    assert office.elapsed_minutes(sh(2026, 11, 23, 11, 30), sh(2026, 11, 23, 14, 0)) == 60
    assert office.elapsed_seconds(sh(2026, 11, 23, 14, 0), sh(2026, 11, 23, 11, 30)) == 0
    # Friday 17:00 → Monday 10:00 = 1 h + 1 h.
    assert office.elapsed_minutes(sh(2026, 11, 20, 17, 0), sh(2026, 11, 23, 10, 0)) == 120


def test_is_working_and_next_working(office: BusinessCalendar) -> None:
    assert office.is_working(sh(2026, 11, 23, 9, 0))
    assert not office.is_working(sh(2026, 11, 23, 12, 0))
    assert not office.is_working(sh(2026, 11, 21, 10, 0))
    at = sh(2026, 11, 23, 10, 15)
    assert office.next_working(at) == at
    assert office.next_working(sh(2026, 11, 23, 12, 0)) == sh(2026, 11, 23, 13, 30)
    assert office.next_working(sh(2026, 11, 20, 18, 0)) == sh(2026, 11, 23, 9, 0)


def test_next_working_across_a_year_end() -> None:
    cal = parse_calendar(
        {"timezone": "UTC", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed")}},
        "<test>",
    )
    # Thursday 2026-12-31 → Monday 2027-01-04.
    assert cal.next_working(datetime(2026, 12, 31, 12, tzinfo=UTC)) == datetime(
        2027, 1, 4, 9, tzinfo=UTC
    )


def test_spans_crossing_a_year_end() -> None:
    cal = parse_calendar(
        {"timezone": "Europe/Berlin", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue")}},
        "<test>",
    )
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2025, 12, 30, 16, tzinfo=berlin)  # Tuesday, one hour left
    # 1 h on 2025-12-30, then Mon 2026-01-05 and Tue 01-06 (8 h each), then 1 h on 01-12.
    due = cal.due(start, 18 * 60)
    assert due == datetime(2026, 1, 12, 10, tzinfo=berlin)
    assert cal.elapsed_minutes(start, due) == 18 * 60
    # Across several whole years.
    far = datetime(2029, 6, 5, 12, tzinfo=berlin)
    assert cal.due(start, cal.elapsed_minutes(start, far)) == far


# --- China 2026 ----------------------------------------------------------------------------------


def test_national_day_2026_follows_chinese_calendar(office: BusinessCalendar) -> None:
    for day in range(1, 12):
        d = date(2026, 10, day)
        assert office.is_working_day(d) == chinese_calendar.is_workday(d), d
    assert not any(office.is_working_day(date(2026, 10, day)) for day in range(1, 8))
    assert office.is_working_day(date(2026, 10, 10))  # Saturday, 调休 make-up workday
    assert date(2026, 10, 10).weekday() == 5


def test_due_across_national_day(office: BusinessCalendar) -> None:
    # Wednesday 2026-09-30 17:00: one hour left, then the holiday, then Thursday 10-08.
    assert office.due(sh(2026, 9, 30, 17, 0), 120) == sh(2026, 10, 8, 10, 0)
    # 1 h on 09-30 + 7.5 h on 10-08 + 7.5 h on 10-09, then Saturday 10-10 at makeup hours.
    assert office.due(sh(2026, 9, 30, 17, 0), 60 + 900 + 30) == sh(2026, 10, 10, 9, 30)
    assert office.hours_on(date(2026, 10, 10)) == ((540, 720), (810, 1080))


def test_year_without_preset_data_raises(office: BusinessCalendar) -> None:
    with pytest.raises(CalendarDataError) as info:
        office.due(sh(2027, 1, 4, 9, 0), 10)
    assert str(info.value) == (
        "calendar 'office' (preset cn) has no holiday data for 2027; add the year's dates to "
        "holidays/workdays or update chinesecalendar (`deskapp sla due --provisional` counts the "
        "weekly hours instead)"
    )
    # A 2026 start whose budget runs into 2027 must not guess either.
    with pytest.raises(CalendarDataError):
        office.due(sh(2026, 12, 30, 9, 0), 5 * 450)
    with pytest.raises(CalendarDataError):
        office.elapsed_seconds(sh(2026, 12, 30, 9, 0), sh(2027, 1, 5))


def test_year_listed_in_the_file_falls_back_to_weekdays(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'timezone = "Asia/Shanghai"\npreset = "cn"\nholidays = ["2027-01-01"]\n'
        'workdays = ["2027-01-09"]\n[hours]\nmon = ["09:00-17:00"]\ntue = ["09:00-17:00"]\n'
        'wed = ["09:00-17:00"]\nthu = ["09:00-17:00"]\nfri = ["09:00-17:00"]\n',
    )
    cal = load_calendar(str(path))
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 1, 4))
    assert cal.is_working_day(date(2027, 1, 9))  # Saturday listed as a workday
    assert not cal.is_working_day(date(2027, 1, 10))


# --- 24x7 ----------------------------------------------------------------------------------------


def test_24x7_counts_every_real_minute() -> None:
    cal = load_calendar("24x7")
    assert cal.tzname == "UTC"
    assert cal.day_minutes == 1440
    start = datetime(2026, 12, 31, 23, 30, tzinfo=SH)
    assert cal.due(start, 90) == start + timedelta(minutes=90)
    assert cal.due(start, 90).utcoffset() == timedelta(0)
    assert cal.elapsed_minutes(start, start + timedelta(days=400)) == 400 * 1440
    assert cal.is_working(start)
    assert cal.due(datetime(2031, 12, 31, 23, tzinfo=UTC), 120) == datetime(
        2032, 1, 1, 1, tzinfo=UTC
    )


# --- DST -----------------------------------------------------------------------------------------


def night_calendar(tzname: str) -> BusinessCalendar:
    return parse_calendar(
        {
            "timezone": tzname,
            "hours": {
                d: ["00:00-04:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
        },
        "<test>",
    )


def test_spring_forward_shortens_the_interval() -> None:
    cal = night_calendar("America/New_York")
    day = datetime(2026, 3, 8, tzinfo=NY)
    assert cal.elapsed_minutes(day, day + timedelta(days=1)) == 180
    # 01:30 EST + 60 working minutes: 02:00 does not exist, so 03:30 EDT.
    assert utc(cal.due(datetime(2026, 3, 8, 1, 30, tzinfo=NY), 60)) == utc(
        datetime(2026, 3, 8, 3, 30, tzinfo=NY)
    )


def test_fall_back_counts_the_repeated_hour_twice() -> None:
    cal = night_calendar("America/New_York")
    day = datetime(2026, 11, 1, tzinfo=NY)
    assert cal.elapsed_minutes(day, day + timedelta(days=1)) == 300
    one_am_edt = datetime(2026, 11, 1, 1, 0, tzinfo=NY, fold=0)
    one_am_est = datetime(2026, 11, 1, 1, 0, tzinfo=NY, fold=1)
    assert utc(one_am_est) - utc(one_am_edt) == timedelta(hours=1)
    assert utc(cal.due(one_am_edt, 60)) == utc(one_am_est)
    assert utc(cal.due(one_am_edt, 90)) == utc(datetime(2026, 11, 1, 1, 30, tzinfo=NY, fold=1))


def test_interval_ending_inside_a_repeated_hour_is_contiguous() -> None:
    # 00:00-01:30 on the fall-back night ends at the *first* 01:30 (EDT): the interval is one
    # stretch of real time, so the second pass through 01:00-01:30 (EST) is not working time.
    cal = parse_calendar(
        {"timezone": "America/New_York", "hours": {"sun": ["00:00-01:30"]}}, "<test>"
    )
    day = datetime(2026, 11, 1, tzinfo=NY)
    assert cal.elapsed_minutes(day, day + timedelta(days=1)) == 90
    assert not cal.is_working(datetime(2026, 11, 1, 1, 10, tzinfo=NY, fold=1))


def test_interval_starting_in_a_gap_starts_at_the_transition() -> None:
    cal = parse_calendar({"timezone": "Europe/Berlin", "hours": {"sun": ["02:30-05:00"]}}, "<test>")
    berlin = ZoneInfo("Europe/Berlin")
    # 2026-03-29 02:00 CET → 03:00 CEST: the day's work runs 03:00–05:00 CEST.
    day = datetime(2026, 3, 29, tzinfo=berlin)
    assert utc(cal.next_working(day)) == utc(datetime(2026, 3, 29, 3, 0, tzinfo=berlin))
    assert cal.elapsed_minutes(day, day + timedelta(days=1)) == 120


def test_parse_instant() -> None:
    assert parse_instant("2026-11-23T09:00", SH) == sh(2026, 11, 23, 9)
    assert parse_instant("2026-11-23T09:00:00Z", SH) == datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert parse_instant("2026-11-23 09:00+02:00", "Asia/Shanghai") == datetime(
        2026, 11, 23, 7, tzinfo=UTC
    )
    # Skipped wall time → the transition; repeated wall time → first occurrence.
    assert utc(parse_instant("2026-03-08T02:30", NY)) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert utc(parse_instant("2026-11-01T01:30", NY)) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_instant("next tuesday", SH)


# --- CLI helpers ---------------------------------------------------------------------------------


def test_format_due() -> None:
    assert format_due("office", "2026-11-23T11:00", 180) == "2026-11-23T15:30:00+08:00"
    assert format_due("24x7", "2026-11-23T11:00:00+08:00", 30) == "2026-11-23T03:30:00+00:00"


def test_format_elapsed() -> None:
    assert format_elapsed("office", "2026-11-23T09:00", "2026-11-23T18:00") == "450"
    assert format_elapsed("office", "2026-11-23T09:00", "2026-11-23T09:00:30") == "0.5"
    assert format_elapsed("office", "2026-11-23T09:00", "2026-11-23T09:00:20") == "0.33"
    assert format_elapsed("office", "2026-11-23T18:00", "2026-11-23T09:00") == "0"


# --- loading and bad files -----------------------------------------------------------------------


def test_search_dirs_come_before_the_package(tmp_path: Path) -> None:
    write(
        tmp_path,
        'name = "office"\ntimezone = "UTC"\n[hours]\nmon = ["10:00-11:00"]\n',
        "office.toml",
    )
    try:
        cal = load_calendar("office", [tmp_path])
        assert cal.tzname == "UTC"
        assert load_calendar("office", [tmp_path]) is cal  # cached
        assert load_calendar("office").tzname == "Asia/Shanghai"
    finally:
        clear_calendar_cache()


def test_unknown_calendar_name(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="unknown calendar 'nowhere'"):
        load_calendar("nowhere", [tmp_path])


def test_missing_file() -> None:
    with pytest.raises(CalendarError, match="not found"):
        load_calendar("/nonexistent/cal.toml")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('timezone = "UTC"\n[hours\n', "not valid TOML"),
        ('timezone = "UTC"\ncolour = "red"\n[hours]\n', "unknown key(s) colour"),
        ('timezone = "UTC"\n[hours]\nmonday = ["09:00-10:00"]\n', "unknown key(s) in [hours]"),
        ('timezone = "UTC"\n[hours]\nmon = ["9-10"]\n', "hours.mon: bad interval '9-10'"),
        ('timezone = "UTC"\n[hours]\nmon = ["09:00-25:00"]\n', "hours.mon: bad time"),
        ('timezone = "UTC"\n[hours]\nmon = ["18:00-09:00"]\n', "cannot cross midnight"),
        ('timezone = "UTC"\n[hours]\nmon = ["09:00-12:00", "11:00-13:00"]\n', "overlap"),
        ('timezone = "UTC"\n[hours]\nmon = "09:00-12:00"\n', "hours.mon: expected a list"),
        ('timezone = "Mars/Olympus"\n[hours]\nmon = ["09:00-12:00"]\n', "unknown timezone"),
        ('[hours]\nmon = ["09:00-12:00"]\n', "timezone is required"),
        ('timezone = "UTC"\npreset = "us"\n[hours]\nmon = ["09:00-12:00"]\n', "unknown preset"),
        (
            'timezone = "UTC"\nholidays = ["2026-13-01"]\n[hours]\nmon = ["09:00-12:00"]\n',
            "holidays: '2026-13-01' is not a date",
        ),
        (
            'timezone = "UTC"\nholidays = ["2026-10-01"]\nworkdays = ["2026-10-01"]\n'
            '[hours]\nmon = ["09:00-12:00"]\n',
            "both holiday and workday: 2026-10-01",
        ),
        ('timezone = "UTC"\n[hours]\nsat = []\n', "no working hours"),
        ('timezone = "UTC"\n', "an [hours] table is required"),
    ],
)
def test_bad_files_name_file_and_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text, "broken.toml")
    with pytest.raises(CalendarError) as info:
        load_calendar(str(path))
    message = str(info.value)
    assert str(path) in message
    assert problem in message


def test_toml_dates_and_24_00_end(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'timezone = "UTC"\nholidays = [2026-11-24]\n'
        '[hours]\nmon = ["20:00-24:00"]\ntue = ["00:00-02:00"]\nwed = ["00:00-02:00"]\n',
    )
    cal = load_calendar(str(path))
    monday_night = datetime(2026, 11, 23, 22, tzinfo=UTC)
    # Monday 22:00 + 3 h: 2 h to midnight, Tuesday is a holiday, 1 h on Wednesday.
    assert cal.due(monday_night, 180) == datetime(2026, 11, 25, 1, tzinfo=UTC)
    assert cal.due(monday_night, 120) == datetime(2026, 11, 24, 0, tzinfo=UTC)
