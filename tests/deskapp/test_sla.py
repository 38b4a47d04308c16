"""SLA rules at their boundaries: warning, breach, pause/resume, escalation, policy files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deskapp.domain import MilestoneKind, MilestoneState, RiskFlag, Severity
from deskapp.sla import (
    DEFAULT_POLICY_PATH,
    Budget,
    CalendarSet,
    MilestoneLike,
    PolicyError,
    SlaError,
    SlaPolicy,
    Standing,
    load_policy,
    parse_duration,
    pause,
    plan,
    resume,
    standing,
)

SH = ZoneInfo("Asia/Shanghai")
K = MilestoneKind
S = Severity


def sh(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SH)


@dataclass
class Row:
    """Stands in for the store's Milestone row (same attribute names, mutable)."""

    kind: str
    started_at: datetime
    due_at: datetime
    budget_minutes: float
    calendar: str
    paused_at: datetime | None = None
    paused_seconds: float = 0.0
    met_at: datetime | None = None
    cancelled: bool = False

    @property
    def is_open(self) -> bool:
        return self.met_at is None and not self.cancelled


@pytest.fixture(scope="module")
def policy() -> SlaPolicy:
    return load_policy()


@pytest.fixture(scope="module")
def calendars() -> CalendarSet:
    return CalendarSet()


def planned_row(
    kind: MilestoneKind,
    severity: Severity,
    start: datetime,
    policy: SlaPolicy,
    calendars: CalendarSet,
    vip: bool = False,
) -> Row:
    p = plan(kind, severity, vip, start, policy, calendars)
    return Row(p.kind.value, p.started_at, p.due_at, p.budget_minutes, p.calendar)


def at(row: MilestoneLike, now: datetime, calendars: CalendarSet, policy: SlaPolicy) -> Standing:
    return standing(row, now, calendars, policy.warn_fraction)


# --- the shipped policy --------------------------------------------------------------------------

EXPECTED = {
    (K.ACKNOWLEDGE, S.A): (30, "24x7"),
    (K.ACKNOWLEDGE, S.B): (60, "24x7"),
    (K.ACKNOWLEDGE, S.C): (60, "24x7"),
    (K.DISPATCH, S.A): (30, "24x7"),
    (K.DISPATCH, S.B): (120, "office"),
    (K.DISPATCH, S.C): (120, "office"),
    (K.CONTACT, S.A): (120, "24x7"),
    (K.CONTACT, S.B): (240, "office"),
    (K.CONTACT, S.C): (480, "office"),
    (K.RESOLVE, S.A): (450, "office"),
    (K.RESOLVE, S.B): (3 * 450, "office"),
    (K.RESOLVE, S.C): (5 * 450, "office"),
    (K.FEEDBACK, S.A): (1440, "24x7"),
    (K.FEEDBACK, S.B): (1440, "24x7"),
    (K.FEEDBACK, S.C): (1440, "24x7"),
    (K.REVISIT, S.A): (3 * 450, "office"),
    (K.REVISIT, S.B): (3 * 450, "office"),
    (K.REVISIT, S.C): (3 * 450, "office"),
}


@pytest.mark.parametrize(("key", "expected"), sorted(EXPECTED.items()))
def test_default_budgets_follow_the_design_table(
    policy: SlaPolicy, key: tuple[MilestoneKind, Severity], expected: tuple[int, str]
) -> None:
    assert policy.budget(*key, vip=False) == Budget(*expected)


def test_defaults(policy: SlaPolicy) -> None:
    assert policy.warn_fraction == 0.75
    assert policy.executive_after_breach_seconds is None
    assert policy.executive_after_breach_fraction == 0.5
    assert policy.manager_at_intake_severities == {S.A, S.B}
    assert policy.executive_on_breach_severities == {S.A}
    assert policy.executive_on_breach_flags == {RiskFlag.LEGAL, RiskFlag.MEDIA, RiskFlag.REGULATOR}
    assert policy.milestones_at_intake() == (K.ACKNOWLEDGE, K.DISPATCH, K.CONTACT, K.RESOLVE)
    assert policy.calendar_names == {"24x7", "office"}


def test_vip_overrides(policy: SlaPolicy) -> None:
    assert policy.budget(K.ACKNOWLEDGE, S.A, vip=True) == Budget(15, "24x7")
    assert policy.budget(K.ACKNOWLEDGE, S.C, vip=True) == Budget(30, "24x7")
    assert policy.budget(K.CONTACT, S.B, vip=True) == Budget(120, "office")
    # Not overridden: the standard budget.
    assert policy.budget(K.RESOLVE, S.C, vip=True) == policy.budget(K.RESOLVE, S.C, vip=False)


def test_parse_duration() -> None:
    assert parse_duration("30m", None) == 30
    assert parse_duration("2h", None) == 120
    assert parse_duration("1h30m", None) == 90
    assert parse_duration("1.5h", None) == 90
    assert parse_duration("3bd", 450) == 1350
    for bad in ("30", "2d", "h", "", "-1h", "2 hours"):
        with pytest.raises(ValueError, match="bad duration"):
            parse_duration(bad, 450)
    with pytest.raises(ValueError, match="business days"):
        parse_duration("1bd", None)


# --- planning ------------------------------------------------------------------------------------


def test_plan_on_24x7(policy: SlaPolicy, calendars: CalendarSet) -> None:
    p = plan(K.ACKNOWLEDGE, S.A, False, sh(2026, 11, 21, 23, 50), policy, calendars)
    assert p.kind is K.ACKNOWLEDGE
    assert p.due_at == sh(2026, 11, 22, 0, 20)
    assert p.due_at.tzinfo is UTC and p.started_at.tzinfo is UTC
    assert (p.budget_minutes, p.calendar) == (30, "24x7")


def test_plan_vip(policy: SlaPolicy, calendars: CalendarSet) -> None:
    p = plan(K.ACKNOWLEDGE, S.B, True, sh(2026, 11, 23, 10, 0), policy, calendars)
    assert p.due_at == sh(2026, 11, 23, 10, 30)


def test_plan_on_business_hours(policy: SlaPolicy, calendars: CalendarSet) -> None:
    # Friday 17:30 + 2 working hours: 30 min on Friday, 90 on Monday.
    p = plan(K.DISPATCH, S.B, False, sh(2026, 11, 20, 17, 30), policy, calendars)
    assert p.due_at == sh(2026, 11, 23, 10, 30)


def test_plan_business_days(policy: SlaPolicy, calendars: CalendarSet) -> None:
    assert plan(K.RESOLVE, S.A, False, sh(2026, 11, 23, 10, 0), policy, calendars).due_at == (
        sh(2026, 11, 24, 10, 0)
    )
    assert plan(K.RESOLVE, S.C, False, sh(2026, 11, 23, 9, 0), policy, calendars).due_at == (
        sh(2026, 11, 27, 18, 0)
    )


def test_plan_refuses_naive_start(policy: SlaPolicy, calendars: CalendarSet) -> None:
    with pytest.raises(ValueError, match="aware"):
        plan(K.ACKNOWLEDGE, S.A, False, datetime(2026, 11, 23, 10), policy, calendars)


# --- standing ------------------------------------------------------------------------------------

START = sh(2026, 11, 23, 10, 0)  # a Monday


@pytest.fixture
def hour_24x7(policy: SlaPolicy, calendars: CalendarSet) -> Row:
    return planned_row(K.ACKNOWLEDGE, S.B, START, policy, calendars)  # 60 min, 24x7


def test_on_track_one_second_before_warning(
    hour_24x7: Row, policy: SlaPolicy, calendars: CalendarSet
) -> None:
    st = at(hour_24x7, START + timedelta(minutes=45, seconds=-1), calendars, policy)
    assert st.state is MilestoneState.ON_TRACK
    assert st.remaining_seconds == 15 * 60 + 1
    assert st.overdue_seconds == 0


def test_at_risk_exactly_at_warning(
    hour_24x7: Row, policy: SlaPolicy, calendars: CalendarSet
) -> None:
    st = at(hour_24x7, START + timedelta(minutes=45), calendars, policy)
    assert st.state is MilestoneState.AT_RISK
    assert st.used_fraction == 0.75
    assert st.remaining_seconds == 15 * 60


def test_at_risk_one_second_before_due(
    hour_24x7: Row, policy: SlaPolicy, calendars: CalendarSet
) -> None:
    st = at(hour_24x7, START + timedelta(minutes=60, seconds=-1), calendars, policy)
    assert st.state is MilestoneState.AT_RISK
    assert st.remaining_seconds == 1


def test_breached_exactly_at_due(hour_24x7: Row, policy: SlaPolicy, calendars: CalendarSet) -> None:
    st = at(hour_24x7, START + timedelta(minutes=60), calendars, policy)
    assert st.state is MilestoneState.BREACHED
    assert st.remaining_seconds == 0
    assert st.overdue_seconds == 0
    assert st.used_fraction == 1.0


def test_breached_counts_real_overdue_time(policy: SlaPolicy, calendars: CalendarSet) -> None:
    row = planned_row(K.DISPATCH, S.C, sh(2026, 11, 23, 16, 0), policy, calendars)
    assert row.due_at == sh(2026, 11, 23, 18, 0)
    st = at(row, sh(2026, 11, 24, 9, 30), calendars, policy)
    assert st.state is MilestoneState.BREACHED
    assert st.overdue_seconds == 15.5 * 3600  # real time, overnight included
    assert st.remaining_seconds == -15.5 * 3600
    assert st.used_fraction == 2.5 / 2  # working time: 2 h budget + 30 working minutes


def test_warning_on_business_hours_skips_lunch(policy: SlaPolicy, calendars: CalendarSet) -> None:
    row = planned_row(K.DISPATCH, S.B, sh(2026, 11, 23, 11, 0), policy, calendars)
    assert row.due_at == sh(2026, 11, 23, 14, 30)
    lunch = at(row, sh(2026, 11, 23, 12, 45), calendars, policy)
    assert lunch.state is MilestoneState.ON_TRACK
    assert lunch.remaining_seconds == 3600
    assert lunch.used_fraction == 0.5
    # 90 working minutes used = 75 %: 14:00, not 12:30.
    assert at(row, sh(2026, 11, 23, 13, 59, 59), calendars, policy).state is (
        MilestoneState.ON_TRACK
    )
    assert at(row, sh(2026, 11, 23, 14, 0), calendars, policy).state is MilestoneState.AT_RISK


def test_not_yet_started_is_on_track(
    hour_24x7: Row, policy: SlaPolicy, calendars: CalendarSet
) -> None:
    st = at(hour_24x7, START - timedelta(minutes=10), calendars, policy)
    assert st.state is MilestoneState.ON_TRACK
    assert st.used_fraction == 0


def test_met_and_met_late(hour_24x7: Row, policy: SlaPolicy, calendars: CalendarSet) -> None:
    hour_24x7.met_at = START + timedelta(minutes=20)
    st = at(hour_24x7, START + timedelta(days=3), calendars, policy)
    assert st.state is MilestoneState.MET
    assert st.overdue_seconds == 0
    assert st.remaining_seconds == 40 * 60
    hour_24x7.met_at = START + timedelta(minutes=70)
    late = at(hour_24x7, START + timedelta(days=3), calendars, policy)
    assert late.state is MilestoneState.MET
    assert late.overdue_seconds == 600


def test_cancelled(hour_24x7: Row, policy: SlaPolicy, calendars: CalendarSet) -> None:
    hour_24x7.cancelled = True
    st = at(hour_24x7, START + timedelta(days=1), calendars, policy)
    assert st.state is MilestoneState.CANCELLED


def test_paused_is_paused_even_past_due(
    hour_24x7: Row, policy: SlaPolicy, calendars: CalendarSet
) -> None:
    hour_24x7.paused_at = START + timedelta(minutes=50)
    st = at(hour_24x7, START + timedelta(hours=5), calendars, policy)
    assert st.state is MilestoneState.PAUSED
    assert st.remaining_seconds == 600  # frozen at the pause


def test_standing_refuses_naive_now(
    hour_24x7: Row, policy: SlaPolicy, calendars: CalendarSet
) -> None:
    with pytest.raises(ValueError, match="aware"):
        at(hour_24x7, datetime(2026, 11, 23, 10), calendars, policy)


# --- pause / resume ------------------------------------------------------------------------------


@pytest.fixture
def business_row(policy: SlaPolicy, calendars: CalendarSet) -> Row:
    row = planned_row(K.DISPATCH, S.B, sh(2026, 11, 23, 9, 0), policy, calendars)
    assert row.due_at == sh(2026, 11, 23, 11, 0)
    return row


def test_pause_in_hours_and_resume_next_day(
    business_row: Row, policy: SlaPolicy, calendars: CalendarSet
) -> None:
    business_row.paused_at = pause(business_row, sh(2026, 11, 23, 10, 0))
    assert business_row.paused_at == sh(2026, 11, 23, 10, 0)
    assert business_row.paused_at.tzinfo is UTC
    new_due, added = resume(business_row, sh(2026, 11, 24, 10, 0), calendars)
    # Working time paused: 10:00-12:00 + 13:30-18:00 + 09:00-10:00 = 7.5 h.
    assert added == 7.5 * 3600
    assert new_due == sh(2026, 11, 24, 11, 0)  # the hour that was left, after resuming
    assert new_due.tzinfo is UTC
    business_row.due_at, business_row.paused_at = new_due, None
    business_row.paused_seconds += added
    office = calendars.get("office")
    assert office.elapsed_seconds(business_row.started_at, business_row.due_at) == (
        business_row.budget_minutes * 60 + business_row.paused_seconds
    )
    st = at(business_row, sh(2026, 11, 24, 10, 0), calendars, policy)
    assert st.state is MilestoneState.ON_TRACK
    assert st.remaining_seconds == 3600


def test_pause_overnight_pushes_nothing_on_business_hours(
    business_row: Row, calendars: CalendarSet
) -> None:
    business_row.paused_at = pause(business_row, sh(2026, 11, 23, 18, 30))
    new_due, added = resume(business_row, sh(2026, 11, 24, 8, 30), calendars)
    assert added == 0
    assert new_due == business_row.due_at


def test_pause_ending_at_lunch_pushes_past_lunch(business_row: Row, calendars: CalendarSet) -> None:
    business_row.paused_at = sh(2026, 11, 23, 10, 30)
    new_due, added = resume(business_row, sh(2026, 11, 23, 13, 0), calendars)
    assert added == 90 * 60  # 10:30-12:00
    assert new_due == sh(2026, 11, 23, 14, 0)  # 11:00 + 90 working minutes


def test_pause_on_24x7_pushes_real_time(hour_24x7: Row, calendars: CalendarSet) -> None:
    hour_24x7.paused_at = START + timedelta(minutes=10)
    new_due, added = resume(hour_24x7, START + timedelta(hours=9, minutes=10), calendars)
    assert added == 9 * 3600
    assert new_due == START + timedelta(hours=10)


def test_pause_errors(hour_24x7: Row, calendars: CalendarSet) -> None:
    with pytest.raises(SlaError, match="not paused"):
        resume(hour_24x7, START, calendars)
    hour_24x7.paused_at = START + timedelta(minutes=5)
    with pytest.raises(SlaError, match="already paused"):
        pause(hour_24x7, START + timedelta(minutes=6))
    with pytest.raises(SlaError, match="before it was paused"):
        resume(hour_24x7, START, calendars)
    hour_24x7.paused_at = None
    hour_24x7.met_at = START + timedelta(minutes=7)
    with pytest.raises(SlaError, match="already met"):
        pause(hour_24x7, START + timedelta(minutes=8))
    hour_24x7.met_at = None
    hour_24x7.cancelled = True
    with pytest.raises(SlaError, match="cancelled"):
        pause(hour_24x7, START + timedelta(minutes=8))
    with pytest.raises(ValueError, match="aware"):
        pause(Row("acknowledge", START, START, 1, "24x7"), datetime(2026, 1, 1))


# --- policy files --------------------------------------------------------------------------------


def test_policy_from_another_path(tmp_path: Path) -> None:
    (tmp_path / "cal").mkdir()
    (tmp_path / "cal" / "shop.toml").write_text(
        'timezone = "Europe/Berlin"\n[hours]\nmon = ["10:00-14:00"]\n', encoding="utf-8"
    )
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8").replace('"office"', '"shop"')
    text = text.replace("warn_fraction = 0.75", "warn_fraction = 0.5")
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    policy = load_policy(path, calendar_dirs=[tmp_path / "cal"])
    assert policy.warn_fraction == 0.5
    assert policy.budget(K.RESOLVE, S.B, vip=False) == Budget(3 * 240, "shop")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("warn_fraction = 0.75", "warn_fraction = 1.5", "warn_fraction must be a number in (0, 1]"),
        ("warn_fraction = 0.75", "warn_fraction = 0.75\ncolour = 1", "unknown key(s) colour"),
        (
            'A = "30m", B = "1h", C = "1h"',
            'A = "30x", B = "1h", C = "1h"',
            "milestones.acknowledge.budget.A: bad duration '30x'",
        ),
        (
            'A = "30m", B = "1h", C = "1h"',
            'A = "30m", B = "1h"',
            "milestones.acknowledge.budget: missing severity C",
        ),
        (
            'A = "30m", B = "1h", C = "1h"',
            'A = "30m", B = "1h", C = "1h", D = "1h"',
            "milestones.acknowledge.budget: unknown key(s) D",
        ),
        ('budget = "24h"', "budget = 24", "milestones.feedback.budget: expected a duration"),
        (
            'calendar = { A = "24x7", B = "office", C = "office" }\n\n[milestones.contact]',
            'calendar = { A = "24x7", B = "ofice", C = "office" }\n\n[milestones.contact]',
            "milestones.dispatch.calendar.B: unknown calendar 'ofice'",
        ),
        ("[milestones.revisit]", "[milestones.revisits]", "milestones: unknown key(s) revisits"),
        (
            'budget = "3bd"\ncalendar = "office"',
            'calendar = "office"',
            "milestones.revisit.budget: missing",
        ),
        ('[vip.contact]\nA = "1h"', '[vip.contact]\nE = "1h"', "vip.contact: unknown key(s) E"),
        (
            'executive_after_breach = "50%"',
            'executive_after_breach = "1bd"',
            "escalation.executive_after_breach: business days are not allowed",
        ),
        (
            'executive_after_breach = "50%"',
            'executive_after_breach = "half%"',
            "escalation.executive_after_breach: not a percentage: 'half%'",
        ),
        (
            'executive_after_breach = "50%"',
            'executive_after_breach = "-5%"',
            "escalation.executive_after_breach: a share of the budget from 0% to 1000%",
        ),
        (
            'executive_on_breach_flags = ["legal", "media", "regulator"]',
            'executive_on_breach_flags = ["legal", "press"]',
            "escalation.executive_on_breach_flags: unknown value 'press'",
        ),
        ("[escalation]", "[escalation]\nnotify = true", "escalation: unknown key(s) notify"),
        ("[milestones.acknowledge]", "[milestones.acknowledge\n", "not valid TOML"),
    ],
)
def test_bad_policy_names_file_and_key(tmp_path: Path, old: str, new: str, problem: str) -> None:
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad_policy.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert str(path) in message
    assert problem in message


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "nope.toml")


def test_calendars_running_out_warns_sixty_days_ahead() -> None:
    from datetime import date

    from deskapp.sla import CalendarSet, calendars_running_out, load_policy

    policy, calendars = load_policy(), CalendarSet()
    assert calendars_running_out(policy, calendars, date(2026, 10, 1)) == []
    assert calendars_running_out(policy, calendars, date(2026, 11, 23)) == [
        ("office", date(2026, 12, 31))
    ]
