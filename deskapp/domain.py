"""The desk's vocabulary (DESIGN.md §1) as enums.

The store keeps these as plain strings so that `store/` knows nothing of the rules; the values
here are the strings it holds. Changing a value is a data migration, not a rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Channel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    SOCIAL = "social"
    WALK_IN = "walk_in"
    LETTER = "letter"
    REGULATOR = "regulator"


class Category(StrEnum):
    QUALITY = "quality"
    DELIVERY = "delivery"
    ATTITUDE = "attitude"
    BILLING = "billing"
    POLICY = "policy"
    OTHER = "other"


class ClaimType(StrEnum):
    GENERAL = "general"
    COMPENSATION = "compensation"
    UNJUSTIFIED = "unjustified"


class Severity(StrEnum):
    """A urgent / B serious / C general; ordered so that max() is the most severe."""

    A = "A"
    B = "B"
    C = "C"

    @property
    def rank(self) -> int:
        return {"A": 3, "B": 2, "C": 1}[self.value]

    def raised(self) -> Severity:
        """One level more severe (repeat complaints move up one level); A stays A."""
        return {Severity.C: Severity.B, Severity.B: Severity.A, Severity.A: Severity.A}[self]


class RiskFlag(StrEnum):
    LEGAL = "legal"
    MEDIA = "media"
    REGULATOR = "regulator"
    VIP = "vip"
    BATCH = "batch"
    REPEAT = "repeat"


class ToldBy(StrEnum):
    """How the customer was told the result (the feedback step records it)."""

    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    IN_PERSON = "in_person"


class RemedyType(StrEnum):
    """What a plan offers the customer (DESIGN.md §1, handling)."""

    APOLOGY = "apology"
    REPLACEMENT = "replacement"
    RESHIPMENT = "reshipment"
    REPAIR = "repair"
    REFUND = "refund"
    DISCOUNT = "discount"
    PRIORITY_PRODUCTION = "priority_production"
    CONTACT_CHANGE = "contact_change"
    COMPENSATION = "compensation"


class RootCause(StrEnum):
    """Where the investigation found the cause; the monthly analysis counts these."""

    DESIGN = "design"
    MANUFACTURING = "manufacturing"
    SUPPLIER = "supplier"
    LOGISTICS = "logistics"
    SALES = "sales"
    SERVICE = "service"
    PROCESS = "process"
    BILLING = "billing"
    CUSTOMER_USE = "customer_use"
    OTHER = "other"


#: Flags that make a plan need legal review before it goes to the customer.
LEGAL_REVIEW_FLAGS = frozenset({RiskFlag.LEGAL, RiskFlag.MEDIA, RiskFlag.REGULATOR})


class Status(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    INVESTIGATING = "investigating"
    PENDING_CUSTOMER = "pending_customer"
    PLAN_PROPOSED = "plan_proposed"
    LEGAL_REVIEW = "legal_review"
    COMPENSATION_APPROVAL = "compensation_approval"
    RESOLVED = "resolved"
    FEEDBACK_GIVEN = "feedback_given"
    REVISITED = "revisited"
    CLOSED = "closed"


#: States in which a case is no longer worked (it leaves the live queue).
TERMINAL_STATUSES = frozenset({Status.REJECTED, Status.CLOSED})


class Role(StrEnum):
    AGENT = "agent"
    HANDLER = "handler"
    DEPT_MANAGER = "dept_manager"
    SUPERVISOR = "supervisor"
    LEGAL = "legal"
    EXECUTIVE = "executive"
    ADMIN = "admin"


class CustomerTier(StrEnum):
    STANDARD = "standard"
    VIP = "vip"


def parse_flags(text: str) -> frozenset[RiskFlag]:
    """Flags are stored as a space-separated string; unknown words are an error, not ignored."""
    return frozenset(RiskFlag(word) for word in text.split())


def format_flags(flags: frozenset[RiskFlag] | set[RiskFlag]) -> str:
    return " ".join(sorted(flag.value for flag in flags))


def parse_roles(text: str) -> frozenset[Role]:
    return frozenset(Role(word) for word in text.split())


def format_roles(roles: frozenset[Role] | set[Role]) -> str:
    return " ".join(sorted(role.value for role in roles))


class MilestoneKind(StrEnum):
    """The service-level promises every case carries (DESIGN.md §1 table), in order."""

    ACKNOWLEDGE = "acknowledge"
    DISPATCH = "dispatch"
    CONTACT = "contact"
    RESOLVE = "resolve"
    FEEDBACK = "feedback"
    REVISIT = "revisit"


class MilestoneState(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
    PAUSED = "paused"
    CANCELLED = "cancelled"


# -- what the rules need to know ------------------------------------------------------------------
#
# The permission matrix and the workflow's guards judge a case and a person through these, not
# through the stored rows, so both read the same facts and neither imports the other.


@dataclass(frozen=True)
class CaseFacts:
    """What the guards need to know about a case, independent of how it is stored."""

    status: Status
    flags: frozenset[RiskFlag]
    first_owner_id: int
    primary_dept_id: int | None
    assignee_id: int | None
    plan_proposed_by_id: int | None
    compensation_amount: Decimal | None
    legal_cleared: bool
    compensation_approved: bool
    customer_confirmed: bool
    departments_left: frozenset[int]
    resume_status: Status | None = None
    escalation_level: int = 0


@dataclass(frozen=True)
class ActorFacts:
    staff_id: int
    roles: frozenset[Role]
    department_id: int | None
    compensation_limit: Decimal
