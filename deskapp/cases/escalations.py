"""The escalation ladder at work: reaching people when a milestone's rung comes due, when a
case is what it is (severity A, a legal flag), and when a person escalates it.

The rules (when, which level, which key) are `deskapp.ladder`'s. This module writes them: every
rung reached is an `escalation` row under its unique key, a `escalation` event in the chain,
and a notification to each person it reaches, all in one transaction. Two desks (or a desk and
`deskapp escalate --once` under cron) that sweep at once cannot both write a key, and each holds
the case's row while it climbs, so a rung reaches its people exactly once.

What keeps the sweep cheap is `escalation_due`: each running milestone's next rung and when it
comes, kept in step by every use case that moves a milestone (`follow`). The sweep reads only
the rows whose time has come, from one index, however many cases are open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from deskapp import audit, clock, ladder, sla
from deskapp import milestones as ms
from deskapp.cases.base import DeskBase, retrying
from deskapp.domain import Role, Severity, parse_flags, parse_roles
from store.engine import read_session, write_session
from store.models import (
    CaseEvent,
    Complaint,
    Department,
    Escalation,
    EscalationDue,
    Milestone,
    Notification,
    Staff,
)

log = logging.getLogger("deskapp.escalations")

#: The event every rung reached writes (a person's escalate step writes its own `escalate`).
EVENT = "escalation"
#: Notification kinds, one per audience: the inbox says which.
AT_RISK_NOTICE = "at_risk_notice"
BREACH_NOTICE = "breach_notice"
EXECUTIVE_NOTICE = "executive_notice"
LEGAL_NOTICE = "legal_notice"
MANAGER_NOTICE = "manager_notice"  # a serious case reached the department (not a breach)
ESCALATED_NOTICE = "escalated_notice"  # a person escalated the case, with a reason
APPROVAL_REQUEST = "approval_request"
ASSIST_NOTICE = "assist_notice"
NOTICE_OF_LEVEL = {
    ladder.WARNED: AT_RISK_NOTICE,
    ladder.MANAGER: BREACH_NOTICE,
    ladder.EXECUTIVE: EXECUTIVE_NOTICE,
}
#: Cases climbed per read of what is due: a sweep after a long outage works through them all.
SWEEP_BATCH = 200


@dataclass(frozen=True)
class Reached:
    """One rung reached: what a sweep or a step reports."""

    number: str
    level: int
    cause: str
    milestone: str  # the milestone's kind; "" for a case-level alert or a person's step
    notified: tuple[int, ...]


@dataclass
class Sweep:
    """What one sweep did."""

    reached: list[Reached] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # ids of the cases whose climb failed


# -- who is reached ------------------------------------------------------------------------------


class People:
    """The active staff and the departments' heads, read once per transaction, and only when
    a step has somebody to tell (most workflow steps have nobody beyond the first owner)."""

    def __init__(self, s: Session) -> None:
        self._s = s

    @cached_property
    def staff(self) -> dict[int, Staff]:
        rows = self._s.exec(select(Staff).where(col(Staff.active))).all()
        return {int(st.id or 0): st for st in rows}

    @cached_property
    def roles(self) -> dict[int, frozenset[Role]]:
        return {sid: parse_roles(st.roles) for sid, st in self.staff.items()}

    @cached_property
    def depts(self) -> dict[int, Department]:
        return {int(d.id or 0): d for d in self._s.exec(select(Department)).all()}

    def with_role(self, role: Role) -> list[int]:
        return sorted(sid for sid, roles in self.roles.items() if role in roles)

    def active(self, staff_id: int | None) -> list[int]:
        return [staff_id] if staff_id is not None and staff_id in self.staff else []

    def manager_of(self, dept_id: int | None) -> list[int]:
        dept = self.depts.get(dept_id) if dept_id is not None else None
        return self.active(dept.manager_id) if dept is not None else []

    def contact_of(self, dept_id: int) -> list[int]:
        """A department's notices go to its liaison, else its manager."""
        dept = self.depts.get(dept_id)
        if dept is None:
            return []
        return self.active(dept.liaison_id) or self.active(dept.manager_id)

    def for_level(self, c: Complaint, level: int) -> list[int]:
        """Who a rung reaches. Each level falls back so that nobody's breach goes unheard:
        the assignee, else the first owner; the primary department's manager, else the first
        owner's department's manager, else the supervisors; the executives, else the
        supervisors."""
        if level <= ladder.WARNED:
            return self.active(c.assignee_id) or self.active(c.first_owner_id)
        supervisors = self.with_role(Role.SUPERVISOR)
        if level == ladder.MANAGER:
            owner = self.staff.get(c.first_owner_id)
            return (
                self.manager_of(c.primary_dept_id)
                or self.manager_of(owner.department_id if owner is not None else None)
                or supervisors
            )
        return self.with_role(Role.EXECUTIVE) or supervisors

    def approvers(self, amount: Decimal, proposer: int | None) -> list[int]:
        """Who may approve this compensation: a manager or executive whose authority covers
        it, never the person who proposed it (separation of duties)."""
        return sorted(
            sid
            for sid, roles in self.roles.items()
            if roles & {Role.DEPT_MANAGER, Role.EXECUTIVE}
            and self.staff[sid].compensation_limit >= amount
            and sid != proposer
        )


# -- writing a rung ------------------------------------------------------------------------------


def _claim(
    s: Session, key: str, c: Complaint, milestone_id: int | None, rung: ladder.Rung, now: datetime
) -> int | None:
    """Write the rung's row under its key; None when the key is taken (another desk reached
    it first). Insert-or-nothing on both backends, so the loser neither fails nor waits long."""
    values = {
        "key": key,
        "complaint_id": c.id,
        "milestone_id": milestone_id,
        "level": rung.level,
        "cause": rung.cause,
        "due_at": rung.due_at,
        "at": now,
    }
    insert_into = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert_into(Escalation).values(**values).on_conflict_do_nothing(index_elements=["key"])
    made = s.execute(stmt.returning(col(Escalation.id))).scalar_one_or_none()
    return int(made) if made is not None else None


def reach(
    s: Session,
    c: Complaint,
    *,
    key: str,
    rung: ladder.Rung,
    recipients: Iterable[int],
    now: datetime,
    milestone: Milestone | None = None,
    actor_id: int | None = None,
    kind: str | None = None,
    message: str = "",
    event: CaseEvent | None = None,
) -> Reached | None:
    """Reach one rung once: its row, its event (or the step's own, `event`), the notices and
    the case's level. None when another desk already reached it."""
    assert c.id is not None
    made = _claim(s, key, c, milestone.id if milestone is not None else None, rung, now)
    if made is None:
        return None
    people = sorted({r for r in recipients if r != actor_id})
    payload = {
        "level": rung.level,
        "cause": rung.cause,
        "due_at": rung.due_at,
        "notified": people,
        **({"milestone": milestone.kind} if milestone is not None else {}),
    }
    if event is None:
        event = audit.append(
            s, kind=EVENT, actor_id=actor_id, complaint_id=c.id, payload=payload, at=now
        )
    s.execute(update(Escalation).where(col(Escalation.id) == made).values(event_id=event.id))
    notice = kind or NOTICE_OF_LEVEL.get(rung.level, EXECUTIVE_NOTICE)
    for person in people:
        s.add(
            Notification(
                recipient_id=person,
                complaint_id=c.id,
                event_id=event.id,
                level=rung.level,
                kind=notice,
                message=message.strip(),
                created_at=now,
            )
        )
    if rung.level > c.escalation_level:
        c.escalation_level = rung.level
        s.add(c)
    return Reached(
        c.number,
        rung.level,
        rung.cause,
        milestone.kind if milestone is not None else "",
        tuple(people),
    )


def alert_case(
    s: Session, c: Complaint, policy: sla.SlaPolicy, now: datetime, people: People | None = None
) -> list[Reached]:
    """Reach whoever the case calls for by what it is (`ladder.case_alerts`), each once."""
    assert c.id is not None
    alerts = ladder.case_alerts(
        Severity(c.severity), parse_flags(c.flags), c.primary_dept_id, policy
    )
    if not alerts:
        return []
    people = people or People(s)
    done = []
    for alert in alerts:
        if alert.audience == ladder.AUDIENCE_EXECUTIVE:
            recipients = people.for_level(c, ladder.EXECUTIVE)
            kind = EXECUTIVE_NOTICE
        elif alert.audience == ladder.AUDIENCE_LEGAL:
            recipients, kind = people.with_role(Role.LEGAL), LEGAL_NOTICE
        else:
            recipients, kind = people.manager_of(c.primary_dept_id), MANAGER_NOTICE
        rung = ladder.Rung(alert.level, now, ladder.ON_INTAKE)
        got = reach(
            s,
            c,
            key=ladder.case_key(c.id, alert.suffix),
            rung=rung,
            recipients=recipients,
            now=now,
            kind=kind,
        )
        if got is not None:
            done.append(got)
    return done


# -- keeping the next rungs in step --------------------------------------------------------------


def follow(
    s: Session,
    c: Complaint,
    rows: Sequence[Milestone],
    policy: sla.SlaPolicy,
    calendars: sla.CalendarSet,
) -> None:
    """After a use case moved the case's milestones (started, met, paused, resumed, re-timed)
    or changed what it is (severity, flags): each open milestone's next rung follows. A rung
    already due is left for the sweep, which reaches it within seconds."""
    assert c.id is not None
    s.flush()  # new milestones get their ids
    urgent = ladder.immediate(Severity(c.severity), parse_flags(c.flags), policy)
    known = {
        d.milestone_id: d
        for d in s.exec(select(EscalationDue).where(EscalationDue.complaint_id == c.id)).all()
    }
    for m in rows:
        assert m.id is not None
        due = known.pop(m.id, None)
        if not m.is_open:
            if due is not None:
                s.delete(due)
            continue
        if due is None:
            due = EscalationDue(milestone_id=m.id, complaint_id=c.id)
        nxt = ladder.next_rung(m, due.reached, urgent=urgent, policy=policy, calendars=calendars)
        due.due_at = nxt.due_at if nxt is not None else None
        s.add(due)
    for gone in known.values():
        s.delete(gone)


def adopt(
    s: Session,
    complaint_ids: Iterable[int] | None,
    policy: sla.SlaPolicy,
    calendars: sla.CalendarSet,
    now: datetime,
) -> int:
    """Watch milestones written without the ladder (a desk upgraded to it, the demo, an
    import): the rungs already past count as reached, unannounced (the breach board shows them;
    a flood of notices about old breaches helps nobody), and the next ones come due as time
    passes. `complaint_ids` None: every open case. Returns the milestones adopted."""
    query = (
        select(Milestone, Complaint.severity, Complaint.flags)
        .join(Complaint, col(Complaint.id) == col(Milestone.complaint_id))
        .outerjoin(EscalationDue, col(EscalationDue.milestone_id) == col(Milestone.id))
        .where(col(Milestone.is_open), col(EscalationDue.milestone_id).is_(None))
    )
    ids = None if complaint_ids is None else sorted(set(complaint_ids))
    values = []
    chunks: list[list[int] | None] = (
        [ids[i : i + 500] for i in range(0, len(ids), 500)] if ids is not None else [None]
    )
    for chunk in chunks:
        q = query if chunk is None else query.where(col(Milestone.complaint_id).in_(chunk))
        for m, severity, flags in s.exec(q).all():
            urgent = ladder.immediate(Severity(severity), parse_flags(flags), policy)
            reached = len(
                ladder.due_rungs(m, 0, now, urgent=urgent, policy=policy, calendars=calendars)
            )
            nxt = ladder.next_rung(m, reached, urgent=urgent, policy=policy, calendars=calendars)
            values.append(
                {
                    "milestone_id": m.id,
                    "complaint_id": m.complaint_id,
                    "reached": reached,
                    "due_at": nxt.due_at if nxt is not None else None,
                }
            )
    for i in range(0, len(values), 1000):
        s.execute(insert(EscalationDue), values[i : i + 1000])
    return len(values)


# -- the sweep -----------------------------------------------------------------------------------


class Escalations(DeskBase):
    def sweep(self, now: datetime | None = None) -> Sweep:
        """Reach every rung whose time has come: one transaction per case, so one case's
        trouble does not hold back the others (it is logged and tried at the next sweep)."""
        moment = now or clock.now()
        result = Sweep()
        tried: set[int] = set()
        while True:
            with read_session(self.engine) as s:
                query = (
                    select(EscalationDue.complaint_id)
                    .where(col(EscalationDue.due_at) <= moment)
                    .order_by(col(EscalationDue.due_at))
                )
                if tried:
                    query = query.where(col(EscalationDue.complaint_id).not_in(tried))
                ids = list(dict.fromkeys(s.exec(query.limit(SWEEP_BATCH)).all()))
            if not ids:
                return result
            for cid in ids:
                tried.add(cid)
                try:
                    result.reached += self._climb(cid, moment)
                except DBAPIError:
                    raise  # the database is in trouble: the caller says so and tries later
                except Exception:  # one broken case must not stop the ladder
                    log.exception("escalation: case %s could not climb", cid)
                    result.failed.append(cid)

    @retrying
    def _climb(self, complaint_id: int, now: datetime) -> list[Reached]:
        with write_session(self.engine) as s:
            c = s.exec(
                select(Complaint).where(Complaint.id == complaint_id).with_for_update()
            ).one()
            dues = s.exec(
                select(EscalationDue)
                .where(EscalationDue.complaint_id == complaint_id, col(EscalationDue.due_at) <= now)
                .with_for_update()
            ).all()
            if not dues:
                return []  # another desk climbed it first
            rows = {m.id: m for m in ms.load(s, complaint_id)}
            urgent = ladder.immediate(Severity(c.severity), parse_flags(c.flags), self.policy)
            people = People(s)
            done: list[Reached] = []
            for due in dues:
                m = rows.get(due.milestone_id)
                if m is None or not m.is_open:
                    s.delete(due)
                    continue
                for rung in ladder.due_rungs(
                    m, due.reached, now, urgent=urgent, policy=self.policy, calendars=self.calendars
                ):
                    got = reach(
                        s,
                        c,
                        key=ladder.milestone_key(due.milestone_id, rung.level),
                        rung=rung,
                        recipients=people.for_level(c, rung.level),
                        now=now,
                        milestone=m,
                    )
                    if got is not None:
                        done.append(got)
                    due.reached = max(due.reached, rung.level)
                nxt = ladder.next_rung(
                    m, due.reached, urgent=urgent, policy=self.policy, calendars=self.calendars
                )
                due.due_at = nxt.due_at if nxt is not None else None
                s.add(due)
            return done

    def escalations(self, number: str) -> list[Escalation]:
        """The rungs a case has reached, oldest first (the case screen's ladder line)."""
        with read_session(self.engine) as s:
            c = self._load(s, number)
            return list(
                s.exec(
                    select(Escalation)
                    .where(Escalation.complaint_id == c.id)
                    .order_by(col(Escalation.id))
                ).all()
            )
