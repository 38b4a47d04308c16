"""One case as the case screen shows it, read in one transaction (issue: the handling loop).

The screen needs more than the complaint row: the names behind the ids, the milestones, the
timeline with who did what and what changed, the notes and the evidence, and which script fits
the stage the case is in. Reading it all here keeps the screen free of queries and gives tests
one object to check. `version` is what the person saw: every action is sent with it, so a save
made by someone else in between is refused and shown (optimistic locking, `Desk.act`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import col, select

from deskapp import numbering, workflow
from deskapp.cases import Actor, Desk, case_facts
from deskapp.domain import (
    Category,
    ClaimType,
    MilestoneKind,
    RemedyType,
    RiskFlag,
    Role,
    RootCause,
    Severity,
    Status,
    ToldBy,
    parse_roles,
)
from deskapp.errors import NotFound
from deskapp.i18n import default_catalog, enum_label
from deskapp.records import CaseRecord, CustomerRecord, LetterRecord, MilestoneRecord
from store.engine import read_session
from store.models import (
    Attachment,
    CaseEvent,
    Complaint,
    ComplaintAssist,
    Customer,
    Department,
    Milestone,
    Note,
    Staff,
)

#: The script a person needs at each stage of a case (keys of the script library's stages).
STAGES_FOR_STATUS: dict[Status, tuple[str, ...]] = {
    Status.NEW: ("greeting", "promise"),
    Status.ACCEPTED: ("promise",),
    Status.REJECTED: ("reject",),
    Status.DISPATCHED: ("transfer",),
    Status.INVESTIGATING: ("transfer",),
    Status.PENDING_CUSTOMER: ("transfer",),
    Status.PLAN_PROPOSED: ("plan",),
    Status.LEGAL_REVIEW: ("plan",),
    Status.COMPENSATION_APPROVAL: ("plan",),
    Status.RESOLVED: ("resolution", "feedback"),
    Status.FEEDBACK_GIVEN: ("revisit",),
    Status.REVISITED: ("revisit",),
    Status.CLOSED: (),
}


def stages_for(c: Complaint | CaseRecord) -> tuple[str, ...]:
    """The scripts for the case as it stands: a complaint judged unjustified is told its
    rejection with the decline wording while it is investigated and once it is declined."""
    status = Status(c.status)
    stages = STAGES_FOR_STATUS.get(status, ())
    if c.claim_type == ClaimType.UNJUSTIFIED.value:
        if status == Status.REJECTED:
            return ("decline",)
        if status in (Status.INVESTIGATING, Status.PLAN_PROPOSED):
            return (*stages, "decline")
    return stages


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str
    kind: str
    #: (field, before, after) for every tracked field the event changed.
    changes: tuple[tuple[str, str, str], ...]
    #: The reason, comment or note written with the event, if any.
    text: str


@dataclass(frozen=True)
class NoteEntry:
    at: datetime
    who: str
    body: str
    customer_facing: bool


@dataclass(frozen=True)
class AttachmentEntry:
    """A file the desk keeps for the case, as the case screen and the notice list it."""

    id: int
    name: str
    size: int
    media_type: str
    sha256: str
    who: str
    at: datetime
    note: str


@dataclass(frozen=True)
class CaseDetail:
    complaint: CaseRecord
    customer: CustomerRecord
    milestones: tuple[MilestoneRecord, ...]
    timeline: tuple[TimelineEntry, ...]
    notes: tuple[NoteEntry, ...]
    evidence: tuple[str, ...]
    names: dict[int, str]  # staff id → display name, for everyone the case mentions
    departments: dict[int, str]  # department id → name in the desk's language
    assisting: tuple[int, ...]
    #: Files kept by the desk (the references in `evidence` are kept elsewhere).
    attachments: tuple[AttachmentEntry, ...] = ()
    #: The written confirmations, newest first (deskapp.cases.letters).
    letters: tuple[LetterRecord, ...] = ()

    @property
    def version(self) -> int:
        return self.complaint.version

    @property
    def status(self) -> Status:
        return Status(self.complaint.status)

    def who(self, staff_id: int | None) -> str:
        return self.names.get(staff_id or 0, "")

    def department(self, dept_id: int | None) -> str:
        return self.departments.get(dept_id or 0, "")

    def offered(self, actor: Actor, rules: workflow.Rules | None = None) -> list[str]:
        """The actions this person may start on the case as it stands (role, scope, state);
        guards that depend on what they type are checked again when they submit."""
        running = frozenset(m.kind for m in self.milestones if m.is_open)
        facts = replace(case_facts(self.complaint), open_milestones=running)
        return [t.action for t in workflow.available(facts, actor.facts(), rules)]


def load_case(desk: Desk, number: str, lang: str) -> CaseDetail:
    if not numbering.could_be_number(number):
        raise NotFound(f"no complaint {number!r}")
    with read_session(desk.engine) as s:
        c = s.exec(select(Complaint).where(Complaint.number == number)).first()
        if c is None or c.id is None:
            raise NotFound(f"no complaint {number}")
        customer = s.get(Customer, c.customer_id)
        assert customer is not None
        milestones = tuple(
            MilestoneRecord.of(m)
            for m in s.exec(
                select(Milestone)
                .where(Milestone.complaint_id == c.id)
                .order_by(col(Milestone.started_at), col(Milestone.id))
            ).all()
        )
        case, person = CaseRecord.of(c), CustomerRecord.of(customer)
        events = s.exec(
            select(CaseEvent).where(CaseEvent.complaint_id == c.id).order_by(col(CaseEvent.id))
        ).all()
        notes = s.exec(select(Note).where(Note.complaint_id == c.id).order_by(col(Note.id))).all()
        evidence = s.exec(
            select(Attachment).where(Attachment.complaint_id == c.id).order_by(col(Attachment.id))
        ).all()
        assisting = tuple(
            s.exec(
                select(ComplaintAssist.department_id).where(ComplaintAssist.complaint_id == c.id)
            ).all()
        )
        letters = tuple(desk.letters_of(s, c.id))
        names = {ident: name for ident, name in s.exec(select(Staff.id, Staff.display_name))}
        departments = {
            d.id or 0: (d.name if lang == "zh" else d.name_en or d.name)
            for d in s.exec(select(Department)).all()
        }
    staff = {k: v for k, v in names.items() if k is not None}
    return CaseDetail(
        complaint=case,
        customer=person,
        milestones=milestones,
        timeline=tuple(_entry(e, staff, departments, lang) for e in events),
        notes=tuple(
            NoteEntry(n.at, staff.get(n.author_id, ""), n.body, n.customer_facing) for n in notes
        ),
        evidence=tuple(
            filter(
                None,
                [
                    *case.evidence.splitlines(),
                    *(f"{a.reference} {a.note}" for a in evidence if not a.storage),
                ],
            )
        ),
        names=staff,
        departments=departments,
        assisting=assisting,
        attachments=tuple(
            AttachmentEntry(
                a.id or 0,
                a.file_name,
                a.size,
                a.media_type,
                a.sha256,
                staff.get(a.added_by_id, ""),
                a.at,
                a.note,
            )
            for a in evidence
            if a.storage
        ),
        letters=letters,
    )


#: Fields whose values are ids, shown by name in the timeline.
_STAFF_FIELDS = frozenset({"assignee_id", "plan_proposed_by_id", "compensation_approved_by_id"})
_DEPT_FIELDS = frozenset({"primary_dept_id"})
_ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "status": Status,
    "category": Category,
    "claim_type": ClaimType,
    "severity": Severity,
    "root_cause_category": RootCause,
    "told_by": ToldBy,
}


def _entry(
    event: CaseEvent, staff: dict[int, str], depts: dict[int, str], lang: str
) -> TimelineEntry:
    payload: dict[str, Any] = json.loads(event.payload)
    catalog = default_catalog()

    def shown(name: str, value: Any) -> str:
        """A value as people say it: names for ids, labels for states, yes/no for flags."""
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return catalog.text("common.yes" if value else "common.no", lang)
        if name in _STAFF_FIELDS:
            return staff.get(int(value), str(value))
        if name in _DEPT_FIELDS:
            return depts.get(int(value), str(value))
        enum = _ENUM_FIELDS.get(name)
        if enum is not None:
            try:
                return enum_label(enum(value), lang)
            except ValueError:
                return str(value)
        if name == "flags":
            return ", ".join(enum_label(RiskFlag(f), lang) for f in str(value).split())
        if name == "remedy_types":
            return ", ".join(enum_label(RemedyType(k), lang) for k in str(value).split())
        return str(value)

    changes = tuple(
        (name, shown(name, pair[0]), shown(name, pair[1]))
        for name, pair in sorted(payload.get("changes", {}).items())
    )
    said = [str(payload[key]) for key in SAID if payload.get(key)]
    if payload.get("rectify_by"):  # the change a plan promises, and by when
        said.append(f"→ {payload['rectify_by']}")
    overrides = payload.get("overrides") if event.kind == "triage_override" else None
    if isinstance(overrides, dict):  # the rules' suggestion → what the agent chose, and why
        changes = tuple(
            (name, shown(name, o.get("suggested")), shown(name, o.get("chosen")))
            for name, o in sorted(overrides.items())
        )
        said += list(dict.fromkeys(o["reason"] for o in overrides.values() if o.get("reason")))
    contact = payload.get("contact")
    if isinstance(contact, dict):  # how the customer was reached, and what came of it
        mode = catalog.text(f"case_action.mode.{contact.get('mode', 'phone')}", lang)
        said.insert(0, f"{mode}: {contact.get('outcome', '')}".strip(": "))
    if payload.get("told_by"):  # the feedback step: how the customer was told
        said.insert(0, shown("told_by", payload["told_by"]))
    if event.kind in LETTER_EVENTS and payload.get("message_id"):
        said.insert(0, _letter_words(payload, lang))
    if event.kind in ("batch_joined", "batch_opened") and payload.get("key"):
        said.insert(0, f"{payload['key']} ({payload.get('cases', '?')})")
    if event.kind == "attach":  # which file, and its hash as the chain holds it
        said.insert(0, f"{payload.get('name', '')} · sha256 {str(payload.get('sha256'))[:12]}")
    if event.kind in LADDER_EVENTS and "level" in payload:
        said.insert(0, _rung_words(payload, staff, lang))
    text = " ".join(said).strip()
    return TimelineEntry(event.at, staff.get(event.actor_id or 0, ""), event.kind, changes, text)


#: What a person wrote with a step, in the order the timeline shows it.
SAID = ("reason", "comment", "note", "report", "outcome", "rectification")
#: Events of a letter to the customer (deskapp.cases.letters).
LETTER_EVENTS = frozenset({"letter_queued", "letter_written", "letter_sent", "letter_failed"})


def _letter_words(payload: dict[str, Any], lang: str) -> str:
    """ "Plan letter <id@host> (/path/x.eml)": which letter, its Message-ID, and where
    it was written or why it failed."""
    catalog = default_catalog()
    said = catalog.text(f"letter.kind.{payload.get('letter', 'plan')}", lang)
    said += f" {payload['message_id']}"  # not the address: the timeline is not masked
    if payload.get("path"):
        said += f" ({payload['path']})"
    if payload.get("error"):
        said += f": {payload['error']}"
    return said


#: Events that record a rung of the escalation ladder (the sweep's, and a person's step).
LADDER_EVENTS = frozenset({"escalation", "escalate"})


def _rung_words(payload: dict[str, Any], staff: dict[int, str], lang: str) -> str:
    """ "Manager (breached, contact) → Meg Manager": which rung, why, and whom it reached."""
    catalog = default_catalog()
    level = catalog.text(f"ladder.level.{int(payload['level'])}", lang)
    why = [catalog.text(f"ladder.cause.{payload.get('cause', 'escalated')}", lang)]
    if payload.get("milestone"):
        why.append(enum_label(MilestoneKind(payload["milestone"]), lang))
    people = ", ".join(staff.get(int(p), "?") for p in payload.get("notified", ()))
    return catalog.text("ladder.rung", lang, level=level, why=", ".join(why), people=people or "—")


def assignable(desk: Desk, department_id: int | None) -> list[tuple[int, str]]:
    """Whom a case of this department can be assigned to: its active handlers and managers."""
    if department_id is None:
        return []
    with read_session(desk.engine) as s:
        people = s.exec(
            select(Staff)
            .where(Staff.department_id == department_id, col(Staff.active))
            .order_by(col(Staff.display_name))
        ).all()
    wanted = {Role.HANDLER, Role.DEPT_MANAGER}
    return [(p.id or 0, p.display_name) for p in people if wanted & parse_roles(p.roles)]
