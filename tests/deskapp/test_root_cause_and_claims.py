"""Root cause before remedy, and claim types that change what a case needs (issue 15).

A plan is not proposed, nor a case resolved, before the investigation has said where the
cause lies and why; a compensation claim (索赔) is decided by someone with the authority
before it is resolved; a complaint judged unjustified (非正当) is declined with a reason the
customer is told, on its own script.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from deskapp.case_view import load_case, stages_for
from deskapp.cases import Desk
from deskapp.domain import RiskFlag, Status
from deskapp.errors import TransitionError
from deskapp.workflow import ROOT_CAUSE_FIRST
from tests.conftest import case_rows
from tests.deskapp.test_cases import CAUSE, NO_CLAIM, Flow, form, who


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    return Desk(engine)


def investigating(desk: Desk, staffed: dict[str, int], **fields: object) -> Flow:
    flow = Flow(desk, desk.intake(who(desk, "agent"), form(**fields)).number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    flow.do("handler", "start_investigation")
    return flow


def test_a_plan_waits_for_the_root_cause(desk: Desk, staffed: dict[str, int]) -> None:
    flow = investigating(desk, staffed, demand=NO_CLAIM)
    with pytest.raises(TransitionError, match=ROOT_CAUSE_FIRST):
        flow.do("handler", "propose_plan", remedy="上门更换")
    with pytest.raises(TransitionError, match="one to five answers"):
        flow.do("handler", "record_root_cause", root_cause_category="manufacturing", whys=[" "])
    flow.do("handler", "record_root_cause", **CAUSE)
    flow.do("handler", "propose_plan", remedy="上门更换")
    assert flow.status() == Status.PLAN_PROPOSED
    c = case_rows(desk, flow.number)[0]
    assert (c.root_cause_category, c.root_cause) == ("manufacturing", "密封圈装配缺陷")


def test_a_case_is_not_resolved_without_its_root_cause(
    desk: Desk, staffed: dict[str, int], engine: Engine
) -> None:
    """A plan that came without a root cause (proposed before this rule, or imported) cannot
    be resolved until one is recorded."""
    flow = investigating(desk, staffed, demand=NO_CLAIM)
    flow.do("handler", "record_root_cause", **CAUSE)
    flow.do("handler", "propose_plan", remedy="上门更换")
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE complaint SET root_cause = '', root_cause_category = '' WHERE number = :n"
            ),
            {"n": flow.number},
        )
    with pytest.raises(TransitionError, match=ROOT_CAUSE_FIRST):
        flow.do("handler", "resolve")
    flow.do("handler", "record_root_cause", **CAUSE)
    flow.do("handler", "resolve")
    assert flow.status() == Status.RESOLVED


def test_a_compensation_claim_is_decided_before_it_is_resolved(
    desk: Desk, staffed: dict[str, int]
) -> None:
    # "赔偿" in the demand: the rules make it a compensation claim.
    flow = investigating(desk, staffed)
    assert case_rows(desk, flow.number)[0].claim_type == "compensation"
    flow.do("handler", "record_root_cause", **CAUSE)
    flow.do("handler", "propose_plan", remedy="上门更换，不予现金赔偿")  # nothing offered
    with pytest.raises(TransitionError, match="compensation claim needs the approval decision"):
        flow.do("handler", "resolve")
    flow.do("handler", "request_approval")  # a claim is decided even when nothing is offered
    assert flow.status() == Status.COMPENSATION_APPROVAL
    flow.do("manager", "approve_compensation")
    flow.do("handler", "resolve")
    assert flow.status() == Status.RESOLVED


def test_a_general_complaint_has_no_compensation_to_decide(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = investigating(desk, staffed, demand=NO_CLAIM)
    flow.do("handler", "record_root_cause", **CAUSE)
    flow.do("handler", "propose_plan", remedy="上门更换")
    with pytest.raises(TransitionError, match="no compensation amount to approve"):
        flow.do("handler", "request_approval")
    flow.do("handler", "resolve")


def test_an_unjustified_complaint_is_declined_with_its_reason(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = investigating(desk, staffed, demand=NO_CLAIM)
    declining = {"reason": "检测报告显示为人为损坏，不属于质量问题", "told_by": "phone"}
    with pytest.raises(TransitionError, match="only a complaint judged unjustified"):
        flow.do("handler", "decline", **declining)
    flow.do("manager", "classify", claim_type="unjustified", reason="检测为人为损坏")
    with pytest.raises(TransitionError, match=ROOT_CAUSE_FIRST):
        flow.do("handler", "decline", **declining)
    flow.do("handler", "record_root_cause", root_cause_category="customer_use", whys=["密封圈被割"])
    with pytest.raises(TransitionError, match="needs a written reason"):
        flow.do("handler", "decline", told_by="phone")
    with pytest.raises(TransitionError, match="how the customer was told"):
        flow.do("handler", "decline", reason=declining["reason"])
    assert stages_for(case_rows(desk, flow.number)[0]) == ("transfer", "decline")
    flow.do("handler", "decline", **declining)
    c, milestones, events = case_rows(desk, flow.number)
    assert c.status == "rejected" and not c.is_open and c.next_due_at is None
    assert c.reject_reason == declining["reason"]
    met = {m.kind for m in milestones if m.met_at is not None}
    assert {"contact", "resolve"} <= met
    assert all(not m.is_open for m in milestones)
    payload = json.loads(events[-1].payload)
    assert events[-1].kind == "decline" and payload["told_by"] == "phone"
    assert sorted(payload["met"]) == ["contact", "resolve"]
    assert stages_for(c) == ("decline",)
    detail = load_case(desk, flow.number, "zh")
    assert detail.complaint.reject_reason == declining["reason"]
    # The customer may come back with new facts: a supervisor reopens it.
    flow.do("supervisor", "reopen", reason="客户提供了新的检测报告")
    assert flow.status() == Status.ACCEPTED


def test_a_flagged_complaint_is_declined_only_after_legal_review(
    desk: Desk, staffed: dict[str, int]
) -> None:
    flow = investigating(desk, staffed, demand=NO_CLAIM, flags=frozenset({RiskFlag.MEDIA}))
    flow.do("manager", "classify", claim_type="unjustified", reason="检测为人为损坏")
    flow.do("handler", "record_root_cause", root_cause_category="customer_use", whys=["密封圈被割"])
    declining = {"reason": "检测显示为人为损坏", "told_by": "letter"}
    with pytest.raises(TransitionError, match="legal reviews the rejection first"):
        flow.do("handler", "decline", **declining)
    flow.do("handler", "propose_plan", remedy="不予支持：人为损坏，书面告知并提供复核途径")
    flow.do("handler", "send_to_legal")
    flow.do("legal", "legal_approve")
    flow.do("handler", "decline", **declining)
    assert flow.status() == Status.REJECTED
