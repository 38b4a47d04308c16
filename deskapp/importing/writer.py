"""Writing planned cases: customers, complaints, milestones and audited events, a batch per
transaction (the whole file in one with `--all-or-nothing`).

Like the demo's writer (`deskapp.demo.writer`, whose helpers this reuses), rows go in by
executemany rather than through `Desk.intake` one by one. Unlike the demo, the importer runs on
a live desk, so customers and complaints take their ids from the database (`RETURNING`) and
never guess them; only events get explicit ids, which is safe because every event writer holds
the `audit_head` lock, as this one does for each batch.

Each batch writes one `import_batch` event (who ran it, from which file, what it held) and one
`imported` event per case naming that batch, all on the one hash chain (`deskapp.audit`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlmodel import Session, col, select

from deskapp import audit, clock, numbering, seals, sla
from deskapp import milestones as ms
from deskapp.cases import escalations
from deskapp.demo.builder import MilestoneRow
from deskapp.demo.rows import COLUMNS, UNTOUCHED_COMPLAINT, Values
from deskapp.demo.writer import link_events, reserve_numbers, sync_sequences
from deskapp.domain import MilestoneKind, Severity, Status
from deskapp.importing.plan import Case
from deskapp.seals import sql_table
from store import board, library
from store.engine import read_session, write_session
from store.models import AuditHead, Complaint, Staff
from store.phones import normal_phone

#: The staff account that owns imported cases when no `--owner` is given: inactive and
#: without a password, so nobody signs in as it and no notice or alert goes to it.
IMPORT_LOGIN = "import"
IMPORT_NAME = "导入 Import"
IMPORTED = "imported"
BATCH_EVENT = "import_batch"


@dataclass(frozen=True)
class Who:
    """Who ran the import: the operating-system user, and the staff account when it was run
    from the desk; `owner_id` becomes each case's first owner and its events' actor."""

    os_user: str
    owner_id: int
    staff_login: str = ""
    actor_id: int | None = None


@dataclass(frozen=True)
class BatchInfo:
    """What the batch event records about the run."""

    file: str
    sha256: str
    mapping: str
    source: str
    encoding: str
    date_format: str | None


def import_owner(engine: Engine, login: str | None) -> int:
    """The first owner's staff id: `login` (an active account) or the `import` account,
    made on first use."""
    with write_session(engine) as s:
        if login is not None:
            staff = s.exec(select(Staff).where(Staff.login == login)).first()
            if staff is None or not staff.active or staff.id is None:
                raise ValueError(f"no active staff account {login!r} to own the imported cases")
            return staff.id
        # Two imports starting at once both end with the one account (the login is unique).
        table = sql_table("staff")
        insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
        s.execute(
            insert(table)
            .values(
                login=IMPORT_LOGIN,
                display_name=IMPORT_NAME,
                roles="",
                password_hash="",
                active=False,
                compensation_limit=0,
                failed_logins=0,
            )
            .on_conflict_do_nothing(index_elements=["login"])
        )
        staff = s.exec(select(Staff).where(Staff.login == IMPORT_LOGIN)).one()
        assert staff.id is not None
        seals.touch(s, "staff", [staff.id])
        return staff.id


def existing_ids(engine: Engine, source: str, ids: Sequence[str]) -> set[str]:
    """The external ids of this source the desk already has (read in chunks)."""
    found: set[str] = set()
    with read_session(engine) as s:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            found.update(
                s.exec(
                    select(Complaint.external_id).where(
                        Complaint.source == source, col(Complaint.external_id).in_(chunk)
                    )
                ).all()
            )
    return found


#: The milestone columns an import writes (all but the id, which the database gives).
MILESTONE_COLUMNS = COLUMNS["milestone"][1:]


def _insert_sql(dialect: Dialect, table: str, columns: Sequence[str]) -> str:
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    return "INSERT INTO {} ({}) VALUES ({})".format(
        quote(table), ", ".join(quote(c) for c in columns), ", ".join([marker] * len(columns))
    )


def plain_now() -> datetime:
    """The clock's now as a plain UTC datetime (the clock may hand out a pendulum one), the
    form the hash chain's instant text is made from."""
    m = clock.now().astimezone(UTC)
    return datetime(m.year, m.month, m.day, m.hour, m.minute, m.second, m.microsecond, UTC)


class Writer:
    """Writes batches of planned cases for one import run."""

    def __init__(
        self,
        engine: Engine,
        policy: sla.SlaPolicy,
        calendars: sla.CalendarSet,
        tz: Any,
        who: Who,
        info: BatchInfo,
    ) -> None:
        self.engine = engine
        self.planner = sla.Planner(policy, calendars)
        self.policy = policy
        self.calendars = calendars
        self.warn_fraction = policy.warn_fraction
        self.tz = tz
        self.who = who
        self.info = info
        self.dumps = audit.canonical_encoder()

    def write(
        self, cases: Sequence[Case], batch: int, progress: Callable[[int], None] | None = None
    ) -> int:
        """Write the cases in transactions of `batch`; returns how many were written. Cases
        whose external id the desk already has (an import running at the same time) are left
        out, batch by batch, under the audit head's lock."""
        written = 0
        for start in range(0, len(cases), batch):
            chunk = cases[start : start + batch]
            with write_session(self.engine) as s:
                written += self._batch(s, chunk)
            if progress is not None:
                progress(len(chunk))
        return written

    def write_all(self, cases: Sequence[Case], progress: Callable[[int], None] | None) -> int:
        """Every case in one transaction: all of them or (on any failure) none."""
        with write_session(self.engine) as s:
            written = 0
            for start in range(0, len(cases), 1000):
                chunk = cases[start : start + 1000]
                written += self._batch(s, chunk)
                if progress is not None:
                    progress(len(chunk))
            return written

    def _batch(self, s: Session, cases: Sequence[Case]) -> int:
        head = s.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
        if head is None:
            head = AuditHead(id=1, last_event_id=0, last_hash=audit.GENESIS)
            s.add(head)
            s.flush()
        source = self.info.source
        have = set(
            s.exec(
                select(Complaint.external_id).where(
                    Complaint.source == source,
                    col(Complaint.external_id).in_([c.external_id for c in cases]),
                )
            ).all()
        )
        cases = [c for c in cases if c.external_id not in have]
        if not cases:
            return 0
        conn = s.connection()
        now = plain_now()
        days = [numbering.day_key(c.received_at, self.tz) for c in cases]
        per_day: dict[str, int] = {}
        for day in days:
            per_day[day] = per_day.get(day, 0) + 1
        next_seq = reserve_numbers(s, per_day)
        customer_ids = self._customers(conn, cases, now)
        numbers, complaints, plans = [], [], []
        for case, day, customer_id in zip(cases, days, customer_ids, strict=True):
            number = numbering.format_number(day, next_seq[day])
            next_seq[day] += 1
            rows = self._milestones(case)
            numbers.append(number)
            plans.append(rows)
            complaints.append(self._complaint(case, number, customer_id, rows))
        table = sql_table("complaint")
        ids = [
            r[0]
            for r in conn.execute(
                sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), complaints
            ).all()
        ]
        library.enter_closed(s, ids)  # the closed ones join the case library
        # Straight to the driver, values converted as SQLAlchemy would (deskapp.demo.rows):
        # four milestones a case are most of an import's rows.
        values = Values(conn.dialect)
        instant, boolean = values.instant, values.boolean
        milestones = [
            (
                cid,
                row.kind,
                row.budget_minutes,
                row.calendar,
                instant(row.started_at),
                instant(row.due_at),
                instant(row.paused_at),
                row.paused_seconds,
                instant(row.met_at),
                boolean(row.cancelled),
                boolean(row.is_open),
                boolean(row.provisional),
            )
            for cid, rows in zip(ids, plans, strict=True)
            for row in rows
        ]
        conn.exec_driver_sql(_insert_sql(conn.dialect, "milestone", MILESTONE_COLUMNS), milestones)
        # Written through SQL Core: sealed at the commit like the ORM's rows (deskapp.seals).
        seals.touch(s, "complaint", ids)
        seals.touch(s, "customer", set(customer_ids))
        seals.touch_where(s, "milestone", "complaint_id", ids)
        # Open cases come under the ladder from here; what their promises passed before the
        # import is history, not news to page anyone about.
        escalations.adopt(s, ids, self.policy, self.calendars, clock.now())
        board.bump(s, board.recount(s, min(ids)))  # the breach board's tiles count them
        last_hash = self._events(s, conn, head, cases, ids, numbers, now)
        head.last_hash = last_hash
        s.add(head)
        s.flush()
        sync_sequences(s)
        return len(cases)

    def _customers(self, conn: Connection, cases: Sequence[Case], now: datetime) -> list[int]:
        """A customer per case: the one with the row's phone number if the desk knows it (or
        an earlier row brought it), else a new one; rows without a phone get an anonymous
        customer of their own, named after what the row says of them."""
        table = sql_table("customer")
        phones = {normal_phone(c.customer_phone) for c in cases} - {""}
        known: dict[str, int] = {}
        if phones:
            known = {
                phone: cid
                for cid, phone in conn.execute(
                    sa.select(table.c.id, table.c.phone).where(table.c.phone.in_(phones))
                ).all()
            }
        new: list[dict[str, Any]] = []
        slots: list[int | str] = []
        for case in cases:
            phone = normal_phone(case.customer_phone)
            if phone and phone in known:
                slots.append(phone)
                continue
            if phone:
                known[phone] = -1  # made below; later rows with this phone share it
                slots.append(phone)
            else:
                slots.append(len(new))
            new.append(
                {
                    "name": case.customer_name,
                    "phone": phone,
                    "other_phones": "",
                    "email": case.customer_email,
                    "tier": "standard",
                    "created_at": case.received_at,
                }
            )
        made: list[int] = []
        if new:
            made = [
                r[0]
                for r in conn.execute(
                    sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), new
                ).all()
            ]
            for row, cid in zip(new, made, strict=True):
                if row["phone"] and known.get(row["phone"]) == -1:
                    known[row["phone"]] = cid
        return [known[slot] if isinstance(slot, str) else made[slot] for slot in slots]

    def _milestones(self, case: Case) -> list[MilestoneRow]:
        """The promises a case received then would have had, by the live desk's rules; a
        closed case's are met when it closed (the only date the source gives)."""
        rows = []
        for kind in sla.INTAKE_MILESTONES:
            p = self.planner.plan(kind, Severity.C, False, case.received_at)
            row = MilestoneRow(p.kind.value, p.budget_minutes, p.calendar, p.started_at, p.due_at)
            row.provisional = self.calendars.get(p.calendar).is_provisional(p.due_at)
            rows.append(row)
        if case.closed_at is not None:
            ms.meet(rows, list(MilestoneKind), max(case.closed_at, case.received_at))
            for row in rows:
                row.provisional = False
        return rows

    def _complaint(
        self, case: Case, number: str, customer_id: int, rows: list[MilestoneRow]
    ) -> dict[str, Any]:
        closed = case.closed_at is not None
        head = ms.NO_HEAD if closed else ms.head_columns(rows, self.warn_fraction, self.calendars)
        return {
            "number": number,
            "channel": case.channel,
            "customer_id": customer_id,
            "subject": case.subject,
            "description": case.description,
            "demand": "",
            "occurred_at": None,
            "place": case.place,
            "order_ref": "",
            "product_ref": case.product_ref,
            "evidence": case.evidence,
            "category": case.category,
            "claim_type": "general",
            "severity": Severity.C.value,
            "flags": "",
            "status": Status.CLOSED.value if closed else Status.NEW.value,
            "is_open": not closed,
            "next_due_at": head.due_at,
            "next_kind": head.kind,
            "next_calendar": head.calendar,
            "next_warn_at": head.warn_at,
            "first_owner_id": self.who.owner_id,
            **UNTOUCHED_COMPLAINT,
            "source": self.info.source,
            "external_id": case.external_id,
            "created_at": case.received_at,
            "updated_at": case.closed_at or case.received_at,
            "updated_by_id": self.who.owner_id,
        }

    def _events(
        self,
        s: Session,
        conn: Connection,
        head: AuditHead,
        cases: Sequence[Case],
        ids: Sequence[int],
        numbers: Sequence[str],
        now: datetime,
    ) -> str:
        values = Values(conn.dialect)
        at_db, at_text = values.instant(now), values.iso(now)
        who = self.who
        event_id = head.last_event_id
        info = self.info
        batch_id = event_id + 1
        batch_payload: dict[str, Any] = {
            "version": 1,
            "file": info.file,
            "sha256": info.sha256,
            "mapping": info.mapping,
            "source": info.source,
            "encoding": info.encoding,
            "date_format": info.date_format,
            "cases": len(cases),
            "lines": [cases[0].line, cases[-1].line],
            "os_user": who.os_user,
            "staff": who.staff_login,
        }
        events: list[tuple[int, int | None, int | None, Any, str, str]] = []
        body = audit.event_body(
            batch_id, None, who.actor_id, at_text, BATCH_EVENT, audit.dumps(batch_payload)
        )
        events.append((batch_id, None, who.actor_id, at_db, BATCH_EVENT, body))
        event_id = batch_id
        for case, cid, number in zip(cases, ids, numbers, strict=True):
            event_id += 1
            payload = {
                "version": 1,
                "number": number,
                "batch_event": batch_id,
                "source": info.source,
                "external_id": case.external_id,
                "line": case.line,
                "received_at": case.received_at.isoformat(),
                "closed_at": case.closed_at.isoformat() if case.closed_at else None,
                "status": Status.CLOSED.value if case.closed else Status.NEW.value,
                "os_user": who.os_user,
            }
            body = audit.event_body(
                event_id, cid, who.owner_id, at_text, IMPORTED, self.dumps(payload)
            )
            events.append((event_id, cid, who.owner_id, at_db, IMPORTED, body))
        linked, last_hash = link_events(events, head.last_hash or audit.GENESIS)
        conn.exec_driver_sql(values.sql["case_event"], linked)
        head.last_event_id = event_id
        if s.get_bind().dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_notify(:c, '')"), {"c": audit.NOTIFY_CHANNEL})
        return last_hash
