"""Who sees a customer's name and phone, and how everyone else sees them (DESIGN.md §1 "Trust").

One rule for every screen and every export: the case's first owner, its assignee and the staff
of its primary department see the contact; everyone else — other agents, desk-wide roles, and
anything that leaves the desk (the dispatch notice, exports) — sees it masked. A masked contact
is unmasked only by the recorded reveal (`Desk.reveal_contact`).

Masked, enough stays visible to tell customers apart on a call-back list (the phone's first
three and last four digits, each name's first character) and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Involved(Protocol):
    """The three ids that decide who sees a customer (a complaint, a queue row)."""

    @property
    def first_owner_id(self) -> int: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def primary_dept_id(self) -> int | None: ...


class Viewer(Protocol):
    @property
    def staff_id(self) -> int: ...
    @property
    def department_id(self) -> int | None: ...


def sees_contact(viewer: Viewer | None, case: Involved) -> bool:
    """Whether `viewer` sees this case's customer unmasked; None is no person (an export)."""
    if viewer is None:
        return False
    if viewer.staff_id in (case.first_owner_id, case.assignee_id):
        return True
    return viewer.department_id is not None and viewer.department_id == case.primary_dept_id


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    masked: bool


def contact_for(
    viewer: Viewer | None, case: Involved, name: str, phone: str, *, revealed: bool = False
) -> Contact:
    """The customer's name and phone as `viewer` may see them on this case."""
    if revealed or sees_contact(viewer, case):
        return Contact(name, phone, masked=False)
    return Contact(mask_name(name), mask_phone(phone), masked=True)


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) <= 7:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """`王小明` → `王**`; `Lily Chen` → `L*** C***`: each word keeps its first character."""
    words = name.split()
    if not words:
        return ""
    if len(words) == 1:
        word = words[0]
        return word[:1] + "*" * min(max(len(word) - 1, 1), 3)
    return " ".join(w[:1] + "*" * min(max(len(w) - 1, 1), 3) for w in words)
