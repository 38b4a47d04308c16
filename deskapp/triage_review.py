"""Triage fills, people decide (DESIGN.md §7).

The triage rules propose a classification as the agent types; the form *applies* it to every
field the agent has not set by hand, live, so a complaint that threatens a lawsuit is never
saved as a general one because nobody pressed a key. A field the agent set keeps the agent's
value. Going below what the rules found — a lower severity, or a legal, media or regulator flag
taken off — needs a written reason, recorded as an override; the use case checks it again, so
no door into the desk can skip it.

The form keeps, per field, the value it last filled in. A field whose value still equals that
is the rules' to change; one that differs was set by the agent. Flags are judged one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from deskapp.domain import LEGAL_REVIEW_FLAGS, RiskFlag, Severity
from deskapp.triage import Suggestions

#: The classification fields, named as `Suggestions.as_choices()` names them.
FIELDS = ("category", "claim_type", "severity", "department", "flags")
#: Flags that only come off with a reason: the ones that call for legal review.
GUARDED_FLAGS = frozenset(f.value for f in LEGAL_REVIEW_FLAGS)


@dataclass(frozen=True)
class Choice:
    """A form's classification as plain strings: the department as its code, "" for none."""

    category: str = "other"
    claim_type: str = "general"
    severity: str = "C"
    department: str = ""
    flags: frozenset[str] = frozenset()

    @classmethod
    def suggested(cls, found: Suggestions) -> Choice:
        return cls(
            category=found.category.value.value,
            claim_type=found.claim_type.value.value,
            severity=found.severity.value.value,
            department=found.department.value or "",
            flags=frozenset(f.value for f in found.flags.value),
        )

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Choice:
        """A choice saved in a draft (`as_json`); anything missing takes the default."""
        base = cls()
        flags = data.get("flags", ())
        return cls(
            category=str(data.get("category", base.category)),
            claim_type=str(data.get("claim_type", base.claim_type)),
            severity=str(data.get("severity", base.severity)),
            department=str(data.get("department", base.department)),
            flags=frozenset(str(f) for f in flags)
            if isinstance(flags, list | tuple)
            else frozenset(),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "category": self.category,
            "claim_type": self.claim_type,
            "severity": self.severity,
            "department": self.department,
            "flags": sorted(self.flags),
        }

    def as_strings(self) -> dict[str, str]:
        """The shape `triage.overrides` compares."""
        return {
            "category": self.category,
            "claim_type": self.claim_type,
            "severity": self.severity,
            "department": self.department,
            "flags": " ".join(sorted(self.flags)),
        }


def hand_set(shown: Choice, filled: Choice) -> set[str]:
    """The fields (and `flag:<name>` for single flags) the agent changed from what was filled."""
    changed = {name for name in FIELDS[:-1] if getattr(shown, name) != getattr(filled, name)}
    changed |= {f"flag:{f}" for f in shown.flags ^ filled.flags}
    return changed


@dataclass(frozen=True)
class Followed:
    #: What the form shows now.
    shown: Choice
    #: What the rules filled in: equal to `shown` wherever the agent has not set a field.
    filled: Choice


def follow(found: Suggestions, shown: Choice, filled: Choice) -> Followed:
    """The form once `found` arrives: each field the agent has not changed takes the
    suggestion; each one they changed stays as they set it (and stays theirs)."""
    wanted = Choice.suggested(found)
    by_hand = hand_set(shown, filled)
    keep = {name: name in by_hand for name in FIELDS[:-1]}
    every_flag = shown.flags | wanted.flags | filled.flags
    mine = {f for f in every_flag if f"flag:{f}" in by_hand}
    return Followed(
        shown=Choice(
            **{n: getattr(shown if keep[n] else wanted, n) for n in keep},
            flags=frozenset((shown.flags & mine) | (wanted.flags - mine)),
        ),
        filled=Choice(
            **{n: getattr(filled if keep[n] else wanted, n) for n in keep},
            flags=frozenset((filled.flags & mine) | (wanted.flags - mine)),
        ),
    )


def needs_reason(found: Suggestions, chosen: Choice) -> tuple[str, ...]:
    """The fields whose chosen value goes below the suggestion: a lower severity, or a
    legal, media or regulator flag that the rules found and the agent took off."""
    wanted = Choice.suggested(found)
    fields: list[str] = []
    if Severity(chosen.severity).rank < Severity(wanted.severity).rank:
        fields.append("severity")
    if (wanted.flags - chosen.flags) & GUARDED_FLAGS:
        fields.append("flags")
    return tuple(fields)


def removed_flags(found: Suggestions, chosen: Choice) -> frozenset[RiskFlag]:
    """The guarded flags the rules found that the agent took off (the read-back names them)."""
    wanted = Choice.suggested(found)
    return frozenset(RiskFlag(f) for f in (wanted.flags - chosen.flags) & GUARDED_FLAGS)
