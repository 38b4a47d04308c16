"""Plain, frozen copies of stored rows: what the rules hand to screens and tools.

Screens never hold a database row: a row is tied to its session and can be changed or
lazy-loaded behind the reader's back; a record is a value. Each record lists the fields a
reader may use; a test holds each one to its table, so a column added to the store is either
added here or named as left out on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from store.models import Complaint, Customer, Letter, Milestone


class _Record:
    @classmethod
    def of(cls, row: Any) -> Self:
        """The record of a stored row (read inside the session that loaded it)."""
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class CaseRecord(_Record):
    """A complaint as it stands. Left out: the queue's head-promise columns (`next_*`, derived
    from the milestones) and `updated_by_id` (the timeline says who did what)."""

    id: int
    number: str
    channel: str
    customer_id: int
    subject: str
    description: str
    demand: str
    occurred_at: datetime | None
    place: str
    order_ref: str
    product_ref: str
    evidence: str
    category: str
    claim_type: str
    severity: str
    flags: str
    status: str
    is_open: bool
    first_owner_id: int
    primary_dept_id: int | None
    assignee_id: int | None
    escalation_level: int
    reject_reason: str
    root_cause: str
    remedy: str
    remedy_types: str
    root_cause_category: str
    compensation_amount: Decimal | None
    plan_proposed_by_id: int | None
    legal_cleared: bool
    compensation_approved_by_id: int | None
    customer_confirmed_at: datetime | None
    satisfaction: int | None
    satisfaction_comment: str
    resume_status: str
    departments_left: str
    reopen_count: int
    version: int
    source: str
    external_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CustomerRecord(_Record):
    id: int
    name: str
    phone: str
    other_phones: str
    email: str
    tier: str
    created_at: datetime


@dataclass(frozen=True)
class MilestoneRecord(_Record):
    """One service-level promise; `sla.MilestoneLike`, so the rules read it like the row."""

    id: int
    complaint_id: int
    kind: str
    budget_minutes: float
    calendar: str
    started_at: datetime
    due_at: datetime
    paused_at: datetime | None
    paused_seconds: float
    met_at: datetime | None
    cancelled: bool
    is_open: bool
    provisional: bool


@dataclass(frozen=True)
class LetterRecord(_Record):
    """A letter in the outbox as the case screen lists it. Left out: the body (shown in the
    dialog that wrote it and kept in its audit event) and the ids of the person and events."""

    id: int
    complaint_id: int
    kind: str
    lang: str
    recipient: str
    subject: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    sent_at: datetime | None
    path: str
    created_at: datetime


#: Which table each record copies, and the columns it leaves out on purpose.
COPIES: dict[type[_Record], tuple[type[Any], frozenset[str]]] = {
    CaseRecord: (
        Complaint,
        frozenset({"next_due_at", "next_kind", "next_calendar", "next_warn_at", "updated_by_id"}),
    ),
    CustomerRecord: (Customer, frozenset()),
    MilestoneRecord: (Milestone, frozenset()),
    LetterRecord: (
        Letter,
        frozenset({"body", "created_by_id", "queued_event_id", "done_event_id"}),
    ),
}
