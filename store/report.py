"""The monthly and quarterly analysis's reads: grouped counts over one period, each a range of
an index on the period's instants (cases by `created_at`, promises by `met_at` and `due_at`,
escalations by their id order), so a month costs what the month holds, not what the desk does.

`deskapp.report` assembles them and defines each figure; every function here takes the period
as [start, end) in UTC and an optional primary department.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from store.models import CaseEvent, Complaint, Escalation, Milestone


def _received(start: datetime, end: datetime, dept: int | None) -> list[ColumnElement[bool]]:
    where = [col(Complaint.created_at) >= start, col(Complaint.created_at) < end]
    if dept is not None:
        where.append(col(Complaint.primary_dept_id) == dept)
    return where


def volume(
    s: Session, start: datetime, end: datetime, dept: int | None, column: str
) -> dict[str, int]:
    """Cases received in the period per value of one complaint column."""
    field = getattr(Complaint, column)
    stmt = select(col(field), func.count()).where(*_received(start, end, dept)).group_by(col(field))
    return {str(k if k is not None else ""): int(n) for k, n in s.execute(stmt).all()}


def received_rows(s: Session, start: datetime, end: datetime, dept: int | None) -> Sequence[Any]:
    """(id, customer, category, flags, status, created) of the cases received in the period:
    the repeat and resolution figures work on these."""
    stmt = select(
        col(Complaint.id),
        col(Complaint.customer_id),
        col(Complaint.category),
        col(Complaint.flags),
        col(Complaint.status),
        col(Complaint.created_at),
    ).where(*_received(start, end, dept))
    return s.execute(stmt).all()


def earlier_same_category(
    s: Session, pairs: Sequence[tuple[int, str, datetime]], since: datetime
) -> set[int]:
    """Of (customer, category, received at), the indexes whose customer complained about the
    same category before, since `since`: the same issue again (二次投诉)."""
    found: set[int] = set()
    customers = sorted({p[0] for p in pairs})
    earlier: dict[tuple[int, str], list[datetime]] = {}
    for i in range(0, len(customers), 500):
        chunk = customers[i : i + 500]
        rows = s.execute(
            select(
                col(Complaint.customer_id), col(Complaint.category), col(Complaint.created_at)
            ).where(col(Complaint.customer_id).in_(chunk), col(Complaint.created_at) >= since)
        ).all()
        for cust, cat, at in rows:
            earlier.setdefault((int(cust), str(cat)), []).append(at)
    for n, (cust, cat, at) in enumerate(pairs):
        if any(other < at for other in earlier.get((cust, cat), ())):
            found.add(n)
    return found


def promises(
    s: Session, start: datetime, end: datetime, dept: int | None
) -> list[tuple[str, int | None, int | None, bool, datetime]]:
    """(kind, department, assignee, kept, decided at) of every promise decided in the period:
    met in it (kept when met by its due instant), or due in it and not met by its end
    (broken, at its due instant). A cancelled promise was never decided; one paused at the
    end has no due instant yet."""
    who = (col(Milestone.kind), col(Complaint.primary_dept_id), col(Complaint.assignee_id))
    met = (
        select(*who, col(Milestone.met_at) <= col(Milestone.due_at), col(Milestone.met_at))
        .join(Complaint, col(Complaint.id) == col(Milestone.complaint_id))
        .where(col(Milestone.met_at) >= start, col(Milestone.met_at) < end)
    )
    missed = (
        select(*who, col(Milestone.due_at))
        .join(Complaint, col(Complaint.id) == col(Milestone.complaint_id))
        .where(
            col(Milestone.due_at) >= start,
            col(Milestone.due_at) < end,
            col(Milestone.cancelled).is_(False),
            or_(col(Milestone.met_at).is_(None), col(Milestone.met_at) >= end),
            or_(col(Milestone.paused_at).is_(None), col(Milestone.paused_at) >= end),
        )
    )
    if dept is not None:
        met = met.where(col(Complaint.primary_dept_id) == dept)
        missed = missed.where(col(Complaint.primary_dept_id) == dept)
    rows = [(str(k), d, a, bool(ok), when) for k, d, a, ok, when in s.execute(met).all()]
    rows += [(str(k), d, a, False, when) for k, d, a, when in s.execute(missed).all()]
    return rows


def resolved(s: Session, start: datetime, end: datetime, dept: int | None) -> Sequence[Any]:
    """The cases whose resolution was met in the period: (id, number, department, assignee,
    received, resolved, root cause category, remedy kinds, compensation approved, amount,
    satisfaction, revisited by the end)."""
    later = aliased(Milestone)
    revisit = (
        select(func.count())
        .select_from(later)
        .where(
            col(later.complaint_id) == col(Complaint.id),
            col(later.kind) == "revisit",
            col(later.met_at) < end,
        )
        .correlate(Complaint)
        .scalar_subquery()
    )
    stmt = (
        select(
            col(Complaint.id),
            col(Complaint.number),
            col(Complaint.primary_dept_id),
            col(Complaint.assignee_id),
            col(Complaint.created_at),
            col(Milestone.met_at),
            col(Complaint.root_cause_category),
            col(Complaint.remedy_types),
            col(Complaint.compensation_approved_by_id).is_not(None),
            col(Complaint.compensation_amount),
            col(Complaint.satisfaction),
            revisit,
        )
        .select_from(Milestone)
        .join(Complaint, col(Complaint.id) == col(Milestone.complaint_id))
        .where(
            col(Milestone.kind) == "resolve",
            col(Milestone.met_at) >= start,
            col(Milestone.met_at) < end,
        )
    )
    if dept is not None:
        stmt = stmt.where(col(Complaint.primary_dept_id) == dept)
    return s.execute(stmt).all()


def resolved_by(s: Session, ids: Sequence[int], end: datetime) -> set[int]:
    """Of these cases, those whose resolution was met before `end`."""
    done: set[int] = set()
    for i in range(0, len(ids), 500):
        chunk = list(ids[i : i + 500])
        rows = s.execute(
            select(col(Milestone.complaint_id)).where(
                col(Milestone.complaint_id).in_(chunk),
                col(Milestone.kind) == "resolve",
                col(Milestone.met_at) < end,
            )
        ).all()
        done |= {int(r[0]) for r in rows}
    return done


def revisits(s: Session, start: datetime, end: datetime, dept: int | None) -> Sequence[Any]:
    """(number, department, assignee, satisfaction, comment) of the revisits made in the
    period."""
    stmt = (
        select(
            col(Complaint.number),
            col(Complaint.primary_dept_id),
            col(Complaint.assignee_id),
            col(Complaint.satisfaction),
            col(Complaint.satisfaction_comment),
        )
        .select_from(Milestone)
        .join(Complaint, col(Complaint.id) == col(Milestone.complaint_id))
        .where(
            col(Milestone.kind) == "revisit",
            col(Milestone.met_at) >= start,
            col(Milestone.met_at) < end,
            col(Complaint.satisfaction).is_not(None),
        )
    )
    if dept is not None:
        stmt = stmt.where(col(Complaint.primary_dept_id) == dept)
    return s.execute(stmt).all()


def event_counts(
    s: Session, start: datetime, end: datetime, dept: int | None, kinds: Sequence[str]
) -> dict[str, int]:
    """How many events of these kinds (reopen, close) the period holds."""
    stmt = (
        select(col(CaseEvent.kind), func.count())
        .join(Complaint, col(Complaint.id) == col(CaseEvent.complaint_id))
        .where(
            col(CaseEvent.kind).in_(list(kinds)),
            col(CaseEvent.at) >= start,
            col(CaseEvent.at) < end,
        )
        .group_by(col(CaseEvent.kind))
    )
    if dept is not None:
        stmt = stmt.where(col(Complaint.primary_dept_id) == dept)
    return {str(k): int(n) for k, n in s.execute(stmt).all()}


def escalations(
    s: Session, start: datetime, end: datetime, dept: int | None
) -> dict[tuple[int | None, int], int]:
    """Rungs reached in the period per (department, level)."""
    stmt = (
        select(col(Complaint.primary_dept_id), col(Escalation.level), func.count())
        .join(Complaint, col(Complaint.id) == col(Escalation.complaint_id))
        .where(col(Escalation.at) >= start, col(Escalation.at) < end, col(Escalation.level) >= 1)
        .group_by(col(Complaint.primary_dept_id), col(Escalation.level))
    )
    if dept is not None:
        stmt = stmt.where(col(Complaint.primary_dept_id) == dept)
    return {(d, int(level)): int(n) for d, level, n in s.execute(stmt).all()}


def plain_count(s: Session, start: datetime, end: datetime) -> int:
    """The benchmark's floor: a count of the month's cases."""
    stmt = select(func.count()).select_from(Complaint).where(*_received(start, end, None))
    return int(s.execute(stmt).scalar_one())
