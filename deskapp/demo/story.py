"""The first pass of the demo: each case's fate and timeline, and who complains.

Sequential, in the main process, because numbers, ids and repeat complaints follow creation
order across the whole desk. What a case is about (the words) is decided later, by the builder,
in whichever process builds it.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any, TypeVar

from deskapp import workflow
from deskapp.demo.catalogue import callers
from deskapp.domain import (
    LEGAL_REVIEW_FLAGS,
    TERMINAL_STATUSES,
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

STATUS_WEIGHTS: tuple[tuple[Status, int], ...] = (
    (S.NEW, 5),
    (S.ACCEPTED, 4),
    (S.REJECTED, 4),
    (S.DISPATCHED, 6),
    (S.INVESTIGATING, 15),
    (S.PENDING_CUSTOMER, 6),
    (S.PLAN_PROPOSED, 6),
    (S.LEGAL_REVIEW, 2),
    (S.COMPENSATION_APPROVAL, 3),
    (S.RESOLVED, 6),
    (S.FEEDBACK_GIVEN, 5),
    (S.REVISITED, 4),
    (S.CLOSED, 34),
)
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

#: Minutes from the previous step to this action, before the severity factor.
DELAYS: dict[str, tuple[int, int]] = {
    "accept": (1, 45),
    "reject": (10, 240),
    "dispatch": (5, 90),
    "transfer": (60, 600),
    "start_investigation": (10, 240),
    "record_contact": (15, 300),
    "pend_customer": (60, 1440),
    "customer_answered": (120, 2880),
    "propose_plan": (120, 2880),
    "send_to_legal": (10, 240),
    "legal_approve": (60, 1440),
    "request_approval": (10, 240),
    "approve_compensation": (60, 1440),
    "resolve": (60, 2880),
    "confirm": (10, 600),
    "give_feedback": (30, 1200),
    "revisit": (240, 3000),
    "close": (10, 600),
}
#: Hours a case has sat in its current state, before the severity factor.
IDLE_HOURS: dict[Status, float] = {
    S.NEW: 3,
    S.ACCEPTED: 4,
    S.REJECTED: 640,
    S.DISPATCHED: 8,
    S.INVESTIGATING: 72,
    S.PENDING_CUSTOMER: 96,
    S.PLAN_PROPOSED: 48,
    S.LEGAL_REVIEW: 48,
    S.COMPENSATION_APPROVAL: 48,
    S.RESOLVED: 30,
    S.FEEDBACK_GIVEN: 100,
    S.REVISITED: 48,
    S.CLOSED: 600,
}
#: Urgent cases move faster and are noticed sooner.
PACE: dict[Severity, float] = {Severity.A: 0.3, Severity.B: 0.6, Severity.C: 1.0}
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


@dataclass(slots=True)
class Draft:
    """What happens to a case and when, before it has a customer and a number."""

    created_at: datetime
    status: Status
    severity: Severity
    channel: Channel
    category: Category
    claim_type: ClaimType
    flags: set[RiskFlag]
    amount: Decimal | None
    steps: list[tuple[str, datetime]] = field(default_factory=list)


class Storyteller:
    """Decides each case's fate and timeline, and who complains."""

    def __init__(self, rng: random.Random, now: datetime, rules: workflow.Rules) -> None:
        self.rng = rng
        self.now = now
        self.rules = rules
        self._status = cumulative(STATUS_WEIGHTS)
        self._severity = cumulative(SEVERITY_WEIGHTS)
        self._channel = cumulative(CHANNEL_WEIGHTS)
        self._category = cumulative(CATEGORY_WEIGHTS)
        self._callers = callers()

    def draft(self) -> Draft:
        rng = self.rng
        status = pick(rng, self._status)
        severity = pick(rng, self._severity)
        channel = pick(rng, self._channel)
        category = pick(rng, self._category)
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
        claim = (
            ClaimType.COMPENSATION
            if r < 0.22
            else ClaimType.UNJUSTIFIED
            if r < 0.25
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
        actions = self._path(status, needs_legal, amount is not None)
        # Seconds between steps; urgent cases move faster, and one step in twenty runs late.
        pace = PACE[severity] * 60
        delays = []
        for action in actions:
            lo, hi = DELAYS[action]
            late = 4.0 if rng.random() < 0.05 else 1.0
            delays.append(rng.uniform(lo * pace, hi * pace * late))
        idle = rng.uniform(0, IDLE_HOURS[status] * 3600) * (
            1.0 if status in TERMINAL_STATUSES else PACE[severity]
        )
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
        return Draft(created, status, severity, channel, category, claim, flags, amount, steps)

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
            return path + (["record_contact"] if rng.random() < 0.6 else [])
        path.append("record_contact")
        if status is S.PENDING_CUSTOMER:
            return [*path, "pend_customer"]
        if rng.random() < 0.12:
            path += ["pend_customer", "customer_answered"]
        path.append("propose_plan")
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
