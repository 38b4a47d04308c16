"""Past a calendar's holiday data the desk keeps giving due times — from the weekly hours,
marked provisional — and works them out again once the year's holidays are known."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from deskapp import clock, milestones, sla
from deskapp.calendar import CalendarDataError
from deskapp.calendar_files import clear_calendar_cache, load_calendar
from deskapp.cases import Desk, IntakeForm
from deskapp.cli import main
from deskapp.countdown import countdown
from deskapp.domain import Severity
from store.engine import write_session
from tests.conftest import case_rows

OFFICE = Path(__file__).parents[2] / "deskapp" / "data" / "calendars" / "office.toml"
#: Wednesday 30 December 2026, 10:00 in Shanghai.
LATE_DECEMBER = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_calendars() -> None:
    clear_calendar_cache()


def with_2027(folder: Path) -> Path:
    """The office calendar with 2027's first holidays listed, as an admin would add them."""
    folder.mkdir(exist_ok=True)
    text = OFFICE.read_text(encoding="utf-8").replace(
        'holidays = []   # extra days off, e.g. "2026-12-31" for a company day',
        'holidays = ["2027-01-01", "2027-01-04", "2027-01-05"]',
    )
    (folder / "office.toml").write_text(text, encoding="utf-8")
    return folder


def test_the_provisional_twin_counts_the_weekly_hours_and_says_so() -> None:
    strict = load_calendar("office")
    start = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
    with pytest.raises(CalendarDataError, match="no holiday data for 2027"):
        strict.due(start, 5 * 450)
    twin = strict.provisional()
    due = twin.due(start, 5 * 450)  # Wed, Thu (31st), Fri 1 Jan, Mon 4, Tue 5 → Wed 6, 10:00
    assert due == datetime(2027, 1, 6, 2, 0, tzinfo=UTC)
    assert twin.is_provisional(due) and not twin.is_provisional(start)
    assert twin.due(start, 450) == strict.due(start, 450)  # inside the data: the same answer
    assert load_calendar("24x7").provisional().is_provisional(due) is False


def test_a_case_of_30_december_gets_a_provisional_promise_that_follows_the_holidays(
    engine: Engine, staffed: dict[str, int], tmp_path: Path
) -> None:
    clock.freeze(LATE_DECEMBER)
    desk = Desk(engine)
    number = desk.intake(
        desk.actor("agent"),
        IntakeForm(
            phone="13800138000",
            name="王小明",
            subject="冰箱不制冷",
            description="一个月就坏了",
            demand="换新",
            severity=Severity.C,  # resolve within 5 business days
        ),
    ).number
    c, rows, _events = case_rows(desk, number)
    resolve = next(m for m in rows if m.kind == "resolve")
    assert resolve.provisional
    assert resolve.due_at == datetime(2027, 1, 6, 2, 0, tzinfo=UTC)
    shown = countdown(
        due_at=resolve.due_at,
        warn_at=None,
        calendar=resolve.calendar,
        status=c.status,
        now=LATE_DECEMBER,
        calendars=desk.calendars,
        lang="en",
        paused_word="paused",
    )
    assert shown.text.startswith("~")

    # An admin lists 2027's first holidays; the next start works the promise out again.
    clear_calendar_cache()
    later = Desk(engine, calendars=sla.CalendarSet([with_2027(tmp_path / "cal")], provisional=True))
    with write_session(engine) as s:
        moved = milestones.settle_provisional(s, later.policy, later.calendars)
    assert moved == 1
    c, rows, events = case_rows(later, number)
    resolve = next(m for m in rows if m.kind == "resolve")
    # 1, 4 and 5 January are now days off: Wed 30, Thu 31, Wed 6, Thu 7, Fri 8 → Mon 11, 10:00.
    assert resolve.due_at == datetime(2027, 1, 11, 2, 0, tzinfo=UTC)
    assert not resolve.provisional
    recomputed = [e for e in events if e.kind == "due_recomputed"]
    assert len(recomputed) == 1
    assert json.loads(recomputed[0].payload)["milestones"][0]["kind"] == "resolve"
    with write_session(engine) as s:  # done once: nothing moves a second time
        assert milestones.settle_provisional(s, later.policy, later.calendars) == 0
    verified = CliRunner().invoke(main, ["audit", "verify", "--db", str(engine.url)])
    assert verified.exit_code == 0, verified.output


def test_sla_due_refuses_past_the_data_unless_asked() -> None:
    args = [
        "sla",
        "due",
        "--calendar",
        "office",
        "--start",
        "2026-12-30T10:00",
        "--minutes",
        "2250",
    ]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and "no holiday data for 2027" in refused.output
    asked = CliRunner().invoke(main, [*args, "--provisional"])
    assert asked.exit_code == 0
    assert asked.output.strip() == (
        "2027-01-06T10:00:00+08:00 (provisional: office knows holidays until 2026-12-31)"
    )


def test_calendar_check_warns_inside_the_window_and_show_lists_a_year(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DESKAPP_FROZEN_TIME", "2026-12-01T10:00:00+08:00")
    near = CliRunner().invoke(main, ["calendar", "check"])
    assert near.exit_code == 1 and "office: holidays known until 2026-12-31" in near.output
    assert "WARNING: 30 days left" in near.output
    monkeypatch.setenv("DESKAPP_FROZEN_TIME", "2026-06-01T10:00:00+08:00")
    far = CliRunner().invoke(main, ["calendar", "check"])
    assert far.exit_code == 0 and "213 days left" in far.output
    monkeypatch.setenv("DESKAPP_SLA__CALENDAR_DIRS", f'["{with_2027(tmp_path / "cal")}"]')
    from deskapp.config import load_settings

    load_settings.cache_clear()
    shown = CliRunner().invoke(main, ["calendar", "show", "office", "--year", "2027"])
    assert shown.exit_code == 0, shown.output
    assert "holidays (weekdays off, 3): 2027-01-01 fri, 2027-01-04 mon, 2027-01-05 tue" in (
        shown.output
    )
    assert f"working days: {261 - 3}" in shown.output
    unknown = CliRunner().invoke(main, ["calendar", "show", "office", "--year", "2028"])
    assert unknown.exit_code == 2 and "no holiday data for 2028" in unknown.output
    assert date(2027, 1, 1).weekday() == 4  # the listing's weekday names are right
