"""Business calendars as files: parsing a calendar's TOML (hours, holidays, make-up days),
finding it by name in the configured folders (a file of the same name in the config directory
overrides the shipped one), and the text forms `deskapp sla` reads and prints.

The arithmetic itself, and what a calendar knows, is `deskapp.calendar`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from datetime import date, datetime, tzinfo
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from deskapp.calendar import (
    BUILTIN_24X7,
    WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    Hours,
    Interval,
    from_us,
    wall_to_us,
)
from deskapp.tomlfile import read_toml

_TOP_KEYS = frozenset({"name", "timezone", "preset", "holidays", "workdays", "hours"})
_HOUR_KEYS = frozenset({*WEEKDAYS, "makeup"})
_INTERVAL_RE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
DATA_DIR = Path(__file__).parent / "data" / "calendars"


def _minutes_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_interval(text: object, where: str) -> Interval:
    if not isinstance(text, str):
        raise CalendarError(f'{where}: expected a string like "09:00-12:00", got {text!r}')
    match = _INTERVAL_RE.fullmatch(text)
    if match is None:
        raise CalendarError(f"{where}: bad interval {text!r} (expected HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise CalendarError(f"{where}: bad time in interval {text!r}")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise CalendarError(
            f"{where}: interval {text!r} ends before it starts (intervals cannot cross midnight)"
        )
    return start, end


def _parse_hours(value: object, where: str) -> Hours:
    if not isinstance(value, list):
        raise CalendarError(f'{where}: expected a list of "HH:MM-HH:MM" strings, got {value!r}')
    intervals = sorted(_parse_interval(item, where) for item in value)
    for (s1, e1), (s2, e2) in pairwise(intervals):
        if s2 < e1:
            raise CalendarError(
                f"{where}: intervals {_minutes_text(s1)}-{_minutes_text(e1)} and "
                f"{_minutes_text(s2)}-{_minutes_text(e2)} overlap"
            )
    return tuple(intervals)


def _parse_dates(value: object, where: str) -> frozenset[date]:
    if not isinstance(value, list):
        raise CalendarError(f'{where}: expected a list of dates like "2026-10-01"')
    days: set[date] = set()
    for item in value:
        if isinstance(item, datetime):
            raise CalendarError(f"{where}: {item!r} is a date-time; list plain dates")
        if isinstance(item, date):
            days.add(item)
            continue
        if not isinstance(item, str):
            raise CalendarError(f"{where}: {item!r} is not a date")
        try:
            days.add(date.fromisoformat(item.strip()))
        except ValueError:
            raise CalendarError(f"{where}: {item!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(days)


def parse_calendar(data: Mapping[str, object], source: str) -> BusinessCalendar:
    """Build a calendar from parsed TOML; `source` names the file in every error."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise CalendarError(
            f"{source}: unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(_TOP_KEYS))})"
        )
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name.strip():
        raise CalendarError(f"{source}: name must be a non-empty string")
    tzname = data.get("timezone")
    if not isinstance(tzname, str):
        raise CalendarError(f'{source}: timezone is required, e.g. timezone = "Asia/Shanghai"')
    preset = data.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise CalendarError(f"{source}: preset must be a string")
    hours = data.get("hours")
    if not isinstance(hours, dict):
        raise CalendarError(f"{source}: an [hours] table is required")
    unknown = sorted(set(hours) - _HOUR_KEYS)
    if unknown:
        raise CalendarError(
            f"{source}: unknown key(s) in [hours]: {', '.join(unknown)} "
            f"(allowed: {', '.join((*WEEKDAYS, 'makeup'))})"
        )
    weekly = [_parse_hours(hours.get(day, []), f"{source}: hours.{day}") for day in WEEKDAYS]
    makeup = _parse_hours(hours["makeup"], f"{source}: hours.makeup") if "makeup" in hours else None
    return BusinessCalendar(
        name.strip(),
        tzname,
        weekly,
        makeup=makeup,
        holidays=_parse_dates(data.get("holidays", []), f"{source}: holidays"),
        workdays=_parse_dates(data.get("workdays", []), f"{source}: workdays"),
        preset=preset,
        source=source,
    )


def _read_calendar_file(path: Path) -> BusinessCalendar:
    _text, data = read_toml(path, CalendarError, "calendar file")
    return parse_calendar(data, str(path))


def _builtin_24x7() -> BusinessCalendar:
    always: Hours = ((0, 1440),)
    return BusinessCalendar(BUILTIN_24X7, "UTC", [always] * 7, source="<built-in 24x7>")


_cache: dict[str, BusinessCalendar] = {}
_cache_lock = threading.Lock()


def _resolve(name_or_path: str, search_dirs: Sequence[Path]) -> Path:
    text = name_or_path.strip()
    if text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(text).expanduser()
        if not path.is_file():
            raise CalendarError(f"{path}: calendar file not found")
        return path.resolve()
    if not _NAME_RE.fullmatch(text):
        raise CalendarError(f"{name_or_path!r} is not a calendar name or a path to a .toml file")
    dirs = [Path(d) for d in search_dirs] + [DATA_DIR]
    for directory in dirs:
        candidate = directory / f"{text}.toml"
        if candidate.is_file():
            return candidate.resolve()
    looked = ", ".join(str(d) for d in dirs)
    raise CalendarError(
        f"unknown calendar {text!r}: not built in ({BUILTIN_24X7!r}) and no {text}.toml in {looked}"
    )


def load_calendar(name_or_path: str, search_dirs: Sequence[Path] = ()) -> BusinessCalendar:
    """The built-in "24x7", a named calendar from `search_dirs` then the package, or a file.

    Calendars are cached per resolved file so their year tables are built once per process.
    """
    key = BUILTIN_24X7 if name_or_path.strip() == BUILTIN_24X7 else None
    path = None if key else _resolve(name_or_path, search_dirs)
    key = key or str(path)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None:
            cached = _builtin_24x7() if path is None else _read_calendar_file(path)
            _cache[key] = cached
    return cached


def clear_calendar_cache() -> None:
    """Forget loaded calendars, e.g. after an admin edits a calendar file."""
    with _cache_lock:
        _cache.clear()


# --- text in, text out ---------------------------------------------------------------------------


def parse_instant(text: str, tz: tzinfo | str) -> datetime:
    """An ISO 8601 instant; a time without an offset is wall-clock time in `tz`.

    A wall time that happens twice means its first occurrence and one that never happens
    (skipped by a DST change) means the change itself, the same rule the calendars use.
    """
    zone: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}") from None
    if parsed.tzinfo is not None:
        return parsed
    return from_us(wall_to_us(zone, parsed), zone)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds" if moment.microsecond == 0 else "microseconds")


def format_due(
    calendar_arg: str,
    start: str,
    minutes: float,
    search_dirs: Sequence[Path] = (),
    *,
    provisional: bool = False,
) -> str:
    """The due time as ISO 8601 with the calendar's UTC offset at that instant. Past the
    calendar's holiday data it refuses unless `provisional` (then the weekly hours count and
    the text says the time is provisional)."""
    calendar = load_calendar(calendar_arg, search_dirs)
    if provisional:
        calendar = calendar.provisional()
    due = calendar.due(parse_instant(start, calendar.tz), minutes)
    if calendar.is_provisional(due):
        until = calendar.data_until()
        return f"{_iso(due)} (provisional: {calendar.name} knows holidays until {until})"
    return _iso(due)


def format_elapsed(
    calendar_arg: str, start: str, end: str, search_dirs: Sequence[Path] = ()
) -> str:
    """Working minutes, whole numbers without a fraction, otherwise to two decimals."""
    calendar = load_calendar(calendar_arg, search_dirs)
    minutes = calendar.elapsed_minutes(
        parse_instant(start, calendar.tz), parse_instant(end, calendar.tz)
    )
    text = f"{minutes:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
