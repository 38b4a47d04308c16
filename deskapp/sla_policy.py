"""The service-level policy: which promises a case carries, their budgets and calendars, and
the escalation rule, read from TOML (DESIGN.md §1 defaults ship in `data/sla_policy.toml`).

A deployment points `load_policy` at its own copy. Errors name the file and the key, because the
people who edit policies are administrators, not programmers. The clock arithmetic on the
milestones a policy plans lives in `deskapp.sla`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from deskapp.calendar import BusinessCalendar, CalendarError
from deskapp.calendar_files import load_calendar
from deskapp.domain import Category, ClaimType, MilestoneKind, RiskFlag, Severity
from deskapp.tomlfile import read_toml

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

#: Milestones a policy may add for some cases, by their category or claim type: a policy
#: without them (one written before they existed) simply has none.
CONDITIONAL_MILESTONES = frozenset({MilestoneKind.REPORT, MilestoneKind.DECISION})
#: Milestones whose due time a person sets (a plan's rectification deadline): no budget.
DEADLINE_MILESTONES = frozenset({MilestoneKind.RECTIFY})
#: Every case carries these, with a budget per severity.
BUDGETED_MILESTONES = tuple(
    k for k in MilestoneKind if k not in CONDITIONAL_MILESTONES | DEADLINE_MILESTONES
)


@dataclass(frozen=True)
class Applies:
    """Which cases a conditional milestone is for: any of these categories or claim types."""

    categories: frozenset[str] = frozenset()
    claim_types: frozenset[str] = frozenset()

    def __call__(self, category: str, claim_type: str) -> bool:
        return category in self.categories or claim_type in self.claim_types


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the key."""


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
        applies: Mapping[MilestoneKind, Applies] | None = None,
        source: str = "<built in code>",
    ) -> None:
        applies = dict(applies or {})
        missing = [
            f"{kind.value}/{sev.value}"
            for kind in (*BUDGETED_MILESTONES, *applies)
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
        self._applies = applies
        self.source = source

    def __repr__(self) -> str:
        return f"SlaPolicy(source={self.source!r})"

    def budget(self, kind: MilestoneKind, severity: Severity, vip: bool) -> Budget:
        if vip:
            override = self._vip.get((kind, severity))
            if override is not None:
                return override
        return self._budgets[(kind, severity)]

    @property
    def kinds(self) -> tuple[MilestoneKind, ...]:
        """The milestones this policy budgets: every case's, and the conditional ones it adds."""
        return (*BUDGETED_MILESTONES, *(k for k in MilestoneKind if k in self._applies))

    def applies(self, kind: MilestoneKind, category: str, claim_type: str) -> bool:
        """Whether a case of this category and claim type carries `kind` when its step starts
        it. Deadline milestones are started by what a person sets, not by the policy."""
        if kind in CONDITIONAL_MILESTONES:
            rule = self._applies.get(kind)
            return rule is not None and rule(category, claim_type)
        return True

    def applies_to(self, kind: MilestoneKind) -> Applies | None:
        return self._applies.get(kind)

    def milestones_at_intake(self) -> tuple[MilestoneKind, ...]:
        return INTAKE_MILESTONES

    @property
    def calendar_names(self) -> frozenset[str]:
        return frozenset(b.calendar for b in (*self._budgets.values(), *self._vip.values()))


_TOP_KEYS = frozenset({"warn_fraction", "milestones", "vip", "escalation"})
_MILESTONE_KEYS = frozenset({"budget", "calendar"})
_CONDITION_KEYS = frozenset({"categories", "claim_types"})
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
        budgeted = [*BUDGETED_MILESTONES, *(k for k in CONDITIONAL_MILESTONES)]
        _check_keys(milestones, (k.value for k in budgeted), f"{src}: milestones")
        budgets: dict[tuple[MilestoneKind, Severity], Budget] = {}
        applies: dict[MilestoneKind, Applies] = {}
        for kind in budgeted:
            where = f"{src}: milestones.{kind.value}"
            if kind.value not in milestones:
                if kind in CONDITIONAL_MILESTONES:
                    continue
                raise PolicyError(f"{where}: missing (every milestone needs a budget)")
            entry = _table(milestones[kind.value], where)
            conditional = kind in CONDITIONAL_MILESTONES
            _check_keys(
                entry, sorted(_MILESTONE_KEYS | (_CONDITION_KEYS if conditional else set())), where
            )
            if conditional:
                applies[kind] = self._applies(entry, where)
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
            applies=applies,
            source=src,
        )

    @staticmethod
    def _applies(entry: Mapping[str, object], where: str) -> Applies:
        """A conditional milestone's `categories` / `claim_types`: at least one, all known."""
        found: dict[str, frozenset[str]] = {}
        for key, enum in (("categories", Category), ("claim_types", ClaimType)):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise PolicyError(f'{where}.{key}: expected a list like ["quality"]')
            known = sorted(e.value for e in enum)
            unknown = sorted(set(value) - set(known))
            if unknown:
                raise PolicyError(
                    f"{where}.{key}: unknown {', '.join(unknown)} (known: {', '.join(known)})"
                )
            found[key] = frozenset(value)
        if not found["categories"] and not found["claim_types"]:
            raise PolicyError(f"{where}: name the categories or claim_types it is for")
        return Applies(found["categories"], found["claim_types"])

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
