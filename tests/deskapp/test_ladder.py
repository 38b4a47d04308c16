"""The escalation ladder's rules (issue 11): when each rung of a milestone comes due on its own
calendar, what a case calls for by what it is, and that a paused or finished milestone climbs
nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from deskapp import ladder
from deskapp.domain import MilestoneKind, RiskFlag, Severity
from deskapp.sla import CalendarSet, SlaPolicy, load_policy, plan
from tests.deskapp.test_sla import Row  # the store's milestone row, mutable

SH = ZoneInfo("Asia/Shanghai")
K, S = MilestoneKind, Severity
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


@pytest.fixture(scope="module")
def policy() -> SlaPolicy:
    return load_policy()


@pytest.fixture(scope="module")
def calendars() -> CalendarSet:
    return CalendarSet()


def row(kind: MilestoneKind, severity: Severity, policy: SlaPolicy, calendars: CalendarSet) -> Row:
    p = plan(kind, severity, False, MONDAY_10, policy, calendars)
    return Row(p.kind.value, p.started_at, p.due_at, p.budget_minutes, p.calendar)


def times(rungs: tuple[ladder.Rung, ...] | list[ladder.Rung]) -> list[tuple[int, str, str]]:
    return [(r.level, r.due_at.astimezone(SH).strftime("%a %H:%M"), r.cause) for r in rungs]


def test_a_24x7_milestone_warns_breaches_then_reaches_the_executive_half_a_budget_later(
    policy: SlaPolicy, calendars: CalendarSet
) -> None:
    m = row(K.ACKNOWLEDGE, S.C, policy, calendars)  # 1 h, round the clock
    assert times(ladder.rungs(m, urgent=False, policy=policy, calendars=calendars)) == [
        (1, "Mon 10:45", "at_risk"),
        (2, "Mon 11:00", "breached"),
        (3, "Mon 11:30", "still_breached"),
    ]


def test_an_office_milestone_counts_its_grace_in_working_time(
    policy: SlaPolicy, calendars: CalendarSet
) -> None:
    m = row(K.CONTACT, S.C, policy, calendars)  # 8 working hours from Monday 10:00
    # Monday gives 6.5 h (10–12, 13:30–18), so it is due Tuesday 10:30; the grace of 4 working
    # hours runs 10:30–12:00 and 13:30–16:00. At 75 %: 6 h in, Monday 17:30.
    assert times(ladder.rungs(m, urgent=False, policy=policy, calendars=calendars)) == [
        (1, "Mon 17:30", "at_risk"),
        (2, "Tue 10:30", "breached"),
        (3, "Tue 16:00", "still_breached"),
    ]


def test_an_urgent_case_reaches_the_executive_on_its_first_breach(
    policy: SlaPolicy, calendars: CalendarSet
) -> None:
    m = row(K.ACKNOWLEDGE, S.A, policy, calendars)  # 30 min
    assert times(ladder.rungs(m, urgent=True, policy=policy, calendars=calendars)) == [
        (1, "Mon 10:22", "at_risk"),
        (2, "Mon 10:30", "breached"),
        (3, "Mon 10:30", "breached"),
    ]


def test_a_fixed_grace_is_real_time(calendars: CalendarSet) -> None:
    fixed = load_policy()
    fixed.executive_after_breach_seconds = 2 * 3600
    m = row(K.CONTACT, S.C, fixed, calendars)
    top = ladder.rungs(m, urgent=False, policy=fixed, calendars=calendars)[2]
    assert top.due_at == m.due_at + timedelta(hours=2)


@pytest.mark.parametrize(
    ("severity", "flags", "immediate"),
    [
        (S.A, frozenset(), True),
        (S.B, frozenset(), False),
        (S.C, frozenset({RiskFlag.LEGAL}), True),
        (S.C, frozenset({RiskFlag.MEDIA}), True),
        (S.C, frozenset({RiskFlag.REGULATOR}), True),
        (S.C, frozenset({RiskFlag.VIP, RiskFlag.BATCH, RiskFlag.REPEAT}), False),
    ],
)
def test_who_skips_the_wait(
    policy: SlaPolicy, severity: Severity, flags: frozenset[RiskFlag], immediate: bool
) -> None:
    assert ladder.immediate(severity, flags, policy) is immediate


def test_the_next_rung_and_the_rungs_due_after_an_outage(
    policy: SlaPolicy, calendars: CalendarSet
) -> None:
    m = row(K.ACKNOWLEDGE, S.C, policy, calendars)
    kw: dict[str, Any] = {"urgent": False, "policy": policy, "calendars": calendars}
    first = ladder.next_rung(m, 0, **kw)
    assert first is not None and first.level == 1
    assert ladder.next_rung(m, 2, **kw) == ladder.rungs(m, **kw)[2]
    assert ladder.next_rung(m, 3, **kw) is None
    assert ladder.due_rungs(m, 0, MONDAY_10 + timedelta(minutes=44), **kw) == []
    assert [r.level for r in ladder.due_rungs(m, 0, MONDAY_10 + timedelta(minutes=45), **kw)] == [1]
    # A desk that was off all night reaches every rung it missed, each once, lowest first.
    assert [r.level for r in ladder.due_rungs(m, 0, MONDAY_10 + timedelta(hours=9), **kw)] == [
        1,
        2,
        3,
    ]
    assert [r.level for r in ladder.due_rungs(m, 2, MONDAY_10 + timedelta(hours=9), **kw)] == [3]


def test_a_paused_met_or_cancelled_milestone_climbs_nothing(
    policy: SlaPolicy, calendars: CalendarSet
) -> None:
    kw: dict[str, Any] = {"urgent": True, "policy": policy, "calendars": calendars}
    late = MONDAY_10 + timedelta(days=3)
    for change in ({"paused_at": MONDAY_10}, {"met_at": MONDAY_10}, {"cancelled": True}):
        m = row(K.ACKNOWLEDGE, S.A, policy, calendars)
        for name, value in change.items():
            setattr(m, name, value)
        assert ladder.next_rung(m, 0, **kw) is None
        assert ladder.due_rungs(m, 0, late, **kw) == []


def test_what_a_case_calls_for_by_what_it_is(policy: SlaPolicy) -> None:
    def alerts(severity: Severity, flags: set[RiskFlag], dept: int | None) -> list[str]:
        found = ladder.case_alerts(severity, frozenset(flags), dept, policy)
        return [f"{a.audience}/{a.suffix}/{a.level}" for a in found]

    assert alerts(S.A, set(), None) == ["executive/executive/3"]
    assert alerts(S.A, set(), 7) == ["executive/executive/3", "manager/manager:7/2"]
    assert alerts(S.B, set(), None) == []  # the manager is told once the case has a department
    assert alerts(S.B, set(), 7) == ["manager/manager:7/2"]
    assert alerts(S.C, set(), 7) == []
    assert alerts(S.C, {RiskFlag.LEGAL}, None) == ["executive/executive/3", "legal/legal/0"]
    assert alerts(S.C, {RiskFlag.MEDIA}, None) == ["executive/executive/3"]
    assert alerts(S.C, {RiskFlag.VIP}, None) == []
