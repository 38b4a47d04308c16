"""The case state machine (DESIGN.md §1).

One table, `TRANSITIONS`, says for every action: the states it may start from, the state it
leads to, whether it needs a written reason, its guards, and which service-level milestones it
meets, starts, pauses or resumes. Who may take it, on which cases, is the action's row in the
permission matrix (`deskapp.permissions.PERMISSIONS`). The use cases in `deskapp.cases` apply
both; the screens ask `available` which actions to offer. Nothing else decides what may happen.

    new → accepted | rejected → dispatched → investigating ⇄ pending customer → plan proposed
        → legal review (when required) → compensation approval (when required) → resolved
        → feedback given → revisited → closed;   reopen from closed or rejected.
    investigating | plan proposed → rejected (declined: judged unjustified, customer told).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from deskapp import permissions
from deskapp.domain import (
    LEGAL_REVIEW_FLAGS,
    ActorFacts,
    CaseFacts,
    ClaimType,
    MilestoneKind,
    Role,
    Status,
    ToldBy,
)
from deskapp.errors import TransitionError
from deskapp.permissions import Permission, Scope

S = Status
M = MilestoneKind


@dataclass(frozen=True)
class Rules:
    """Deployment limits the guards use (from the SLA policy / config)."""

    legal_review_amount: Decimal = Decimal("5000")


Guard = Callable[[CaseFacts, ActorFacts, Mapping[str, Any], Rules], str | None]


def legal_review_required(facts: CaseFacts, rules: Rules) -> bool:
    amount = facts.compensation_amount or Decimal(0)
    return bool(facts.flags & LEGAL_REVIEW_FLAGS) or amount > rules.legal_review_amount


def _has_compensation(facts: CaseFacts) -> bool:
    return (facts.compensation_amount or Decimal(0)) > 0


def _guard_transfer(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    target = p.get("department_id")
    if target is None:
        return "name the department to transfer to"
    if target == f.primary_dept_id:
        return "the case is already with that department"
    if target in f.departments_left and Role.SUPERVISOR not in a.roles:
        return (
            "the case already left that department once; only a supervisor may send it back "
            "(no ping-pong between departments)"
        )
    return None


def _guard_dispatch(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    if p.get("department_id") is None:
        return "choose the primary department"
    return None


def _guard_send_to_legal(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    return "legal has already cleared this plan" if f.legal_cleared else None


def _guard_escalate(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    return "the case is already with the executive" if f.escalation_level >= 3 else None


#: Root cause before remedy (seed 004): what a plan or a resolution is refused without.
ROOT_CAUSE_FIRST = "record the root cause first: where it lies and at least one why"


def _guard_root_cause_known(
    f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules
) -> str | None:
    return None if f.root_cause_known else ROOT_CAUSE_FIRST


def _guard_request_approval(
    f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules
) -> str | None:
    # A compensation claim (索赔) is decided by someone with the authority even when the plan
    # offers nothing: the decision is what the customer asked for.
    if not _has_compensation(f) and f.claim_type != ClaimType.COMPENSATION:
        return "the plan has no compensation amount to approve"
    if f.compensation_approved:
        return "the compensation is already approved"
    if legal_review_required(f, r) and not f.legal_cleared:
        return "legal must review this plan before compensation is approved"
    return None


def _guard_approve(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    amount = f.compensation_amount or Decimal(0)
    if f.plan_proposed_by_id == a.staff_id:
        return "the person who proposed the compensation cannot approve it (separation of duties)"
    if amount > a.compensation_limit:
        return f"your approval authority ({a.compensation_limit}) does not cover {amount}"
    return None


def _guard_resolve(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    if not f.root_cause_known:
        return ROOT_CAUSE_FIRST
    if legal_review_required(f, r) and not f.legal_cleared:
        return "this plan needs legal review before it goes to the customer"
    if _has_compensation(f) and not f.compensation_approved:
        return "the compensation needs approval by someone whose authority covers the amount"
    if f.claim_type == ClaimType.COMPENSATION and not f.compensation_approved:
        return (
            "a compensation claim needs the approval decision before it is resolved: "
            "request approval"
        )
    return None


def _guard_decline(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    """Declining after investigation is for a complaint judged unjustified (非正当), on its
    findings, told to the customer; a flagged case's rejection passes legal first."""
    if f.claim_type != ClaimType.UNJUSTIFIED:
        return "only a complaint judged unjustified can be declined: classify it so first"
    if not f.root_cause_known:
        return ROOT_CAUSE_FIRST
    if legal_review_required(f, r) and not f.legal_cleared:
        return (
            "this case carries a legal, media or regulator flag: legal reviews the rejection "
            "first (propose it as the plan and send it to legal)"
        )
    told = p.get("told_by")
    if told not in {m.value for m in ToldBy}:
        return "say how the customer was told (phone, SMS, email, in person or letter)"
    return None


def _guard_revisit(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    if a.staff_id in (f.assignee_id, f.plan_proposed_by_id):
        return "the satisfaction revisit must be done by someone other than the handler"
    score = p.get("satisfaction")
    if not isinstance(score, int) or not 1 <= score <= 5:
        return "satisfaction must be a whole number from 1 to 5"
    return None


def _guard_close(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    if not f.customer_confirmed:
        return "the customer has not confirmed the resolution"
    if M.RECTIFY.value in f.open_milestones:
        return "the rectification the plan promised is not recorded as done yet"
    return None


def _guard_report(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    return None if str(p.get("report", "")).strip() else "write the investigation report"


def _guard_rectified(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    if M.RECTIFY.value not in f.open_milestones:
        return "the plan promised no rectification, or it is already recorded"
    return None if str(p.get("outcome", "")).strip() else "say what was changed"


def _guard_root_cause(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    if not p.get("root_cause_category"):
        return "choose where the root cause lies"
    whys = [str(w).strip() for w in p.get("whys", ()) if str(w).strip()]
    if not 1 <= len(whys) <= 5:
        return "write the chain of whys: one to five answers"
    return None


def _guard_assign(f: CaseFacts, a: ActorFacts, p: Mapping[str, Any], r: Rules) -> str | None:
    return None if p.get("assignee_id") is not None else "choose whom to assign"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[Status]
    target: Status | None  # None: the state does not change
    needs_reason: bool = False
    guards: tuple[Guard, ...] = ()
    meets: tuple[MilestoneKind, ...] = ()
    starts: tuple[MilestoneKind, ...] = ()
    pauses: bool = False
    resumes: bool = False
    ends_case: bool = False
    #: Offered only while the case carries this promise (recording a rectification).
    while_running: MilestoneKind | None = None

    @property
    def permission(self) -> Permission:
        return permissions.PERMISSIONS[self.action]

    @property
    def roles(self) -> frozenset[Role]:
        return self.permission.roles

    @property
    def scope(self) -> Scope:
        return self.permission.scope


def _t(action: str, sources: set[Status], target: Status | None, **kw: Any) -> Transition:
    permissions.permission(action)  # a transition nobody may take is a mistake in the table
    return Transition(action, frozenset(sources), target, **kw)


WORKING = {
    S.DISPATCHED,
    S.INVESTIGATING,
    S.PENDING_CUSTOMER,
    S.PLAN_PROPOSED,
    S.LEGAL_REVIEW,
    S.COMPENSATION_APPROVAL,
}
OPEN = {S.NEW, S.ACCEPTED, *WORKING, S.RESOLVED, S.FEEDBACK_GIVEN, S.REVISITED}

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("acknowledge", OPEN, None, meets=(M.ACKNOWLEDGE,)),
        _t("accept", {S.NEW}, S.ACCEPTED, meets=(M.ACKNOWLEDGE,)),
        _t("reject", {S.NEW, S.ACCEPTED}, S.REJECTED, needs_reason=True, ends_case=True),
        _t(
            "classify",
            {S.NEW, S.ACCEPTED, *WORKING},
            None,
            needs_reason=True,
        ),
        _t(
            "dispatch",
            {S.ACCEPTED},
            S.DISPATCHED,
            guards=(_guard_dispatch,),
            meets=(M.DISPATCH,),
            starts=(M.REPORT,),  # where the policy gives the case's category a report
        ),
        _t(
            "transfer",
            {S.DISPATCHED, S.INVESTIGATING},
            S.DISPATCHED,
            needs_reason=True,
            guards=(_guard_transfer,),
        ),
        _t("assign", WORKING, None, guards=(_guard_assign,)),
        _t("start_investigation", {S.DISPATCHED}, S.INVESTIGATING),
        _t("record_contact", {S.ACCEPTED, *WORKING, S.RESOLVED}, None, meets=(M.CONTACT,)),
        _t(
            "pend_customer",
            {S.INVESTIGATING, S.PLAN_PROPOSED},
            S.PENDING_CUSTOMER,
            needs_reason=True,
            pauses=True,
        ),
        _t("customer_answered", {S.PENDING_CUSTOMER}, None, resumes=True),
        _t(
            "submit_report",
            {S.DISPATCHED, S.INVESTIGATING, S.PENDING_CUSTOMER, S.PLAN_PROPOSED},
            None,
            guards=(_guard_report,),
            meets=(M.REPORT,),
        ),
        _t(
            "record_root_cause",
            {S.INVESTIGATING, S.PENDING_CUSTOMER, S.PLAN_PROPOSED},
            None,
            guards=(_guard_root_cause,),
        ),
        _t(
            "propose_plan",
            {S.INVESTIGATING},
            S.PLAN_PROPOSED,
            guards=(_guard_root_cause_known,),
        ),
        _t("send_to_legal", {S.PLAN_PROPOSED}, S.LEGAL_REVIEW, guards=(_guard_send_to_legal,)),
        _t("legal_approve", {S.LEGAL_REVIEW}, S.PLAN_PROPOSED),
        _t("legal_return", {S.LEGAL_REVIEW}, S.INVESTIGATING, needs_reason=True),
        _t(
            "request_approval",
            {S.PLAN_PROPOSED},
            S.COMPENSATION_APPROVAL,
            guards=(_guard_request_approval,),
            starts=(M.DECISION,),  # where the policy gives the claim type a decision time
        ),
        _t(
            "approve_compensation",
            {S.COMPENSATION_APPROVAL},
            S.PLAN_PROPOSED,
            guards=(_guard_approve,),
            meets=(M.DECISION,),
        ),
        _t(
            "refuse_compensation",
            {S.COMPENSATION_APPROVAL},
            S.INVESTIGATING,
            needs_reason=True,
            meets=(M.DECISION,),
        ),
        _t(
            "resolve",
            {S.PLAN_PROPOSED},
            S.RESOLVED,
            guards=(_guard_resolve,),
            meets=(M.CONTACT, M.RESOLVE),
            starts=(M.FEEDBACK,),
        ),
        _t(
            "decline",
            {S.INVESTIGATING, S.PLAN_PROPOSED},
            S.REJECTED,
            needs_reason=True,
            guards=(_guard_decline,),
            meets=(M.CONTACT, M.RESOLVE),
            ends_case=True,
        ),
        _t(
            "record_rectification",
            {*WORKING - {S.DISPATCHED}, S.RESOLVED, S.FEEDBACK_GIVEN, S.REVISITED},
            None,
            guards=(_guard_rectified,),
            meets=(M.RECTIFY,),
            while_running=M.RECTIFY,
        ),
        _t("confirm", {S.RESOLVED, S.FEEDBACK_GIVEN, S.REVISITED}, None),
        _t(
            "give_feedback",
            {S.RESOLVED},
            S.FEEDBACK_GIVEN,
            meets=(M.FEEDBACK,),
            starts=(M.REVISIT,),
        ),
        _t(
            "revisit",
            {S.FEEDBACK_GIVEN},
            S.REVISITED,
            guards=(_guard_revisit,),
            meets=(M.REVISIT,),
        ),
        _t("close", {S.REVISITED}, S.CLOSED, guards=(_guard_close,), ends_case=True),
        _t(
            "reopen",
            {S.CLOSED, S.REJECTED},
            S.ACCEPTED,
            needs_reason=True,
            starts=(M.DISPATCH, M.CONTACT, M.RESOLVE),
        ),
        _t("escalate", OPEN, None, needs_reason=True, guards=(_guard_escalate,)),
    )
}


def transition(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise TransitionError(f"unknown action {action!r}") from None


def target_of(t: Transition, facts: CaseFacts) -> Status:
    """The state after `t`; resuming returns to where the case was before it paused."""
    if t.resumes:
        return facts.resume_status or Status.INVESTIGATING
    return t.target or facts.status


def check(
    action: str,
    facts: CaseFacts,
    actor: ActorFacts,
    params: Mapping[str, Any],
    rules: Rules | None = None,
) -> Transition:
    """Raise `PermissionDenied` or `TransitionError` saying why, else return the transition."""
    t = transition(action)
    rules = rules or Rules()
    permissions.check(action, actor, facts)
    if facts.status not in t.sources:
        raise TransitionError(f"cannot {action} a case that is {facts.status.value}")
    if t.needs_reason and not str(params.get("reason", "")).strip():
        raise TransitionError(f"{action} needs a written reason")
    for guard in t.guards:
        problem = guard(facts, actor, params, rules)
        if problem:
            raise TransitionError(f"cannot {action}: {problem}")
    return t


def available(facts: CaseFacts, actor: ActorFacts, rules: Rules | None = None) -> list[Transition]:
    """Actions this person could start here (guards needing input are checked on submit)."""
    return [
        t
        for t in TRANSITIONS.values()
        if facts.status in t.sources
        and (t.while_running is None or t.while_running.value in facts.open_milestones)
        and permissions.allows(t.action, actor, facts)
    ]
