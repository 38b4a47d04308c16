"""Counts for the header: my open cases, and how many of them are at risk or breached.

"Mine" means the cases I own as first owner or that are assigned to me. A case is judged by its
head promise (the next milestone to break), exactly as the queue and the breach board show it,
so "3 at risk" in the header is the 3 rows the queue shows as at risk. The counts are one read
on the queue's columns: loading every milestone of my cases took 1.5 s for a person owning
100,000 cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from store.engine import read_session
from store.models import CaseEvent
from store.queue import QueueFilter, state_counts


@dataclass(frozen=True)
class MyCounts:
    open: int
    at_risk: int
    breached: int


def my_counts(engine: Engine, staff_id: int, now: datetime) -> MyCounts:
    with read_session(engine) as s:
        total, at_risk, breached = state_counts(
            s, QueueFilter(owner_or_assignee_id=staff_id), now=now
        )
    return MyCounts(open=total, at_risk=at_risk, breached=breached)


DEMO_EVENT = "demo_generated"


def is_demo(engine: Engine) -> bool:
    """A database filled by `deskapp demo` (it records that it did): the sign-in screen then
    shows the demo accounts."""
    with read_session(engine) as s:
        return (
            s.exec(select(CaseEvent.id).where(CaseEvent.kind == DEMO_EVENT).limit(1)).first()
            is not None
        )
