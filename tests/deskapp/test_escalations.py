"""The escalation ladder at work (issue 11): rungs reached by a sweep as the clock passes them,
alerts a case raises by what it is, a person's escalate step, and the notices for legal,
approvers and assisting departments. Each rung is an event and a notice, written once."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import clock
from deskapp.cases import Desk, IntakeForm
from deskapp.cases.escalations import (
    APPROVAL_REQUEST,
    ASSIST_NOTICE,
    AT_RISK_NOTICE,
    BREACH_NOTICE,
    ESCALATED_NOTICE,
    EXECUTIVE_NOTICE,
    LEGAL_NOTICE,
    MANAGER_NOTICE,
)
from deskapp.domain import RiskFlag, Severity
from deskapp.errors import TransitionError
from store.engine import read_session, write_session
from store.models import CaseEvent, Escalation, EscalationDue, Notification, Staff
from tests.conftest import case_rows, six_promise_settings

CAUSE = {"root_cause_category": "manufacturing", "whys": ["密封圈老化"]}


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int], tmp_path: Path) -> Desk:
    return Desk(engine, settings=six_promise_settings(tmp_path))


def register(desk: Desk, severity: Severity = Severity.C, **fields: Any) -> str:
    form = IntakeForm(
        phone="13800138000",
        name="王小明",
        subject="洗衣机漏水",
        description="漏水",
        demand="换新",
        severity=severity,
        flags=fields.pop("flags", frozenset()),
        override_reason="测试" if severity is not Severity.A else "",
        **fields,
    )
    return desk.intake(desk.actor("agent"), form).number


def act(desk: Desk, login: str, number: str, action: str, **params: Any) -> None:
    desk.act(desk.actor(login), number, action, expected_version=None, **params)


def notices(desk: Desk) -> list[tuple[str, str, int]]:
    """(recipient login, kind, level) of every notification, oldest first."""
    with read_session(desk.engine) as s:
        rows = s.exec(
            select(Staff.login, Notification.kind, Notification.level)
            .join(Staff, col(Staff.id) == col(Notification.recipient_id))
            .order_by(col(Notification.id))
        ).all()
    return [(str(a), str(b), int(c)) for a, b, c in rows]


def rungs(desk: Desk, number: str) -> list[tuple[str, int, str]]:
    """(milestone kind or "", level, cause) of the case's escalation events, oldest first."""
    with read_session(desk.engine) as s:
        events = s.exec(
            select(CaseEvent).where(CaseEvent.kind == "escalation").order_by(col(CaseEvent.id))
        ).all()
    found = []
    for e in events:
        p = json.loads(e.payload)
        found.append((p.get("milestone", ""), p["level"], p["cause"]))
    return found


def sweep_at(desk: Desk, minutes: float) -> list[tuple[str, int]]:
    clock.advance(timedelta(minutes=minutes))
    return [(r.milestone, r.level) for r in desk.sweep().reached]


def test_a_breach_climbs_the_ladder_once_per_rung(desk: Desk, staffed: dict[str, int]) -> None:
    number = register(desk)  # C: first contact within 8 office hours, from Monday 10:00
    act(desk, "agent", number, "accept")
    act(desk, "agent", number, "dispatch", department_id=staffed["dept:QA"], reason="品质")
    act(desk, "manager", number, "assign", assignee_id=staffed["handler"])
    before = notices(desk)
    assert sweep_at(desk, 449) == []
    # Monday 17:30, six working hours in: the contact is at risk; the assignee hears of it.
    assert sweep_at(desk, 1) == [("contact", 1)]
    assert notices(desk)[len(before) :] == [("handler", AT_RISK_NOTICE, 1)]
    assert desk.sweep().reached == []  # a second sweep at the same moment reaches nothing
    # Tuesday 10:30: breached; the primary department's manager.
    assert sweep_at(desk, 1019) == []
    assert sweep_at(desk, 1) == [("contact", 2)]
    # Tuesday 16:00, another four working hours: the executive.
    assert sweep_at(desk, 329) == []
    assert sweep_at(desk, 1) == [("contact", 3)]
    assert notices(desk)[len(before) + 1 :] == [
        ("manager", BREACH_NOTICE, 2),
        ("executive", EXECUTIVE_NOTICE, 3),
    ]
    assert rungs(desk, number) == [
        ("contact", 1, "at_risk"),
        ("contact", 2, "breached"),
        ("contact", 3, "still_breached"),
    ]
    assert case_rows(desk, number)[0].escalation_level == 3
    with read_session(desk.engine) as s:
        # Nothing is left to reach for that milestone; the resolution still waits its time.
        dues = {d.milestone_id: d for d in s.exec(select(EscalationDue)).all()}
    milestones = {m.id: m.kind for m in case_rows(desk, number)[1]}
    assert {milestones[i]: (d.reached, d.due_at is None) for i, d in dues.items()} == {
        "contact": (3, True),
        "resolve": (0, False),
    }


def test_a_desk_back_after_a_night_reaches_every_missed_rung_once(
    desk: Desk, staffed: dict[str, int]
) -> None:
    number = register(desk)
    reached = sweep_at(desk, 16 * 60)  # Monday 10:00 to Tuesday 02:00
    assert sorted(reached) == [
        ("acknowledge", 1),
        ("acknowledge", 2),
        ("acknowledge", 3),
        ("contact", 1),
        ("dispatch", 1),
        ("dispatch", 2),
        ("dispatch", 3),
    ]
    assert len(rungs(desk, number)) == 7
    assert desk.sweep().reached == []


def test_a_met_milestone_climbs_no_further(desk: Desk) -> None:
    number = register(desk)
    assert sweep_at(desk, 50) == [("acknowledge", 1)]
    act(desk, "agent", number, "acknowledge")
    assert "acknowledge" not in {m for m, _level in sweep_at(desk, 120)}
    assert [r[:2] for r in rungs(desk, number) if r[0] == "acknowledge"] == [("acknowledge", 1)]


def test_a_paused_case_does_not_climb_and_resumes_where_it_was(
    desk: Desk, staffed: dict[str, int]
) -> None:
    number = register(desk, acknowledged=True)
    act(desk, "agent", number, "accept")
    act(desk, "agent", number, "dispatch", department_id=staffed["dept:QA"], reason="品质")
    act(desk, "handler", number, "start_investigation")
    act(desk, "handler", number, "pend_customer", reason="等客户提供照片")
    assert sweep_at(desk, 4 * 24 * 60) == []  # four days waiting on the customer: nobody
    act(desk, "handler", number, "customer_answered")
    # Friday 10:00: the contact had used none of its 8 office hours; at risk 6 hours on.
    assert sweep_at(desk, 449) == []
    assert sweep_at(desk, 1) == [("contact", 1)]


def test_an_a_complaint_brings_in_the_executive_and_its_manager_at_intake(
    desk: Desk, staffed: dict[str, int]
) -> None:
    number = register(desk, Severity.A, primary_dept_id=staffed["dept:QA"])
    assert notices(desk) == [("executive", EXECUTIVE_NOTICE, 3), ("manager", MANAGER_NOTICE, 2)]
    assert rungs(desk, number) == [("", 3, "intake"), ("", 2, "intake")]
    assert case_rows(desk, number)[0].escalation_level == 3


def test_a_b_complaint_brings_in_the_manager_once_it_has_a_department(
    desk: Desk, staffed: dict[str, int]
) -> None:
    number = register(desk, Severity.B)
    assert notices(desk) == []
    act(desk, "agent", number, "accept")
    act(desk, "agent", number, "dispatch", department_id=staffed["dept:QA"], reason="品质")
    assert ("manager", MANAGER_NOTICE, 2) in notices(desk)
    act(desk, "handler", number, "start_investigation")
    assert [n for n in notices(desk) if n[1] == MANAGER_NOTICE] == [("manager", MANAGER_NOTICE, 2)]


def test_the_legal_flag_reaches_legal_and_the_executive_once_even_when_added_later(
    desk: Desk,
) -> None:
    number = register(desk)
    assert notices(desk) == []
    act(desk, "agent", number, "classify", flags=[RiskFlag.LEGAL.value], reason="客户称将起诉")
    assert notices(desk) == [("executive", EXECUTIVE_NOTICE, 3), ("legal", LEGAL_NOTICE, 0)]
    act(desk, "agent", number, "classify", flags=[], reason="客户撤回", override_reason="撤回")
    act(desk, "agent", number, "classify", flags=[RiskFlag.LEGAL.value], reason="又提起诉")
    assert len(notices(desk)) == 2  # each audience once per case


def test_a_person_escalates_to_the_manager_then_the_executive(
    desk: Desk, staffed: dict[str, int]
) -> None:
    number = register(desk, acknowledged=True)
    act(desk, "agent", number, "accept")
    act(desk, "agent", number, "dispatch", department_id=staffed["dept:QA"], reason="品质")
    before = len(notices(desk))
    act(desk, "agent", number, "escalate", reason="客户情绪激动")
    act(desk, "agent", number, "escalate", reason="经理未回应")
    assert notices(desk)[before:] == [
        ("manager", ESCALATED_NOTICE, 2),
        ("executive", ESCALATED_NOTICE, 3),
    ]
    with read_session(desk.engine) as s:
        messages = s.exec(
            select(Notification.message).where(Notification.kind == ESCALATED_NOTICE)
        ).all()
        made = s.exec(select(Escalation.cause, Escalation.level)).all()
    assert list(messages) == ["客户情绪激动", "经理未回应"]
    assert sorted(made) == [("escalated", 2), ("escalated", 3)]
    with pytest.raises(TransitionError, match="already with the executive"):
        act(desk, "agent", number, "escalate", reason="再次")


def test_legal_approvers_and_assisting_departments_are_told(
    desk: Desk, staffed: dict[str, int]
) -> None:
    number = register(desk, acknowledged=True)
    act(desk, "agent", number, "accept")
    act(
        desk,
        "agent",
        number,
        "dispatch",
        department_id=staffed["dept:QA"],
        assisting=[staffed["dept:LOG"]],
        reason="品质为主，物流协助",
    )
    assert ("loghandler", ASSIST_NOTICE, 0) in notices(desk)
    act(desk, "handler", number, "start_investigation")
    act(desk, "handler", number, "record_root_cause", **CAUSE)
    act(desk, "handler", number, "propose_plan", remedy="换新并赔偿", compensation_amount="1500")
    before = len(notices(desk))
    act(desk, "handler", number, "request_approval")
    told = notices(desk)[before:]
    # Authority covers 1,500: the QA and logistics managers (2,000) and the executive; the
    # handler who proposed it is never asked, and has no authority anyway.
    assert sorted(n[0] for n in told if n[1] == APPROVAL_REQUEST) == [
        "executive",
        "logmanager",
        "manager",
    ]
    with write_session(desk.engine) as s:  # the executive's authority no longer covers it
        exec_row = s.exec(select(Staff).where(Staff.login == "executive")).one()
        exec_row.compensation_limit = Decimal("100")
        s.add(exec_row)
    act(desk, "manager", number, "refuse_compensation", reason="金额过高")
    act(desk, "handler", number, "propose_plan", remedy="换新", compensation_amount="1200")
    before = len(notices(desk))
    act(desk, "handler", number, "request_approval")
    asked = sorted(n[0] for n in notices(desk)[before:] if n[1] == APPROVAL_REQUEST)
    assert asked == ["logmanager", "manager"]
    number2 = register(desk, acknowledged=True, flags=frozenset({RiskFlag.LEGAL}))
    act(desk, "agent", number2, "accept")
    act(desk, "agent", number2, "dispatch", department_id=staffed["dept:QA"], reason="法务风险")
    act(desk, "handler", number2, "start_investigation")
    act(desk, "handler", number2, "record_root_cause", root_cause_category="service", whys=["态度"])
    act(desk, "handler", number2, "propose_plan", remedy="道歉")
    before = len(notices(desk))
    act(desk, "handler", number2, "send_to_legal")
    assert ("legal", LEGAL_NOTICE) in [n[:2] for n in notices(desk)[before:]]
