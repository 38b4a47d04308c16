"""Staff, departments and roles: the rules the `deskapp user`/`dept`/`init` commands and the
admin screen share (issue 12).

Every change is one transaction with one hash-chained event (`complaint_id` None) naming who
made it — the operating-system user who ran the program and, when an admin account was named
(`--as`, or the admin signed in at the desk), that account — and the before/after of each
changed field. Passwords and their hashes never reach an event.

Screens get plain records (`StaffRecord`, `DeptRecord`), never rows. Whoever can reach the
database holds its rights, so the CLI without `--as` is trusted as the operating-system user;
an admin account (`Operator.admin_id`) is re-read inside each transaction and must still be an
active admin, so an admin removed a moment ago cannot act from a desk left open.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from deskapp import audit, auth
from deskapp.domain import Role, format_roles, parse_roles
from deskapp.errors import DeskError, InvalidInput, NotFound, PermissionDenied
from deskapp.staff_rules import (
    DEPARTMENT_ROLES,
    DEPT_CODE,
    KEEP,
    LOGIN,
    MAX_AUTHORITY,
    MIN_PASSWORD,
    DeptRecord,
    Keep,
    LastAdmin,
    Operator,
    StaffRecord,
    authenticate_admin,
    check_language,
    check_name,
    check_password,
    operator_for,
    os_user,
    parse_authority,
    parse_role_list,
)
from store.engine import read_session, write_session
from store.models import Department, Staff

#: The rules' names stay importable from here, where the commands and the screen look for them.
__all__ = [
    "DEPARTMENT_ROLES",
    "DEPT_CODE",
    "KEEP",
    "LOGIN",
    "MAX_AUTHORITY",
    "MIN_PASSWORD",
    "DeptRecord",
    "Keep",
    "LastAdmin",
    "Operator",
    "StaffAdmin",
    "StaffRecord",
    "authenticate_admin",
    "check_language",
    "check_password",
    "operator_for",
    "os_user",
    "parse_authority",
    "parse_role_list",
]


class StaffAdmin:
    """The administrative use cases over one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- reading ----------------------------------------------------------------------------

    def staff(self, *, include_inactive: bool = True) -> list[StaffRecord]:
        with read_session(self.engine) as s:
            codes = {d.id: d.code for d in s.exec(select(Department)).all()}
            query = select(Staff).order_by(col(Staff.login))
            if not include_inactive:
                query = query.where(col(Staff.active))
            return [_staff_record(p, codes) for p in s.exec(query).all()]

    def show(self, login: str) -> StaffRecord:
        with read_session(self.engine) as s:
            person = _person(s, login)
            codes = {d.id: d.code for d in s.exec(select(Department)).all()}
            return _staff_record(person, codes)

    def departments(self) -> list[DeptRecord]:
        with read_session(self.engine) as s:
            logins = dict(s.exec(select(Staff.id, Staff.login)).all())
            members = dict(
                s.exec(
                    select(Staff.department_id, func.count())
                    .where(col(Staff.active))
                    .group_by(col(Staff.department_id))
                ).all()
            )
            return [
                DeptRecord(
                    id=d.id or 0,
                    code=d.code,
                    name=d.name,
                    name_en=d.name_en,
                    manager_id=d.manager_id,
                    manager_login=logins.get(d.manager_id, "") if d.manager_id else "",
                    liaison_id=d.liaison_id,
                    liaison_login=logins.get(d.liaison_id, "") if d.liaison_id else "",
                    active=d.active,
                    members=int(members.get(d.id, 0)),
                )
                for d in s.exec(select(Department).order_by(col(Department.code))).all()
            ]

    def has_staff(self) -> bool:
        with read_session(self.engine) as s:
            return s.exec(select(Staff.id).limit(1)).first() is not None

    # -- staff --------------------------------------------------------------------------------

    def add_staff(
        self,
        op: Operator,
        login: str,
        *,
        name: str,
        roles: str | Iterable[str],
        dept: str | None = None,
        authority: str | Decimal = "0",
        password: str | None = None,
        language: str = "",
    ) -> StaffRecord:
        """A new account. Without a password it cannot sign in until one is set (`passwd`);
        an OS-user sign-in (SSH ForceCommand) needs none."""
        with self._change(op) as s:
            return self._add_staff(s, op, login, name, roles, dept, authority, password, language)

    def _add_staff(
        self,
        s: Session,
        op: Operator,
        login: str,
        name: str,
        roles: str | Iterable[str],
        dept: str | None,
        authority: str | Decimal,
        password: str | None,
        language: str = "",
    ) -> StaffRecord:
        login = login.strip()
        language = check_language(language)
        if not LOGIN.match(login):
            raise InvalidInput(
                {"login": "lower-case letters, digits, '_', '.', '-'; starts with a letter"}
            )
        name = check_name("name", name)
        chosen = parse_role_list(roles)
        limit = parse_authority(authority)
        if password is not None:
            check_password(password, login)
        if s.exec(select(Staff.id).where(Staff.login == login)).first() is not None:
            raise InvalidInput({"login": f"{login} already exists"})
        department = _active_dept(s, dept) if dept else None
        _needs_department(chosen, department)
        person = Staff(
            login=login,
            display_name=name,
            roles=format_roles(chosen),
            department_id=department.id if department else None,
            password_hash=auth.hash_password(password) if password else "",
            compensation_limit=limit,
            language=language,
        )
        s.add(person)
        s.flush()
        after = _fields(person, s)
        self._record(s, op, "staff_added", person, {k: [None, v] for k, v in after.items()})
        return _staff_record(person, {department.id: department.code} if department else {})

    def set_roles(self, op: Operator, login: str, roles: str | Iterable[str]) -> StaffRecord:
        chosen = parse_role_list(roles)
        with self._change(op) as s:
            person = _person(s, login, lock=True)
            if Role.ADMIN not in chosen:
                _not_last_admin(s, person)
            dept = s.get(Department, person.department_id) if person.department_id else None
            _needs_department(chosen, dept)
            if Role.DEPT_MANAGER not in chosen:
                managing = s.exec(
                    select(Department.code).where(Department.manager_id == person.id)
                ).all()
                if managing:
                    raise InvalidInput(
                        {
                            "roles": f"{person.login} manages {', '.join(managing)}: "
                            "name another manager there first, or keep dept_manager"
                        }
                    )
            return self._update(s, op, "staff_roles_changed", person, roles=format_roles(chosen))

    def edit(
        self,
        op: Operator,
        login: str,
        *,
        name: str | None = None,
        dept: str | Keep | None = KEEP,
        authority: str | Decimal | None = None,
        language: str | None = None,
    ) -> StaffRecord:
        """Change name, department (None: none), authority and language together, in one
        transaction:
        one event per kind of change, and nothing saved when any part is refused. What is
        not given, or given as it already is, is left alone."""
        new_name = check_name("name", name) if name is not None else None
        limit = parse_authority(authority) if authority is not None else None
        new_language = check_language(language) if language is not None else None
        with self._change(op) as s:
            person = _person(s, login, lock=True)
            kinds = 0
            if new_name is not None and new_name != person.display_name:
                self._update(s, op, "staff_renamed", person, display_name=new_name)
                kinds += 1
            if not isinstance(dept, Keep):
                department = _active_dept(s, dept) if dept and dept.strip() else None
                new_id = department.id if department else None
                if new_id != person.department_id:
                    _needs_department(parse_roles(person.roles), department)
                    _not_heading(s, person, department)
                    self._update(s, op, "staff_department_changed", person, department_id=new_id)
                    kinds += 1
            if limit is not None and limit != person.compensation_limit:
                self._update(s, op, "staff_authority_changed", person, compensation_limit=limit)
                kinds += 1
            if new_language is not None and new_language != person.language:
                self._update(s, op, "staff_language_changed", person, language=new_language)
                kinds += 1
            if not kinds:
                raise InvalidInput({"login": f"nothing to change for {person.login}"})
            codes = {d.id: d.code for d in s.exec(select(Department)).all()}
            return _staff_record(person, codes)

    def set_department(self, op: Operator, login: str, dept: str | None) -> StaffRecord:
        return self.edit(op, login, dept=dept)

    def set_authority(self, op: Operator, login: str, amount: str | Decimal) -> StaffRecord:
        return self.edit(op, login, authority=amount)

    def set_name(self, op: Operator, login: str, name: str) -> StaffRecord:
        return self.edit(op, login, name=name)

    def disable(self, op: Operator, login: str) -> StaffRecord:
        """The account can no longer sign in, and its open desk signs out within seconds;
        every use case refuses it from its next action. Its cases and events stay."""
        with self._change(op) as s:
            person = _person(s, login, lock=True)
            if not person.active:
                raise InvalidInput({"login": f"{login} is already disabled"})
            _not_last_admin(s, person)
            return self._update(s, op, "staff_disabled", person, active=False)

    def enable(self, op: Operator, login: str) -> StaffRecord:
        with self._change(op) as s:
            person = _person(s, login, lock=True)
            if person.active:
                raise InvalidInput({"login": f"{login} is already enabled"})
            if person.department_id is not None:
                dept = s.get(Department, person.department_id)
                if dept is not None and not dept.active:
                    raise InvalidInput(
                        {"dept": f"{dept.code} is disabled: move {login} to another one first"}
                    )
            return self._update(s, op, "staff_enabled", person, active=True)

    def unlock(self, op: Operator, login: str) -> StaffRecord:
        with self._change(op) as s:
            person = _person(s, login, lock=True)
            return self._update(
                s, op, "staff_unlocked", person, failed_logins=0, locked_until=None, force=True
            )

    def set_password(self, op: Operator, login: str, password: str) -> None:
        """A new password; it also lifts a lock-out. The event says the password changed,
        never what to."""
        check_password(password, login)
        hashed = auth.hash_password(password)
        with self._change(op) as s:
            person = _person(s, login, lock=True)
            person.password_hash = hashed
            person.failed_logins, person.locked_until = 0, None
            s.add(person)
            self._record(s, op, "staff_password_set", person, {})

    # -- departments --------------------------------------------------------------------------

    def add_department(
        self, op: Operator, code: str, *, name: str, name_en: str = ""
    ) -> DeptRecord:
        with self._change(op) as s:
            return self._add_department(s, op, code, name, name_en)

    def _add_department(
        self, s: Session, op: Operator, code: str, name: str, name_en: str
    ) -> DeptRecord:
        code = code.strip().upper()
        if not DEPT_CODE.match(code):
            raise InvalidInput({"code": "1 to 32 letters, digits, '_' or '-'"})
        name = check_name("name", name)
        name_en = check_name("name_en", name_en) if name_en.strip() else ""
        if s.exec(select(Department.id).where(Department.code == code)).first() is not None:
            raise InvalidInput({"code": f"department {code} already exists"})
        dept = Department(code=code, name=name, name_en=name_en)
        s.add(dept)
        s.flush()
        changes = {"code": [None, code], "name": [None, name], "name_en": [None, name_en]}
        self._record_dept(s, op, "dept_added", dept, changes)
        return DeptRecord(dept.id or 0, code, name, name_en, None, "", None, "", True, 0)

    def set_manager(self, op: Operator, code: str, login: str | None) -> DeptRecord:
        """The department's manager: an active member holding dept_manager (escalation level
        2 and small approvals act through that role); None clears it."""
        return self._set_head(op, code, login, "manager_id", "dept_manager_set")

    def set_liaison(self, op: Operator, code: str, login: str | None) -> DeptRecord:
        """Who receives the department's dispatch notices: an active member; None clears it
        (notices then go to the manager)."""
        return self._set_head(op, code, login, "liaison_id", "dept_liaison_set")

    def disable_department(self, op: Operator, code: str) -> DeptRecord:
        """A disabled department is no longer offered for dispatch. Refused while active
        staff belong to it (move or disable them first); its cases stay where they are."""
        with self._change(op) as s:
            dept = _dept(s, code, lock=True)
            if not dept.active:
                raise InvalidInput({"code": f"{dept.code} is already disabled"})
            members = s.exec(
                select(Staff.login)
                .where(Staff.department_id == dept.id)
                .where(col(Staff.active))
                .order_by(col(Staff.login))
            ).all()
            if members:
                raise InvalidInput(
                    {"code": f"{dept.code} still has active staff: {', '.join(members)}"}
                )
            dept.active = False
            s.add(dept)
            self._record_dept(s, op, "dept_disabled", dept, {"active": [True, False]})
        return self._dept_record(code)

    def enable_department(self, op: Operator, code: str) -> DeptRecord:
        with self._change(op) as s:
            dept = _dept(s, code, lock=True)
            if dept.active:
                raise InvalidInput({"code": f"{dept.code} is already enabled"})
            dept.active = True
            s.add(dept)
            self._record_dept(s, op, "dept_enabled", dept, {"active": [False, True]})
        return self._dept_record(code)

    # -- the first run ------------------------------------------------------------------------

    def initialise(
        self,
        op: Operator,
        *,
        login: str,
        name: str,
        password: str,
        dept_code: str,
        dept_name: str,
        dept_name_en: str = "",
    ) -> StaffRecord:
        """The first department and the first admin, on a database without staff; refused
        when anyone exists (a desk is initialised once; `user add` does the rest)."""
        check_password(password, login)
        with write_session(self.engine) as s:
            # The first event takes the chain's lock, as every writer does, so two
            # initialisers run one after the other and the second finds staff.
            audit.append(s, kind="desk_initialised", actor_id=None, payload={"by": op.payload()})
            if s.exec(select(Staff.id).limit(1)).first() is not None:
                raise DeskError("this desk already has staff; use `deskapp user add` instead")
            self._add_department(s, op, dept_code, dept_name, dept_name_en)
            return self._add_staff(s, op, login, name, [Role.ADMIN.value], dept_code, "0", password)

    # -- the machinery --------------------------------------------------------------------------

    @contextmanager
    def _change(self, op: Operator) -> Iterator[Session]:
        """One write transaction; an admin account behind the operator must still be an
        active admin, read inside it (a demoted admin's open screen is refused)."""
        with write_session(self.engine) as s:
            if op.admin_id is not None:
                admin = s.get(Staff, op.admin_id)
                if admin is None or not admin.active or Role.ADMIN not in parse_roles(admin.roles):
                    raise PermissionDenied(f"{op.admin_login} is no longer an active admin")
            yield s

    def _update(
        self, s: Session, op: Operator, kind: str, person: Staff, *, force: bool = False, **new: Any
    ) -> StaffRecord:
        before = _fields(person, s)
        for name, value in new.items():
            setattr(person, name, value)
        s.add(person)
        s.flush()
        after = _fields(person, s)
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if not changes and not force:
            raise InvalidInput({"login": f"nothing to change for {person.login}"})
        self._record(s, op, kind, person, changes)
        codes = {d.id: d.code for d in s.exec(select(Department)).all()}
        return _staff_record(person, codes)

    def _record(
        self, s: Session, op: Operator, kind: str, person: Staff, changes: dict[str, list[Any]]
    ) -> None:
        audit.append(
            s,
            kind=kind,
            actor_id=op.admin_id,
            payload={"by": op.payload(), "login": person.login, "changes": changes},
        )

    def _record_dept(
        self,
        s: Session,
        op: Operator,
        kind: str,
        dept: Department,
        changes: dict[str, list[Any]],
    ) -> None:
        audit.append(
            s,
            kind=kind,
            actor_id=op.admin_id,
            payload={"by": op.payload(), "dept": dept.code, "changes": changes},
        )

    def _set_head(
        self, op: Operator, code: str, login: str | None, field: str, kind: str
    ) -> DeptRecord:
        with self._change(op) as s:
            dept = _dept(s, code, lock=True)
            person = _person(s, login) if login else None
            if person is not None:
                if not person.active:
                    raise InvalidInput({"login": f"{person.login} is disabled"})
                if person.department_id != dept.id:
                    raise InvalidInput(
                        {"login": f"{person.login} is not in {dept.code} (move them first)"}
                    )
                if field == "manager_id" and Role.DEPT_MANAGER not in parse_roles(person.roles):
                    raise InvalidInput(
                        {"login": f"{person.login} does not hold the dept_manager role"}
                    )
            before = getattr(dept, field)
            after = person.id if person is not None else None
            if before == after:
                raise InvalidInput({"login": "nothing to change"})
            logins = dict(s.exec(select(Staff.id, Staff.login)).all())
            setattr(dept, field, after)
            s.add(dept)
            name = field.removesuffix("_id")
            changes = {name: [logins.get(before) if before else None, login or None]}
            self._record_dept(s, op, kind, dept, changes)
        return self._dept_record(code)

    def _dept_record(self, code: str) -> DeptRecord:
        code = code.strip().upper()
        return next(d for d in self.departments() if d.code == code)


def _person(s: Session, login: str, *, lock: bool = False) -> Staff:
    query = select(Staff).where(Staff.login == login.strip())
    person = s.exec(query.with_for_update() if lock else query).first()
    if person is None:
        raise NotFound(f"no staff account {login!r}")
    return person


def _dept(s: Session, code: str, *, lock: bool = False) -> Department:
    query = select(Department).where(Department.code == code.strip().upper())
    dept = s.exec(query.with_for_update() if lock else query).first()
    if dept is None:
        known = ", ".join(s.exec(select(Department.code).order_by(col(Department.code))).all())
        raise NotFound(f"no department {code!r}; departments: {known or '(none)'}")
    return dept


def _active_dept(s: Session, code: str) -> Department:
    dept = _dept(s, code)
    if not dept.active:
        raise InvalidInput({"dept": f"department {dept.code} is disabled"})
    return dept


def _needs_department(roles: frozenset[Role], dept: Department | None) -> None:
    needing = sorted(r.value for r in roles & DEPARTMENT_ROLES)
    if needing and dept is None:
        raise InvalidInput({"dept": f"the role {', '.join(needing)} needs a department: name one"})


def _not_last_admin(s: Session, person: Staff) -> None:
    """Refuse to leave the desk with no active admin (nobody could then administer it from
    the desk, and `--as` would be refused for everyone)."""
    if not person.active or Role.ADMIN not in parse_roles(person.roles):
        return
    others = s.exec(
        select(Staff.roles).where(col(Staff.active)).where(Staff.id != person.id).with_for_update()
    ).all()
    if not any(Role.ADMIN in parse_roles(r) for r in others):
        raise LastAdmin()


def _not_heading(s: Session, person: Staff, new_dept: Department | None) -> None:
    """A manager or liaison moved out of their department would leave it heading nothing."""
    if new_dept is not None and new_dept.id == person.department_id:
        return
    heads = s.exec(
        select(Department.code).where(
            (col(Department.manager_id) == person.id) | (col(Department.liaison_id) == person.id)
        )
    ).all()
    if heads:
        raise InvalidInput(
            {
                "dept": f"{person.login} is manager or liaison of {', '.join(heads)}: "
                "name someone else there first"
            }
        )


def _fields(person: Staff, s: Session) -> dict[str, Any]:
    """What an event shows of an account (never the password hash)."""
    dept = s.get(Department, person.department_id) if person.department_id else None
    return {
        "display_name": person.display_name,
        "roles": person.roles,
        "department": dept.code if dept else None,
        "compensation_limit": str(person.compensation_limit),
        "active": person.active,
        "failed_logins": person.failed_logins,
        "locked_until": person.locked_until.isoformat() if person.locked_until else None,
        "language": person.language,
    }


def _staff_record(p: Staff, codes: dict[int | None, str]) -> StaffRecord:
    return StaffRecord(
        id=p.id or 0,
        login=p.login,
        display_name=p.display_name,
        roles=tuple(sorted(p.roles.split())),
        department_id=p.department_id,
        department_code=codes.get(p.department_id, "") if p.department_id else "",
        active=p.active,
        compensation_limit=Decimal(p.compensation_limit),
        failed_logins=p.failed_logins,
        locked_until=p.locked_until,
        language=p.language,
    )
