"""Workflow actions on a case, and revealing a customer's contact.

Each action is one transaction: load the case locked, check the version the person saw
(optimistic locking), ask `deskapp.workflow` (and through it `deskapp.permissions`) whether it is
allowed, apply the action's field changes (`deskapp.cases.steps`), move the milestones, append
one hash-chained event with the before/after of every changed field, and leave the notices the
step calls for. A conflicting save is refused with who changed what, never overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlmodel import Session, col, select

from deskapp import audit, clock, ladder, permissions, workflow
from deskapp import milestones as ms
from deskapp.cases import escalations, steps, tally
from deskapp.cases.actor import Actor
from deskapp.cases.base import DeskBase, case_facts, department_contact, retrying
from deskapp.cases.inbox import CASE_STEP, DISPATCH_NOTICE, HANDOVERS
from deskapp.domain import TERMINAL_STATUSES, RiskFlag, Role, Status, parse_flags
from deskapp.errors import Change, ConflictError, InvalidInput
from deskapp.validation import check_params
from store import library
from store.models import CaseEvent, Complaint, Customer, Notification, Staff

#: Fields whose before/after goes into each event (and into conflict messages).
TRACKED = (
    "status",
    "category",
    "claim_type",
    "severity",
    "flags",
    "primary_dept_id",
    "assignee_id",
    "escalation_level",
    "reject_reason",
    "root_cause",
    "root_cause_category",
    "remedy",
    "remedy_types",
    "compensation_amount",
    "plan_proposed_by_id",
    "legal_cleared",
    "compensation_approved_by_id",
    "customer_confirmed_at",
    "satisfaction",
    "satisfaction_comment",
    "departments_left",
    "reopen_count",
    "subject",
    "description",
    "demand",
)


class Contact(NamedTuple):
    """A customer's contact details unmasked, as `Desk.reveal_contact` hands them out."""

    name: str
    phone: str


def _snapshot(c: Complaint) -> dict[str, Any]:
    return {name: getattr(c, name) for name in TRACKED}


def _others(people: list[int], actor: Actor) -> list[int]:
    return [p for p in people if p != actor.staff_id]


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [before[k], after[k]] for k in before if before[k] != after[k]}


class CaseActions(DeskBase):
    @retrying
    def act(
        self,
        actor: Actor,
        number: str,
        action: str,
        *,
        expected_version: int | None,
        **params: Any,
    ) -> Complaint:
        """Take one workflow action on a case. `expected_version` is the version the person
        saw; None skips the check (only for automated steps that reread the case)."""
        problems = check_params(params)
        if problems:
            raise InvalidInput(problems)
        now = clock.now()
        with self._acting(actor) as (s, actor):
            c = self._load_for_change(s, number, expected_version)
            assert c.id is not None
            rows = ms.load(s, c.id)
            running = frozenset(r.kind for r in rows if r.is_open)
            facts = replace(case_facts(c), open_milestones=running)
            t = workflow.check(action, facts, actor.facts(), params, self.rules)
            before = _snapshot(c)
            was = tally.standing(c)
            step = steps.Step(s, c, params, actor.staff_id, now, self.settings.tz)
            extra = steps.apply(t.action, step)
            for kind, due in extra.pop(steps.DEADLINES, ()):
                rows += ms.set_deadline(s, c, kind, now, due)
            c.status = workflow.target_of(t, facts).value
            if t.pauses:
                c.resume_status = facts.status.value
                ms.pause_all(rows, now)
            if t.resumes:
                c.resume_status = ""
                extra["paused_working_seconds"] = ms.resume_all(rows, now, self.calendars)
            met = ms.meet(rows, t.meets, now)
            vip = RiskFlag.VIP in parse_flags(c.flags)
            starts = [k for k in t.starts if self.policy.applies(k, c.category, c.claim_type)]
            if starts:
                rows += ms.start(s, c, starts, now, self.policy, self.calendars, vip=vip)
            if t.ends_case:
                ms.cancel_all(rows)
            c.is_open = Status(c.status) not in TERMINAL_STATUSES
            if t.action == "close":  # closed with its cause, remedy and verdict: a lesson
                library.put(s, c, now)
            elif t.action == "reopen":
                library.drop(s, [c.id])
            ms.set_head(c, rows, self.policy, self.calendars)
            for row in rows:
                s.add(row)
            tally.keep(s, was, tally.standing(c))
            escalations.follow(s, c, rows, self.policy, self.calendars)
            people = escalations.People(s)
            if t.action == "escalate":
                extra["notified"] = _others(people.for_level(c, c.escalation_level), actor)
            payload: dict[str, Any] = {
                "changes": _diff(before, _snapshot(c)),
                **({"met": met} if met else {}),
                **({"reason": params["reason"]} if params.get("reason") else {}),
                **extra,
            }
            event = self._record_change(s, c, actor, action, payload, now)
            reason = str(params.get("reason") or "")
            if t.action == "escalate":
                self._escalated(s, c, actor, event, reason, people, now)
            self._notify(s, c, action, actor, event, reason, now, people)
            escalations.alert_case(s, c, self.policy, now, people)
            s.flush()
            s.refresh(c)
            return c

    def _load_for_change(self, s: Session, number: str, expected_version: int | None) -> Complaint:
        """The case locked for writing, refused if someone saved it after the caller read it."""
        c = self._load_locked(s, number)
        if expected_version is not None and c.version != expected_version:
            raise self._conflict(s, c, expected_version)
        return c

    def _record_change(
        self,
        s: Session,
        c: Complaint,
        actor: Actor,
        kind: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> CaseEvent:
        """Count a new version of the case and record the event that made it. The version in
        the payload is what names this event in a later writer's conflict message."""
        c.version += 1
        c.updated_at, c.updated_by_id = now, actor.staff_id
        s.add(c)
        return audit.append(
            s,
            kind=kind,
            actor_id=actor.staff_id,
            complaint_id=c.id,
            payload={"version": c.version, **payload},
            at=now,
        )

    def _notify(
        self,
        s: Session,
        c: Complaint,
        action: str,
        actor: Actor,
        event: CaseEvent,
        message: str,
        now: datetime,
        people: escalations.People,
    ) -> None:
        """The receiving department's liaison gets the dispatch notice, and the assisting
        departments' liaisons theirs; a plan sent to legal reaches legal counsel, and a
        compensation waiting for approval the people whose authority covers it (never its
        proposer); the first owner hears of every step someone else takes. Nobody is told of
        their own step, nobody twice."""
        recipients: dict[int, str] = {}
        if action in HANDOVERS and c.primary_dept_id is not None:
            contact = department_contact(s, c.primary_dept_id)
            if contact is not None and contact.id is not None:
                recipients[contact.id] = DISPATCH_NOTICE
        if action == "dispatch":
            for dept in json.loads(event.payload).get("assisting", ()):
                for person in people.contact_of(int(dept)):
                    recipients.setdefault(person, escalations.ASSIST_NOTICE)
        if action == "send_to_legal":
            for person in people.with_role(Role.LEGAL):
                recipients.setdefault(person, escalations.LEGAL_NOTICE)
        if action == "request_approval" and c.compensation_amount is not None:
            for person in people.approvers(c.compensation_amount, c.plan_proposed_by_id):
                recipients.setdefault(person, escalations.APPROVAL_REQUEST)
        recipients.setdefault(c.first_owner_id, CASE_STEP)
        for recipient, kind in recipients.items():
            if recipient == actor.staff_id:
                continue
            s.add(
                Notification(
                    recipient_id=recipient,
                    complaint_id=c.id,
                    event_id=event.id,
                    level=c.escalation_level,
                    kind=kind,
                    message=message.strip(),
                    created_at=now,
                )
            )

    def _escalated(
        self,
        s: Session,
        c: Complaint,
        actor: Actor,
        event: CaseEvent,
        reason: str,
        people: escalations.People,
        now: datetime,
    ) -> None:
        """A person's escalate step reaches the next rung's people at once, with its reason:
        the primary department's manager first, the executive next."""
        assert c.id is not None and event.id is not None
        escalations.reach(
            s,
            c,
            key=ladder.case_key(c.id, f"escalated:{event.id}"),
            rung=ladder.Rung(c.escalation_level, now, ladder.BY_PERSON),
            recipients=people.for_level(c, c.escalation_level),
            now=now,
            actor_id=actor.staff_id,
            kind=escalations.ESCALATED_NOTICE,
            message=reason,
            event=event,
        )

    # -- actions on a case beside the workflow ------------------------------------------------

    @retrying
    def reveal_contact(self, actor: Actor, number: str) -> Contact:
        """The customer's name and phone unmasked. Every reveal is an event (who saw whose
        details, when); the details themselves stay out of the event log."""
        now = clock.now()
        with self._acting(actor) as (s, actor):
            c = self._load(s, number)
            permissions.check("reveal_contact", actor.facts(), case_facts(c))
            customer = s.get(Customer, c.customer_id)
            assert customer is not None  # a foreign key
            audit.append(
                s,
                kind="reveal_contact",
                actor_id=actor.staff_id,
                complaint_id=c.id,
                payload={"fields": ["name", "phone"]},
                at=now,
            )
            return Contact(customer.name, customer.phone)

    def _conflict(self, s: Session, c: Complaint, expected: int) -> ConflictError:
        events = s.exec(
            select(CaseEvent, Staff.display_name)
            .join(Staff, col(Staff.id) == col(CaseEvent.actor_id), isouter=True)
            .where(CaseEvent.complaint_id == c.id)
            .order_by(col(CaseEvent.id).desc())
            .limit(100)
        ).all()
        changes = []
        for event, who in events:
            payload = json.loads(event.payload)
            version = int(payload.get("version", 0))
            if version > expected:
                fields = tuple(sorted(payload.get("changes", {})))
                changes.append(Change(version, who or "system", event.kind, fields))
        changes.sort(key=lambda ch: ch.version)
        return ConflictError(c.number, expected, c.version, changes)
