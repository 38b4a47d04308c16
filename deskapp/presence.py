"""Who else has a case open right now (issue: collisions on the case screen).

Optimistic locking already refuses the second of two conflicting saves; this tells both people
beforehand, so they can talk instead of racing. Each open case screen stamps a row every few
seconds and deletes it on leaving; a screen that died without leaving (a dropped SSH line, a
killed process) simply stops stamping and drops out after `STALE`. Presence is not a change to
the case, so it writes no event and does not wake other desks' queues.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from store.engine import read_session, write_session
from store.models import CasePresence, Staff

#: How often an open case screen says it is still there, and when silence means it has gone.
STAMP_EVERY = 5.0
STALE = timedelta(seconds=15)


def stamp(engine: Engine, complaint_id: int, staff_id: int, now: datetime) -> None:
    with write_session(engine) as s:
        found = s.execute(
            update(CasePresence)
            .where(
                col(CasePresence.complaint_id) == complaint_id,
                col(CasePresence.staff_id) == staff_id,
            )
            .values(seen_at=now)
        )
        if found.rowcount:  # type: ignore[attr-defined]
            return
    try:
        with write_session(engine) as s:
            s.add(CasePresence(complaint_id=complaint_id, staff_id=staff_id, seen_at=now))
    except IntegrityError:  # the same person's other terminal stamped first: that will do
        pass


def leave(engine: Engine, complaint_id: int, staff_id: int) -> None:
    with write_session(engine) as s:
        s.execute(
            delete(CasePresence).where(
                col(CasePresence.complaint_id) == complaint_id,
                col(CasePresence.staff_id) == staff_id,
            )
        )


def others(engine: Engine, complaint_id: int, staff_id: int, now: datetime) -> list[str]:
    """The names of the other people with this case open, alphabetically."""
    with read_session(engine) as s:
        names = s.exec(
            select(Staff.display_name)
            .join(CasePresence, col(CasePresence.staff_id) == col(Staff.id))
            .where(
                col(CasePresence.complaint_id) == complaint_id,
                col(CasePresence.staff_id) != staff_id,
                col(CasePresence.seen_at) > now - STALE,
            )
        ).all()
    return sorted(names)
