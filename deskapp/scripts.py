"""Script prompts: what the agent says at each stage of a case, in the customer's language.

Wording is content, not code: the templates are TOML files (`deskapp/data/scripts/zh.toml`,
`en.toml`) that an administrator may replace by putting a file of the same name in a script
folder. A template is chosen by stage and, when a more specific one exists, by the case's
category, severity and the customer's tier, so an urgent or VIP case gets wording that fits.

A mistake in a template must surface when the files are loaded, with the file and line, not as a
blank or a raw `{placeholder}` read out to a customer. So loading checks every placeholder
against the known set, that every stage has a fallback template in every language, and that the
stages which must say something (the rejection's reason, the promised reply time) do.

Filled scripts are plain `str`; values (the customer's name, a summary of what they said) are
inserted literally, never interpreted. Screens show them as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from deskapp.domain import Category, CustomerTier, Severity
from deskapp.i18n import LANGUAGES, CatalogError, placeholders
from deskapp.tomlfile import read_toml

__all__ = [
    "PLACEHOLDERS",
    "REQUIRED",
    "SHIPPED_DIR",
    "STAGES",
    "MissingValues",
    "ScriptError",
    "ScriptLibrary",
    "ScriptTemplate",
    "default_library",
]

STAGES: tuple[str, ...] = (
    "greeting",
    "readback",
    "promise",
    "reject",
    "transfer",
    "plan",
    "resolution",
    "feedback",
    "revisit",
    "decline",
)

#: Stages added after deployments wrote their own script files: a file without one borrows
#: the named stage's wording, so an upgrade never stops a desk whose scripts were replaced.
BORROWED: Mapping[str, str] = {"decline": "reject"}

PLACEHOLDERS = frozenset(
    {
        "salutation",
        "customer_name",
        "case_number",
        "reply_by",
        "agent_name",
        "department",
        "remedy",
        "reason",
        "summary",
    }
)

#: What a stage's wording must contain, whatever an administrator writes: a rejection is told
#: with its reason, and a promise names the reply time (DESIGN.md §1).
REQUIRED: Mapping[str, frozenset[str]] = {
    "reject": frozenset({"reason"}),
    "decline": frozenset({"reason"}),
    "promise": frozenset({"reply_by"}),
}

E = TypeVar("E", bound=StrEnum)

SHIPPED_DIR = Path(__file__).parent / "data" / "scripts"

_SALUTATION_KEYS = ("standard", "vip", "unnamed", "unnamed_vip")
_TEMPLATE_KEYS = frozenset({"stage", "category", "severity", "tier", "body"})
_HEADER = re.compile(r"\s*\[\[\s*script\s*\]\]")
_KEY = re.compile(r"\s*([A-Za-z0-9_-]+)\s*=")


class ScriptError(ValueError):
    """A script file or template that cannot be used; names the file and line."""


class MissingValues(ScriptError):
    """A fill lacked values for placeholders its template uses."""

    def __init__(self, source: str, stage: str, names: frozenset[str]) -> None:
        self.names = names
        super().__init__(
            f"{source}: the {stage} script needs {', '.join(sorted(names))}, which was not given"
        )


@dataclass(frozen=True)
class ScriptTemplate:
    stage: str
    lang: str
    body: str
    #: "file:line" of the template's `[[script]]` entry, for admins and error messages.
    source: str
    category: Category | None = None
    severity: Severity | None = None
    tier: CustomerTier | None = None

    @property
    def placeholders(self) -> frozenset[str]:
        return placeholders(self.body, self.source)

    @property
    def specificity(self) -> tuple[int, int]:
        """More selectors win; among as many, severity outranks tier, which outranks category
        (an urgent case needs urgent wording first; the VIP's form of address comes with the
        salutation anyway)."""
        chosen = (self.severity is not None, self.tier is not None, self.category is not None)
        return sum(chosen), 4 * chosen[0] + 2 * chosen[1] + chosen[2]

    def matches(
        self, category: Category | None, severity: Severity | None, tier: CustomerTier | None
    ) -> bool:
        return (
            (self.category is None or self.category == category)
            and (self.severity is None or self.severity == severity)
            and (self.tier is None or self.tier == tier)
        )

    def fill(self, **values: str) -> str:
        """The script with its placeholders replaced by `values`, inserted literally; a
        placeholder without a value raises `MissingValues` (extra values are ignored)."""
        return self.preview(values)

    def preview(
        self, values: Mapping[str, str | None], missing: Callable[[str], str] | None = None
    ) -> str:
        """Like `fill`, but `missing` (when given) names the stand-in for a value not known yet,
        e.g. the case number while the complaint is still being typed."""
        needed = self.placeholders
        absent = frozenset(name for name in needed if values.get(name) is None)
        if absent and missing is None:
            raise MissingValues(self.source, self.stage, absent)
        filled = {name: str(values[name]) for name in needed - absent}
        if missing is not None:
            filled.update({name: missing(name) for name in absent})
        return self.body.format_map(filled)


# --- locating entries in the TOML text -----------------------------------------------------------


def _string_state(line: str, state: str | None) -> str | None:
    """Whether a multi-line string is still open after `line` (None, '\"\"\"' or \"'''\")."""
    i = 0
    while i < len(line):
        if state is None:
            char = line[i]
            if char == "#":
                break
            if line.startswith('"""', i) or line.startswith("'''", i):
                state, i = line[i : i + 3], i + 3
            elif char == '"':
                i += 1
                while i < len(line) and line[i] != '"':
                    i += 2 if line[i] == "\\" else 1
                i += 1
            elif char == "'":
                end = line.find("'", i + 1)
                i = len(line) if end < 0 else end + 1
            else:
                i += 1
        elif state == '"""' and line[i] == "\\":
            i += 2
        elif line.startswith(state, i):
            i += 3
            while i < len(line) and line[i] == state[0]:
                i += 1  # """" closes with a quote inside the string
            state = None
        else:
            i += 1
    return state


def _entry_lines(text: str) -> list[tuple[int, dict[str, int]]]:
    """For each `[[script]]` entry, its header line and the line of each of its keys."""
    entries: list[tuple[int, dict[str, int]]] = []
    state: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if state is None:
            if _HEADER.match(line):
                entries.append((number, {}))
            elif line.lstrip().startswith("["):
                entries.append((number, {"": -1}))  # another table ends the entry
            elif entries and (key := _KEY.match(line)):
                entries[-1][1].setdefault(key.group(1), number)
        state = _string_state(line, state)
    return [entry for entry in entries if "" not in entry[1]]


# --- loading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Language:
    templates: tuple[ScriptTemplate, ...]
    salutations: Mapping[str, str]
    path: Path


def _selector(
    kind: type[E], raw: Mapping[str, object], key: str, where: Callable[[str], str]
) -> E | None:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, str) and value in {member.value for member in kind}:
        return kind(value)
    known = ", ".join(member.value for member in kind)
    raise ScriptError(f"{where(key)}: unknown {key} {value!r} (known: {known})")


def _parse_entry(raw: object, lang: str, where: Callable[[str], str]) -> ScriptTemplate:
    """One template; `where(key)` says where that key (or, for "", the entry) is written."""
    if not isinstance(raw, dict):
        raise ScriptError(f"{where('')}: a [[script]] entry must be a table")
    unknown = sorted(set(raw) - _TEMPLATE_KEYS)
    if unknown:
        raise ScriptError(
            f"{where(unknown[0])}: unknown key {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_TEMPLATE_KEYS))})"
        )
    stage = raw.get("stage")
    if stage not in STAGES:
        raise ScriptError(
            f"{where('stage')}: stage must be one of {', '.join(STAGES)}, not {stage!r}"
        )
    body = raw.get("body")
    if not isinstance(body, str) or not body.strip():
        raise ScriptError(f"{where('body')}: the {stage} script has no body")
    category = _selector(Category, raw, "category", where)
    severity = _selector(Severity, raw, "severity", where)
    tier = _selector(CustomerTier, raw, "tier", where)
    try:
        used = placeholders(body, where("body"))
    except CatalogError as exc:
        raise ScriptError(str(exc)) from None
    unknown_names = sorted(used - PLACEHOLDERS)
    if unknown_names:
        raise ScriptError(
            f"{where('body')}: unknown placeholder "
            + ", ".join(f"{{{name}}}" for name in unknown_names)
            + f" in the {stage} script (known: {', '.join(sorted(PLACEHOLDERS))})"
        )
    lacking = sorted(REQUIRED.get(stage, frozenset()) - used)
    if lacking:
        raise ScriptError(
            f"{where('body')}: a {stage} script must say "
            + ", ".join(f"{{{name}}}" for name in lacking)
        )
    return ScriptTemplate(
        stage=stage,
        lang=lang,
        body=body.strip("\n"),
        source=where(""),
        category=category,
        severity=severity,
        tier=tier,
    )


def _load_language(path: Path, lang: str) -> _Language:
    text, data = read_toml(path, ScriptError, "the scripts")
    unknown = sorted(set(data) - {"salutation", "script"})
    if unknown:
        raise ScriptError(
            f"{path}: unknown section {', '.join(unknown)} (known: salutation, script)"
        )

    raw_salutations = data.get("salutation")
    if not isinstance(raw_salutations, dict):
        raise ScriptError(f"{path}: needs a [salutation] table ({', '.join(_SALUTATION_KEYS)})")
    salutations: dict[str, str] = {}
    for key in _SALUTATION_KEYS:
        value = raw_salutations.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ScriptError(f'{path}: [salutation] needs {key} = "…"')
        try:
            names = placeholders(value, f"{path}: [salutation] {key}")
        except CatalogError as exc:
            raise ScriptError(str(exc)) from None
        allowed = frozenset() if key.startswith("unnamed") else frozenset({"customer_name"})
        if names - allowed:
            raise ScriptError(
                f"{path}: [salutation] {key} may not use placeholders"
                if not allowed
                else f"{path}: [salutation] {key} may use only {{customer_name}}"
            )
        salutations[key] = value
    extra = sorted(set(raw_salutations) - set(_SALUTATION_KEYS))
    if extra:
        raise ScriptError(f"{path}: [salutation] has unknown key {', '.join(extra)}")

    raw_entries = data.get("script", [])
    if not isinstance(raw_entries, list):
        raise ScriptError(f"{path}: templates are written as [[script]] entries")
    lines = _entry_lines(text)
    if len(lines) != len(raw_entries):  # an unusual layout: name entries by number instead
        lines = [(-index, {}) for index in range(1, len(raw_entries) + 1)]
    templates: list[ScriptTemplate] = []
    seen: dict[tuple[object, ...], ScriptTemplate] = {}
    for raw, (line, keys) in zip(raw_entries, lines, strict=True):

        def where(key: str, line: int = line, keys: Mapping[str, int] = keys) -> str:
            return f"{path}:{keys.get(key, line)}" if line > 0 else f"{path} (entry {-line})"

        template = _parse_entry(raw, lang, where)
        selector = (template.stage, template.category, template.severity, template.tier)
        if selector in seen:
            raise ScriptError(
                f"{template.source}: same stage and selectors as {seen[selector].source}"
            )
        seen[selector] = template
        templates.append(template)
    for stage in STAGES:
        borrowing = stage in BORROWED and not any(key[0] == stage for key in seen)
        if (stage, None, None, None) not in seen and not borrowing:
            raise ScriptError(
                f"{path}: no {stage} script without category, severity or tier "
                "(every stage needs one to fall back on)"
            )
    return _Language(tuple(templates), salutations, path)


class ScriptLibrary:
    """The templates of every language, ready to pick from."""

    def __init__(self, languages: Mapping[str, _Language]) -> None:
        self._languages = dict(languages)

    @classmethod
    def load(cls, dirs: Sequence[Path] = ()) -> ScriptLibrary:
        """The shipped scripts, each language's file replaced by the first same-named file
        (`zh.toml`, `en.toml`) found in `dirs`. A replacement stands alone: it is not merged."""
        languages: dict[str, _Language] = {}
        for lang in LANGUAGES:
            name = f"{lang}.toml"
            path = next((d / name for d in dirs if (d / name).is_file()), SHIPPED_DIR / name)
            languages[lang] = _load_language(path, lang)
        return cls(languages)

    def _language(self, lang: str) -> _Language:
        try:
            return self._languages[lang]
        except KeyError:
            raise ScriptError(
                f"no scripts in language {lang!r} (known: {', '.join(self._languages)})"
            ) from None

    def templates(self, lang: str) -> tuple[ScriptTemplate, ...]:
        return self._language(lang).templates

    def source(self, lang: str) -> Path:
        return self._language(lang).path

    def pick(
        self,
        stage: str,
        lang: str,
        category: Category | None = None,
        severity: Severity | None = None,
        tier: CustomerTier | None = None,
    ) -> ScriptTemplate:
        """The most specific template for the case; every stage has a fallback, so this only
        fails for an unknown stage or language."""
        if stage not in STAGES:
            raise ScriptError(f"unknown stage {stage!r} (known: {', '.join(STAGES)})")
        templates = self._language(lang).templates
        if stage in BORROWED and not any(t.stage == stage for t in templates):
            stage = BORROWED[stage]
        fitting = [t for t in templates if t.stage == stage and t.matches(category, severity, tier)]
        return max(fitting, key=lambda t: t.specificity)

    def salutation(self, name: str, lang: str, tier: CustomerTier | None = None) -> str:
        """How to address the customer: "尊敬的王小明" / "Dear Wang Xiaoming", with the VIP form
        for VIP customers. We do not record gender, so no 先生/女士 or Mr/Ms is ever guessed."""
        forms = self._language(lang).salutations
        vip = tier == CustomerTier.VIP
        name = " ".join(name.split())
        if not name:
            return forms["unnamed_vip" if vip else "unnamed"]
        return forms["vip" if vip else "standard"].format(customer_name=name)

    def render(
        self,
        stage: str,
        lang: str,
        values: Mapping[str, str | None],
        *,
        category: Category | None = None,
        severity: Severity | None = None,
        tier: CustomerTier | None = None,
        missing: Callable[[str], str] | None = None,
    ) -> str:
        """Pick and fill in one step; `salutation` is made from `customer_name` and the tier
        unless given. Without `missing`, an unknown value raises `MissingValues`."""
        template = self.pick(stage, lang, category, severity, tier)
        known = dict(values)
        name = known.get("customer_name")
        if known.get("salutation") is None and name is not None:
            known["salutation"] = self.salutation(name, lang, tier)
        return template.preview(known, missing)


@lru_cache(maxsize=1)
def default_library() -> ScriptLibrary:
    """The shipped scripts only; a deployment with a script folder loads its own library."""
    return ScriptLibrary.load()
