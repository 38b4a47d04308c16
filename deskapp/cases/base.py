"""What every group of use cases shares: the database, the deployment's policy, and loading a
case by number (locked for writing when it is about to change)."""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import ParamSpec, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from deskapp import clock, faults, numbering, sla, workflow
from deskapp.cases.actor import Actor
from deskapp.config import Settings, load_settings
from deskapp.domain import CaseFacts, ClaimType, Status, parse_flags
from deskapp.errors import NotFound, PermissionDenied
from deskapp.records import CaseRecord
from store.engine import is_transient, read_session, write_session
from store.models import Complaint, Department, Staff

log = logging.getLogger("deskapp.cases")

P = ParamSpec("P")
T = TypeVar("T")

#: How often one use case's transaction is tried before a transient failure (another writer
#: holding SQLite's lock past the busy timeout, a PostgreSQL serialization failure or deadlock)
#: reaches the person, and the backoff between tries: doubling from the first delay up to the
#: cap, each drawn between half and all of it so that desks that failed together do not retry
#: together. Eight tries wait 2.6–5.2 s in all, on top of each try's own busy timeout.
RETRY_ATTEMPTS = 8
RETRY_FIRST_DELAY = 0.05
RETRY_MAX_DELAY = 2.0


def retrying(fn: Callable[P, T]) -> Callable[P, T]:
    """Run a write use case again, from the start, when its transaction failed only because of
    other writers (`store.engine.is_transient`): the failed try was rolled back whole, so
    nobody sees "database is locked" for a busy moment. Anything else is raised at once."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        attempt = 1
        while True:
            try:
                return fn(*args, **kwargs)
            except DBAPIError as exc:
                if attempt >= RETRY_ATTEMPTS or not is_transient(exc):
                    raise
                delay = min(RETRY_MAX_DELAY, RETRY_FIRST_DELAY * 2 ** (attempt - 1))
                delay *= random.uniform(0.5, 1.0)
                log.warning(
                    "%s: try %d of %d failed (%s); again in %.2f s",
                    fn.__name__,
                    attempt,
                    RETRY_ATTEMPTS,
                    str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__,
                    delay,
                )
                clock.sleep(delay)
                attempt += 1

    return wrapper


class AccountDisabled(PermissionDenied):
    """The person's account was disabled (or removed) after they signed in."""

    def __init__(self, login: str) -> None:
        self.login = login
        super().__init__(f"the account {login} is disabled; ask an administrator")


def current_actor(s: Session, actor: Actor) -> Actor:
    """The person as the database has them now, inside the caller's transaction: an account
    disabled since sign-in is refused, and changed roles, department or authority count from
    this action on (the `Actor` a desk holds is only who signed in, not what they may do)."""
    staff = s.get(Staff, actor.staff_id)
    if staff is None or not staff.active:
        raise AccountDisabled(actor.login)
    return Actor.from_staff(staff)


def case_facts(c: Complaint | CaseRecord) -> CaseFacts:
    return CaseFacts(
        status=Status(c.status),
        flags=parse_flags(c.flags),
        first_owner_id=c.first_owner_id,
        primary_dept_id=c.primary_dept_id,
        assignee_id=c.assignee_id,
        plan_proposed_by_id=c.plan_proposed_by_id,
        compensation_amount=c.compensation_amount,
        legal_cleared=c.legal_cleared,
        compensation_approved=c.compensation_approved_by_id is not None,
        customer_confirmed=c.customer_confirmed_at is not None,
        departments_left=frozenset(int(x) for x in c.departments_left.split()),
        resume_status=Status(c.resume_status) if c.resume_status else None,
        escalation_level=c.escalation_level,
        claim_type=ClaimType(c.claim_type),
        root_cause_known=bool(c.root_cause_category and c.root_cause.strip()),
    )


def department_contact(s: Session, department_id: int) -> Staff | None:
    """Who receives a department's notices: its liaison, else its manager (active ones only)."""
    dept = s.get(Department, department_id)
    if dept is None:
        return None
    for staff_id in (dept.liaison_id, dept.manager_id):
        staff = s.get(Staff, staff_id) if staff_id is not None else None
        if staff is not None and staff.active:
            return staff
    return None


class DeskBase:
    """The use cases over one database, with the deployment's policy and calendars."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings | None = None,
        policy: sla.SlaPolicy | None = None,
        calendars: sla.CalendarSet | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings or load_settings()
        self.policy = policy or sla.load_policy(
            self.settings.sla.policy_file, calendar_dirs=self.settings.sla.calendar_dirs
        )
        # The live desk never stops at the end of the holiday data: due times past it are
        # given from the weekly hours and marked provisional (see deskapp.calendar).
        self.calendars = calendars or sla.CalendarSet(
            self.settings.sla.calendar_dirs, provisional=True
        )
        self.rules = workflow.Rules(legal_review_amount=self.settings.legal_review_amount)
        faults.install()  # the fault suite's kill points; nothing unless DESKAPP_FAULT is set

    def calendars_ending(self) -> list[tuple[str, date]]:
        """The calendars whose holiday data runs out within the warning window, with the last
        day each knows (told to admins and supervisors, and on the breach board)."""
        today = clock.now().astimezone(self.settings.tz).date()
        return sla.calendars_running_out(
            self.policy, self.calendars, today, self.settings.calendar_warning_days
        )

    def actor(self, login: str) -> Actor:
        with read_session(self.engine) as s:
            staff = s.exec(select(Staff).where(Staff.login == login)).first()
            if staff is None or not staff.active:
                raise NotFound(f"no active staff account {login!r}")
            return Actor.from_staff(staff)

    def account(self, staff_id: int) -> Actor | None:
        """The signed-in person as they are now, or None once disabled: what a running desk
        polls to follow role changes and to sign a disabled person out."""
        with read_session(self.engine) as s:
            staff = s.get(Staff, staff_id)
            return Actor.from_staff(staff) if staff is not None and staff.active else None

    @contextmanager
    def _acting(self, actor: Actor, *, write: bool = True) -> Iterator[tuple[Session, Actor]]:
        """Every use case that acts for a person opens its transaction here: it gets the
        session and the person re-read inside it (`current_actor`), so a role removed or an
        account disabled a moment ago counts from the very next action."""
        opener = write_session if write else read_session
        with opener(self.engine) as s:
            yield s, current_actor(s, actor)

    def _load_locked(self, s: Session, number: str) -> Complaint:
        return self._load(s, number, lock=True)

    def _load(self, s: Session, number: str, *, lock: bool = False) -> Complaint:
        if not numbering.could_be_number(number):
            raise NotFound(f"no complaint {number!r}")
        query = select(Complaint).where(Complaint.number == number)
        c = s.exec(query.with_for_update() if lock else query).first()
        if c is None:
            raise NotFound(f"no complaint {number}")
        return c
