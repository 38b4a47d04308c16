"""The second pass of the demo: a chunk of cases' stories replayed into rows.

Pure computation: nothing here reads the database, so chunks can be built in other processes.
Each case goes through the desk's own rules: the workflow table says what each action does to
the state and the promises, `deskapp.milestones` meets, pauses, resumes and cancels them, the
SLA policy plans them, and every action and note becomes one event in `deskapp.audit`'s form,
with the payload `Desk.act`, `Desk.add_note` and `Desk.intake` would record.
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
from deskapp.demo.catalogue import callers, people, stories
from deskapp.demo.people import Roster
from deskapp.demo.rows import COMPLAINT_INSTANTS, UNTOUCHED_COMPLAINT, Values, complaint_values
from deskapp.demo.story import NOTES, Draft
from deskapp.demo.words import CaseWords
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
STARTS: dict[str, tuple[MilestoneKind, ...]] = {
    a: t.starts for a, t in workflow.TRANSITIONS.items() if t.starts
}
#: The state each action leads to, as the stored string (an enum's `.value` is a property call,
#: and the demo asks a million times).
TARGETS: dict[str, str | None] = {
    a: None if t.target is None else t.target.value for a, t in workflow.TRANSITIONS.items()
}
KINDS: dict[MilestoneKind, str] = {k: k.value for k in MilestoneKind}
#: What the quality department's investigation report says in the demo, by language.
REPORT_TEXT = {
    True: "拆机检测完成：故障件已送检，结论见根本原因分析。",
    False: "Inspected: the faulty part has gone to the lab; see the root-cause analysis.",
}
SPOKEN = frozenset({Channel.PHONE, Channel.WALK_IN})
WRITTEN = frozenset({Channel.EMAIL, Channel.LETTER})
#: An event before it joins the chain: id, complaint id, actor id, the instant as the database
#: takes it, kind, and the body (`audit.event_body`) its hash covers after the previous hash.
Event = tuple[int, int | None, int | None, Any, str, str]
SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (3, 5, 14, 38, 40)
CENT = Decimal("0.01")
#: How often the documented `agent` account takes a complaint beside its share as one of the
#: agents: enough that its queue shows every kind of case, not so much that it drowns.
DESK_AGENT_SHARE = 0.05


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
    provisional: bool = False


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


def counts(d: Draft, policy: sla.SlaPolicy) -> tuple[int, int, int]:
    """How many events, milestones and notes a case's story produces, known before it is
    built, so each chunk gets its own block of ids."""
    notes = sum(1 for step, _ in d.steps if step in NOTES)
    category, claim = d.category.value, d.claim_type.value
    started = sum(
        sum(policy.applies(kind, category, claim) for kind in STARTS[step])
        for step, _ in d.steps
        if step in STARTS
    )
    return 1 + len(d.steps), len(sla.INTAKE_MILESTONES) + started, notes


@dataclass(frozen=True)
class Part:
    """A chunk of consecutive cases and the first ids reserved for its rows."""

    index: int
    cases: list[Case]
    first_event_id: int
    first_milestone_id: int
    first_note_id: int
    events: int
    milestones: int
    notes: int


# -- second pass: the rows of a chunk of cases, in any process ------------------------------------


@dataclass
class Chunk:
    """A chunk's rows, ready for the driver but for the event hashes, which chain across
    chunks and so are added by the main process in order."""

    complaints: list[tuple[Any, ...]] = field(default_factory=list)
    milestones: list[tuple[Any, ...]] = field(default_factory=list)
    assists: list[tuple[int, int]] = field(default_factory=list)
    notes: list[tuple[Any, ...]] = field(default_factory=list)
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
        self.dept_names = {d.code: (d.name, d.name_en or d.name) for d in people().departments}
        # Where a case of each category could plausibly be sent before its cause is known:
        # the departments its stories' causes lie with, and customer service.
        self._first_guess = {
            category: sorted(
                ({cause.department for s in told for cause in s.causes} | {"CS"})
                & {code for code, ids in roster.handlers.items() if ids}
            )
            for category, told in self.stories.by_category.items()
        }
        self.rng = random.Random(seed)
        self.event_id = self.milestone_id = self.note_id = 0

    def chunk(self, part: Part) -> Chunk:
        # Each chunk has its own stream of choices and its own block of ids, so the desk is the
        # same whichever process builds which chunk.
        self.rng = random.Random(f"{self.seed}/{part.index}")
        self.event_id = part.first_event_id - 1
        self.milestone_id = part.first_milestone_id - 1
        self.note_id = part.first_note_id - 1
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

    def _elsewhere(self, category: Category, dept: str) -> list[str]:
        """Departments other than `dept` a case of this category could plausibly go to."""
        found = [x for x in self._first_guess[category] if x != dept]
        return found or [x for x, ids in self.roster.handlers.items() if ids and x != dept]

    def milestone(
        self, kind: MilestoneKind, severity: Severity, vip: bool, start: datetime
    ) -> MilestoneRow:
        p = self.planner.plan(kind, severity, vip, start)
        row = MilestoneRow(KINDS[p.kind], p.budget_minutes, p.calendar, p.started_at, p.due_at)
        row.provisional = self.planner.calendars.get(p.calendar).is_provisional(p.due_at)
        return row

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
        created = d.created_at
        order = f"SO{number[5:9]}{rng.randrange(10**6):06d}"
        compensation = d.amount.quantize(CENT) if d.amount is not None else None
        mentioned = d.amount if d.amount is not None else Decimal(rng.randrange(5, 200) * 10)
        words = CaseWords(
            rng, self.stories, d.category, chinese=chinese, order=order, amount=mentioned
        )
        place = rng.choice(self.callers.places_zh if chinese else self.callers.places_en)
        evidence = rng.choice(self.callers.evidence)
        owner = roster.desk_agent if rng.random() < DESK_AGENT_SHARE else rng.choice(roster.agents)
        channel, category, severity = d.channel.value, d.category.value, d.severity.value
        c: dict[str, Any] = {
            "id": complaint_id,
            "number": number,
            "channel": channel,
            "customer_id": case.customer_id,
            "subject": words.subject(),
            "description": words.description(),
            "demand": words.demand(d.claim_type),
            "occurred_at": created - timedelta(hours=rng.randrange(1, 24 * 6)),
            "place": place,
            "order_ref": order,
            "product_ref": f"{words.sku}-{rng.randrange(1, 5)}",
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
            **UNTOUCHED_COMPLAINT,
            "source": "",
            "external_id": "",
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
                "claim_type": c["claim_type"],
                "severity": severity,
                "flags": c["flags"],
                "acknowledged": acknowledged,
                "overrides": {},
                "promised_reply_at": promised.isoformat(),
            },
        )

        # The case leads to the department where its cause lies; a transferred case went
        # somewhere plausible first.
        dept = words.department
        if any(step == "transfer" for step, _ in d.steps):
            dept = rng.choice(self._elsewhere(d.category, words.department))
        handler = rng.choice(roster.handlers[dept])
        assists: list[int] = []
        changes: dict[str, list[Any]] = {}
        remedy = ""
        reviewer = roster.legal[0]

        def put(name: str, value: Any) -> None:
            """Change a tracked field, keeping its before/after for the event as
            `deskapp.cases` does."""
            old = c[name]
            if old != value:
                c[name] = value
                changes[name] = [_json(old), _json(value)]

        for step, at in d.steps:
            handling = c["assignee_id"] or handler
            if step in NOTES:
                author = owner if step == "note.intake" else handling
                if step == "note.legal":
                    author = reviewer
                body, facing = words.note(step, flags, remedy)
                self.note_id += 1
                out.notes.append(
                    (
                        self.note_id,
                        complaint_id,
                        author,
                        values.instant(at),
                        body,
                        values.boolean(facing),
                    )
                )
                c["version"] += 1
                c["updated_at"], c["updated_by_id"] = at, author
                note = {"note_id": self.note_id, "customer_facing": facing, "body": body}
                self.event(out, complaint_id, author, at, "note", {"version": c["version"], **note})
                continue
            changes = {}
            extra: dict[str, Any] = {}
            actor = owner
            if step == "reject":
                extra["reason"] = words.reject_reason(d.claim_type)
                put("reject_reason", extra["reason"])
            elif step == "dispatch":
                put("primary_dept_id", roster.dept_ids[dept])
                if rng.random() < 0.7:
                    put("assignee_id", handler)
                if rng.random() < 0.1:
                    helper = rng.choice(self._elsewhere(d.category, dept))
                    assists = [roster.dept_ids[helper]]
                    extra["assisting"] = assists
            elif step == "transfer":
                actor = roster.managers.get(dept, roster.supervisor)
                put("departments_left", str(c["primary_dept_id"]))
                dept = words.department
                handler = rng.choice(roster.handlers[dept])
                put("primary_dept_id", roster.dept_ids[dept])
                put("assignee_id", None)
                assists = [a for a in assists if a != c["primary_dept_id"]]
                extra["reason"] = words.transfer_reason(self.dept_names[dept])
            elif step == "start_investigation":
                actor = handling
                put("assignee_id", handling)
            elif step == "record_contact":
                actor = handling
                written = d.channel in WRITTEN and rng.random() < 0.5
                mode = "written" if written else "phone"
                extra["contact"] = {"mode": mode, "outcome": words.contact_outcome()}
            elif step == "pend_customer":
                actor = handling
                extra["reason"] = words.pending_reason()
            elif step == "customer_answered":
                actor = handling
            elif step == "submit_report":
                actor = handling
                extra["report"] = REPORT_TEXT[chinese]
            elif step == "record_root_cause":
                actor = handling
                where, whys = words.root_cause()
                put("root_cause_category", where.value)
                put("root_cause", whys)
            elif step == "propose_plan":
                actor = handling
                remedy, kinds = words.plan(compensation)
                put("remedy", remedy)
                put("remedy_types", " ".join(k.value for k in kinds))
                put("compensation_amount", compensation)
                put("plan_proposed_by_id", actor)
            elif step in ("send_to_legal", "request_approval", "resolve"):
                actor = c["plan_proposed_by_id"]
            elif step == "legal_approve":
                actor = reviewer = rng.choice(roster.legal)
                put("legal_cleared", True)
            elif step == "approve_compensation":
                manager = roster.managers.get(dept)
                covers = manager is not None and (d.amount or 0) <= roster.limits[manager]
                actor = manager if covers and manager is not None else roster.executive
                put("compensation_approved_by_id", actor)
            elif step == "confirm":
                put("customer_confirmed_at", at)
            elif step == "give_feedback":  # as the step records it; no draw from the rng
                extra["told_by"] = "email" if d.channel in WRITTEN else "phone"
            elif step == "revisit":
                score = rng.choices(SCORES, SCORE_WEIGHTS)[0]
                comment = words.comment(score)
                put("satisfaction", score)
                put("satisfaction_comment", comment)
                if comment:
                    extra["comment"] = comment
            # What the transition does to the state and the promises, as `Desk.act` applies it.
            t = workflow.TRANSITIONS[step]
            if t.pauses:
                c["resume_status"] = c["status"]
                ms.pause_all(rows, at)
            if t.resumes:
                extra["paused_working_seconds"] = ms.resume_all(rows, at, self.planner.calendars)
                put("status", c["resume_status"])
                c["resume_status"] = ""
            elif TARGETS[step] is not None:
                put("status", TARGETS[step])
            met = ms.meet(rows, t.meets, at) if t.meets else None
            applies = self.planner.policy.applies
            starts = [k for k in t.starts if applies(k, d.category, d.claim_type)]
            rows += [self.milestone(kind, d.severity, vip, at) for kind in starts]
            if t.ends_case:
                ms.cancel_all(rows)
            c["version"] += 1
            c["updated_at"], c["updated_by_id"] = at, actor
            payload: dict[str, Any] = {"version": c["version"], "changes": changes, **extra}
            if met:
                payload["met"] = met
            self.event(out, complaint_id, actor, at, step, payload)

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
                    values.boolean(row.provisional),
                )
            )
        for dept_id in assists:
            out.assists.append((complaint_id, dept_id))
