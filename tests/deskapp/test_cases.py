"""The use cases: a complaint travels from intake to closure, every step guarded and recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from deskapp import audit, clock
from deskapp.cases import Actor, Desk, IntakeForm
from deskapp.domain import MilestoneKind, RiskFlag, Severity, Status
from deskapp.errors import ConflictError, InvalidInput, PermissionDenied, TransitionError
from store.engine import read_session
from tests.conftest import case_rows


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    return Desk(engine)


def who(desk: Desk, login: str) -> Actor:
    return desk.actor(login)


def form(**overrides: object) -> IntakeForm:
    values: dict[str, object] = {
        "phone": "13800138000",
        "name": "王小明",
        "subject": "洗衣机漏水",
        "description": "新买的洗衣机第一次使用就漏水，地板被泡坏。",
        "demand": "更换新机并赔偿地板损失",
        "order_ref": "SO-2026-001",
    }
    values.update(overrides)
    return IntakeForm(**values)  # type: ignore[arg-type]


class Flow:
    """Drives one case, always passing the version the actor last saw."""

    def __init__(self, desk: Desk, number: str) -> None:
        self.desk, self.number, self.version = desk, number, 1

    def do(self, login: str, action: str, **params: object) -> None:
        c = self.desk.act(
            who(self.desk, login), self.number, action, expected_version=self.version, **params
        )
        self.version = c.version

    def status(self) -> Status:
        return Status(case_rows(self.desk, self.number)[0].status)


def test_intake_registers_numbered_case_with_milestones(desk: Desk) -> None:
    # No claim in the demand: the rules find a C (general) complaint.
    result = desk.intake(who(desk, "agent"), form(acknowledged=True, demand="更换新机"))
    assert result.number == "TS-20261123-0001"
    c, milestones, events = case_rows(desk, result.number)
    assert c.status == "new" and c.first_owner_id == who(desk, "agent").staff_id
    kinds = {m.kind: m for m in milestones}
    assert set(kinds) == {"acknowledge", "dispatch", "contact", "resolve"}
    assert kinds["acknowledge"].met_at == clock.now()
    # C severity: contact within 8 business hours; Monday 10:00 Shanghai → Tuesday 10:30.
    assert result.promised_reply_at == datetime(2026, 11, 24, 2, 30, tzinfo=UTC)
    assert c.next_due_at == kinds["dispatch"].due_at  # 2 business hours: the soonest running
    # …and it turns at risk after 75 % of those 2 hours: 90 minutes, Monday 11:30 Shanghai.
    assert (c.next_kind, c.next_calendar) == ("dispatch", "office")
    assert c.next_warn_at == datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    assert [e.kind for e in events] == ["intake"]
    again = form(phone="13900000000", order_ref="SO-2", demand="更换新机")
    assert desk.intake(who(desk, "agent"), again).number.endswith("-0002")


def test_intake_validation_names_each_bad_field(desk: Desk) -> None:
    with pytest.raises(InvalidInput) as info:
        desk.intake(who(desk, "agent"), form(phone="12", subject="", email="nope"))
    assert set(info.value.problems) == {"phone", "subject", "email"}


def test_only_frontline_roles_register(desk: Desk) -> None:
    with pytest.raises(PermissionDenied):
        desk.intake(who(desk, "handler"), form())


def test_repeat_complaint_is_flagged(desk: Desk) -> None:
    first = desk.intake(who(desk, "agent"), form())
    assert not first.repeat
    again = desk.intake(who(desk, "agent"), form(subject="还是漏水"))
    assert again.repeat
    assert RiskFlag.REPEAT.value in case_rows(desk, again.number)[0].flags.split()


#: A demand that claims no compensation (the default form's does: a compensation claim).
NO_CLAIM = "上门维修或更换新机"

#: A root cause as the investigation records it (a plan is refused without one).
CAUSE = {"root_cause_category": "manufacturing", "whys": ["密封圈装配缺陷"]}


def full_plan(flow: Flow, dept: int, amount: str | None = None) -> None:
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=dept)
    flow.do("handler", "start_investigation")
    flow.do("handler", "record_contact", mode="phone", outcome="客户同意上门检查")
    flow.do("handler", "record_root_cause", **CAUSE)
    params: dict[str, object] = {"remedy": "上门更换"}
    if amount:
        params["compensation_amount"] = amount
    flow.do("handler", "propose_plan", **params)


def test_whole_loop_to_closure(desk: Desk, staffed: dict[str, int]) -> None:
    number = desk.intake(who(desk, "agent"), form()).number
    flow = Flow(desk, number)
    full_plan(flow, staffed["dept:QA"], amount="800")
    flow.do("handler", "submit_report", report="拆机检测：密封圈装配错位")  # a quality case
    flow.do("handler", "request_approval")
    flow.do("manager", "approve_compensation")
    flow.do("handler", "resolve")
    flow.do("agent", "confirm")
    flow.do("agent", "give_feedback", told_by="phone")
    flow.do("agent2", "revisit", satisfaction=5, comment="满意")
    flow.do("agent", "close")
    c, milestones, events = case_rows(desk, number)
    assert c.status == "closed" and not c.is_open and c.next_due_at is None
    assert c.satisfaction == 5 and c.compensation_approved_by_id == staffed["manager"]
    met = {m.kind for m in milestones if m.met_at is not None}
    assert met == {k.value for k in MilestoneKind} - {"rectify"}  # the plan promised no change
    assert all(not m.is_open for m in milestones)
    assert [e.kind for e in events] == [
        "intake",
        "accept",
        "dispatch",
        "escalation",  # a serious (B) case brings in the department's manager
        "start_investigation",
        "record_contact",
        "record_root_cause",
        "propose_plan",
        "submit_report",
        "request_approval",
        "approve_compensation",
        "resolve",
        "confirm",
        "give_feedback",
        "revisit",
        "close",
    ]
    with read_session(desk.engine) as s:
        assert audit.verify(s).ok


def test_every_event_records_before_and_after(desk: Desk, staffed: dict[str, int]) -> None:
    number = desk.intake(who(desk, "agent"), form()).number
    flow = Flow(desk, number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    event = next(e for e in reversed(case_rows(desk, number)[2]) if e.kind == "dispatch")
    payload = json.loads(event.payload)
    assert payload["changes"]["status"] == ["accepted", "dispatched"]
    assert payload["changes"]["primary_dept_id"] == [None, staffed["dept:QA"]]
    assert payload["version"] == 3 and payload["met"] == ["dispatch"]


def test_stale_write_is_refused_naming_who_changed_what(desk: Desk) -> None:
    number = desk.intake(who(desk, "agent"), form()).number
    desk.act(who(desk, "agent"), number, "accept", expected_version=1)
    with pytest.raises(ConflictError) as info:
        desk.act(who(desk, "supervisor"), number, "reject", expected_version=1, reason="重复")
    message = str(info.value)
    assert "Ada Agent" in message and "accept" in message and "status" in message
    assert info.value.current == 2
    assert case_rows(desk, number)[0].status == "accepted"


def test_reject_needs_reason_and_reopen_counts_repeat(desk: Desk) -> None:
    number = desk.intake(who(desk, "agent"), form()).number
    flow = Flow(desk, number)
    with pytest.raises(TransitionError, match="reason"):
        flow.do("agent", "reject", reason="  ")
    flow.do("agent", "reject", reason="非本公司产品")
    assert not case_rows(desk, number)[0].is_open
    with pytest.raises(PermissionDenied):
        flow.do("agent", "reopen", reason="客户补充证据")
    flow.do("supervisor", "reopen", reason="客户补充证据")
    c, milestones, _ = case_rows(desk, number)
    assert c.status == "accepted" and c.reopen_count == 1 and "repeat" in c.flags
    assert c.is_open and c.next_due_at is not None
    assert {m.kind for m in milestones if m.is_open} == {"dispatch", "contact", "resolve"}


def test_transfer_needs_reason_and_refuses_ping_pong(desk: Desk, staffed: dict[str, int]) -> None:
    number = desk.intake(who(desk, "agent"), form()).number
    flow = Flow(desk, number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    with pytest.raises(TransitionError, match="reason"):
        flow.do("manager", "transfer", department_id=staffed["dept:LOG"])
    flow.do("manager", "transfer", department_id=staffed["dept:LOG"], reason="运输破损")
    with pytest.raises(TransitionError, match="ping-pong"):
        flow.do("logmanager", "transfer", department_id=staffed["dept:QA"], reason="不是我们")
    flow.do("supervisor", "transfer", department_id=staffed["dept:QA"], reason="裁定: 品质")
    c = case_rows(desk, number)[0]
    assert c.primary_dept_id == staffed["dept:QA"] and c.first_owner_id == staffed["agent"]


def test_department_scope(desk: Desk, staffed: dict[str, int]) -> None:
    number = desk.intake(who(desk, "agent"), form()).number
    flow = Flow(desk, number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    with pytest.raises(PermissionDenied, match="scope"):
        flow.do("loghandler", "start_investigation")
    flow.do("handler", "start_investigation")


def test_high_risk_plan_needs_legal_review(desk: Desk, staffed: dict[str, int]) -> None:
    plain = form(flags=frozenset({RiskFlag.MEDIA}), severity=Severity.A, demand=NO_CLAIM)
    number = desk.intake(who(desk, "agent"), plain).number
    flow = Flow(desk, number)
    full_plan(flow, staffed["dept:QA"])
    with pytest.raises(TransitionError, match="legal review"):
        flow.do("handler", "resolve")
    flow.do("handler", "send_to_legal")
    with pytest.raises(PermissionDenied):
        flow.do("handler", "legal_approve")
    flow.do("legal", "legal_return", reason="措辞需修改")
    assert flow.status() == Status.INVESTIGATING
    flow.do("handler", "propose_plan", remedy="书面道歉并更换")
    flow.do("handler", "send_to_legal")
    flow.do("legal", "legal_approve")
    flow.do("handler", "resolve")
    assert flow.status() == Status.RESOLVED


def test_large_compensation_needs_legal_even_without_flags(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = Flow(desk, desk.intake(who(desk, "agent"), form()).number)
    full_plan(flow, staffed["dept:QA"], amount="6000")
    with pytest.raises(TransitionError, match="legal must review"):
        flow.do("handler", "request_approval")


def test_compensation_authority_and_separation_of_duties(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = Flow(desk, desk.intake(who(desk, "agent"), form()).number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    flow.do("manager", "start_investigation")
    flow.do("manager", "record_root_cause", **CAUSE)
    flow.do("manager", "propose_plan", remedy="退款", compensation_amount="1500")
    flow.do("manager", "request_approval")
    with pytest.raises(TransitionError, match="separation of duties"):
        flow.do("manager", "approve_compensation")
    flow.do("executive", "refuse_compensation", reason="先核实损失")
    assert flow.status() == Status.INVESTIGATING
    flow.do("handler", "propose_plan", remedy="退款", compensation_amount="3000")
    flow.do("handler", "request_approval")
    with pytest.raises(TransitionError, match="authority"):
        flow.do("manager", "approve_compensation")  # limit 2000 < 3000
    with pytest.raises(PermissionDenied):
        flow.do("supervisor", "approve_compensation")  # no approving role at all
    flow.do("executive", "approve_compensation")
    c = case_rows(desk, flow.number)[0]
    assert c.compensation_amount == Decimal("3000.00")
    assert c.compensation_approved_by_id == staffed["executive"]
    assert c.plan_proposed_by_id == staffed["handler"]


def test_revisit_by_the_handler_is_refused(desk: Desk, staffed: dict[str, int]) -> None:
    flow = Flow(desk, desk.intake(who(desk, "agent"), form(demand=NO_CLAIM)).number)
    full_plan(flow, staffed["dept:QA"])
    flow.do("handler", "resolve")
    flow.do("handler", "give_feedback", told_by="phone")
    with pytest.raises(PermissionDenied):  # handlers hold no revisit role at all
        flow.do("handler", "revisit", satisfaction=5)
    with pytest.raises(TransitionError, match="1 to 5"):
        flow.do("agent", "revisit", satisfaction=9)
    flow.do("agent", "revisit", satisfaction=4)
    with pytest.raises(TransitionError, match="not confirmed"):
        flow.do("agent", "close")
    flow.do("agent", "confirm")
    flow.do("agent", "close")
    assert flow.status() == Status.CLOSED


def test_revisit_by_a_manager_who_handled_the_case_is_refused(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = Flow(desk, desk.intake(who(desk, "agent"), form(demand=NO_CLAIM)).number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    flow.do("manager", "start_investigation")  # the manager becomes the handler
    flow.do("manager", "record_root_cause", **CAUSE)
    flow.do("manager", "propose_plan", remedy="道歉")
    flow.do("manager", "resolve")
    flow.do("agent", "give_feedback", told_by="phone")
    with pytest.raises(TransitionError, match="someone other than the handler"):
        flow.do("manager", "revisit", satisfaction=5)


def test_pending_customer_pauses_by_exactly_the_paused_working_time(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = Flow(desk, desk.intake(who(desk, "agent"), form()).number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    flow.do("handler", "start_investigation")
    before = {m.kind: m.due_at for m in case_rows(desk, flow.number)[1] if m.is_open}
    flow.do("handler", "pend_customer", reason="等待客户提供照片")
    paused = case_rows(desk, flow.number)
    assert paused[0].status == "pending_customer"
    assert all(m.paused_at is not None for m in paused[1] if m.is_open)
    # Monday 10:00 → Tuesday 11:00 Shanghai: 8.5 office hours (7.5 Monday... from 10:00 is
    # 2 h + 4.5 h = 6.5 h, plus Tuesday 09:00–11:00 = 2 h) = 8.5 h of working time paused.
    clock.advance(timedelta(hours=25))
    flow.do("handler", "customer_answered")
    c, milestones, events = case_rows(desk, flow.number)
    assert c.status == "investigating"
    assert json.loads(events[-1].payload)["paused_working_seconds"] == 8.5 * 3600
    resolve = next(m for m in milestones if m.kind == "resolve")
    contact = next(m for m in milestones if m.kind == "contact")
    assert resolve.paused_seconds == 8.5 * 3600 and resolve.paused_at is None
    cal = desk.calendars.get(resolve.calendar)
    assert resolve.due_at == cal.due_seconds(before["resolve"], 8.5 * 3600)
    # The contact promise (C: business calendar) moved by the same working time.
    assert cal.elapsed_seconds(before["contact"], contact.due_at) == 8.5 * 3600


def test_illegal_transition_says_why(desk: Desk) -> None:
    flow = Flow(desk, desk.intake(who(desk, "agent"), form()).number)
    with pytest.raises(TransitionError, match="cannot close a case that is new"):
        flow.do("supervisor", "close")
    with pytest.raises(TransitionError, match="unknown action"):
        flow.do("supervisor", "teleport")


def test_lookup_customer_lists_earlier_cases_and_repeat(desk: Desk) -> None:
    agent = who(desk, "agent")
    assert desk.lookup_customer(agent, " - ") is None
    nobody = desk.lookup_customer(agent, "13800138000")
    assert nobody is not None and not nobody.known and not nobody.repeat
    first = desk.intake(agent, form())
    found = desk.lookup_customer(agent, "138-0013-8000")  # the same number, written otherwise
    assert found is not None and found.known and found.name == "王小明" and not found.vip
    assert found.repeat  # the first case is still open
    assert [c.number for c in found.cases] == [first.number]
    assert found.cases[0].status == Status.NEW


def test_departments_in_code_order(desk: Desk) -> None:
    assert [d.code for d in desk.departments()] == ["LOG", "QA"]


def test_find_cases_by_number_prefix_or_phone(desk: Desk) -> None:
    a = desk.intake(who(desk, "agent"), form()).number
    b = desk.intake(who(desk, "agent"), form(phone="+1 415 555 0100", name="Ann")).number
    assert [c.number for c in desk.find_cases("ts-20261123")] == [b, a]
    assert [c.number for c in desk.find_cases("555 01")] == [b]
    assert desk.find_cases("%%%") == [] and desk.find_cases("TS") == []


def test_every_transition_has_its_field_changes_and_no_step_is_orphaned() -> None:
    from deskapp.cases.steps import STEPS
    from deskapp.workflow import TRANSITIONS

    assert set(STEPS) == set(TRANSITIONS)


# --- triage fills, people decide -------------------------------------------------------------

THREAT = "再不解决我就找律师起诉你们，还要去12315投诉并找媒体曝光"


def test_what_the_form_leaves_open_takes_the_rules_judgement(desk: Desk) -> None:
    """A tool (or a script) that does not classify gets what the intake form would fill in:
    a legal threat is never saved as a general complaint."""
    number = desk.intake(who(desk, "agent"), form(description=THREAT)).number
    c, _, events = case_rows(desk, number)
    assert c.severity == "A"
    assert {"legal", "media", "regulator"} <= set(c.flags.split())
    # Nothing overridden; the executive and legal are brought in at once.
    assert [e.kind for e in events] == ["intake", "escalation", "escalation"]
    assert json.loads(events[0].payload)["overrides"] == {}


def test_going_below_the_rules_needs_a_reason_and_is_recorded(desk: Desk) -> None:
    agent = who(desk, "agent")
    lowered = form(description=THREAT, severity=Severity.C)
    with pytest.raises(InvalidInput) as info:
        desk.intake(agent, lowered)
    assert info.value.problems == {"override_reason": "required"}
    without_legal = form(
        description=THREAT,
        severity=Severity.A,
        flags=frozenset({RiskFlag.MEDIA, RiskFlag.REGULATOR}),
    )
    with pytest.raises(InvalidInput):
        desk.intake(agent, without_legal)
    assert desk.status_counts() == {}  # refused: nothing written

    lowered.override_reason = "  the customer withdrew the threat on the call "
    number = desk.intake(agent, lowered).number
    c, _, events = case_rows(desk, number)
    assert c.severity == "C"  # the legal, media and regulator flags still bring them in
    assert [e.kind for e in events] == ["intake", "triage_override", "escalation", "escalation"]
    recorded = json.loads(events[1].payload)["overrides"]
    assert recorded["severity"] == {
        "suggested": "A",
        "chosen": "C",
        "reason": "the customer withdrew the threat on the call",
    }
    assert json.loads(events[0].payload)["overrides"] == recorded


def test_going_above_the_rules_needs_no_reason_but_is_recorded(desk: Desk) -> None:
    number = desk.intake(
        who(desk, "agent"), form(demand="更换新机", severity=Severity.A, category=None)
    ).number
    _, _, events = case_rows(desk, number)
    assert [e.kind for e in events] == ["intake", "triage_override", "escalation"]
    assert json.loads(events[1].payload)["overrides"]["severity"] == {
        "suggested": "C",
        "chosen": "A",
    }


def test_intake_and_the_customer_lookup_need_the_intake_permission(desk: Desk) -> None:
    desk.intake(who(desk, "agent"), form())
    for login in ("admin", "legal", "handler"):
        with pytest.raises(PermissionDenied):
            desk.lookup_customer(who(desk, login), "13800138000")
        with pytest.raises(PermissionDenied):
            desk.intake(who(desk, login), form(phone="13900000000"))


def test_a_new_caller_whose_order_already_complained_is_a_repeat(desk: Desk) -> None:
    agent = who(desk, "agent")
    desk.intake(agent, form(order_ref="SO-77"))
    other = desk.lookup_customer(agent, "13912345678", order_ref="SO-77")
    assert other is not None and not other.known and other.repeat
    assert desk.lookup_customer(agent, "13912345678", order_ref="SO-78") == other.__class__(
        None, "", "13912345678", "", False, False, ()
    )
