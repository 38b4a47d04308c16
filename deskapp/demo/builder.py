"""The second pass of the demo: a chunk of cases' stories replayed into rows.

Pure computation: nothing here reads the database, so chunks can be built in other processes.
Each case goes through the desk's own rules: the workflow table says what each action does to
the state and the promises, `deskapp.milestones` meets, pauses, resumes and cancels them, the
SLA policy plans them, and every action becomes one event in `deskapp.audit`'s form.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Dialect

from deskapp import audit, sla, workflow
from deskapp import milestones as ms
from deskapp.demo.catalogue import callers, stories
from deskapp.demo.people import Roster
from deskapp.demo.rows import COMPLAINT_INSTANTS, Values, complaint_values
from deskapp.demo.story import Draft, cumulative, pick
from deskapp.domain import (
    TERMINAL_STATUSES,
    Category,
    Channel,
    MilestoneKind,
    RiskFlag,
    Severity,
    Status,
    format_flags,
)

K = MilestoneKind
NEW = Status.NEW.value
TERMINAL = frozenset(s.value for s in TERMINAL_STATUSES)
#: Milestones each action starts (resolve starts feedback, feedback starts the revisit).
STARTS: dict[str, int] = {a: len(t.starts) for a, t in workflow.TRANSITIONS.items()}
SPOKEN = frozenset({Channel.PHONE, Channel.WALK_IN})
#: An event before it joins the chain: id, complaint id, actor id, the instant as the database
#: takes it, kind, and the body (`audit.event_body`) its hash covers after the previous hash.
Event = tuple[int, int, int | None, Any, str, str]
SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (3, 5, 14, 38, 40)
#: Which department owns each root cause, with weights.
CATEGORY_DEPTS: dict[Category, tuple[tuple[str, int], ...]] = {
    Category.QUALITY: (("QA", 6), ("PROD", 3), ("PUR", 1)),
    Category.DELIVERY: (("LOG", 1),),
    Category.ATTITUDE: (("CS", 3), ("SALES", 1)),
    Category.BILLING: (("FIN", 3), ("SALES", 2)),
    Category.POLICY: (("SALES", 1), ("CS", 1)),
    Category.OTHER: (("CS", 3), ("PUR", 1)),
}


@dataclass(slots=True)
class MilestoneRow:
    """A milestone row in memory; its attributes are `deskapp.milestones.Row`'s, so the desk's
    own rules meet, pause, resume and cancel it."""

    kind: str
    budget_minutes: float
    calendar: str
    started_at: datetime
    due_at: datetime
    paused_at: datetime | None = None
    paused_seconds: float = 0.0
    met_at: datetime | None = None
    cancelled: bool = False
    is_open: bool = True


def _json(value: Any) -> Any:
    """Dates and amounts as `deskapp.audit`'s encoder writes them."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True, slots=True)
class Case:
    """One case for the builder: its story, identity and customer."""

    draft: Draft
    complaint_id: int
    number: str
    customer_id: int
    name: str
    phone: str
    email: str
    vip: bool
    repeat: bool


def counts(d: Draft) -> tuple[int, int]:
    """How many events and milestones a case's story produces, known before it is built, so
    each chunk gets its own block of ids."""
    started = sum(STARTS[action] for action, _ in d.steps)
    return 1 + len(d.steps), len(sla.INTAKE_MILESTONES) + started


@dataclass(frozen=True)
class Part:
    """A chunk of consecutive cases and the first ids reserved for its rows."""

    index: int
    cases: list[Case]
    first_event_id: int
    first_milestone_id: int
    events: int
    milestones: int


# -- second pass: the rows of a chunk of cases, in any process ------------------------------------


@dataclass
class Chunk:
    """A chunk's rows, ready for the driver but for the event hashes, which chain across
    chunks and so are added by the main process in order."""

    complaints: list[tuple[Any, ...]] = field(default_factory=list)
    milestones: list[tuple[Any, ...]] = field(default_factory=list)
    assists: list[tuple[int, int]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


class Builder:
    """Turns stories into rows. Pure computation: nothing here reads the database, so chunks can
    be built in other processes."""

    def __init__(
        self,
        seed: int,
        roster: Roster,
        policy: sla.SlaPolicy,
        calendars: sla.CalendarSet,
        dialect: Dialect,
    ) -> None:
        self.seed = seed
        self.roster = roster
        self.planner = sla.Planner(policy, calendars)
        self.warn_fraction = policy.warn_fraction
        self.values = Values(dialect)
        self.dumps = audit.canonical_encoder()
        self.stories = stories()
        self.callers = callers()
        self._depts = {c: cumulative(w) for c, w in CATEGORY_DEPTS.items()}
        self.rng = random.Random(seed)
        self.event_id = self.milestone_id = 0

    def chunk(self, part: Part) -> Chunk:
        # Each chunk has its own stream of choices and its own block of ids, so the desk is the
        # same whichever process builds which chunk.
        self.rng = random.Random(f"{self.seed}/{part.index}")
        self.event_id = part.first_event_id - 1
        self.milestone_id = part.first_milestone_id - 1
        out = Chunk()
        for case in part.cases:
            self.build(case, out)
        self.values.forget()
        return out

    def event(
        self,
        out: Chunk,
        complaint_id: int,
        actor_id: int | None,
        at: datetime,
        kind: str,
        payload: dict[str, Any],
    ) -> None:
        self.event_id += 1
        body = audit.event_body(
            self.event_id,
            complaint_id,
            actor_id,
            self.values.iso(at),
            kind,
            self.dumps(payload),
        )
        out.events.append(
            (self.event_id, complaint_id, actor_id, self.values.instant(at), kind, body)
        )

    def milestone(
        self, kind: MilestoneKind, severity: Severity, vip: bool, start: datetime
    ) -> MilestoneRow:
        p = self.planner.plan(kind, severity, vip, start)
        return MilestoneRow(p.kind.value, p.budget_minutes, p.calendar, p.started_at, p.due_at)

    def build(self, case: Case, out: Chunk) -> None:
        """Replay one case's story through the workflow's effects and emit its rows."""
        rng, roster, values = self.rng, self.roster, self.values
        d = case.draft
        complaint_id, number, vip = case.complaint_id, case.number, case.vip
        flags = set(d.flags)
        if case.repeat:
            flags.add(RiskFlag.REPEAT)
        if vip:
            flags.add(RiskFlag.VIP)
        chinese = not case.phone.startswith("+")
        product_zh, product_en, sku = rng.choice(self.stories.products)
        created = d.created_at
        order = f"SO{number[5:9]}{rng.randrange(10**6):06d}"
        amount = d.amount if d.amount is not None else Decimal(rng.randrange(5, 200) * 10)
        subject_t, description_t, demand_t = rng.choice(
            (self.stories.templates_zh if chinese else self.stories.templates_en)[d.category]
        )
        fill = {
            "p": product_zh if chinese else product_en,
            "o": order,
            "d": rng.randrange(2, 16),
            "a": amount,
        }
        place = rng.choice(self.callers.places_zh if chinese else self.callers.places_en)
        evidence = rng.choice(self.callers.evidence)
        owner = roster.desk_agent if rng.random() < 0.12 else rng.choice(roster.agents)
        channel, category, severity = d.channel.value, d.category.value, d.severity.value
        c: dict[str, Any] = {
            "id": complaint_id,
            "number": number,
            "channel": channel,
            "customer_id": case.customer_id,
            "subject": subject_t.format(**fill),
            "description": description_t.format(**fill),
            "demand": demand_t.format(**fill),
            "occurred_at": created - timedelta(hours=rng.randrange(1, 24 * 6)),
            "place": place,
            "order_ref": order,
            "product_ref": f"{sku}-{rng.randrange(1, 5)}",
            "evidence": evidence,
            "category": category,
            "claim_type": d.claim_type.value,
            "severity": severity,
            "flags": format_flags(flags),
            "status": NEW,
            "is_open": True,
            "next_due_at": None,
            "next_kind": "",
            "next_calendar": "",
            "next_warn_at": None,
            "first_owner_id": owner,
            "primary_dept_id": None,
            "assignee_id": None,
            "escalation_level": 0,
            "reject_reason": "",
            "root_cause": "",
            "remedy": "",
            "remedy_types": "",
            "root_cause_category": "",
            "compensation_amount": None,
            "plan_proposed_by_id": None,
            "legal_cleared": False,
            "compensation_approved_by_id": None,
            "customer_confirmed_at": None,
            "satisfaction": None,
            "satisfaction_comment": "",
            "resume_status": "",
            "departments_left": "",
            "reopen_count": 0,
            "version": 1,
            "created_at": created,
            "updated_at": created,
            "updated_by_id": owner,
        }
        rows = [self.milestone(kind, d.severity, vip, created) for kind in sla.INTAKE_MILESTONES]
        acknowledged = d.channel in SPOKEN and rng.random() < 0.6
        if acknowledged:
            ms.meet(rows, (K.ACKNOWLEDGE,), created)
        fields = {
            "phone": case.phone,
            "name": case.name,
            "subject": c["subject"],
            "description": c["description"],
            "demand": c["demand"],
            "email": case.email,
            "place": place,
            "order_ref": order,
            "product_ref": c["product_ref"],
            "evidence": evidence,
        }
        promised = next(r.due_at for r in rows if r.kind == K.CONTACT)
        self.event(
            out,
            complaint_id,
            owner,
            created,
            "intake",
            {
                "version": 1,
                "number": number,
                "fields": {k: v for k, v in fields.items() if v},
                "channel": channel,
                "category": category,
                "severity": severity,
                "flags": c["flags"],
                "acknowledged": acknowledged,
                "overrides": {},
                "promised_reply_at": promised.isoformat(),
            },
        )

        dept = pick(self.rng, self._depts[d.category])
        handler = rng.choice(roster.handlers[dept])
        assists: list[int] = []
        changes: dict[str, list[Any]] = {}

        def put(name: str, value: Any) -> None:
            """Change a tracked field, keeping its before/after for the event as
            `deskapp.cases` does."""
            old = c[name]
            if old != value:
                c[name] = value
                changes[name] = [_json(old), _json(value)]

        for action, at in d.steps:
            changes = {}
            extra: dict[str, Any] = {}
            actor = owner
            handling = c["assignee_id"] or handler
            if action == "reject":
                extra["reason"] = rng.choice(self.stories.reject_reasons)
                put("reject_reason", extra["reason"])
            elif action == "dispatch":
                put("primary_dept_id", roster.dept_ids[dept])
                if rng.random() < 0.7:
                    put("assignee_id", handler)
                if rng.random() < 0.1:
                    helper = rng.choice([x for x in roster.dept_ids if x != dept])
                    assists = [roster.dept_ids[helper]]
                    extra["assisting"] = assists
            elif action == "transfer":
                actor = roster.managers.get(dept, roster.supervisor)
                put("departments_left", str(c["primary_dept_id"]))
                dept = rng.choice([x for x in roster.dept_ids if x != dept and roster.handlers[x]])
                handler = rng.choice(roster.handlers[dept])
                put("primary_dept_id", roster.dept_ids[dept])
                put("assignee_id", None)
                assists = [a for a in assists if a != c["primary_dept_id"]]
                extra["reason"] = rng.choice(self.stories.transfer_reasons)
            elif action == "start_investigation":
                actor = handling
                put("assignee_id", handling)
            elif action == "record_contact":
                actor = handling
                extra["contact"] = {
                    "mode": "phone",
                    "outcome": rng.choice(self.stories.contact_outcomes),
                }
            elif action == "pend_customer":
                actor = handling
                extra["reason"] = rng.choice(self.stories.pend_reasons)
            elif action == "customer_answered":
                actor = handling
            elif action == "propose_plan":
                actor = handling
                remedy, kinds = rng.choice(self.stories.remedies)
                cause, where = rng.choice(self.stories.root_causes)
                put("remedy", remedy)
                put("remedy_types", kinds)
                put("root_cause", cause)
                put("root_cause_category", where)
                put("compensation_amount", d.amount)
                put("plan_proposed_by_id", actor)
            elif action in ("send_to_legal", "request_approval"):
                actor = c["plan_proposed_by_id"]
            elif action == "legal_approve":
                actor = rng.choice(roster.legal)
                put("legal_cleared", True)
            elif action == "approve_compensation":
                manager = roster.managers.get(dept)
                covers = manager is not None and (d.amount or 0) <= roster.limits[manager]
                actor = manager if covers and manager is not None else roster.executive
                put("compensation_approved_by_id", actor)
            elif action == "resolve":
                actor = c["plan_proposed_by_id"]
            elif action == "confirm":
                put("customer_confirmed_at", at)
            elif action == "revisit":
                put("satisfaction", rng.choices(SCORES, SCORE_WEIGHTS)[0])
                comment = rng.choice(self.stories.satisfaction_comments)
                put("satisfaction_comment", comment)
                if comment:
                    extra["comment"] = comment
            # What the transition does to the state and the promises, as `Desk.act` applies it.
            t = workflow.TRANSITIONS[action]
            if t.pauses:
                c["resume_status"] = c["status"]
                ms.pause_all(rows, at)
            if t.resumes:
                extra["paused_working_seconds"] = ms.resume_all(rows, at, self.planner.calendars)
                put("status", c["resume_status"])
                c["resume_status"] = ""
            elif t.target is not None:
                put("status", t.target.value)
            met = ms.meet(rows, t.meets, at)
            rows += [self.milestone(kind, d.severity, vip, at) for kind in t.starts]
            if t.ends_case:
                ms.cancel_all(rows)
            c["version"] += 1
            c["updated_at"], c["updated_by_id"] = at, actor
            payload: dict[str, Any] = {"version": c["version"], "changes": changes, **extra}
            if met:
                payload["met"] = met
            self.event(out, complaint_id, actor, at, action, payload)

        is_open = c["status"] not in TERMINAL
        h = (
            ms.head_columns(rows, self.warn_fraction, self.planner.calendars)
            if is_open
            else ms.NO_HEAD
        )
        c["next_due_at"], c["next_kind"] = h.due_at, h.kind
        c["next_calendar"], c["next_warn_at"] = h.calendar, h.warn_at
        for name in COMPLAINT_INSTANTS:
            c[name] = values.instant(c[name])
        c["is_open"] = values.boolean(is_open)
        c["legal_cleared"] = values.boolean(c["legal_cleared"])
        if c["compensation_amount"] is not None:
            c["compensation_amount"] = values.amount(c["compensation_amount"])
        out.complaints.append(complaint_values(c))
        for row in rows:
            self.milestone_id += 1
            out.milestones.append(
                (
                    self.milestone_id,
                    complaint_id,
                    row.kind,
                    row.budget_minutes,
                    row.calendar,
                    values.instant(row.started_at),
                    values.instant(row.due_at),
                    values.instant(row.paused_at),
                    row.paused_seconds,
                    values.instant(row.met_at),
                    values.boolean(row.cancelled),
                    values.boolean(row.is_open),
                )
            )
        for dept_id in assists:
            out.assists.append((complaint_id, dept_id))
