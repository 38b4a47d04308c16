"""Passwords are hashed with Argon2id at the cost OWASP recommends today (19 MiB, 2 passes,
1 lane; the Password Storage Cheat Sheet's first choice), in the standard PHC form that names
its parameters. Hashes of older desks (scrypt, `scrypt$N$r$p$salt$digest`) still sign in, and
are replaced by an Argon2id hash at that sign-in, as is any hash made at a lower cost.

Why not scrypt at OWASP's N = 2^17: about 0.8 s of CPU per sign-in on the desk hosts we
measure, where the queue must follow Enter within 0.3 s; Argon2id at OWASP's parameters costs
a few tens of milliseconds for the same protection (docs/security.md)."""

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

from argon2 import PasswordHasher, Type, extract_parameters
from argon2 import exceptions as argon2_errors
from sqlalchemy.engine import Engine
from sqlmodel import select

from deskapp import audit, clock
from deskapp.errors import DeskError, NotFound
from store.engine import write_session
from store.models import Staff

#: Argon2id as OWASP recommends it (memory in KiB).
HASHER = PasswordHasher(
    time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)
#: The most a stored Argon2id hash may ask for before it is refused unread: a crafted row must
#: not exhaust the host's memory or time.
_MAX_MEMORY_KIB, _MAX_PASSES, _MAX_LANES = 262144, 16, 8
_N, _R, _P = 2**14, 8, 1
#: scrypt needs 128·r·N bytes; this admits parameters up to N = 2^17, r = 8 and refuses a
#: stored hash that would ask for more (a crafted row must not exhaust the host's memory).
_MAXMEM = 129 * 1024 * 1024 + 1024 * 1024


def hash_password(password: str, *, n: int | None = None) -> str:
    """An Argon2id hash (`HASHER`). With `n`, a scrypt hash at that cost instead, as older desks
    stored them (the tests use a cheap one)."""
    if n is None:
        return HASHER.hash(password)
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=_R, p=_P, dklen=32)
    salt_text, digest_text = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"scrypt${n}${_R}${_P}${salt_text}${digest_text}"


def verify_password(password: str, stored: str) -> bool:
    """False for a wrong password and for a stored hash that is not one of ours (edited,
    truncated, another scheme, a cost beyond reason): a malformed row refuses the sign-in, it
    does not crash it."""
    if stored.startswith("$argon2id$"):
        try:
            cost = extract_parameters(stored)
            if (
                cost.memory_cost > _MAX_MEMORY_KIB
                or cost.time_cost > _MAX_PASSES
                or cost.parallelism > _MAX_LANES
            ):
                return False
            return HASHER.verify(stored, password)
        except (argon2_errors.VerificationError, argon2_errors.InvalidHashError, ValueError):
            return False
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        if not salt or len(expected) < 16:
            return False
        digest = hashlib.scrypt(
            password.encode(),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=_MAXMEM,
        )
    except (ValueError, TypeError, OverflowError, MemoryError):
        return False
    return hmac.compare_digest(digest, expected)


def needs_rehash(stored: str) -> bool:
    """Whether a hash that just verified should be made again at today's cost: any scrypt
    hash, and an Argon2id one below `HASHER`'s parameters."""
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return HASHER.check_needs_rehash(stored)
    except (argon2_errors.InvalidHashError, ValueError):
        return True


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


def sign_in(engine: Engine, login: str, password: str, *, unlocking: bool = False) -> Staff:
    """Check a password; the fifth failure in a row locks the account for 15 minutes.

    `unlocking`: the same check at an idle-locked desk (its success is a `screen_unlocked`
    event; its failures count towards the same lockout, so the lock is no way round it).

    A failure is counted (and audited) in a transaction that commits before the refusal is
    raised, so the count survives. An unknown login costs a hash too, so timing says nothing.
    """
    now = clock.now()
    failure: DeskError | None = None
    extra: dict[str, object]
    with write_session(engine) as s:
        # Locked: parallel attempts on one account are counted one after another (PostgreSQL
        # would otherwise let each read the same count and overshoot the limit).
        staff = s.exec(select(Staff).where(Staff.login == login.strip()).with_for_update()).first()
        if staff is None or not staff.active:
            verify_password(password, _dummy_hash())
            raise SignInError()
        if staff.locked_until is not None and staff.locked_until > now:
            raise AccountLocked(staff.locked_until, _minutes_left(staff.locked_until, now))
        if verify_password(password, staff.password_hash):
            staff.failed_logins, staff.locked_until = 0, None
            kind, extra = ("screen_unlocked" if unlocking else "sign_in"), {}
            if needs_rehash(staff.password_hash):  # an older scheme or cost: today's, now
                staff.password_hash = hash_password(password)
                extra = {"rehashed": "argon2id"}
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


def record_screen_lock(engine: Engine, staff_id: int, idle_minutes: int) -> None:
    """An unattended desk locked itself: when, and whose session it was."""
    with write_session(engine) as s:
        staff = s.get(Staff, staff_id)
        login = staff.login if staff is not None else ""
        audit.append(
            s,
            kind="screen_locked",
            actor_id=staff_id,
            payload={"login": login, "idle_minutes": idle_minutes},
            at=clock.now(),
        )


def unlock_os_user(engine: Engine, os_login: str, staff_id: int) -> Staff:
    """An SSH session's locked desk comes back with a key press: the operating system still
    vouches for the person, but the account must still be the one signed in, and active."""
    with write_session(engine) as s:
        staff = s.exec(select(Staff).where(Staff.login == os_login)).first()
        if staff is None or not staff.active or staff.id != staff_id:
            raise NotFound(f"no active staff account for the operating-system user {os_login!r}")
        audit.append(
            s,
            kind="screen_unlocked",
            actor_id=staff.id,
            payload={"login": os_login, "os_user": True},
            at=clock.now(),
        )
        return staff


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


@cache
def _dummy_hash() -> str:
    return hash_password("not a real password")
