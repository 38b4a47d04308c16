"""Written confirmations to the customer: which letter a case may have, and its wording.

After the phone call the customer gets the plan, the resolution or the rejection in writing
(DESIGN.md §1, "contact is by phone first, then confirmed in writing"). The wording is content,
like the call scripts (`deskapp.scripts`): TOML files, `deskapp/data/letters/zh.toml` and
`en.toml`, that a deployment replaces with a same-named file in `<script folder>/letters/`.

A letter is filled from the case, but only with what may be told to a customer: the root cause
goes out as the customer wording of its category (the file's `[cause]` table), never the
investigation's "whys", which name staff and suppliers. Lines that depend on what the case has
(a compensation, a promised date, a known cause) are whole sentences in the file's `[lines]`,
left out with their line when the case has nothing to say there. The handler edits the result
before it is sent; the filled text is a starting point, not the record (the record is what
was sent, in the outbox and the audit event).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from deskapp import workflow
from deskapp.domain import CaseFacts, RootCause, Status
from deskapp.i18n import LANGUAGES, CatalogError, placeholders
from deskapp.tomlfile import read_toml
from deskapp.wording import promise_words

__all__ = [
    "SHIPPED_DIR",
    "LetterError",
    "LetterFacts",
    "LetterKind",
    "LetterLibrary",
    "kinds_for",
    "letter_library",
]

SHIPPED_DIR = Path(__file__).parent / "data" / "letters"


class LetterKind(StrEnum):
    PLAN = "plan"
    RESOLUTION = "resolution"
    REJECTION = "rejection"


#: What a letter's wording may use. The optional `*_line` values are whole sentences from the
#: file's `[lines]`, or nothing.
PLACEHOLDERS = frozenset(
    {
        "salutation",
        "customer_name",
        "case_number",
        "remedy",
        "reason",
        "agent_name",
        "department",
        "today",
        "cause_line",
        "compensation_line",
        "promise_line",
    }
)
#: What each letter must say whatever an administrator writes: the plan and the resolution
#: name the remedy, a rejection its reason (DESIGN.md §1: told to the customer).
REQUIRED: Mapping[LetterKind, frozenset[str]] = {
    LetterKind.PLAN: frozenset({"remedy"}),
    LetterKind.RESOLUTION: frozenset({"remedy"}),
    LetterKind.REJECTION: frozenset({"reason"}),
}
#: The `[lines]` and the one placeholder each may use.
LINES: Mapping[str, str] = {"cause": "cause", "compensation": "amount", "promise": "date"}
#: After resolution the written confirmation is still due, even once the case is closed.
_RESOLVED = frozenset({Status.RESOLVED, Status.FEEDBACK_GIVEN, Status.REVISITED, Status.CLOSED})


class LetterError(ValueError):
    """A letter file that cannot be used; names the file and the entry."""


def kinds_for(facts: CaseFacts, rules: workflow.Rules | None = None) -> tuple[LetterKind, ...]:
    """The letters a case may have now. A plan goes out only once it may be told: after legal
    review where the case needs one and after the compensation's approval (DESIGN.md §1: legal
    review "before the plan goes to the customer")."""
    rules = rules or workflow.Rules()
    if facts.status is Status.REJECTED:
        return (LetterKind.REJECTION,)
    if facts.status in _RESOLVED:
        return (LetterKind.RESOLUTION,)
    if facts.status is Status.PLAN_PROPOSED:
        legal_ok = facts.legal_cleared or not workflow.legal_review_required(facts, rules)
        money_ok = not facts.compensation_amount or facts.compensation_approved
        if legal_ok and money_ok:
            return (LetterKind.PLAN,)
    return ()


@dataclass(frozen=True)
class LetterFacts:
    """What a letter is filled from, read from the case by the use case."""

    salutation: str
    customer_name: str
    case_number: str
    remedy: str
    reject_reason: str
    root_cause_category: str
    compensation: Decimal | None
    #: The open resolution promise's due time, if any.
    resolve_due: datetime | None
    agent_name: str
    department: str
    now: datetime
    tz: ZoneInfo


@dataclass(frozen=True)
class _Template:
    kind: LetterKind
    subject: str
    body: str


@dataclass(frozen=True)
class _Language:
    templates: Mapping[LetterKind, _Template]
    causes: Mapping[str, str]
    lines: Mapping[str, str]
    today: str


def _checked(text: object, where: str, allowed: frozenset[str]) -> str:
    if not isinstance(text, str) or not text.strip():
        raise LetterError(f"{where}: needs some text")
    try:
        used = placeholders(text, where)
    except CatalogError as exc:
        raise LetterError(str(exc)) from None
    unknown = sorted(used - allowed)
    if unknown:
        names = ", ".join(f"{{{n}}}" for n in unknown)
        raise LetterError(f"{where}: unknown placeholder {names} (known: {', '.join(allowed)})")
    return text.strip("\n")


def _load_language(path: Path) -> _Language:
    _text, data = read_toml(path, LetterError, "the letters")
    unknown = sorted(set(data) - {"cause", "lines", "today", "letter"})
    if unknown:
        raise LetterError(f"{path}: unknown section {', '.join(unknown)}")
    raw_causes = data.get("cause")
    if not isinstance(raw_causes, dict):
        raise LetterError(f"{path}: needs a [cause] table (one line per root-cause category)")
    causes = {}
    for cause in RootCause:
        causes[cause.value] = _checked(
            raw_causes.get(cause.value), f"{path}: [cause] {cause}", frozenset()
        )
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, dict):
        raise LetterError(f"{path}: needs a [lines] table ({', '.join(LINES)})")
    lines = {
        name: _checked(raw_lines.get(name), f"{path}: [lines] {name}", frozenset({value}))
        for name, value in LINES.items()
    }
    today = _checked(data.get("today"), f"{path}: today", frozenset({"year", "month", "day"}))
    templates: dict[LetterKind, _Template] = {}
    for n, raw in enumerate(data.get("letter", []), start=1):
        where = f"{path} (letter {n})"
        if not isinstance(raw, dict) or set(raw) - {"kind", "subject", "body"}:
            raise LetterError(f"{where}: a [[letter]] has kind, subject and body only")
        try:
            kind = LetterKind(str(raw.get("kind")))
        except ValueError:
            known = ", ".join(k.value for k in LetterKind)
            raise LetterError(f"{where}: kind must be one of {known}") from None
        if kind in templates:
            raise LetterError(f"{where}: a second {kind} letter")
        subject = _checked(raw.get("subject"), f"{where} subject", PLACEHOLDERS)
        body = _checked(raw.get("body"), f"{where} body", PLACEHOLDERS)
        lacking = sorted(REQUIRED[kind] - placeholders(body, where))
        if lacking:
            names = ", ".join(f"{{{n}}}" for n in lacking)
            raise LetterError(f"{where}: a {kind} letter must say {names}")
        templates[kind] = _Template(kind, subject, body)
    missing = [k.value for k in LetterKind if k not in templates]
    if missing:
        raise LetterError(f"{path}: no letter for {', '.join(missing)}")
    return _Language(templates, causes, lines, today)


class LetterLibrary:
    """The letters of every language, ready to fill."""

    def __init__(self, languages: Mapping[str, _Language]) -> None:
        self._languages = dict(languages)

    @classmethod
    def load(cls, dirs: Sequence[Path] = ()) -> LetterLibrary:
        """The shipped letters, each language's file replaced by the first same-named file in
        `dirs` (a replacement stands alone, like the scripts')."""
        languages = {}
        for lang in LANGUAGES:
            name = f"{lang}.toml"
            path = next((d / name for d in dirs if (d / name).is_file()), SHIPPED_DIR / name)
            languages[lang] = _load_language(path)
        return cls(languages)

    def compose(self, kind: LetterKind, lang: str, facts: LetterFacts) -> tuple[str, str]:
        """The letter's subject and body filled from the case: values inserted literally, the
        optional lines left out (with their line) when the case has nothing to say there."""
        try:
            words = self._languages[lang]
        except KeyError:
            raise LetterError(f"no letters in language {lang!r}") from None
        local = facts.now.astimezone(facts.tz)
        cause = words.causes.get(facts.root_cause_category, "")
        values = {
            "salutation": facts.salutation,
            "customer_name": facts.customer_name,
            "case_number": facts.case_number,
            "remedy": facts.remedy.strip(),
            "reason": facts.reject_reason.strip(),
            "agent_name": facts.agent_name,
            "department": facts.department,
            "today": words.today.format(year=local.year, month=local.month, day=local.day),
            "cause_line": words.lines["cause"].format(cause=cause) if cause else "",
            "compensation_line": (
                words.lines["compensation"].format(amount=f"{facts.compensation:,.2f}")
                if facts.compensation
                else ""
            ),
            "promise_line": (
                words.lines["promise"].format(
                    date=promise_words(facts.resolve_due, facts.now, facts.tz, lang)
                )
                if facts.resolve_due is not None and facts.resolve_due > facts.now
                else ""
            ),
        }
        template = words.templates[kind]
        subject = " ".join(template.subject.format_map(values).split())
        body = template.body.format_map(values)
        body = "\n".join(line.rstrip() for line in body.splitlines())
        return subject, re.sub(r"\n{3,}", "\n\n", body).strip("\n") + "\n"


@lru_cache(maxsize=4)
def letter_library(dirs: tuple[Path, ...] = ()) -> LetterLibrary:
    """The letters for a deployment's script folders (each searched for `letters/`)."""
    return LetterLibrary.load([d / "letters" for d in dirs])
