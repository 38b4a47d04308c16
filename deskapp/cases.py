"""The use cases: the only code that writes complaints.

Each public method is one transaction: it loads the case, checks the version the caller saw
(optimistic locking), asks `deskapp.workflow` (and through it `deskapp.permissions`) whether the
action is allowed, changes the row and its milestones, appends one hash-chained event with the
before/after of every changed field, and leaves the notifications the step calls for. Screens
call these from workers and show the `DeskError` they raise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from deskapp import audit, clock, numbering, permissions, sla, workflow
from deskapp import milestones as ms
from deskapp.config import Settings, load_settings
from deskapp.domain import (
    TERMINAL_STATUSES,
    Category,
    Channel,
    ClaimType,
    CustomerTier,
    MilestoneKind,
    RemedyType,
    RiskFlag,
    Role,
    RootCause,
    Severity,
    Status,
    format_flags,
    parse_flags,
    parse_roles,
)
from deskapp.errors import Change, ConflictError, InvalidInput, NotFound, PermissionDenied
from deskapp.validation import check_fields, check_length
from store.engine import read_session, write_session
from store.models import (
    CaseEvent,
    Complaint,
    ComplaintAssist,
    Customer,
    Department,
    Milestone,
    Note,
    Notification,
    Staff,
)

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


@dataclass(frozen=True)
class Actor:
    """The signed-in person, as the rules see them."""

    staff_id: int
    login: str
    display_name: str
    roles: frozenset[Role]
    department_id: int | None
    compensation_limit: Decimal

    @classmethod
    def from_staff(cls, staff: Staff) -> Actor:
        assert staff.id is not None
        return cls(
            staff.id,
            staff.login,
            staff.display_name,
            parse_roles(staff.roles),
            staff.department_id,
            staff.compensation_limit,
        )

    def facts(self) -> workflow.ActorFacts:
        return workflow.ActorFacts(
            self.staff_id, self.roles, self.department_id, self.compensation_limit
        )


@dataclass
class IntakeForm:
    """What the agent registers; the five first fields are the ones typed while on the phone."""

    phone: str
    name: str
    subject: str
    description: str
    demand: str
    channel: Channel = Channel.PHONE
    email: str = ""
    occurred_at: datetime | None = None
    place: str = ""
    order_ref: str = ""
    product_ref: str = ""
    evidence: str = ""
    category: Category = Category.OTHER
    claim_type: ClaimType = ClaimType.GENERAL
    severity: Severity = Severity.C
    flags: frozenset[RiskFlag] = frozenset()
    primary_dept_id: int | None = None
    #: The agent gave the apology and the promised reply time on the call.
    acknowledged: bool = False
    #: Triage suggestions the agent overrode: field → {"suggested": …, "chosen": …, "reason": …}.
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)

    def text_fields(self) -> dict[str, str]:
        return {
            name: getattr(self, name)
            for name in (
                "phone",
                "name",
                "subject",
                "description",
                "demand",
                "email",
                "place",
                "order_ref",
                "product_ref",
                "evidence",
            )
        }


@dataclass(frozen=True)
class IntakeResult:
    complaint_id: int
    number: str
    registered_at: datetime
    #: The time promised to the customer for the first substantive contact.
    promised_reply_at: datetime
    repeat: bool


@dataclass(frozen=True)
class PastCase:
    number: str
    created_at: datetime
    subject: str
    status: Status


@dataclass(frozen=True)
class CustomerLookup:
    """A known caller: who they are and what they complained about before."""

    customer_id: int
    name: str
    phone: str
    email: str
    vip: bool
    #: A repeat complaint: one is still open, or one was registered within the window.
    repeat: bool
    cases: tuple[PastCase, ...]


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    code: str
    name: str
    name_en: str


class Contact(NamedTuple):
    """A customer's contact details unmasked, as `Desk.reveal_contact` hands them out."""

    name: str
    phone: str


@dataclass(frozen=True)
class SavedNote:
    note_id: int
    at: datetime
    #: The case's version after the note: the writer's next `expected_version`.
    version: int


#: Notification kinds: the notice to a department that receives a case, and the step notice to
#: the case's first owner, who stays accountable for it until closure (首问负责).
DISPATCH_NOTICE = "dispatch_notice"
CASE_STEP = "case_step"
#: The actions that hand a case to a department.
HANDOVERS = frozenset({"dispatch", "transfer"})


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    #: The case's number and subject ("" for a notification about no case).
    number: str
    subject: str
    #: The step it tells of (a workflow action) and who took it; "" when it names no event.
    step: str
    by: str
    at: datetime
    message: str
    level: int
    read_at: datetime | None


def case_facts(c: Complaint) -> workflow.CaseFacts:
    return workflow.CaseFacts(
        status=Status(c.status),
        flags=parse_flags(c.flags),
        first_owner_id=c.first_owner_id,
        primary_dept_id=c.primary_dept_id,
        assignee_id=c.assignee_id,
        plan_proposed_by_id=c.plan_proposed_by_id,
        compensation_amount=c.compensation_amount,
        legal_cleared=c.legal_cleared,
        compensation_approved=c.compensation_approved_by_id is not None,
        customer_confirmed=c.customer_confirmed_at is not None,
        departments_left=frozenset(int(x) for x in c.departments_left.split()),
        resume_status=Status(c.resume_status) if c.resume_status else None,
    )


def department_contact(s: Session, department_id: int) -> Staff | None:
    """Who receives a department's notices: its liaison, else its manager (active ones only)."""
    dept = s.get(Department, department_id)
    if dept is None:
        return None
    for staff_id in (dept.liaison_id, dept.manager_id):
        staff = s.get(Staff, staff_id) if staff_id is not None else None
        if staff is not None and staff.active:
            return staff
    return None


def _snapshot(c: Complaint) -> dict[str, Any]:
    return {name: getattr(c, name) for name in TRACKED}


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [before[k], after[k]] for k in before if before[k] != after[k]}


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput({"compensation_amount": "not a number"}) from None
    if amount < 0:
        raise InvalidInput({"compensation_amount": "cannot be negative"})
    return amount.quantize(Decimal("0.01"))


class Desk:
    """The use cases over one database, with the deployment's policy and calendars."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings | None = None,
        policy: sla.SlaPolicy | None = None,
        calendars: sla.CalendarSet | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings or load_settings()
        self.policy = policy or sla.load_policy(
            self.settings.sla.policy_file, calendar_dirs=self.settings.sla.calendar_dirs
        )
        self.calendars = calendars or sla.CalendarSet(self.settings.sla.calendar_dirs)
        self.rules = workflow.Rules(legal_review_amount=self.settings.legal_review_amount)

    # -- people -----------------------------------------------------------------------------

    def actor(self, login: str) -> Actor:
        with read_session(self.engine) as s:
            staff = s.exec(select(Staff).where(Staff.login == login)).first()
            if staff is None or not staff.active:
                raise NotFound(f"no active staff account {login!r}")
            return Actor.from_staff(staff)

    # -- intake -----------------------------------------------------------------------------

    def intake(self, actor: Actor, form: IntakeForm) -> IntakeResult:
        problems = check_fields(form.text_fields())
        if problems:
            raise InvalidInput(problems)
        permissions.check("intake", actor.facts(), None)
        now = clock.now()
        with write_session(self.engine) as s:
            customer = self._customer_for(s, form, now)
            assert customer.id is not None
            repeat = self._is_repeat(s, customer.id, form.order_ref, now)
            flags = set(form.flags)
            if repeat:
                flags.add(RiskFlag.REPEAT)
            vip = customer.tier == CustomerTier.VIP.value or RiskFlag.VIP in flags
            if vip:
                flags.add(RiskFlag.VIP)
            complaint = Complaint(
                number=numbering.allocate(s, now, self.settings.tz),
                channel=form.channel.value,
                customer_id=customer.id,
                subject=form.subject.strip(),
                description=form.description,
                demand=form.demand,
                occurred_at=form.occurred_at,
                place=form.place,
                order_ref=form.order_ref.strip(),
                product_ref=form.product_ref.strip(),
                evidence=form.evidence,
                category=form.category.value,
                claim_type=form.claim_type.value,
                severity=form.severity.value,
                flags=format_flags(flags),
                status=Status.NEW.value,
                first_owner_id=actor.staff_id,
                primary_dept_id=form.primary_dept_id,
                created_at=now,
                updated_at=now,
                updated_by_id=actor.staff_id,
            )
            s.add(complaint)
            s.flush()
            assert complaint.id is not None
            rows = ms.start(
                s,
                complaint,
                self.policy.milestones_at_intake(),
                now,
                self.policy,
                self.calendars,
                vip=vip,
            )
            if form.acknowledged:
                ms.meet(rows, (MilestoneKind.ACKNOWLEDGE,), now)
            ms.set_head(complaint, rows, self.policy, self.calendars)
            s.add(complaint)
            promised = next(r.due_at for r in rows if r.kind == MilestoneKind.CONTACT.value)
            audit.append(
                s,
                kind="intake",
                actor_id=actor.staff_id,
                complaint_id=complaint.id,
                payload={
                    "version": 1,
                    "number": complaint.number,
                    "fields": {k: v for k, v in form.text_fields().items() if v},
                    "channel": form.channel,
                    "category": form.category,
                    "severity": form.severity,
                    "flags": complaint.flags,
                    "acknowledged": form.acknowledged,
                    "overrides": form.overrides,
                    "promised_reply_at": promised,
                },
                at=now,
            )
            return IntakeResult(complaint.id, complaint.number, now, promised, repeat)

    def _customer_for(self, s: Session, form: IntakeForm, now: datetime) -> Customer:
        phone = form.phone.strip()
        customer = s.exec(select(Customer).where(Customer.phone == phone)).first()
        if customer is None:
            customer = Customer(
                name=form.name.strip(), phone=phone, email=form.email.strip(), created_at=now
            )
        else:
            customer.name = form.name.strip() or customer.name
            customer.email = form.email.strip() or customer.email
        s.add(customer)
        s.flush()
        return customer

    def lookup_customer(self, phone: str, *, limit: int = 10) -> CustomerLookup | None:
        """The customer with this phone number and their most recent complaints."""
        phone = phone.strip()
        if not phone:
            return None
        with read_session(self.engine) as s:
            customer = s.exec(select(Customer).where(Customer.phone == phone)).first()
            if customer is None or customer.id is None:
                return None
            rows = s.exec(
                select(Complaint.number, Complaint.created_at, Complaint.subject, Complaint.status)
                .where(Complaint.customer_id == customer.id)
                .order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc())
                .limit(limit)
            ).all()
            repeat = self._is_repeat(s, customer.id, "", clock.now())
        return CustomerLookup(
            customer_id=customer.id,
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            vip=customer.tier == CustomerTier.VIP.value,
            repeat=repeat,
            cases=tuple(PastCase(n, at, subj, Status(st)) for n, at, subj, st in rows),
        )

    def preview_promise(
        self, severity: Severity, vip: bool, at: datetime | None = None
    ) -> datetime:
        """The reply time intake would promise now: the contact milestone's due time."""
        planned = sla.plan(
            MilestoneKind.CONTACT, severity, vip, at or clock.now(), self.policy, self.calendars
        )
        return planned.due_at

    def find_cases(self, query: str, *, limit: int = 20) -> list[PastCase]:
        """Cases whose number starts with, or whose customer's phone contains, `query` — for
        jumping to a case from the command palette. Newest first."""
        query = query.strip()
        if len(query) < 3:
            return []
        with read_session(self.engine) as s:
            rows = s.exec(
                select(Complaint.number, Complaint.created_at, Complaint.subject, Complaint.status)
                .join(Customer, col(Customer.id) == col(Complaint.customer_id))
                .where(
                    col(Complaint.number).startswith(query.upper(), autoescape=True)
                    | col(Customer.phone).contains(query, autoescape=True)
                )
                .order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc())
                .limit(limit)
            ).all()
        return [PastCase(n, at, subj, Status(st)) for n, at, subj, st in rows]

    def staff_names(self) -> dict[int, str]:
        """Display names by staff id, for lists that show who is assigned."""
        with read_session(self.engine) as s:
            rows = s.exec(select(Staff.id, Staff.display_name)).all()
        return {ident: name for ident, name in rows if ident is not None}

    def departments(self) -> list[DepartmentInfo]:
        with read_session(self.engine) as s:
            rows = s.exec(
                select(Department).where(col(Department.active)).order_by(col(Department.code))
            ).all()
        return [DepartmentInfo(d.id or 0, d.code, d.name, d.name_en) for d in rows]

    def _is_repeat(self, s: Session, customer_id: int, order_ref: str, now: datetime) -> bool:
        """A repeat: the same customer, or the same order, complained within the window (or
        still has a case open)."""
        since = now - timedelta(days=self.settings.repeat_window_days)
        same = col(Complaint.customer_id) == customer_id
        if order_ref.strip():
            same = same | (col(Complaint.order_ref) == order_ref.strip())
        recent = (col(Complaint.created_at) >= since) | col(Complaint.is_open)
        return s.exec(select(Complaint.id).where(same).where(recent).limit(1)).first() is not None

    # -- the workflow -----------------------------------------------------------------------

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
        now = clock.now()
        with write_session(self.engine) as s:
            c = self._load_for_change(s, number, expected_version)
            facts = case_facts(c)
            t = workflow.check(action, facts, actor.facts(), params, self.rules)
            before = _snapshot(c)
            assert c.id is not None
            rows = ms.load(s, c.id)
            extra = self._apply(s, t, c, params, actor, now)
            c.status = workflow.target_of(t, facts).value
            if t.pauses:
                c.resume_status = facts.status.value
                ms.pause_all(rows, now)
            if t.resumes:
                c.resume_status = ""
                extra["paused_working_seconds"] = ms.resume_all(rows, now, self.calendars)
            met = ms.meet(rows, t.meets, now)
            vip = RiskFlag.VIP in parse_flags(c.flags)
            if t.starts:
                rows += ms.start(s, c, t.starts, now, self.policy, self.calendars, vip=vip)
            if t.ends_case:
                ms.cancel_all(rows)
            c.is_open = Status(c.status) not in TERMINAL_STATUSES
            ms.set_head(c, rows, self.policy, self.calendars)
            for row in rows:
                s.add(row)
            payload: dict[str, Any] = {
                "changes": _diff(before, _snapshot(c)),
                **({"met": met} if met else {}),
                **({"reason": params["reason"]} if params.get("reason") else {}),
                **extra,
            }
            event = self._record_change(s, c, actor, action, payload, now)
            self._notify(s, c, action, actor, event, str(params.get("reason") or ""), now)
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
    ) -> None:
        """The receiving department's liaison gets the dispatch notice; the first owner hears of
        every step someone else takes. Nobody is told of their own step, nobody twice."""
        recipients: dict[int, str] = {}
        if action in HANDOVERS and c.primary_dept_id is not None:
            contact = department_contact(s, c.primary_dept_id)
            if contact is not None and contact.id is not None:
                recipients[contact.id] = DISPATCH_NOTICE
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

    # -- actions on a case beside the workflow ------------------------------------------------

    def reveal_contact(self, actor: Actor, number: str) -> Contact:
        """The customer's name and phone unmasked. Every reveal is an event (who saw whose
        details, when); the details themselves stay out of the event log."""
        now = clock.now()
        with write_session(self.engine) as s:
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

    def add_note(
        self,
        actor: Actor,
        number: str,
        text: str,
        *,
        customer_facing: bool,
        expected_version: int | None,
    ) -> SavedNote:
        """An internal note, or a customer-facing one (what was, or will be, told to the
        customer). It makes a new version of the case, so a writer who saw the case before the
        note learns of it the way they learn of any other change."""
        body = text.strip()
        problem = "required" if not body else check_length("note", body)
        if problem:
            raise InvalidInput({"note": problem})
        now = clock.now()
        with write_session(self.engine) as s:
            c = self._load_for_change(s, number, expected_version)
            permissions.check("add_note", actor.facts(), case_facts(c))
            assert c.id is not None
            note = Note(
                complaint_id=c.id,
                author_id=actor.staff_id,
                at=now,
                body=body,
                customer_facing=customer_facing,
            )
            s.add(note)
            s.flush()
            assert note.id is not None
            payload = {"note_id": note.id, "customer_facing": customer_facing, "body": body}
            self._record_change(s, c, actor, "note", payload, now)
            return SavedNote(note.id, now, c.version)

    # -- the inbox ----------------------------------------------------------------------------

    def inbox(self, actor: Actor, *, unread_only: bool = False, limit: int = 50) -> list[InboxItem]:
        """My notifications, newest first."""
        query = (
            sa_select(
                Notification,
                col(Complaint.number),
                col(Complaint.subject),
                col(CaseEvent.kind),
                col(Staff.display_name),
            )
            .join(Complaint, col(Complaint.id) == col(Notification.complaint_id), isouter=True)
            .join(CaseEvent, col(CaseEvent.id) == col(Notification.event_id), isouter=True)
            .join(Staff, col(Staff.id) == col(CaseEvent.actor_id), isouter=True)
            .where(col(Notification.recipient_id) == actor.staff_id)
        )
        if unread_only:
            query = query.where(col(Notification.read_at).is_(None))
        query = query.order_by(col(Notification.id).desc()).limit(limit)
        with read_session(self.engine) as s:
            rows = s.execute(query).all()
        return [
            InboxItem(
                id=n.id or 0,
                kind=n.kind,
                number=number or "",
                subject=subject or "",
                step=step or "",
                by=by or "",
                at=n.created_at,
                message=n.message,
                level=n.level,
                read_at=n.read_at,
            )
            for n, number, subject, step, by in rows
        ]

    def unread_count(self, actor: Actor) -> int:
        """For the header: one read of the recipient/unread index."""
        with read_session(self.engine) as s:
            return int(
                s.exec(
                    select(func.count())
                    .select_from(Notification)
                    .where(Notification.recipient_id == actor.staff_id)
                    .where(col(Notification.read_at).is_(None))
                ).one()
            )

    def mark_read(self, actor: Actor, notification_ids: Iterable[int]) -> int:
        """Mark my notifications read; returns how many were unread. Naming anyone else's
        notification refuses the whole request and marks nothing."""
        ids = sorted(set(notification_ids))
        if not ids:
            return 0
        now = clock.now()
        with write_session(self.engine) as s:
            owners = dict(
                s.exec(
                    select(Notification.id, Notification.recipient_id).where(
                        col(Notification.id).in_(ids)
                    )
                ).all()
            )
            missing = [i for i in ids if i not in owners]
            if missing:
                raise NotFound(f"no notification {', '.join(map(str, missing))}")
            if any(owner != actor.staff_id for owner in owners.values()):
                raise PermissionDenied("only the recipient may mark a notification read")
            result = s.connection().execute(
                update(Notification)
                .where(col(Notification.id).in_(ids))
                .where(col(Notification.read_at).is_(None))
                .values(read_at=now)
            )
            return int(result.rowcount)

    def _apply(
        self,
        s: Session,
        t: workflow.Transition,
        c: Complaint,
        p: Mapping[str, Any],
        actor: Actor,
        now: datetime,
    ) -> dict[str, Any]:
        """The field changes of each action; returns extra facts for the event payload."""
        a = t.action
        extra: dict[str, Any] = {}
        if a == "reject":
            c.reject_reason = str(p["reason"]).strip()
        elif a == "classify":
            if "category" in p:
                c.category = Category(p["category"]).value
            if "claim_type" in p:
                c.claim_type = ClaimType(p["claim_type"]).value
            if "severity" in p:
                c.severity = Severity(p["severity"]).value
            if "flags" in p:
                c.flags = format_flags({RiskFlag(f) for f in p["flags"]})
        elif a == "dispatch":
            c.primary_dept_id = int(p["department_id"])
            assist = sorted({int(d) for d in p.get("assisting", ())} - {c.primary_dept_id})
            for dept in assist:
                s.merge(ComplaintAssist(complaint_id=c.id or 0, department_id=dept))
            if assist:
                extra["assisting"] = assist
            if p.get("assignee_id") is not None:
                c.assignee_id = int(p["assignee_id"])
        elif a == "transfer":
            left = set(c.departments_left.split())
            if c.primary_dept_id is not None:
                left.add(str(c.primary_dept_id))
            c.departments_left = " ".join(sorted(left, key=int))
            c.primary_dept_id, c.assignee_id = int(p["department_id"]), None
        elif a == "assign":
            c.assignee_id = int(p["assignee_id"])
        elif a == "start_investigation":
            if c.assignee_id is None:
                c.assignee_id = actor.staff_id
        elif a == "record_contact":
            extra["contact"] = {"mode": p.get("mode", "phone"), "outcome": p.get("outcome", "")}
        elif a == "record_root_cause":
            c.root_cause_category = RootCause(p["root_cause_category"]).value
            c.root_cause = "\n".join(str(w).strip() for w in p["whys"] if str(w).strip())
        elif a == "propose_plan":
            c.remedy = str(p.get("remedy", "")).strip()
            if not c.remedy:
                raise InvalidInput({"remedy": "describe the remedy"})
            c.root_cause = str(p.get("root_cause", c.root_cause))
            c.compensation_amount = _amount(p.get("compensation_amount"))
            kinds = {RemedyType(k) for k in p.get("remedy_types", ())}
            if c.compensation_amount:  # an amount is a compensation, named or not
                kinds.add(RemedyType.COMPENSATION)
            c.remedy_types = " ".join(k.value for k in RemedyType if k in kinds)
            c.plan_proposed_by_id = actor.staff_id
            c.legal_cleared, c.compensation_approved_by_id = False, None
        elif a == "legal_approve":
            c.legal_cleared = True
        elif a == "legal_return":
            c.legal_cleared = False
        elif a == "approve_compensation":
            c.compensation_approved_by_id = actor.staff_id
        elif a == "confirm":
            c.customer_confirmed_at = now
        elif a == "revisit":
            c.satisfaction = int(p["satisfaction"])
            c.satisfaction_comment = str(p.get("comment", ""))
        elif a == "reopen":
            c.reopen_count += 1
            c.flags = format_flags(parse_flags(c.flags) | {RiskFlag.REPEAT})
            c.customer_confirmed_at, c.satisfaction = None, None
            c.legal_cleared, c.compensation_approved_by_id = False, None
        elif a == "escalate":
            c.escalation_level = min(3, c.escalation_level + 1)
        for key in ("comment", "note"):
            if p.get(key):
                extra[key] = str(p[key])
        return extra

    def _load_locked(self, s: Session, number: str) -> Complaint:
        return self._load(s, number, lock=True)

    def _load(self, s: Session, number: str, *, lock: bool = False) -> Complaint:
        query = select(Complaint).where(Complaint.number == number)
        c = s.exec(query.with_for_update() if lock else query).first()
        if c is None:
            raise NotFound(f"no complaint {number}")
        return c

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

    # -- reads --------------------------------------------------------------------------------

    def status_counts(self) -> dict[str, int]:
        with read_session(self.engine) as s:
            rows = s.exec(select(Complaint.status, func.count()).group_by(Complaint.status)).all()
        return {status: int(n) for status, n in rows}

    def case(self, number: str) -> tuple[Complaint, list[Milestone], list[CaseEvent]]:
        with read_session(self.engine) as s:
            c = s.exec(select(Complaint).where(Complaint.number == number)).first()
            if c is None or c.id is None:
                raise NotFound(f"no complaint {number}")
            events = list(
                s.exec(
                    select(CaseEvent)
                    .where(CaseEvent.complaint_id == c.id)
                    .order_by(col(CaseEvent.id))
                ).all()
            )
            return c, ms.load(s, c.id), events
