"""Registering a complaint while the customer is on the line, and what the agent sees of the
caller as they type: the customer found by phone, with their earlier complaints, and the reply
time the desk would promise now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from deskapp import audit, clock, numbering, permissions, sla
from deskapp import milestones as ms
from deskapp.cases.actor import Actor
from deskapp.cases.base import DeskBase
from deskapp.domain import (
    Category,
    Channel,
    ClaimType,
    CustomerTier,
    MilestoneKind,
    RiskFlag,
    Severity,
    Status,
    format_flags,
)
from deskapp.errors import InvalidInput
from deskapp.validation import check_fields
from store.engine import read_session, write_session
from store.models import Complaint, Customer


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


class IntakeCases(DeskBase):
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

    def _is_repeat(self, s: Session, customer_id: int, order_ref: str, now: datetime) -> bool:
        """A repeat: the same customer, or the same order, complained within the window (or
        still has a case open)."""
        since = now - timedelta(days=self.settings.repeat_window_days)
        same = col(Complaint.customer_id) == customer_id
        if order_ref.strip():
            same = same | (col(Complaint.order_ref) == order_ref.strip())
        recent = (col(Complaint.created_at) >= since) | col(Complaint.is_open)
        return s.exec(select(Complaint.id).where(same).where(recent).limit(1)).first() is not None
