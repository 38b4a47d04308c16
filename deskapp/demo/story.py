"""The first pass of the demo: each case's fate and timeline, and who complains.

Sequential, in the main process, because numbers, ids and repeat complaints follow creation
order across the whole desk. What a case is about (the words) is decided later, by the builder,
in whichever process builds it.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from itertools import accumulate
from typing import Any, TypeVar

from deskapp import workflow
from deskapp.demo.catalogue import callers
from deskapp.domain import (
    LEGAL_REVIEW_FLAGS,
    Category,
    Channel,
    ClaimType,
    CustomerTier,
    RiskFlag,
    Severity,
    Status,
)
from store.phones import normal_phone

S = Status

#: How far back the demo desk's history reaches.
HISTORY_DAYS = 30

SEVERITY_WEIGHTS = ((Severity.A, 10), (Severity.B, 30), (Severity.C, 60))
CHANNEL_WEIGHTS = (
    (Channel.PHONE, 35),
    (Channel.CHAT, 20),
    (Channel.EMAIL, 14),
    (Channel.SOCIAL, 12),
    (Channel.WALK_IN, 9),
    (Channel.LETTER, 4),
    (Channel.REGULATOR, 6),
)
CATEGORY_WEIGHTS = (
    (Category.QUALITY, 34),
    (Category.DELIVERY, 24),
    (Category.ATTITUDE, 12),
    (Category.BILLING, 12),
    (Category.POLICY, 10),
    (Category.OTHER, 8),
)
#: How often a complaint of each category claims compensation: a broken product or a lost
#: parcel often does, a question about the app rarely.
CLAIM_SHARE: dict[Category, float] = {
    Category.QUALITY: 0.30,
    Category.DELIVERY: 0.25,
    Category.ATTITUDE: 0.20,
    Category.BILLING: 0.20,
    Category.POLICY: 0.10,
    Category.OTHER: 0.05,
}
#: Demands beyond any rule, most of them rejected.
UNJUSTIFIED_SHARE = 0.03
#: Complaints registered per local hour of the day (0–23), relative: while the desk is staffed
#: (08:00–22:00), most in office hours.
HOURLY = (0, 0, 0, 0, 0, 0, 0, 0, 8, 10, 10, 10, 8, 8, 10, 10, 10, 9, 7, 6, 5, 4, 0, 0)

#: Minutes from the previous step to this one, before the severity factor.
DELAYS: dict[str, tuple[int, int]] = {
    "accept": (1, 45),
    "reject": (10, 240),
    "dispatch": (5, 90),
    "transfer": (60, 600),
    "start_investigation": (10, 240),
    "record_contact": (15, 300),
    "pend_customer": (60, 1440),
    "customer_answered": (120, 2880),
    "submit_report": (60, 300),
    "record_root_cause": (30, 480),
    "propose_plan": (60, 960),
    "send_to_legal": (10, 240),
    "legal_approve": (60, 1440),
    "request_approval": (10, 240),
    "approve_compensation": (60, 1440),
    "resolve": (60, 1440),
    "confirm": (10, 480),
    "give_feedback": (30, 480),
    "revisit": (120, 1440),
    "close": (10, 240),
    "note.intake": (1, 15),
    "note.update": (2, 30),
    "note.investigating": (30, 600),
    "note.reminder": (60, 1440),
    "note.legal": (2, 30),
    "note.plan": (2, 60),
    "note.done": (5, 120),
}
#: The notes people write after an action (none: at registration) and how often they do.
NOTES_AFTER: dict[str, tuple[str, float]] = {
    "": ("note.intake", 0.35),
    "start_investigation": ("note.investigating", 0.5),
    "record_contact": ("note.update", 0.75),
    "pend_customer": ("note.reminder", 0.6),
    "legal_approve": ("note.legal", 0.5),
    "propose_plan": ("note.plan", 0.6),
    "resolve": ("note.done", 0.6),
}
#: Urgent cases move faster and are noticed sooner.
PACE: dict[Severity, float] = {Severity.A: 0.3, Severity.B: 0.6, Severity.C: 1.0}
#: The share of steps that wait much longer than usual (`LATE` times): the promises a working
#: desk breaks.
LATE_SHARE = 0.05
LATE = 4.0

#: When people are at work: the desk (agents) 08:00–22:00 every day, the departments 09:00–18:00
#: on weekdays; customers answer 08:00–22:00. Local wall-clock seconds, and weekdays only.
Duty = tuple[int, int, bool]
DESK: Duty = (8 * 3600, 22 * 3600, False)
OFFICE: Duty = (9 * 3600, 18 * 3600, True)
CUSTOMER: Duty = DESK
DUTY: dict[str, Duty] = {
    **dict.fromkeys(
        (
            "accept",
            "reject",
            "dispatch",
            "give_feedback",
            "revisit",
            "close",
            "note.intake",
        ),
        DESK,
    ),
    **dict.fromkeys(("customer_answered", "confirm"), CUSTOMER),
}

#: The old everything-open desk (`all_open`): the state each case is in, and how long it has sat
#: there (hours, before the severity factor).
OPEN_WEIGHTS: tuple[tuple[Status, int], ...] = (
    (S.NEW, 5),
    (S.ACCEPTED, 4),
    (S.DISPATCHED, 6),
    (S.INVESTIGATING, 15),
    (S.PENDING_CUSTOMER, 6),
    (S.PLAN_PROPOSED, 6),
    (S.LEGAL_REVIEW, 2),
    (S.COMPENSATION_APPROVAL, 3),
    (S.RESOLVED, 6),
    (S.FEEDBACK_GIVEN, 5),
    (S.REVISITED, 4),
)
IDLE_HOURS: dict[Status, float] = {
    S.NEW: 3,
    S.ACCEPTED: 4,
    S.DISPATCHED: 8,
    S.INVESTIGATING: 72,
    S.PENDING_CUSTOMER: 96,
    S.PLAN_PROPOSED: 48,
    S.LEGAL_REVIEW: 48,
    S.COMPENSATION_APPROVAL: 48,
    S.RESOLVED: 30,
    S.FEEDBACK_GIVEN: 100,
    S.REVISITED: 48,
}
VIP = CustomerTier.VIP.value

T = TypeVar("T")
Table = tuple[list[T], list[int]]


def cumulative(pairs: Sequence[tuple[T, int]]) -> Table[T]:
    """Values and their running weights, for `pick`."""
    return [p for p, _ in pairs], list(accumulate(w for _, w in pairs))


def pick(rng: random.Random, table: Table[T]) -> T:
    """A weighted choice with one random number (`random.choices` costs several)."""
    values, cum = table
    return values[bisect_right(cum, rng.random() * cum[-1])]


#: The steps that are notes rather than workflow actions.
NOTES = frozenset(note for note, _ in NOTES_AFTER.values())


@dataclass(slots=True)
class Draft:
    """What happens to a case and when, before it has a customer and a number: the workflow
    actions and notes taken on it up to now, each with its instant."""

    created_at: datetime
    severity: Severity
    channel: Channel
    category: Category
    claim_type: ClaimType
    flags: set[RiskFlag]
    amount: Decimal | None
    steps: list[tuple[str, datetime]] = field(default_factory=list)


class Storyteller:
    """Decides each case's fate and timeline, and who complains.

    A working desk: each case arrives at some time in the last `HISTORY_DAYS` days and is
    worked towards its end (closed, or rejected) at the pace of its severity, by people who
    keep office hours; what has not happened by now has not happened. So old cases are closed,
    the open ones are recent, and the promises broken are the few whose next step ran late.
    With `all_open`, every case is instead put in an open state, as load tests want.
    """

    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        rules: workflow.Rules,
        tz: tzinfo,
        *,
        all_open: bool = False,
        reports: Callable[[Category, ClaimType], bool] = lambda _category, _claim: False,
    ) -> None:
        self.rng = rng
        #: Whether the policy asks this kind of case for an investigation report.
        self.reports = reports
        self.now = now
        self.rules = rules
        self.all_open = all_open
        self._now_ts = now.timestamp()
        offset = now.astimezone(tz).utcoffset()
        self._offset = offset.total_seconds() if offset is not None else 0.0
        self._today = int((self._now_ts + self._offset) // 86400)
        self._open = cumulative(OPEN_WEIGHTS)
        self._severity = cumulative(SEVERITY_WEIGHTS)
        self._channel = cumulative(CHANNEL_WEIGHTS)
        self._category = cumulative(CATEGORY_WEIGHTS)
        self._hours = cumulative(list(enumerate(HOURLY)))
        self._callers = callers()

    def draft(self) -> Draft:
        rng = self.rng
        severity = pick(rng, self._severity)
        channel = pick(rng, self._channel)
        category = pick(rng, self._category)
        status = pick(rng, self._open) if self.all_open else None
        flags: set[RiskFlag] = set()
        if channel is Channel.REGULATOR or (severity is Severity.A and rng.random() < 0.15):
            flags.add(RiskFlag.REGULATOR)
        if severity is Severity.A and rng.random() < 0.3:
            flags.add(rng.choice((RiskFlag.LEGAL, RiskFlag.MEDIA)))
        elif severity is Severity.B and rng.random() < 0.05:
            flags.add(RiskFlag.LEGAL)
        if category is Category.QUALITY and rng.random() < 0.05:
            flags.add(RiskFlag.BATCH)
        r = rng.random()
        claims = CLAIM_SHARE[category]
        claim = (
            ClaimType.COMPENSATION
            if r < claims
            else ClaimType.UNJUSTIFIED
            if r < claims + UNJUSTIFIED_SHARE
            else ClaimType.GENERAL
        )
        if status is S.COMPENSATION_APPROVAL:
            claim = ClaimType.COMPENSATION
        amount = None
        if claim is ClaimType.COMPENSATION:
            top = 12000 if severity is Severity.A else 4000 if severity is Severity.B else 1500
            amount = Decimal(rng.randrange(5, top // 10 + 1) * 10)
        if status is S.LEGAL_REVIEW and not flags & LEGAL_REVIEW_FLAGS:
            flags.add(RiskFlag.LEGAL)
        needs_legal = bool(flags & LEGAL_REVIEW_FLAGS) or (
            (amount or 0) > self.rules.legal_review_amount
        )
        if status is None:
            rejected = rng.random() < (0.75 if claim is ClaimType.UNJUSTIFIED else 0.02)
            status = S.REJECTED if rejected else S.CLOSED
        path = self._path(status, needs_legal, amount is not None)
        if self.reports(category, claim) and "start_investigation" in path:
            path.insert(path.index("start_investigation") + 1, "submit_report")
        actions = self._noted(path)
        if self.all_open:
            created, steps = self._sat_since(actions, status, severity)
        else:
            created, steps = self._worked(actions, severity)
        return Draft(created, severity, channel, category, claim, flags, amount, steps)

    def _delays(self, actions: list[str], severity: Severity) -> list[float]:
        """Seconds between steps; urgent cases move faster, and now and then a step runs late."""
        rng = self.rng
        pace = PACE[severity] * 60
        delays = []
        for action in actions:
            lo, hi = DELAYS[action]
            late = LATE if rng.random() < LATE_SHARE else 1.0
            delays.append(rng.uniform(lo * pace, hi * pace * late))
        return delays

    def _worked(
        self, actions: list[str], severity: Severity
    ) -> tuple[datetime, list[tuple[str, datetime]]]:
        """The case arrives and is worked forward; the steps after now are cut off."""
        created = self._arrival()
        on_call = severity is Severity.A  # urgent cases are worked round the clock
        t = created
        steps = []
        for action, delay in zip(actions, self._delays(actions, severity), strict=True):
            t += delay
            if not on_call:
                t = self._on_duty(t, DUTY.get(action, OFFICE))
            if t >= self._now_ts:
                break
            steps.append((action, _instant(t)))
        return _instant(created), steps

    def _sat_since(
        self, actions: list[str], status: Status, severity: Severity
    ) -> tuple[datetime, list[tuple[str, datetime]]]:
        """The case reached `status` and has sat there a while, all within the history."""
        rng = self.rng
        delays = self._delays(actions, severity)
        idle = rng.uniform(0, IDLE_HOURS[status] * 3600) * PACE[severity]
        span = sum(delays) + idle
        window = HISTORY_DAYS * 86400
        if span >= window:
            scale = rng.uniform(0.6, 0.98) * window / span
            delays = [x * scale for x in delays]
            span = sum(delays) + idle * scale
        created = self.now - timedelta(seconds=int(span) + 1)
        elapsed = 0
        steps = []
        for action, delay in zip(actions, delays, strict=True):
            elapsed += int(delay)
            steps.append((action, created + timedelta(seconds=elapsed)))
        return created, steps

    def _arrival(self) -> float:
        """When a complaint came in: any day of the history, more often in the daytime."""
        rng = self.rng
        while True:
            day = self._today - rng.randrange(HISTORY_DAYS)
            hour = pick(rng, self._hours)
            t = day * 86400 + hour * 3600 + rng.randrange(3600) - self._offset
            if t < self._now_ts:
                return float(int(t))

    def _on_duty(self, t: float, duty: Duty) -> float:
        """`t`, or the next time the people who take this step are at work (a little after
        they start)."""
        start, end, weekdays = duty
        day, second = divmod(t + self._offset, 86400)
        if start <= second < end and not (weekdays and (day + 3) % 7 >= 5):  # 1970-01-01: Thu
            return t
        if second >= start:
            day += 1
        while weekdays and (day + 3) % 7 >= 5:
            day += 1
        return day * 86400 + start + self.rng.uniform(0, 5400) - self._offset

    def _noted(self, actions: list[str]) -> list[str]:
        """The actions with the notes people write after some of them."""
        rng = self.rng
        steps = []
        for action in ["", *actions]:
            if action:
                steps.append(action)
            note = NOTES_AFTER.get(action)
            if note is not None and rng.random() < note[1]:
                steps.append(note[0])
        return steps

    def _path(self, status: Status, needs_legal: bool, compensation: bool) -> list[str]:
        """The workflow actions that bring a new case to `status` (see deskapp.workflow)."""
        rng = self.rng
        if status is S.NEW:
            return []
        if status is S.ACCEPTED:
            return ["accept"]
        if status is S.REJECTED:
            return ["reject"] if rng.random() < 0.6 else ["accept", "reject"]
        path = ["accept", "dispatch"]
        if rng.random() < 0.05:
            path.append("transfer")
        if status is S.DISPATCHED:
            return path
        path.append("start_investigation")
        if status is S.INVESTIGATING:
            if rng.random() < 0.6:
                path.append("record_contact")
                if rng.random() < 0.3:
                    path.append("record_root_cause")
            return path
        path.append("record_contact")
        if status is S.PENDING_CUSTOMER:
            return [*path, "pend_customer"]
        if rng.random() < 0.12:
            path += ["pend_customer", "customer_answered"]
        path += ["record_root_cause", "propose_plan"]
        if status is S.PLAN_PROPOSED:
            return path
        if needs_legal:
            path.append("send_to_legal")
            if status is S.LEGAL_REVIEW:
                return path
            path.append("legal_approve")
        if compensation:
            path.append("request_approval")
            if status is S.COMPENSATION_APPROVAL:
                return path
            path.append("approve_compensation")
        path.append("resolve")
        confirmed = rng.random() < 0.5
        if confirmed and status is not S.RESOLVED:
            path.append("confirm")
        if status is S.RESOLVED:
            return path
        path.append("give_feedback")
        if status is S.FEEDBACK_GIVEN:
            return path
        if not confirmed and (status is S.CLOSED or rng.random() < 0.5):
            path.append("confirm")
        path.append("revisit")
        if status is S.REVISITED:
            return path
        return [*path, "close"]

    def customer(self, index: int, since: datetime) -> dict[str, Any]:
        rng, names = self.rng, self._callers
        if rng.random() < 0.75:
            name = rng.choice(names.surnames) + rng.choice(names.given_names)
            # Multiplying by a number prime to 10**8 keeps the eight digits unique per index.
            prefix = rng.choice(names.mobile_prefixes)
            phone = f"{prefix}{(index * 7919 + 1234567) % 10**8:08d}"
            email = f"u{index:06d}@example.cn" if rng.random() < 0.5 else ""
        else:
            first, last = rng.choice(names.first_names_en), rng.choice(names.last_names_en)
            name = f"{first} {last}"
            area = names.us_area_codes[(index // 10000) % len(names.us_area_codes)]
            phone = f"+1 {area} 555 {index % 10000:04d}"
            email = f"{first.lower()}.{last.lower()}{index}@example.com"
        other = ""
        if rng.random() < 0.1:
            other = f"{rng.choice(names.mobile_prefixes)}{rng.randrange(10**8):08d}"
        tier = VIP if rng.random() < 0.06 else CustomerTier.STANDARD.value
        return {
            "id": index,
            "name": name,
            "phone": normal_phone(phone),  # stored as intake stores it: one form per number
            "other_phones": other,
            "email": email,
            "tier": tier,
            "created_at": since - timedelta(days=rng.randrange(0, 400)),
        }


def _instant(t: float) -> datetime:
    """Whole seconds, like the times people type."""
    return datetime.fromtimestamp(int(t), UTC)
