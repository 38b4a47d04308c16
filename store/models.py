"""The SQLModel tables (DESIGN.md §3).

Enumerated values (status, severity, roles, flags…) are stored as the plain strings of
`deskapp.domain`; the store does not import the rules. Every instant is an aware UTC datetime
through `UTCDateTime`. Indexes follow the hot queries: the live queue (open complaints by next
due time), milestones by due time, complaints by department / assignee / customer, events by id
(the change feed) and by case (the timeline).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime


def _instant(*, nullable: bool = False, index: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


class Department(SQLModel, table=True):
    """A responsible department; manager and liaison are staff ids checked by the use cases
    (no FK constraint: department and staff refer to each other)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    manager_id: int | None = None
    liaison_id: int | None = None
    active: bool = True


class Staff(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    roles: str = Field(default="", max_length=200)  # space-separated deskapp.domain.Role values
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    password_hash: str = Field(default="", max_length=300)
    active: bool = True
    compensation_limit: Decimal = Field(default=Decimal("0"), max_digits=12, decimal_places=2)
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    #: "zh" or "en": the desk switches to it at sign-in unless `run --lang` fixed one; "" follows
    #: the terminal (config, locale).
    language: str = Field(default="", max_length=8)


class Customer(SQLModel, table=True):
    """A caller. `phone` is in the form `store.phones.normal_phone` gives, one customer per
    number ("" for the anonymous customers an import may bring)."""

    __table_args__ = (
        sa.Index(
            "uq_customer_phone",
            "phone",
            unique=True,
            sqlite_where=sa.text("phone <> ''"),
            postgresql_where=sa.text("phone <> ''"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    phone: str = Field(default="", max_length=32)
    other_phones: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=200, index=True)
    tier: str = Field(default="standard", max_length=16)
    created_at: datetime = Field(sa_column=_instant())


class Complaint(SQLModel, table=True):
    __table_args__ = (
        # The live queue: open cases ordered by the next promise to break.
        sa.Index("ix_complaint_open_next_due", "is_open", "next_due_at"),
        # Alerts: the cases that turned at risk since the last poll. With the department,
        # severity and status beside the instant, the breach board counts the cases at risk
        # and breached per tile from the index alone (store.board).
        sa.Index(
            "ix_complaint_board_warn",
            "is_open",
            "next_warn_at",
            "primary_dept_id",
            "severity",
            "status",
        ),
        sa.Index(
            "ix_complaint_board_due",
            "is_open",
            "next_due_at",
            "primary_dept_id",
            "severity",
            "status",
        ),
        sa.Index("ix_complaint_dept_open", "primary_dept_id", "is_open", "next_due_at"),
        sa.Index("ix_complaint_assignee_open", "assignee_id", "is_open", "next_due_at"),
        sa.Index("ix_complaint_owner_open", "first_owner_id", "is_open", "next_due_at"),
        # An imported case is imported once: its id in the source it came from is unique there
        # (cases registered on the desk have no external id).
        sa.Index(
            "uq_complaint_source_external",
            "source",
            "external_id",
            unique=True,
            sqlite_where=sa.text("external_id <> ''"),
            postgresql_where=sa.text("external_id <> ''"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True)
    channel: str = Field(max_length=16)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    subject: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    demand: str = Field(default="", sa_type=sa.Text)
    occurred_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    place: str = Field(default="", max_length=200)
    order_ref: str = Field(default="", max_length=64, index=True)
    product_ref: str = Field(default="", max_length=64, index=True)
    evidence: str = Field(default="", sa_type=sa.Text)
    category: str = Field(default="other", max_length=16, index=True)
    claim_type: str = Field(default="general", max_length=16)
    severity: str = Field(default="C", max_length=1)
    flags: str = Field(default="", max_length=100)  # space-separated deskapp.domain.RiskFlag
    status: str = Field(default="new", max_length=24, index=True)
    is_open: bool = True
    next_due_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    # The rest of the queue's head promise, kept with `next_due_at` so a queue page is one
    # indexed read: which milestone it is, its calendar, and when it turns at risk.
    next_kind: str = Field(default="", max_length=16)
    next_calendar: str = Field(default="", max_length=64)
    next_warn_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    first_owner_id: int = Field(foreign_key="staff.id")
    primary_dept_id: int | None = Field(default=None, foreign_key="department.id")
    assignee_id: int | None = Field(default=None, foreign_key="staff.id")
    escalation_level: int = 0
    reject_reason: str = Field(default="", sa_type=sa.Text)
    root_cause: str = Field(default="", sa_type=sa.Text)
    remedy: str = Field(default="", sa_type=sa.Text)
    #: The kinds of remedy in the plan (space-separated deskapp.domain.RemedyType values).
    remedy_types: str = Field(default="", max_length=200)
    #: Where the root cause lies (a deskapp.domain.RootCause value); `root_cause` holds the
    #: "5 whys" chain, one why per line.
    root_cause_category: str = Field(default="", max_length=24)
    compensation_amount: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    plan_proposed_by_id: int | None = Field(default=None, foreign_key="staff.id")
    legal_cleared: bool = False
    compensation_approved_by_id: int | None = Field(default=None, foreign_key="staff.id")
    customer_confirmed_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    satisfaction: int | None = None
    satisfaction_comment: str = Field(default="", sa_type=sa.Text)
    resume_status: str = Field(default="", max_length=24)
    departments_left: str = Field(
        default="", max_length=200
    )  # ids the case was transferred away from
    reopen_count: int = 0
    version: int = 1
    #: Where an imported case came from (a mapping's source name, e.g. "cfpb"; "" when it was
    #: registered on the desk) and its id there (or a hash of its row when the source has none).
    source: str = Field(default="", max_length=64)
    external_id: str = Field(default="", max_length=128)
    created_at: datetime = Field(sa_column=_instant(index=True))
    updated_at: datetime = Field(sa_column=_instant())
    updated_by_id: int | None = Field(default=None, foreign_key="staff.id")


class Milestone(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_milestone_open_due", "is_open", "due_at"),
        # The breach board: today's outcomes per milestone, the oldest unacknowledged case.
        sa.Index("ix_milestone_met_at", "met_at"),
        # The monthly analysis: the promises that came due in a period.
        sa.Index("ix_milestone_due_at", "due_at"),
        sa.Index("ix_milestone_kind_open_due", "kind", "is_open", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    kind: str = Field(max_length=16)
    budget_minutes: float
    calendar: str = Field(max_length=64)
    started_at: datetime = Field(sa_column=_instant())
    due_at: datetime = Field(sa_column=_instant())
    paused_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    paused_seconds: float = 0.0
    met_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    cancelled: bool = False
    #: The due time reaches past its calendar's holiday data (worked out from the weekly hours).
    provisional: bool = False
    is_open: bool = True


class CaseEvent(SQLModel, table=True):
    """Append-only and hash-chained: `hash` covers `prev_hash` and the canonical event JSON."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="staff.id")
    at: datetime = Field(sa_column=_instant())
    kind: str = Field(max_length=32)
    payload: str = Field(default="{}", sa_type=sa.Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """One row: the newest event id and hash. Writers lock it, which orders the chain (and the
    change feed) by commit on every backend."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_event_id: int = 0
    last_hash: str = Field(default="", max_length=64)


class DaySequence(SQLModel, table=True):
    """Per-day counter behind case numbers TS-YYYYMMDD-NNNN."""

    __tablename__ = "day_sequence"

    day: str = Field(primary_key=True, max_length=8)
    last: int = 0


class Note(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    author_id: int = Field(foreign_key="staff.id")
    at: datetime = Field(sa_column=_instant())
    body: str = Field(sa_type=sa.Text)
    customer_facing: bool = False


class Attachment(SQLModel, table=True):
    """Evidence on a case. A file the desk keeps (`storage` "file": in the evidence folder by
    its SHA-256; "inline": an `evidence_blob` row) is described by its hash, size, media type
    and the name it came with; a row with `storage` "" is only a reference to something kept
    elsewhere (what rows were before migration 0017)."""

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    #: Where it came from: the path on the desk host, or the upload's name.
    reference: str = Field(max_length=500)
    checksum: str = Field(default="", max_length=128)
    note: str = Field(default="", max_length=500)
    added_by_id: int = Field(foreign_key="staff.id")
    at: datetime = Field(sa_column=_instant())
    sha256: str = Field(default="", max_length=64, index=True)
    size: int = Field(default=0, sa_type=sa.BigInteger)
    media_type: str = Field(default="", max_length=100)
    file_name: str = Field(default="", max_length=255)
    storage: str = Field(default="", max_length=8)


class EvidenceBlob(SQLModel, table=True):
    """A small evidence file kept in the database, once per content (`Attachment.sha256`)."""

    __tablename__ = "evidence_blob"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_type=sa.BigInteger)
    data: bytes = Field(sa_type=sa.LargeBinary)


class IntakeKey(SQLModel, table=True):
    """The key an intake form gives its registration: trying the same registration again (the
    server's answer lost, the desk restarted with the draft) finds the case it made."""

    __tablename__ = "intake_key"

    key: str = Field(primary_key=True, max_length=64)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)


class ComplaintAssist(SQLModel, table=True):
    """Departments that assist the primary department on a case."""

    __tablename__ = "complaint_assist"

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)


class Notification(SQLModel, table=True):
    """One person's inbox entry. `event_id` names the step it tells of (who did what, when);
    `message` carries what that person wrote with it, such as a transfer's reason."""

    __table_args__ = (sa.Index("ix_notification_recipient_unread", "recipient_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="staff.id")
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id")
    event_id: int | None = Field(default=None, foreign_key="case_event.id")
    level: int = 0
    kind: str = Field(max_length=32)
    message: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = Field(sa_column=_instant())
    read_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


class Escalation(SQLModel, table=True):
    """One rung of the escalation ladder reached, and the people it reached. `key` names what
    reached it (a milestone's rung, an alert the case raised by what it is, a person's
    escalate step) and is unique: two desks sweeping at once cannot both write it, so each
    rung reaches its people exactly once."""

    __table_args__ = (sa.Index("ix_escalation_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    milestone_id: int | None = Field(default=None, foreign_key="milestone.id")
    level: int
    #: "at_risk", "breached", "still_breached", "intake", "escalated", "adopted"
    cause: str = Field(max_length=24)
    #: When the rung was due (the milestone's warning or due instant, or the step's time).
    due_at: datetime = Field(sa_column=_instant())
    at: datetime = Field(sa_column=_instant())
    event_id: int | None = Field(default=None, foreign_key="case_event.id")


class EscalationDue(SQLModel, table=True):
    """The next rung each running milestone will reach, and when: the sweep reads the rows
    whose time has come from one index, however many cases are open. A row exists while its
    milestone is open; `due_at` is NULL while it is paused or has no rung left."""

    __tablename__ = "escalation_due"

    milestone_id: int = Field(foreign_key="milestone.id", primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    #: The highest rung this milestone has reached (0: none yet).
    reached: int = 0
    due_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True, index=True))


class BoardTally(SQLModel, table=True):
    """Open and paused cases per breach-board tile (department × severity), kept by every
    use case that opens, closes, pauses, moves or reclassifies a case, in its transaction:
    counting 100,000 open cases on every refresh is what the board must not do. Department 0
    is "not yet dispatched". `deskapp.board` proves it against a recount."""

    __tablename__ = "board_tally"

    dept_id: int = Field(primary_key=True)
    severity: str = Field(primary_key=True, max_length=1)
    open: int = 0
    paused: int = 0


class BatchKey(SQLModel, table=True):
    """What a complaint has in common with others, one row per key (deskapp.batches): its
    product, its order batch, its category and keyword. Counting a key's complaints within
    the batch window is then one index range."""

    __tablename__ = "batch_key"
    __table_args__ = (sa.Index("ix_batch_key_key_at", "key", "at"),)

    key: str = Field(primary_key=True, max_length=120)
    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    at: datetime = Field(sa_column=_instant())


class BatchIssue(SQLModel, table=True):
    """Many complaints about one thing in a short window: a batch issue (批量问题). It stays
    open to later complaints while they keep coming within the window of the last one."""

    __tablename__ = "batch_issue"
    __table_args__ = (sa.Index("ix_batch_issue_key_last", "key", "last_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    opened_at: datetime = Field(sa_column=_instant())
    last_at: datetime = Field(sa_column=_instant(index=True))
    cases: int = 0
    #: The event that opened it (its notices name it).
    event_id: int | None = Field(default=None, foreign_key="case_event.id")


class BatchMember(SQLModel, table=True):
    __tablename__ = "batch_member"

    batch_id: int = Field(foreign_key="batch_issue.id", primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True, index=True)


class CasePresence(SQLModel, table=True):
    """Who has a case open on a screen right now, stamped every few seconds (deskapp.presence).
    Not an event: presence changes nothing about the case."""

    __tablename__ = "case_presence"

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", primary_key=True)
    seen_at: datetime = Field(sa_column=_instant())


class CustomerMerge(SQLModel, table=True):
    """Two customer rows found to be one (the same number written two ways) and merged into
    the older; `event_id` is the audit event that records it (set by `deskapp db upgrade`)."""

    __tablename__ = "customer_merge"
    id: int | None = Field(default=None, primary_key=True)
    kept_id: int = Field(foreign_key="customer.id")
    merged_id: int
    phone: str = Field(max_length=32)
    merged_phone: str = Field(max_length=32)
    merged_name: str = Field(max_length=100)
    merged_email: str = Field(max_length=200)
    complaints_moved: int
    event_id: int | None = Field(default=None, foreign_key="case_event.id")


class DeskInfo(SQLModel, table=True):
    """This database's identity: one row, made by the migration that added the table."""

    __tablename__ = "desk_info"
    id: int | None = Field(default=None, primary_key=True)
    desk_id: str = Field(max_length=32)
    #: The last event of the baseline that sealed the rows already there when row seals began
    #: (deskapp.seals); NULL until `deskapp db upgrade` has made it.
    seals_began_event: int | None = None


class Letter(SQLModel, table=True):
    """A written confirmation to the customer (plan, resolution, rejection) in the outbox.

    The Message-ID is made when the letter is queued, so every try sends the same message and
    the customer's mail system can tell a repeat. `attempts` is also the claim: a sender takes a
    letter by raising it with a conditional UPDATE, so two senders never both send one try.
    `next_attempt_at` is the next try's time, and while a try is under way its lease."""

    __table_args__ = (sa.Index("ix_letter_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    #: "plan", "resolution", "rejection"
    kind: str = Field(max_length=16)
    lang: str = Field(max_length=8)
    recipient: str = Field(max_length=200)
    subject: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    message_id: str = Field(max_length=255, unique=True)
    #: "queued", "sent", "failed", "written"
    status: str = Field(max_length=12)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    last_error: str = Field(default="", max_length=500)
    sent_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    #: Where a letter written for sending by other means was put (no SMTP server configured).
    path: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_column=_instant())
    created_by_id: int = Field(foreign_key="staff.id")
    #: The `letter_queued` (or `letter_written`) event, and the `letter_sent` / `letter_failed`.
    queued_event_id: int | None = Field(default=None, foreign_key="case_event.id")
    done_event_id: int | None = Field(default=None, foreign_key="case_event.id")


class CaseLibrary(SQLModel, table=True):
    """A closed case as the library (案例库) offers it to the next handler: what it was about,
    the root cause, the remedy and how the customer judged it. `body` is the searchable text
    in the form `store.library.search_text` writes it; the search index over it is the
    backend's own (SQLite FTS5 trigram, PostgreSQL pg_trgm) and is made by the migration."""

    __tablename__ = "case_library"

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    closed_at: datetime = Field(sa_column=_instant(index=True))
    category: str = Field(max_length=16)
    subject: str = Field(max_length=200)
    root_cause_category: str = Field(default="", max_length=24)
    root_cause: str = Field(default="", sa_type=sa.Text)
    remedy: str = Field(default="", sa_type=sa.Text)
    satisfaction: int | None = None
    body: str = Field(default="", sa_type=sa.Text)
