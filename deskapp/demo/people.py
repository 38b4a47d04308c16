"""The demo desk's departments and accounts, created where missing, and the ids the simulated
cases are handed between."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from deskapp.auth import hash_password
from deskapp.demo.catalogue import people
from deskapp.domain import Role
from store.models import Department, Staff

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class Roster:
    """Staff ids as plain data, so the builder can carry them into worker processes."""

    dept_ids: dict[str, int]
    agents: tuple[int, ...]
    handlers: dict[str, tuple[int, ...]]
    managers: dict[str, int]
    legal: tuple[int, ...]
    limits: dict[int, Decimal]
    executive: int
    supervisor: int
    desk_agent: int


def ensure_people(s: Session) -> Roster:
    """The demo roster, created where missing (a second demo run reuses it)."""
    catalogue = people()
    depts = {d.code: d for d in s.exec(select(Department)).all()}
    for entry in catalogue.departments:
        if entry.code not in depts:
            depts[entry.code] = Department(code=entry.code, name=entry.name, name_en=entry.name_en)
            s.add(depts[entry.code])
    s.flush()
    existing = {st.login: st for st in s.exec(select(Staff)).all()}
    hashed: str | None = None
    for account in catalogue.staff:
        if account.login not in existing:
            hashed = hashed or hash_password(DEMO_PASSWORD)  # scrypt: once, not per account
            dept = depts[account.department] if account.department else None
            existing[account.login] = Staff(
                login=account.login,
                display_name=account.name,
                roles=account.roles,
                department_id=dept.id if dept else None,
                password_hash=hashed,
                compensation_limit=Decimal(account.compensation_limit),
            )
            s.add(existing[account.login])
    s.flush()
    agents: list[int] = []
    legal: list[int] = []
    handlers: dict[str, list[int]] = {d.code: [] for d in catalogue.departments}
    managers: dict[str, int] = {}
    limits: dict[int, Decimal] = {}
    executive = supervisor = 0
    for account in catalogue.staff:
        staff = existing[account.login]
        sid = staff.id or 0
        limits[sid] = staff.compensation_limit
        words = account.roles.split()
        dept_code = account.department
        if Role.AGENT.value in words:
            agents.append(sid)
        if Role.LEGAL.value in words:
            legal.append(sid)
        if Role.EXECUTIVE.value in words:
            executive = sid
        if Role.SUPERVISOR.value in words:
            supervisor = supervisor or sid
        if dept_code and Role.HANDLER.value in words:
            handlers[dept_code].append(sid)
        if dept_code and Role.DEPT_MANAGER.value in words:
            managers.setdefault(dept_code, sid)
    for code, row in depts.items():
        if code in managers and row.manager_id is None:
            row.manager_id = managers[code]
        if handlers.get(code) and row.liaison_id is None:
            row.liaison_id = handlers[code][0]
        s.add(row)
    s.flush()
    return Roster(
        dept_ids={code: d.id or 0 for code, d in depts.items()},
        agents=tuple(agents),
        handlers={code: tuple(ids) for code, ids in handlers.items()},
        managers=managers,
        legal=tuple(legal),
        limits=limits,
        executive=executive,
        supervisor=supervisor,
        desk_agent=existing["agent"].id or 0,
    )
