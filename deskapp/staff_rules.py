"""What an admin may type for staff and departments, and who is acting: the field rules
(logins, roles, authority, passwords, languages), the plain records screens get, and the
`Operator` every audited change names. `deskapp.staff_admin` applies them in transactions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.engine import Engine

from deskapp import auth, clock
from deskapp.domain import Role, parse_roles
from deskapp.errors import InvalidInput, PermissionDenied
from deskapp.i18n import LANGUAGES

#: Roles that act within one department, so an account holding them needs a department.
DEPARTMENT_ROLES = frozenset({Role.HANDLER, Role.DEPT_MANAGER})
MIN_PASSWORD = 8
LOGIN = re.compile(r"^[a-z_][a-z0-9_.-]{0,63}$")
DEPT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
#: The largest authority the column keeps (12 digits, 2 of them decimals).
MAX_AUTHORITY = Decimal("9999999999.99")


def os_user() -> str:
    """The operating-system user running this process: who ran an admin command."""
    try:
        return auth.os_login()
    except KeyError:  # a uid without a passwd entry (some containers)
        return f"uid {os.getuid()}"


@dataclass(frozen=True)
class Operator:
    """Who makes an administrative change: always an operating-system user, and the admin
    account when one vouched for it (`--as`, or the admin at the desk)."""

    os_user: str
    admin_id: int | None = None
    admin_login: str = ""

    def payload(self) -> dict[str, Any]:
        by: dict[str, Any] = {"os_user": self.os_user}
        if self.admin_id is not None:
            by["admin"] = self.admin_login
        return by


@dataclass(frozen=True)
class StaffRecord:
    id: int
    login: str
    display_name: str
    roles: tuple[str, ...]
    department_id: int | None
    department_code: str
    active: bool
    compensation_limit: Decimal
    failed_logins: int
    locked_until: datetime | None
    language: str = ""

    @property
    def locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > clock.now()


@dataclass(frozen=True)
class DeptRecord:
    id: int
    code: str
    name: str
    name_en: str
    manager_id: int | None
    manager_login: str
    liaison_id: int | None
    liaison_login: str
    active: bool
    members: int


class Keep:
    """`edit(dept=KEEP)`: leave the department as it is (None means no department)."""


KEEP = Keep()


class LastAdmin(PermissionDenied):
    def __init__(self) -> None:
        super().__init__("this is the last active admin account: make another account admin first")


def parse_role_list(text: str | Iterable[str]) -> frozenset[Role]:
    """`agent,handler` (commas or spaces) → roles; an unknown word lists the valid ones."""
    words = re.split(r"[\s,]+", text) if isinstance(text, str) else list(text)
    words = [w.strip().lower() for w in words if w.strip()]
    if not words:
        raise InvalidInput({"roles": "at least one role: " + ", ".join(r.value for r in Role)})
    unknown = [w for w in words if w not in {r.value for r in Role}]
    if unknown:
        raise InvalidInput(
            {
                "roles": f"unknown role {', '.join(unknown)}; valid roles: "
                + ", ".join(r.value for r in Role)
            }
        )
    return frozenset(Role(w) for w in words)


def check_language(value: str) -> str:
    """ "zh", "en", or "" (follow the terminal); "-" also clears."""
    value = value.strip().lower()
    if value in ("", "-"):
        return ""
    if value not in LANGUAGES:
        raise InvalidInput({"language": f"{value}: use one of {', '.join(LANGUAGES)} (or '-')"})
    return value


def parse_authority(text: str | Decimal) -> Decimal:
    try:
        amount = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise InvalidInput({"authority": f"not an amount: {text!r}"}) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AUTHORITY:
        raise InvalidInput({"authority": f"an amount from 0 to {MAX_AUTHORITY}"})
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput({"authority": "at most two decimals"})
    return amount.quantize(Decimal("0.01"))


def check_password(password: str, login: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput({"password": f"at least {MIN_PASSWORD} characters"})
    if login and password.strip().lower() == login.lower():
        raise InvalidInput({"password": "must not be the login"})
    if "\x00" in password:
        raise InvalidInput({"password": "no NUL character"})


def check_name(field: str, value: str, limit: int = 100) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput({field: "required"})
    if len(value) > limit:
        raise InvalidInput({field: f"at most {limit} characters"})
    if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise InvalidInput({field: "no control characters"})
    return value


def authenticate_admin(engine: Engine, login: str, password: str) -> Operator:
    """`--as LOGIN`: the account's password, checked as a sign-in is (failures count towards
    the lock-out and are audited), and the admin role. Anything else is refused."""
    staff = auth.sign_in(engine, login, password)
    if Role.ADMIN not in parse_roles(staff.roles):
        raise PermissionDenied(f"{login} is not an admin; --as needs an admin account")
    assert staff.id is not None
    return Operator(os_user(), staff.id, staff.login)


def operator_for(staff_id: int, login: str) -> Operator:
    """The admin signed in at the desk, making a change from the admin screen."""
    return Operator(os_user(), staff_id, login)
