"""Promised times in words: the desk's own day, not UTC's, decides "today" and "tomorrow"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskapp import clock
from deskapp.wording import duration_words, promise_words

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def sh(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def both(due: datetime, now: datetime, tz: ZoneInfo = SHANGHAI) -> tuple[str, str]:
    return promise_words(due, now, tz, "zh"), promise_words(due, now, tz, "en")


def test_uses_the_frozen_desk_clock(frozen_clock: datetime) -> None:
    now = clock.now()
    assert now == frozen_clock  # Monday 23 Nov 2026, 10:00 in Shanghai
    assert both(now + timedelta(hours=5, minutes=30), now) == ("今天 15:30 前", "by 15:30 today")


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (sh(2026, 11, 23, 10, 30), ("30 分钟内", "within 30 minutes")),
        (sh(2026, 11, 23, 10, 29, 10), ("30 分钟内", "within 30 minutes")),
        (sh(2026, 11, 23, 11, 0), ("60 分钟内", "within 60 minutes")),
        (sh(2026, 11, 23, 10, 0, 30), ("1 分钟内", "within a minute")),
        (sh(2026, 11, 23, 11, 1), ("今天 11:01 前", "by 11:01 today")),
        (sh(2026, 11, 23, 15, 30), ("今天 15:30 前", "by 15:30 today")),
        (sh(2026, 11, 23, 15, 30, 59), ("今天 15:30 前", "by 15:30 today")),
        (sh(2026, 11, 23, 23, 59), ("今天 23:59 前", "by 23:59 today")),
        (sh(2026, 11, 24, 0, 0), ("明天 00:00 前", "by 00:00 tomorrow")),
        (sh(2026, 11, 24, 10, 0), ("明天 10:00 前", "by 10:00 tomorrow")),
        (sh(2026, 11, 25, 9, 5), ("11月25日（周三）09:05 前", "by 09:05 on Wed 25 Nov")),
        (sh(2026, 11, 26, 10, 0), ("11月26日（周四）10:00 前", "by 10:00 on Thu 26 Nov")),
        (sh(2026, 11, 29, 17, 0), ("11月29日（周日）17:00 前", "by 17:00 on Sun 29 Nov")),
    ],
)
def test_promise_words_in_shanghai(due: datetime, expected: tuple[str, str]) -> None:
    assert both(due, sh(2026, 11, 23, 10, 0)) == expected


def test_a_passed_due_time_is_right_away() -> None:
    now = sh(2026, 11, 23, 10, 0)
    assert both(now, now) == ("立即", "right away")
    assert both(now - timedelta(hours=3), now) == ("立即", "right away")


def test_late_evening_promises_cross_the_desks_midnight_not_utcs() -> None:
    # 23:30 in Shanghai is 15:30 UTC: a reply due at 00:45 Shanghai is "tomorrow" at the desk
    # although it is the same date in UTC.
    now = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    due = datetime(2026, 11, 23, 16, 45, tzinfo=UTC)
    assert both(due, now) == ("明天 00:45 前", "by 00:45 tomorrow")
    # The same instants on a desk in UTC: today.
    assert both(due, now, ZoneInfo("UTC")) == ("今天 16:45 前", "by 16:45 today")


def test_early_morning_utc_is_still_yesterday_in_new_york() -> None:
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 22:00 on Sunday 22 Nov in New York
    due = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 on Monday 23 Nov in New York
    assert both(due, now, NEW_YORK) == ("明天 09:00 前", "by 09:00 tomorrow")
    assert both(due, now, ZoneInfo("UTC")) == ("今天 14:00 前", "by 14:00 today")


def test_across_a_daylight_saving_change() -> None:
    # New York springs forward on Sunday 14 March 2027: 23 real hours later is 12:00 EDT.
    now = datetime(2027, 3, 13, 12, 0, tzinfo=NEW_YORK)
    due = now.astimezone(UTC) + timedelta(hours=23)  # real time: add in UTC, not wall time
    assert due.astimezone(NEW_YORK).hour == 12
    assert both(due, now, NEW_YORK) == ("明天 12:00 前", "by 12:00 tomorrow")


def test_a_date_in_another_year_says_the_year() -> None:
    now = sh(2026, 12, 30, 16, 0)
    assert both(sh(2027, 1, 4, 10, 0), now) == (
        "2027年1月4日（周一）10:00 前",
        "by 10:00 on Mon 4 Jan 2027",
    )
    assert both(sh(2026, 12, 31, 10, 0), now) == ("明天 10:00 前", "by 10:00 tomorrow")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        promise_words(datetime(2026, 11, 23, 10, 0), sh(2026, 11, 23, 9, 0), SHANGHAI, "zh")


@settings(max_examples=200, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    ahead=st.integers(min_value=-3600, max_value=40 * 86_400),
    tz=st.sampled_from([SHANGHAI, NEW_YORK, ZoneInfo("UTC"), ZoneInfo("Pacific/Chatham")]),
    lang=st.sampled_from(["zh", "en"]),
)
def test_a_clock_time_promise_never_names_a_later_minute_than_due(
    now: datetime, ahead: int, tz: ZoneInfo, lang: str
) -> None:
    due = now + timedelta(seconds=ahead)
    words = promise_words(due, now, tz, lang)
    local = due.astimezone(tz)
    times = re.findall(r"\d\d:\d\d", words)
    if ahead > 3600:
        assert times == [f"{local.hour:02d}:{local.minute:02d}"]
    else:
        assert times == []


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (0, "0 秒", "0 s"),
        (45, "45 秒", "45 s"),
        (59.9, "59 秒", "59 s"),
        (60, "1 分", "1 min"),
        (61, "1 分", "1 min"),
        (3599, "59 分", "59 min"),
        (3600, "1 小时", "1 h"),
        (7500, "2 小时 5 分", "2 h 5 min"),
        (86_400, "1 天", "1 d"),
        (90_061, "1 天 1 小时", "1 d 1 h"),
        (3 * 86_400 + 59 * 60, "3 天", "3 d"),
        (-300, "5 分", "5 min"),
    ],
)
def test_duration_words(seconds: float, zh: str, en: str) -> None:
    assert duration_words(seconds, "zh") == zh
    assert duration_words(seconds, "en") == en
