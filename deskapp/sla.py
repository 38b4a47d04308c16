"""Service-level rules: budgets, due times, pauses, risk and breach, the escalation ladder.

Everything here is a pure function of its arguments and an explicit `now`, so the live queue can
recompute a countdown at every tick and tests can stand exactly on a boundary. Due times are
stored as absolute instants; pausing never rewrites history, it pushes the due time by the working
time the case spent waiting on the customer, so `due_at` alone orders the queue.

Budgets live in a TOML policy (DESIGN.md §1 defaults ship in `data/sla_policy.toml`); a deployment
points `load_policy` at its own copy. Errors name the file and the key, because the people who
edit policies are administrators, not programmers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol, TypeVar

from deskapp.calendar import BusinessCalendar, CalendarError
from deskapp.calendar_files import load_calendar
from deskapp.domain import MilestoneKind, MilestoneState, RiskFlag, Severity
from deskapp.tomlfile import read_toml

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

DEFAULT_POLICY_PATH = Path(__file__).parent / "data" / "sla_policy.toml"

ESCALATION_NONE = 0
ESCALATION_WARNED = 1  # at risk: the agent / handler is warned
ESCALATION_MANAGER = 2  # breached: the primary department's manager
ESCALATION_EXECUTIVE = 3

#: Milestones every accepted case carries from registration; feedback and revisit start later,
#: when the case is resolved and when feedback has been given.
INTAKE_MILESTONES = (
    MilestoneKind.ACKNOWLEDGE,
    MilestoneKind.DISPATCH,
    MilestoneKind.CONTACT,
    MilestoneKind.RESOLVE,
)

# Half a microsecond: working time is exact to the microsecond, so anything closer to a
# threshold than this *is* the threshold.
_EPSILON_US = 0.5


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the key."""


class SlaError(ValueError):
    """An operation that does not fit the milestone's state (e.g. pausing a met milestone)."""


# --- durations -----------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(bd|h|m)")
_DURATION_FULL = re.compile(r"\s*(?:\d+(?:\.\d+)?\s*(?:bd|h|m)\s*)+")


def parse_duration(text: str, day_minutes: int | None) -> float:
    """Minutes in a budget such as "30m", "2h", "1h30m" or "3bd" (business days).

    A business day is the calendar's standard working day, so "1bd" on the office calendar is
    450 minutes of office time; `day_minutes=None` forbids "bd" where no calendar applies.
    """
    if not _DURATION_FULL.fullmatch(text):
        raise ValueError(f'bad duration {text!r} (use e.g. "30m", "2h", "1h30m", "1bd")')
    total = 0.0
    for amount, unit in _DURATION_PART.findall(text):
        if unit == "bd":
            if day_minutes is None:
                raise ValueError(f"business days are not allowed here ({text!r})")
            total += float(amount) * day_minutes
        else:
            total += float(amount) * (60 if unit == "h" else 1)
    return total


# --- policy --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Working minutes on a named calendar."""

    minutes: float
    calendar: str


class SlaPolicy:
    """Budgets per milestone × severity (and VIP), the warning fraction and the escalation rule."""

    def __init__(
        self,
        budgets: Mapping[tuple[MilestoneKind, Severity], Budget],
        *,
        vip_budgets: Mapping[tuple[MilestoneKind, Severity], Budget] | None = None,
        warn_fraction: float = 0.75,
        executive_after_breach_seconds: float | None = None,
        executive_after_breach_fraction: float = 0.5,
        executive_on_breach_severities: frozenset[Severity] = frozenset({Severity.A}),
        executive_on_breach_flags: frozenset[RiskFlag] = frozenset(
            {RiskFlag.LEGAL, RiskFlag.MEDIA, RiskFlag.REGULATOR}
        ),
        manager_at_intake_severities: frozenset[Severity] = frozenset({Severity.A, Severity.B}),
        source: str = "<built in code>",
    ) -> None:
        missing = [
            f"{kind.value}/{sev.value}"
            for kind in MilestoneKind
            for sev in Severity
            if (kind, sev) not in budgets
        ]
        if missing:
            raise PolicyError(f"{source}: no budget for {', '.join(missing)}")
        if not 0 < warn_fraction <= 1:
            raise PolicyError(f"{source}: warn_fraction must be in (0, 1], got {warn_fraction}")
        self._budgets = dict(budgets)
        self._vip = dict(vip_budgets or {})
        self.warn_fraction = float(warn_fraction)
        if executive_after_breach_fraction < 0:
            raise PolicyError(f"{source}: executive_after_breach cannot be negative")
        #: How long a breach lasts before the executive is reached: a fixed real time when
        #: set, else this share of the milestone's own budget in its own working time.
        self.executive_after_breach_seconds = (
            None
            if executive_after_breach_seconds is None
            else float(executive_after_breach_seconds)
        )
        self.executive_after_breach_fraction = float(executive_after_breach_fraction)
        self.executive_on_breach_severities = executive_on_breach_severities
        self.executive_on_breach_flags = executive_on_breach_flags
        self.manager_at_intake_severities = manager_at_intake_severities
        self.source = source

    def __repr__(self) -> str:
        return f"SlaPolicy(source={self.source!r})"

    def budget(self, kind: MilestoneKind, severity: Severity, vip: bool) -> Budget:
        if vip:
            override = self._vip.get((kind, severity))
            if override is not None:
                return override
        return self._budgets[(kind, severity)]

    def milestones_at_intake(self) -> tuple[MilestoneKind, ...]:
        return INTAKE_MILESTONES

    @property
    def calendar_names(self) -> frozenset[str]:
        return frozenset(b.calendar for b in (*self._budgets.values(), *self._vip.values()))


_TOP_KEYS = frozenset({"warn_fraction", "milestones", "vip", "escalation"})
_MILESTONE_KEYS = frozenset({"budget", "calendar"})
_ESCALATION_KEYS = frozenset(
    {
        "executive_after_breach",
        "executive_on_breach_severities",
        "executive_on_breach_flags",
        "manager_at_intake_severities",
    }
)
_E = TypeVar("_E", Severity, RiskFlag)


def _table(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise PolicyError(f"{where}: expected a table, got {value!r}")
    return value


def _check_keys(table: Mapping[str, object], allowed: Iterable[str], where: str) -> None:
    allowed = tuple(allowed)
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise PolicyError(
            f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})"
        )


def _per_severity(value: object, where: str, *, partial: bool = False) -> dict[Severity, object]:
    """A value given once for all severities, or a table {A = …, B = …, C = …}."""
    if not isinstance(value, dict):
        if partial:
            raise PolicyError(f'{where}: expected a table like {{ A = "15m" }}')
        return dict.fromkeys(Severity, value)
    _check_keys(value, (s.value for s in Severity), where)
    if not partial:
        missing = [s.value for s in Severity if s.value not in value]
        if missing:
            raise PolicyError(f"{where}: missing severity {', '.join(missing)}")
    return {Severity(key): item for key, item in value.items()}


class _PolicyReader:
    def __init__(self, source: str, calendar_dirs: Sequence[Path]) -> None:
        self.source = source
        self.calendar_dirs = calendar_dirs

    def calendar(self, value: object, where: str) -> BusinessCalendar:
        if not isinstance(value, str):
            raise PolicyError(f'{where}: calendar must be a name such as "office" or "24x7"')
        try:
            return load_calendar(value, self.calendar_dirs)
        except CalendarError as exc:
            raise PolicyError(f"{where}: {exc}") from exc

    def minutes(self, value: object, where: str, calendar: BusinessCalendar | None) -> float:
        if not isinstance(value, str):
            raise PolicyError(f'{where}: expected a duration string like "2h", got {value!r}')
        try:
            return parse_duration(value, calendar.day_minutes if calendar else None)
        except ValueError as exc:
            raise PolicyError(f"{where}: {exc}") from None

    def read(self, data: Mapping[str, object]) -> SlaPolicy:
        src = self.source
        _check_keys(data, sorted(_TOP_KEYS), src)
        warn = data.get("warn_fraction", 0.75)
        if isinstance(warn, bool) or not isinstance(warn, int | float) or not 0 < warn <= 1:
            raise PolicyError(f"{src}: warn_fraction must be a number in (0, 1], got {warn!r}")

        milestones = _table(data.get("milestones"), f"{src}: milestones")
        _check_keys(milestones, (k.value for k in MilestoneKind), f"{src}: milestones")
        budgets: dict[tuple[MilestoneKind, Severity], Budget] = {}
        for kind in MilestoneKind:
            where = f"{src}: milestones.{kind.value}"
            if kind.value not in milestones:
                raise PolicyError(f"{where}: missing (every milestone needs a budget)")
            entry = _table(milestones[kind.value], where)
            _check_keys(entry, sorted(_MILESTONE_KEYS), where)
            for key in sorted(_MILESTONE_KEYS):
                if key not in entry:
                    raise PolicyError(f"{where}.{key}: missing")
            calendars = _per_severity(entry["calendar"], f"{where}.calendar")
            amounts = _per_severity(entry["budget"], f"{where}.budget")
            for sev in Severity:
                cal_where = f"{where}.calendar" + (
                    f".{sev.value}" if isinstance(entry["calendar"], dict) else ""
                )
                cal = self.calendar(calendars[sev], cal_where)
                budget_where = f"{where}.budget" + (
                    f".{sev.value}" if isinstance(entry["budget"], dict) else ""
                )
                minutes = self.minutes(amounts[sev], budget_where, cal)
                budgets[(kind, sev)] = Budget(minutes, str(calendars[sev]))

        vip_budgets: dict[tuple[MilestoneKind, Severity], Budget] = {}
        vip = _table(data.get("vip", {}), f"{src}: vip")
        _check_keys(vip, (k.value for k in MilestoneKind), f"{src}: vip")
        for kind_name, overrides in vip.items():
            kind = MilestoneKind(kind_name)
            where = f"{src}: vip.{kind_name}"
            for sev, amount in _per_severity(overrides, where, partial=True).items():
                base = budgets[(kind, sev)]
                cal = self.calendar(base.calendar, where)
                minutes = self.minutes(amount, f"{where}.{sev.value}", cal)
                vip_budgets[(kind, sev)] = Budget(minutes, base.calendar)

        escalation = _table(data.get("escalation", {}), f"{src}: escalation")
        _check_keys(escalation, sorted(_ESCALATION_KEYS), f"{src}: escalation")
        after_seconds, after_fraction = self._after_breach(
            escalation.get("executive_after_breach", "50%"),
            f"{src}: escalation.executive_after_breach",
        )
        severities = self._enum_list(
            escalation.get("executive_on_breach_severities", ["A"]),
            Severity,
            f"{src}: escalation.executive_on_breach_severities",
        )
        flags = self._enum_list(
            escalation.get("executive_on_breach_flags", ["legal", "media", "regulator"]),
            RiskFlag,
            f"{src}: escalation.executive_on_breach_flags",
        )
        managers = self._enum_list(
            escalation.get("manager_at_intake_severities", ["A", "B"]),
            Severity,
            f"{src}: escalation.manager_at_intake_severities",
        )
        return SlaPolicy(
            budgets,
            vip_budgets=vip_budgets,
            warn_fraction=float(warn),
            executive_after_breach_seconds=after_seconds,
            executive_after_breach_fraction=after_fraction,
            executive_on_breach_severities=severities,
            executive_on_breach_flags=flags,
            manager_at_intake_severities=managers,
            source=src,
        )

    def _after_breach(self, value: object, where: str) -> tuple[float | None, float]:
        """("2h" → 7200 s of real time, None) or ("50%" → None, half the milestone's budget)."""
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                percent = float(value.strip()[:-1])
            except ValueError:
                raise PolicyError(f"{where}: not a percentage: {value!r}") from None
            if not 0 <= percent <= 1000:
                raise PolicyError(f"{where}: a share of the budget from 0% to 1000%, got {value}")
            return None, percent / 100
        return self.minutes(value, where, None) * 60, 0.5

    @staticmethod
    def _enum_list(value: object, enum: type[_E], where: str) -> frozenset[_E]:
        if not isinstance(value, list):
            raise PolicyError(f"{where}: expected a list")
        result: set[_E] = set()
        for item in value:
            try:
                result.add(enum(item))
            except ValueError:
                known = ", ".join(e.value for e in enum)
                raise PolicyError(f"{where}: unknown value {item!r} (known: {known})") from None
        return frozenset(result)


def load_policy(path: Path | None = None, *, calendar_dirs: Sequence[Path] = ()) -> SlaPolicy:
    """The policy in `path`, or the shipped defaults.

    Calendars named in the policy are loaded now (from `calendar_dirs`, then the package) so a
    misspelt calendar fails at start-up and "bd" budgets are converted with the right day length.
    """
    path = DEFAULT_POLICY_PATH if path is None else Path(path)
    _text, data = read_toml(path, PolicyError, "policy file")
    return _PolicyReader(str(path), calendar_dirs).read(data)


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
        for kind in MilestoneKind:
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
