"""The breach board's reads, each one statement that stays cheap at a million cases.

A tile is a department × severity (department 0: not yet dispatched). Its open and paused
cases come from `board_tally`, kept by the use cases in the transaction of each change (`bump`),
because counting 100,000 open cases on every refresh is what the board must not do. Its cases at
risk and breached depend on the time, so they are counted when asked, from the covering indexes
`ix_complaint_board_warn` and `ix_complaint_board_due`: only the cases past their warning or due
instant are read, and only from the index. A case's warning instant never comes after its due
instant, so "at risk" is "past the warning" less "past the due time".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from store.models import BatchIssue, BoardTally, Complaint, Escalation, Milestone
from store.queue import PAUSED_STATUS

#: (department id, 0 for none; severity)
Tile = tuple[int, str]


@dataclass(frozen=True)
class Counts:
    open: int = 0
    paused: int = 0
    at_risk: int = 0
    breached: int = 0


def _dept() -> ColumnElement[int]:
    return func.coalesce(col(Complaint.primary_dept_id), literal(0))


def bump(session: Session, changes: Mapping[Tile, tuple[int, int]]) -> None:
    """Add (open, paused) to each tile, inside the caller's transaction."""
    table = BoardTally.__table__  # type: ignore[attr-defined]
    insert_into = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    for (dept, severity), (opened, paused) in sorted(changes.items()):
        if not opened and not paused:
            continue
        stmt = insert_into(table).values(
            dept_id=dept, severity=severity, open=opened, paused=paused
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["dept_id", "severity"],
            set_={"open": table.c.open + opened, "paused": table.c.paused + paused},
        )
        session.execute(stmt)


def tally(session: Session) -> dict[Tile, tuple[int, int]]:
    rows = session.execute(select(BoardTally)).scalars().all()
    return {(t.dept_id, t.severity): (t.open, t.paused) for t in rows if t.open or t.paused}


def recount(session: Session, first_id: int | None = None) -> dict[Tile, tuple[int, int]]:
    """(open, paused) per tile counted from the cases themselves (from `first_id` on): the
    proof that the tally has not drifted, and the delta of a bulk write."""
    opened = func.sum(case((col(Complaint.is_open), 1), else_=0))
    paused = func.sum(
        case((col(Complaint.is_open) & (col(Complaint.status) == PAUSED_STATUS), 1), else_=0)
    )
    dept = _dept()
    stmt = select(dept, col(Complaint.severity), opened, paused).group_by(
        dept, col(Complaint.severity)
    )
    if first_id is not None:
        stmt = stmt.where(col(Complaint.id) >= first_id)
    return {
        (int(d), str(sev)): (int(o or 0), int(p or 0))
        for d, sev, o, p in session.execute(stmt).all()
        if o or p
    }


def rebuild(session: Session) -> None:
    """Count every tile again (after writes that went round the use cases)."""
    session.execute(delete(BoardTally))
    bump(session, recount(session))


def risk(session: Session, now: datetime) -> dict[Tile, tuple[int, int]]:
    """(at risk, breached) per tile at `now`, read from the covering indexes."""
    found: dict[Tile, list[int]] = {}
    dept = _dept()
    for i, instant in enumerate((col(Complaint.next_warn_at), col(Complaint.next_due_at))):
        stmt = (
            select(dept, col(Complaint.severity), func.count())
            .where(col(Complaint.is_open), instant <= now, col(Complaint.status) != PAUSED_STATUS)
            .group_by(dept, col(Complaint.severity))
        )
        for d, sev, n in session.execute(stmt).all():
            found.setdefault((int(d), str(sev)), [0, 0])[i] = int(n)
    return {tile: (warned - late, late) for tile, (warned, late) in found.items()}


def outcomes(session: Session, since: datetime, now: datetime) -> dict[str, tuple[int, int]]:
    """(on time, late) per milestone kind for the promises decided between `since` and `now`:
    those met then (on time when met by their due instant), and those that came due then and
    are still open and running (late)."""
    on_time = func.sum(case((col(Milestone.met_at) <= col(Milestone.due_at), 1), else_=0))
    met = (
        select(col(Milestone.kind), on_time, func.count())
        .where(col(Milestone.met_at) >= since, col(Milestone.met_at) <= now)
        .group_by(col(Milestone.kind))
    )
    result = {
        str(k): (int(good or 0), int(n) - int(good or 0))
        for k, good, n in session.execute(met).all()
    }
    missed = (
        select(col(Milestone.kind), func.count())
        .where(
            col(Milestone.is_open),
            col(Milestone.due_at) >= since,
            col(Milestone.due_at) <= now,
            col(Milestone.paused_at).is_(None),
        )
        .group_by(col(Milestone.kind))
    )
    for kind, n in session.execute(missed).all():
        good, late = result.get(str(kind), (0, 0))
        result[str(kind)] = (good, late + int(n))
    return result


def oldest_unacknowledged(session: Session) -> tuple[int, datetime] | None:
    """(case id, registered at) of the open case that has waited longest for its apology."""
    row = session.execute(
        select(col(Milestone.complaint_id), col(Milestone.started_at))
        .where(col(Milestone.kind) == "acknowledge", col(Milestone.is_open))
        .order_by(col(Milestone.due_at))
        .limit(1)
    ).first()
    return (int(row[0]), row[1]) if row is not None else None


def waiting_escalations(session: Session, look_back: int = 500) -> list[tuple[int, int, datetime]]:
    """(case id, level, reached at) of the manager and executive rungs, among the last
    `look_back` reached, whose case is open and has had no step taken since: the escalations
    waiting for a decision, newest first, one per case. Read newest-first by key, then their
    cases by id: joining the other way round walked the open cases."""
    rungs = session.execute(
        select(col(Escalation.complaint_id), col(Escalation.level), col(Escalation.at))
        .where(col(Escalation.level) >= 2)
        .order_by(col(Escalation.id).desc())
        .limit(look_back)
    ).all()
    if not rungs:
        return []
    ids = sorted({int(r[0]) for r in rungs})
    last_step = dict(
        session.execute(
            select(col(Complaint.id), col(Complaint.updated_at)).where(
                col(Complaint.id).in_(ids), col(Complaint.is_open)
            )
        ).all()
    )
    seen: dict[int, tuple[int, int, datetime]] = {}
    for cid, level, at in rungs:
        stepped = last_step.get(int(cid))
        if stepped is not None and stepped <= at:
            seen.setdefault(int(cid), (int(cid), int(level), at))
    return list(seen.values())


def open_batches(
    session: Session, since: datetime, limit: int = 20
) -> list[tuple[str, int, datetime]]:
    """(key, cases, last complaint at) of the batch issues still taking complaints (one came
    since `since`), most recent first."""
    rows = session.execute(
        select(col(BatchIssue.key), col(BatchIssue.cases), col(BatchIssue.last_at))
        .where(col(BatchIssue.last_at) >= since)
        .order_by(col(BatchIssue.last_at).desc())
        .limit(limit)
    ).all()
    return [(str(k), int(n), at) for k, n, at in rows]
