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

from deskapp.domain import Category, RemedyType, RiskFlag, RootCause
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


# -- what customers complain about ----------------------------------------------------------

#: Where an investigation may find the cause of each category of complaint. A noisy blender's
#: cause lies in its design, its making or its parts, never in a discount rule; the stories
#: are held to this when they are read, and the tests hold the generated desk to it.
FITTING_CAUSES: dict[Category, frozenset[RootCause]] = {
    Category.QUALITY: frozenset(
        {RootCause.DESIGN, RootCause.MANUFACTURING, RootCause.SUPPLIER, RootCause.CUSTOMER_USE}
    ),
    Category.DELIVERY: frozenset({RootCause.LOGISTICS, RootCause.PROCESS, RootCause.SUPPLIER}),
    Category.ATTITUDE: frozenset({RootCause.SERVICE, RootCause.SALES, RootCause.PROCESS}),
    Category.BILLING: frozenset({RootCause.BILLING, RootCause.PROCESS, RootCause.SALES}),
    Category.POLICY: frozenset({RootCause.PROCESS, RootCause.SALES, RootCause.SERVICE}),
    Category.OTHER: frozenset(
        {RootCause.OTHER, RootCause.DESIGN, RootCause.SUPPLIER, RootCause.PROCESS}
    ),
}

#: Texts are pairs indexed by language: 0 Chinese, 1 English (`ZH`, `EN`).
ZH, EN = 0, 1
LANGUAGES = ("zh", "en")
Pair = tuple[str, str]
Phrases = tuple[tuple[str, ...], tuple[str, ...]]
#: What `str.format` may fill into a story's texts (see the head of stories.toml).
SAMPLE_FILL = {"p": "p", "P": "P", "o": "SO1", "d": 3, "a": 100}


@dataclass(frozen=True)
class Product:
    sku: str
    names: Pair
    traits: frozenset[str]


@dataclass(frozen=True)
class Cause:
    where: RootCause
    department: str
    #: The chain of whys, one to five lines per language.
    whys: Phrases


@dataclass(frozen=True)
class Remedy:
    kinds: tuple[RemedyType, ...]
    text: Pair
    #: What the customer is told once it is delivered.
    done: Pair


@dataclass(frozen=True)
class Story:
    category: Category
    subject: Pair
    description: Pair
    demand: Pair
    #: The demand when the customer claims compensation, if the story has its own.
    claim: Pair | None
    causes: tuple[Cause, ...]
    remedies: tuple[Remedy, ...]
    #: The products it fits.
    products: tuple[Product, ...]


@dataclass(frozen=True)
class Handling:
    """What is said and written while a category's cases are worked (see stories.toml)."""

    intake: Phrases
    contact: Phrases
    update: Phrases
    investigating: Phrases
    pending: Phrases
    reminder: Phrases
    reject: Phrases


@dataclass(frozen=True)
class Common:
    claim: Pair
    unjustified: Phrases
    reject: Phrases
    reject_unjustified: Phrases
    compensation: Pair
    plan: Phrases
    legal: Phrases
    transfer: Phrases
    comment_low: Phrases
    comment_mid: Phrases
    comment_high: Phrases
    flags: dict[RiskFlag, Phrases]


@dataclass(frozen=True)
class Stories:
    products: tuple[Product, ...]
    by_category: dict[Category, tuple[Story, ...]]
    handling: dict[Category, Handling]
    common: Common


class _StoryReader(_Reader):
    def pair(self, value: Any, where: str, **fill: Any) -> Pair:
        table = self.table(value, where)
        texts = []
        for lang in LANGUAGES:
            text = table.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(f"{where}.{lang}", "expected a text")
            self.check_fill(text, f"{where}.{lang}", fill)
            texts.append(text)
        return texts[0], texts[1]

    def phrases(self, value: Any, where: str, lines: int = 0, **fill: Any) -> Phrases:
        table = self.table(value, where)
        out = []
        for lang in LANGUAGES:
            texts = self.texts(table.get(lang), f"{where}.{lang}")
            if lines and len(texts) > lines:
                raise self.fail(f"{where}.{lang}", f"at most {lines} lines")
            for text in texts:
                self.check_fill(text, f"{where}.{lang}", fill)
            out.append(texts)
        return out[0], out[1]

    def check_fill(self, text: str, where: str, extra: dict[str, Any]) -> None:
        try:
            text.format(**SAMPLE_FILL, **extra)
        except (KeyError, IndexError, ValueError) as exc:
            raise self.fail(where, f"bad placeholder in {text!r} ({exc!r})") from None

    def products(self) -> tuple[Product, ...]:
        found = []
        for n, entry in enumerate(self.data.get("product", [])):
            where = f"product[{n}]"
            row = self.table(entry, where)
            names = self.pair(row, where)
            traits = frozenset(self.texts(row.get("traits"), f"{where}.traits"))
            found.append(Product(str(row.get("sku", "")), names, traits))
        if not found:
            raise self.fail("product", "the stories need products")
        return tuple(found)

    def story(self, row: dict[str, Any], where: str, products: tuple[Product, ...]) -> Story:
        try:
            category = Category(str(row.get("category")))
        except ValueError:
            raise self.fail(where, f"unknown category {row.get('category')!r}") from None
        traits = frozenset(self.texts(row["traits"], f"{where}.traits") if "traits" in row else ())
        fitting = tuple(p for p in products if not traits or traits & p.traits)
        if not fitting:
            raise self.fail(where, f"no product has any of the traits {sorted(traits)}")
        departments = {d.code for d in people().departments}
        causes = []
        for n, entry in enumerate(row.get("cause", [])):
            at = f"{where}.cause[{n}]"
            cause = self.table(entry, at)
            try:
                found = RootCause(str(cause.get("where")))
            except ValueError:
                raise self.fail(at, f"unknown root cause {cause.get('where')!r}") from None
            if found not in FITTING_CAUSES[category]:
                raise self.fail(at, f"a {found.value} cause does not fit a {category.value} case")
            if cause.get("department") not in departments:
                raise self.fail(at, f"unknown department {cause.get('department')!r}")
            causes.append(Cause(found, cause["department"], self.phrases(cause, at, lines=5)))
        remedies = []
        for n, entry in enumerate(row.get("remedy", [])):
            at = f"{where}.remedy[{n}]"
            remedy = self.table(entry, at)
            kinds = remedy.get("kinds")
            if not isinstance(kinds, list):
                raise self.fail(f"{at}.kinds", "expected a list (it may be empty)")
            try:
                typed = tuple(RemedyType(k) for k in kinds)
            except ValueError as exc:
                raise self.fail(f"{at}.kinds", str(exc)) from None
            done = self.pair(remedy.get("done"), f"{at}.done")
            remedies.append(Remedy(typed, self.pair(remedy, at), done))
        if not causes or not remedies:
            raise self.fail(where, "a story needs at least one cause and one remedy")
        return Story(
            category=category,
            subject=self.pair(row.get("subject"), f"{where}.subject"),
            description=self.pair(row.get("description"), f"{where}.description"),
            demand=self.pair(row.get("demand"), f"{where}.demand"),
            claim=self.pair(row["claim"], f"{where}.claim") if "claim" in row else None,
            causes=tuple(causes),
            remedies=tuple(remedies),
            products=fitting,
        )

    def handling(self, category: Category) -> Handling:
        where = f"category.{category.value}"
        row = self.table(
            self.table(self.data.get("category"), "category").get(category.value), where
        )
        return Handling(
            **{
                name: self.phrases(row.get(name), f"{where}.{name}")
                for name in Handling.__dataclass_fields__
            }
        )

    def common(self) -> Common:
        row = self.table(self.data.get("common"), "common")
        flags = self.table(row.get("flags"), "common.flags")
        pairs: dict[str, dict[str, Any]] = {
            "claim": {"demand": "d"},
            "compensation": {"amount": 100},
        }
        lists: dict[str, dict[str, Any]] = {"plan": {"remedy": "r"}, "transfer": {"dept": "d"}}
        values: dict[str, Any] = {}
        for name in Common.__dataclass_fields__:
            if name == "flags":
                continue
            if name in pairs:
                values[name] = self.pair(row.get(name), f"common.{name}", **pairs[name])
            else:
                values[name] = self.phrases(row.get(name), f"common.{name}", **lists.get(name, {}))
        values["flags"] = {
            RiskFlag(name): self.phrases(flags.get(name), f"common.flags.{name}")
            for name in sorted(flags)
        }
        return Common(**values)


@cache
def stories() -> Stories:
    r = _StoryReader("stories.toml")
    products = r.products()
    found: dict[Category, list[Story]] = {c: [] for c in Category}
    for n, entry in enumerate(r.data.get("story", [])):
        story = r.story(r.table(entry, f"story[{n}]"), f"story[{n}]", products)
        found[story.category].append(story)
    for category, told in found.items():
        if not told:
            raise r.fail("story", f"no story for the {category.value} category")
    return Stories(
        products=products,
        by_category={c: tuple(s) for c, s in found.items()},
        handling={c: r.handling(c) for c in Category},
        common=r.common(),
    )
