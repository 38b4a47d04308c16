"""Counts for the header: my open cases, and how many of them are at risk or breached.

"Mine" means the cases I own as first owner or that are assigned to me. A case counts once, by
its worst running milestone; paused milestones count for neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, or_, select

from deskapp import sla
from deskapp.domain import MilestoneState
from store.engine import read_session
from store.models import CaseEvent, Complaint, Milestone


@dataclass(frozen=True)
class MyCounts:
    open: int
    at_risk: int
    breached: int


def my_counts(
    engine: Engine,
    staff_id: int,
    now: datetime,
    calendars: sla.CalendarSet,
    warn_fraction: float,
) -> MyCounts:
    mine = or_(col(Complaint.first_owner_id) == staff_id, col(Complaint.assignee_id) == staff_id)
    with read_session(engine) as s:
        case_ids = set(s.exec(select(Complaint.id).where(col(Complaint.is_open), mine)).all())
        rows = s.exec(
            select(Milestone)
            .join(Complaint, col(Complaint.id) == col(Milestone.complaint_id))
            .where(col(Complaint.is_open), mine, col(Milestone.is_open))
        ).all()
    worst: dict[int, MilestoneState] = {}
    for row in rows:
        state = sla.standing(row, now, calendars, warn_fraction).state
        if state is MilestoneState.BREACHED or (
            state is MilestoneState.AT_RISK and worst.get(row.complaint_id) is None
        ):
            worst[row.complaint_id] = state
    states = list(worst.values())
    return MyCounts(
        open=len(case_ids),
        at_risk=states.count(MilestoneState.AT_RISK),
        breached=states.count(MilestoneState.BREACHED),
    )


DEMO_EVENT = "demo_generated"


def is_demo(engine: Engine) -> bool:
    """A database filled by `deskapp demo` (it records that it did): the sign-in screen then
    shows the demo accounts."""
    with read_session(engine) as s:
        return (
            s.exec(select(CaseEvent.id).where(CaseEvent.kind == DEMO_EVENT).limit(1)).first()
            is not None
        )
