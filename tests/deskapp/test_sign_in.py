"""Signing in: one message for any wrong credential, a lock after five failures, OS-user mode."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import clock
from deskapp.auth import HASHER as DESK_HASHER
from deskapp.auth import (
    AccountLocked,
    SignInError,
    hash_password,
    sign_in,
    sign_in_os_user,
    verify_password,
)
from deskapp.errors import NotFound
from deskapp.seals import SEAL_KINDS
from store.engine import read_session, write_session
from store.models import CaseEvent, Staff


def test_hashes_are_salted_and_verify() -> None:
    a, b = hash_password("demo", n=2**4), hash_password("demo", n=2**4)
    assert a != b and a.startswith("scrypt$")
    assert verify_password("demo", a) and not verify_password("Demo", a)
    assert not verify_password("demo", "plain-text") and not verify_password(
        "demo", "md5$x$y$z$a$b"
    )


def test_the_desk_hashes_with_argon2id_at_owasps_cost() -> None:
    made = DESK_HASHER.hash("demo")
    assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    import deskapp.auth

    deskapp.auth.HASHER = DESK_HASHER  # the autouse fixture puts the test's cheap one back
    assert verify_password("demo", made) and not verify_password("Demo", made)
    assert not deskapp.auth.needs_rehash(made)


def test_an_older_hash_signs_in_and_is_replaced(engine: Engine, staffed: dict[str, int]) -> None:
    """A desk from before Argon2id: its scrypt hash still signs in, and that sign-in stores an
    Argon2id hash instead (said in the sign-in event); the next sign-in uses it."""
    with write_session(engine) as s:
        agent = s.exec(select(Staff).where(Staff.login == "agent")).one()
        agent.password_hash = hash_password("demo", n=2**4)
        s.add(agent)
    sign_in(engine, "agent", "demo")
    with read_session(engine) as s:
        stored = s.exec(select(Staff.password_hash).where(Staff.login == "agent")).one()
        said = s.exec(
            select(CaseEvent.payload)
            .where(CaseEvent.kind == "sign_in")
            .order_by(col(CaseEvent.id).desc())
        ).first()
    assert stored.startswith("$argon2id$") and verify_password("demo", stored)
    assert said is not None and json.loads(said) == {"login": "agent", "rehashed": "argon2id"}
    sign_in(engine, "agent", "demo")
    with read_session(engine) as s:
        again = s.exec(select(Staff.password_hash).where(Staff.login == "agent")).one()
    assert again == stored  # today's cost already: not made again


def test_a_crafted_argon2_cost_is_refused_unread() -> None:
    """A row edited to ask for 1 TiB of memory or a million passes: refused at once."""
    real = DESK_HASHER.hash("demo")
    greedy = real.replace("m=19456", "m=1073741824")
    slow = real.replace("t=2", "t=1000000")
    assert not verify_password("demo", greedy) and not verify_password("demo", slow)
    assert not verify_password("demo", "$argon2id$v=19$m=19456,t=2,p=1$bad$bad")
    assert not verify_password("demo", "$argon2id$")


def test_right_password_signs_in(engine: Engine, staffed: dict[str, int]) -> None:
    assert sign_in(engine, " agent ", "demo").id == staffed["agent"]


def test_wrong_user_and_wrong_password_read_the_same(
    engine: Engine, staffed: dict[str, int]
) -> None:
    with pytest.raises(SignInError) as unknown:
        sign_in(engine, "nobody", "demo")
    with pytest.raises(SignInError) as wrong:
        sign_in(engine, "agent", "nope")
    assert str(unknown.value) == str(wrong.value)


def test_five_failures_lock_for_fifteen_minutes(engine: Engine, staffed: dict[str, int]) -> None:
    for _ in range(4):
        with pytest.raises(SignInError):
            sign_in(engine, "agent", "wrong")
    with pytest.raises(AccountLocked) as locked:
        sign_in(engine, "agent", "wrong")
    assert locked.value.minutes == 15
    # Even the right password is refused while locked.
    clock.advance(timedelta(minutes=14))
    with pytest.raises(AccountLocked) as still:
        sign_in(engine, "agent", "demo")
    assert still.value.minutes == 1
    clock.advance(timedelta(minutes=1))
    assert sign_in(engine, "agent", "demo").failed_logins == 0
    with read_session(engine) as s:
        kinds = s.exec(
            select(CaseEvent.kind, CaseEvent.payload)
            .where(col(CaseEvent.kind).not_in(SEAL_KINDS))
            .order_by(col(CaseEvent.id))
        ).all()
    assert [k for k, _ in kinds] == ["sign_in_failed"] * 4 + ["account_locked", "sign_in"]
    assert json.loads(kinds[4][1]) == {"login": "agent", "minutes": 15}


def test_success_resets_the_failure_count(engine: Engine, staffed: dict[str, int]) -> None:
    for _ in range(4):
        with pytest.raises(SignInError):
            sign_in(engine, "agent", "wrong")
    sign_in(engine, "agent", "demo")
    for _ in range(4):
        with pytest.raises(SignInError):
            sign_in(engine, "agent", "wrong")


def test_os_user_sign_in(engine: Engine, staffed: dict[str, int]) -> None:
    assert sign_in_os_user(engine, "handler").id == staffed["handler"]
    with pytest.raises(NotFound, match="operating-system user 'root'"):
        sign_in_os_user(engine, "root")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "scrypt$16384$8$1$",
        "scrypt$abc$8$1$c2FsdA==$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$16384$8$1$not base64!$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$1099511627776$8$1$c2FsdHNhbHQ=$" + "A" * 44,  # would need terabytes
        "scrypt$3$8$1$c2FsdHNhbHQ=$" + "A" * 44,  # N not a power of two
        "bcrypt$2b$12$abcdefghijklmnopqrstuv",
    ],
)
def test_a_malformed_stored_hash_refuses_the_sign_in(sqlite_engine: Engine, stored: str) -> None:
    from sqlalchemy import update

    from store.engine import write_session
    from store.models import Staff
    from tests.conftest import seed_staff

    seed_staff(sqlite_engine)
    assert not verify_password("demo", stored)
    with write_session(sqlite_engine) as s:
        s.exec(update(Staff).where(col(Staff.login) == "agent").values(password_hash=stored))
    with pytest.raises(SignInError):
        sign_in(sqlite_engine, "agent", "demo")


def test_parallel_wrong_passwords_are_counted_one_by_one(
    engine: Engine, staffed: dict[str, int]
) -> None:
    """Eight attempts at once: four failures, the fifth locks, the last three meet the lock.
    Without the row lock, PostgreSQL let parallel attempts read the same count."""
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> str:
        try:
            sign_in(engine, "handler", "wrong")
        except AccountLocked:
            return "locked"
        except SignInError:
            return "wrong"
        return "in"

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(attempt, range(8)))
    assert outcomes == ["locked"] * 4 + ["wrong"] * 4  # the fifth failure is told it locked
    with read_session(engine) as s:
        kinds = [
            e.kind
            for e in s.exec(select(CaseEvent).where(col(CaseEvent.actor_id) == staffed["handler"]))
            if e.kind not in SEAL_KINDS
        ]
    assert sorted(kinds) == ["account_locked"] + ["sign_in_failed"] * 4
