"""Telling a person when one of their cases needs them (issue: live queue, notifications).

A case of mine (registered by me or assigned to me) that turns at risk or breached, or a case
newly assigned to me, raises one alert. The watch compares each poll with the last, so an alert
fires once per change, whichever process or host made it, and whether it came from an event or
from time passing. The first poll only takes stock: signing in does not replay old news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from deskapp.countdown import head_state
from store.engine import read_session
from store.models import Complaint

_RANK = {"on_track": 0, "paused": 0, "at_risk": 1, "breached": 2}


@dataclass(frozen=True)
class Alert:
    kind: str  # "at_risk", "breached" or "assigned"
    complaint_id: int
    number: str
    subject: str


class MyCasesWatch:
    """One person's open cases between polls; call `poll` from one worker."""

    def __init__(self, engine: Engine, staff_id: int) -> None:
        self._engine = engine
        self._me = staff_id
        self._last: dict[int, tuple[str, bool]] | None = None

    def poll(self, now: datetime) -> list[Alert]:
        me = self._me
        with read_session(self._engine) as s:
            rows = s.execute(
                select(
                    col(Complaint.id),
                    col(Complaint.number),
                    col(Complaint.subject),
                    col(Complaint.status),
                    col(Complaint.next_due_at),
                    col(Complaint.next_warn_at),
                    col(Complaint.assignee_id),
                    col(Complaint.first_owner_id),
                ).where(
                    col(Complaint.is_open),
                    or_(col(Complaint.first_owner_id) == me, col(Complaint.assignee_id) == me),
                )
            ).all()
        current: dict[int, tuple[str, bool]] = {}
        alerts: list[Alert] = []
        for ident, number, subject, status, due, warn, assignee, owner in rows:
            assert ident is not None
            state = head_state(status, due, warn, now)
            assigned = assignee == me and owner != me
            current[ident] = (state, assigned)
            if self._last is None:
                continue
            before_state, was_assigned = self._last.get(ident, ("on_track", False))
            if assigned and not was_assigned:
                alerts.append(Alert("assigned", ident, number, subject))
            if _RANK[state] > _RANK[before_state] and state in ("at_risk", "breached"):
                alerts.append(Alert(state, ident, number, subject))
        self._last = current
        return alerts
