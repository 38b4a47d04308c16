"""Keeping a case's milestone rows in step with its workflow.

The timing rules themselves (budgets, calendars, pause arithmetic) are in `deskapp.sla`; this
module applies them to the stored rows inside a use case's transaction and keeps the case's
`next_due_at` (the queue's sort key) equal to its earliest running promise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from deskapp import sla
from deskapp.domain import MilestoneKind, Severity
from store.models import Complaint, Milestone


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
        )
        session.add(row)
        started.append(row)
    return started


def meet(rows: Sequence[Milestone], kinds: Iterable[MilestoneKind], now: datetime) -> list[str]:
    """Mark the open milestones of these kinds met; returns the kinds actually met."""
    wanted = {k.value for k in kinds}
    met = []
    for row in rows:
        if row.kind in wanted and row.is_open:
            row.met_at, row.is_open, row.paused_at = now, False, None
            met.append(row.kind)
    return met


def pause_all(rows: Sequence[Milestone], now: datetime) -> None:
    for row in rows:
        if row.is_open and row.paused_at is None:
            row.paused_at = sla.pause(row, now)


def resume_all(rows: Sequence[Milestone], now: datetime, calendars: sla.CalendarSet) -> float:
    """Resume paused milestones; returns the most working seconds any of them was paused."""
    longest = 0.0
    for row in rows:
        if row.is_open and row.paused_at is not None:
            new_due, added = sla.resume(row, now, calendars)
            row.due_at = new_due
            row.paused_seconds += added
            row.paused_at = None
            longest = max(longest, added)
    return longest


def cancel_all(rows: Sequence[Milestone]) -> None:
    for row in rows:
        if row.is_open:
            row.cancelled, row.is_open = True, False


def next_due(rows: Iterable[Milestone]) -> datetime | None:
    """The queue's sort key: the earliest due time among running (open, unpaused) milestones;
    a case whose every promise is paused sorts by its earliest paused one."""
    running = [r.due_at for r in rows if r.is_open and r.paused_at is None]
    if running:
        return min(running)
    paused = [r.due_at for r in rows if r.is_open]
    return min(paused) if paused else None
