"""The countdown cell: adaptive precision, the states, and business hours that stop the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskapp import sla
from deskapp.countdown import Tone, countdown, span

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
CALS = sla.CalendarSet()


def cell(
    due: timedelta | None,
    *,
    warn: timedelta | None = None,
    calendar: str = "24x7",
    status: str = "investigating",
    now: datetime = NOW,
    lang: str = "en",
) -> tuple[Tone, str]:
    c = countdown(
        due_at=None if due is None else NOW + due,
        warn_at=None if warn is None else NOW + warn,
        calendar=calendar,
        status=status,
        now=now,
        calendars=CALS,
        lang=lang,
        paused_word="paused",
    )
    return c.tone, c.text


@pytest.mark.parametrize(
    ("seconds", "en", "zh"),
    [
        (2 * 86400 + 4 * 3600 + 59 * 60, "2d 04h", "2天04时"),
        (3 * 3600 + 7 * 60 + 59, "3h 07m", "3时07分"),
        (3600, "1h 00m", "1时00分"),
        (3599, "59:59", "59:59"),
        (5.9, "00:05", "00:05"),
    ],
)
def test_precision_adapts_to_distance(seconds: float, en: str, zh: str) -> None:
    assert span(seconds, "en") == en and span(seconds, "zh") == zh


def test_states_on_the_round_the_clock_calendar() -> None:
    assert cell(timedelta(hours=5), warn=timedelta(hours=2)) == (Tone.ON_TRACK, "5h 00m")
    assert cell(timedelta(minutes=20), warn=timedelta(minutes=-1)) == (Tone.AT_RISK, "20:00")
    assert cell(timedelta(seconds=-5)) == (Tone.BREACHED, "-00:05")
    assert cell(timedelta(hours=-1, minutes=-5)) == (Tone.BREACHED, "-1h 05m")
    assert cell(timedelta(hours=1), status="pending_customer") == (Tone.PAUSED, "paused")
    assert cell(None) == (Tone.NONE, "—")
    assert cell(timedelta(minutes=-5), lang="zh") == (Tone.BREACHED, "-05:00")


def test_a_far_promise_changes_once_a_minute_and_the_last_hour_every_second() -> None:
    due = timedelta(hours=3)
    texts = {cell(due, now=NOW + timedelta(seconds=s))[1] for s in range(0, 60)}
    assert texts == {"3h 00m", "2h 59m"}  # one change in a minute
    near = timedelta(minutes=30)
    assert len({cell(near, now=NOW + timedelta(seconds=s))[1] for s in range(0, 60)}) == 60


def test_business_hours_promise_stops_after_hours_and_says_when_it_resumes() -> None:
    evening = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # Monday 19:00 Shanghai: closed
    due = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00: 1 working hour away
    c = countdown(
        due_at=due,
        warn_at=None,
        calendar="office",
        status="dispatched",
        now=evening,
        calendars=CALS,
        lang="en",
        paused_word="paused",
    )
    assert c.tone is Tone.AFTER_HOURS and c.text == "1h 00m⏸"
    assert c.resumes_at is not None and c.resumes_at.astimezone(UTC) == datetime(
        2026, 11, 24, 1, 0, tzinfo=UTC
    )
    later = countdown(
        due_at=due,
        warn_at=None,
        calendar="office",
        status="dispatched",
        now=evening + timedelta(hours=5),
        calendars=CALS,
        lang="en",
        paused_word="paused",
    )
    assert later.text == c.text  # the night does not count down
    during = countdown(
        due_at=due,
        warn_at=None,
        calendar="office",
        status="dispatched",
        now=datetime(2026, 11, 24, 1, 30, tzinfo=UTC),
        calendars=CALS,
        lang="en",
        paused_word="paused",
    )
    assert (during.tone, during.text) == (Tone.ON_TRACK, "30:00")
