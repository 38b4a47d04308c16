"""The demo desk's content: who works there, who complains, about what.

The catalogues are data files in `deskapp/data/demo/` so that whoever tells the demo's stories
edits text, not code. They are read once per process; a mistake in them stops the demo with
the file and the entry named.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from deskapp.domain import Category
from deskapp.tomlfile import read_toml

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"


class CatalogueError(ValueError):
    """A demo data file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class DepartmentEntry:
    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    roles: str
    department: str | None
    compensation_limit: int


@dataclass(frozen=True)
class People:
    departments: tuple[DepartmentEntry, ...]
    staff: tuple[Account, ...]


@dataclass(frozen=True)
class Callers:
    surnames: tuple[str, ...]
    given_names: tuple[str, ...]
    first_names_en: tuple[str, ...]
    last_names_en: tuple[str, ...]
    mobile_prefixes: tuple[str, ...]
    us_area_codes: tuple[str, ...]
    places_zh: tuple[str, ...]
    places_en: tuple[str, ...]
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Stories:
    products: tuple[tuple[str, str, str], ...]
    templates_zh: dict[Category, tuple[tuple[str, str, str], ...]]
    templates_en: dict[Category, tuple[tuple[str, str, str], ...]]
    root_causes: tuple[tuple[str, str], ...]
    remedies: tuple[tuple[str, str], ...]
    reject_reasons: tuple[str, ...]
    pend_reasons: tuple[str, ...]
    contact_outcomes: tuple[str, ...]
    satisfaction_comments: tuple[str, ...]
    transfer_reasons: tuple[str, ...]


class _Reader:
    """Typed access to one file's data, with errors that say where."""

    def __init__(self, name: str) -> None:
        self.path = DATA_DIR / name
        _text, self.data = read_toml(self.path, CatalogueError, "demo catalogue")

    def fail(self, where: str, problem: str) -> CatalogueError:
        return CatalogueError(f"{self.path}: {where}: {problem}")

    def texts(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, "expected a list of strings")
        if not value:
            raise self.fail(where, "the list is empty")
        return tuple(value)

    def tuples(self, value: Any, where: str, size: int) -> tuple[tuple[str, ...], ...]:
        if not isinstance(value, list):
            raise self.fail(where, "expected a list")
        rows = tuple(self.texts(row, f"{where}[{n}]") for n, row in enumerate(value))
        for n, row in enumerate(rows):
            if len(row) != size:
                raise self.fail(f"{where}[{n}]", f"expected {size} strings, got {len(row)}")
        return rows

    def table(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected a table")
        return value


@cache
def people() -> People:
    r = _Reader("people.toml")
    departments = []
    for n, entry in enumerate(r.data.get("department", [])):
        row = r.table(entry, f"department[{n}]")
        departments.append(DepartmentEntry(row["code"], row["name"], row.get("name_en", "")))
    codes = {d.code for d in departments}
    staff = []
    for n, entry in enumerate(r.data.get("staff", [])):
        row = r.table(entry, f"staff[{n}]")
        dept = row.get("department")
        if dept is not None and dept not in codes:
            raise r.fail(f"staff[{n}]", f"unknown department {dept!r}")
        staff.append(
            Account(
                row["login"],
                row["name"],
                row["roles"],
                dept,
                int(row.get("compensation_limit", 0)),
            )
        )
    if not staff:
        raise r.fail("staff", "the demo needs its accounts")
    return People(tuple(departments), tuple(staff))


@cache
def callers() -> Callers:
    r = _Reader("customers.toml")
    d = r.data
    places = r.table(d.get("places"), "places")
    return Callers(
        surnames=r.texts(d.get("surnames"), "surnames"),
        given_names=r.texts(d.get("given_names"), "given_names"),
        first_names_en=r.texts(d.get("first_names_en"), "first_names_en"),
        last_names_en=r.texts(d.get("last_names_en"), "last_names_en"),
        mobile_prefixes=r.texts(d.get("mobile_prefixes"), "mobile_prefixes"),
        us_area_codes=r.texts(d.get("us_area_codes"), "us_area_codes"),
        places_zh=r.texts(places.get("zh"), "places.zh"),
        places_en=r.texts(places.get("en"), "places.en"),
        evidence=r.texts(d.get("evidence"), "evidence"),
    )


@cache
def stories() -> Stories:
    r = _Reader("stories.toml")
    d = r.data
    lists = r.table(d.get("lists"), "lists")

    def templates(name: str) -> dict[Category, tuple[tuple[str, str, str], ...]]:
        table = r.table(d.get(name), name)
        out: dict[Category, tuple[tuple[str, str, str], ...]] = {}
        for category in Category:
            rows = r.tuples(table.get(category.value), f"{name}.{category.value}", 3)
            out[category] = tuple((a, b, c) for a, b, c in rows)
        return out

    def pairs(name: str) -> tuple[tuple[str, str], ...]:
        return tuple((a, b) for a, b in r.tuples(lists.get(name), f"lists.{name}", 2))

    return Stories(
        products=tuple((a, b, c) for a, b, c in r.tuples(d.get("products"), "products", 3)),
        templates_zh=templates("templates_zh"),
        templates_en=templates("templates_en"),
        root_causes=pairs("root_causes"),
        remedies=pairs("remedies"),
        reject_reasons=r.texts(lists.get("reject_reasons"), "lists.reject_reasons"),
        pend_reasons=r.texts(lists.get("pend_reasons"), "lists.pend_reasons"),
        contact_outcomes=r.texts(lists.get("contact_outcomes"), "lists.contact_outcomes"),
        satisfaction_comments=r.texts(
            lists.get("satisfaction_comments"), "lists.satisfaction_comments"
        ),
        transfer_reasons=r.texts(lists.get("transfer_reasons"), "lists.transfer_reasons"),
    )
