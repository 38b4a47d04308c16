"""The message catalog: every string the desk shows, in every language it speaks.

Strings live in `deskapp/data/messages.toml`, not in code, so the two languages can be reviewed
side by side and cannot drift: a message that exists in one language only, or whose placeholders
differ between languages, stops the program at load time instead of showing a blank or a
`KeyError` to an agent in the middle of a call.

Values passed to `Catalog.text` are substituted literally by `str.format` (a value containing
`{…}` is not expanded again). The result is plain text: screens must still render anything that
came from a customer as plain text, never as markup.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from deskapp.domain import (
    Category,
    Channel,
    ClaimType,
    CustomerTier,
    MilestoneKind,
    MilestoneState,
    RemedyType,
    RiskFlag,
    Role,
    RootCause,
    Severity,
    Status,
    ToldBy,
)
from deskapp.tomlfile import read_toml

__all__ = [
    "DEFAULT_PATH",
    "ENUM_SECTIONS",
    "LANGUAGES",
    "Catalog",
    "CatalogError",
    "default_catalog",
    "enum_label",
    "field_label",
    "language_of",
    "localise_problem",
    "problem_code",
    "resolve_language",
    "text",
    "validation_text",
]

#: The languages every message must exist in; the first is the desk's home language.
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_PATH = Path(__file__).parent / "data" / "messages.toml"

#: Each domain enum's labels live under `enum.<section>.<value>`.
ENUM_SECTIONS: dict[type[StrEnum], str] = {
    Channel: "channel",
    Category: "category",
    ClaimType: "claim_type",
    Severity: "severity",
    RiskFlag: "flag",
    Status: "status",
    Role: "role",
    CustomerTier: "tier",
    MilestoneKind: "milestone",
    MilestoneState: "milestone_state",
    RemedyType: "remedy",
    RootCause: "root_cause",
    ToldBy: "told_by",
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FORMATTER = string.Formatter()


class CatalogError(ValueError):
    """A catalog that cannot be loaded, or a message that cannot be produced; names the key."""


def placeholders(template: str, where: str) -> frozenset[str]:
    """The named fields of a `str.format` template.

    Only plain names are allowed: positional `{}` would make the two languages' argument order
    matter, and `{a.b}` / `{a[0]}` would let a catalog edit reach into the objects passed in.
    """
    names: set[str] = set()
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise CatalogError(f"{where}: {exc} (write a literal brace as {{{{ or }}}})") from None
    for _literal, name, spec, _conversion in parsed:
        if name is None:
            continue
        if not _IDENTIFIER.match(name):
            raise CatalogError(
                f"{where}: placeholder {{{name}}} must be a plain name such as {{count}}"
            )
        if spec and "{" in spec:
            raise CatalogError(f"{where}: nested placeholders are not allowed in {{{name}}}")
        names.add(name)
    return frozenset(names)


@dataclass(frozen=True)
class _Message:
    texts: Mapping[str, str]
    fields: frozenset[str]


class Catalog:
    """All messages by dotted key; immutable once loaded."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]], source: str) -> None:
        self.source = source
        self._messages: dict[str, _Message] = {}
        for key, texts in messages.items():
            self._messages[key] = _check_message(key, texts, source)

    @classmethod
    def load(cls, path: Path | None = None) -> Catalog:
        path = path or DEFAULT_PATH
        _text, data = read_toml(path, CatalogError, "the message catalog")
        return cls(dict(_flatten(data, "", str(path))), str(path))

    def __contains__(self, key: object) -> bool:
        return key in self._messages

    def __iter__(self) -> Iterator[str]:
        return iter(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def fields(self, key: str) -> frozenset[str]:
        return self._message(key).fields

    def text(self, key: str, lang: str, /, **values: object) -> str:
        """The message in `lang` with its placeholders filled; a missing value is an error."""
        message = self._message(key)
        if lang not in message.texts:
            raise CatalogError(f"unknown language {lang!r} for {key!r}; known: {LANGUAGES}")
        missing = message.fields - values.keys()
        if missing:
            raise CatalogError(f"{key}: no value for {', '.join(sorted(missing))}")
        return message.texts[lang].format(**values)

    def _message(self, key: str) -> _Message:
        try:
            return self._messages[key]
        except KeyError:
            raise CatalogError(f"no message {key!r} in {self.source}") from None


def _flatten(
    table: Mapping[str, object], prefix: str, source: str
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield (dotted key, {lang: text}) for every leaf.

    A leaf is a table whose keys are languages; any table holding a language key must be a leaf,
    so a message with a third, misspelt language (`eng = …`) is reported, not ignored.
    """
    for name, value in table.items():
        key = f"{prefix}{name}"
        if not isinstance(value, dict):
            raise CatalogError(
                f'{source}: {key} must be a table of languages, e.g. {{ zh = "…", en = "…" }}'
            )
        if any(lang in value for lang in LANGUAGES):
            yield key, value
        else:
            yield from _flatten(value, f"{key}.", source)


def _check_message(key: str, texts: Mapping[str, object], source: str) -> _Message:
    where = f"{source}: {key}"
    missing = [lang for lang in LANGUAGES if lang not in texts]
    if missing:
        raise CatalogError(f"{where}: missing the {', '.join(missing)} text")
    extra = sorted(set(texts) - set(LANGUAGES))
    if extra:
        raise CatalogError(f"{where}: unknown language {', '.join(extra)}; known: {LANGUAGES}")
    clean: dict[str, str] = {}
    fields: dict[str, frozenset[str]] = {}
    for lang in LANGUAGES:
        value = texts[lang]
        if not isinstance(value, str) or not value.strip():
            raise CatalogError(f"{where}: the {lang} text must be a non-empty string")
        clean[lang] = value
        fields[lang] = placeholders(value, f"{where} ({lang})")
    first = fields[LANGUAGES[0]]
    for lang in LANGUAGES[1:]:
        if fields[lang] != first:
            raise CatalogError(
                f"{where}: placeholders differ between languages: "
                + "; ".join(f"{lg} {{{', '.join(sorted(fields[lg]))}}}" for lg in LANGUAGES)
            )
    return _Message(clean, first)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The shipped catalog, loaded once per process."""
    return Catalog.load()


def text(key: str, lang: str, /, **values: object) -> str:
    return default_catalog().text(key, lang, **values)


# --- choosing the language ----------------------------------------------------------------------


def language_of(value: str) -> str | None:
    """`zh`, `zh-CN`, `zh_CN.UTF-8`, `en_GB` … → a catalog language, or None if we have none."""
    base = value.strip().lower().replace("-", "_").split(".")[0].split("@")[0]
    for lang in LANGUAGES:
        if base == lang or base.startswith(f"{lang}_"):
            return lang
    return None


def resolve_language(option: str | None, configured: str | None, env: Mapping[str, str]) -> str:
    """`--lang` beats the configuration, which beats the locale.

    A language named on purpose (option or config) that we do not speak is an error, so a typo
    does not silently switch the desk to English; the locale follows POSIX (the first non-empty
    of LC_ALL, LC_MESSAGES, LANG) and anything not Chinese, including `C`, means English.
    """
    for value, source in ((option, "--lang"), (configured, "the configuration")):
        if value is not None and value.strip():
            lang = language_of(value)
            if lang is None:
                raise ValueError(
                    f"{source} names language {value!r}; choose one of {', '.join(LANGUAGES)}"
                )
            return lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "zh" if value.strip().lower().startswith("zh") else "en"
    return "en"


# --- labels -------------------------------------------------------------------------------------


def enum_label(value: StrEnum, lang: str, catalog: Catalog | None = None) -> str:
    """The display name of a domain value (channel, category, severity, flag, status, …)."""
    section = ENUM_SECTIONS.get(type(value))
    if section is None:
        raise CatalogError(f"{type(value).__name__} has no labels in the catalog")
    return (catalog or default_catalog()).text(f"enum.{section}.{value.value}", lang)


def field_label(name: str, lang: str, catalog: Catalog | None = None) -> str:
    """The label of an intake-form field (`IntakeForm` attribute names)."""
    return (catalog or default_catalog()).text(f"field.{name}", lang)


# --- validation messages ------------------------------------------------------------------------

#: deskapp.validation and deskapp.cases write their problems in English for logs and events;
#: these patterns turn each one back into a code (+ values) the catalog can say in any language.
#: tests/deskapp/test_i18n.py feeds every message those modules can produce through them.
_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"required\Z"), "required"),
    (re.compile(r"phone number: .*"), "phone_format"),
    (re.compile(r"e-mail address looks wrong.*"), "email_format"),
    (re.compile(r"at most (?P<limit>\d+) characters \((?P<typed>\d+) typed\)\Z"), "too_long"),
    (re.compile(r"not a number\Z"), "not_a_number"),
    (re.compile(r"cannot be negative\Z"), "negative"),
    (
        re.compile(r"contains a character that cannot be stored \((?P<char>U\+\w+)\)\Z"),
        "unstorable",
    ),
)


def problem_code(message: str) -> tuple[str, dict[str, str]] | None:
    """The code and values of a problem message from deskapp.validation, or None."""
    for pattern, code in _PROBLEMS:
        match = pattern.match(message)
        if match:
            return code, dict(match.groupdict())
    return None


def validation_text(
    field: str, code: str, lang: str, catalog: Catalog | None = None, **values: object
) -> str:
    """`validation.<code>` in `lang`; `{field}` is available to the text as the field's label."""
    cat = catalog or default_catalog()
    label = cat.text(f"field.{field}", lang) if f"field.{field}" in cat else field
    return cat.text(f"validation.{code}", lang, field=label, **values)


def localise_problem(field: str, message: str, lang: str, catalog: Catalog | None = None) -> str:
    """A problem from `check_fields` / `InvalidInput.problems` in `lang`.

    An unknown message (a check added without a catalog entry) is shown as written rather than
    hidden; the test that feeds every validation message through here keeps that from shipping.
    """
    found = problem_code(message)
    if found is None:
        return message
    code, values = found
    return validation_text(field, code, lang, catalog, **values)
