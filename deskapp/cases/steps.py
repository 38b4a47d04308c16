"""What each workflow action changes on the case row: one small function per action.

`deskapp.workflow.TRANSITIONS` says when an action may happen and what it does to the state
and the milestones; this table says what it writes. Every transition has an entry here (an
action that writes no field says so with `_nothing`), and a test holds the two tables to each
other. A step returns the facts the event should carry beyond the field changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from deskapp import ladder
from deskapp.domain import (
    Category,
    ClaimType,
    MilestoneKind,
    RemedyType,
    RiskFlag,
    RootCause,
    Severity,
    ToldBy,
    format_flags,
    parse_flags,
)
from deskapp.errors import InvalidInput
from store.models import Complaint, ComplaintAssist


@dataclass(frozen=True)
class Step:
    """Everything a step may read: the session, the case, the parameters, who and when."""

    s: Session
    c: Complaint
    p: Mapping[str, Any]
    actor_id: int
    now: datetime
    #: The desk's time zone: a date typed for a deadline is a day there.
    tz: tzinfo = UTC


Extra = dict[str, Any]
#: The key under which a step hands `act` the deadlines it sets, [(kind, due or None)]:
#: milestones whose due time a person chose rather than the policy.
DEADLINES = "_deadlines"
STEPS: dict[str, Callable[[Step], Extra]] = {}


def step(*actions: str) -> Callable[[Callable[[Step], Extra]], Callable[[Step], Extra]]:
    def register(fn: Callable[[Step], Extra]) -> Callable[[Step], Extra]:
        for action in actions:
            if action in STEPS:
                raise ValueError(f"two steps for {action!r}")
            STEPS[action] = fn
        return fn

    return register


def apply(action: str, st: Step) -> Extra:
    """Apply `action`'s field changes; the comment or note typed with it goes to the event."""
    extra = STEPS[action](st)
    for key in ("comment", "note"):
        if st.p.get(key):
            extra[key] = str(st.p[key])
    return extra


def amount(value: Any) -> Decimal | None:
    """A compensation amount as typed: empty is none; otherwise a non-negative number, to cents."""
    if value in (None, ""):
        return None
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput({"compensation_amount": "not a number"}) from None
    if not parsed.is_finite():
        raise InvalidInput({"compensation_amount": "not a number"})
    if parsed < 0:
        raise InvalidInput({"compensation_amount": "cannot be negative"})
    return parsed.quantize(Decimal("0.01"))


@step(
    "acknowledge",
    "accept",
    "pend_customer",
    "customer_answered",
    "send_to_legal",
    "request_approval",
    "refuse_compensation",
    "resolve",
    "close",
)
def _nothing(st: Step) -> Extra:
    """The state and milestones move (the transition says how); no field changes."""
    return {}


@step("reject")
def _reject(st: Step) -> Extra:
    st.c.reject_reason = str(st.p["reason"]).strip()
    return {}


@step("decline")
def _decline(st: Step) -> Extra:
    st.c.reject_reason = str(st.p["reason"]).strip()
    return {"told_by": ToldBy(st.p["told_by"]).value}


@step("classify")
def _classify(st: Step) -> Extra:
    c, p = st.c, st.p
    if "category" in p:
        c.category = Category(p["category"]).value
    if "claim_type" in p:
        c.claim_type = ClaimType(p["claim_type"]).value
    if "severity" in p:
        c.severity = Severity(p["severity"]).value
    if "flags" in p:
        c.flags = format_flags({RiskFlag(f) for f in p["flags"]})
    return {}


@step("dispatch")
def _dispatch(st: Step) -> Extra:
    c, p = st.c, st.p
    c.primary_dept_id = int(p["department_id"])
    assist = sorted({int(d) for d in p.get("assisting", ())} - {c.primary_dept_id})
    for dept in assist:
        st.s.merge(ComplaintAssist(complaint_id=c.id or 0, department_id=dept))
    if p.get("assignee_id") is not None:
        c.assignee_id = int(p["assignee_id"])
    return {"assisting": assist} if assist else {}


@step("transfer")
def _transfer(st: Step) -> Extra:
    c = st.c
    left = set(c.departments_left.split())
    if c.primary_dept_id is not None:
        left.add(str(c.primary_dept_id))
    c.departments_left = " ".join(sorted(left, key=int))
    c.primary_dept_id, c.assignee_id = int(st.p["department_id"]), None
    return {}


@step("assign")
def _assign(st: Step) -> Extra:
    st.c.assignee_id = int(st.p["assignee_id"])
    return {}


@step("start_investigation")
def _start_investigation(st: Step) -> Extra:
    if st.c.assignee_id is None:  # whoever starts an unassigned case takes it
        st.c.assignee_id = st.actor_id
    return {}


@step("record_contact")
def _record_contact(st: Step) -> Extra:
    return {"contact": {"mode": st.p.get("mode", "phone"), "outcome": st.p.get("outcome", "")}}


@step("record_root_cause")
def _record_root_cause(st: Step) -> Extra:
    c, p = st.c, st.p
    c.root_cause_category = RootCause(p["root_cause_category"]).value
    c.root_cause = "\n".join(str(w).strip() for w in p["whys"] if str(w).strip())
    return {}


def rectify_deadline(p: Mapping[str, Any], now: datetime, tz: tzinfo) -> datetime | None:
    """The end of the day a plan promises its rectification by (整改期限), in the desk's time
    zone; None when the plan promises no change. The change and its day come together."""
    change = str(p.get("rectification", "")).strip()
    day_text = str(p.get("rectify_by", "")).strip()
    if not change and not day_text:
        return None
    if not change:
        raise InvalidInput({"rectification": "say what will be changed by that day"})
    if not day_text:
        raise InvalidInput({"rectify_by": "give the day the change is promised by (YYYY-MM-DD)"})
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise InvalidInput({"rectify_by": "a day as YYYY-MM-DD"}) from None
    due = datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)
    if due <= now:
        raise InvalidInput({"rectify_by": "the day has passed"})
    return due


@step("propose_plan")
def _propose_plan(st: Step) -> Extra:
    c, p = st.c, st.p
    c.remedy = str(p.get("remedy", "")).strip()
    if not c.remedy:
        raise InvalidInput({"remedy": "describe the remedy"})
    due = rectify_deadline(p, st.now, st.tz)
    c.compensation_amount = amount(p.get("compensation_amount"))
    kinds = {RemedyType(k) for k in p.get("remedy_types", ())}
    if c.compensation_amount:  # an amount is a compensation, named or not
        kinds.add(RemedyType.COMPENSATION)
    c.remedy_types = " ".join(k.value for k in RemedyType if k in kinds)
    c.plan_proposed_by_id = st.actor_id
    c.legal_cleared, c.compensation_approved_by_id = False, None  # a new plan, new checks
    extra: Extra = {DEADLINES: [(MilestoneKind.RECTIFY, due)]}  # a new plan, its own promise
    if due is not None:
        extra["rectification"] = str(p["rectification"]).strip()
        extra["rectify_by"] = str(p["rectify_by"]).strip()
    return extra


@step("submit_report")
def _submit_report(st: Step) -> Extra:
    return {"report": str(st.p["report"]).strip()}


@step("record_rectification")
def _record_rectification(st: Step) -> Extra:
    return {"outcome": str(st.p["outcome"]).strip()}


@step("legal_approve")
def _legal_approve(st: Step) -> Extra:
    st.c.legal_cleared = True
    return {}


@step("legal_return")
def _legal_return(st: Step) -> Extra:
    st.c.legal_cleared = False
    return {}


@step("approve_compensation")
def _approve_compensation(st: Step) -> Extra:
    st.c.compensation_approved_by_id = st.actor_id
    return {}


@step("confirm")
def _confirm(st: Step) -> Extra:
    st.c.customer_confirmed_at = st.now
    return {}


@step("give_feedback")
def _give_feedback(st: Step) -> Extra:
    """How the customer was told the result is part of the record: the feedback milestone is
    met by telling them, and a complaint about not being told is answered from it."""
    told = str(st.p.get("told_by") or "").strip()
    if not told:
        raise InvalidInput({"told_by": "required"})
    if told not in {t.value for t in ToldBy}:
        known = ", ".join(t.value for t in ToldBy)
        raise InvalidInput({"told_by": f"one of {known}"})
    return {"told_by": told}


@step("revisit")
def _revisit(st: Step) -> Extra:
    st.c.satisfaction = int(st.p["satisfaction"])
    st.c.satisfaction_comment = str(st.p.get("comment", ""))
    return {}


@step("reopen")
def _reopen(st: Step) -> Extra:
    c = st.c
    c.reopen_count += 1
    c.flags = format_flags(parse_flags(c.flags) | {RiskFlag.REPEAT})  # a reopen is a repeat
    c.customer_confirmed_at, c.satisfaction = None, None
    c.legal_cleared, c.compensation_approved_by_id = False, None
    return {}


@step("escalate")
def _escalate(st: Step) -> Extra:
    """A person's escalation skips the warning rung: it reaches the primary department's
    manager, and from there the executive (the workflow refuses it past the top)."""
    st.c.escalation_level = min(ladder.TOP, max(ladder.MANAGER, st.c.escalation_level + 1))
    return {"level": st.c.escalation_level}
