"""The escalation ladder's rules: when each rung of a milestone is due, what a case's own facts
call for at once, and the keys that make each rung happen once.

A running milestone climbs three rungs (DESIGN.md §1): at risk (its warning fraction used) the
person working it is told; breached, the manager of the primary department; still breached
after the policy's grace (half the milestone's budget again, by default), the executive. A
severity-A or legal/media/regulator case skips the wait: its first breach reaches the executive
too, and the case reaches the executive as soon as it is registered or comes to have those
facts. Pure rules: `deskapp.cases.escalations` writes them and finds the people.

Keys are what make "exactly once" hold across desks: every rung written to the `escalation`
table carries one, and the table takes each key once, whichever desk's sweep got there first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from deskapp import sla
from deskapp.domain import RiskFlag, Severity

WARNED = sla.ESCALATION_WARNED
MANAGER = sla.ESCALATION_MANAGER
EXECUTIVE = sla.ESCALATION_EXECUTIVE
TOP = EXECUTIVE

#: Why a rung was reached (the `cause` of an `escalation` row and of its event).
AT_RISK = "at_risk"
BREACHED = "breached"
STILL_BREACHED = "still_breached"
ON_INTAKE = "intake"  # the case is what it is: severity A, a risk flag, a serious severity
BY_PERSON = "escalated"  # someone pressed escalate, with a reason
ADOPTED = "adopted"  # passed before the ladder watched the milestone (an upgrade, an import)

#: Who a case-level alert reaches.
AUDIENCE_EXECUTIVE = "executive"
AUDIENCE_LEGAL = "legal"
AUDIENCE_MANAGER = "manager"


@dataclass(frozen=True)
class Rung:
    level: int
    due_at: datetime
    cause: str


@dataclass(frozen=True)
class CaseAlert:
    """Something a case calls for by what it is, once per case (per department for a
    manager): `suffix` completes its key."""

    suffix: str
    level: int
    audience: str


def immediate(severity: Severity, flags: frozenset[RiskFlag], policy: sla.SlaPolicy) -> bool:
    """A case whose first breach reaches the executive at once."""
    return severity in policy.executive_on_breach_severities or bool(
        flags & policy.executive_on_breach_flags
    )


def executive_at(
    m: sla.MilestoneLike, policy: sla.SlaPolicy, calendars: sla.CalendarSet
) -> datetime:
    """When a breach has lasted long enough to reach the executive (without the A/flag rule)."""
    due = m.due_at
    if policy.executive_after_breach_seconds is not None:
        return due + timedelta(seconds=policy.executive_after_breach_seconds)
    grace = policy.executive_after_breach_fraction * m.budget_minutes * 60
    if grace <= 0:
        return due
    return calendars.get(m.calendar).due_seconds(due, grace).astimezone(UTC)


def rungs(
    m: sla.MilestoneLike,
    *,
    urgent: bool,
    policy: sla.SlaPolicy,
    calendars: sla.CalendarSet,
) -> tuple[Rung, Rung, Rung]:
    """The milestone's three rungs, by level. `urgent` is `immediate(...)` for its case."""
    warn = sla.warn_at(m, policy.warn_fraction, calendars)
    due = m.due_at
    top = due if urgent else executive_at(m, policy, calendars)
    return (
        Rung(WARNED, min(warn, due), AT_RISK),
        Rung(MANAGER, due, BREACHED),
        Rung(EXECUTIVE, max(top, due), BREACHED if urgent else STILL_BREACHED),
    )


def running(m: sla.MilestoneLike) -> bool:
    """A milestone whose clock is running: only those climb (a paused one waits on the
    customer, a met or cancelled one is over)."""
    return m.met_at is None and not m.cancelled and m.paused_at is None


def next_rung(
    m: sla.MilestoneLike,
    reached: int,
    *,
    urgent: bool,
    policy: sla.SlaPolicy,
    calendars: sla.CalendarSet,
) -> Rung | None:
    """The next rung above `reached`, or None when the milestone is not running or has
    reached the top."""
    if not running(m) or reached >= TOP:
        return None
    return rungs(m, urgent=urgent, policy=policy, calendars=calendars)[reached]


def due_rungs(
    m: sla.MilestoneLike,
    reached: int,
    now: datetime,
    *,
    urgent: bool,
    policy: sla.SlaPolicy,
    calendars: sla.CalendarSet,
) -> list[Rung]:
    """The rungs above `reached` whose time has come at `now`, lowest first. A desk that was
    off overnight reaches each one it missed, once, when it is back."""
    if not running(m):
        return []
    ladder = rungs(m, urgent=urgent, policy=policy, calendars=calendars)
    return [r for r in ladder[reached:] if r.due_at <= now]


def case_alerts(
    severity: Severity,
    flags: frozenset[RiskFlag],
    primary_dept_id: int | None,
    policy: sla.SlaPolicy,
) -> list[CaseAlert]:
    """What the case calls for by what it is, whenever it comes to be so (registered like
    that, or classified so later): the executive for severity A and legal/media/regulator
    flags, legal counsel for the legal flag, and the primary department's manager for the
    serious severities (seed 004: an A complaint brings in the top leader, a B complaint the
    department manager)."""
    alerts = []
    if immediate(severity, flags, policy):
        alerts.append(CaseAlert("executive", EXECUTIVE, AUDIENCE_EXECUTIVE))
    if RiskFlag.LEGAL in flags:
        alerts.append(CaseAlert("legal", 0, AUDIENCE_LEGAL))  # told, not escalated
    if primary_dept_id is not None and severity in policy.manager_at_intake_severities:
        alerts.append(CaseAlert(f"manager:{primary_dept_id}", MANAGER, AUDIENCE_MANAGER))
    return alerts


def milestone_key(milestone_id: int, level: int) -> str:
    return f"m{milestone_id}:{level}"


def case_key(complaint_id: int, suffix: str) -> str:
    return f"c{complaint_id}:{suffix}"
