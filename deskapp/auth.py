"""Password hashing with scrypt from the standard library (salted, memory-hard, no extra
dependency). The stored form names its parameters so they can be raised later without
breaking existing hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import pwd
import secrets
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy.engine import Engine
from sqlmodel import select

from deskapp import audit, clock
from deskapp.errors import DeskError, NotFound
from store.engine import write_session
from store.models import Staff

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, *, n: int = _N) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=_R, p=_P, dklen=32)
    salt_text, digest_text = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"scrypt${n}${_R}${_P}${salt_text}${digest_text}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(digest, expected)


# -- signing in ------------------------------------------------------------------------------

MAX_FAILURES = 5
LOCK_MINUTES = 15


class SignInError(DeskError):
    """Wrong login or password: one message for both, so it reveals nothing."""

    def __init__(self) -> None:
        super().__init__("wrong user name or password")


class AccountLocked(DeskError):
    def __init__(self, until: datetime, minutes: int) -> None:
        self.until, self.minutes = until, minutes
        super().__init__(f"too many failed sign-ins; try again in {minutes} minutes")


def sign_in(engine: Engine, login: str, password: str) -> Staff:
    """Check a password; the fifth failure in a row locks the account for 15 minutes.

    A failure is counted (and audited) in a transaction that commits before the refusal is
    raised, so the count survives. An unknown login costs a hash too, so timing says nothing.
    """
    now = clock.now()
    failure: DeskError | None = None
    with write_session(engine) as s:
        staff = s.exec(select(Staff).where(Staff.login == login.strip())).first()
        if staff is None or not staff.active:
            verify_password(password, _dummy_hash())
            raise SignInError()
        if staff.locked_until is not None and staff.locked_until > now:
            raise AccountLocked(staff.locked_until, _minutes_left(staff.locked_until, now))
        if verify_password(password, staff.password_hash):
            staff.failed_logins, staff.locked_until = 0, None
            kind, extra = "sign_in", {}
        else:
            staff.failed_logins += 1
            failure = SignInError()
            kind, extra = "sign_in_failed", {"failures": staff.failed_logins}
            if staff.failed_logins >= MAX_FAILURES:
                staff.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                staff.failed_logins = 0
                failure = AccountLocked(staff.locked_until, LOCK_MINUTES)
                kind, extra = "account_locked", {"minutes": LOCK_MINUTES}
        s.add(staff)
        audit.append(
            s, kind=kind, actor_id=staff.id, payload={"login": staff.login, **extra}, at=now
        )
    if failure is not None:
        raise failure
    return staff


def os_login() -> str:
    """The account this process runs as, from its real uid. Never `$USER` or `$LOGNAME`: the
    caller sets those (`USER=admin deskapp run --os-user` must not sign anybody in as admin)."""
    return pwd.getpwuid(os.getuid()).pw_name


def sign_in_os_user(engine: Engine, os_login: str) -> Staff:
    """For SSH `ForceCommand`: the operating system already authenticated this person."""
    now = clock.now()
    with write_session(engine) as s:
        staff = s.exec(select(Staff).where(Staff.login == os_login)).first()
        if staff is None or not staff.active:
            raise NotFound(
                f"no active staff account for the operating-system user {os_login!r}; "
                "ask an administrator to create one with that login"
            )
        audit.append(
            s,
            kind="sign_in",
            actor_id=staff.id,
            payload={"login": os_login, "os_user": True},
            at=now,
        )
        return staff


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


@cache
def _dummy_hash() -> str:
    return hash_password("not a real password")
