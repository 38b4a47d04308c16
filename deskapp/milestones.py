"""Keeping a case's milestone rows in step with its workflow.

The timing rules themselves (budgets, calendars, pause arithmetic) are in `deskapp.sla`; this
module applies them to the stored rows inside a use case's transaction and keeps the case's
`next_due_at` (the queue's sort key) equal to its earliest running promise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from sqlmodel import Session, col, select

from deskapp import audit, sla
from deskapp.domain import MilestoneKind, Severity
from store.models import Complaint, Milestone


class Row(Protocol):
    """A milestone the rules below may change: a stored `Milestone`, or a row a bulk writer
    (the demo) keeps in memory until it inserts it."""

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


def load(session: Session, complaint_id: int) -> list[Milestone]:
    return list(
        session.exec(
            select(Milestone)
            .where(Milestone.complaint_id == complaint_id)
            .order_by(col(Milestone.id))
        ).all()
    )


def start(
    session: Session,
    complaint: Complaint,
    kinds: Iterable[MilestoneKind],
    now: datetime,
    policy: sla.SlaPolicy,
    calendars: sla.CalendarSet,
    *,
    vip: bool,
) -> list[Milestone]:
    """Start fresh milestones; an open one of the same kind is superseded (cancelled)."""
    assert complaint.id is not None
    existing = load(session, complaint.id)
    started = []
    for kind in kinds:
        for old in existing:
            if old.kind == kind.value and old.is_open:
                old.cancelled, old.is_open = True, False
                session.add(old)
        planned = sla.plan(kind, Severity(complaint.severity), vip, now, policy, calendars)
        row = Milestone(
            complaint_id=complaint.id,
            kind=kind.value,
            budget_minutes=planned.budget_minutes,
            calendar=planned.calendar,
            started_at=planned.started_at,
            due_at=planned.due_at,
            provisional=calendars.get(planned.calendar).is_provisional(planned.due_at),
        )
        session.add(row)
        started.append(row)
    return started


def meet(rows: Sequence[Row], kinds: Iterable[MilestoneKind], now: datetime) -> list[str]:
    """Mark the open milestones of these kinds met; returns the kinds actually met."""
    wanted = {k.value for k in kinds}
    met = []
    for row in rows:
        if row.kind in wanted and row.is_open:
            row.met_at, row.is_open, row.paused_at = now, False, None
            met.append(row.kind)
    return met


def pause_all(rows: Sequence[Row], now: datetime) -> None:
    for row in rows:
        if row.is_open and row.paused_at is None:
            row.paused_at = sla.pause(row, now)


def resume_all(rows: Sequence[Row], now: datetime, calendars: sla.CalendarSet) -> float:
    """Resume paused milestones; returns the most working seconds any of them was paused."""
    longest = 0.0
    for row in rows:
        if row.is_open and row.paused_at is not None:
            new_due, added = sla.resume(row, now, calendars)
            row.due_at = new_due
            row.provisional = calendars.get(row.calendar).is_provisional(new_due)
            row.paused_seconds += added
            row.paused_at = None
            longest = max(longest, added)
    return longest


#: The round-the-clock calendar: a deadline a person set is counted in real time.
ROUND_THE_CLOCK = "24x7"


def set_deadline(
    session: Session,
    complaint: Complaint,
    kind: MilestoneKind,
    now: datetime,
    due: datetime | None,
) -> list[Milestone]:
    """A milestone whose due time a person set (a plan's rectification deadline), counted in
    real time from `now`; an open one of the same kind is superseded, and `due` None only
    withdraws it (a new plan that promises no change)."""
    assert complaint.id is not None
    for old in load(session, complaint.id):
        if old.kind == kind.value and old.is_open:
            old.cancelled, old.is_open = True, False
            session.add(old)
    if due is None:
        return []
    row = Milestone(
        complaint_id=complaint.id,
        kind=kind.value,
        budget_minutes=max(0.0, (due - now).total_seconds() / 60),
        calendar=ROUND_THE_CLOCK,
        started_at=now,
        due_at=due,
    )
    session.add(row)
    return [row]


def cancel_all(rows: Sequence[Row]) -> None:
    for row in rows:
        if row.is_open:
            row.cancelled, row.is_open = True, False


_M = TypeVar("_M", bound=sla.MilestoneLike)


def head(rows: Iterable[_M]) -> _M | None:
    """The promise the queue sorts a case by: the earliest due among running (open, unpaused)
    milestones; a case whose every promise is paused sorts by its earliest paused one."""
    opened = [r for r in rows if r.is_open]
    running = [r for r in opened if r.paused_at is None]
    pool = running or opened
    return min(pool, key=lambda r: r.due_at) if pool else None


def next_due(rows: Iterable[Milestone]) -> datetime | None:
    found = head(rows)
    return found.due_at if found is not None else None


@dataclass(frozen=True)
class Head:
    """The complaint columns that describe its head promise (`next_*`)."""

    due_at: datetime | None
    kind: str
    calendar: str
    warn_at: datetime | None


NO_HEAD = Head(None, "", "", None)


def head_columns(
    rows: Iterable[sla.MilestoneLike], warn_fraction: float, calendars: sla.CalendarSet
) -> Head:
    m = head(rows)
    if m is None:
        return NO_HEAD
    return Head(m.due_at, m.kind, m.calendar, sla.warn_at(m, warn_fraction, calendars))


def set_head(
    complaint: Complaint,
    rows: Iterable[Milestone],
    policy: sla.SlaPolicy,
    calendars: sla.CalendarSet,
) -> None:
    """Keep the queue's columns equal to the case's head promise (none once it is closed)."""
    h = head_columns(rows, policy.warn_fraction, calendars) if complaint.is_open else NO_HEAD
    complaint.next_due_at, complaint.next_kind = h.due_at, h.kind
    complaint.next_calendar, complaint.next_warn_at = h.calendar, h.warn_at


def backfill(session: Session, policy: sla.SlaPolicy, calendars: sla.CalendarSet) -> int:
    """Fill `next_warn_at` for open cases that predate the column (run after migrating)."""
    missing = session.exec(
        select(Complaint).where(
            col(Complaint.is_open),
            col(Complaint.next_due_at).is_not(None),
            col(Complaint.next_warn_at).is_(None),
        )
    ).all()
    for complaint in missing:
        assert complaint.id is not None
        set_head(complaint, load(session, complaint.id), policy, calendars)
        session.add(complaint)
    return len(missing)


def settle_provisional(session: Session, policy: sla.SlaPolicy, calendars: sla.CalendarSet) -> int:
    """Work out again the open due times that were provisional (past a calendar's holiday
    data when they were given); returns how many moved. Run at start-up and after migrating:
    once the year's holidays are known, a promise follows them. A due time is its start plus
    its budget plus the working time it was paused, all in its calendar, so it can always be
    recomputed from the row; one still past the data stays provisional."""
    rows = session.exec(
        select(Milestone).where(col(Milestone.is_open), col(Milestone.provisional))
    ).all()
    moved: dict[int, list[dict[str, object]]] = {}
    for row in rows:
        calendar = calendars.get(row.calendar)
        due = calendar.due_seconds(row.started_at, row.budget_minutes * 60 + row.paused_seconds)
        due = due.astimezone(UTC)
        still = calendar.is_provisional(due)
        if due != row.due_at or still != row.provisional:
            change = {"kind": row.kind, "due_at": [row.due_at, due], "provisional": still}
            moved.setdefault(row.complaint_id, []).append(change)
            row.due_at, row.provisional = due, still
            session.add(row)
    for complaint_id, changes in moved.items():
        complaint = session.get(Complaint, complaint_id)
        if complaint is not None:
            set_head(complaint, load(session, complaint_id), policy, calendars)
            session.add(complaint)
            # A promise changed: the case's record says when and why, like any other change.
            audit.append(
                session,
                kind="due_recomputed",
                actor_id=None,
                complaint_id=complaint_id,
                payload={"milestones": changes, "why": "the calendar now knows the holidays"},
            )
    return len(moved)
