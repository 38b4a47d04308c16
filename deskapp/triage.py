"""Triage suggestions: category, severity, department, risk flags and claim type from what the
customer said and who they are.

The agent is on the phone while these appear, so they are only proposals (the agent confirms or
overrides, and overrides are recorded) and each carries its reasons, so the agent can see *why*
a case came up as severity A before telling the customer so. The keyword rules are data
(`deskapp/data/triage_rules.toml`, in Chinese and English) because every deployment's products
and customers talk differently; the file's header documents the matching and the precedence.

`suggest` runs on every (debounced) keystroke, so rules are compiled once at load: one regular
expression per rule, scanned over each field. Customer text is only ever searched, never
interpreted: markup or escape sequences in it are just characters that match no keyword.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Generic, TypeVar

from deskapp.domain import Category, ClaimType, RiskFlag, Severity, format_flags, parse_flags
from deskapp.i18n import Catalog, default_catalog, enum_label, field_label
from deskapp.tomlfile import read_toml

__all__ = [
    "DEFAULT_RULES_PATH",
    "FIELDS",
    "CustomerHistory",
    "Reason",
    "Rule",
    "Suggestion",
    "Suggestions",
    "TriageRules",
    "TriageRulesError",
    "default_rules",
    "load_rules",
    "normalise",
    "overrides",
    "suggest",
]

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

DEFAULT_RULES_PATH = Path(__file__).parent / "data" / "triage_rules.toml"
#: The form fields read, in the order reasons name them.
FIELDS = ("subject", "description", "demand")

#: Letters that continue an English (or other Latin-script) word. CJK characters are not among
#: them, so "12315" and "sue" are whole words inside Chinese text ("打12315投诉").
_LATIN = "0-9a-z\u00df-\u024f"
_LATIN_CHAR = re.compile(f"[{_LATIN}]")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,15}\Z")
_RULE_KEYS = frozenset(
    {"name", "zh", "en", "category", "department", "severity", "flags", "claim_type"}
)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'"})


class TriageRulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the rule."""


def normalise(text: str) -> str:
    """The form both text and keywords are compared in: NFKC (full-width → ASCII), case-folded,
    typographic apostrophes made straight."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a suggestion was made, as a catalog key (`triage.reason.*`) and its values, so the
    panel can say it in the agent's language. `field` and `category` values are names
    (`description`, `quality`) that `text` turns into labels."""

    key: str
    args: Mapping[str, str] = field(default_factory=dict)

    def text(self, lang: str, catalog: Catalog | None = None) -> str:
        cat = catalog or default_catalog()
        values = dict(self.args)
        if "field" in values:
            values["field"] = field_label(values["field"], lang, cat)
        if "category" in values:
            values["category"] = enum_label(Category(values["category"]), lang, cat)
        return cat.text(self.key, lang, **values)


@dataclass(frozen=True)
class Suggestion(Generic[T]):
    value: T
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Suggestions:
    category: Suggestion[Category]
    severity: Suggestion[Severity]
    #: A department code (QA, LOG, …); None when nothing points to one.
    department: Suggestion[str | None]
    flags: Suggestion[frozenset[RiskFlag]]
    claim_type: Suggestion[ClaimType]

    def as_choices(self) -> dict[str, str]:
        """The suggested values as the strings a form holds (and `overrides` compares)."""
        return {
            "category": self.category.value.value,
            "severity": self.severity.value.value,
            "department": self.department.value or "",
            "flags": format_flags(self.flags.value),
            "claim_type": self.claim_type.value.value,
        }


@dataclass(frozen=True)
class CustomerHistory:
    is_vip: bool
    #: The customer (or the order) complained within the repeat window, or has a case open.
    repeat: bool
    recent_cases: int = 0


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    #: Keywords as written in the file, longest first (so a phrase wins over its own start).
    words: tuple[str, ...]
    pattern: re.Pattern[str]
    category: Category | None = None
    department: str | None = None
    severity: Severity | None = None
    flags: frozenset[RiskFlag] = frozenset()
    claim_type: ClaimType | None = None


@dataclass(frozen=True)
class TriageRules:
    rules: tuple[Rule, ...]
    #: The usual primary department of each category.
    departments: Mapping[Category, str]
    source: str


def _word_regex(word: str) -> str:
    """A keyword as a regular expression: whole words for Latin script, anywhere for CJK.

    Each space-separated part may end in `*` (any ending); the parts of a phrase match across
    any run of white space.
    """
    pieces: list[str] = []
    for part in normalise(word).split():
        prefix = part.endswith("*")
        core = part[:-1] if prefix else part
        piece = re.escape(core)
        if re.match(f"[{_LATIN}]", core[-1]):
            piece += f"[{_LATIN}]*" if prefix else f"(?![{_LATIN}])"
        pieces.append(piece)
    # The left word boundary is checked by `_scan`, not with a look-behind here: a pattern
    # that starts with literal characters lets `re` skip ahead to candidates, ten times faster.
    return r"\s+".join(pieces)


def _check_word(word: str) -> None:
    parts = normalise(word).split()
    if not parts or any(
        not p.rstrip("*") or "*" in p.rstrip("*") or p.endswith("**") for p in parts
    ):
        raise ValueError(f"bad keyword {word!r} (a * may only end a word)")


def _line_of(text: str, name: str) -> int | None:
    pattern = re.compile(r"^\s*name\s*=\s*([\"'])" + re.escape(name) + r"\1")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _enum(kind: type[E], value: object, what: str) -> E:
    if isinstance(value, str) and value in {member.value for member in kind}:
        return kind(value)
    known = ", ".join(member.value for member in kind)
    raise ValueError(f"unknown {what} {value!r} (known: {known})")


def _parse_rule(raw: object) -> Rule:
    if not isinstance(raw, dict):
        raise ValueError("must be a table")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise ValueError(
            f"unknown key {', '.join(unknown)} (known: {', '.join(sorted(_RULE_KEYS))})"
        )
    name = raw.get("name")
    words: list[str] = []
    for lang in ("zh", "en"):
        listed = raw.get(lang, [])
        if not isinstance(listed, list) or not all(isinstance(w, str) for w in listed):
            raise ValueError(f"{lang} must be a list of words")
        for word in listed:
            _check_word(word)
            if word not in words:
                words.append(word)
    if not words:
        raise ValueError("has no keywords (zh = [...] or en = [...])")
    category = _enum(Category, raw["category"], "category") if "category" in raw else None
    department = raw.get("department")
    if department is not None:
        if not isinstance(department, str) or not _CODE.match(department):
            raise ValueError(f"department must be a code such as QA or LOG, not {department!r}")
        if category is None:
            raise ValueError("names a department but no category")
    severity = _enum(Severity, raw["severity"], "severity") if "severity" in raw else None
    flags_raw = raw.get("flags", [])
    if not isinstance(flags_raw, list):
        raise ValueError("flags must be a list")
    flags = frozenset(_enum(RiskFlag, f, "flag") for f in flags_raw)
    claim = _enum(ClaimType, raw["claim_type"], "claim type") if "claim_type" in raw else None
    if category is None and severity is None and not flags and claim is None:
        raise ValueError("has no effect (category, severity, flags or claim_type)")
    ordered = tuple(sorted(words, key=lambda w: -len(normalise(w))))
    pattern = re.compile("|".join(_word_regex(w) for w in ordered))
    return Rule(str(name), ordered, pattern, category, department, severity, flags, claim)


def load_rules(path: Path | None = None) -> TriageRules:
    """Read and compile a rules file; any mistake names the file, the rule and its line."""
    path = path or DEFAULT_RULES_PATH
    text, data = read_toml(path, TriageRulesError, "the triage rules")
    unknown = sorted(set(data) - {"departments", "rule"})
    if unknown:
        raise TriageRulesError(f"{path}: unknown section {', '.join(unknown)}")
    departments: dict[Category, str] = {}
    raw_departments = data.get("departments", {})
    if not isinstance(raw_departments, dict):
        raise TriageRulesError(f"{path}: [departments] must be a table")
    for cat_name, code in raw_departments.items():
        try:
            category = _enum(Category, cat_name, "category")
        except ValueError as exc:
            raise TriageRulesError(f"{path}: [departments]: {exc}") from None
        if not isinstance(code, str) or not _CODE.match(code):
            raise TriageRulesError(f"{path}: [departments] {cat_name}: not a department code")
        departments[category] = code
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise TriageRulesError(f"{path}: rules are written [[rule]]")
    rules: list[Rule] = []
    names: set[str] = set()
    for index, raw in enumerate(raw_rules, start=1):
        name = raw.get("name") if isinstance(raw, dict) else None
        label = f"rule {name!r}" if isinstance(name, str) else f"rule #{index}"
        line = _line_of(text, name) if isinstance(name, str) else None
        where = f"{path}:{line}" if line else str(path)
        if not isinstance(name, str) or not name.strip():
            raise TriageRulesError(f"{where}: {label} needs a name")
        if name in names:
            raise TriageRulesError(f"{where}: {label}: the name is used twice")
        names.add(name)
        try:
            rules.append(_parse_rule(raw))
        except (ValueError, re.error) as exc:
            raise TriageRulesError(f"{where}: {label}: {exc}") from None
    return TriageRules(tuple(rules), departments, str(path))


@lru_cache(maxsize=1)
def default_rules() -> TriageRules:
    return load_rules()


# --- suggesting ----------------------------------------------------------------------------------


@dataclass
class _Hit:
    rule: Rule
    count: int
    #: Each text that matched (as normalised, spaces collapsed) with the first field it was in.
    found: dict[str, str]

    def reasons(self) -> tuple[Reason, ...]:
        return tuple(
            Reason("triage.reason.keyword", {"word": word, "field": where})
            for word, where in self.found.items()
        )


def _scan(rules: TriageRules, texts: Iterable[tuple[str, str]]) -> list[_Hit]:
    fields = list(texts)
    hits: list[_Hit] = []
    for rule in rules.rules:
        count, found = 0, dict[str, str]()
        for name, text in fields:
            pos = 0
            while (match := rule.pattern.search(text, pos)) is not None:
                start = match.start()
                pos = max(match.end(), start + 1)
                if start and _LATIN_CHAR.match(text, start - 1) and _LATIN_CHAR.match(text, start):
                    pos = start + 1  # inside a word ("sue" in "issue"): look again further on
                    continue
                count += 1
                found.setdefault(" ".join(match.group().split()), name)
        if count:
            hits.append(_Hit(rule, count, found))
    return hits


def _merge(*groups: Iterable[Reason]) -> tuple[Reason, ...]:
    seen: list[Reason] = []
    for group in groups:
        for reason in group:
            if reason not in seen:
                seen.append(reason)
    return tuple(seen)


_DEFAULT = (Reason("triage.reason.default"),)


def suggest(
    subject: str,
    description: str,
    demand: str,
    history: CustomerHistory | None,
    rules: TriageRules | None = None,
) -> Suggestions:
    """Propose a classification; the file header of the rules explains each choice."""
    rules = rules or default_rules()
    texts = [
        (name, normalise(value))
        for name, value in zip(FIELDS, (subject, description, demand), strict=True)
        if value
    ]
    hits = _scan(rules, texts)

    categorised = [h for h in hits if h.rule.category is not None]
    winner = max(categorised, key=lambda h: h.count, default=None)  # first of equals wins
    if winner is not None and winner.rule.category is not None:
        category = Suggestion(winner.rule.category, winner.reasons())
    else:
        category = Suggestion(Category.OTHER, _DEFAULT)

    department: Suggestion[str | None]
    if winner is not None and winner.rule.department is not None:
        department = Suggestion(
            winner.rule.department,
            (
                Reason("triage.reason.rule_department", {"rule": winner.rule.name}),
                *winner.reasons(),
            ),
        )
    elif category.value in rules.departments:
        department = Suggestion(
            rules.departments[category.value],
            (Reason("triage.reason.category_department", {"category": category.value.value}),),
        )
    else:
        department = Suggestion(None, _DEFAULT)

    rated = [h for h in hits if h.rule.severity is not None]
    level = max(
        (h.rule.severity for h in rated if h.rule.severity),
        key=lambda s: s.rank,
        default=Severity.C,
    )
    severity_reasons = _merge(*(h.reasons() for h in rated if h.rule.severity == level))
    if history is not None and history.repeat and level.raised() != level:
        level = level.raised()
        severity_reasons += (Reason("triage.reason.repeat", {"count": str(history.recent_cases)}),)
    severity = Suggestion(level, severity_reasons or _DEFAULT)

    flag_set: set[RiskFlag] = set()
    flag_reasons: list[Reason] = []
    for hit in hits:
        if hit.rule.flags:
            flag_set |= hit.rule.flags
            flag_reasons.extend(hit.reasons())
    if history is not None and history.is_vip:
        flag_set.add(RiskFlag.VIP)
        flag_reasons.append(Reason("triage.reason.vip"))
    if history is not None and history.repeat:
        flag_set.add(RiskFlag.REPEAT)
        flag_reasons.append(Reason("triage.reason.repeat_flag"))
    flags = Suggestion(frozenset(flag_set), _merge(flag_reasons))

    claimed = next((h for h in hits if h.rule.claim_type is not None), None)
    if claimed is not None and claimed.rule.claim_type is not None:
        claim_type = Suggestion(claimed.rule.claim_type, claimed.reasons())
    else:
        claim_type = Suggestion(ClaimType.GENERAL, _DEFAULT)

    return Suggestions(category, severity, department, flags, claim_type)


def topic_words(
    subject: str,
    description: str,
    demand: str,
    category: Category,
    rules: TriageRules | None = None,
) -> list[str]:
    """The keywords of `category`'s rules found in the texts, as normalised: what complaints
    about one thing share beyond a product reference (deskapp.batches)."""
    rules = rules or default_rules()
    texts = [
        (name, normalise(value))
        for name, value in zip(FIELDS, (subject, description, demand), strict=True)
        if value
    ]
    found = {w for hit in _scan(rules, texts) if hit.rule.category is category for w in hit.found}
    return sorted(found)


def _canonical(name: str, value: str) -> str:
    value = value.strip()
    if name == "flags":
        try:
            return format_flags(parse_flags(value))
        except ValueError:
            return value
    return value


def overrides(
    suggested: Suggestions,
    chosen: Mapping[str, str],
    why: Mapping[str, str] | None = None,
) -> dict[str, dict[str, str]]:
    """The `IntakeForm.overrides` record: each field whose chosen value differs from the
    suggestion, as {"suggested": …, "chosen": …} (plus "reason" when the agent gave one).

    `chosen` holds form strings keyed like `Suggestions.as_choices()`; flags compare as sets.
    A field not in `chosen` was not shown, so it cannot have been overridden.
    """
    proposed = suggested.as_choices()
    record: dict[str, dict[str, str]] = {}
    for name, value in chosen.items():
        if name not in proposed:
            raise ValueError(f"not a triage field: {name!r} (known: {', '.join(proposed)})")
        picked = _canonical(name, value)
        if picked != proposed[name]:
            entry = {"suggested": proposed[name], "chosen": picked}
            if why and why.get(name, "").strip():
                entry["reason"] = why[name].strip()
            record[name] = entry
    return record
