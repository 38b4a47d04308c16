"""Keyset pages of the open-case queue (DESIGN.md §4: "the queue is virtual").

The queue orders open complaints by `next_due_at` (soonest, hence most overdue, first), then
by `id`; cases with no running promise (NULL) come last. A page is read from the index that
matches the view (`ix_complaint_open_next_due`, `…_dept_open`, `…_assignee_open`) starting at
a key, never with OFFSET, so a tick costs the rows on screen whether 1 k or 1 M cases are open.

NULLs sort first on SQLite and last on PostgreSQL, and an `OR` across the NULL boundary stops
either planner from walking the index in order. So each page is read as two segments, each a
plain ordered range scan: the dated cases, then (only if the page is not full yet) the undated
ones by id. Both backends therefore return the same order from the same index walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, literal, or_, true
from sqlmodel import Session, col, func, select

from store.models import Complaint, Customer

#: Stands in for "no due time" when comparing keys in Python: after every real instant.
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class QueueKey:
    """A position in the queue: the row's sort key. NULL `due` means "after every date"."""

    due: datetime | None
    id: int

    def rank(self) -> tuple[bool, datetime, int]:
        """A Python sort key equal to the database order, for merging re-read rows."""
        if self.due is None:
            return (True, _LATEST, self.id)
        return (False, self.due, self.id)


@dataclass(frozen=True)
class QueueFilter:
    """One view of the queue; empty sets and None mean "any"."""

    department_id: int | None = None
    assignee_id: int | None = None
    #: "Mine": cases the person registered (first owner) or is assigned.
    owner_or_assignee_id: int | None = None
    #: "Owned": cases the person registered, wherever they are now (first-contact ownership).
    first_owner_id: int | None = None
    severities: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    #: One risk flag (a `deskapp.domain.RiskFlag` value) the case must carry.
    flag: str | None = None
    #: The head promise's kind (`deskapp.domain.MilestoneKind` values).
    kinds: frozenset[str] = frozenset()
    #: SLA states of the head promise: on_track, at_risk, breached, paused. They depend on the
    #: instant, so reads with states take `now`.
    states: frozenset[str] = frozenset()
    #: Free text: a case number, phone, customer name or subject fragment.
    search: str = ""


@dataclass(frozen=True)
class QueueRow:
    """What one queue line shows; the customer's name and phone are unmasked here (masking is
    the screen's job, per role)."""

    id: int
    number: str
    next_due_at: datetime | None
    severity: str
    status: str
    channel: str
    flags: str
    subject: str
    customer_name: str
    customer_phone: str
    primary_dept_id: int | None
    assignee_id: int | None
    escalation_level: int
    first_owner_id: int
    next_kind: str = ""
    next_calendar: str = ""
    next_warn_at: datetime | None = None


def key_of(row: QueueRow) -> QueueKey:
    return QueueKey(row.next_due_at, row.id)


_COLUMNS: tuple[Any, ...] = (
    Complaint.id,
    Complaint.number,
    Complaint.next_due_at,
    Complaint.severity,
    Complaint.status,
    Complaint.channel,
    Complaint.flags,
    Complaint.subject,
    Customer.name,
    Customer.phone,
    Complaint.primary_dept_id,
    Complaint.assignee_id,
    Complaint.escalation_level,
    Complaint.first_owner_id,
    Complaint.next_kind,
    Complaint.next_calendar,
    Complaint.next_warn_at,
)

#: The status whose clock is stopped (`deskapp.domain.Status.PENDING_CUSTOMER`).
PAUSED_STATUS = "pending_customer"
LATE_OR_AT_RISK = frozenset({"at_risk", "breached"})


def _row(values: Sequence[Any]) -> QueueRow:
    return QueueRow(*values)


def _state(state: str, now: datetime) -> ColumnElement[bool]:
    due, warn, status = (
        col(Complaint.next_due_at),
        col(Complaint.next_warn_at),
        col(Complaint.status),
    )
    if state == "paused":
        return status == PAUSED_STATUS
    running = status != PAUSED_STATUS
    if state == "breached":
        return and_(running, due <= now)
    if state == "at_risk":
        return and_(running, due > now, warn <= now)
    if state == "on_track":
        return and_(running, or_(due.is_(None), due > now), or_(warn.is_(None), warn > now))
    raise ValueError(f"unknown queue state {state!r}")


def _search(text: str) -> ColumnElement[bool]:
    """Substring match over what an agent types to find a case; the queue order still comes
    from the due-time index, so a common word fills a page quickly and a rare one walks it."""
    fields = (Complaint.number, Customer.phone, Customer.name, Complaint.subject)
    return or_(*(col(f).contains(text, autoescape=True) for f in fields))


def _conditions(
    flt: QueueFilter, now: datetime | None = None, *, counting: bool = False
) -> list[ColumnElement[bool]]:
    """The view's predicates. Department and assignee are equality prefixes of their indexes,
    which is what lets the planner pick those indexes over the desk-wide one."""
    is_open: ColumnElement[bool] = col(Complaint.is_open) == true()
    if flt.owner_or_assignee_id is not None:
        # "Mine" is an OR over two indexes. Left a plain column, `is_open` lets SQLite walk the
        # desk-wide index instead and visit every open case: 1.5 s for a person with no cases
        # on a million-case desk. Wrapped, it leaves the planner the two-index OR (the person's
        # cases, then a sort): well under 0.1 s even for 237,000 cases of one owner.
        is_open = func.coalesce(col(Complaint.is_open), false()) == true()
    where: list[ColumnElement[bool]] = [is_open]
    if flt.department_id is not None:
        where.append(col(Complaint.primary_dept_id) == flt.department_id)
    if flt.assignee_id is not None:
        where.append(col(Complaint.assignee_id) == flt.assignee_id)
    if flt.owner_or_assignee_id is not None:
        who = flt.owner_or_assignee_id
        where.append(or_(col(Complaint.first_owner_id) == who, col(Complaint.assignee_id) == who))
    if flt.first_owner_id is not None:
        where.append(col(Complaint.first_owner_id) == flt.first_owner_id)
    if flt.severities:
        where.append(col(Complaint.severity).in_(sorted(flt.severities)))
    if flt.statuses:
        where.append(col(Complaint.status).in_(sorted(flt.statuses)))
    if flt.channels:
        where.append(col(Complaint.channel).in_(sorted(flt.channels)))
    if flt.flag:
        # Flags are a space-separated word list; pad it so "vip" never matches "vipx".
        padded = literal(" ") + col(Complaint.flags) + literal(" ")
        where.append(padded.contains(f" {flt.flag} ", autoescape=True))
    if flt.kinds:
        where.append(col(Complaint.next_kind).in_(sorted(flt.kinds)))
    if flt.states:
        if now is None:
            raise ValueError("a state filter needs the instant to judge states at (now=…)")
        if counting and flt.states == LATE_OR_AT_RISK:
            # Counting the breach board's view. A warning instant never comes after its due
            # instant, so "at risk or breached" is "past the warning": one range of the covering
            # index `ix_complaint_board_warn` instead of an OR of two ranges. (A page keeps the
            # OR: given the range, the planner read the whole range and sorted it by due time,
            # where walking the due-time index finds the first page at once.)
            where += [col(Complaint.next_warn_at) <= now, col(Complaint.status) != PAUSED_STATUS]
        else:
            where.append(or_(*(_state(state, now) for state in sorted(flt.states))))
    if flt.search.strip():
        where.append(_search(flt.search.strip()))
    return where


def _read(
    session: Session,
    where: list[ColumnElement[bool]],
    *,
    dated: bool,
    descending: bool,
    limit: int,
) -> list[QueueRow]:
    due, ident = col(Complaint.next_due_at), col(Complaint.id)
    order = [due.desc(), ident.desc()] if descending else [due.asc(), ident.asc()]
    if not dated:
        order = order[1:]  # every due is NULL in this segment: order by id alone
    stmt = (
        select(*_COLUMNS)
        .join(Customer, col(Customer.id) == col(Complaint.customer_id))
        .where(*where, due.is_not(None) if dated else due.is_(None))
        .order_by(*order)
        .limit(limit)
    )
    return [_row(values) for values in session.exec(stmt).all()]


def page_after(
    session: Session,
    flt: QueueFilter,
    after: QueueKey | None,
    limit: int,
    *,
    now: datetime | None = None,
) -> list[QueueRow]:
    """Up to `limit` rows strictly after `after` (from the top when None), in queue order."""
    if limit <= 0:
        return []
    base = _conditions(flt, now)
    due, ident = col(Complaint.next_due_at), col(Complaint.id)
    rows: list[QueueRow] = []
    if after is None or after.due is not None:
        dated = list(base)
        if after is not None and after.due is not None:
            # `due >= d` is the index range; the OR only filters the ties at its start.
            dated += [due >= after.due, or_(due > after.due, ident > after.id)]
        rows = _read(session, dated, dated=True, descending=False, limit=limit)
        if len(rows) == limit:
            return rows
    undated = list(base)
    if after is not None and after.due is None:
        undated.append(ident > after.id)
    return rows + _read(session, undated, dated=False, descending=False, limit=limit - len(rows))


def page_before(
    session: Session,
    flt: QueueFilter,
    before: QueueKey | None,
    limit: int,
    *,
    now: datetime | None = None,
) -> list[QueueRow]:
    """Up to `limit` rows strictly before `before`, returned in queue order (for scrolling up).
    `before=None` reads the last page (the `end` key)."""
    if limit <= 0:
        return []
    base = _conditions(flt, now)
    due, ident = col(Complaint.next_due_at), col(Complaint.id)
    backwards: list[QueueRow] = []
    if before is None or before.due is None:
        undated = list(base)
        if before is not None:
            undated.append(ident < before.id)
        backwards = _read(session, undated, dated=False, descending=True, limit=limit)
        if len(backwards) == limit:
            return backwards[::-1]
    dated = list(base)
    if before is not None and before.due is not None:
        dated += [due <= before.due, or_(due < before.due, ident < before.id)]
    backwards += _read(session, dated, dated=True, descending=True, limit=limit - len(backwards))
    return backwards[::-1]


def _joined_count(where: list[ColumnElement[bool]]) -> Any:
    return (
        select(func.count())
        .select_from(Complaint)
        .join(Customer, col(Customer.id) == col(Complaint.customer_id))
        .where(*where)
    )


def count_open(session: Session, flt: QueueFilter, *, now: datetime | None = None) -> int:
    """For the scrollbar and the status line. Unlike a page this visits every matching index
    entry (an index-only count on SQLite), so call it on change, not on every tick."""
    where = _conditions(flt, now, counting=True)
    if flt.search.strip():
        return int(session.exec(_joined_count(where)).one())
    stmt = select(func.count()).select_from(Complaint).where(*where)
    return int(session.exec(stmt).one())


def _risk_sums(now: datetime) -> tuple[Any, Any]:
    return (
        func.sum(case((_state("at_risk", now), 1), else_=0)),
        func.sum(case((_state("breached", now), 1), else_=0)),
    )


def _counted(flt: QueueFilter, now: datetime, *columns: Any) -> Any:
    stmt = select(*columns).select_from(Complaint)
    if flt.search.strip():
        stmt = stmt.join(Customer, col(Customer.id) == col(Complaint.customer_id))
    return stmt.where(*_conditions(flt, now))


def state_counts(session: Session, flt: QueueFilter, *, now: datetime) -> tuple[int, int, int]:
    """(open, at risk, breached) in the view, judged by each case's head promise as the queue
    shows it: the header's counts, in one read."""
    stmt = _counted(flt, now, func.count(), *_risk_sums(now))
    total, risk, late = session.exec(stmt).one()
    return int(total), int(risk or 0), int(late or 0)


def _before(key: QueueKey) -> ColumnElement[bool]:
    """Rows strictly before `key` in queue order."""
    due, ident = col(Complaint.next_due_at), col(Complaint.id)
    if key.due is None:
        return or_(due.is_not(None), and_(due.is_(None), ident < key.id))
    return and_(due.is_not(None), or_(due < key.due, and_(due == key.due, ident < key.id)))


def count_before(
    session: Session, flt: QueueFilter, key: QueueKey, *, now: datetime | None = None
) -> int:
    """How many rows of the view come before `key`: the row index of `key`, which the screen
    needs after rows above it changed. Costs the rows before it, so it is read on change only."""
    where = [*_conditions(flt, now), _before(key)]
    return int(session.exec(_joined_count(where)).one())


def page_at(
    session: Session, flt: QueueFilter, index: int, limit: int, *, now: datetime | None = None
) -> list[QueueRow]:
    """Rows from position `index`: the one read that uses OFFSET, for a jump far from the rows
    already loaded (a scrollbar drag). Paging by keys stays the normal way to move."""
    if limit <= 0:
        return []
    due, ident = col(Complaint.next_due_at), col(Complaint.id)
    where = _conditions(flt, now)
    dated = _count_dated(session, where)
    if index < dated:
        stmt = (
            select(*_COLUMNS)
            .join(Customer, col(Customer.id) == col(Complaint.customer_id))
            .where(*where, due.is_not(None))
            .order_by(due.asc(), ident.asc())
            .offset(index)
            .limit(limit)
        )
        rows = [_row(v) for v in session.exec(stmt).all()]
        if len(rows) == limit:
            return rows
        return rows + _read(
            session, [*where], dated=False, descending=False, limit=limit - len(rows)
        )
    stmt = (
        select(*_COLUMNS)
        .join(Customer, col(Customer.id) == col(Complaint.customer_id))
        .where(*where, due.is_(None))
        .order_by(ident.asc())
        .offset(index - dated)
        .limit(limit)
    )
    return [_row(v) for v in session.exec(stmt).all()]


def _count_dated(session: Session, where: list[ColumnElement[bool]]) -> int:
    stmt = _joined_count([*where, col(Complaint.next_due_at).is_not(None)])
    return int(session.exec(stmt).one())


def rows_by_ids(
    session: Session,
    ids: Sequence[int],
    flt: QueueFilter | None = None,
    *,
    now: datetime | None = None,
) -> list[QueueRow]:
    """Re-read the rows the change feed named, in queue order. Only rows that are open and (when
    given) match `flt` come back: an id missing from the answer has left this view."""
    if not ids:
        return []
    where = [*_conditions(flt or QueueFilter(), now), col(Complaint.id).in_(sorted(set(ids)))]
    stmt = (
        select(*_COLUMNS)
        .join(Customer, col(Customer.id) == col(Complaint.customer_id))
        .where(and_(*where))
    )
    rows = [_row(values) for values in session.exec(stmt).all()]
    return sorted(rows, key=lambda r: key_of(r).rank())
