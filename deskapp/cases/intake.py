"""Registering a complaint while the customer is on the line, and what the agent sees of the
caller as they type: the customer found by phone, with their earlier complaints, and the reply
time the desk would promise now.

Both need the `intake` permission, checked here: the lookup shows a customer's name and
contact details, so it is part of registering a complaint, not a way around the recorded
reveal. The classification the agent saves is held against the triage rules once more (they
may have been skipped by a script or a tool): going below what the rules found needs a reason,
and every difference is recorded as a `triage_override` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from deskapp import audit, batches, clock, numbering, permissions, seals, sla, triage
from deskapp import milestones as ms
from deskapp.cases import batching, escalations, tally
from deskapp.cases.actor import Actor
from deskapp.cases.base import DeskBase, retrying
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
from deskapp.triage_review import Choice, needs_reason
from deskapp.validation import check_fields
from store.models import Complaint, Customer, Department, IntakeKey, Milestone
from store.phones import normal_phone

#: The longest request key an intake takes (a UUID's hex is 32).
KEY_LENGTH = 64


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
    #: The classification; None takes what the triage rules suggest (a script or a tool that
    #: does not classify gets the same judgement the intake form fills in).
    category: Category | None = None
    claim_type: ClaimType | None = None
    severity: Severity | None = None
    flags: frozenset[RiskFlag] | None = None
    primary_dept_id: int | None = None
    #: The agent gave the apology and the promised reply time on the call.
    acknowledged: bool = False
    #: Why the classification goes below what the triage rules found (a lower severity, a
    #: legal, media or regulator flag taken off); required exactly then.
    override_reason: str = ""
    #: The form's name for this registration (at most 64 characters): the same key again
    #: returns the case it made instead of a second one. Empty: no such check.
    request_key: str = ""

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
    """What the desk knows of a caller from the phone (and order) typed so far."""

    #: None: nobody with this number yet (a new customer).
    customer_id: int | None
    name: str
    phone: str
    email: str
    vip: bool
    #: A repeat complaint: the customer or the order complained within the window, or still
    #: has a case open.
    repeat: bool
    cases: tuple[PastCase, ...]

    @property
    def known(self) -> bool:
        return self.customer_id is not None

    def history(self) -> triage.CustomerHistory:
        return triage.CustomerHistory(
            is_vip=self.vip, repeat=self.repeat, recent_cases=len(self.cases)
        )


class IntakeCases(DeskBase):
    @retrying
    def intake(self, actor: Actor, form: IntakeForm) -> IntakeResult:
        problems = check_fields({**form.text_fields(), "override_reason": form.override_reason})
        if len(form.request_key) > KEY_LENGTH:
            problems["request_key"] = f"at most {KEY_LENGTH} characters"
        if problems:
            raise InvalidInput(problems)
        now = clock.now()
        with self._acting(actor) as (s, actor):
            permissions.check("intake", actor.facts(), None)
            made = self._made_before(s, form.request_key)
            if made is not None:
                return made
            customer = self._customer_for(s, form, now)
            assert customer.id is not None
            repeat = self._is_repeat(s, customer.id, form.order_ref, now)
            vip = customer.tier == CustomerTier.VIP.value
            chosen, overrides = self._review(s, form, triage.CustomerHistory(vip, repeat))
            flags = {RiskFlag(f) for f in chosen.flags}
            if repeat:
                flags.add(RiskFlag.REPEAT)
            vip = vip or RiskFlag.VIP in flags
            if vip:
                flags.add(RiskFlag.VIP)
            complaint = Complaint(
                number=numbering.allocate(s, now, self.settings.tz),
                channel=form.channel.value,
                customer_id=customer.id,
                subject=form.subject,  # exactly as typed (required: not blank)
                description=form.description,
                demand=form.demand,
                occurred_at=form.occurred_at,
                place=form.place,
                order_ref=form.order_ref.strip(),
                product_ref=form.product_ref.strip(),
                evidence=form.evidence,
                category=chosen.category,
                claim_type=chosen.claim_type,
                severity=chosen.severity,
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
            found = batching.find(
                s, complaint, self._batch_keys(form, chosen.category), self.settings, now
            )
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
                    "category": chosen.category,
                    "claim_type": chosen.claim_type,
                    "severity": chosen.severity,
                    "flags": complaint.flags,
                    "acknowledged": form.acknowledged,
                    "overrides": overrides,
                    "promised_reply_at": promised,
                },
                at=now,
            )
            if overrides:
                audit.append(
                    s,
                    kind="triage_override",
                    actor_id=actor.staff_id,
                    complaint_id=complaint.id,
                    payload={"version": 1, "overrides": overrides},
                    at=now,
                )
            if form.request_key:
                s.add(IntakeKey(key=form.request_key, complaint_id=complaint.id))
            batching.record(s, complaint, found, self.settings, actor.staff_id, now)
            tally.keep(s, None, tally.standing(complaint))
            escalations.follow(s, complaint, rows, self.policy, self.calendars)
            escalations.alert_case(s, complaint, self.policy, now)
            return IntakeResult(complaint.id, complaint.number, now, promised, repeat)

    def _batch_keys(self, form: IntakeForm, category: str) -> list[str]:
        """What this complaint may share with others (deskapp.batches)."""
        cat = Category(category)
        return batches.keys(
            product_ref=form.product_ref,
            order_ref=form.order_ref,
            category=cat,
            words=triage.topic_words(form.subject, form.description, form.demand, cat),
            order_batch_pattern=self.settings.order_batch_pattern,
        )

    def _made_before(self, s: Session, key: str) -> IntakeResult | None:
        """The case this registration made on an earlier try, told as that try would have."""
        if not key:
            return None
        found = s.get(IntakeKey, key)
        if found is None:
            return None
        c = s.get(Complaint, found.complaint_id)
        assert c is not None and c.id is not None
        promised = s.exec(
            select(Milestone.due_at).where(
                Milestone.complaint_id == c.id, Milestone.kind == MilestoneKind.CONTACT.value
            )
        ).first()
        repeat = RiskFlag.REPEAT.value in c.flags.split()
        return IntakeResult(c.id, c.number, c.created_at, promised or c.created_at, repeat)

    def _review(
        self, s: Session, form: IntakeForm, history: triage.CustomerHistory
    ) -> tuple[Choice, dict[str, dict[str, str]]]:
        """The classification to save, held against the rules: what the form leaves open
        takes the suggestion; going below the rules needs a reason. Returns it with every
        difference from the rules (the event's `overrides`)."""
        found = triage.suggest(form.subject, form.description, form.demand, history)
        wanted = Choice.suggested(found)
        department = ""
        if form.primary_dept_id is not None:
            dept = s.get(Department, form.primary_dept_id)
            if dept is None:
                raise InvalidInput({"primary_dept_id": "no such department"})
            department = dept.code
        flags = wanted.flags if form.flags is None else frozenset(f.value for f in form.flags)
        chosen = Choice(
            category=form.category.value if form.category else wanted.category,
            claim_type=form.claim_type.value if form.claim_type else wanted.claim_type,
            severity=form.severity.value if form.severity else wanted.severity,
            department=department,
            # The repeat and VIP flags are the desk's own findings, added either way.
            flags=flags | (wanted.flags & {RiskFlag.REPEAT.value, RiskFlag.VIP.value}),
        )
        reason = form.override_reason.strip()
        if needs_reason(found, chosen) and not reason:
            raise InvalidInput({"override_reason": "required"})
        compared = chosen.as_strings()
        if form.primary_dept_id is None:
            del compared["department"]  # not chosen yet: dispatch decides, nothing overridden
        why = dict.fromkeys(compared, reason) if reason else None
        return chosen, triage.overrides(found, compared, why)

    def _customer_for(self, s: Session, form: IntakeForm, now: datetime) -> Customer:
        """The customer with this number, made if new. Two desks registering the same new
        caller at once both end with the one row (the number is unique)."""
        phone = normal_phone(form.phone)
        table = Customer.__table__  # type: ignore[attr-defined]
        insert = (
            pg_insert(table) if s.get_bind().dialect.name == "postgresql" else sqlite_insert(table)
        )
        s.execute(
            insert.values(
                name=form.name.strip(), phone=phone, email=form.email.strip(), created_at=now
            ).on_conflict_do_nothing(index_elements=["phone"], index_where=text("phone <> ''"))
        )
        customer = s.exec(select(Customer).where(Customer.phone == phone)).one()
        customer.name = form.name.strip() or customer.name
        customer.email = form.email.strip() or customer.email
        s.add(customer)
        s.flush()
        assert customer.id is not None
        seals.touch(s, "customer", [customer.id])  # made by the insert above, not the ORM
        return customer

    def lookup_customer(
        self, actor: Actor, phone: str, *, order_ref: str = "", limit: int = 10
    ) -> CustomerLookup | None:
        """What the desk knows of the caller with this number (and order): the customer and
        their latest complaints, or a new caller whose order already complained. None until
        a number with digits is typed. Needs the `intake` permission."""
        phone = normal_phone(phone)
        now = clock.now()
        with self._acting(actor, write=False) as (s, actor):
            permissions.check("intake", actor.facts(), None)
            if not phone:
                return None
            customer = s.exec(select(Customer).where(Customer.phone == phone)).first()
            if customer is None or customer.id is None:
                repeat = bool(order_ref.strip()) and self._is_repeat(s, None, order_ref, now)
                return CustomerLookup(None, "", phone, "", False, repeat, ())
            rows = s.exec(
                select(Complaint.number, Complaint.created_at, Complaint.subject, Complaint.status)
                .where(Complaint.customer_id == customer.id)
                .order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc())
                .limit(limit)
            ).all()
            repeat = self._is_repeat(s, customer.id, order_ref, now)
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

    def _is_repeat(
        self, s: Session, customer_id: int | None, order_ref: str, now: datetime
    ) -> bool:
        """A repeat: the same customer, or the same order, complained within the window (or
        still has a case open)."""
        since = now - timedelta(days=self.settings.repeat_window_days)
        same = col(Complaint.customer_id) == (customer_id if customer_id is not None else -1)
        if order_ref.strip():
            same = same | (col(Complaint.order_ref) == order_ref.strip())
        recent = (col(Complaint.created_at) >= since) | col(Complaint.is_open)
        return s.exec(select(Complaint.id).where(same).where(recent).limit(1)).first() is not None
