"""My inbox: the notices the use cases leave for people (a department's dispatch notice, the
first owner's step notices), read newest first and marked read by their recipient only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import col, func, select

from deskapp import clock
from deskapp.cases.actor import Actor
from deskapp.cases.base import DeskBase, retrying
from deskapp.errors import NotFound, PermissionDenied
from store.models import CaseEvent, Complaint, Notification, Staff

#: Notification kinds: the notice to a department that receives a case, and the step notice to
#: the case's first owner, who stays accountable for it until closure (首问负责).
DISPATCH_NOTICE = "dispatch_notice"
CASE_STEP = "case_step"
#: The actions that hand a case to a department.
HANDOVERS = frozenset({"dispatch", "transfer"})


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    #: The case's number and subject ("" for a notification about no case).
    number: str
    subject: str
    #: The step it tells of (a workflow action) and who took it; "" when it names no event.
    step: str
    by: str
    at: datetime
    message: str
    level: int
    read_at: datetime | None


class Inbox(DeskBase):
    def inbox(self, actor: Actor, *, unread_only: bool = False, limit: int = 50) -> list[InboxItem]:
        """My notifications, newest first."""
        query = (
            sa_select(
                Notification,
                col(Complaint.number),
                col(Complaint.subject),
                col(CaseEvent.kind),
                col(Staff.display_name),
            )
            .join(Complaint, col(Complaint.id) == col(Notification.complaint_id), isouter=True)
            .join(CaseEvent, col(CaseEvent.id) == col(Notification.event_id), isouter=True)
            .join(Staff, col(Staff.id) == col(CaseEvent.actor_id), isouter=True)
            .where(col(Notification.recipient_id) == actor.staff_id)
        )
        if unread_only:
            query = query.where(col(Notification.read_at).is_(None))
        query = query.order_by(col(Notification.id).desc()).limit(limit)
        with self._acting(actor, write=False) as (s, _):
            rows = s.execute(query).all()
        return [
            InboxItem(
                id=n.id or 0,
                kind=n.kind,
                number=number or "",
                subject=subject or "",
                step=step or "",
                by=by or "",
                at=n.created_at,
                message=n.message,
                level=n.level,
                read_at=n.read_at,
            )
            for n, number, subject, step, by in rows
        ]

    def unread_count(self, actor: Actor) -> int:
        """For the header: one read of the recipient/unread index."""
        with self._acting(actor, write=False) as (s, actor):
            return int(
                s.exec(
                    select(func.count())
                    .select_from(Notification)
                    .where(Notification.recipient_id == actor.staff_id)
                    .where(col(Notification.read_at).is_(None))
                ).one()
            )

    def mark_read(self, actor: Actor, notification_ids: Iterable[int]) -> int:
        """Mark my notifications read; returns how many were unread. Naming anyone else's
        notification refuses the whole request and marks nothing."""
        # The ids are read once, here: a retried transaction must see them again.
        return self._mark_read(actor, sorted(set(notification_ids)))

    @retrying
    def _mark_read(self, actor: Actor, ids: list[int]) -> int:
        if not ids:
            return 0
        now = clock.now()
        with self._acting(actor) as (s, actor):
            owners = dict(
                s.exec(
                    select(Notification.id, Notification.recipient_id).where(
                        col(Notification.id).in_(ids)
                    )
                ).all()
            )
            missing = [i for i in ids if i not in owners]
            if missing:
                raise NotFound(f"no notification {', '.join(map(str, missing))}")
            if any(owner != actor.staff_id for owner in owners.values()):
                raise PermissionDenied("only the recipient may mark a notification read")
            result = s.connection().execute(
                update(Notification)
                .where(col(Notification.id).in_(ids))
                .where(col(Notification.read_at).is_(None))
                .values(read_at=now)
            )
            return int(result.rowcount)
