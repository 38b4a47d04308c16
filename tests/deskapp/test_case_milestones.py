"""Milestones some cases carry by what they are (issue 15): the quality department's report
on a product-quality complaint, the decision on a compensation claim, and the rectification
deadline a plan promises. They run, show, escalate and are reported like any other."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from deskapp import clock, sla
from deskapp import report as monthly
from deskapp.case_view import load_case
from deskapp.cases import Desk
from deskapp.domain import MilestoneKind, RiskFlag, Severity
from deskapp.errors import InvalidInput, TransitionError
from deskapp.sla import PolicyError
from store.engine import read_session
from store.models import Escalation, Milestone
from tests.conftest import case_rows
from tests.deskapp.test_cases import CAUSE, NO_CLAIM, Flow, form, who

SH = ZoneInfo("Asia/Shanghai")
#: A Monday, 10:00 in Shanghai: office hours.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    clock.freeze(MONDAY)
    return Desk(engine)


def dispatched(desk: Desk, staffed: dict[str, int], **fields: object) -> Flow:
    flow = Flow(desk, desk.intake(who(desk, "agent"), form(**fields)).number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    return flow


def running(desk: Desk, number: str, kind: MilestoneKind) -> list[Milestone]:
    return [m for m in case_rows(desk, number)[1] if m.kind == kind.value and m.is_open]


def test_a_quality_complaint_owes_its_report_a_business_day_after_dispatch(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = dispatched(desk, staffed, demand=NO_CLAIM)  # 洗衣机漏水: product quality
    (report,) = running(desk, flow.number, MilestoneKind.REPORT)
    expected = sla.plan(
        MilestoneKind.REPORT, Severity.B, False, clock.now(), desk.policy, desk.calendars
    )
    assert report.due_at == expected.due_at and report.calendar == "office"
    assert report.due_at.astimezone(SH) == datetime(2026, 11, 24, 10, 0, tzinfo=SH)
    with pytest.raises(TransitionError, match="write the investigation report"):
        flow.do("handler", "submit_report", report=" ")
    clock.advance(timedelta(hours=3))
    flow.do("handler", "submit_report", report="拆机检测：进水阀密封圈装配错位，非人为。")
    assert not running(desk, flow.number, MilestoneKind.REPORT)
    _c, milestones, events = case_rows(desk, flow.number)
    met = next(m for m in milestones if m.kind == "report")
    assert met.met_at == clock.now() and met.met_at <= met.due_at
    assert json.loads(events[-1].payload)["report"].startswith("拆机检测")


def test_other_categories_owe_no_report(desk: Desk, staffed: dict[str, int]) -> None:
    flow = dispatched(
        desk, staffed, subject="快递三天没送到", description="物流停滞", demand=NO_CLAIM
    )
    assert case_rows(desk, flow.number)[0].category == "delivery"
    assert not running(desk, flow.number, MilestoneKind.REPORT)


def test_a_compensation_claim_owes_its_decision_within_two_business_days(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = dispatched(desk, staffed)  # "赔偿" in the demand: a compensation claim
    flow.do("handler", "start_investigation")
    flow.do("handler", "record_root_cause", **CAUSE)
    flow.do("handler", "propose_plan", remedy="退款并补偿", compensation_amount="1500")
    assert not running(desk, flow.number, MilestoneKind.DECISION)
    flow.do("handler", "request_approval")
    (decision,) = running(desk, flow.number, MilestoneKind.DECISION)
    assert decision.due_at.astimezone(SH) == datetime(2026, 11, 25, 10, 0, tzinfo=SH)
    flow.do("executive", "refuse_compensation", reason="先核实损失")
    assert not running(desk, flow.number, MilestoneKind.DECISION)  # a refusal is a decision
    flow.do("handler", "propose_plan", remedy="退款", compensation_amount="800")
    flow.do("handler", "request_approval")
    assert len(running(desk, flow.number, MilestoneKind.DECISION)) == 1
    flow.do("manager", "approve_compensation")
    kinds = [m.kind for m in case_rows(desk, flow.number)[1] if m.met_at is not None]
    assert kinds.count("decision") == 2


def test_a_late_report_escalates_like_any_other_promise(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = dispatched(desk, staffed, demand=NO_CLAIM)
    (report,) = running(desk, flow.number, MilestoneKind.REPORT)
    clock.freeze(report.due_at + timedelta(minutes=1))
    desk.sweep()
    with read_session(desk.engine) as s:
        rungs = s.exec(select(Escalation).where(Escalation.milestone_id == report.id)).all()
    assert {(r.level, r.cause) for r in rungs} >= {(2, "breached")}


def test_a_plan_that_promises_a_change_carries_its_deadline(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = dispatched(desk, staffed, demand=NO_CLAIM)
    flow.do("handler", "start_investigation")
    flow.do("handler", "record_root_cause", **CAUSE)
    with pytest.raises(InvalidInput) as refused:
        flow.do("handler", "propose_plan", remedy="换新", rectification="密封圈装配工装改造")
    assert set(refused.value.problems) == {"rectify_by"}
    for bad in ("下周五", "2026-11-22"):
        with pytest.raises(InvalidInput) as refused:
            flow.do(
                "handler",
                "propose_plan",
                remedy="换新",
                rectification="密封圈装配工装改造",
                rectify_by=bad,
            )
        assert set(refused.value.problems) == {"rectify_by"}
    plan = {"remedy": "换新", "rectification": "密封圈装配工装改造", "rectify_by": "2026-12-04"}
    flow.do("handler", "propose_plan", **plan)
    (rectify,) = running(desk, flow.number, MilestoneKind.RECTIFY)
    # The end of the promised day where the desk is.
    assert rectify.due_at == datetime(2026, 12, 5, tzinfo=SH).astimezone(UTC)
    assert rectify.calendar == "24x7"
    payload = json.loads(case_rows(desk, flow.number)[2][-1].payload)
    assert payload["rectification"] == "密封圈装配工装改造"
    flow.do("handler", "resolve")
    flow.do("agent", "confirm")
    flow.do("agent", "give_feedback", told_by="phone")
    flow.do("agent2", "revisit", satisfaction=4)
    with pytest.raises(TransitionError, match="rectification the plan promised"):
        flow.do("agent", "close")
    detail = load_case(desk, flow.number, "en")
    assert "record_rectification" in detail.offered(who(desk, "handler"))
    with pytest.raises(TransitionError, match="say what was changed"):
        flow.do("handler", "record_rectification")
    flow.do("handler", "record_rectification", outcome="工装已改造，抽检 200 台无错位")
    assert not running(desk, flow.number, MilestoneKind.RECTIFY)
    detail = load_case(desk, flow.number, "en")
    assert "record_rectification" not in detail.offered(who(desk, "handler"))
    with pytest.raises(TransitionError, match="already recorded"):
        flow.do("handler", "record_rectification", outcome="again")
    flow.do("agent", "close")


def test_a_new_plan_without_a_change_withdraws_the_old_deadline(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = dispatched(desk, staffed, demand=NO_CLAIM, flags=frozenset({RiskFlag.LEGAL}))
    flow.do("handler", "start_investigation")
    flow.do("handler", "record_root_cause", **CAUSE)
    plan = {"remedy": "换新", "rectification": "改工装", "rectify_by": "2026-12-04"}
    flow.do("handler", "propose_plan", **plan)
    flow.do("handler", "send_to_legal")
    flow.do("legal", "legal_return", reason="不要承诺整改日期")
    flow.do("handler", "propose_plan", remedy="换新")
    assert not running(desk, flow.number, MilestoneKind.RECTIFY)
    rows = [m for m in case_rows(desk, flow.number)[1] if m.kind == "rectify"]
    assert len(rows) == 1 and rows[0].cancelled


def test_the_monthly_analysis_reports_the_new_promises(desk: Desk, staffed: dict[str, int]) -> None:
    flow = dispatched(desk, staffed, demand=NO_CLAIM)
    clock.advance(timedelta(hours=2))
    flow.do("handler", "submit_report", report="检测完成")
    clock.advance(timedelta(minutes=1))
    r = monthly.build(desk, monthly.parse_period("2026-11"))
    assert (r.on_time["report"].good, r.on_time["report"].total) == (1, 1)


def test_a_policy_written_before_these_milestones_still_loads(tmp_path: Path) -> None:
    shipped = sla.DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    start = shipped.index("[milestones.report]")
    older = shipped[:start] + shipped[shipped.index("# VIP customers") :]
    path = tmp_path / "policy.toml"
    path.write_text(older, encoding="utf-8")
    policy = sla.load_policy(path)
    assert not policy.applies(MilestoneKind.REPORT, "quality", "general")
    assert MilestoneKind.REPORT not in policy.kinds
    path.write_text(
        shipped.replace('categories = ["quality"]', 'categories = ["food"]'), encoding="utf-8"
    )
    with pytest.raises(PolicyError, match=r"milestones\.report\.categories: unknown food"):
        sla.load_policy(path)
    path.write_text(
        shipped.replace('categories = ["quality"]', "categories = []"), encoding="utf-8"
    )
    with pytest.raises(PolicyError, match="name the categories or claim_types"):
        sla.load_policy(path)


def test_every_promise_has_its_words_in_both_languages() -> None:
    """The queue, the board and the report name each promise; a kind without its words
    would stop the screen that shows it."""
    from deskapp.i18n import LANGUAGES, default_catalog

    catalog = default_catalog()
    for kind in MilestoneKind:
        for lang in LANGUAGES:
            for key in (f"queue.step.{kind.value}", f"enum.milestone.{kind.value}"):
                assert catalog.text(key, lang).strip(), (key, lang)
