"""Mappings: which source columns fill which complaint fields, and which source values mean
which of ours. Built-in mappings are TOML files in `deskapp/data/mappings/` (`cfpb`); a
deployment writes its own `NAME.toml` in the same form (docs/import.md).

Headers and values match loosely: case, spaces, underscores and punctuation do not count, so
`Consumer consent provided?` and `consumer_consent_provided` are one column. A column may have
several spellings, written `"Complaint ID|public_id"`. Value keys may end or start with `*`.
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from deskapp.domain import Category, Channel
from deskapp.tomlfile import read_toml

#: The fields a mapping may fill and whether each takes one column or a list of them.
SINGLE = (
    "external_id",
    "received",
    "closed",
    "status",
    "channel",
    "category",
    "description",
    "product_ref",
)
MULTIPLE = ("subject", "place", "customer", "notes")
PERSON = ("customer_name", "customer_phone", "customer_email")
FIELDS = SINGLE + MULTIPLE + PERSON
STATUSES = ("open", "closed")


class MappingError(ValueError):
    """A mapping file that cannot be used, or a file no mapping fits."""


@lru_cache(maxsize=8192)
def loose(text: str) -> str:
    """A header or value as it is compared: width-folded, case-folded, letters and digits only
    (CJK characters are letters, so Chinese headers keep their meaning)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


@dataclass(frozen=True)
class Column:
    """One source column, by any of its spellings."""

    spellings: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Column:
        return cls(tuple(s.strip() for s in text.split("|") if s.strip()))

    def find(self, header: list[str]) -> int | None:
        wanted = {loose(s) for s in self.spellings}
        for i, name in enumerate(header):
            if loose(name) in wanted:
                return i
        return None

    @property
    def label(self) -> str:
        return self.spellings[0]


@dataclass(frozen=True)
class ValueMap:
    """Source values → ours, exact (loose) keys first, then wildcard keys in file order."""

    exact: dict[str, str]
    patterns: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, table: dict[str, Any], allowed: set[str], where: str) -> ValueMap:
        exact: dict[str, str] = {}
        patterns: list[tuple[str, str]] = []
        for key, value in table.items():
            if not isinstance(value, str) or value not in allowed:
                raise MappingError(
                    f"{where}: {key!r} maps to {value!r}, not one of {sorted(allowed)}"
                )
            if "*" in key:
                patterns.append((_loose_pattern(key), value))
            else:
                exact[loose(key)] = value
        return cls(exact, tuple(patterns))

    def get(self, value: str) -> str | None:
        key = loose(value)
        found = self.exact.get(key)
        if found is not None:
            return found
        for pattern, mapped in self.patterns:
            if fnmatch.fnmatchcase(key, pattern):
                return mapped
        return None


def _loose_pattern(key: str) -> str:
    return "*".join(loose(part) for part in key.split("*"))


@dataclass(frozen=True)
class Mapping:
    name: str
    title: str
    source: str
    default_status: str
    columns: dict[str, tuple[Column, ...]]
    status: ValueMap
    channel: ValueMap
    category: ValueMap
    default_channel: str = Channel.PHONE.value
    origin: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def bind(self, header: list[str]) -> Bound:
        """Where each mapped column sits in this header; a missing `received` is fatal."""
        where: dict[str, list[tuple[str, int]]] = {}
        for name, columns in self.columns.items():
            found = [(c.label, i) for c in columns if (i := c.find(header)) is not None]
            if found:
                where[name] = found
        if "received" not in where:
            spelled = " or ".join(self.columns["received"][0].spellings)
            raise MappingError(
                f"mapping {self.name}: the file has no column {spelled} (the date a complaint "
                f"was received); its columns are: {', '.join(header)}"
            )
        return Bound(self, where, tuple(header))

    def score(self, header: list[str]) -> int:
        """How many of the mapping's columns this header has (0 without the received date)."""
        received = self.columns.get("received", ())
        if not any(c.find(header) is not None for c in received):
            return 0
        return sum(1 for cols in self.columns.values() for c in cols if c.find(header) is not None)


@dataclass(frozen=True)
class Bound:
    """A mapping fitted to one file's header: field → [(column label, index)]."""

    mapping: Mapping
    where: dict[str, list[tuple[str, int]]]
    header: tuple[str, ...]

    @property
    def width(self) -> int:
        return len(self.header)

    def one(self, name: str, fields: list[str]) -> str | None:
        found = self.where.get(name)
        return None if not found else fields[found[0][1]].strip()

    def many(self, name: str, fields: list[str]) -> list[tuple[str, str]]:
        return [(label, fields[i].strip()) for label, i in self.where.get(name, [])]

    def has(self, name: str) -> bool:
        return name in self.where


def parse_mapping(data: dict[str, Any], origin: str) -> Mapping:
    """A mapping from its TOML data; every mistake names the file and the key."""
    head = data.get("mapping", {})
    if not isinstance(head, dict) or not head.get("name"):
        raise MappingError(f"{origin}: [mapping] needs a name")
    name = str(head["name"])
    source = str(head.get("source") or name)
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", source):
        raise MappingError(f"{origin}: source {source!r}: 1-64 letters, digits, _ . : -")
    default_status = str(head.get("default_status", "open"))
    if default_status not in STATUSES:
        raise MappingError(f"{origin}: default_status must be open or closed")
    raw = data.get("columns", {})
    if not isinstance(raw, dict):
        raise MappingError(f"{origin}: [columns] must be a table")
    unknown = set(raw) - set(FIELDS)
    if unknown:
        raise MappingError(f"{origin}: unknown fields in [columns]: {', '.join(sorted(unknown))}")
    columns: dict[str, tuple[Column, ...]] = {}
    for key, value in raw.items():
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise MappingError(f"{origin}: columns.{key} must be a header or a list of headers")
        if key in SINGLE and len(texts) != 1:
            raise MappingError(f"{origin}: columns.{key} takes one column")
        columns[key] = tuple(Column.parse(t) for t in texts)
    if "received" not in columns:
        raise MappingError(f"{origin}: columns.received (the date received) is required")
    statuses = _table(data, "status", origin)
    status = ValueMap(
        {loose(v): s for s in STATUSES for v in statuses.get(s, []) if "*" not in v},
        tuple((_loose_pattern(v), s) for s in STATUSES for v in statuses.get(s, []) if "*" in v),
    )
    channels = ValueMap.parse(
        _table(data, "channel", origin), {c.value for c in Channel}, f"{origin}: [channel]"
    )
    categories = ValueMap.parse(
        _table(data, "category", origin), {c.value for c in Category}, f"{origin}: [category]"
    )
    default_channel = str(head.get("default_channel", Channel.PHONE.value))
    if default_channel not in {c.value for c in Channel}:
        raise MappingError(f"{origin}: default_channel {default_channel!r} is not a channel")
    return Mapping(
        name=name,
        title=str(head.get("title", name)),
        source=source,
        default_status=default_status,
        columns=columns,
        status=status,
        channel=channels,
        category=categories,
        default_channel=default_channel,
        origin=origin,
    )


def _table(data: dict[str, Any], key: str, origin: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(f"{origin}: [{key}] must be a table")
    return value


def builtin_names() -> list[str]:
    folder = resources.files("deskapp") / "data" / "mappings"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_mapping(name_or_path: str) -> Mapping:
    """A built-in mapping by name (`cfpb`) or a mapping file (`ours.toml`)."""
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        path = Path(name_or_path)
        _, data = read_toml(path, MappingError, "the mapping")
        return parse_mapping(data, str(path))
    if name_or_path not in builtin_names():
        raise MappingError(
            f"no built-in mapping {name_or_path!r} (built in: {', '.join(builtin_names())}); "
            "a mapping file is named NAME.toml"
        )
    resource = resources.files("deskapp") / "data" / "mappings" / f"{name_or_path}.toml"
    with resources.as_file(resource) as path:
        _, data = read_toml(path, MappingError, "the mapping")
    return parse_mapping(data, f"built-in mapping {name_or_path}")


def choose_mapping(choice: str, header: list[str]) -> Mapping:
    """`auto`: the built-in mapping that knows the most of this header's columns (at least
    the received date and one more); otherwise the named one."""
    if choice != "auto":
        return load_mapping(choice)
    scored = sorted(
        ((m.score(header), m.name, m) for m in (load_mapping(n) for n in builtin_names())),
        key=lambda t: (-t[0], t[1]),
    )
    if not scored or scored[0][0] < 2:
        raise MappingError(
            "no built-in mapping fits this file's columns "
            f"({', '.join(header)}); write a mapping file and give --mapping NAME.toml"
        )
    return scored[0][2]
