"""Service-level rules: budgets, due times, pauses, risk and breach, the escalation ladder.

Everything here is a pure function of its arguments and an explicit `now`, so the live queue can
recompute a countdown at every tick and tests can stand exactly on a boundary. Due times are
stored as absolute instants; pausing never rewrites history, it pushes the due time by the working
time the case spent waiting on the customer, so `due_at` alone orders the queue.

The budgets come from the policy (`deskapp.sla_policy`, re-exported here so callers name one
module for service levels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from deskapp.calendar import BusinessCalendar
from deskapp.calendar_files import load_calendar
from deskapp.domain import MilestoneKind, MilestoneState, Severity
from deskapp.sla_policy import (
    DEFAULT_POLICY_PATH,
    ESCALATION_EXECUTIVE,
    ESCALATION_MANAGER,
    ESCALATION_NONE,
    ESCALATION_WARNED,
    INTAKE_MILESTONES,
    Budget,
    PolicyError,
    SlaPolicy,
    load_policy,
    parse_duration,
)

__all__ = [
    "DEFAULT_POLICY_PATH",
    "ESCALATION_EXECUTIVE",
    "ESCALATION_MANAGER",
    "ESCALATION_NONE",
    "ESCALATION_WARNED",
    "INTAKE_MILESTONES",
    "Budget",
    "CalendarSet",
    "MilestoneLike",
    "PlannedMilestone",
    "Planner",
    "PolicyError",
    "SlaError",
    "SlaPolicy",
    "Standing",
    "load_policy",
    "parse_duration",
    "pause",
    "plan",
    "resume",
    "standing",
]

# Half a microsecond: working time is exact to the microsecond, so anything closer to a
# threshold than this *is* the threshold.
_EPSILON_US = 0.5


class SlaError(ValueError):
    """An operation that does not fit the milestone's state (e.g. pausing a met milestone)."""


# --- calendars by name ---------------------------------------------------------------------------


class CalendarSet:
    """The calendars milestones name, each loaded once, from the deployment's directories first.

    The live desk's set is `provisional`: past a calendar's holiday data it still gives due
    times (from the weekly hours, marked provisional) instead of failing on New Year's Day.
    """

    def __init__(self, search_dirs: Sequence[Path] = (), *, provisional: bool = False) -> None:
        self.search_dirs = tuple(Path(d) for d in search_dirs)
        self.provisional = provisional
        self._loaded: dict[str, BusinessCalendar] = {}

    def get(self, name: str) -> BusinessCalendar:
        calendar = self._loaded.get(name)
        if calendar is None:
            calendar = load_calendar(name, self.search_dirs)
            if self.provisional:
                calendar = calendar.provisional()
            self._loaded[name] = calendar
        return calendar


# --- milestones ----------------------------------------------------------------------------------


class MilestoneLike(Protocol):
    """What the rules read from a milestone; the store's `Milestone` row has these names."""

    @property
    def kind(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def budget_minutes(self) -> float: ...
    @property
    def calendar(self) -> str: ...
    @property
    def paused_at(self) -> datetime | None: ...
    @property
    def paused_seconds(self) -> float: ...
    @property
    def met_at(self) -> datetime | None: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def is_open(self) -> bool: ...


@dataclass(frozen=True)
class PlannedMilestone:
    kind: MilestoneKind
    started_at: datetime
    due_at: datetime
    budget_minutes: float
    calendar: str


@dataclass(frozen=True)
class Standing:
    """Where a milestone stands at one instant.

    `remaining_seconds` is working time left before the due time, or, once overdue, minus the
    real time since it (a breach is felt in real time by the customer, whatever the calendar).
    `used_fraction` is working time used over the budget and passes 1 after the due time.
    """

    state: MilestoneState
    remaining_seconds: float
    used_fraction: float
    overdue_seconds: float


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime (with a UTC offset), got {moment!r}")
    return moment.astimezone(UTC)


def plan(
    kind: MilestoneKind,
    severity: Severity,
    vip: bool,
    started_at: datetime,
    policy: SlaPolicy,
    calendars: CalendarSet,
) -> PlannedMilestone:
    """The milestone to store for a case whose clock for `kind` starts at `started_at`."""
    budget = policy.budget(kind, severity, vip)
    return _planned(kind, budget, calendars.get(budget.calendar), started_at)


def _planned(
    kind: MilestoneKind, budget: Budget, calendar: BusinessCalendar, started_at: datetime
) -> PlannedMilestone:
    start = _utc(started_at, "started_at")
    due = calendar.due(start, budget.minutes)
    return PlannedMilestone(kind, start, due.astimezone(UTC), budget.minutes, budget.calendar)


class Planner:
    """`plan` for one policy and calendar set, with each kind × severity × tier's budget and
    calendar looked up once: for writers that plan milestones by the hundred thousand (the
    demo), where the lookups cost more than a round-the-clock due time itself."""

    def __init__(self, policy: SlaPolicy, calendars: CalendarSet) -> None:
        self.policy = policy
        self.calendars = calendars
        self._budgets: dict[tuple[MilestoneKind, Severity, bool], tuple[Budget, BusinessCalendar]]
        self._budgets = {}
        for kind in policy.kinds:
            for severity in Severity:
                for vip in (False, True):
                    budget = policy.budget(kind, severity, vip)
                    self._budgets[kind, severity, vip] = (budget, calendars.get(budget.calendar))

    def plan(
        self, kind: MilestoneKind, severity: Severity, vip: bool, started_at: datetime
    ) -> PlannedMilestone:
        budget, calendar = self._budgets[kind, severity, vip]
        return _planned(kind, budget, calendar, started_at)


def standing(
    m: MilestoneLike, now: datetime, calendars: CalendarSet, warn_fraction: float
) -> Standing:
    """Met, cancelled and paused milestones report their figures as of when they stopped."""
    as_of = _utc(now, "now")
    state: MilestoneState | None = None
    if m.met_at is not None:
        state, as_of = MilestoneState.MET, _utc(m.met_at, "met_at")
    elif m.cancelled:
        state = MilestoneState.CANCELLED
    elif m.paused_at is not None:
        state, as_of = MilestoneState.PAUSED, _utc(m.paused_at, "paused_at")
    due = _utc(m.due_at, "due_at")
    calendar = calendars.get(m.calendar)
    budget_us = round(m.budget_minutes * 60_000_000)
    if as_of >= due:
        overdue = (as_of - due).total_seconds()
        remaining = -overdue
        used_us = budget_us + calendar.elapsed_us(due, as_of)
        if state is None:
            state = MilestoneState.BREACHED
    else:
        overdue = 0.0
        remaining_us = calendar.elapsed_us(as_of, due)
        remaining = remaining_us / 1_000_000
        used_us = max(0, budget_us - remaining_us)
        if state is None:
            at_risk = used_us >= warn_fraction * budget_us - _EPSILON_US
            state = MilestoneState.AT_RISK if at_risk else MilestoneState.ON_TRACK
    # A zero budget is used up the moment it starts.
    fraction = used_us / budget_us if budget_us > 0 else float(as_of >= due)
    return Standing(state, remaining, fraction, overdue)


def warn_at(m: MilestoneLike, warn_fraction: float, calendars: CalendarSet) -> datetime:
    """The instant `standing` turns at risk, stored so the queue can filter by state in SQL.

    The due time is the start plus budget plus paused working time, all in the milestone's
    calendar, so the warning point is the start plus the warned share of the budget plus the
    same paused time: the two stay in step across pauses.
    """
    start = _utc(m.started_at, "started_at")
    seconds = warn_fraction * m.budget_minutes * 60 + m.paused_seconds
    return calendars.get(m.calendar).due_seconds(start, seconds).astimezone(UTC)


def pause(m: MilestoneLike, now: datetime) -> datetime:
    """When the clock stopped; the caller stores it as `paused_at`."""
    moment = _utc(now, "now")
    if m.met_at is not None:
        raise SlaError(f"the {m.kind} milestone is already met; nothing to pause")
    if m.cancelled:
        raise SlaError(f"the {m.kind} milestone is cancelled; nothing to pause")
    if m.paused_at is not None:
        raise SlaError(f"the {m.kind} milestone is already paused since {m.paused_at}")
    return moment


def resume(m: MilestoneLike, now: datetime, calendars: CalendarSet) -> tuple[datetime, float]:
    """(new due_at, working seconds the pause added) for a paused milestone resuming at `now`.

    Only working time counts: a case parked overnight on the business calendar gives back
    nothing, since the budget was not running overnight anyway. The caller adds the second
    value to `paused_seconds`, which is therefore in working seconds of the milestone's calendar.
    """
    moment = _utc(now, "now")
    if m.paused_at is None:
        raise SlaError(f"the {m.kind} milestone is not paused")
    paused_at = _utc(m.paused_at, "paused_at")
    if moment < paused_at:
        raise SlaError(f"cannot resume the {m.kind} milestone before it was paused ({paused_at})")
    calendar = calendars.get(m.calendar)
    added_us = calendar.elapsed_us(paused_at, moment)
    due = _utc(m.due_at, "due_at")
    new_due = calendar.due_seconds(due, added_us / 1_000_000) if added_us else due
    return new_due.astimezone(UTC), added_us / 1_000_000


def calendars_running_out(
    policy: SlaPolicy, calendars: CalendarSet, today: date, within_days: int = 60
) -> list[tuple[str, date]]:
    """Calendars of this policy whose holiday data ends within `within_days` of today.

    Past that day the desk's due times are only provisional (the weekly hours, `~`) and the
    command line refuses them, so the desk warns while there is time to add the dates.
    """
    ending = []
    for name in sorted(policy.calendar_names):
        until = calendars.get(name).data_until()
        if until is not None and (until - today).days < within_days:
            ending.append((name, until))
    return ending
