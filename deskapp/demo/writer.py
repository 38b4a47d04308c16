"""The demo's one transaction: stories drawn, rows built (here or in worker processes),
chained and inserted through the session's own connection.

Going through `Desk` case by case would take most of an hour for the 100,000 cases a load test
needs, so the rows are bulk-inserted; on Linux, large desks are built by worker processes while
this process chains the events and inserts.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from deskapp import audit, clock, numbering, seals, sla, workflow
from deskapp.cases import escalations
from deskapp.config import Settings, load_settings
from deskapp.demo.builder import Builder, Case, Chunk, Event, Part, counts
from deskapp.demo.catalogue import people
from deskapp.demo.people import ensure_people
from deskapp.demo.rows import Values
from deskapp.demo.story import Draft, Storyteller
from deskapp.domain import CustomerTier, MilestoneKind
from deskapp.overview import DEMO_EVENT
from deskapp.seals import sql_table
from store import board, library
from store.engine import read_session, write_session
from store.models import AuditHead, Staff

#: Cases built and inserted together: large enough to amortise statements and process hand-overs,
#: small enough that a chunk's rows stay a few tens of megabytes.
BATCH = 5000
VIP = CustomerTier.VIP.value


@dataclass(frozen=True)
class DemoStats:
    cases: int
    customers: int
    staff: int
    events: int
    seconds: float


def has_staff(engine: Engine) -> bool:
    """`deskapp demo --if-empty` must never pile a demo on top of a real desk."""
    with read_session(engine) as s:
        return s.exec(select(Staff.id).limit(1)).first() is not None


def link_events(events: Sequence[Event], last_hash: str) -> tuple[list[tuple[Any, ...]], str]:
    """The `case_event` rows for these events, in id order, continuing the chain from
    `last_hash`; returns them and the new last hash.

    The one step that cannot be spread over processes: each hash covers the one before it.
    """
    rows = []
    prev = last_hash
    chain_hash, payload_text = audit.chain_hash, audit.payload_text
    for event_id, complaint_id, actor_id, at, kind, body in events:
        digest = chain_hash(prev, body)
        # The payload is cut out of the body rather than shipped between processes twice.
        rows.append((event_id, complaint_id, actor_id, at, kind, payload_text(body), prev, digest))
        prev = digest
    return rows, prev


#: The builder forked workers use: set before the pool starts, inherited by the children.
_forked_builder: Builder | None = None


def _build_forked(part: Part) -> Chunk:
    assert _forked_builder is not None, "the demo's worker started without a builder"
    return _forked_builder.chunk(part)


def _fork_context() -> multiprocessing.context.ForkContext | None:
    """Forking starts workers at once and, unlike spawning, never re-runs the caller's script;
    it is only safe without other threads (a lock another thread holds at the fork stays held in
    the child for ever) and is only trusted on Linux (macOS system libraries are not fork-safe).
    The children never touch the inherited database connection."""
    if sys.platform != "linux" or threading.active_count() > 1:
        return None
    return multiprocessing.get_context("fork")


def _chunks(builder: Builder, parts: list[Part], workers: int) -> Iterator[Chunk]:
    """The chunks' rows in order, built here or by `workers` forked processes.

    Building is most of the demo's work and needs nothing from the database, so on a large desk
    the workers build the next chunks while this process chains and inserts.
    """
    global _forked_builder
    context = _fork_context() if workers > 0 and len(parts) > 2 else None
    if context is None:
        for part in parts:
            yield builder.chunk(part)
        return
    _forked_builder = builder
    try:
        with ProcessPoolExecutor(workers, context) as pool:
            pending: deque[Future[Chunk]] = deque()
            ahead = workers + 1  # keeps the workers busy; bounds the rows held in memory
            for part in parts:
                pending.append(pool.submit(_build_forked, part))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        _forked_builder = None


def default_workers() -> int:
    """Worker processes for a large demo: one per core, at most four; none on a single core,
    where shipping rows between processes would only add work."""
    cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(4, cores)


# -- the transaction ------------------------------------------------------------------------


def _max_id(session: Session, table: str) -> int:
    t = sql_table(table)
    return int(session.execute(sa.select(func.coalesce(func.max(t.c.id), 0))).scalar_one())


def reserve_numbers(session: Session, per_day: dict[str, int]) -> dict[str, int]:
    """Advance each day's counter past that day's demo cases with one atomic upsert per day,
    so intakes made afterwards (or meanwhile, on PostgreSQL) continue the sequence instead of
    colliding. Returns the first number of each day's block."""
    table = sql_table("day_sequence")
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    first: dict[str, int] = {}
    for day in sorted(per_day):
        count = per_day[day]
        stmt = (
            insert(table)
            .values(day=day, last=count)
            .on_conflict_do_update(
                index_elements=[table.c.day], set_={"last": table.c.last + count}
            )
            .returning(table.c.last)
        )
        first[day] = int(session.execute(stmt).scalar_one()) - count + 1
    return first


def sync_sequences(session: Session) -> None:
    """Rows went in with explicit ids; PostgreSQL's id sequences must move past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in ("customer", "complaint", "milestone", "note", "case_event"):
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
            )
        )


def _plain_now() -> datetime:
    """The clock's now as a plain datetime (the clock may hand out a pendulum one, whose
    arithmetic is several times slower), cut to whole seconds like the times people type."""
    moment = clock.now().astimezone(UTC)
    return datetime(
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        tzinfo=UTC,
    )


def generate(
    engine: Engine,
    *,
    cases: int,
    seed: int = 7,
    settings: Settings | None = None,
    policy: sla.SlaPolicy | None = None,
    calendars: sla.CalendarSet | None = None,
    workers: int | None = None,
    all_open: bool = False,
    progress: Callable[[int], None] | None = None,
) -> DemoStats:
    """Add `cases` complaints, with the staff, customers, milestones, notes and events they
    need, in one transaction.

    The desk looks like a working day: most cases closed over the past weeks, the open ones
    recent, a few promises at risk or broken. `all_open` puts every case in an open state
    instead, as the queue's load tests want. `progress` is told how many more cases have been
    written, chunk by chunk.

    The same seed and the same clock give the same desk on an empty database, whatever the
    number of `workers` (processes that build rows while this one inserts; default
    `default_workers()`, 0 for none). On a desk that already has cases, the demo's ids and
    numbers follow the existing ones.
    """
    started = time.perf_counter()  # a duration for the report, not a time of day
    settings = settings or load_settings()
    policy = policy or sla.load_policy(settings.sla.policy_file)
    calendars = calendars or sla.CalendarSet(settings.sla.calendar_dirs, provisional=True)
    workers = default_workers() if workers is None else workers
    with write_session(engine) as s:
        # Lock the chain's head first: on PostgreSQL concurrent writers queue behind the demo
        # (on SQLite the write transaction already excludes them).
        head = s.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
        if head is None:
            head = AuditHead(id=1, last_event_id=0, last_hash=audit.GENESIS)
            s.add(head)
            s.flush()
        conn = s.connection()
        values = Values(conn.dialect)
        builder = Builder(seed, ensure_people(s), policy, calendars, conn.dialect)
        teller = Storyteller(
            random.Random(seed),
            _plain_now(),
            workflow.Rules(legal_review_amount=settings.legal_review_amount),
            settings.tz,
            all_open=all_open,
            reports=lambda category, claim: policy.applies(
                MilestoneKind.REPORT, category.value, claim.value
            ),
        )
        drafts = sorted((teller.draft() for _ in range(cases)), key=lambda d: d.created_at)
        first_ids = _Ids(
            complaint=_max_id(s, "complaint") + 1,
            customer=_max_id(s, "customer") + 1,
            event=head.last_event_id + 1,
            milestone=_max_id(s, "milestone") + 1,
            note=_max_id(s, "note") + 1,
        )
        parts, customer_rows = _cast(s, teller, drafts, settings, values, first_ids, policy)
        values.forget()

        last_hash = head.last_hash or audit.GENESIS
        sql = values.sql
        for part, built, new in zip(
            parts, _chunks(builder, parts, workers), customer_rows, strict=True
        ):
            if (len(built.events), len(built.milestones), len(built.notes)) != (
                part.events,
                part.milestones,
                part.notes,
            ):
                raise RuntimeError("deskapp demo: a chunk's rows do not match its reserved ids")
            linked, last_hash = link_events(built.events, last_hash)
            # Parents before children: foreign keys are checked row by row.
            for table, rows in (
                ("customer", new),
                ("complaint", built.complaints),
                ("milestone", built.milestones),
                ("complaint_assist", built.assists),
                ("note", built.notes),
                ("case_event", linked),
            ):
                if rows:
                    conn.exec_driver_sql(sql[table], rows)
            if progress is not None:
                progress(len(part.cases))
        events = sum(part.events for part in parts)
        # Written through the driver: sealed at the commit like the ORM's rows (deskapp.seals).
        for table, column, first in (
            ("customer", "id", first_ids.customer),
            ("complaint", "id", first_ids.complaint),
            ("milestone", "id", first_ids.milestone),
            ("note", "id", first_ids.note),
            ("complaint_assist", "complaint_id", first_ids.complaint),
        ):
            seals.touch_range(s, table, column, first, None)
        head.last_event_id, head.last_hash = first_ids.event + events - 1, last_hash
        s.add(head)
        s.flush()
        sync_sequences(s)
        # The ladder watches the open promises from now: rungs already past are the story's.
        escalations.adopt(s, None, policy, calendars, clock.now())
        board.bump(s, board.recount(s, first_ids.complaint))  # the breach board's tiles
        library.rebuild(s)  # the closed cases, as lessons (案例库)
        # The mark `is_demo` looks for: the sign-in screen then lists the demo accounts.
        audit.append(s, kind=DEMO_EVENT, actor_id=None, payload={"cases": cases, "seed": seed})
        sealed = seals.seal_pending(s)
    new_customers = sum(len(rows) for rows in customer_rows)
    seconds = time.perf_counter() - started
    return DemoStats(cases, new_customers, len(people().staff), events + 1 + sealed, seconds)


@dataclass(frozen=True)
class _Ids:
    """The first id the demo may use in each table."""

    complaint: int
    customer: int
    event: int
    milestone: int
    note: int


Caller = tuple[int, str, str, str, str]  # id, name, phone, email, tier


def _cast(
    s: Session,
    teller: Storyteller,
    drafts: list[Draft],
    settings: Settings,
    values: Values,
    first: _Ids,
    policy: sla.SlaPolicy,
) -> tuple[list[Part], list[list[tuple[Any, ...]]]]:
    """Who complains in each case, its number, and the ids each chunk's rows will take.

    Sequential, since a repeat complaint needs the caller's earlier case and every chunk
    needs to know where its ids start. Returns the chunks and, per chunk, the new customers'
    rows.
    """
    days = [numbering.day_key(d.created_at, settings.tz) for d in drafts]
    per_day: dict[str, int] = {}
    for day in days:
        per_day[day] = per_day.get(day, 0) + 1
    next_seq = reserve_numbers(s, per_day)
    customers_t = sql_table("customer")
    known: dict[str, Caller] = {
        row[2]: (row[0], row[1], row[2], row[3], row[4])
        for row in s.execute(
            sa.select(
                customers_t.c.id,
                customers_t.c.name,
                customers_t.c.phone,
                customers_t.c.email,
                customers_t.c.tier,
            )
        ).all()
    }
    frequent: list[Caller] = []
    last_case: dict[int, datetime] = {}
    window = timedelta(days=settings.repeat_window_days)
    complaint_id, customer_id = first.complaint - 1, first.customer - 1
    event_id, milestone_id, note_id = first.event, first.milestone, first.note
    rng = teller.rng
    parts: list[Part] = []
    customer_rows: list[list[tuple[Any, ...]]] = []
    for start in range(0, len(drafts), BATCH):
        chunk: list[Case] = []
        new: list[tuple[Any, ...]] = []
        events = milestones = notes = 0
        for d, day in zip(drafts[start : start + BATCH], days[start : start + BATCH], strict=True):
            if frequent and rng.random() < 0.2:
                who = rng.choice(frequent)
            else:
                customer_id += 1
                fresh = teller.customer(customer_id, d.created_at)
                who = known.get(fresh["phone"]) or (
                    customer_id,
                    fresh["name"],
                    fresh["phone"],
                    fresh["email"],
                    fresh["tier"],
                )
                if who[0] == customer_id:
                    new.append(
                        (
                            customer_id,
                            fresh["name"],
                            fresh["phone"],
                            fresh["other_phones"],
                            fresh["email"],
                            fresh["tier"],
                            values.instant(fresh["created_at"]),
                        )
                    )
                if rng.random() < 0.08:
                    frequent.append(who)
            previous = last_case.get(who[0])
            last_case[who[0]] = d.created_at
            complaint_id += 1
            chunk.append(
                Case(
                    d,
                    complaint_id,
                    numbering.format_number(day, next_seq[day]),
                    who[0],
                    who[1],
                    who[2],
                    who[3],
                    who[4] == VIP,
                    previous is not None and d.created_at - previous <= window,
                )
            )
            next_seq[day] += 1
            n_events, n_milestones, n_notes = counts(d, policy)
            events += n_events
            milestones += n_milestones
            notes += n_notes
        parts.append(
            Part(len(parts), chunk, event_id, milestone_id, note_id, events, milestones, notes)
        )
        customer_rows.append(new)
        event_id += events
        milestone_id += milestones
        note_id += notes
    return parts, customer_rows
