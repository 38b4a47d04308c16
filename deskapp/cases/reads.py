"""Reads that are not a live screen's: jumping to a case, the names lists show, and one case
with everything recorded about it (tests and tools)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, func, select

from deskapp.cases.base import DeskBase
from deskapp.cases.intake import PastCase
from deskapp.domain import Status
from store.engine import read_session
from store.models import (
    Complaint,
    Customer,
    Department,
    DeskInfo,
    Staff,
)


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    code: str
    name: str
    name_en: str


class Reads(DeskBase):
    def desk_id(self) -> str:
        """This database's own id (drafts are filed under it); "" before migration 0006."""
        with read_session(self.engine) as s:
            info = s.get(DeskInfo, 1)
        return info.desk_id if info is not None else ""

    def find_cases(self, query: str, *, limit: int = 20) -> list[PastCase]:
        """Cases whose number starts with, or whose customer's phone contains, `query` — for
        jumping to a case from the command palette. Newest first. A phone matches by its
        digits, however the query writes them ("138-0013" finds 13800138000)."""
        query = query.strip()
        if len(query) < 3:
            return []
        digits = "".join(ch for ch in query if ch.isascii() and ch.isdigit())
        match = col(Complaint.number).startswith(query.upper(), autoescape=True)
        if len(digits) >= 3:
            match = match | col(Customer.phone).contains(digits, autoescape=True)
        with read_session(self.engine) as s:
            rows = s.exec(
                select(Complaint.number, Complaint.created_at, Complaint.subject, Complaint.status)
                .join(Customer, col(Customer.id) == col(Complaint.customer_id))
                .where(match)
                .order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc())
                .limit(limit)
            ).all()
        return [PastCase(n, at, subj, Status(st)) for n, at, subj, st in rows]

    def staff_names(self) -> dict[int, str]:
        """Display names by staff id, for lists that show who is assigned."""
        with read_session(self.engine) as s:
            rows = s.exec(select(Staff.id, Staff.display_name)).all()
        return {ident: name for ident, name in rows if ident is not None}

    def departments(self) -> list[DepartmentInfo]:
        with read_session(self.engine) as s:
            rows = s.exec(
                select(Department).where(col(Department.active)).order_by(col(Department.code))
            ).all()
        return [DepartmentInfo(d.id or 0, d.code, d.name, d.name_en) for d in rows]

    def status_counts(self) -> dict[str, int]:
        with read_session(self.engine) as s:
            rows = s.exec(select(Complaint.status, func.count()).group_by(Complaint.status)).all()
        return {status: int(n) for status, n in rows}
