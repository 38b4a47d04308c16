"""The dispatch notice (投诉处理通知单): what a department needs to start on a case, on paper.

It is Markdown because it is printed, mailed and pasted into other systems
(`deskapp notice TS-… > notice.md`). It leaves the desk, so the customer's name and phone are
masked as for a role that does not need them. Everything the customer (or a colleague) typed is
escaped: a line starting with `#`, a `|` in a table cell or a run of backticks stays text and
cannot break the layout, and control characters are made visible (`deskapp.display`) so that
printing the notice to a terminal cannot drive that terminal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from deskapp import clock, numbering, sla
from deskapp import milestones as ms
from deskapp.cases import HANDOVERS, Desk, department_contact
from deskapp.display import visible
from deskapp.domain import (
    Category,
    Channel,
    ClaimType,
    MilestoneKind,
    MilestoneState,
    Severity,
    Status,
    parse_flags,
)
from deskapp.errors import NotFound
from deskapp.evidence import human_size
from deskapp.i18n import Catalog, enum_label
from deskapp.masking import contact_for
from store.engine import read_session
from store.models import (
    Attachment,
    CaseEvent,
    Complaint,
    ComplaintAssist,
    Customer,
    Department,
    Milestone,
    Staff,
)

CATALOG_PATH = Path(__file__).parent / "data" / "notice.toml"


@lru_cache(maxsize=1)
def notice_catalog() -> Catalog:
    return Catalog.load(CATALOG_PATH)


# -- escaping ---------------------------------------------------------------------------------

#: Characters that start Markdown inline syntax anywhere in a line (emphasis, code, links,
#: HTML, entities, table cells, strikethrough), and the backslash that escapes them.
_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
#: What starts a block at the beginning of a line: heading, list, thematic break, setext
#: underline, ordered list (`1.` / `1)`).
_LINE_START = re.compile(r"^([#+=-])|^(\d+)([.)])")


def plain(text: str) -> str:
    """Text with its control characters made visible (`deskapp.display`), its line ends
    made newlines: printing the notice can never drive the terminal it is printed on."""
    return visible(text)


def _escape_line(line: str) -> str:
    """One line of Markdown that shows exactly `line` (leading and trailing blanks dropped:
    four leading spaces would start a code block, two trailing ones a line break)."""
    escaped = _INLINE.sub(r"\\\1", line.strip())
    return _LINE_START.sub(
        lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), escaped
    )


def cell(text: str) -> str:
    """Text for a table cell: one line, every newline and run of blanks a single space."""
    return _escape_line(" ".join(plain(text).split()))


def quote(text: str) -> list[str]:
    """Multi-line text as a block quote that keeps the writer's lines and paragraphs."""
    paragraphs: list[list[str]] = [[]]
    for line in plain(text).split("\n"):
        if line.strip():
            paragraphs[-1].append(_escape_line(line))
        elif paragraphs[-1]:
            paragraphs.append([])
    out: list[str] = []
    for para in (p for p in paragraphs if p):
        if out:
            out.append(">")
        # A backslash at the end of a line is a hard line break in CommonMark.
        out += [f"> {line}\\" for line in para[:-1]] + [f"> {para[-1]}"]
    return out


# -- the facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    kind: MilestoneKind
    due_at: datetime
    state: MilestoneState


@dataclass(frozen=True)
class Handover:
    """The latest dispatch or transfer: who handed the case over, when, from where, and why."""

    action: str
    by: str
    at: datetime
    reason: str
    from_department: Department | None


@dataclass(frozen=True)
class NoticeFacts:
    case: Complaint
    customer: Customer
    first_owner: str
    dues: tuple[Due, ...]
    primary: Department | None
    assisting: tuple[Department, ...]
    liaison: str
    handover: Handover | None
    #: The files the desk keeps for the case, oldest first.
    files: tuple[Attachment, ...] = ()


def gather(desk: Desk, number: str) -> NoticeFacts:
    if not numbering.could_be_number(number):
        raise NotFound(f"no complaint {number!r}")
    with read_session(desk.engine) as s:
        c = s.exec(select(Complaint).where(Complaint.number == number)).first()
        if c is None or c.id is None:
            raise NotFound(f"no complaint {number}")
        customer = s.get(Customer, c.customer_id)
        assert customer is not None  # a foreign key
        primary = s.get(Department, c.primary_dept_id) if c.primary_dept_id else None
        contact = department_contact(s, primary.id) if primary and primary.id else None
        return NoticeFacts(
            case=c,
            customer=customer,
            first_owner=_name(s, c.first_owner_id),
            dues=_dues(desk, ms.load(s, c.id)),
            primary=primary,
            assisting=tuple(
                s.exec(
                    select(Department)
                    .join(ComplaintAssist, col(ComplaintAssist.department_id) == col(Department.id))
                    .where(ComplaintAssist.complaint_id == c.id)
                    .order_by(col(Department.code))
                ).all()
            ),
            liaison=contact.display_name if contact else "",
            handover=_handover(s, c.id),
            files=tuple(
                s.exec(
                    select(Attachment)
                    .where(Attachment.complaint_id == c.id, Attachment.storage != "")
                    .order_by(col(Attachment.id))
                ).all()
            ),
        )


def _name(s: Session, staff_id: int | None) -> str:
    staff = s.get(Staff, staff_id) if staff_id is not None else None
    return staff.display_name if staff else ""


def _dues(desk: Desk, rows: list[Milestone]) -> tuple[Due, ...]:
    now = clock.now()
    warn = desk.policy.warn_fraction
    return tuple(
        Due(
            MilestoneKind(m.kind),
            m.due_at,
            sla.standing(m, now, desk.calendars, warn).state,
        )
        for m in sorted((m for m in rows if m.is_open), key=lambda m: m.due_at)
    )


def _handover(s: Session, complaint_id: int) -> Handover | None:
    row = s.exec(
        select(CaseEvent, Staff.display_name)
        .join(Staff, col(Staff.id) == col(CaseEvent.actor_id), isouter=True)
        .where(CaseEvent.complaint_id == complaint_id)
        .where(col(CaseEvent.kind).in_(HANDOVERS))
        .order_by(col(CaseEvent.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    event, who = row
    payload = json.loads(event.payload)
    moved = payload.get("changes", {}).get("primary_dept_id") or [None, None]
    source = s.get(Department, moved[0]) if event.kind == "transfer" and moved[0] else None
    return Handover(event.kind, who or "", event.at, str(payload.get("reason", "")), source)


# -- the Markdown -------------------------------------------------------------------------------


def render_notice(desk: Desk, number: str, lang: str) -> str:
    return _Renderer(gather(desk, number), lang, desk.settings.tz).render()


class _Renderer:
    def __init__(self, facts: NoticeFacts, lang: str, tz: ZoneInfo) -> None:
        self.f, self.lang, self.tz = facts, lang, tz
        self.cat = notice_catalog()

    def t(self, key: str, **values: object) -> str:
        return self.cat.text(f"notice.{key}", self.lang, **values)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return self.t("none")
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def dept(self, d: Department | None) -> str:
        if d is None:
            return self.t("none")
        return cell(d.name_en or d.name if self.lang == "en" else d.name)

    def table(self, head: tuple[str, str], rows: list[tuple[str, str]]) -> list[str]:
        """Rows are (label, value); values are already escaped for a cell."""
        none = self.t("none")
        if not rows:
            return [none, ""]
        lines = [f"| {head[0]} | {head[1]} |", "|---|---|"]
        return [*lines, *(f"| {label} | {value or none} |" for label, value in rows), ""]

    def facts_table(self, rows: list[tuple[str, str]]) -> list[str]:
        return self.table(
            (self.t("item"), self.t("detail")), [(self.t(f"field.{k}"), v) for k, v in rows]
        )

    def render(self) -> str:
        c, lang = self.f.case, self.lang
        # It leaves the desk: the customer is shown as to nobody in particular (masked).
        contact = contact_for(None, c, self.f.customer.name, self.f.customer.phone)
        flags = self.t("list_separator").join(
            enum_label(flag, lang) for flag in sorted(parse_flags(c.flags))
        )
        lines = [
            f"# {self.t('title')}",
            "",
            self.t(
                "issued",
                number=c.number,
                department=self.dept(self.f.primary),
                at=self.when(clock.now()),
                zone=self.tz.key,
            ),
            "",
            f"## {self.t('section.case')}",
            "",
            *self.facts_table(
                [
                    ("number", c.number),
                    ("severity", enum_label(Severity(c.severity), lang)),
                    ("category", enum_label(Category(c.category), lang)),
                    ("claim_type", enum_label(ClaimType(c.claim_type), lang)),
                    ("channel", enum_label(Channel(c.channel), lang)),
                    ("registered_at", self.when(c.created_at)),
                    ("first_owner", cell(self.f.first_owner)),
                    ("flags", flags),
                    ("status", enum_label(Status(c.status), lang)),
                ]
            ),
            f"## {self.t('section.customer')}",
            "",
            *self.facts_table(
                [
                    ("name", cell(contact.name)),
                    ("phone", cell(contact.phone)),
                ]
            ),
            f"## {self.t('section.happened')}",
            "",
            *self.facts_table(
                [
                    ("subject", cell(c.subject)),
                    ("occurred_at", self.when(c.occurred_at) if c.occurred_at else ""),
                    ("place", cell(c.place)),
                    ("order_ref", cell(c.order_ref)),
                    ("product_ref", cell(c.product_ref)),
                ]
            ),
            *self.text_block("section.description", c.description),
            *self.text_block("section.evidence", c.evidence, optional=True),
            *self.files(),
            *self.text_block("section.demand", c.demand, level=2),
            f"## {self.t('section.deadlines')}",
            "",
            *self.deadlines(),
            f"## {self.t('section.departments')}",
            "",
            *self.facts_table(
                [
                    ("primary", self.dept(self.f.primary)),
                    (
                        "assisting",
                        self.t("list_separator").join(self.dept(d) for d in self.f.assisting),
                    ),
                    ("liaison", cell(self.f.liaison)),
                ]
            ),
            *self.handover(),
        ]
        return "\n".join(lines).rstrip("\n") + "\n"

    def text_block(
        self, key: str, text: str, *, level: int = 3, optional: bool = False
    ) -> list[str]:
        quoted = quote(text)
        if not quoted and optional:
            return []
        return [f"{'#' * level} {self.t(key)}", "", *(quoted or [self.t("none")]), ""]

    def files(self) -> list[str]:
        """Each kept file with its whole SHA-256: the department can check a copy it is sent
        (`sha256sum`) against the notice."""
        if not self.f.files:
            return []
        rows = []
        for a in self.f.files:
            said = self.t("file", name=a.file_name, size=human_size(a.size), type=a.media_type)
            rows.append((cell(f"{said} — {a.note}" if a.note else said), a.sha256))
        head = (self.t("field.file"), "SHA-256")
        return [f"### {self.t('section.files')}", "", *self.table(head, rows)]

    def deadlines(self) -> list[str]:
        rows = []
        for due in self.f.dues:
            when = self.when(due.due_at)
            if due.state in (MilestoneState.PAUSED, MilestoneState.BREACHED):
                when += f" ({enum_label(due.state, self.lang)})"
            rows.append((enum_label(due.kind, self.lang), when))
        return self.table((self.t("field.milestone"), self.t("field.due_at")), rows)

    def handover(self) -> list[str]:
        h = self.f.handover
        if h is None:
            return []
        said = self.t(
            f"handover.{h.action}",
            who=cell(h.by),
            at=self.when(h.at),
            **({"department": self.dept(h.from_department)} if h.action == "transfer" else {}),
        )
        return [f"## {self.t(f'section.{h.action}')}", "", said, "", *quote(h.reason), ""]
